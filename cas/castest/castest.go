// Package castest is the conformance suite every [cas.Store] backend must
// pass, plus helpers for backend tests: deterministic data, byte flipping,
// and a harness that runs a real S3 server (versitygw) on 127.0.0.1.
//
// A backend's test calls [Run] with a constructor returning a fresh, empty
// store together with the hooks the suite needs to look behind the store's
// back (list what is stored, damage or remove a blob):
//
//	func TestConformance(t *testing.T) {
//		castest.Run(t, func(t *testing.T) castest.Backend { ... })
//	}
//
// Subtests run one after another, never in parallel, because one of them
// measures heap use.
package castest

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

// Backend is a store under test and its hooks.
type Backend struct {
	// Store is empty when handed to the suite.
	Store cas.Store
	// Objects lists everything the backend holds, temporaries and pending
	// uploads included, so that "nothing was written" can be checked.
	Objects func(t *testing.T) []string
	// Corrupt changes one byte, chosen with rng, of what is stored for d.
	Corrupt func(t *testing.T, d cas.Digest, rng *rand.Rand)
	// Remove deletes what is stored for d without going through Store.
	Remove func(t *testing.T, d cas.Digest)
}

// Run runs every conformance case, each on a fresh backend from newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	cases := []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"RoundTrip", testRoundTrip},
		{"Dedup", testDedup},
		{"DigestMismatch", testMismatch},
		{"Range", testRange},
		{"HeadDeleteNotFound", testNotFound},
		{"InvalidDigest", testInvalidDigest},
		{"ConcurrentSame", testConcurrentSame},
		{"ConcurrentDistinct", testConcurrentDistinct},
		{"FailedReader", testFailedReader},
		{"Walk", testWalk},
		{"Health", testHealth},
		{"LargeStreaming", testLarge},
		{"Scrub", testScrub},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newBackend(t)) })
	}
}

// objects returns the backend's sorted object list.
func objects(t *testing.T, b Backend) []string {
	t.Helper()
	o := b.Objects(t)
	slices.Sort(o)
	return o
}

// assertObjects fails unless the backend holds exactly want.
func assertObjects(t *testing.T, b Backend, want []string, why string) {
	t.Helper()
	if got := objects(t, b); !slices.Equal(got, want) {
		t.Fatalf("%s: backend holds %q, want %q", why, got, want)
	}
}
