package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/promotion/mask"
)

// promotionFlags configure the promotion gate: the keys tier signed trusts
// and whether a producer may review its own quarantined objects. The
// resulting policy (public keys only) goes into the policy.applied entry.
type promotionFlags struct {
	trusted         []string // KEYID=FILE
	allowSelfReview bool
	goldenLayout    []string
	maskRules       string // FILE
}

func (p *promotionFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&p.trusted, "promotion-trust", nil,
		"trust a key for promotion tier signed: KEYID=FILE, FILE holding a raw Ed25519 public key in hex or a verifier key from `assay keys generate`; KEYID is the DSSE keyid; repeatable (without any, only tier basic is offered)")
	f.BoolVar(&p.allowSelfReview, "promotion-allow-self-review", false,
		"let the producer who landed an object approve or reject it in quarantine (default: separation of duties)")
	f.StringSliceVar(&p.goldenLayout, "golden-layout", nil,
		"the top-level prefixes of zone golden a promotion may target, comma-separated, each one segment ending in / (recommended: "+
			strings.Join(promotion.DefaultGoldenLayout, ",")+"); recorded in policy.applied; empty allows any prefix")
	f.StringVar(&p.maskRules, "mask-rules", "",
		"offer promotion tier masked with the masking rules of FILE (YAML or JSON: rules with id, pointer, pattern, replacement; see README); needs --promotion-trust; the file's digest and content are recorded in policy.applied")
}

// config builds the gate's configuration (without log, catalog and store)
// from the flags.
func (p *promotionFlags) config() (promotion.Config, error) {
	cfg := promotion.Config{Trusted: map[string]ed25519.PublicKey{}, AllowSelfReview: p.allowSelfReview, GoldenLayout: p.goldenLayout}
	if _, err := promotion.CheckLayout(p.goldenLayout); err != nil {
		return cfg, fmt.Errorf("--golden-layout: %w", err)
	}
	for _, v := range p.trusted {
		id, path, ok := strings.Cut(v, "=")
		if !ok || id == "" || path == "" {
			return cfg, fmt.Errorf("--promotion-trust %q: want KEYID=FILE", v)
		}
		text, err := readKeyFile(path)
		if err != nil {
			return cfg, fmt.Errorf("--promotion-trust %s: %w", v, err)
		}
		pub, err := parsePromotionKey(text)
		if err != nil {
			return cfg, fmt.Errorf("--promotion-trust %s: %w", v, err)
		}
		if _, dup := cfg.Trusted[id]; dup {
			return cfg, fmt.Errorf("--promotion-trust: key id %q given twice", id)
		}
		cfg.Trusted[id] = pub
	}
	if p.maskRules != "" {
		if len(cfg.Trusted) == 0 {
			return cfg, errors.New("--mask-rules: tier masked checks a signed proof too; give --promotion-trust")
		}
		b, err := os.ReadFile(p.maskRules)
		if err != nil {
			return cfg, fmt.Errorf("--mask-rules: %w", err)
		}
		if cfg.Masking, err = mask.Parse(b); err != nil {
			return cfg, fmt.Errorf("--mask-rules %s: %w", p.maskRules, err)
		}
	}
	return cfg, nil
}

// parsePromotionKey reads an Ed25519 public key as 64 hex digits or as a
// signed-note verifier key.
func parsePromotionKey(text string) (ed25519.PublicKey, error) {
	if b, err := hex.DecodeString(text); err == nil {
		if len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("hex key of %d bytes, want %d", len(b), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(b), nil
	}
	_, pub, err := exports.ParseVerifierKey(text)
	if err != nil {
		return nil, fmt.Errorf("want 64 hex digits or a verifier key: %w", err)
	}
	return pub, nil
}

// registerPromotions adds the promotion gate's routes over the catalog of
// lg and store, its decisions counted in the server's metrics, and starts
// its worker, which decides requested promotions in the background (and
// takes up those a previous run left unfinished) until stop is called.
func registerPromotions(ctx context.Context, api *httpapi.Server, lg *ledger.Log, store cas.Store, cfg promotion.Config, logger *slog.Logger) (svc *promotion.Service, stop func(), err error) {
	cfg.Log, cfg.Catalog, cfg.Store, cfg.Observer, cfg.Logger = lg, catalog.New(lg), store, api.PromotionObserver(), logger
	if svc, err = promotion.NewService(cfg); err != nil {
		return nil, nil, err
	}
	api.HandlePromotions(svc)
	return svc, svc.Start(ctx), nil
}
