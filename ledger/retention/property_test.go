package retention

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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

// propertySteps is how many random steps TestRetentionProperty takes:
// ASSAY_RETENTION_STEPS (make soak), else 300.
func propertySteps() int {
	if n, err := strconv.Atoi(os.Getenv("ASSAY_RETENTION_STEPS")); err == nil && n > 0 {
		return n
	}
	return 300
}

// propertySeed is the first seed of TestRetentionProperty's runs (the
// others follow it): ASSAY_RETENTION_SEED to replay a failure, else a new
// one each time (printed on failure).
func propertySeed() uint64 {
	if n, err := strconv.ParseUint(os.Getenv("ASSAY_RETENTION_SEED"), 10, 64); err == nil {
		return n
	}
	return uint64(time.Now().UnixNano())
}

// propRun is one run of TestRetentionProperty: the real ledger, services
// and store (fixture) beside the model, and the random source.
type propRun struct {
	*fixture
	m    *model
	rng  *rand.Rand
	seed uint64
	pool int // how many distinct blobs the packages' files draw from
	step int
	what string
	// tally counts the outcomes of each kind of step, for the log: a run
	// that never purged or never refused a held package checked little.
	tally map[string]int
}

// fatalf fails the run, naming the seed that replays it and the step.
func (r *propRun) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("ASSAY_RETENTION_SEED=%d (pool %d) step %d (%s): %s", r.seed, r.pool, r.step, r.what, fmt.Sprintf(format, args...))
}

// expectErr fails unless err is want (nil: success).
func (r *propRun) expectErr(err, want error) {
	r.t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		r.fatalf("got error %v, want %v", err, want)
	}
	op, _, _ := strings.Cut(r.what, " ")
	outcome := "ok"
	if want != nil {
		outcome = want.Error()
	}
	r.tally[op+": "+outcome]++
}

// peek reads the clock (which ticks one second per read).
func (r *propRun) peek() time.Time { return r.clock.Now().UTC() }

// TestRetentionProperty runs random sequences of creations, extensions,
// holds, releases, sweeps, deletions, restores, purges and clock steps
// over packages of both modes that share a pool of blobs. After every step
// it checks that no live package lost a byte (held and unexpired
// compliance packages are never deleted: the model predicts every refusal
// and the test demands it), that the bytes of restorable deletions are
// kept and those of purged ones gone, and that the projections (each
// package's retention view, its holds, the eligibility list, the deletion
// state, scrub's withheld count) equal the model's.
func TestRetentionProperty(t *testing.T) {
	base := propertySeed()
	for i := range uint64(4) {
		// Runs alternate pools, by the parity of the seed (so that
		// ASSAY_RETENTION_SEED replays a run exactly). A small pool of blobs makes most blobs shared by live packages; a
		// larger one leaves blobs shared by deleted packages only, where
		// the reference counts of deletions and purges decide.
		seed := base + i
		pool := 4 + 4*int(seed%2)
		t.Run(fmt.Sprintf("seed=%d,pool=%d", seed, pool), func(t *testing.T) {
			r := &propRun{fixture: newFixture(t), m: &model{grace: DefaultGrace, contents: map[cas.Digest]string{}},
				rng: rand.New(rand.NewPCG(seed, 13)), seed: seed, pool: pool, tally: map[string]int{}}
			steps := propertySteps()
			for r.step = range steps {
				ops := []func(){r.create, r.extend, r.hold, r.release, r.release, r.sweep, r.remove, r.remove, r.remove,
					r.restore, r.restore, r.purge, r.wait, r.wait}
				ops[r.rng.IntN(len(ops))]()
				r.check()
			}
			t.Logf("%d steps over %d packages: %v", steps, len(r.m.pkgs), r.tally)
		})
	}
}

// pick returns a random package, nil when there is none.
func (r *propRun) pick() *mPkg {
	if len(r.m.pkgs) == 0 {
		return nil
	}
	return r.m.pkgs[r.rng.IntN(len(r.m.pkgs))]
}

func (r *propRun) create() {
	if r.m.unpurged() >= 8 || len(r.m.pkgs) >= 40 {
		r.wait()
		return
	}
	class := []string{"transient", "locked"}[r.rng.IntN(2)]
	r.what = "create " + class
	p := r.createFor("acme", class)
	if p.Retention.ExpiresAt == nil || !p.Retention.ExpiresAt.Equal(p.CreatedAt.Add(day(7))) {
		r.fatalf("created package expires at %v, want 7 days after %v", p.Retention.ExpiresAt, p.CreatedAt)
	}
	mp := &mPkg{id: p.ID, compliance: class == "locked", expires: p.Retention.ExpiresAt.UTC(), events: 1}
	for i := range 1 + r.rng.IntN(3) {
		content := fmt.Sprintf("pool blob %d", r.rng.IntN(r.pool))
		d := r.upload("acme", p.ID, fmt.Sprintf("f%d", i), content)
		r.m.contents[d] = content
		mp.blobs = append(mp.blobs, d)
	}
	r.m.pkgs = append(r.m.pkgs, mp)
}

func (r *propRun) extend() {
	p := r.pick()
	if p == nil {
		return
	}
	now := r.peek()
	var req ExtendRequest
	var want error
	next := p.expires
	switch r.rng.IntN(4) {
	case 0: // not later
		at := p.expires.Add(-time.Hour)
		req, want = ExtendRequest{ExpiresAt: &at, Reason: "shorter"}, ErrNotLater
	case 1: // to a fixed time, days from now
		at := now.Add(day(1 + r.rng.IntN(10)))
		req = ExtendRequest{ExpiresAt: &at, Reason: "until"}
		next = at
		if !at.After(p.expires) {
			want = ErrNotLater
		}
	default:
		n := 1 + r.rng.IntN(10)
		req = ExtendRequest{Duration: fmt.Sprintf("%dd", n), Reason: "longer"}
		next = p.expires.Add(day(n))
		if !next.After(now) {
			want = ErrPast
		}
	}
	if !p.live() { // a deleted package takes no extension, whatever its dates
		want = ErrAlreadyDeleted
	}
	r.what = fmt.Sprintf("extend %s by %+v", p.id[:12], req)
	_, err := r.svc.Extend(r.t.Context(), "o", "acme", p.id, req)
	r.expectErr(err, want)
	if want == nil {
		p.expires = next.UTC()
		p.events++
	}
}

func (r *propRun) hold() {
	p := r.pick()
	if p == nil {
		return
	}
	r.what = "hold " + p.id[:12]
	h, err := r.svc.ApplyHold(r.t.Context(), "legal", "acme", p.id, HoldRequest{Reason: "case", CaseRef: "c-1"})
	if !p.live() { // nor a hold
		r.expectErr(err, ErrAlreadyDeleted)
		return
	}
	r.expectErr(err, nil)
	p.holds = append(p.holds, mHold{id: h.HoldID, active: true})
	p.events++
}

func (r *propRun) release() {
	p := r.pick()
	if p == nil || len(p.holds) == 0 {
		return
	}
	h := &p.holds[r.rng.IntN(len(p.holds))]
	for i := range p.holds { // mostly an active one
		if p.holds[i].active && r.rng.IntN(4) > 0 {
			h = &p.holds[i]
		}
	}
	r.what = fmt.Sprintf("release %s of %s (active %v)", h.id, p.id[:12], h.active)
	_, err := r.svc.ReleaseHold(r.t.Context(), "legal", "acme", p.id, h.id, "closed")
	if !h.active {
		r.expectErr(err, ErrHoldReleased)
		return
	}
	r.expectErr(err, nil)
	h.active = false
	p.events++
}

func (r *propRun) sweep() {
	r.what = "sweep"
	res, err := r.del.Sweep(r.t.Context(), "system", "acme", false)
	if err != nil {
		r.fatalf("%v", err)
	}
	var got, fresh, want, wantFresh []string
	for _, e := range res.Eligible {
		got = append(got, e.PackageID)
		if e.Announced {
			fresh = append(fresh, e.PackageID)
		}
	}
	for _, p := range r.m.pkgs {
		if p.eligible(res.AsOf) {
			want = append(want, p.id)
			if !p.announced {
				p.announced = true
				p.events++
				wantFresh = append(wantFresh, p.id)
			}
		}
	}
	if !slices.Equal(got, want) || !slices.Equal(fresh, wantFresh) {
		r.fatalf("sweep found %v (announced %v), want %v (announced %v)", got, fresh, want, wantFresh)
	}
	r.expectPurged(res.Purged, r.m.purge(res.AsOf))
}

// expectPurged compares the deletions a purge took with the model's.
func (r *propRun) expectPurged(got []Purged, want []string) {
	r.t.Helper()
	var ids []string
	for _, p := range got {
		ids = append(ids, p.PackageID)
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		r.fatalf("purged %v, want %v", ids, want)
	}
	r.tally[fmt.Sprintf("purged per %s: %d", r.what, len(ids))]++
}

func (r *propRun) remove() {
	p := r.pick()
	if p == nil {
		return
	}
	admin := r.rng.IntN(2) == 0
	now := r.peek()
	want, freed := p.deleteError(now, admin), r.m.freed(p)
	r.what = fmt.Sprintf("delete %s (admin %v, compliance %v, expires %s, holds %d, %q)", p.id[:12], admin, p.compliance,
		p.expires.Format(time.RFC3339), p.activeHolds(), p.del)
	del, err := r.del.Delete(r.t.Context(), "o", "acme", p.id, DeleteRequest{Reason: "r", Admin: admin})
	r.expectErr(err, want)
	if want != nil {
		return
	}
	if del.State != StateDeleted || del.Bytes != freed || del.GraceUntil.Sub(now.Add(r.m.grace)).Abs() > time.Minute {
		r.fatalf("deletion %+v, want deleted, %d bytes freed, grace until about %s", del, freed, now.Add(r.m.grace))
	}
	for _, q := range r.m.pkgs {
		if q != p && q.del == StateDeleted && slices.ContainsFunc(q.blobs, func(d cas.Digest) bool { return slices.Contains(p.blobs, d) }) {
			r.tally["delete: shares a blob with a restorable deletion"]++
			break
		}
	}
	p.del, p.graceUntil = StateDeleted, del.GraceUntil
	p.deletions++
	p.events += 2 // started, completed
}

func (r *propRun) restore() {
	p := r.pick()
	if p == nil {
		return
	}
	want := p.restoreError()
	r.what = fmt.Sprintf("restore %s (%q)", p.id[:12], p.del)
	_, err := r.del.Restore(r.t.Context(), "o", "acme", p.id, "mistake")
	r.expectErr(err, want)
	if want == nil {
		p.del = StateRestored
		p.events++
	}
}

func (r *propRun) purge() {
	r.what = "purge"
	got, now, err := r.del.PurgeNow(r.t.Context(), "system", "acme")
	if err != nil {
		r.fatalf("%v", err)
	}
	r.expectPurged(got, r.m.purge(now))
}

// wait moves the clock on by up to four days, never to within a quarter
// of an hour of an expiry or the end of a grace period.
func (r *propRun) wait() {
	d := time.Duration(1+r.rng.IntN(96*4)) * 15 * time.Minute
	now := r.peek()
	for r.m.near(now.Add(d), 15*time.Minute) {
		d += 30 * time.Minute
	}
	r.what = "wait " + d.String()
	r.clock.Advance(d)
}

// check holds the store and the projections to the model.
func (r *propRun) check() {
	r.t.Helper()
	ctx := r.t.Context()
	withheld := 0
	for d, content := range r.m.contents {
		_, herr := r.store.Head(ctx, d)
		trashed, err := r.store.InTrash(ctx, d)
		if err != nil || herr != nil && !errors.Is(herr, cas.ErrNotFound) {
			r.fatalf("blob %s: %v, %v", d.Hex()[:8], herr, err)
		}
		switch w := r.m.where(d); w {
		case mustServe:
			rc, err := r.store.Get(ctx, d, 0, -1)
			if err != nil {
				r.fatalf("a live package's blob %s lost its bytes: %v", d.Hex()[:8], err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(b) != content {
				r.fatalf("blob %s reads %q, %v; want %q", d.Hex()[:8], b, err, content)
			}
		case mustKeep, mustBeGone:
			// A restorable deletion's blob waits in the trash, not in
			// the store; a purged one is in neither.
			withheld++
			if herr == nil || trashed != (w == mustKeep) {
				r.fatalf("blob %s in the store %v, in the trash %v; want in the trash %v only", d.Hex()[:8], herr == nil, trashed, w == mustKeep)
			}
		}
	}
	rep, err := r.cat.Scrub(ctx, "system", false)
	if err != nil || rep.Missing != 0 || rep.Corrupt != 0 || rep.Withheld != withheld {
		r.fatalf("scrub %+v, %v; want %d withheld, none missing", rep, err, withheld)
	}
	for _, p := range r.m.pkgs {
		r.checkView(p)
	}
	page, next, asOf, err := r.svc.Eligible(ctx, "acme", "", 0)
	if err != nil || next != "" {
		r.fatalf("Eligible: %v, next %q", err, next)
	}
	var got []string
	for _, e := range page {
		got = append(got, e.PackageID)
	}
	if want := r.m.eligibleIDs(asOf); !slices.Equal(got, want) {
		r.fatalf("eligible %v, want %v", got, want)
	}
}

// checkView compares the retention view of p with the model.
func (r *propRun) checkView(p *mPkg) {
	r.t.Helper()
	v, err := r.svc.View(r.t.Context(), "acme", p.id)
	if err != nil {
		r.fatalf("view %s: %v", p.id, err)
	}
	var holds []mHold
	for _, h := range v.Holds {
		holds = append(holds, mHold{id: h.HoldID, active: h.Active})
	}
	switch {
	case v.ExpiresAt == nil || !v.ExpiresAt.Equal(p.expires):
		r.fatalf("%s expires at %v, want %s", p.id, v.ExpiresAt, p.expires)
	case v.ActiveHolds != p.activeHolds() || !slices.Equal(holds, p.holds):
		r.fatalf("%s holds %+v (%d active), want %+v", p.id, holds, v.ActiveHolds, p.holds)
	case v.Eligible != p.eligible(v.AsOf):
		r.fatalf("%s eligible %v at %s, want %v", p.id, v.Eligible, v.AsOf, !v.Eligible)
	case len(v.Events) != p.events:
		r.fatalf("%s has %d retention events, want %d", p.id, len(v.Events), p.events)
	case p.del == "" && v.Deletion != nil:
		r.fatalf("%s has a deletion %+v, want none", p.id, v.Deletion)
	case p.del != "" && (v.Deletion == nil || v.Deletion.State != p.del || v.Deletion.Deletions != p.deletions):
		r.fatalf("%s deletion %+v, want state %s after %d deletions", p.id, v.Deletion, p.del, p.deletions)
	}
	_, announced := r.log.Projection(eligibleKey(p.id))
	if (announced == nil) != p.announced {
		r.fatalf("%s announced: %v, want %v", p.id, announced, p.announced)
	}
}
