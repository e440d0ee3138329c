package natsjs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// A snapshot is streamed into the object store as it is written: a large
// one arrives whole, and one whose writer fails half-way is refused with
// the writer's error and leaves the previous snapshot in place.
func TestSnapshotStreamed(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := context.Background()
	v, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("snapshot line\n"), 3<<20/14) // several chunks
	if err := v.SaveSnapshot(ctx, "s", 7, func(w io.Writer) error {
		for rest := big; len(rest) > 0; {
			n := min(len(rest), 64<<10)
			if _, err := w.Write(rest[:n]); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	read := func() []byte {
		r, err := v.LoadSnapshot(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := read(); !bytes.Equal(got, big) {
		t.Fatalf("the snapshot read back is %d bytes, want the %d written", len(got), len(big))
	}

	broken := errors.New("the projection could not be written")
	err = v.SaveSnapshot(ctx, "s", 8, func(w io.Writer) error {
		w.Write(big[:1<<20])
		return broken
	})
	if !errors.Is(err, broken) {
		t.Fatalf("a snapshot whose writer failed: err = %v, want the writer's error", err)
	}
	if got := read(); !bytes.Equal(got, big) {
		t.Fatalf("after a failed snapshot the stored one is %d bytes, want the previous %d", len(got), len(big))
	}
}
