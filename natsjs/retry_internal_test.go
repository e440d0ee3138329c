package natsjs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A read that nobody answers within its try is sent again, the first
// tries given readTry, the later ones longer each; one answered, even with
// an error, is not; and the tries end with the read's context.
func TestRetried(t *testing.T) {
	defer func(d time.Duration) { readTry = d }(readTry)
	readTry = 100 * time.Millisecond

	var tries []time.Duration
	v, err := retried(context.Background(), func(ctx context.Context) (int, error) {
		dl, _ := ctx.Deadline()
		tries = append(tries, time.Until(dl).Round(50*time.Millisecond))
		if len(tries) < readTries+2 {
			<-ctx.Done() // a replica that hangs
			return 0, ctx.Err()
		}
		return 7, nil
	})
	if v != 7 || err != nil || len(tries) != readTries+2 {
		t.Fatalf("retried: %d, %v after %d tries, want 7 after %d", v, err, len(tries), readTries+2)
	}
	for i, d := range tries {
		want := readTry
		if i >= readTries {
			want = readTry * time.Duration(i-readTries+2)
		}
		if d != want {
			t.Errorf("try %d given %s, want %s (all: %v)", i+1, d, want, tries)
		}
	}

	refused := errors.New("refused")
	n := 0
	if _, err := retried(context.Background(), func(context.Context) (int, error) { n++; return 0, refused }); !errors.Is(err, refused) || n != 1 {
		t.Errorf("an answered error: %v after %d tries, want it after 1", err, n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*readTry)
	defer cancel()
	start := time.Now()
	n = 0
	_, err = retried(ctx, func(ctx context.Context) (int, error) { n++; <-ctx.Done(); return 0, ctx.Err() })
	if !errors.Is(err, context.DeadlineExceeded) || n < 2 || time.Since(start) > time.Second {
		t.Errorf("no answer ever: %v after %d tries and %s, want the deadline after several tries", err, n, time.Since(start))
	}
}
