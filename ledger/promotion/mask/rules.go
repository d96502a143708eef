// Package mask implements the masking rules of the promotion gate's tier
// masked: a rules file (YAML or JSON) parsed into Rules, and a masker that
// rewrites an object's bytes deterministically.
//
// # Rules
//
// A rules file holds a list of rules, each with an id and at least one of
// a JSON pointer and a pattern:
//
//	rules:
//	  - id: sarif-messages           # [a-z0-9][a-z0-9._-]{0,63}, unique
//	    pointer: /runs/*/results/*/message/text
//	    pattern: 'AKIA[0-9A-Z]{16}'  # Go regexp (RE2)
//	    replacement: "[MASKED]"      # the default
//	  - id: tokens
//	    pattern: 'ghp_[A-Za-z0-9]{36}'
//
// A pointer (RFC 6901, with a segment "*" standing for every element of an
// array or every member of an object) applies to JSON objects, SARIF
// included: alone, it replaces the value it points at with the replacement
// string; with a pattern, it replaces the pattern's matches inside the
// string values it points at. A pattern without a pointer applies to every
// string value of a JSON object (member names are left alone) and to the
// whole bytes of any other object. Replacements are literal.
//
// # Output
//
// An object no rule changes is left byte for byte as it was (the gate then
// promotes it unmasked). A masked text object is the input with the
// matches replaced. A masked JSON object is re-encoded canonically:
// members sorted by name, no insignificant white space, numbers exactly as
// written, strings escaped as Go's encoding/json does without HTML
// escaping (invalid UTF-8 becomes U+FFFD); so the same input and rules
// always give the same bytes, and duplicate member names keep the last. Rules are applied in file
// order, and the whole set again until nothing changes (at most MaxPasses
// passes, and growing the object by at most twice its size plus 4 KiB):
// the output has no match of any pattern, and masking it again changes
// nothing.
package mask

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits of a rules file.
const (
	MaxRulesFile = 1 << 20 // bytes
	MaxRules     = 1000
	// MaxReplacement bounds a rule's replacement, in bytes.
	MaxReplacement = 1024
	// DefaultReplacement replaces what a rule without a replacement masks.
	DefaultReplacement = "[MASKED]"
)

// ErrInvalidRules reports a rules file that does not parse or breaks a
// constraint; the message says which rule and why.
var ErrInvalidRules = errors.New("invalid masking rules")

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Rule is one masking rule as the file states it.
type Rule struct {
	ID          string `yaml:"id" json:"id"`
	Pointer     string `yaml:"pointer,omitempty" json:"pointer,omitempty"`
	Pattern     string `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	Replacement string `yaml:"replacement,omitempty" json:"replacement,omitempty"`
}

// Rules is a parsed rules file: its rules, compiled, and the sha256 of the
// file's bytes, which the policy records beside its content.
type Rules struct {
	list   []compiled
	digest string
	source []byte
}

type compiled struct {
	Rule
	pointer []string // segments; nil without a pointer
	re      *regexp.Regexp
	repl    string
}

// Parse reads a rules file (YAML, of which JSON is a subset). Unknown
// members, duplicate ids, invalid pointers or patterns, and a replacement
// that a pattern matches (masking would never settle) are ErrInvalidRules.
func Parse(b []byte) (*Rules, error) {
	if len(b) > MaxRulesFile {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidRules, len(b), MaxRulesFile)
	}
	var file struct {
		Rules []Rule `yaml:"rules"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRules, err)
	}
	if len(file.Rules) == 0 || len(file.Rules) > MaxRules {
		return nil, fmt.Errorf("%w: %d rules, want 1 to %d", ErrInvalidRules, len(file.Rules), MaxRules)
	}
	sum := sha256.Sum256(b)
	rs := &Rules{digest: "sha256:" + hex.EncodeToString(sum[:]), source: bytes.Clone(b)}
	seen := map[string]bool{}
	for i, r := range file.Rules {
		c, err := compile(r)
		if err != nil {
			return nil, fmt.Errorf("%w: rule %d: %w", ErrInvalidRules, i, err)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("%w: rule %d: id %q used twice", ErrInvalidRules, i, r.ID)
		}
		seen[r.ID] = true
		rs.list = append(rs.list, c)
	}
	for _, c := range rs.list {
		for _, d := range rs.list {
			if d.re != nil && d.re.MatchString(c.repl) {
				return nil, fmt.Errorf("%w: rule %s's replacement %q matches rule %s's pattern", ErrInvalidRules, c.ID, c.repl, d.ID)
			}
		}
	}
	return rs, nil
}

func compile(r Rule) (compiled, error) {
	c := compiled{Rule: r, repl: r.Replacement}
	if !idPattern.MatchString(r.ID) {
		return c, fmt.Errorf("id %q: want [a-z0-9][a-z0-9._-]{0,63}", r.ID)
	}
	if c.repl == "" {
		c.repl = DefaultReplacement
	}
	if len(c.repl) > MaxReplacement {
		return c, fmt.Errorf("rule %s: replacement of %d bytes, at most %d", r.ID, len(c.repl), MaxReplacement)
	}
	if r.Pointer == "" && r.Pattern == "" {
		return c, fmt.Errorf("rule %s has neither a pointer nor a pattern", r.ID)
	}
	if r.Pointer != "" {
		p, err := parsePointer(r.Pointer)
		if err != nil {
			return c, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		c.pointer = p
	}
	if r.Pattern != "" {
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return c, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		if re.MatchString("") {
			return c, fmt.Errorf("rule %s: pattern %q matches the empty string", r.ID, r.Pattern)
		}
		c.re = re
	}
	return c, nil
}

// parsePointer splits an RFC 6901 pointer into unescaped segments. The
// pointer must start with "/" (the whole document cannot be masked) and
// "~" must be followed by 0 or 1.
func parsePointer(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("pointer %q must start with /", p)
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		for j := 0; j < len(s); j++ {
			if s[j] == '~' && (j+1 == len(s) || s[j+1] != '0' && s[j+1] != '1') {
				return nil, fmt.Errorf("pointer %q: ~ must be followed by 0 or 1", p)
			}
		}
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs, nil
}

// Digest is the sha256 of the rules file ("sha256:<hex>").
func (r *Rules) Digest() string { return r.digest }

// Source returns the rules file's bytes, as the policy records them.
func (r *Rules) Source() []byte { return bytes.Clone(r.source) }

// List returns the rules as the file states them, in order.
func (r *Rules) List() []Rule {
	out := make([]Rule, len(r.list))
	for i, c := range r.list {
		out[i] = c.Rule
	}
	return out
}
