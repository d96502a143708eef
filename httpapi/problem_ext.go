package httpapi

import (
	"encoding/json"
	"maps"
)

// MarshalJSON writes the standard members and the extension members; an
// extension cannot replace a standard member.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type std Problem // without the methods, so this does not recurse
	if len(p.Extensions) == 0 {
		return json.Marshal((*std)(p))
	}
	m := make(map[string]any, len(p.Extensions)+4)
	maps.Copy(m, p.Extensions)
	m["type"], m["title"], m["status"] = p.Type, p.Title, p.Status
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	return json.Marshal(m)
}
