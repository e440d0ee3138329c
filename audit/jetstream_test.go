package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// TestVerifyLedgerOverJetStream: events recorded by the ledger on a real
// JetStream server, after a history of schema 1 written before hash chains
// (the recorded fixtures of events/testdata/v1, stored as they are), verify
// through AddRaw on the bytes the stream returns: the ledger chains its
// first schema 2 event of an act to the computed hash of the act's last
// schema 1 event. A checkpoint of the replay verifies; the same bytes with
// one event of each kind of tamper fail at its place.
func TestVerifyLedgerOverJetStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := natstest.MustStart(t, natstest.Options{})
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	// Schema 1 history, stored before the ledger ran with chains.
	files, err := filepath.Glob(filepath.Join("..", "events", "testdata", "v1", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no v1 fixtures: %v", err)
	}
	v1acts := map[events.ActID]bool{}
	for _, f := range files[:5] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.TrimSpace(data)
		e, err := events.Decode(data)
		if err != nil || e.Schema != 1 {
			t.Fatalf("%s: schema %d, %v", f, e.Schema, err)
		}
		if v1acts[e.Act] {
			continue
		}
		v1acts[e.Act] = true
		if _, err := js.Publish(ctx, env.Store.Subject(e.Act), data); err != nil {
			t.Fatal(err)
		}
	}

	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	var cmds []ledger.Command
	for act := range v1acts { // one more event on each schema 1 act
		e, err := events.Decode([]byte(fmt.Sprintf(`{"act":%q,"type":"corrigendum","date":"2024-05-01","body":{"note":"a later note"}}`, act)))
		if err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, ledger.Command{Event: e})
	}
	for a := range 3 {
		for k := range 6 {
			js := fmt.Sprintf(`{"act":%q,%s}`, actOf(a), stepJSON(a, k))
			e, err := events.Decode([]byte(js))
			if err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, ledger.Command{Event: e})
		}
	}
	if _, err := l.AppendAtomic(ctx, "clerk@test", cmds); err != nil {
		t.Fatalf("the ledger refused the events: %v", err)
	}

	var recs []rec
	for raw, err := range env.Store.ReadRaw(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if raw.Err != nil {
			t.Fatal(raw.Err)
		}
		recs = append(recs, rec{seq: raw.Seq, act: raw.Act, data: bytes.Clone(raw.Data)})
	}
	if len(recs) != len(v1acts)+len(cmds) {
		t.Fatalf("%d messages, want %d", len(recs), len(v1acts)+len(cmds))
	}
	// The ledger's events end as docs/VERIFY.md §1 says.
	for _, r := range recs[len(v1acts):] {
		n := len(r.data)
		h := sha256.Sum256(append(bytes.Clone(r.data[:n-75]), '}'))
		if fmt.Sprintf(`,"hash":"%x"}`, h) != string(r.data[n-75:]) {
			t.Fatalf("sequence %d does not end with the hash of the rest: %s", r.seq, r.data)
		}
	}
	// The corrigenda name the computed hash of the schema 1 events.
	v1hash := map[events.ActID]events.Digest{}
	for _, r := range recs[:len(v1acts)] {
		e, _ := events.Decode(r.data)
		v1hash[e.Act], _ = e.ComputeHash()
	}
	for _, r := range recs[len(v1acts) : 2*len(v1acts)] {
		e, _ := events.Decode(r.data)
		if want := v1hash[e.Act]; e.Type != "corrigendum" || want.IsZero() || e.PrevHash != want {
			t.Errorf("sequence %d (%s of %s): prev_hash %s, want the schema 1 event's computed hash %s", r.seq, e.Type, e.Act, e.PrevHash, want)
		}
	}

	kp, pub := newKey(t)
	c := checkpointOf(t, recs, kp)
	_, rep := replay(recs, []string{pub}, c)
	if !rep.OK || rep.Events != uint64(len(recs)) || rep.Checkpoints != 1 {
		t.Fatalf("report %+v\n%s", rep, failures(rep))
	}

	// A schema 1 event altered: caught at its act's corrigendum.
	rs := clone(recs)
	rs[0].data = bytes.Replace(rs[0].data, []byte(`"recorded_by":"`), []byte(`"recorded_by":"x`), 1)
	_, rep = replay(rs, []string{pub}, c)
	var corr uint64
	for _, r := range recs[len(v1acts):] {
		if r.act == recs[0].act {
			corr = r.seq
			break
		}
	}
	mustFail(t, rep, corr, recs[0].act, "chain")
	mustFail(t, rep, c.StreamSeq, "", "checkpoint_root")
	// A ledger event altered: hash at its sequence.
	last := &rs[len(rs)-1]
	last.data = bytes.Replace(last.data, []byte("reasonable"), []byte("unreasonable"), 1)
	_, rep = replay(rs, []string{pub}, c)
	mustFail(t, rep, last.seq, last.act, "hash")
}
