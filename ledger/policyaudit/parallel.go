package policyaudit

import (
	"runtime"
	"sync"
)

// batchSize is how many entries one parsing job takes.
const batchSize = 512

// Parallel feeds an Auditor from a reader that hands entries in order
// (a bundle's scan): workers parse batches of entries concurrently, and
// one goroutine applies them in order, so decoding the bodies, most of an
// audit's work, runs beside the reading and hashing instead of after it.
// Entries handed to Add must not change afterwards.
type Parallel struct {
	a       *Auditor
	jobs    chan *batch
	ordered chan *batch
	cur     *batch
	workers sync.WaitGroup
	done    chan error
}

type batch struct {
	first   uint64
	entries [][]byte
	parsed  []Entry
	ready   chan struct{}
}

// NewParallel starts the workers (one per CPU) and the applier.
func NewParallel(a *Auditor) *Parallel {
	p := &Parallel{a: a, jobs: make(chan *batch, 2*runtime.NumCPU()), ordered: make(chan *batch, 4*runtime.NumCPU()), done: make(chan error, 1)}
	for range runtime.NumCPU() {
		p.workers.Go(func() {
			for b := range p.jobs {
				b.parsed = make([]Entry, len(b.entries))
				for i, e := range b.entries {
					b.parsed[i] = Parse(b.first+uint64(i), e)
				}
				close(b.ready)
			}
		})
	}
	go func() {
		var err error
		for b := range p.ordered {
			<-b.ready
			for _, e := range b.parsed {
				if err == nil {
					err = p.a.Apply(e)
				}
			}
		}
		p.done <- err
	}()
	return p
}

// Add queues the entry at index.
func (p *Parallel) Add(index uint64, entry []byte) error {
	if p.cur == nil {
		p.cur = &batch{first: index, ready: make(chan struct{})}
	}
	p.cur.entries = append(p.cur.entries, entry)
	if len(p.cur.entries) == batchSize {
		p.flush()
	}
	return nil
}

func (p *Parallel) flush() {
	if p.cur == nil {
		return
	}
	p.ordered <- p.cur
	p.jobs <- p.cur
	p.cur = nil
}

// Close applies what is queued and returns the first error the auditor
// met; the Auditor's Report is then complete.
func (p *Parallel) Close() error {
	p.flush()
	close(p.jobs)
	close(p.ordered)
	p.workers.Wait()
	return <-p.done
}
