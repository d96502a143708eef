// Package s3 is the S3 backend of [cas.Store], for AWS S3 and S3-compatible
// services (Ceph RGW, MinIO, versitygw), built on aws-sdk-go-v2.
//
// # Keys
//
//	<prefix>sha256/<hex>   one object per blob; user metadata "blake3" holds its BLAKE3
//	<prefix>tmp/<random>   multipart uploads in progress (swept by SweepTemp)
//
// # Writes
//
// A blob that fits in one part (PartSize, 8 MiB by default) is hashed in
// memory first and written with one PutObject only if its digest is the
// expected one. A larger blob streams part by part, one part buffer at a
// time, into a multipart upload under a temporary key while being hashed; on
// a mismatch the upload is aborted, otherwise it is completed and
// server-side copied to its content address (the copy is what sets the
// BLAKE3 metadata, which is only known at the end) and the temporary object
// is deleted, by version id on versioned buckets. Either way nothing is ever
// visible under a blob key unless its digest was checked.
//
// # Trash and locks
//
// On a versioned bucket the store is a [cas.Trasher]: Trash leaves a
// delete marker (the bytes stay as a noncurrent version), Untrash deletes
// the markers by version id, Purge deletes every noncurrent version and
// marker of the key (trash.go). With Config.ObjectLock, Locker returns a
// [cas.Locker] setting Object Lock COMPLIANCE retention and legal holds on
// the blob's live version (lock.go); the bucket must have been created
// with object lock.
//
// # Credentials
//
// Credentials come only from the environment, shared config and credentials
// files, or the platform (config.LoadDefaultConfig); they are never part of
// [Config], so they cannot arrive in a request body.
package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas"
)

// Compile-time checks that Store implements the interfaces it promises.
var (
	_ cas.Store   = (*Store)(nil)
	_ cas.Sweeper = (*Store)(nil)
)

// Size limits from the S3 API.
const (
	minPartSize         = 5 << 20
	maxPartSize         = 5 << 30
	maxParts            = 10000
	defaultPartSize     = 8 << 20
	defaultCopyPartSize = 1 << 30
	metaBLAKE3          = "blake3"
)

// Config selects the bucket and how objects are written. It holds no
// credentials by design.
type Config struct {
	Endpoint  string // base URL of an S3-compatible service; "" for AWS
	Region    string // "" to take it from the environment or config files, else us-east-1
	Bucket    string // required
	Prefix    string // prepended verbatim to every key, e.g. "assay/"
	PathStyle bool   // address buckets as endpoint/bucket (most non-AWS services)
	Profile   string // shared config profile; "" for the default

	StorageClass string // e.g. "STANDARD_IA"; "" for the bucket default
	SSE          string // server-side encryption: "", "AES256" (SSE-S3) or "aws:kms"
	SSEKMSKeyID  string // KMS key for "aws:kms"; "" for the account default key

	// PartSize is the multipart part size and so the per-Put buffer
	// (default 8 MiB, at least 5 MiB). Blobs are limited to 10000 parts.
	PartSize int64
	// CopyPartSize is the largest object copied with one CopyObject call;
	// larger ones are copied in parts of this size (default 1 GiB, between
	// 5 MiB and 5 GiB).
	CopyPartSize int64
	// MaxAttempts bounds the SDK's attempts per request (0: SDK default).
	MaxAttempts int
	// ObjectLock makes Locker return the store's cas.Locker: compliance-mode
	// packages put S3 Object Lock retention on their blobs and legal holds
	// S3 legal holds. The bucket must have been created with object lock.
	ObjectLock bool
}

// validate checks the settings and fills in defaults.
func (c *Config) validate() error {
	if c.Bucket == "" {
		return errors.New("s3 store: Bucket is empty")
	}
	if c.PartSize == 0 {
		c.PartSize = defaultPartSize
	}
	if c.CopyPartSize == 0 {
		c.CopyPartSize = defaultCopyPartSize
	}
	switch {
	case c.PartSize < minPartSize || c.PartSize > maxPartSize:
		return fmt.Errorf("s3 store: PartSize %d: want between %d and %d", c.PartSize, minPartSize, maxPartSize)
	case c.CopyPartSize < minPartSize || c.CopyPartSize > maxPartSize:
		return fmt.Errorf("s3 store: CopyPartSize %d: want between %d and %d", c.CopyPartSize, minPartSize, maxPartSize)
	case c.SSE != "" && c.SSE != string(types.ServerSideEncryptionAes256) && c.SSE != string(types.ServerSideEncryptionAwsKms):
		return fmt.Errorf("s3 store: SSE %q: want \"\", %q or %q", c.SSE, types.ServerSideEncryptionAes256, types.ServerSideEncryptionAwsKms)
	case c.SSEKMSKeyID != "" && c.SSE != string(types.ServerSideEncryptionAwsKms):
		return fmt.Errorf("s3 store: SSEKMSKeyID needs SSE %q", types.ServerSideEncryptionAwsKms)
	case strings.HasPrefix(c.Prefix, "/"):
		return fmt.Errorf("s3 store: Prefix %q must not start with /", c.Prefix)
	case c.MaxAttempts < 0:
		return fmt.Errorf("s3 store: MaxAttempts %d is negative", c.MaxAttempts)
	}
	return nil
}

// Store is a [cas.Store] in one S3 bucket. It is safe for concurrent use.
type Store struct {
	client *s3sdk.Client
	cfg    Config
	bufs   sync.Pool // *[]byte of cfg.PartSize
	// versioned remembers that CheckTrash found bucket versioning enabled.
	versioned atomic.Bool
	// lockable remembers that CheckLock found Object Lock enabled.
	lockable atomic.Bool
}

// New loads credentials and settings from the environment and shared files
// and returns a Store for cfg.Bucket. It does not contact the service; call
// Health for that.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Store{client: client, cfg: cfg}, nil
}

// NewClient is the S3 client New makes for cfg (its endpoint, region,
// profile, addressing and attempts; credentials from the environment and
// shared files only), for other writers to the same service, such as the
// publisher of the log's tiles.
func NewClient(ctx context.Context, cfg Config) (*s3sdk.Client, error) {
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	return s3sdk.NewFromConfig(awsCfg, func(o *s3sdk.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Integrity is checked end to end with our own digests; SDK
		// checksums by default break several S3-compatible services.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

// blobKey is the object key of d.
func (s *Store) blobKey(d cas.Digest) string { return s.cfg.Prefix + "sha256/" + d.Hex() }

// tmpPrefix holds the temporary objects of Puts in progress.
func (s *Store) tmpPrefix() string { return s.cfg.Prefix + "tmp/" }

// tmpKey returns a fresh temporary key.
func (s *Store) tmpKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("s3 put: temporary key: %w", err)
	}
	return s.tmpPrefix() + hex.EncodeToString(b[:]), nil
}

// writeSettings returns the encryption and storage class every write
// carries.
func (s *Store) writeSettings() (types.ServerSideEncryption, *string, types.StorageClass) {
	var kms *string
	if s.cfg.SSEKMSKeyID != "" {
		kms = aws.String(s.cfg.SSEKMSKeyID)
	}
	return types.ServerSideEncryption(s.cfg.SSE), kms, types.StorageClass(s.cfg.StorageClass)
}

// Head returns the object's size and recorded BLAKE3.
func (s *Store) Head(ctx context.Context, d cas.Digest) (cas.Info, error) {
	if d.IsZero() {
		return cas.Info{}, fmt.Errorf("s3 head: %w: empty digest", cas.ErrInvalidDigest)
	}
	key := s.blobKey(d)
	out, err := s.client.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &key})
	if err != nil {
		return cas.Info{}, mapErr("head", key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	return cas.Info{Digest: d, Size: size, BLAKE3: metaValue(out.Metadata, metaBLAKE3), StoredSize: size}, nil
}

// metaValue looks a user metadata key up case-insensitively, as services
// differ in how they case it.
func metaValue(m map[string]string, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// Delete removes the object; ErrNotFound if it is not there. On a
// versioned bucket this adds a delete marker and the bucket's lifecycle
// rules decide when the bytes go.
func (s *Store) Delete(ctx context.Context, d cas.Digest) error {
	if _, err := s.Head(ctx, d); err != nil {
		return err
	}
	key := s.blobKey(d)
	_, err := s.client.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key})
	return mapErr("delete", key, err)
}

// Health checks that the bucket is reachable with the loaded credentials.
func (s *Store) Health(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3sdk.HeadBucketInput{Bucket: &s.cfg.Bucket})
	if err = mapErr("head bucket", s.cfg.Bucket, err); err != nil && !errors.Is(err, cas.ErrUnavailable) {
		return fmt.Errorf("%w: %w", cas.ErrUnavailable, err)
	}
	return err
}

// Walk lists the blob keys page by page.
func (s *Store) Walk(ctx context.Context, fn func(cas.Digest) error) error {
	prefix := s.cfg.Prefix + "sha256/"
	p := s3sdk.NewListObjectsV2Paginator(s.client, &s3sdk.ListObjectsV2Input{Bucket: &s.cfg.Bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return mapErr("list", prefix, err)
		}
		for _, o := range page.Contents {
			d, err := cas.ParseDigest("sha256:" + strings.TrimPrefix(aws.ToString(o.Key), prefix))
			if err != nil {
				continue
			}
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// buffer returns a part buffer from the pool.
func (s *Store) buffer() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, s.cfg.PartSize)
	return &b
}

// lend returns a part buffer from the pool and the func that gives it back,
// as cas.ConfirmExisting wants it.
func (s *Store) lend() ([]byte, func()) {
	b := s.buffer()
	return *b, func() { s.bufs.Put(b) }
}

// drain is io.Copy to nowhere for response bodies.
func drain(r io.ReadCloser) { io.Copy(io.Discard, r); r.Close() }
