package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// TestAlertRules parses docs/alerts/promotion.rules.yml with Prometheus'
// rule parser (which also parses every expression and template) and checks
// that each metric a rule selects is one /metrics serves once a promotion
// ran, so a renamed metric breaks the example.
func TestAlertRules(t *testing.T) {
	groups, errs := rulefmt.ParseFile("../docs/alerts/promotion.rules.yml", false)
	if len(errs) > 0 {
		t.Fatalf("rule file: %v", errs)
	}
	f := newPromFixture(t)
	f.land("in/a.txt", "apple")
	b := f.land("in/b.txt", "berry")
	f.tamper(b.Digest)
	f.promote("raw/in/", "golden/incoming/", "basic")
	served := map[string]bool{}
	r := f.call(http.MethodGet, "/metrics", f.other, nil)
	for _, line := range strings.Split(string(r.body), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, kind, _ := strings.Cut(rest, " ")
			served[name] = true
			if kind == "histogram" {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					served[name+s] = true
				}
			}
		}
	}
	alerts := 0
	for _, g := range groups.Groups {
		for _, rule := range g.Rules {
			if rule.Alert == "" {
				continue
			}
			alerts++
			expr, err := parser.ParseExpr(rule.Expr)
			if err != nil {
				t.Fatalf("%s: %v", rule.Alert, err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && !served[vs.Name] {
					t.Errorf("%s selects %s, which /metrics does not serve", rule.Alert, vs.Name)
				}
				return nil
			})
		}
	}
	if alerts != 3 || !strings.Contains(groups.Groups[0].Rules[0].Expr, "assay_promotion_digest_mismatches_total") {
		t.Fatalf("want 3 alerts, the drift alert on assay_promotion_digest_mismatches_total first; have %d", alerts)
	}
}
