package httpapi

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/assay-ledger/assay/cas"

	"github.com/assay-ledger/assay/ledger/promotion"
)

// promotionMetrics are the promotion gate's Prometheus collectors, by tier
// and top-level prefix of the golden key ("/" at the root):
//
//	assay_promotion_promoted_total{tier,prefix}                       counter, golden objects placed (approvals included)
//	assay_promotion_masked_total{tier,prefix}                         counter, masked golden objects placed
//	assay_promotion_quarantined_total{tier,prefix,reason}             counter
//	assay_promotion_verification_failures_total{tier,prefix,reason}   counter, failed checks
//	assay_promotion_digest_mismatches_total{tier,prefix}              counter, failed checks whose bytes no longer hash to their landing digest ("drift")
//	assay_promotion_latency_seconds{tier,prefix}                      histogram, request to completion of a promotion
//	assay_landing_digest_mismatches_total                             counter, uploads refused because their bytes did not hash to the expected digest
//
// The landing counter has no labels: its uploads appended nothing, and the
// keys and tiers they named are the client's. The others count what the
// promotion Service appends on this server (it calls
// Observe after each append), never what a bundle import or a restart
// replays, so a decision is counted once per process; Prometheus' counter
// resets cover restarts. reason is one of promotion's Reason constants, a
// fixed set; prefix is bounded by the golden layout when one is
// configured.
type promotionMetrics struct {
	promoted, masked, quarantined, failures, mismatches *prometheus.CounterVec
	latency                                             *prometheus.HistogramVec
	landingMismatches                                   prometheus.Counter
}

var _ promotion.Observer = (*promotionMetrics)(nil)

func newPromotionMetrics() *promotionMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{"tier", "prefix"}, labels...))
	}
	return &promotionMetrics{
		promoted:    counter("assay_promotion_promoted_total", "Objects placed in golden by the promotion gate or an approval, by tier and top-level prefix."),
		masked:      counter("assay_promotion_masked_total", "Masked objects placed in golden, by tier and top-level prefix."),
		quarantined: counter("assay_promotion_quarantined_total", "Objects placed in quarantine, by tier, top-level prefix and reason.", "reason"),
		failures:    counter("assay_promotion_verification_failures_total", "Failed verifications, by tier, top-level prefix and reason.", "reason"),
		mismatches:  counter("assay_promotion_digest_mismatches_total", "Objects whose stored bytes no longer hash to their landing digest at promotion (drift), by tier and top-level prefix."),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "assay_promotion_latency_seconds", Help: "Time from a promotion's request to its completion, by tier and top-level prefix of the destination.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"tier", "prefix"}),
		landingMismatches: prometheus.NewCounter(prometheus.CounterOpts{Name: "assay_landing_digest_mismatches_total",
			Help: "Uploads into raw refused because their bytes did not hash to the expected digest (X-Assay-Digest)."}),
	}
}

func (m *promotionMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.promoted, m.masked, m.quarantined, m.failures, m.mismatches, m.latency, m.landingMismatches}
}

// landed counts a refused upload when err is a digest mismatch.
func (m *promotionMetrics) landed(err error) {
	if errors.Is(err, cas.ErrDigestMismatch) {
		m.landingMismatches.Inc()
	}
}

// Observe counts one decision of the gate.
func (m *promotionMetrics) Observe(o promotion.Observation) {
	switch o.Outcome {
	case promotion.OutcomePromoted:
		m.promoted.WithLabelValues(o.Tier, o.Prefix).Inc()
	case promotion.OutcomeMasked:
		m.masked.WithLabelValues(o.Tier, o.Prefix).Inc()
	case promotion.OutcomeQuarantined:
		m.quarantined.WithLabelValues(o.Tier, o.Prefix, o.Reason).Inc()
	case promotion.OutcomeFailed:
		m.failures.WithLabelValues(o.Tier, o.Prefix, o.Reason).Inc()
		if o.Reason == promotion.ReasonDigestMismatch {
			m.mismatches.WithLabelValues(o.Tier, o.Prefix).Inc()
		}
	case promotion.OutcomeCompleted:
		m.latency.WithLabelValues(o.Tier, o.Prefix).Observe(o.Latency.Seconds())
	}
}

// PromotionObserver returns the Observer that counts the promotion gate's
// decisions in this server's metrics, for promotion.Config.Observer.
func (s *Server) PromotionObserver() promotion.Observer { return s.metrics.promotion }
