package intake

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkIntake records b.N*2,000 objects of 64 KiB from a versitygw
// bucket (10,000 under make bench's 5x) and reports objects/s beside the
// baseline of the same run: a plain GetObject of every version with the
// AWS SDK, reading the bytes, on as many goroutines (one: intake reads
// one object at a time).
func BenchmarkIntake(b *testing.B) {
	f := newFixture(b)
	n := 2000 * b.N
	body := bytes.Repeat([]byte("intake bench "), 64<<10/13+1)[:64<<10]
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				key := fmt.Sprintf("incoming/%06d.bin", i)
				if _, err := f.g.Client().PutObject(b.Context(), &s3sdk.PutObjectInput{Bucket: &f.bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ResetTimer()
	t0 := time.Now()
	rep, err := f.intake(b).Once(b.Context())
	d := time.Since(t0)
	b.StopTimer()
	if err != nil || rep.Recorded != n {
		b.Fatalf("%+v, %v", rep, err)
	}
	t0 = time.Now()
	for i := range n {
		out, err := f.g.Client().GetObject(b.Context(), &s3sdk.GetObjectInput{Bucket: &f.bucket, Key: aws.String(fmt.Sprintf("incoming/%06d.bin", i))})
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
	get := time.Since(t0)
	b.ReportMetric(float64(n)/d.Seconds(), "objects/s_intake")
	b.ReportMetric(float64(n)/get.Seconds(), "objects/s_get")
	b.ReportMetric(get.Seconds()/d.Seconds(), "ratio")
}
