package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// The toy domain: one entry type whose Applier keeps a running total under
// one projection key and refuses a negative amount with one error.
const toyType = "toy.added"

var (
	errToyNegative = errors.New("toy amount is negative")
	toyTotalKey    = []byte("toy/total")
)

func toyModule() ledger.Module {
	apply := func(tx *ledger.Tx, rec *ledger.Record) error {
		var body struct{ N int }
		if err := json.Unmarshal(rec.Body, &body); err != nil {
			return err
		}
		if body.N < 0 {
			return fmt.Errorf("%w: %d", errToyNegative, body.N)
		}
		total := 0
		if b, err := tx.Get(toyTotalKey); err == nil {
			total, _ = strconv.Atoi(string(b))
		} else if !errors.Is(err, ledger.ErrKeyNotFound) {
			return err
		}
		tx.Set(toyTotalKey, strconv.AppendInt(nil, int64(total+body.N), 10))
		return nil
	}
	return ledger.Module{Name: "toy", Appliers: map[string]ledger.Applier{toyType: apply},
		Errors: []ledger.ErrorSpec{{Err: errToyNegative, Kind: ledger.KindUnprocessable, Slug: "toy-negative", Title: "Negative amount"}}}
}

// TestToyModule registers a toy domain module beside the real ones, and
// shows that the server maps its error to problem+json and serves its
// entries, and that bundle import replays it to the same projection; all
// from the one registration, with no file of the project changed.
func TestToyModule(t *testing.T) {
	mods := append(domains.Modules(), toyModule())
	dir := t.TempDir()
	lg, vkey := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Logger: testLogger(t), Modules: mods})
	tokens := filepath.Join(dir, httpapi.TokenFile)
	tok := newToken(t, tokens, "toy", "acme", httpapi.AllScopes)
	api, err := httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(tokens), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	api.Handle(http.MethodPost, "/v1/toy", "toy:write", func(r *http.Request) (any, error) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		return lg.Append(r.Context(), ledger.Entry{Type: toyType, Actor: "toy", Tenant: "acme", Body: body})
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	post := func(body string) response {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/v1/toy", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return roundTrip(t, srv, req)
	}

	for _, n := range []int{3, 4} {
		if r := post(fmt.Sprintf(`{"n":%d}`, n)); r.status != http.StatusOK {
			t.Fatalf("toy %d: %d %s", n, r.status, r.body)
		}
	}
	size, _ := lg.Head()
	r := post(`{"n":-1}`)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("negative toy: %d %s, want 422", r.status, r.body)
	}
	if p := r.problem(t); p.Type != wire.ProblemBase+"toy-negative" || p.Title != "Negative amount" {
		t.Fatalf("negative toy: problem %+v, want type toy-negative", p)
	}
	if after, _ := lg.Head(); after != size {
		t.Fatalf("the refused toy entry was logged: size %d, want %d", after, size)
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+fmt.Sprintf("/v1/log/entries/%d", size-1), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if r := roundTrip(t, srv, req); r.status != http.StatusOK || !bytes.Contains(r.body, []byte(toyType)) {
		t.Fatalf("GET the toy entry: %d %s", r.status, r.body)
	}

	want, err := lg.Projection(toyTotalKey)
	if err != nil || string(want) != "7" {
		t.Fatalf("source toy total %q, %v; want 7", want, err)
	}
	mirror, _ := ledgertest.Open(t, filepath.Join(t.TempDir(), "mirror"), ledgertest.Options{Origin: "assay.test/mirror", Modules: mods})
	if _, err := bundle.Import(t.Context(), bundleOf(t, lg), mirror, bundle.Options{Key: vkey}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := mirror.Projection(toyTotalKey); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("mirror toy total %q, %v; want %q", got, err, want)
	}
}

// bundleOf returns an opener of a bundle of every entry of l.
func bundleOf(t *testing.T, l *ledger.Log) func() (io.ReadCloser, error) {
	t.Helper()
	size, _ := l.Head()
	es, err := l.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	c := bundle.Contents{Header: bundle.Header{Origin: l.Origin(), From: 0, To: size}, Checkpoint: l.Checkpoint()}
	var buf bytes.Buffer
	next := func() ([]byte, error) {
		if len(es) == 0 {
			return nil, io.EOF
		}
		e := es[0]
		es = es[1:]
		return e, nil
	}
	if err := bundle.Write(&buf, c, next, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil }
}
