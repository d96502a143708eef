package exports

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// validBody returns vector export-1's unsigned payload changed by set
// (a nil value deletes the member), with idempotencyKey recomputed from the
// result unless set names it.
func validBody(t *testing.T, set map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(loadVectors(t)[0].Payload, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	if _, ok := set["idempotencyKey"]; !ok {
		runID, _ := m["runId"].(string)
		hash, _ := m["artifactHash"].(string)
		tenant, _ := m["tenantId"].(string)
		m["idempotencyKey"] = IdempotencyKey(runID, hash, tenant)
	}
	return marshal(t, m)
}

func TestParseValidation(t *testing.T) {
	const hash = "sha256:c4793fb94443793eb32e1128b2d4d2cb4c20bed467a6929ec09f78cb87af21a1"
	sig := map[string]any{"type": "dsse", "keyId": "k", "signature": "AAAA"}
	tooMany := make([]any, 17)
	for i := range tooMany {
		tooMany[i] = map[string]any{"type": "dsse", "keyId": fmt.Sprint("k", i), "signature": "AAAA"}
	}
	type set = map[string]any
	tests := []struct {
		name string
		set  set
		want error // nil: accepted
	}{
		{"vector as is", set{}, nil},
		{"only required fields", set{"jobType": nil, "completedAt": nil, "environment": nil, "logsPath": nil, "manifestPath": nil}, nil},
		{"all optional fields", set{"policyHash": hash, "bundleId": "b", "scanId": "s"}, nil},
		{"fractional seconds", set{"startedAt": "2025-12-02T00:00:00.5Z", "completedAt": "2025-12-02T00:00:00.500000001Z"}, nil},
		{"completed when started", set{"completedAt": "2025-12-02T00:00:00Z"}, nil},
		{"uppercase hex hash", set{"artifactHash": strings.ToUpper(hash[:7]) + strings.ToUpper(hash[7:])}, ErrInvalidHash},
		{"uppercase hex digits", set{"artifactHash": "sha256:" + strings.ToUpper(hash[7:])}, nil},
		{"pending", set{"status": "pending", "completedAt": nil}, nil},
		{"running", set{"status": "running"}, nil},
		{"failed", set{"status": "failed"}, nil},
		{"canceled", set{"status": "canceled"}, nil},
		{"dev", set{"environment": "dev"}, nil},
		{"stage", set{"environment": "stage"}, nil},
		{"percent-encoded path", set{"logsPath": "cas://a/b%20c/d.log"}, nil},
		{"dots inside a segment", set{"logsPath": "cas://a/...b/c..d"}, nil},
		{"signed", set{"signatures": []any{sig}}, nil},

		{"missing runId", set{"runId": nil}, ErrMissingField},
		{"missing artifactHash", set{"artifactHash": nil}, ErrMissingField},
		{"missing startedAt", set{"startedAt": nil}, ErrMissingField},
		{"missing status", set{"status": nil}, ErrMissingField},
		{"missing tenantId", set{"tenantId": nil}, ErrMissingField},
		{"missing idempotencyKey", set{"idempotencyKey": nil}, ErrMissingField},
		{"empty runId", set{"runId": ""}, ErrEmptyField},
		{"empty optional jobType", set{"jobType": ""}, ErrEmptyField},
		{"empty optional environment", set{"environment": ""}, ErrEmptyField},
		{"empty signature keyId", set{"signatures": []any{set{"type": "dsse", "keyId": "", "signature": "AAAA"}}}, ErrEmptyField},

		{"runId not a uuid", set{"runId": "run-1"}, ErrInvalidRunID},
		{"runId uppercase", set{"runId": "3F2B8C1E-7D4A-4E8B-9C0F-1A2B3C4D5E6F"}, ErrInvalidRunID},
		{"runId in braces", set{"runId": "{3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f}"}, ErrInvalidRunID},
		{"runId without hyphens", set{"runId": "3f2b8c1e7d4a4e8b9c0f1a2b3c4d5e6f"}, ErrInvalidRunID},
		{"runId urn", set{"runId": "urn:uuid:3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f"}, ErrInvalidRunID},

		{"artifactHash short", set{"artifactHash": hash[:len(hash)-1]}, ErrInvalidHash},
		{"artifactHash long", set{"artifactHash": hash + "0"}, ErrInvalidHash},
		{"artifactHash sha512", set{"artifactHash": "sha512:" + hash[7:]}, ErrInvalidHash},
		{"artifactHash no prefix", set{"artifactHash": hash[7:]}, ErrInvalidHash},
		{"artifactHash non-hex", set{"artifactHash": hash[:len(hash)-1] + "g"}, ErrInvalidHash},
		{"artifactHash trailing newline", set{"artifactHash": hash + "\n"}, ErrInvalidHash},
		{"policyHash bad", set{"policyHash": "sha256:xyz"}, ErrInvalidHash},
		{"idempotencyKey bad format", set{"idempotencyKey": "3aa22b5e"}, ErrInvalidHash},

		{"startedAt with offset", set{"startedAt": "2025-12-02T00:00:00+00:00"}, ErrInvalidTimestamp},
		{"startedAt lowercase z", set{"startedAt": "2025-12-02T00:00:00z"}, ErrInvalidTimestamp},
		{"startedAt lowercase t", set{"startedAt": "2025-12-02t00:00:00Z"}, ErrInvalidTimestamp},
		{"startedAt without seconds", set{"startedAt": "2025-12-02T00:00Z"}, ErrInvalidTimestamp},
		{"startedAt date only", set{"startedAt": "2025-12-02"}, ErrInvalidTimestamp},
		{"startedAt no zone", set{"startedAt": "2025-12-02T00:00:00"}, ErrInvalidTimestamp},
		{"startedAt basic format", set{"startedAt": "20251202T000000Z"}, ErrInvalidTimestamp},
		{"startedAt month 13", set{"startedAt": "2025-13-02T00:00:00Z"}, ErrInvalidTimestamp},
		{"startedAt february 30", set{"startedAt": "2025-02-30T00:00:00Z"}, ErrInvalidTimestamp},
		{"startedAt ten fraction digits", set{"startedAt": "2025-12-02T00:00:00.0000000001Z"}, ErrInvalidTimestamp},
		{"completedAt unix time", set{"completedAt": "1764633930"}, ErrInvalidTimestamp},
		{"completed before started", set{"completedAt": "2025-12-01T23:59:59.999Z"}, ErrCompletedBeforeStarted},

		{"status unknown", set{"status": "done"}, ErrInvalidStatus},
		{"status uppercase", set{"status": "SUCCEEDED"}, ErrInvalidStatus},
		{"status cancelled", set{"status": "cancelled"}, ErrInvalidStatus},
		{"environment unknown", set{"environment": "production"}, ErrInvalidEnvironment},
		{"environment uppercase", set{"environment": "PROD"}, ErrInvalidEnvironment},

		{"manifestPath https", set{"manifestPath": "https://example.com/manifest.json"}, ErrInvalidPath},
		{"manifestPath s3", set{"manifestPath": "s3://bucket/manifest.json"}, ErrInvalidPath},
		{"manifestPath file", set{"manifestPath": "file:///etc/passwd"}, ErrInvalidPath},
		{"manifestPath bare path", set{"manifestPath": "bundles/run-1/manifest.json"}, ErrInvalidPath},
		{"manifestPath uppercase scheme", set{"manifestPath": "CAS://bundles/m.json"}, ErrInvalidPath},
		{"logsPath scheme only", set{"logsPath": "cas://"}, ErrInvalidPath},
		{"logsPath absolute", set{"logsPath": "cas:///etc/passwd"}, ErrInvalidPath},
		{"logsPath empty segment", set{"logsPath": "cas://a//b"}, ErrInvalidPath},
		{"logsPath trailing slash", set{"logsPath": "cas://a/b/"}, ErrInvalidPath},
		{"logsPath backslash", set{"logsPath": `cas://a\..\b`}, ErrInvalidPath},
		{"logsPath query", set{"logsPath": "cas://a/b?x=1"}, ErrInvalidPath},
		{"logsPath fragment", set{"logsPath": "cas://a/b#x"}, ErrInvalidPath},
		{"logsPath control character", set{"logsPath": "cas://a/b\x00c"}, ErrInvalidPath},
		{"logsPath bad percent-encoding", set{"logsPath": "cas://a/%zz"}, ErrInvalidPath},
		{"logsPath encoded slash", set{"logsPath": "cas://a/..%2Fb"}, ErrInvalidPath},
		{"logsPath dot-dot", set{"logsPath": "cas://bundles/../secrets"}, ErrPathTraversal},
		{"logsPath leading dot-dot", set{"logsPath": "cas://../x"}, ErrPathTraversal},
		{"logsPath dot", set{"logsPath": "cas://a/./b"}, ErrPathTraversal},
		{"logsPath encoded dot-dot", set{"logsPath": "cas://a/%2e%2E/b"}, ErrPathTraversal},
		{"manifestPath dot-dot", set{"manifestPath": "cas://.."}, ErrPathTraversal},

		{"idempotencyKey of another tenant", set{"idempotencyKey": IdempotencyKey("3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", hash, "other")}, ErrIdempotencyKeyMismatch},
		{"idempotencyKey without tenant", set{"idempotencyKey": IdempotencyKey("3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", hash, "")}, ErrIdempotencyKeyMismatch},
		// The contract's pattern admits uppercase hex: the same key in
		// either case matches; another key in uppercase does not.
		{"idempotencyKey uppercase", set{"idempotencyKey": "sha256:" + strings.ToUpper(IdempotencyKey("3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", hash, "acme")[7:])}, nil},
		{"idempotencyKey of another tenant uppercase", set{"idempotencyKey": "sha256:" + strings.ToUpper(IdempotencyKey("3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", hash, "other")[7:])}, ErrIdempotencyKeyMismatch},

		{"signatures empty", set{"signatures": []any{}}, ErrNoSignatures},
		{"signatures too many", set{"signatures": tooMany}, ErrTooManySignatures},
		{"signature type pgp", set{"signatures": []any{set{"type": "pgp", "keyId": "k", "signature": "AAAA"}}}, ErrSignatureType},
		{"signature type missing", set{"signatures": []any{set{"keyId": "k", "signature": "AAAA"}}}, ErrSignatureType},
		{"signature keyId missing", set{"signatures": []any{set{"type": "dsse", "signature": "AAAA"}}}, ErrSignatureEntry},
		{"signature missing", set{"signatures": []any{set{"type": "dsse", "keyId": "k"}}}, ErrSignatureEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := Parse(validBody(t, tt.set))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || sub != nil {
				t.Fatalf("Parse = %v, %v; want error %v", sub, err, tt.want)
			}
			if slug, kind := Classify(err); slug == "" || kind == 0 {
				t.Errorf("Classify(%v) = %q, %v", err, slug, kind)
			}
			t.Log(err)
		})
	}
}

// TestValidateStruct checks Validate on submissions built in Go rather
// than parsed, as the ledger builds them on replay.
func TestValidateStruct(t *testing.T) {
	v := loadVectors(t)[0]
	sub, err := Parse(v.Submitted)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*Submission)
		want   error
	}{
		{"parsed", func(*Submission) {}, nil},
		{"zero value", func(s *Submission) { *s = Submission{} }, ErrMissingField},
		{"no runId", func(s *Submission) { s.RunID = "" }, ErrMissingField},
		{"status changed keeps key", func(s *Submission) { s.Status = StatusFailed }, nil},
		{"tenant changed", func(s *Submission) { s.TenantID = "other" }, ErrIdempotencyKeyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := *sub
			tt.modify(&s)
			if err := s.Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	got, err := ParseTimestamp("2025-12-02T00:05:30.25Z")
	if err != nil {
		t.Fatal(err)
	}
	if want := "2025-12-02T00:05:30.25Z"; got.Format("2006-01-02T15:04:05.999999999Z07:00") != want || got.Location().String() != "UTC" {
		t.Fatalf("ParseTimestamp = %v, want %s UTC", got, want)
	}
	if _, err := ParseTimestamp("2025-12-02T00:05:30+01:00"); !errors.Is(err, ErrInvalidTimestamp) {
		t.Fatalf("offset accepted: %v", err)
	}
}

func TestIdempotencyKey(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			m := submittedMap(t, v)
			got := IdempotencyKey(m["runId"].(string), m["artifactHash"].(string), m["tenantId"].(string))
			if got != v.IdempotencyKey {
				t.Fatalf("IdempotencyKey = %s, want %s", got, v.IdempotencyKey)
			}
		})
	}
}
