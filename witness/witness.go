// Package witness has the log's checkpoints countersigned by independent
// witnesses speaking C2SP tlog-witness: each witness checks that a new
// checkpoint is consistent with the last one it saw of this log and
// returns a C2SP tlog-cosignature. A log that showed two histories would
// need every witness to see only one of them, so a checkpoint cosigned by
// a quorum is evidence against a split view that an offline reader can
// check on its own.
//
// A Service submits the log's latest checkpoint to every witness on an
// interval, each witness in its own loop so that one down or slow never
// holds up the others, and never the log's appends. It keeps each
// witness's last cosigned size, recovers from a witness that knows another
// size (409) by sending the consistency proof from that size, and stores
// the cosignatures by size in the log's side data, so a restart serves the
// same witnessed checkpoint.
package witness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// Witness is one configured witness: where it takes submissions and the
// verifier key of its cosignatures.
type Witness struct {
	URL string // the submission prefix; the service POSTs to URL + "/add-checkpoint"
	Key string // name+hash+base64(0x04 || Ed25519 key), as litewitness prints it
	v   note.Verifier
}

// Name is the witness's name, the one in its cosignature lines.
func (w Witness) Name() string { return w.v.Name() }

// ParseSpec reads URL=VKEY. A verifier key holds no '=' (33 bytes are 44
// base64 digits without padding), so the spec is cut at the last one.
func ParseSpec(spec string) (Witness, error) {
	i := strings.LastIndex(spec, "=")
	if i <= 0 {
		return Witness{}, fmt.Errorf("witness %q: want URL=VKEY", spec)
	}
	u, k := strings.TrimRight(strings.TrimSpace(spec[:i]), "/"), strings.TrimSpace(spec[i+1:])
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return Witness{}, fmt.Errorf("witness %q: the URL must be http:// or https://", spec)
	}
	v, err := verifier.NewCosignatureVerifier(k)
	if err != nil {
		return Witness{}, err
	}
	return Witness{URL: u, Key: k, v: v}, nil
}

// ParseFile reads one URL=VKEY per line; blank lines and lines starting
// with '#' are skipped.
func ParseFile(path string) ([]Witness, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Witness
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		w, err := ParseSpec(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, w)
	}
	return out, sc.Err()
}

// Config configures a Service. Log and Witnesses are required.
type Config struct {
	Log       *ledger.Log
	Witnesses []Witness
	// Quorum is how many witnesses must cosign a checkpoint before it is
	// served; all of them when zero.
	Quorum int
	// Interval between submissions to each witness (DefaultInterval when
	// zero); Refresh is how long a cosignature of an unchanged checkpoint
	// stands before it is asked for again (DefaultRefresh when zero).
	Interval, Refresh time.Duration
	// Timeout bounds one submission (DefaultTimeout when zero).
	Timeout time.Duration
	Client  *http.Client // http.DefaultClient when nil
	Logger  *slog.Logger
	// Registerer receives the witness metrics when not nil.
	Registerer prometheus.Registerer
	Now        func() time.Time // time.Now when nil
}

// Defaults of Config.
const (
	DefaultInterval = 5 * time.Second
	DefaultRefresh  = time.Minute
	DefaultTimeout  = 10 * time.Second
)

// Status is what GET /v1/witnesses reports of one witness.
type Status = wire.WitnessStatus

// state is a witness's durable state, side key "witness/state/<name>".
type state struct {
	Size uint64    `json:"size"` // the size the witness last cosigned
	At   time.Time `json:"at"`   // when
}

// Side keys.
const (
	keyState      = "witness/state/"     // + name: state
	keyCosig      = "witness/cosig/"     // + size:8 + name: the cosignature line
	keyCheckpoint = "witness/checkpoint" // the latest checkpoint with its quorum, the note with every cosignature
)

// Service submits checkpoints to the witnesses and serves the latest one a
// quorum cosigned.
type Service struct {
	cfg     Config
	quorum  int
	log     *slog.Logger
	metrics *metrics

	mu        sync.Mutex
	status    []Status
	cosigs    map[uint64]map[string]string // size -> witness name -> cosignature line, above witnessed
	witnessed []byte                       // latest quorum checkpoint note
	wSize     uint64
}

// New returns a service with the state the log's side data holds.
func New(cfg Config) (*Service, error) {
	if cfg.Log == nil || len(cfg.Witnesses) == 0 {
		return nil, errors.New("witness: Config.Log and at least one witness are required")
	}
	q := cfg.Quorum
	if q == 0 {
		q = len(cfg.Witnesses)
	}
	if q < 1 || q > len(cfg.Witnesses) {
		return nil, fmt.Errorf("witness quorum %d of %d witnesses", cfg.Quorum, len(cfg.Witnesses))
	}
	names := map[string]bool{}
	for _, w := range cfg.Witnesses {
		if w.v == nil {
			return nil, fmt.Errorf("witness %s: not made with ParseSpec", w.URL)
		}
		if names[w.Name()] {
			return nil, fmt.Errorf("witness %s is configured twice", w.Name())
		}
		names[w.Name()] = true
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, quorum: q, log: cfg.Logger, cosigs: map[uint64]map[string]string{}}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	for _, w := range cfg.Witnesses {
		st := Status{Name: w.Name(), URL: w.URL, Key: w.Key}
		b, err := cfg.Log.Side([]byte(keyState + w.Name()))
		switch {
		case err == nil:
			var saved state
			if err := json.Unmarshal(b, &saved); err != nil {
				return nil, fmt.Errorf("witness %s state: %w", w.Name(), err)
			}
			st.CosignedSize = saved.Size
			st.LastSuccess = &saved.At
		case !errors.Is(err, ledger.ErrKeyNotFound):
			return nil, err
		}
		s.status = append(s.status, st)
	}
	cp, err := cfg.Log.Side([]byte(keyCheckpoint))
	switch {
	case err == nil:
		c, err := verifier.ReadCheckpoint(cp)
		if err != nil {
			return nil, fmt.Errorf("stored witnessed checkpoint: %w", err)
		}
		s.witnessed, s.wSize = cp, c.Size
	case !errors.Is(err, ledger.ErrKeyNotFound):
		return nil, err
	}
	s.observeLag()
	return s, nil
}

// Quorum is how many cosignatures a served checkpoint carries at least.
func (s *Service) Quorum() int { return s.quorum }

// Checkpoint returns the latest checkpoint a quorum of witnesses
// cosigned, the log's signed note followed by every cosignature line, or
// nil when no checkpoint has its quorum yet.
func (s *Service) Checkpoint() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.witnessed
}

// Statuses reports every witness, in configuration order.
func (s *Service) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.status)
}

// Run submits checkpoints to every witness until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range s.cfg.Witnesses {
		wg.Go(func() { s.loop(ctx, i) })
	}
	wg.Wait()
}

func (s *Service) loop(ctx context.Context, i int) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		s.Submit(ctx, i)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Submit sends the log's latest checkpoint to witness i, unless it
// cosigned that size less than Refresh ago, and records the outcome.
func (s *Service) Submit(ctx context.Context, i int) {
	w := s.cfg.Witnesses[i]
	cp := s.cfg.Log.Checkpoint()
	c, err := verifier.ReadCheckpoint(cp)
	if err != nil {
		s.fail(i, "internal", fmt.Errorf("the log's checkpoint: %w", err))
		return
	}
	s.mu.Lock()
	st := s.status[i]
	s.mu.Unlock()
	if st.LastSuccess != nil && st.CosignedSize == c.Size && s.cfg.Now().Sub(*st.LastSuccess) < s.cfg.Refresh {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	line, err := s.add(ctx, w, st.CosignedSize, c.Size, cp)
	s.metrics.latency.WithLabelValues(w.Name()).Observe(time.Since(start).Seconds())
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return // shutting down
		}
		var refusal *Refusal
		reason := "unreachable"
		if errors.As(err, &refusal) {
			reason = refusal.Reason
		}
		s.fail(i, reason, err)
		return
	}
	if err := s.record(i, c, cp, line); err != nil {
		s.fail(i, "internal", err)
	}
}

// Refusal is a witness's answer other than a cosignature.
type Refusal struct {
	Witness string
	Status  int
	Reason  string // conflict, split-view, unknown-log, bad-request, error
	Detail  string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("witness %s refused (%d %s): %s", r.Witness, r.Status, r.Reason, r.Detail)
}

// add runs the tlog-witness exchange: old size, consistency proof and
// checkpoint; on a 409 it retries once from the size the witness knows.
// It returns the witness's verified cosignature line.
func (s *Service) add(ctx context.Context, w Witness, old, size uint64, cp []byte) (string, error) {
	for attempt := 0; ; attempt++ {
		if old > size {
			return "", &Refusal{Witness: w.Name(), Status: http.StatusConflict, Reason: "split-view",
				Detail: fmt.Sprintf("the witness knows this log at size %d, beyond the log's %d: it was shown another history, or the log was rolled back", old, size)}
		}
		var proof [][]byte
		if old > 0 && old < size {
			var err error
			if proof, err = s.cfg.Log.ConsistencyProof(old, size); err != nil {
				return "", fmt.Errorf("consistency proof %d to %d: %w", old, size, err)
			}
		}
		body := fmt.Appendf(nil, "old %d\n", old)
		for _, h := range proof {
			body = base64.StdEncoding.AppendEncode(body, h)
			body = append(body, '\n')
		}
		body = append(append(body, '\n'), cp...)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL+"/add-checkpoint", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		resp, err := s.cfg.Client.Do(req)
		if err != nil {
			return "", fmt.Errorf("witness %s: %w", w.Name(), err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil {
			return "", fmt.Errorf("witness %s: %w", w.Name(), err)
		}
		detail := strings.TrimSpace(string(b))
		switch resp.StatusCode {
		case http.StatusOK:
			return cosignatureLine(w, cp, b)
		case http.StatusConflict:
			known, err := strconv.ParseUint(detail, 10, 64)
			if err != nil || attempt > 0 {
				return "", &Refusal{Witness: w.Name(), Status: resp.StatusCode, Reason: "conflict", Detail: detail}
			}
			old = known
			continue
		case http.StatusUnprocessableEntity:
			return "", &Refusal{Witness: w.Name(), Status: resp.StatusCode, Reason: "split-view",
				Detail: fmt.Sprintf("the consistency proof from size %d does not hold against the tree the witness saw at that size: it was shown another history (%s)", old, detail)}
		case http.StatusForbidden, http.StatusNotFound:
			return "", &Refusal{Witness: w.Name(), Status: resp.StatusCode, Reason: "unknown-log",
				Detail: fmt.Sprintf("the witness does not know this log's origin or key (%s)", detail)}
		case http.StatusBadRequest:
			return "", &Refusal{Witness: w.Name(), Status: resp.StatusCode, Reason: "bad-request", Detail: detail}
		default:
			return "", &Refusal{Witness: w.Name(), Status: resp.StatusCode, Reason: "error", Detail: detail}
		}
	}
}

// cosignatureLine picks w's signature line out of a witness answer and
// checks it against cp's text with w's key.
func cosignatureLine(w Witness, cp, answer []byte) (string, error) {
	for line := range strings.Lines(string(answer)) {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "—" || f[1] != w.Name() {
			continue
		}
		full := append([]byte(verifier.NoteText(cp)+"\n"), line...)
		if !strings.HasSuffix(line, "\n") {
			full = append(full, '\n')
		}
		if _, err := note.Open(full, note.VerifierList(w.v)); err != nil {
			return "", &Refusal{Witness: w.Name(), Status: http.StatusOK, Reason: "bad-cosignature",
				Detail: fmt.Sprintf("its cosignature does not verify with %s: %v", w.Key, err)}
		}
		return strings.TrimSuffix(line, "\n"), nil
	}
	return "", &Refusal{Witness: w.Name(), Status: http.StatusOK, Reason: "bad-cosignature",
		Detail: fmt.Sprintf("no cosignature line by %s in %q", w.Name(), answer)}
}

// record stores witness i's cosignature of checkpoint c and serves c when
// it now has its quorum.
func (s *Service) record(i int, c verifier.Checkpoint, cp []byte, line string) error {
	w := s.cfg.Witnesses[i]
	now := s.cfg.Now()
	key := binary.BigEndian.AppendUint64([]byte(keyCosig), c.Size)
	if err := s.cfg.Log.PutSide(append(key, w.Name()...), []byte(line)); err != nil {
		return err
	}
	b, _ := json.Marshal(state{Size: c.Size, At: now})
	if err := s.cfg.Log.PutSide([]byte(keyState+w.Name()), b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.status[i]
	st.CosignedSize, st.LastSuccess = c.Size, &now
	if c.Size < s.wSize {
		return nil // an older checkpoint's cosignature: stored, not served
	}
	got := s.cosigs[c.Size]
	if got == nil {
		got = map[string]string{}
		s.cosigs[c.Size] = got
	}
	got[w.Name()] = line
	if len(got) < s.quorum {
		s.observeLagLocked()
		return nil
	}
	out := slices.Clone(cp)
	for _, o := range s.cfg.Witnesses { // configuration order
		if l, ok := got[o.Name()]; ok {
			out = append(append(out, l...), '\n')
		}
	}
	if err := s.cfg.Log.PutSide([]byte(keyCheckpoint), out); err != nil {
		return err
	}
	s.witnessed, s.wSize = out, c.Size
	for size := range s.cosigs {
		if size < c.Size {
			delete(s.cosigs, size)
		}
	}
	s.observeLagLocked()
	return nil
}

func (s *Service) fail(i int, reason string, err error) {
	w := s.cfg.Witnesses[i]
	now := s.cfg.Now()
	s.metrics.failures.WithLabelValues(w.Name(), reason).Inc()
	s.log.Warn("witness submission failed", "witness", w.Name(), "reason", reason, "error", err)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.status[i]
	st.LastError, st.LastErrorAt = err.Error(), &now
	st.Failures++
	s.observeLagLocked()
}

func (s *Service) observeLag() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observeLagLocked()
}

// observeLagLocked sets each witness's lag: the log's size less the size
// it last cosigned.
func (s *Service) observeLagLocked() {
	size, _ := s.cfg.Log.Head()
	for _, st := range s.status {
		s.metrics.lag.WithLabelValues(st.Name).Set(float64(size - min(size, st.CosignedSize)))
	}
	s.metrics.witnessed.Set(float64(s.wSize))
}

type metrics struct {
	latency   *prometheus.HistogramVec
	failures  *prometheus.CounterVec
	lag       *prometheus.GaugeVec
	witnessed prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "assay_witness_request_seconds",
			Help: "Time of one add-checkpoint exchange with a witness, answered or not.", Buckets: prometheus.DefBuckets}, []string{"witness"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "assay_witness_failures_total",
			Help: "Submissions a witness did not cosign, by reason: unreachable, conflict, split-view, unknown-log, bad-request, bad-cosignature, error, internal."}, []string{"witness", "reason"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "assay_witness_lag_entries",
			Help: "The log's size less the size of the last checkpoint the witness cosigned."}, []string{"witness"}),
		witnessed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "assay_witnessed_size",
			Help: "Size of the latest checkpoint a quorum of witnesses cosigned (the one served)."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.latency, m.failures, m.lag, m.witnessed} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
