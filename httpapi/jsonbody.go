package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Errors of readObject: a body that is not exactly one JSON object of the
// request type, and, within those, one with a member the type does not
// define. Routes wrap them in their domain's sentinels.
var (
	errNotObject     = errors.New("not one JSON object")
	errUnknownMember = errors.New("unknown member")
)

// readObject reads the request body (capped by the route's MaxBody) as
// exactly one JSON object into v, refusing members v does not define and
// data after the object. A read error (a body over its cap, say) is
// returned as it is; a body that is not such an object wraps errNotObject,
// and one with an unknown member errUnknownMember too.
func readObject(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err != nil && strings.HasPrefix(err.Error(), "json: unknown field") {
		return fmt.Errorf("%w: %w: %w", errNotObject, errUnknownMember, err)
	}
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	if err == nil && !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
		err = errors.New("not an object")
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errNotObject, err)
	}
	return nil
}
