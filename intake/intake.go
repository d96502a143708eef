// Package intake brings objects that producers put straight into an
// S3-compatible bucket under the ledger, without changing the producers:
// it lists the bucket's object versions under a prefix, and for every
// version not recorded yet it reads the bytes once (sha256 and BLAKE3 as
// the content store computes them), copies them into the store and
// appends object.put for raw/intake/<bucket>/<key> naming the version
// (catalog.External). The version id is checked inside the sequencer's
// transaction, so a version is recorded once whatever the restarts or the
// races. Optionally it writes a receipt back to the bucket under
// provenance/<key>.json: the entry, its inclusion proof and the signed
// checkpoint it verifies against. It never reads its own prefix.
package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// workers is how many versions of a listed page intake records at once:
// their appends share the log's group commits.
const workers = 16

// DefaultReceiptPrefix is where receipts go, and what intake never reads.
const DefaultReceiptPrefix = "provenance/"

// Config configures an Intake. Client, Bucket, Service, Log and Tenant are
// required.
type Config struct {
	Client  *s3sdk.Client
	Bucket  string
	Prefix  string // only keys under it ("" for the whole bucket)
	Service *catalog.Service
	Log     *ledger.Log
	Tenant  string // whose objects the recorded ones become
	Actor   string // the intake's identity in the log; "intake" when empty
	// Receipts writes each recorded version's receipt under ReceiptPrefix.
	Receipts      bool
	ReceiptPrefix string // DefaultReceiptPrefix when empty
	// InPlace records versions without copying their bytes into the
	// store: reads fetch them from the bucket (ReadThrough).
	InPlace bool
	Logger  *slog.Logger
}

// Intake records one bucket prefix.
type Intake struct {
	cfg                               Config
	seen, recorded, skipped, failures atomic.Uint64
	lag                               atomic.Int64
	wake                              chan struct{} // Notify: run a pass now
}

// New returns an Intake as cfg says.
func New(cfg Config) (*Intake, error) {
	if cfg.Client == nil || cfg.Bucket == "" || cfg.Service == nil || cfg.Log == nil || cfg.Tenant == "" {
		return nil, errors.New("intake: Config.Client, Bucket, Service, Log and Tenant are required")
	}
	if cfg.Actor == "" {
		cfg.Actor = "intake"
	}
	if cfg.ReceiptPrefix == "" {
		cfg.ReceiptPrefix = DefaultReceiptPrefix
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Intake{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Bucket is the bucket this intake records.
func (in *Intake) Bucket() string { return in.cfg.Bucket }

// Notify asks Run for a pass now, as a bucket notification of a new object
// does; polling goes on regardless (a notification can be lost).
func (in *Intake) Notify() {
	select {
	case in.wake <- struct{}{}:
	default: // a pass is already due
	}
}

// Report counts what one pass did.
type Report struct {
	Seen, Recorded, Skipped int // versions listed; recorded now; recorded before (or receipts)
}

// Counters: versions seen, recorded and skipped in every pass so far,
// passes that failed, and the versions the last pass left unrecorded.
func (in *Intake) Counters() (seen, recorded, skipped, failures uint64, lag int64) {
	return in.seen.Load(), in.recorded.Load(), in.skipped.Load(), in.failures.Load(), in.lag.Load()
}

// Key is the raw key a bucket object is recorded under.
func Key(bucket, key string) string { return "intake/" + bucket + "/" + key }

// Once lists every object version under the prefix and records those not
// recorded yet: object.put for a version, object.deleted for a delete
// marker.
func (in *Intake) Once(ctx context.Context) (Report, error) {
	var rep Report
	var km, vm *string
	var last string // some servers list a page's marker again at the head of the next
	defer func() { in.lag.Store(int64(rep.Seen - rep.Recorded - rep.Skipped)) }()
	for {
		out, err := in.cfg.Client.ListObjectVersions(ctx, &s3sdk.ListObjectVersionsInput{Bucket: &in.cfg.Bucket,
			Prefix: aws.String(in.cfg.Prefix), KeyMarker: km, VersionIdMarker: vm})
		if err != nil {
			return rep, fmt.Errorf("list s3://%s/%s: %w", in.cfg.Bucket, in.cfg.Prefix, err)
		}
		var (
			g  errgroup.Group
			mu sync.Mutex
		)
		g.SetLimit(workers)
		// spawn records one listed version (or delete marker) on a worker
		// and counts the outcome.
		spawn := func(record func() (bool, error)) {
			rep.Seen++
			in.seen.Add(1)
			g.Go(func() error {
				ok, err := record()
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					rep.Recorded++
					in.recorded.Add(1)
				} else {
					rep.Skipped++
					in.skipped.Add(1)
				}
				return nil
			})
		}
		for _, v := range out.Versions {
			key := aws.ToString(v.Key)
			if strings.HasPrefix(key, in.cfg.ReceiptPrefix) || strings.HasSuffix(key, "/") {
				continue
			}
			ver := aws.ToString(v.VersionId)
			if ver == "" {
				ver = "null"
			}
			if id := key + "\x00" + ver; id == last {
				continue
			} else {
				last = id
			}
			spawn(func() (bool, error) {
				return in.record(ctx, key, ver, aws.ToString(v.ETag), aws.ToTime(v.LastModified))
			})
		}
		for _, m := range out.DeleteMarkers {
			key, ver := aws.ToString(m.Key), aws.ToString(m.VersionId)
			if strings.HasPrefix(key, in.cfg.ReceiptPrefix) || strings.HasSuffix(key, "/") || ver == "" {
				continue
			}
			spawn(func() (bool, error) { return in.recordDeletion(ctx, key, ver, aws.ToTime(m.LastModified)) })
		}
		if err := g.Wait(); err != nil {
			return rep, err
		}
		if !aws.ToBool(out.IsTruncated) {
			return rep, nil
		}
		km, vm = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// record records one version unless it was; it says whether it did.
func (in *Intake) record(ctx context.Context, key, version, etag string, modified time.Time) (bool, error) {
	url := "s3://" + in.cfg.Bucket + "/" + key
	if _, done, err := in.cfg.Service.Catalog.ExternalRecorded(in.cfg.Tenant, url, version); err != nil || done {
		return false, err
	}
	in2 := &s3sdk.GetObjectInput{Bucket: &in.cfg.Bucket, Key: &key}
	if version != "null" {
		in2.VersionId = &version
	}
	obj, err := in.cfg.Client.GetObject(ctx, in2)
	if err != nil {
		return false, fmt.Errorf("get %s version %s: %w", url, version, err)
	}
	defer obj.Body.Close()
	ext := catalog.External{URL: url, VersionID: version, ETag: etag, LastModified: modified.UTC(), Size: aws.ToInt64(obj.ContentLength)}
	media := aws.ToString(obj.ContentType)
	if media == "" || !strings.Contains(media, "/") {
		media = "application/octet-stream"
	}
	put := in.cfg.Service.PutExternal
	if in.cfg.InPlace {
		put = in.cfg.Service.PutExternalInPlace
	}
	_, index, err := put(ctx, in.cfg.Actor, in.cfg.Tenant, Key(in.cfg.Bucket, key), media, ext, obj.Body)
	if errors.Is(err, catalog.ErrExternalRecorded) {
		return false, nil // another intake, or a restart, was first
	}
	if err != nil {
		return false, fmt.Errorf("record %s version %s: %w", url, version, err)
	}
	if in.cfg.Receipts {
		if err := in.writeReceipt(ctx, key, index); err != nil {
			return true, err
		}
	}
	return true, nil
}

// recordDeletion records a delete marker unless it was; it says whether it
// did.
func (in *Intake) recordDeletion(ctx context.Context, key, version string, modified time.Time) (bool, error) {
	url := "s3://" + in.cfg.Bucket + "/" + key
	if _, done, err := in.cfg.Service.Catalog.ExternalRecorded(in.cfg.Tenant, url, version); err != nil || done {
		return false, err
	}
	body := catalog.ObjectDeleted{Zone: catalog.ZoneRaw, Key: Key(in.cfg.Bucket, key),
		External: catalog.External{URL: url, VersionID: version, LastModified: modified.UTC()}}
	_, err := in.cfg.Log.AppendJSON(ctx, catalog.TypeObjectDeleted, in.cfg.Actor, in.cfg.Tenant, body)
	if errors.Is(err, catalog.ErrExternalRecorded) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record the deletion of %s (marker %s): %w", url, version, err)
	}
	return true, nil
}

// Receipt is what intake writes back under provenance/<key>.json: the
// entry that recorded the version, and the proof that it is in the log.
type Receipt struct {
	Index          uint64   `json:"index"`
	Entry          []byte   `json:"entry"` // the entry's bytes, the Merkle leaf
	TreeSize       uint64   `json:"tree_size"`
	InclusionProof [][]byte `json:"inclusion_proof"`
	Checkpoint     string   `json:"checkpoint"` // the signed note of tree_size
}

func (in *Intake) writeReceipt(ctx context.Context, key string, index uint64) error {
	l := in.cfg.Log
	cp := l.Checkpoint()
	lines := strings.SplitN(string(cp), "\n", 3)
	if len(lines) < 3 {
		return errors.New("malformed checkpoint")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return err
	}
	entry, err := l.Entry(index)
	if err != nil {
		return err
	}
	proof, err := l.InclusionProof(index, size)
	if err != nil {
		return err
	}
	b, err := json.Marshal(Receipt{Index: index, Entry: entry, TreeSize: size, InclusionProof: proof, Checkpoint: string(cp)})
	if err != nil {
		return err
	}
	rk := in.cfg.ReceiptPrefix + key + ".json"
	if _, err := in.cfg.Client.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: &in.cfg.Bucket, Key: &rk, Body: bytes.NewReader(b),
		ContentType: aws.String("application/json")}); err != nil {
		return fmt.Errorf("write receipt s3://%s/%s: %w", in.cfg.Bucket, rk, err)
	}
	return nil
}

// Run records passes until ctx ends: one each interval, and after a
// failed pass (an unreachable endpoint, denied credentials) again after a
// backoff that doubles up to a minute. Nothing is lost by a failure: what
// is recorded is in the log, and the next pass takes up the rest.
func (in *Intake) Run(ctx context.Context, interval time.Duration) {
	backoff := interval
	for {
		rep, err := in.Once(ctx)
		wait := interval
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			in.failures.Add(1)
			backoff = min(2*backoff, time.Minute)
			wait = backoff
			in.cfg.Logger.ErrorContext(ctx, "intake pass failed", "bucket", in.cfg.Bucket, "prefix", in.cfg.Prefix, "err", err, "retry_in", wait)
		} else {
			backoff = interval
			if rep.Recorded > 0 {
				in.cfg.Logger.InfoContext(ctx, "intake recorded", "bucket", in.cfg.Bucket, "versions", rep.Recorded)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-in.wake:
			t.Stop()
		}
	}
}

// Scrub re-reads every version this intake recorded from the bucket and
// appends object.drift for each whose bytes no longer hash to the recorded
// digest, or that the bucket no longer serves. A drift already recorded
// with the same finding is reported, not appended again.
func (in *Intake) Scrub(ctx context.Context) (catalog.DriftReport, error) {
	rep := catalog.DriftReport{Drifted: []catalog.ObjectDrift{}}
	url := "s3://" + in.cfg.Bucket + "/" + in.cfg.Prefix
	var versions []catalog.ExternalVersion
	err := in.cfg.Service.Catalog.ExternalVersions(ctx, in.cfg.Tenant, url, func(v catalog.ExternalVersion) (bool, error) {
		versions = append(versions, v)
		return true, nil
	})
	if err != nil {
		return rep, err
	}
	found := make([]*catalog.ObjectDrift, len(versions))
	var g errgroup.Group
	g.SetLimit(workers)
	for i, v := range versions {
		g.Go(func() (err error) {
			found[i], err = in.check(ctx, v)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return rep, err
	}
	rep.Checked = len(versions)
	for _, d := range found {
		if d == nil {
			continue
		}
		_, err := in.cfg.Log.AppendJSON(ctx, catalog.TypeObjectDrift, in.cfg.Actor, in.cfg.Tenant, d)
		if err != nil && !errors.Is(err, catalog.ErrDriftRecorded) {
			return rep, fmt.Errorf("record the drift of %s version %s: %w", d.URL, d.VersionID, err)
		}
		rep.Drifted = append(rep.Drifted, *d)
	}
	return rep, nil
}

// check re-reads one recorded version; it returns its drift, or nil.
func (in *Intake) check(ctx context.Context, v catalog.ExternalVersion) (*catalog.ObjectDrift, error) {
	e, err := in.cfg.Log.Entry(v.PutIndex)
	if err != nil {
		return nil, err
	}
	var put catalog.ObjectPut
	if err := json.Unmarshal(e, &put); err != nil {
		return nil, fmt.Errorf("entry %d: %w", v.PutIndex, err)
	}
	d := &catalog.ObjectDrift{URL: v.URL, VersionID: v.VersionID, PutIndex: v.PutIndex, RecordedDigest: put.Digest}
	key := strings.TrimPrefix(v.URL, "s3://"+in.cfg.Bucket+"/")
	req := &s3sdk.GetObjectInput{Bucket: &in.cfg.Bucket, Key: &key}
	if v.VersionID != "null" {
		req.VersionId = aws.String(v.VersionID)
	}
	obj, err := in.cfg.Client.GetObject(ctx, req)
	if err != nil {
		var nsk *types.NoSuchKey
		var apiErr smithy.APIError
		if errors.As(err, &nsk) || errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchVersion" || apiErr.ErrorCode() == "NoSuchKey") {
			d.Problem = catalog.DriftMissing
			return d, nil
		}
		return nil, fmt.Errorf("get %s version %s: %w", v.URL, v.VersionID, err)
	}
	defer obj.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, obj.Body); err != nil {
		return nil, fmt.Errorf("read %s version %s: %w", v.URL, v.VersionID, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != put.Digest {
		d.Problem, d.FoundDigest = catalog.DriftChanged, got
		return d, nil
	}
	return nil, nil
}
