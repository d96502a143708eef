package httpapi

import (
	"net/http"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/verifier"
)

// maxPermitBody caps a verify-and-permit-upload request: its proof
// (promotion.MaxPermitProof) and digests and keys.
const maxPermitBody = promotion.MaxPermitProof + 32<<10

// permit answers POST /v1/verify-and-permit-upload: the decision, permitted
// or denied, with its entry and inclusion proof. A denial is an answer
// (200), not an error.
func (h promotionRoutes) permit(r *http.Request) (any, error) {
	var req wire.PermitRequest
	if err := decodePromotionBody(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	b, a, err := h.svc.Permit(r.Context(), id.Name, id.Tenant, promotion.PermitRequest{Tier: req.Tier, Digests: req.Digests,
		Keys: req.Keys, Proof: req.Proof})
	if err != nil {
		return nil, err
	}
	return wire.PermitResponse{Permitted: b.PermissionID != "", PermissionID: b.PermissionID, Reason: b.Reason, Type: a.Record.Type,
		Index: a.Record.Index, LeafHash: verifier.LeafHash(a.Record.Bytes), Entry: a.Record.Bytes, TreeSize: a.TreeSize,
		Checkpoint: string(a.Checkpoint), InclusionProof: wire.Hashes(a.Proof)}, nil
}
