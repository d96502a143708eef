package witness_test

import (
	"strings"
	"testing"

	"github.com/assay-ledger/assay/witness"
)

// FuzzParseSpec: whatever ParseSpec accepts is an http(s) URL without a
// trailing slash and a verifier key that parses again to the same witness.
func FuzzParseSpec(f *testing.F) {
	f.Add("http://127.0.0.1:7380=witness.test/a+d458ddcb+BD6mZwfi8/cU73odG2wXXdYC8U8/isOykDlLW5Dp6w1B")
	f.Add("https://w.example/sub/=w.example+00000000+BA")
	f.Add("http://x=y=z")
	f.Fuzz(func(t *testing.T, spec string) {
		w, err := witness.ParseSpec(spec)
		if err != nil {
			return
		}
		if !strings.HasPrefix(w.URL, "http://") && !strings.HasPrefix(w.URL, "https://") || strings.HasSuffix(w.URL, "/") {
			t.Fatalf("accepted URL %q", w.URL)
		}
		again, err := witness.ParseSpec(w.URL + "=" + w.Key)
		if err != nil || again.URL != w.URL || again.Key != w.Key || again.Name() != w.Name() || w.Name() == "" {
			t.Fatalf("%q parsed to %+v, which parses again to %+v, %v", spec, w, again, err)
		}
	})
}
