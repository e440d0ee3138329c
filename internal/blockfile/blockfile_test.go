package blockfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/lexledger/lexledger/internal/blockfile"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

const stream = natsjs.DefaultStream

// mustStore starts an embedded server on dir (again, after a first start)
// and stores msgs, each acknowledged by JetStream.
func mustStore(t *testing.T, dir string, msgs ...*nats.Msg) *natstest.Env {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{Dir: dir, SyncAlways: true})
	for _, m := range msgs {
		resp, err := env.Conn.RequestMsg(m, 5e9)
		if err != nil || !bytes.Contains(resp.Data, []byte(`"seq"`)) {
			t.Fatalf("publish on %s: %v %s", m.Subject, err, respData(resp))
		}
	}
	return env
}

func respData(m *nats.Msg) []byte {
	if m == nil {
		return nil
	}
	return m.Data
}

// stored returns the stream's messages as the server serves them.
func stored(t *testing.T, env *natstest.Env) map[uint64]string {
	t.Helper()
	out := map[uint64]string{}
	for r, err := range env.Store.ReadRaw(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out[r.Seq] = r.Subject + " " + string(r.Data)
	}
	return out
}

// seed stores five messages, three with headers, and stops the server.
func seed(t *testing.T) (dir string, want map[uint64]string) {
	t.Helper()
	dir = t.TempDir()
	want = map[uint64]string{}
	var msgs []*nats.Msg
	for i := 1; i <= 5; i++ {
		m := nats.NewMsg(fmt.Sprintf("lex.events.kz.act.2000-01-01.%d", i))
		m.Data = []byte(fmt.Sprintf(`{"n":%d,"text":"message %d"}`, i, i))
		if i%2 == 1 {
			m.Header.Set("Lex-Event-Id", fmt.Sprintf("01KZBLOCKFILE00000000000%02d", i))
		}
		msgs = append(msgs, m)
		want[uint64(i)] = m.Subject + " " + string(m.Data)
	}
	env := mustStore(t, dir, msgs...)
	if got := stored(t, env); !equalMaps(got, want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
	env.Stop()
	return dir, want
}

func equalMaps(a, b map[uint64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustFind(t *testing.T, dir string) blockfile.Stream {
	t.Helper()
	s, err := blockfile.Find(dir, stream)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The server's own block decodes, every checksum holding, and encodes
// back to the same bytes.
func TestDecodeEncodeTheServersBlock(t *testing.T) {
	dir, want := seed(t)
	s := mustFind(t, dir)
	blocks, err := s.Blocks()
	if err != nil || len(blocks) != 1 {
		t.Fatalf("blocks %v, %v; want one", blocks, err)
	}
	raw, err := os.ReadFile(s.BlockPath(blocks[0]))
	if err != nil {
		t.Fatal(err)
	}
	b, err := blockfile.Decode(stream, blocks[0], raw)
	if err != nil {
		t.Fatalf("decode the server's block: %v", err)
	}
	var msgs int
	for _, r := range b.Records {
		if !r.Message() {
			continue
		}
		msgs++
		if got := r.Subject + " " + string(r.Data); got != want[r.Seq] {
			t.Errorf("sequence %d decodes as %q, want %q", r.Seq, got, want[r.Seq])
		}
		if hasID := bytes.Contains(r.Header, []byte("Lex-Event-Id")); hasID != (r.Seq%2 == 1) {
			t.Errorf("sequence %d: headers %q", r.Seq, r.Header)
		}
	}
	if msgs != len(want) {
		t.Errorf("%d messages in the block, want %d", msgs, len(want))
	}
	if got := b.Encode(); !bytes.Equal(got, raw) {
		t.Errorf("the block encodes to %d bytes that differ from the %d the server wrote", len(got), len(raw))
	}
	// Another stream name or block index is another key: no checksum holds.
	var ce *blockfile.ChecksumError
	if _, err := blockfile.Decode("OTHER", blocks[0], raw); !errors.As(err, &ce) || ce.Offset != 0 {
		t.Errorf("decoded under another stream's key: %v", err)
	}
	if _, err := blockfile.Decode(stream, blocks[0]+1, raw); !errors.As(err, &ce) {
		t.Errorf("decoded under another block's key: %v", err)
	}
}

// Messages replaced by longer and shorter ones, with the block's
// checksums computed afresh, are what the restarted server serves.
func TestRewriteIsServed(t *testing.T) {
	dir, want := seed(t)
	s := mustFind(t, dir)
	n, err := s.Rewrite(func(r *blockfile.Record) (bool, error) {
		switch r.Seq {
		case 2:
			r.Data = []byte(`{"n":2,"text":"a much longer message, rewritten by an insider"}`)
		case 3:
			r.Data = []byte(`{}`)
		}
		return true, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("rewrite: %d changed, %v; want 2", n, err)
	}
	want[2] = "lex.events.kz.act.2000-01-01.2 " + `{"n":2,"text":"a much longer message, rewritten by an insider"}`
	want[3] = "lex.events.kz.act.2000-01-01.3 {}"
	env := mustStore(t, dir)
	if got := stored(t, env); !equalMaps(got, want) {
		t.Errorf("after the rewrite the server serves\n%v\nwant\n%v", got, want)
	}
	// It appends after them, and keeps them across another restart.
	env = mustStore(t, dir, &nats.Msg{Subject: "lex.events.kz.act.2000-01-01.6", Data: []byte("six")})
	want[6] = "lex.events.kz.act.2000-01-01.6 six"
	env.Stop()
	env = mustStore(t, dir)
	if got := stored(t, env); !equalMaps(got, want) {
		t.Errorf("after an append and a restart the server serves\n%v\nwant\n%v", got, want)
	}
}

// Messages removed from the end are gone after a restart: the stream
// is shorter, as if they had never been stored.
func TestCutTheEnd(t *testing.T) {
	dir, want := seed(t)
	s := mustFind(t, dir)
	n, err := s.Rewrite(func(r *blockfile.Record) (bool, error) { return r.Seq <= 3, nil })
	if err != nil || n != 2 {
		t.Fatalf("cut: %d removed, %v; want 2", n, err)
	}
	delete(want, 4)
	delete(want, 5)
	env := mustStore(t, dir)
	if got := stored(t, env); !equalMaps(got, want) {
		t.Errorf("after the cut the server serves %v, want %v", got, want)
	}
}

// flip changes "message 4" to "Message 4" in the block's file, its
// checksum left as it was, and returns the block's bytes.
func flip(t *testing.T, s blockfile.Stream) []byte {
	t.Helper()
	path := s.BlockPath(1)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, []byte("message 4"))
	raw[i] = 'M'
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return raw
}

// A byte flipped without the checksum recomputed, the server's summary
// kept (bit rot): the server serves the stream without that message, a
// gap, and leaves the file as it is.
func TestFlipWithoutChecksumIsSkipped(t *testing.T) {
	dir, want := seed(t)
	s := mustFind(t, dir)
	raw := flip(t, s)
	env := mustStore(t, dir)
	delete(want, 4)
	if got := stored(t, env); !equalMaps(got, want) {
		t.Errorf("after the flip the server serves\n%v\nwant, without sequence 4,\n%v", got, want)
	}
	if after, err := os.ReadFile(s.BlockPath(1)); err != nil || !bytes.Equal(after, raw) {
		t.Errorf("the server changed the block's file: %d bytes, were %d (%v)", len(after), len(raw), err)
	}
}

// A byte flipped without the checksum recomputed, the server's summary
// removed: the server drops the record, and the rest of its block, when
// it rebuilds its state, and truncates the file there. This is why the
// insider recomputes the checksum.
func TestFlipWithoutChecksumIsDropped(t *testing.T) {
	dir, want := seed(t)
	s := mustFind(t, dir)
	path := s.BlockPath(1)
	raw := flip(t, s)
	var ce *blockfile.ChecksumError
	if _, err := s.Read(1); !errors.As(err, &ce) || ce.Seq != 4 {
		t.Fatalf("reading the flipped block: %v, want a checksum error at sequence 4", err)
	}
	if err := s.Invalidate(); err != nil {
		t.Fatal(err)
	}
	env := mustStore(t, dir)
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != ce.Offset {
		t.Errorf("the block was %d bytes, the bad record at offset %d; after the restart it is %d bytes", len(raw), ce.Offset, len(after))
	}
	got := stored(t, env)
	for seq := uint64(1); seq <= 3; seq++ {
		if got[seq] != want[seq] {
			t.Errorf("sequence %d: %q, want %q", seq, got[seq], want[seq])
		}
	}
	for seq, m := range got {
		if seq >= 4 {
			t.Errorf("sequence %d is served after its block was corrupted before it: %q", seq, m)
		}
		if strings.Contains(m, "Message 4") {
			t.Errorf("the flipped byte is served: %q", m)
		}
	}
}
