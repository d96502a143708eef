package s3

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas"
)

// copy server-side copies the verified temporary object src to the blob key
// of info, replacing its metadata with the BLAKE3. Objects larger than
// CopyPartSize are copied part by part.
func (s *Store) copy(ctx context.Context, src string, info cas.Info) error {
	if info.Size > s.cfg.CopyPartSize {
		return s.copyParts(ctx, src, info)
	}
	key := s.blobKey(info.Digest)
	sse, kms, class := s.writeSettings()
	_, err := s.client.CopyObject(ctx, &s3sdk.CopyObjectInput{
		Bucket: &s.cfg.Bucket, Key: &key, CopySource: aws.String(copySource(s.cfg.Bucket, src)),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{metaBLAKE3: info.BLAKE3},
		ContentType:          aws.String("application/octet-stream"),
		ServerSideEncryption: sse, SSEKMSKeyId: kms, StorageClass: class,
	})
	return mapErr("copy", key, err)
}

// copyParts copies src with UploadPartCopy into a multipart upload on the
// blob key, aborting it on any failure.
func (s *Store) copyParts(ctx context.Context, src string, info cas.Info) error {
	key := s.blobKey(info.Digest)
	sse, kms, class := s.writeSettings()
	up, err := s.client.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{
		Bucket: &s.cfg.Bucket, Key: &key, Metadata: map[string]string{metaBLAKE3: info.BLAKE3},
		ContentType:          aws.String("application/octet-stream"),
		ServerSideEncryption: sse, SSEKMSKeyId: kms, StorageClass: class,
	})
	if err != nil {
		return mapErr("create multipart copy", key, err)
	}
	id := aws.ToString(up.UploadId)
	var parts []types.CompletedPart
	for num, off := int32(1), int64(0); off < info.Size; num, off = num+1, off+s.cfg.CopyPartSize {
		end := min(off+s.cfg.CopyPartSize, info.Size) - 1
		out, err := s.client.UploadPartCopy(ctx, &s3sdk.UploadPartCopyInput{
			Bucket: &s.cfg.Bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(num),
			CopySource: aws.String(copySource(s.cfg.Bucket, src)), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			s.abort(ctx, key, id)
			return mapErr("upload part copy", key, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(num)})
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{
		Bucket: &s.cfg.Bucket, Key: &key, UploadId: &id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		s.abort(ctx, key, id)
		return mapErr("complete multipart copy", key, err)
	}
	return nil
}

// copySource encodes "bucket/key" for the x-amz-copy-source header,
// escaping each path segment.
func copySource(bucket, key string) string {
	segs := strings.Split(bucket+"/"+key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
