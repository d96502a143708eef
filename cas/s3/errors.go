package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/assay-ledger/assay/cas"
)

// mapErr wraps an SDK error with the operation and key and, where one
// applies, the cas sentinel: 404 is ErrNotFound, 416 ErrInvalidRange, and
// connection failures, throttling and 5xx are ErrUnavailable. A missing
// bucket is ErrUnavailable too: the store cannot serve anything.
func mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if sentinel := classify(err); sentinel != nil {
		return fmt.Errorf("s3 %s %s: %w: %w", op, key, sentinel, err)
	}
	return fmt.Errorf("s3 %s %s: %w", op, key, err)
}

// classify returns the sentinel for err, or nil.
func classify(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucket" {
		return cas.ErrUnavailable
	}
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	var quota ratelimit.QuotaExceededError
	if errors.As(err, &send) || errors.As(err, &netErr) || errors.As(err, &quota) {
		return cas.ErrUnavailable
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		switch code := resp.HTTPStatusCode(); {
		case code == http.StatusNotFound:
			return cas.ErrNotFound
		case code == http.StatusRequestedRangeNotSatisfiable:
			return cas.ErrInvalidRange
		case code == http.StatusTooManyRequests || code >= 500:
			return cas.ErrUnavailable
		}
	}
	return nil
}
