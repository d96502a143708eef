package retention

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// fixture is a real ledger with the catalog and retention modules, the
// services over it and the clock both the log and the services read.
type fixture struct {
	t     *testing.T
	clock *ledgertest.Clock
	log   *ledger.Log
	cat   *catalog.Service
	svc   *Service
	store trashStore
	// storeRoot is the local store's directory ("" on versitygw).
	storeRoot string
	// On versitygw: the server, the bucket (created with object lock) and
	// the S3 store on it.
	gw     *castest.VersityGW
	bucket string
	s3     *s3.Store
	del    *Deleter
}

// trashStore is a content store with a trash, as deletions need.
type trashStore interface {
	cas.Store
	cas.Trasher
}

// backend names the content store a fixture runs on.
type backend string

const (
	onLocal     backend = "local"
	onVersityGW backend = "versitygw"
)

// backends are the content stores tests that touch bytes run on.
var backends = []backend{onLocal, onVersityGW}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, onLocal)
}

// newFixtureOn makes a fixture whose content store is b: a local store in
// a temporary directory, or an S3 store with object lock on a fresh
// versitygw bucket created with object lock (so versioned), its clock
// then starting at the real time.
func newFixtureOn(t *testing.T, b backend) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: ledgertest.NewClock()}
	f.log = f.open(filepath.Join(t.TempDir(), "ledger"))
	var err error
	var lock cas.Locker
	switch b {
	case onLocal:
		f.storeRoot = filepath.Join(t.TempDir(), "blobs")
		if f.store, err = local.Open(local.Config{Root: f.storeRoot}); err != nil {
			t.Fatal(err)
		}
	case onVersityGW:
		f.gw = castest.StartVersityGW(t)
		f.gw.SetAWSEnv(t)
		f.bucket = f.gw.CreateBucket(t, true)
		f.s3, err = s3.New(t.Context(), s3.Config{Endpoint: f.gw.Endpoint, Region: f.gw.Region, Bucket: f.bucket,
			PathStyle: true, ObjectLock: true})
		if err != nil {
			t.Fatal(err)
		}
		f.store, lock = f.s3, f.s3.Locker()
		// S3 judges retention dates by the real clock: start the injected
		// one at the real time, so that expiries ahead of it are ahead of
		// the server's too.
		f.clock.Advance(time.Since(ledgertest.Start))
	default:
		t.Fatalf("unknown backend %q", b)
	}
	classes := catalog.DefaultClasses()
	classes["locked"] = catalog.Class{Period: "7d", Compliance: true}
	f.cat = &catalog.Service{Catalog: catalog.New(f.log), Store: f.store, Classes: classes}
	if f.svc, err = NewService(Config{Log: f.log, Catalog: f.cat.Catalog, Now: f.clock.Now, Locker: lock}); err != nil {
		t.Fatal(err)
	}
	f.cat.Withheld = f.svc.Withheld
	if f.del, err = NewDeleter(DeleterConfig{Service: f.svc, Store: f.store}); err != nil {
		t.Fatal(err)
	}
	f.cat.FileAdded, f.cat.ObjectPut = f.del.FileAdded, f.del.ObjectPut
	return f
}

// open opens a ledger in dir with the fixture's clock and the modules.
func (f *fixture) open(dir string) *ledger.Log {
	lg, _ := ledgertest.Open(f.t, dir, ledgertest.Options{Now: f.clock.Now, Modules: []ledger.Module{catalog.Module(), Module()}})
	return lg
}

// create makes a package of class for tenant acme.
func (f *fixture) create(class string) *catalog.Package {
	f.t.Helper()
	return f.createFor("acme", class)
}

func (f *fixture) createFor(tenant, class string) *catalog.Package {
	f.t.Helper()
	p, err := f.cat.CreatePackage(f.t.Context(), "ci", tenant, catalog.CreateRequest{Name: "build", RetentionClass: class})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

// eligibleIDs lists the ids of acme's eligible packages.
func (f *fixture) eligibleIDs() []string {
	f.t.Helper()
	page, next, _, err := f.svc.Eligible(f.t.Context(), "acme", "", 0)
	if err != nil || next != "" {
		f.t.Fatalf("Eligible: %v, next %q", err, next)
	}
	var ids []string
	for _, e := range page {
		ids = append(ids, e.PackageID)
	}
	return ids
}

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
