package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
)

// rewriteFrom changes the event at index i (sequence i+1) and re-seals it
// and every later event, their chains recomputed: the rewrite of an
// operator who holds the data, invisible to hashes and chains.
func rewriteFrom(t testing.TB, recs []rec, i int) []rec {
	t.Helper()
	out := clone(recs)
	last := map[events.ActID]events.Digest{}
	for j := range out {
		e, err := events.Decode(out[j].data)
		if err != nil {
			t.Fatal(err)
		}
		if j >= i {
			if j == i {
				e.RecordedBy = "mallory"
			}
			e.PrevHash = last[e.Act]
			if out[j].data, err = e.Seal(); err != nil {
				t.Fatal(err)
			}
		}
		last[e.Act] = e.Hash
		out[j].hash = e.Hash
	}
	return out
}

// stateOf replays recs and returns what a passing run remembers, keeping
// at most maxBlocks range hashes.
func stateOf(t testing.TB, recs []rec, maxBlocks int, cps ...audit.Checkpoint) audit.State {
	t.Helper()
	v, rep := replay(recs, nil, cps...)
	if !rep.OK {
		t.Fatalf("the stream to remember does not verify:\n%s", failures(rep))
	}
	return v.State("LEX", audit.CheckpointStream{Exists: true, Messages: uint64(len(cps))}, maxBlocks, baseTime)
}

// TestStateFile: the state is written with mode 0600, atomically (no
// temporary file left), and read back as written; a damaged file is
// refused with what to do.
func TestStateFile(t *testing.T) {
	recs := sealChain(t, nEvents, nActs)
	s := stateOf(t, recs, 0)
	path := filepath.Join(t.TempDir(), "state.json")
	if _, found, err := audit.ReadState(path); found || err != nil {
		t.Fatalf("a missing state file: found %v, %v; want not found and no error", found, err)
	}
	if err := audit.WriteState(path, s); err != nil {
		t.Fatal(err)
	}
	if err := audit.WriteState(path, s); err != nil { // over the old one
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	if names, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(names) != 1 {
		t.Errorf("files beside the state: %v, want the state alone", names)
	}
	got, found, err := audit.ReadState(path)
	if err != nil || !found {
		t.Fatalf("read the state: %v %v", found, err)
	}
	if got.TreeSize != nEvents || got.Root != s.Root || len(got.Blocks) != nEvents*32 || got.BlockLevel != 0 {
		t.Errorf("read back %+v, want the tree of %d events with a hash per event", got, nEvents)
	}

	for name, data := range map[string]string{
		"not json":      "{",
		"other version": `{"version":2}`,
		"short blocks":  `{"version":1,"tree_size":3,"blocks":"AAAA"}`,
	} {
		os.WriteFile(path, []byte(data), 0o600)
		if _, _, err := audit.ReadState(path); err == nil || !strings.Contains(err.Error(), "start remembering afresh") {
			t.Errorf("%s: %v; want an error that says what to do", name, err)
		}
	}
}

// TestStateRewrite: a stream rewritten from sequence 23 on, re-hashed and
// re-chained, passes a replay, but not the comparison with the state of
// the genuine stream, which names the first differing size exactly, or
// the range holding it when the state keeps range hashes.
func TestStateRewrite(t *testing.T) {
	recs := sealChain(t, nEvents, nActs) // 60 events
	longer := sealChain(t, nEvents+20, nActs)
	rewritten := rewriteFrom(t, longer, 22)
	if _, rep := replay(rewritten, nil); !rep.OK {
		t.Fatalf("the rewrite must pass a replay without a state:\n%s", failures(rep))
	}
	cases := []struct {
		name      string
		maxBlocks int
		at        int // index rewritten
		seq       uint64
		says      string
	}{
		{"exact", 0, 22, 23, "the first differing tree size is 23: the event at sequence 23"},
		{"in a range", 4, 22, 17, "between 17 and 32"},                             // ranges of 16 events: [16, 32)
		{"in the tail", 4, 54, 49, "between 49 and 60"},                            // ranges cover [0, 48)
		{"at the first event", 0, 0, 1, "tree size is 1: the event at sequence 1"}, // the first event
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := stateOf(t, recs, tc.maxBlocks)
			v, _ := replay(rewriteFrom(t, longer, tc.at), nil)
			v.CompareState(s, audit.CheckpointStream{Exists: true})
			f := mustFail(t, v.Report(), tc.seq, "", "history_rewritten")
			if !strings.Contains(f.Message, tc.says) || !strings.Contains(f.Message, s.Root.String()) {
				t.Errorf("message %q does not say %q and the remembered root", f.Message, tc.says)
			}
			if len(v.Report().Failures) != 1 {
				t.Errorf("want the rewrite alone:\n%s", failures(v.Report()))
			}
		})
	}

	t.Run("extended honestly", func(t *testing.T) {
		for _, maxBlocks := range []int{0, 4} {
			v, _ := replay(longer, nil)
			v.CompareState(stateOf(t, recs, maxBlocks), audit.CheckpointStream{Exists: true})
			if rep := v.Report(); !rep.OK {
				t.Errorf("the genuine stream, extended, fails against its state:\n%s", failures(rep))
			}
		}
	})

	t.Run("cut", func(t *testing.T) {
		v, _ := replay(recs[:50], nil)
		v.CompareState(stateOf(t, recs, 0), audit.CheckpointStream{Exists: true})
		f := mustFail(t, v.Report(), 51, "", "stream_shorter")
		if !strings.Contains(f.Message, "events 51 to 60 were removed") || len(v.Report().Failures) != 1 {
			t.Errorf("message %q; want the cut alone, naming it:\n%s", f.Message, failures(v.Report()))
		}
	})

	t.Run("cut and rewritten", func(t *testing.T) {
		v, _ := replay(rewriteFrom(t, recs[:50], 30), nil)
		v.CompareState(stateOf(t, recs, 0), audit.CheckpointStream{Exists: true})
		mustFail(t, v.Report(), 51, "", "stream_shorter")
		mustFail(t, v.Report(), 31, "", "history_rewritten")
	})
}

// TestStateCheckpoints: the checkpoints stream gone, shorter, or its newest
// checkpoint smaller than the remembered one, each fails; the remembered
// checkpoint note is kept with its signatures.
func TestStateCheckpoints(t *testing.T) {
	s := mustSigner(t, audit.DefaultOrigin)
	keys := []string{s.VerifierKey()}
	recs := sealChain(t, nEvents, nActs)
	c40, c60 := noteOf(t, recs[:40], s), noteOf(t, recs, s)
	v, rep := replay(recs, keys, c40, c60)
	if !rep.OK || rep.Newest == nil || rep.Newest.TreeSize != nEvents {
		t.Fatalf("newest %+v, failures:\n%s", rep.Newest, failures(rep))
	}
	st := v.State("LEX", audit.CheckpointStream{Exists: true, Messages: 2}, 0, baseTime)
	if st.CheckpointSize != nEvents || st.Checkpoint != c60.Note || st.CheckpointMessages != 2 {
		t.Fatalf("state remembers checkpoint %d %q of %d messages", st.CheckpointSize, st.Checkpoint, st.CheckpointMessages)
	}
	// Without a trusted key no checkpoint is remembered: an old JSON one
	// is checked with the key it names, whoever holds it.
	kp, _ := newKey(t)
	v2, rep2 := replay(recs, nil, checkpointOf(t, recs, kp))
	if !rep2.OK || rep2.Newest != nil || v2.State("LEX", audit.CheckpointStream{Exists: true, Messages: 1}, 0, baseTime).CheckpointSize != 0 {
		t.Errorf("unpinned: newest %+v, failures:\n%s", rep2.Newest, failures(rep2))
	}
	cases := []struct {
		name string
		cps  []audit.Checkpoint
		seen audit.CheckpointStream
		kind string
	}{
		{"same", []audit.Checkpoint{c40, c60}, audit.CheckpointStream{Exists: true, Messages: 2}, ""},
		{"stream deleted", nil, audit.CheckpointStream{}, "checkpoints_missing"},
		{"stream shorter", []audit.Checkpoint{c60}, audit.CheckpointStream{Exists: true, Messages: 1}, "checkpoints_shorter"},
		{"newest regressed", []audit.Checkpoint{c40, c40}, audit.CheckpointStream{Exists: true, Messages: 2}, "checkpoint_regressed"},
	}
	t.Run("without a key", func(t *testing.T) {
		// Nothing verifies a checkpoint: the remembered one is neither
		// compared nor forgotten.
		v, _ := replay(recs, nil, c40, c60)
		v.CompareState(st, audit.CheckpointStream{Exists: true, Messages: 2})
		if rep := v.Report(); !rep.OK {
			t.Fatalf("fails:\n%s", failures(rep))
		}
		next := v.State("LEX", audit.CheckpointStream{Exists: true, Messages: 2}, 0, baseTime)
		if next.CheckpointSize != nEvents || next.Checkpoint != st.Checkpoint {
			t.Errorf("the state of a run without a key remembers checkpoint %d %q; want the one remembered before", next.CheckpointSize, next.Checkpoint)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := replay(recs, keys, tc.cps...)
			v.CompareState(st, tc.seen)
			rep := v.Report()
			if tc.kind == "" {
				if !rep.OK {
					t.Fatalf("fails:\n%s", failures(rep))
				}
				return
			}
			var got []string
			for _, f := range rep.Failures {
				got = append(got, f.Kind)
			}
			if !strings.Contains(strings.Join(got, " "), tc.kind) {
				t.Fatalf("failures %v, want %s:\n%s", got, tc.kind, failures(rep))
			}
		})
	}
}

// TestStateTimes: a state's time is the run's, in UTC.
func TestStateTimes(t *testing.T) {
	recs := sealChain(t, 3, 1)
	v, _ := replay(recs, nil)
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.FixedZone("x", 3600))
	if s := v.State("LEX", audit.CheckpointStream{}, 0, at); !s.VerifiedAt.Equal(at) || s.VerifiedAt.Location() != time.UTC {
		t.Errorf("verified at %v, want %v in UTC", s.VerifiedAt, at)
	}
}
