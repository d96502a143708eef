package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/events"
	"github.com/assay-ledger/assay/ledger/exports"
)

// exportFlags configure job-export signature checking: which keys each
// tenant trusts and which tenants must sign. The resulting policy (public
// keys only) goes into the log's policy.applied entry.
type exportFlags struct {
	trusted  []string // TENANT=FILE.vkey
	required []string // TENANT
}

func (e *exportFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&e.trusted, "export-trust", nil,
		"trust a DSSE key for a tenant's job exports: TENANT=FILE.vkey (a verifier key from `assay keys generate`; its name is the keyId); repeatable")
	f.StringArrayVar(&e.required, "export-require-signatures", nil,
		"refuse unsigned job exports of TENANT; repeatable")
}

// trust builds the signature policy from the flags.
func (e *exportFlags) trust() (*exports.Trust, error) {
	t := exports.NewTrust()
	for _, v := range e.trusted {
		tenant, path, ok := strings.Cut(v, "=")
		if !ok || tenant == "" || path == "" {
			return nil, fmt.Errorf("--export-trust %q: want TENANT=FILE.vkey", v)
		}
		vkey, err := readKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("--export-trust %s: %w", v, err)
		}
		if err := t.AddKey(tenant, vkey); err != nil {
			return nil, fmt.Errorf("--export-trust %s: %w", v, err)
		}
	}
	for _, tenant := range e.required {
		if tenant == "" {
			return nil, fmt.Errorf("--export-require-signatures: empty tenant")
		}
		t.RequireSignatures(tenant)
	}
	return t, nil
}

// registerExports adds the job-export routes, with an event bus for
// orchestrator.export.created and store for the payloads of exports too
// large for a ledger entry.
func registerExports(api *httpapi.Server, lg *ledger.Log, trust *exports.Trust, store cas.Store) error {
	st, err := exports.NewService(exports.ServiceConfig{Log: lg, Trust: trust, Bus: events.NewBus(0), Store: store})
	if err != nil {
		return err
	}
	api.HandleExports(st)
	return nil
}
