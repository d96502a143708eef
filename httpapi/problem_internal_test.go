package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
)

// TestKindStatus holds each kind of domain error to its HTTP status, and
// checks that the problem of an internal or unavailable error keeps its
// cause from the client.
func TestKindStatus(t *testing.T) {
	tests := []struct {
		kind   ledger.Kind
		status int
		hidden bool
	}{
		{ledger.KindInvalid, http.StatusBadRequest, false},
		{ledger.KindUnprocessable, http.StatusUnprocessableEntity, false},
		{ledger.KindConflict, http.StatusConflict, false},
		{ledger.KindNotFound, http.StatusNotFound, false},
		{ledger.KindTooLarge, http.StatusRequestEntityTooLarge, false},
		{ledger.KindForbidden, http.StatusForbidden, false},
		{ledger.KindUnavailable, http.StatusServiceUnavailable, true},
		{ledger.KindRangeNotSatisfiable, http.StatusRequestedRangeNotSatisfiable, false},
		{ledger.KindStorageFull, http.StatusInsufficientStorage, false},
		{ledger.KindInternal, http.StatusInternalServerError, true},
		{ledger.KindGone, http.StatusGone, false},
	}
	sentinel := errors.New("sentinel")
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			err := fmt.Errorf("%w: secret /var/lib/path", sentinel)
			p := specProblem(ledger.ErrorSpec{Err: sentinel, Kind: tt.kind, Slug: "s"}, err)
			if p.Status != tt.status || p.Type != wire.ProblemBase+"s" || p.Title == "" {
				t.Fatalf("problem %+v, want status %d and type s", p, tt.status)
			}
			if hidden := p.Detail != err.Error(); hidden != tt.hidden {
				t.Fatalf("detail %q: hidden %v, want %v", p.Detail, hidden, tt.hidden)
			}
			if !errors.Is(p, sentinel) {
				t.Fatal("the problem does not wrap its cause")
			}
		})
	}
	if len(tests) != len(kindStatus) {
		t.Fatalf("%d kinds tested, %d mapped", len(tests), len(kindStatus))
	}
}
