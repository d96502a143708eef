package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// registerGoldenRoutes adds the status route of the promotion gate:
//
//	GET /v1/object-status/{zone}/{key...}  objects:read  where the object stands, with the ledger indexes of each step
//
// and makes GET /v1/objects/golden list each object with its verification
// (goldenPage).
func (s *Server) registerGoldenRoutes(svc *promotion.Service) {
	s.promotions = svc
	s.Handle(http.MethodGet, wire.ObjectStatusPath+"/{zone}/{key:.+}", ScopeObjectsRead, s.objectStatus)
}

func (s *Server) objectStatus(r *http.Request) (any, error) {
	v := mux.Vars(r)
	if err := checkZone(v["zone"]); err != nil {
		return nil, err
	}
	if err := catalog.ValidatePath(v["key"]); err != nil {
		return nil, err
	}
	return s.promotions.ObjectStatus(r.Context(), caller(r).Tenant, v["zone"], v["key"])
}

// goldenPage is a page of golden objects with the verification their
// metadata records (written by the gate's Appliers) and the layout.
func (s *Server) goldenPage(objs []catalog.Object, next string) (wire.GoldenPage, error) {
	page := wire.GoldenPage{Objects: make([]wire.GoldenObject, 0, len(objs)), Layout: []string{}, NextCursor: next}
	if s.promotions != nil {
		page.Layout = append(page.Layout, s.promotions.Layout()...)
	}
	for _, o := range objs {
		g := wire.GoldenObject{Object: o}
		var m struct {
			Promotion *promotion.GoldenMeta `json:"promotion"`
			Masking   *promotion.MaskMeta   `json:"masking"`
		}
		if err := json.Unmarshal(o.Metadata, &m); err != nil {
			return page, err
		}
		if p := m.Promotion; p != nil {
			g.Verification = &wire.Verification{Status: "verified", Tier: p.Tier, ProofKey: p.ProofKey, ProofDigest: p.ProofDigest,
				SourceKey: p.SourceKey, PromotionID: p.PromotionID, DecisionIndex: p.DecisionIndex,
				QuarantineID: p.QuarantineID, ApprovedIndex: p.ApprovedIndex, Masking: m.Masking}
			if p.ApprovedIndex != 0 {
				g.Verification.Status = "approved"
			}
		}
		page.Objects = append(page.Objects, g)
	}
	return page, nil
}
