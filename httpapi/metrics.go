package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/assay-ledger/assay/ledger"
)

// metrics are the server's Prometheus collectors:
//
//	assay_http_requests_total{route,method,code}            counter
//	assay_http_request_duration_seconds{route,method,code}  histogram
//	assay_ledger_size                                       gauge, current tree size
//	assay_sequencer_queue_depth                             gauge, appends waiting for the sequencer
//
// route is the path template ("/v1/log/entries/{index}"), or "unmatched".
// The promotion gate's collectors are in promotionMetrics, the sequencer's
// batch histograms in SequencerMetrics.
type metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	promotion *promotionMetrics
}

// newMetrics registers the collectors in reg (a new registry with the Go and
// process collectors when nil), with seq's when not nil, and returns them
// with the registry.
func newMetrics(reg *prometheus.Registry, log *ledger.Log, seq *SequencerMetrics) (*metrics, *prometheus.Registry, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	labels := []string{"route", "method", "code"}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "assay_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "assay_http_request_duration_seconds", Help: "HTTP request latency by route, method and status code.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, labels),
		promotion: newPromotionMetrics(),
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "assay_ledger_size", Help: "Number of entries in the log's published tree.",
	}, func() float64 {
		n, _ := log.Head()
		return float64(n)
	})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "assay_sequencer_queue_depth", Help: "Appends waiting for the ledger's sequencer to take them into a batch.",
	}, func() float64 { return float64(log.QueueDepth()) })
	cs := append([]prometheus.Collector{m.requests, m.duration, size, depth}, m.promotion.collectors()...)
	if seq != nil {
		cs = append(cs, seq.collectors()...)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, nil, err
		}
	}
	return m, reg, nil
}

func (m *metrics) observe(route, method string, code int, d time.Duration) {
	c := strconv.Itoa(code)
	if !knownMethods[method] {
		method = "other" // a client must not grow the label set at will
	}
	m.requests.WithLabelValues(route, method, c).Inc()
	m.duration.WithLabelValues(route, method, c).Observe(d.Seconds())
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// statusWriter records the status code a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
