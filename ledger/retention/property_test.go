package retention

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

// TestDeletionProperty runs random sequences of deletions, restores and
// purges over packages that share blobs, and after every step compares
// where each blob is with a model: in the store while a live package
// references it, in the trash while only deleted (not purged) ones do,
// gone once every reference is purged; and scrub's withheld count with
// the blobs not in the store.
func TestDeletionProperty(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			f := newFixture(t)
			ctx := t.Context()
			const (
				live = iota
				deleted
				purged
			)
			type pkg struct {
				id    string
				blobs []cas.Digest
				state int
				age   int // purges run since it was deleted
			}
			var pkgs []*pkg
			for i := range 5 {
				p := f.create("transient")
				k := &pkg{id: p.ID}
				for j := range 2 {
					content := fmt.Sprintf("pool blob %d", rng.IntN(4))
					k.blobs = append(k.blobs, f.upload("acme", p.ID, fmt.Sprintf("f%d-%d", i, j), content))
				}
				pkgs = append(pkgs, k)
			}
			for step := range 60 {
				p := pkgs[rng.IntN(len(pkgs))]
				var what string
				switch op := rng.IntN(6); {
				case op <= 2 && p.state == live:
					what = "delete " + p.id[:8]
					if _, err := f.del.Delete(ctx, "o", "acme", p.id, DeleteRequest{Reason: "r", Admin: true}); err != nil {
						t.Fatalf("step %d: %s: %v", step, what, err)
					}
					p.state, p.age = deleted, 0
				case op <= 4 && p.state == deleted:
					what = "restore " + p.id[:8]
					if _, err := f.del.Restore(ctx, "o", "acme", p.id, "r"); err != nil {
						t.Fatalf("step %d: %s: %v", step, what, err)
					}
					p.state = live
				case op == 5:
					// Four days on: deletions purged at the second purge after
					// them, so that purged and restorable ones share blobs.
					what = "purge"
					f.clock.Advance(day(4))
					if _, err := f.del.Purge(ctx, "system", "acme"); err != nil {
						t.Fatalf("step %d: purge: %v", step, err)
					}
					for _, q := range pkgs {
						if q.state == deleted {
							if q.age++; q.age == 2 {
								q.state = purged
							}
						}
					}
				default:
					continue
				}
				states := map[cas.Digest][3]int{}
				for _, q := range pkgs {
					for _, d := range q.blobs {
						s := states[d]
						s[q.state]++
						states[d] = s
					}
				}
				want, away := map[cas.Digest]string{}, 0
				for d, s := range states {
					switch {
					case s[live] > 0:
						want[d] = inStore
					case s[deleted] > 0:
						want[d] = inTrash
						away++
					default:
						want[d] = nowhere
						away++
					}
				}
				f.expectWhere(fmt.Sprintf("step %d (%s)", step, what), want)
				rep, err := f.cat.Scrub(ctx, "system", false)
				if err != nil || rep.Missing != 0 || rep.Withheld != away {
					t.Fatalf("step %d (%s): scrub %+v, %v; want %d withheld, none missing", step, what, rep, err, away)
				}
			}
		})
	}
}
