package promotion

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Promotion returns the tenant's promotion id.
func (s *Service) Promotion(tenant, id string) (*Promotion, error) {
	var p Promotion
	err := s.getJSON(requestKey(id), &p)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && p.Tenant != tenant {
		return nil, fmt.Errorf("%w: %q", ErrPromotionNotFound, short(id))
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Objects lists the objects of the tenant's promotion id with their checks
// and outcomes, in source key order, at most limit after cursor.
func (s *Service) Objects(ctx context.Context, tenant, id, cursor string, limit int) ([]Progress, string, error) {
	if _, err := s.Promotion(tenant, id); err != nil {
		return nil, "", err
	}
	out := []Progress{}
	next, err := s.page(ctx, progressPrefix(id), cursor, limit, func(v []byte) (bool, error) {
		var pr Progress
		if err := json.Unmarshal(v, &pr); err != nil {
			return false, err
		}
		out = append(out, pr)
		return true, nil
	})
	return out, next, err
}

// PromotionFilter selects promotions: Status (requested, running,
// completed, failed) when set, and Prefix, a raw key prefix ("raw/" is
// optional), when set: a promotion whose source lies under Prefix, or whose
// source prefix holds Prefix, matches.
type PromotionFilter struct {
	Status, Prefix string
}

// Promotions lists the tenant's promotions in request order, those f
// selects, paged like Objects.
func (s *Service) Promotions(ctx context.Context, tenant string, f PromotionFilter, cursor string, limit int) ([]Promotion, string, error) {
	if f.Status != "" && !slices.Contains([]string{StatusRequested, StatusRunning, StatusCompleted, StatusFailed}, f.Status) {
		return nil, "", fmt.Errorf("%w: status %q: want %s, %s, %s or %s", ErrInvalidRequest, short(f.Status), StatusRequested, StatusRunning, StatusCompleted, StatusFailed)
	}
	prefix := strings.TrimPrefix(f.Prefix, catalog.ZoneRaw+"/")
	out := []Promotion{}
	next, err := s.page(ctx, requestListPrefix(tenant), cursor, limit, func(v []byte) (bool, error) {
		p, err := s.Promotion(tenant, string(v))
		if err != nil || f.Status != "" && p.Status != f.Status {
			return false, err
		}
		if src := strings.TrimPrefix(p.Source, catalog.ZoneRaw+"/"); prefix != "" && !strings.HasPrefix(src, prefix) &&
			!(strings.HasSuffix(src, "/") && strings.HasPrefix(prefix, src)) {
			return false, nil
		}
		out = append(out, *p)
		return true, nil
	})
	return out, next, err
}

// Item returns the tenant's quarantine item id.
func (s *Service) Item(tenant, id string) (*Item, error) {
	var it Item
	err := s.getJSON(itemKey(id), &it)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && it.Tenant != tenant {
		return nil, fmt.Errorf("%w: %q", ErrItemNotFound, short(id))
	}
	if err != nil {
		return nil, err
	}
	return &it, nil
}

// QuarantineFilter selects quarantine items: by the golden key they would
// get (Prefix), and when set by Status (pending, approved, rejected,
// retried), Tier and Reason (the failed check's reason code).
type QuarantineFilter struct {
	Prefix, Status, Tier, Reason string
}

// Quarantine lists the tenant's quarantine items f selects, in key order,
// paged like Objects.
func (s *Service) Quarantine(ctx context.Context, tenant string, f QuarantineFilter, cursor string, limit int) ([]Item, string, error) {
	if f.Status != "" && !slices.Contains([]string{ItemPending, ItemApproved, ItemRejected, ItemRetried}, f.Status) {
		return nil, "", fmt.Errorf("%w: status %q: want %s, %s, %s or %s", ErrInvalidRequest, short(f.Status), ItemPending, ItemApproved, ItemRejected, ItemRetried)
	}
	if f.Tier != "" && !slices.Contains([]string{TierBasic, TierSigned, TierMasked}, f.Tier) {
		return nil, "", fmt.Errorf("%w: tier %q: want %s, %s or %s", ErrInvalidRequest, short(f.Tier), TierBasic, TierSigned, TierMasked)
	}
	if f.Reason != "" && !reasonPattern.MatchString(f.Reason) {
		return nil, "", fmt.Errorf("%w: reason %q: want a reason code such as %s", ErrInvalidRequest, short(f.Reason), ReasonDigestMismatch)
	}
	out := []Item{}
	base := itemListPrefix(tenant)
	next, err := s.pageFrom(ctx, base, append(bytes.Clone(base), f.Prefix...), cursor, limit, func(v []byte) (bool, error) {
		it, err := s.Item(tenant, string(v))
		if err != nil || f.Status != "" && it.Status != f.Status || f.Tier != "" && it.Tier != f.Tier || f.Reason != "" && it.Reason != f.Reason {
			return false, err
		}
		out = append(out, *it)
		return true, nil
	})
	return out, next, err
}

func (s *Service) getJSON(key []byte, v any) error {
	b, err := s.log.Projection(key)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *Service) page(ctx context.Context, base []byte, cursor string, limit int, take func(v []byte) (bool, error)) (string, error) {
	return s.pageFrom(ctx, base, base, cursor, limit, take)
}

// pageFrom scans the keys under scan (which starts with base) after
// cursor, calling take for each value; take says whether it kept the item.
// It stops after limit kept items and returns the cursor of the last key
// visited (its part after base) when more may follow.
func (s *Service) pageFrom(ctx context.Context, base, scan []byte, cursor string, limit int, take func(v []byte) (bool, error)) (string, error) {
	if limit <= 0 || limit > catalog.MaxPage {
		limit = catalog.MaxPage
	}
	var after []byte
	if cursor != "" {
		suffix, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return "", fmt.Errorf("%w: %q", catalog.ErrInvalidCursor, short(cursor))
		}
		after = append(bytes.Clone(base), suffix...)
		if bytes.Compare(after, scan) < 0 {
			after = nil
		}
	}
	kept, next := 0, ""
	err := s.log.ScanProjections(ctx, scan, after, func(k, v []byte) (bool, error) {
		if kept == limit {
			return false, nil
		}
		ok, err := take(v)
		if ok {
			kept++
		}
		if kept == limit {
			next = base64.RawURLEncoding.EncodeToString(k[len(base):])
		}
		return err == nil, err
	})
	return next, err
}
