package httpapi

import (
	"net/http"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// Scopes of the package, object and store routes.
const (
	ScopePackagesWrite = "packages:write" // create packages, upload files, finalize
	ScopePackagesRead  = "packages:read"  // list and show packages, manifests, download files
	ScopeObjectsWrite  = "objects:write"  // put objects by key
	ScopeObjectsRead   = "objects:read"   // get, head and list objects
	ScopeStoreAdmin    = "store:admin"    // backend status and scrub
)

// DefaultMaxUpload caps an upload request body when CatalogConfig.MaxUpload
// is zero.
const DefaultMaxUpload = 64 << 30

// BackendInfo describes the configured content store for GET /v1/backends;
// Settings holds public settings only, never credentials.
type BackendInfo struct {
	Name     string         `json:"name"`
	Kind     string         `json:"kind"` // "local" or "s3"
	Settings map[string]any `json:"settings"`
}

// CatalogConfig configures the package, object and store routes.
type CatalogConfig struct {
	Service   *catalog.Service
	Backend   BackendInfo
	MaxUpload int64 // request body cap of uploads; DefaultMaxUpload when zero
}

// HandleCatalog registers the package, file, object and store routes:
//
//	POST /v1/packages                      packages:write  create (JSON)
//	GET  /v1/packages?producer=&subject=&run_id=&status=&cursor=&limit=  packages:read
//	GET  /v1/packages/{id}                 packages:read
//	POST /v1/packages/{id}/files           packages:write  multipart upload
//	POST /v1/packages/{id}/finalize        packages:write
//	GET  /v1/packages/{id}/manifest        packages:read
//	GET  /v1/files/{file_id}/download      packages:read   streamed, Range
//	PUT  /v1/objects/raw/{key...}          objects:write
//	GET  /v1/objects/{zone}/{key...}?version=N  objects:read  streamed, Range (HEAD too)
//	GET  /v1/objects/{zone}?prefix=&cursor=&limit=  objects:read
//	GET  /v1/object-versions/{zone}/{key...}?cursor=&limit=  objects:read  every version
//	GET  /v1/backends                      store:admin
//	GET  /health/store                     public: 200, or 503 when the store is down
//	POST /v1/store/scrub?full=             store:admin
//	GET  /v1/blobs/{digest}                log:audit       a blob by address (HEAD too)
//	GET  /v1/cas/{tenant}/{key...}         log:audit       what cas://key names for tenant
//
// Every read serves the caller's tenant only.
func (s *Server) HandleCatalog(cfg CatalogConfig) {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	h := &catalogRoutes{s: s, svc: cfg.Service, cat: cfg.Service.Catalog, backend: cfg.Backend}
	s.Handle(http.MethodPost, "/v1/packages", ScopePackagesWrite, h.createPackage, MaxBody(4*catalog.MaxMetadata))
	s.Handle(http.MethodGet, "/v1/packages", ScopePackagesRead, h.listPackages)
	s.Handle(http.MethodGet, "/v1/packages/{id}", ScopePackagesRead, h.getPackage)
	s.Handle(http.MethodPost, "/v1/packages/{id}/files", ScopePackagesWrite, h.uploadFiles, MaxBody(cfg.MaxUpload))
	s.Handle(http.MethodPost, "/v1/packages/{id}/finalize", ScopePackagesWrite, h.finalize)
	s.Handle(http.MethodGet, "/v1/packages/{id}/manifest", ScopePackagesRead, h.manifest)
	s.Handle(http.MethodGet, "/v1/packages/{id}/timeline", ScopePackagesRead, h.packageTimeline)
	s.HandleHTTP(http.MethodGet, "/v1/files/{file_id}/download", ScopePackagesRead, http.HandlerFunc(h.downloadFile))
	s.Handle(http.MethodPut, "/v1/objects/raw/{key:.+}", ScopeObjectsWrite, h.putObject, MaxBody(cfg.MaxUpload))
	s.HandleHTTP(http.MethodGet, "/v1/objects/{zone}/{key:.+}", ScopeObjectsRead, http.HandlerFunc(h.getObject))
	s.HandleHTTP(http.MethodHead, "/v1/objects/{zone}/{key:.+}", ScopeObjectsRead, http.HandlerFunc(h.getObject))
	s.Handle(http.MethodGet, "/v1/objects/{zone}", ScopeObjectsRead, h.listObjects)
	s.Handle(http.MethodGet, "/v1/object-versions/{zone}/{key:.+}", ScopeObjectsRead, h.listVersions)
	s.Handle(http.MethodGet, "/v1/backends", ScopeStoreAdmin, h.backends)
	s.Handle(http.MethodGet, "/health/store", PublicScope, h.storeHealth)
	s.Handle(http.MethodPost, "/v1/store/scrub", ScopeStoreAdmin, h.scrub)
	h.registerBlobRoutes()
}

type catalogRoutes struct {
	s       *Server
	svc     *catalog.Service
	cat     *catalog.Catalog
	backend BackendInfo
}

// caller returns the authenticated identity of r.
func caller(r *http.Request) Identity {
	id, _ := IdentityFrom(r.Context())
	return id
}
