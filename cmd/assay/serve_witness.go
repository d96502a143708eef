package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
	"github.com/assay-ledger/assay/witness"
)

// witnessFlags are serve's flags for witness cosigning (package witness).
type witnessFlags struct {
	specs             []string // URL=VKEY
	file              string
	quorum            int
	interval, refresh time.Duration
}

func (w *witnessFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&w.specs, "witness", nil,
		"submit checkpoints to the C2SP tlog-witness at URL (its submission prefix; POST URL/add-checkpoint) whose cosignatures verify with VKEY, as URL=VKEY; repeatable")
	f.StringVar(&w.file, "witness-file", envOr("ASSAY_WITNESS_FILE", ""), "read more witnesses from FILE, one URL=VKEY a line ('#' comments) [ASSAY_WITNESS_FILE]")
	f.IntVar(&w.quorum, "witness-quorum", 0, "serve the latest checkpoint that this many witnesses cosigned (default: all of them)")
	f.DurationVar(&w.interval, "witness-interval", witness.DefaultInterval, "time between submissions to each witness")
	f.DurationVar(&w.refresh, "witness-refresh", witness.DefaultRefresh, "ask again for a cosignature of an unchanged checkpoint after this long")
}

// witnesses parses the configured witnesses without contacting any.
func (w *witnessFlags) witnesses() ([]witness.Witness, error) {
	var out []witness.Witness
	for _, s := range w.specs {
		v, err := witness.ParseSpec(s)
		if err != nil {
			return nil, fmt.Errorf("--witness: %w", err)
		}
		out = append(out, v)
	}
	if w.file != "" {
		more, err := witness.ParseFile(w.file)
		if err != nil {
			return nil, fmt.Errorf("--witness-file: %w", err)
		}
		out = append(out, more...)
	}
	seen := map[string]bool{}
	for _, v := range out {
		if seen[v.Name()] {
			return nil, fmt.Errorf("witness %s is configured twice", v.Name())
		}
		seen[v.Name()] = true
	}
	if len(out) == 0 && w.quorum != 0 {
		return nil, errors.New("--witness-quorum needs --witness or --witness-file")
	}
	if w.quorum < 0 || w.quorum > len(out) {
		return nil, fmt.Errorf("--witness-quorum %d of %d witnesses", w.quorum, len(out))
	}
	if w.interval <= 0 || w.refresh <= 0 {
		return nil, errors.New("--witness-interval and --witness-refresh must be positive")
	}
	return out, nil
}

// service returns the witness service, or nil without witnesses.
func (w *witnessFlags) service(lg *ledger.Log, ws []witness.Witness, reg prometheus.Registerer, logger *slog.Logger) (*witness.Service, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	return witness.New(witness.Config{Log: lg, Witnesses: ws, Quorum: w.quorum, Interval: w.interval, Refresh: w.refresh,
		Registerer: reg, Logger: logger.With("component", "witness")})
}

// runWitnesses runs svc until the returned stop (nothing when svc is nil).
func runWitnesses(ctx context.Context, svc *witness.Service) (stop func()) {
	if svc == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// witnessRequirement is the readers' flags: the witness keys whose
// cosignatures a checkpoint must carry, and how many.
type witnessRequirement struct {
	keys   []string
	quorum int
}

func (w *witnessRequirement) register(f *pflag.FlagSet) {
	f.StringArrayVar(&w.keys, "witness", nil, "require cosignatures by the witness with this verifier key (name+hash+key, or @FILE holding it); repeatable")
	f.IntVar(&w.quorum, "witness-quorum", 0, "how many of the --witness keys must cosign (default: all)")
}

// value checks the flags and returns what to require.
func (w *witnessRequirement) value() (verifier.Witnesses, error) {
	out := verifier.Witnesses{Quorum: w.quorum}
	for _, k := range w.keys {
		k, err := readKeyArg(k)
		if err != nil {
			return out, err
		}
		if _, err := verifier.NewCosignatureVerifier(k); err != nil {
			return out, fmt.Errorf("--witness: %w", err)
		}
		out.Keys = append(out.Keys, k)
	}
	if w.quorum < 0 || w.quorum > len(out.Keys) {
		return out, fmt.Errorf("--witness-quorum %d of %d --witness keys", w.quorum, len(out.Keys))
	}
	return out, nil
}

// witnessPolicy is the witnesses' part of policy.applied: their keys and
// URLs and the quorum a served checkpoint carries.
func witnessPolicy(ws []witness.Witness, quorum int) map[string]any {
	if quorum == 0 {
		quorum = len(ws)
	}
	list := make([]map[string]string, 0, len(ws))
	for _, w := range ws {
		list = append(list, map[string]string{"name": w.Name(), "url": w.URL, "key": w.Key})
	}
	return map[string]any{"quorum": quorum, "witnesses": list}
}
