package httpapi

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/assay-ledger/assay/ledger"
)

// SequencerMetrics are the Prometheus collectors of the ledger's sequencer
// (its group commit):
//
//	assay_sequencer_batch_entries          histogram, entries committed per batch
//	assay_sequencer_batch_bytes            histogram, encoded bytes per batch
//	assay_sequencer_commit_seconds         histogram, durable commit of a batch with its checkpoint
//	assay_sequencer_linger_seconds         histogram, time a busy log held a batch open for more appends
//	assay_sequencer_queue_depth            gauge, appends waiting for the sequencer (read at scrape)
//
// The batch histograms' _count is the number of batches; the linger
// histogram's _count is the number that lingered, so the two give the share
// of lingering batches. A ledger is opened before the server, so the
// caller makes these first and passes them both to the ledger
// (ledger.Config.Observer) and to the server (Config.Sequencer), which
// registers them.
type SequencerMetrics struct {
	entries, bytes, commit, linger prometheus.Histogram
}

var _ ledger.SequencerObserver = (*SequencerMetrics)(nil)

// NewSequencerMetrics returns the collectors, not yet registered.
func NewSequencerMetrics() *SequencerMetrics {
	h := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	}
	return &SequencerMetrics{
		entries: h("assay_sequencer_batch_entries", "Entries committed per batch of the ledger's group commit.",
			prometheus.ExponentialBuckets(1, 2, 11)), // 1 to 1024, the default batch limit
		bytes: h("assay_sequencer_batch_bytes", "Encoded bytes of the appends per batch of the ledger's group commit.",
			prometheus.ExponentialBuckets(256, 4, 10)), // 256 B to 64 MiB; a batch is capped at 4 MiB
		commit: h("assay_sequencer_commit_seconds", "Durable commit (fsync) of one batch with its signed checkpoint.",
			prometheus.ExponentialBuckets(0.0001, 2, 16)),
		linger: h("assay_sequencer_linger_seconds", "Time a busy log held a batch open for more appends; only batches that lingered.",
			prometheus.ExponentialBuckets(0.00001, 2, 12)),
	}
}

// ObserveBatch records one committed batch (ledger.SequencerObserver).
func (m *SequencerMetrics) ObserveBatch(b ledger.BatchStats) {
	m.entries.Observe(float64(b.Entries))
	m.bytes.Observe(float64(b.Bytes))
	m.commit.Observe(b.Commit.Seconds())
	if b.Lingered > 0 {
		m.linger.Observe(b.Lingered.Seconds())
	}
}

func (m *SequencerMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.entries, m.bytes, m.commit, m.linger}
}
