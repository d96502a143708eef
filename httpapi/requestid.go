package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// maxRequestIDLen bounds an incoming X-Request-Id: long enough for a UUID,
// a W3C trace id or a load balancer's id with a prefix, short enough that a
// client cannot bloat every log line.
const maxRequestIDLen = 128

// requestID returns the id of the request: the client's X-Request-Id when it
// sent exactly one well-formed value (1 to maxRequestIDLen of letters,
// digits and "-._:"), so that its logs and ours can be joined; otherwise a
// new random 128-bit id in hex. An ill-formed value is replaced rather than
// refused: an id is for correlation and must never fail a request.
func requestID(r *http.Request) string {
	if vs := r.Header.Values(wire.RequestIDHeader); len(vs) == 1 && validRequestID(vs[0]) {
		return vs[0]
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(b[:])
}

func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}

// RequestIDFrom returns the id of the request whose context is ctx (see
// requestID), for handlers that log on their own; "" outside a request.
func RequestIDFrom(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// requestIDHandler adds the request id of the record's context, when it
// has one, to every record the server logs: the request line, a 500's
// cause and any handler's WarnContext about the request all carry the same
// request_id, which the client saw in X-Request-Id.
type requestIDHandler struct{ next slog.Handler }

func (h requestIDHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.next.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.next.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.next.WithGroup(name)}
}
