package httpapi

import (
	"time"
)

// TokenInfo describes a token for listing: everything in its record but the
// hash, its state and when it was last used. It never holds the token or
// its hash, so it can be shown and logged freely.
type TokenInfo struct {
	Name     string     `json:"name"`
	Tenant   string     `json:"tenant"`
	Scopes   []string   `json:"scopes"`
	Created  time.Time  `json:"created"`
	Expires  time.Time  `json:"expires,omitzero"`   // zero: never
	Revoked  time.Time  `json:"revoked,omitzero"`   // zero: not revoked
	LastUsed time.Time  `json:"last_used,omitzero"` // zero: never used, or not flushed yet
	State    TokenState `json:"state"`
}

// ListTokens describes the tokens of the token file at path in file order,
// with their state at now and their last use as the server last flushed it
// to the sidecar file (TokenUsedFile). A recorded use older than the
// token's creation belongs to an earlier token of the same name and is
// left out.
func ListTokens(path string, now time.Time) ([]TokenInfo, error) {
	recs, err := ReadTokenFile(path)
	if err != nil {
		return nil, err
	}
	used, err := ReadTokenUsed(path)
	if err != nil {
		return nil, err
	}
	infos := make([]TokenInfo, len(recs))
	for i, r := range recs {
		infos[i] = TokenInfo{Name: r.Name, Tenant: r.Tenant, Scopes: r.Scopes, Created: r.Created,
			Expires: r.Expires, Revoked: r.Revoked, State: r.State(now)}
		if at := used[r.Name]; !at.Before(r.Created) {
			infos[i].LastUsed = at
		}
	}
	return infos, nil
}
