package promotion

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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

// Promotions lists the tenant's promotions in request order, those of
// status only unless it is empty, paged like Objects.
func (s *Service) Promotions(ctx context.Context, tenant, status, cursor string, limit int) ([]Promotion, string, error) {
	if status != "" && !slices.Contains([]string{StatusRequested, StatusRunning, StatusCompleted, StatusFailed}, status) {
		return nil, "", fmt.Errorf("%w: status %q: want %s, %s, %s or %s", ErrInvalidRequest, short(status), StatusRequested, StatusRunning, StatusCompleted, StatusFailed)
	}
	out := []Promotion{}
	next, err := s.page(ctx, requestListPrefix(tenant), cursor, limit, func(v []byte) (bool, error) {
		p, err := s.Promotion(tenant, string(v))
		if err != nil || status != "" && p.Status != status {
			return false, err
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

// Quarantine lists the tenant's quarantine items whose keys start with
// prefix, of status only unless it is empty, in key order, paged like
// Objects.
func (s *Service) Quarantine(ctx context.Context, tenant, prefix, status, cursor string, limit int) ([]Item, string, error) {
	if status != "" && !slices.Contains([]string{ItemPending, ItemApproved, ItemRejected, ItemRetried}, status) {
		return nil, "", fmt.Errorf("%w: status %q: want %s, %s, %s or %s", ErrInvalidRequest, short(status), ItemPending, ItemApproved, ItemRejected, ItemRetried)
	}
	out := []Item{}
	base := itemListPrefix(tenant)
	next, err := s.pageFrom(ctx, base, append(bytes.Clone(base), prefix...), cursor, limit, func(v []byte) (bool, error) {
		it, err := s.Item(tenant, string(v))
		if err != nil || status != "" && it.Status != status {
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
