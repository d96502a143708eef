package promotion

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// workerBackoff is how long the worker waits after a failed pass (a store
// that is down, say) before it tries again, unless a new request wakes it.
const workerBackoff = 5 * time.Second

// Start runs the worker (Run) in the background until the returned stop is
// called, which cancels it and waits for it to end. A server starts one
// worker and stops it on shutdown; a decision begun when it stops (a check
// and its outcome) is finished first.
func (s *Service) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// Run is the worker: it decides the objects of every unfinished
// promotion, one promotion at a time in request order, and then waits for
// a new request, until ctx ends. A promotion a previous process left
// unfinished (a crash, a shutdown) is taken up where its decisions stop.
// Errors are logged and the pass retried after workerBackoff.
func (s *Service) Run(ctx context.Context) {
	for {
		err := s.ProcessPending(ctx)
		if ctx.Err() != nil {
			return
		}
		var retry <-chan time.Time
		var t *time.Timer
		if err != nil {
			s.logger.ErrorContext(ctx, "promotion worker", "err", err, "retry_in", workerBackoff)
			t = time.NewTimer(workerBackoff)
			retry = t.C
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-retry:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// wakeWorker tells the worker that a request is waiting.
func (s *Service) wakeWorker() {
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// ProcessPending decides every unfinished promotion, in request order,
// and returns when none is left or on the first error (the promotion stays
// unfinished and is taken up again by the next call).
func (s *Service) ProcessPending(ctx context.Context) error {
	for {
		id := ""
		if err := s.log.ScanProjections(ctx, []byte(prefixOpen), nil, func(_, v []byte) (bool, error) {
			id = string(v)
			return false, nil
		}); err != nil {
			return err
		}
		if id == "" {
			return nil
		}
		var p Promotion
		if err := s.getJSON(requestKey(id), &p); err != nil {
			return fmt.Errorf("promotion %s: %w", id, err)
		}
		if err := s.process(ctx, &p); err != nil {
			return fmt.Errorf("promotion %s: %w", id, err)
		}
		s.finishedOne()
	}
}

// process decides the objects of p after its last check and appends
// promotion.completed.
func (s *Service) process(ctx context.Context, p *Promotion) error {
	src, err := parseSource(p.Source)
	if err != nil {
		return err
	}
	dest, _ := parseDestination(p.Destination)
	run := &promotionRun{s: s, id: p.ID, retryOf: p.RetryOf, actor: p.RequestedBy, tenant: p.Tenant, src: src, dest: dest, tier: p.Tier,
		proofKey: p.ProofKey, proofDigest: p.ProofDigest}
	if proofTier(p.Tier) {
		if err := run.loadProof(ctx); err != nil {
			return err
		}
	}
	// A decision begun is finished even when the worker stops: a check
	// alone would leave its object undecided until the next start.
	decideCtx := context.WithoutCancel(ctx)
	batch := make([]*catalog.Object, 0, pageSize)
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := run.decideBatch(decideCtx, batch)
		batch = batch[:0]
		return err
	}
	add := func(o *catalog.Object) error {
		if batch = append(batch, o); len(batch) == pageSize {
			return flush()
		}
		return nil
	}
	if p.RetryOf != "" {
		err = s.retrySet(ctx, p.RetryOf, func(page []Progress) error {
			for _, pr := range page {
				o, err := s.cat.Object(p.Tenant, catalog.ZoneRaw, pr.SourceKey)
				if errors.Is(err, catalog.ErrObjectNotFound) {
					continue // deleted since; its item still awaits review
				}
				if err != nil {
					return err
				}
				if err := add(o); err != nil {
					return err
				}
			}
			return nil
		})
	} else {
		err = run.eachObject(ctx, add)
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	done, err := s.Promotion(p.Tenant, p.ID)
	if err != nil {
		return err
	}
	_, err = s.append(decideCtx, TypeCompleted, p.RequestedBy, p.Tenant, Completed{PromotionID: p.ID, Promoted: done.Promoted, Quarantined: done.Quarantined})
	return err
}

// deciders is how many objects of a batch the worker decides at once: their
// appends share the log's group commits.
const deciders = 32

// decideBatch decides the objects of batch, deciders at a time. An object
// the promotion decided already (before a restart) is skipped, and one
// whose check a stop cut off from its outcome gets its outcome.
func (r *promotionRun) decideBatch(ctx context.Context, batch []*catalog.Object) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, deciders)
	for _, o := range batch {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.resumeOrDecide(ctx, o); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// resumeOrDecide decides o unless the promotion has: a check with its
// outcome is left alone, a check without one gets it. A verified object of
// tier masked is masked again (the rules are deterministic and its bytes
// were masked before its check was appended; storing the copy again is a
// no-op), so that only a masked copy reaches golden.
func (r *promotionRun) resumeOrDecide(ctx context.Context, o *catalog.Object) error {
	var pr Progress
	err := r.s.getJSON(progressKey(r.id, o.Key), &pr)
	switch {
	case errors.Is(err, ledger.ErrKeyNotFound):
		return r.decide(ctx, o)
	case err != nil:
		return err
	case pr.Status == "verified" && r.tier == TierMasked:
		m, reason, err := r.mask(ctx, o, pr.ComputedDigest)
		if err != nil {
			return err
		}
		if reason != "" {
			// The check passed with these bytes masked; they no longer
			// mask (lost, changed, or the rules changed). Leave the object
			// undecided rather than place it unmasked.
			return fmt.Errorf("resume %s: verified, but masking it again fails: %s", o.Key, reason)
		}
		return r.placeMasked(ctx, o, pr.CheckIndex, m)
	case pr.Status == "verified" || pr.Status == "failed":
		return r.place(ctx, o, pr.CheckIndex, pr.Status == "failed")
	}
	return nil
}

// finishedOne wakes every Wait: a promotion finished.
func (s *Service) finishedOne() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait returns the tenant's promotion id once it is finished (completed
// or failed), or ctx's error.
func (s *Service) Wait(ctx context.Context, tenant, id string) (*Promotion, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		p, err := s.Promotion(tenant, id)
		if err != nil || finished(p) {
			return p, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}
