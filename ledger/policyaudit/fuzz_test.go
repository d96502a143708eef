package policyaudit_test

import (
	"encoding/json"
	"testing"

	"github.com/assay-ledger/assay/ledger/policyaudit"
)

// FuzzAuditor feeds a policy and an arbitrary entry of each type the audit
// reads. Whatever it accepts, the report counts every entry, names only
// the known rules, and points its violations at entries it read.
func FuzzAuditor(f *testing.F) {
	f.Add("promotion.verified", `{"promotion_id":"p","source_key":"k","expected_digest":"sha256:aa","computed_digest":"sha256:bb","tier":"signed"}`)
	f.Add("retention.deletion_started", `{"package_id":"p","early":false}`)
	f.Add("package.created", `{"package_id":"p","retention":{"class":"transient","period":"7d"}}`)
	f.Add("quarantine.approved", `{"quarantine_id":"q","separation_of_duties":true}`)
	f.Add("export.status_changed", `{"idempotencyKey":"k","status":"running","previousStatus":"succeeded"}`)
	f.Add("promotion.masked", `{"rules":["x"],"rules_digest":"sha256:00"}`)
	f.Add("deletion.collected", `{"blobs":[{"digest":"sha256:aa"}]}`)
	policy := `{"policy_digest":"sha256:x","policy":{"catalog":{"retention_classes":{"transient":"7d"}},"promotion":{"separation_of_duties":true}}}`
	known := map[string]bool{}
	for _, r := range policyaudit.Rules {
		known[r] = true
	}
	f.Fuzz(func(t *testing.T, typ, body string) {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &obj) != nil || obj == nil {
			return
		}
		entry := func(i int, typ, body string) []byte {
			b, _ := json.Marshal(map[string]any{"v": 1, "index": i, "type": typ, "time": "2026-01-02T03:04:05Z", "actor": "a", "tenant": "t"})
			var head map[string]json.RawMessage
			_ = json.Unmarshal(b, &head)
			var rest map[string]json.RawMessage
			_ = json.Unmarshal([]byte(body), &rest)
			for k, v := range rest {
				if _, taken := head[k]; !taken {
					head[k] = v
				}
			}
			out, _ := json.Marshal(head)
			return out
		}
		a := policyaudit.New(0, nil)
		read := uint64(0)
		for i, e := range [][]byte{entry(0, "policy.applied", policy), entry(1, typ, body), entry(2, typ, body)} {
			if err := a.Add(uint64(i), e); err != nil {
				break // a malformed body of a type the audit reads
			}
			read++
		}
		rep := a.Report()
		if rep.Entries > read+1 {
			t.Fatalf("%d entries reported, %d read", rep.Entries, read)
		}
		for _, v := range rep.Violations {
			if !known[v.Rule] || v.Index >= read+1 {
				t.Fatalf("violation %+v after %d entries", v, read)
			}
		}
		for r := range rep.Checked {
			if !known[r] {
				t.Fatalf("unknown rule %s counted", r)
			}
		}
	})
}
