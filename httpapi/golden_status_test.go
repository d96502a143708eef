package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// landingHeaders are the landing metadata of a PUT by key.
func landingHeaders(digest string) http.Header {
	return http.Header{wire.DigestHeader: {digest}, wire.SourceHeader: {"github.com/acme/app"}, wire.CommitHeader: {"0123abcd"},
		wire.TierHeader: {"signed"}, wire.CustodyHeader: {"ticket:SEC-1", "https://ci.example/run/7"}}
}

// put sends a PUT of raw/key as the producer with the headers h.
func (f *promFixture) put(key, content string, h http.Header) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), http.MethodPut, f.srv.URL+"/v1/objects/raw/"+key, strings.NewReader(content))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+f.producer)
	return roundTrip(f.t, f.srv, req)
}

// TestLandingMetadata lands an object by key and a package file with
// landing metadata: both entries record it, the objects' projections keep
// it, and the listing and the status show it.
func TestLandingMetadata(t *testing.T) {
	f := newPromFixture(t)
	content := "landed bytes"
	digest := cas.DigestOf([]byte(content)).String()
	if r := f.put("in/a.txt", content, landingHeaders(digest)); r.status != http.StatusCreated {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	want := catalog.Landing{Source: "github.com/acme/app", Commit: "0123abcd", ExpectedDigest: digest, Tier: "signed",
		Custody: []string{"ticket:SEC-1", "https://ci.example/run/7"}}
	var page struct{ Objects []catalog.Object }
	if err := json.Unmarshal(f.call(http.MethodGet, "/v1/objects/raw?prefix=in/", f.producer, nil).body, &page); err != nil || len(page.Objects) != 1 {
		t.Fatalf("listing: %+v, %v", page, err)
	}
	if got := page.Objects[0].Landing; got == nil || !landingEqual(*got, want) {
		t.Fatalf("listed landing %+v, want %+v", got, want)
	}
	st, err := f.prodCli.ObjectStatus(t.Context(), "raw", "in/a.txt")
	if err != nil || st.State != promotion.StateLanded || st.Object.Landing == nil || st.LandedIndex != page.Objects[0].Version {
		t.Fatalf("status %+v, %v", st, err)
	}
	e, err := f.prodCli.Entry(t.Context(), st.LandedIndex)
	if err != nil || !strings.Contains(string(e.Entry), `"landing":{"source":"github.com/acme/app","commit":"0123abcd"`) {
		t.Fatalf("object.put entry %s, %v", e.Entry, err)
	}

	// A package file: the same metadata from its part's headers.
	cli, err := client.New(f.srv.URL, f.owner(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cli.CreatePackage(t.Context(), map[string]any{"name": "p", "retention_class": "transient"})
	if err != nil {
		t.Fatal(err)
	}
	land := want
	land.ExpectedDigest = ""
	files, err := cli.UploadFiles(t.Context(), p.ID, []client.UploadFile{{Path: "r/a.txt", Body: strings.NewReader(content), Digest: digest, Landing: land}})
	if err != nil {
		t.Fatal(err)
	}
	o := f.object(catalog.ZoneRaw, files[0].Key)
	if o == nil || o.Landing == nil || !landingEqual(*o.Landing, want) {
		t.Fatalf("package file object %+v", o)
	}
}

func landingEqual(a, b catalog.Landing) bool {
	return a.Source == b.Source && a.Commit == b.Commit && a.ExpectedDigest == b.ExpectedDigest && a.Tier == b.Tier && slices.Equal(a.Custody, b.Custody)
}

// owner returns a token of tenant acme with the package scopes, made once.
func (f *promFixture) owner() string {
	f.t.Helper()
	if f.packager == "" {
		f.packager = newToken(f.t, f.tokens, "packager", "acme", "packages:write", "packages:read", "objects:read")
	}
	return f.packager
}

// TestLandingBadInput sends bad landing metadata by key and in a part:
// each is a 4xx problem, and neither the log nor the store changes.
func TestLandingBadInput(t *testing.T) {
	other := cas.DigestOf([]byte("other bytes")).String()
	with := func(k string, vs ...string) http.Header {
		h := landingHeaders("")
		delete(h, wire.DigestHeader)
		h[k] = vs
		return h
	}
	custody := make([]string, 17)
	for i := range custody {
		custody[i] = fmt.Sprintf("ref-%d", i)
	}
	for _, tc := range []struct {
		name   string
		h      http.Header
		status int
		typ    string
	}{
		{"digest mismatch", landingHeaders(other), 422, wire.TypeDigestMismatch},
		{"malformed digest", landingHeaders("sha256:nothex"), 400, wire.TypeInvalidDigest},
		{"commit not hex", with(wire.CommitHeader, "main"), 400, wire.TypeInvalidField},
		{"commit too short", with(wire.CommitHeader, "abc"), 400, wire.TypeInvalidField},
		{"two sources", with(wire.SourceHeader, "a", "b"), 400, wire.TypeInvalidField},
		{"source too long", with(wire.SourceHeader, strings.Repeat("s", 257)), 400, wire.TypeInvalidField},
		{"tier with capitals", with(wire.TierHeader, "Signed"), 400, wire.TypeInvalidField},
		{"two tiers", with(wire.TierHeader, "basic", "signed"), 400, wire.TypeInvalidField},
		{"too many custody references", with(wire.CustodyHeader, custody...), 400, wire.TypeInvalidField},
		{"empty custody reference", with(wire.CustodyHeader, ""), 400, wire.TypeInvalidField},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPromFixture(t)
			f.land("seed.txt", "seed")
			check := func(r response) {
				t.Helper()
				if p := r.problem(t); p.Status != tc.status || p.Type != tc.typ {
					t.Fatalf("problem %d %s, want %d %s: %s", p.Status, p.Type, tc.status, tc.typ, r.body)
				}
			}
			size, files := f.size(), f.storeFiles()
			check(f.put("in/a.txt", "landed bytes", tc.h))
			// The same headers on a multipart part.
			pkg, err := client.New(f.srv.URL, f.owner(), nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := pkg.CreatePackage(t.Context(), map[string]any{"name": "p", "retention_class": "transient"})
			if err != nil {
				t.Fatal(err)
			}
			size++
			part := filePart("r/a.txt", "landed bytes")
			for k, vs := range tc.h {
				part.header[textproto.CanonicalMIMEHeaderKey(k)] = vs
			}
			body, ctype := multipartBody(t, part)
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+"/v1/packages/"+p.ID+"/files", body)
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Authorization", "Bearer "+f.owner())
			check(roundTrip(t, f.srv, req))
			if m, want := f.metrics()["assay_landing_digest_mismatches_total"], map[bool]float64{true: 2}[tc.typ == wire.TypeDigestMismatch]; m != want {
				t.Errorf("assay_landing_digest_mismatches_total %v, want %v", m, want)
			}
			if f.size() != size || !slices.Equal(f.storeFiles(), files) {
				t.Fatalf("log %d (want %d) or store changed: %q, was %q", f.size(), size, f.storeFiles(), files)
			}
		})
	}
}

// tamper flips a bit of the blob of digest in the local store.
func (f *promFixture) tamper(digest string) {
	f.t.Helper()
	p := f.blobFile(digest)
	raw, err := os.ReadFile(p)
	if err != nil {
		f.t.Fatal(err)
	}
	raw[len(raw)-1] ^= 0x20 // still readable (as TestQuarantineReview), other bytes
	if err := os.WriteFile(p, raw, 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// TestObjectStatusAndGolden follows objects through the gate: status of
// the raw, golden and quarantine objects at each step with the indexes of
// the entries behind them, the golden listing with verification and
// proof reference, and a new version that is landed again.
func TestObjectStatusAndGolden(t *testing.T) {
	f := newPromFixture(t)
	f.land("in/a.txt", "apple")
	b := f.land("in/b.txt", "berry")
	f.tamper(b.Digest)
	v := f.promote("raw/in/", "golden/incoming/run-1/", "basic")
	idx := map[string]promotion.Progress{}
	for _, o := range v.Objects {
		idx[o.SourceKey] = o
	}
	ctx := t.Context()
	steps := func(st wire.ObjectStatus) string {
		var out []string
		for _, s := range st.Steps {
			out = append(out, s.Step+"@"+strconv.FormatUint(s.Index, 10))
		}
		return strings.Join(out, " ")
	}
	at := func(step string, i uint64) string { return step + "@" + strconv.FormatUint(i, 10) }
	for _, tc := range []struct {
		zone, key, state, steps string
	}{
		{"raw", "in/a.txt", "promoted", at("verified", idx["in/a.txt"].CheckIndex) + " " + at("promoted", idx["in/a.txt"].OutcomeIndex)},
		{"golden", "incoming/run-1/a.txt", "promoted", at("verified", idx["in/a.txt"].CheckIndex) + " " + at("promoted", idx["in/a.txt"].OutcomeIndex)},
		{"raw", "in/b.txt", "quarantined", at("failed", idx["in/b.txt"].CheckIndex) + " " + at("quarantined", idx["in/b.txt"].OutcomeIndex)},
		{"quarantine", "incoming/run-1/b.txt", "quarantined", at("failed", idx["in/b.txt"].CheckIndex) + " " + at("quarantined", idx["in/b.txt"].OutcomeIndex)},
	} {
		st, err := f.prodCli.ObjectStatus(ctx, tc.zone, tc.key)
		if err != nil || st.State != tc.state || steps(st) != tc.steps {
			t.Fatalf("%s/%s: state %q steps %q (%v), want %q %q", tc.zone, tc.key, st.State, steps(st), err, tc.state, tc.steps)
		}
	}
	st, _ := f.prodCli.ObjectStatus(ctx, "raw", "in/b.txt")
	if s := st.Steps[0]; s.Reason != promotion.ReasonDigestMismatch || s.Digest == b.Digest || s.PromotionID != v.ID {
		t.Fatalf("failed step %+v", s)
	}

	// A reviewer approves b: promoted, the approval's index last.
	it, err := f.revCli.ApproveQuarantine(ctx, idx["in/b.txt"].QuarantineID, "false-positive")
	if err != nil {
		t.Fatal(err)
	}
	for _, zk := range [][2]string{{"raw", "in/b.txt"}, {"golden", "incoming/run-1/b.txt"}, {"quarantine", "incoming/run-1/b.txt"}} {
		st, err := f.prodCli.ObjectStatus(ctx, zk[0], zk[1])
		if err != nil || st.State != promotion.StatePromoted || st.Steps[len(st.Steps)-1].Index != it.DecisionIndex {
			t.Fatalf("%s after approval: %+v, %v", zk, st, err)
		}
	}

	// The golden listing: each object with how it was verified.
	page, err := f.prodCli.Golden(ctx, url.Values{"prefix": {"incoming/"}})
	if err != nil || len(page.Objects) != 2 || page.Layout == nil {
		t.Fatalf("golden page %+v, %v", page, err)
	}
	ga, gb := page.Objects[0].Verification, page.Objects[1].Verification
	if ga == nil || ga.Status != "verified" || ga.Tier != "basic" || ga.DecisionIndex != idx["in/a.txt"].CheckIndex || ga.SourceKey != "in/a.txt" {
		t.Fatalf("verification of a %+v, want the check at %d", ga, idx["in/a.txt"].CheckIndex)
	}
	if gb == nil || gb.Status != "approved" || gb.ApprovedIndex != it.DecisionIndex || gb.QuarantineID != it.ID {
		t.Fatalf("verification of b %+v", gb)
	}

	// A new version of a is landed: it has no step yet.
	f.land("in/a.txt", "apple 2")
	if st, err := f.prodCli.ObjectStatus(ctx, "raw", "in/a.txt"); err != nil || st.State != promotion.StateLanded || len(st.Steps) != 2 {
		t.Fatalf("re-landed a: %+v, %v", st, err)
	}
}

// TestSignedGoldenProofReference promotes with tier signed: the golden
// listing names the proof and its digest.
func TestSignedGoldenProofReference(t *testing.T) {
	f := newPromFixture(t)
	vec := loadProofVector(t)
	for _, fl := range vec.Files {
		f.land("drop/"+fl.Key, fl.Content)
	}
	f.land("drop/"+promotion.ProofName, string(vec.Proof))
	v := f.promote("raw/drop/", "golden/signed/", "signed")
	if v.Promoted != len(vec.Files) {
		t.Fatalf("promotion %+v", v.Promotion)
	}
	page, err := f.prodCli.Golden(t.Context(), url.Values{"prefix": {"signed/"}})
	if err != nil || len(page.Objects) != len(vec.Files) {
		t.Fatalf("golden %+v, %v", page, err)
	}
	for _, o := range page.Objects {
		if g := o.Verification; g == nil || g.ProofKey != "drop/"+promotion.ProofName || g.ProofDigest != v.ProofDigest || g.Tier != "signed" {
			t.Fatalf("verification %+v", g)
		}
	}
}

// TestGoldenLayout configures the default layout: it is in the listing,
// and a destination outside it is refused with nothing logged.
func TestGoldenLayout(t *testing.T) {
	f := newPromFixture(t, func(c *promotion.Config) { c.GoldenLayout = promotion.DefaultGoldenLayout })
	f.land("in/a.txt", "apple")
	for _, dst := range []string{"golden/", "golden/release/", "golden/incomingx/", "golden/other/incoming/"} {
		size := f.size()
		r := f.call(http.MethodPost, wire.PromotionsPath, f.producer, wire.PromotionRequest{Source: "raw/in/", Destination: dst, Tier: "basic"})
		if p := r.problem(t); p.Status != 400 || p.Type != wire.TypePromotionOutsideLayout || f.size() != size {
			t.Fatalf("%s: %d %s, log %d -> %d", dst, p.Status, p.Type, size, f.size())
		}
	}
	if v := f.promote("raw/in/", "golden/processing/x/", "basic"); v.Promoted != 1 {
		t.Fatalf("promotion into the layout: %+v", v.Promotion)
	}
	page, err := f.prodCli.Golden(t.Context(), nil)
	if err != nil || !slices.Equal(page.Layout, []string{"archive/", "golden/", "incoming/", "processing/"}) {
		t.Fatalf("layout %v, %v", page.Layout, err)
	}
	if _, err := promotion.NewService(promotion.Config{Log: f.log, Catalog: f.cat, Store: nil}); err == nil {
		t.Fatal("a service without a store")
	}
	for _, bad := range [][]string{{"a/b/"}, {"a"}, {"/"}, {"x/", "x/"}, {"../"}} {
		if _, err := promotion.CheckLayout(bad); err == nil {
			t.Fatalf("layout %q accepted", bad)
		}
	}
}

// TestObjectStatusBadInput: each bad status request is a 4xx problem and
// logs nothing.
func TestObjectStatusBadInput(t *testing.T) {
	f := newPromFixture(t)
	f.land("in/a.txt", "apple")
	for _, tc := range []struct {
		path   string
		status int
		typ    string
	}{
		{wire.ObjectStatusPath + "/nowhere/in/a.txt", 400, wire.TypeUnknownZone},
		{wire.ObjectStatusPath + "/raw/in/missing.txt", 404, wire.TypeObjectNotFound},
		{wire.ObjectStatusPath + "/golden/in/a.txt", 404, wire.TypeObjectNotFound},
		{wire.ObjectStatusPath + "/raw/in/../a.txt", 400, wire.TypePathDotDot},
		{wire.ObjectStatusPath + "/raw/in//a.txt", 400, wire.TypePathUnclean},
		{"/v1/objects/golden?limit=0", 400, wire.TypeInvalidParameter},
		{"/v1/objects/golden?cursor=!!", 400, wire.TypeInvalidCursor},
	} {
		size, files := f.size(), f.storeFiles()
		r := f.call(http.MethodGet, tc.path, f.producer, nil)
		if p := r.problem(t); p.Status != tc.status || p.Type != tc.typ {
			t.Errorf("%s: %d %s, want %d %s", tc.path, p.Status, p.Type, tc.status, tc.typ)
		}
		if f.size() != size || !slices.Equal(f.storeFiles(), files) {
			t.Errorf("%s changed the log or the store", tc.path)
		}
	}
	if r := f.call(http.MethodGet, wire.ObjectStatusPath+"/raw/in/a.txt", f.reviewer, nil); r.status != 200 {
		t.Fatalf("reviewer (objects:read) status: %d", r.status)
	}
	if r := f.call(http.MethodGet, wire.ObjectStatusPath+"/raw/in/a.txt", f.tokenWith("promotions:read"), nil); r.status != 403 {
		t.Fatalf("status without objects:read: %d", r.status)
	}
}

func (f *promFixture) tokenWith(scopes ...string) string {
	return newToken(f.t, f.tokens, "scoped", "acme", scopes...)
}

// TestPromotionMetrics promotes a prefix with one tampered object and
// reads /metrics: the counters of the outcome, the drift counter and the
// latency histogram moved, labelled by tier and top-level prefix.
func TestPromotionMetrics(t *testing.T) {
	f := newPromFixture(t)
	f.land("in/a.txt", "apple")
	b := f.land("in/b.txt", "berry")
	f.tamper(b.Digest)
	before := f.metrics()
	v := f.promote("raw/in/", "golden/incoming/", "basic")
	if v.Promoted != 1 || v.Quarantined != 1 {
		t.Fatalf("promotion %+v", v.Promotion)
	}
	after := f.metrics()
	for _, m := range []string{
		`assay_promotion_promoted_total{prefix="incoming/",tier="basic"}`,
		`assay_promotion_quarantined_total{prefix="incoming/",reason="digest-mismatch",tier="basic"}`,
		`assay_promotion_verification_failures_total{prefix="incoming/",reason="digest-mismatch",tier="basic"}`,
		`assay_promotion_digest_mismatches_total{prefix="incoming/",tier="basic"}`,
		`assay_promotion_latency_seconds_count{prefix="incoming/",tier="basic"}`,
	} {
		if before[m] != 0 || after[m] != 1 {
			t.Errorf("%s: %v before, %v after; want 0 then 1", m, before[m], after[m])
		}
	}
	// An approval counts as a promotion; reading state counts nothing.
	if _, err := f.revCli.ApproveQuarantine(t.Context(), v.Objects[1].QuarantineID, "false-positive"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.prodCli.ObjectStatus(t.Context(), "raw", "in/b.txt"); err != nil {
		t.Fatal(err)
	}
	if m := f.metrics(); m[`assay_promotion_promoted_total{prefix="incoming/",tier="basic"}`] != 2 ||
		m[`assay_promotion_digest_mismatches_total{prefix="incoming/",tier="basic"}`] != 1 {
		t.Fatalf("after the approval: %v", m)
	}
}

var sampleLine = regexp.MustCompile(`^(assay_(?:promotion|landing)_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$`)

// metrics reads the assay_promotion_ and assay_landing_ samples of /metrics.
func (f *promFixture) metrics() map[string]float64 {
	f.t.Helper()
	r := f.call(http.MethodGet, "/metrics", f.other, nil)
	if r.status != 200 {
		f.t.Fatalf("/metrics: %d %s", r.status, r.body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(r.body), "\n") {
		if m := sampleLine.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				f.t.Fatal(err)
			}
			out[m[1]] = v
		}
	}
	return out
}
