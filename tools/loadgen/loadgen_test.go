package loadgen

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsAnswers(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	res := Run(t.Context(), Config{Clients: 8, Duration: time.Minute, Want: http.StatusCreated,
		Next: func(i int) (Request, bool) {
			return Request{Method: http.MethodPost, URL: srv.URL, Body: []byte("x")}, i < 100
		}})
	if res.Requests != 90 || res.Errors != 10 || !strings.Contains(res.FirstErr.Error(), "status 409") {
		t.Fatalf("result %+v, want 90 answered and 10 errors", res)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Rate() <= 0 {
		t.Fatalf("latencies %v %v, rate %v", res.P50, res.P99, res.Rate())
	}
}

// TestRunRedialsClosedConnections: a server that closes the connection
// after some answers costs the run nothing but a new connection.
func TestRunRedialsClosedConnections(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1)%3 == 0 {
			w.Header().Set("Connection", "close")
		}
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res := Run(t.Context(), Config{Clients: 4, Duration: time.Minute, Want: http.StatusOK,
		Next: func(i int) (Request, bool) {
			return Request{Method: http.MethodPost, URL: srv.URL + "/add?x=1", Header: http.Header{"X-A": {"b"}}, Body: []byte("x")}, i < 60
		}})
	if res.Requests != 60 || res.Errors != 0 {
		t.Fatalf("result %+v, want 60 answered", res)
	}
}
