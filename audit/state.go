package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/lexledger/lexledger/internal/atomicfile"
	"github.com/lexledger/lexledger/merkle"
)

// StateVersion is the version of the state file this package writes and
// reads.
const StateVersion = 1

// MaxStateBlocks bounds the range hashes a State keeps: 2 MB of hashes at
// most, whatever the size of the ledger.
const MaxStateBlocks = 1 << 16

// State is what an auditor remembers of the last run of verify that
// passed (verify --state FILE): the tree as verified, the newest checkpoint
// verified with its signatures and cosignatures, and how many messages the
// checkpoints stream held. A later run demands that the stream's tree
// extend the remembered one (a consistency proof from it) and that the
// checkpoints did not go away.
//
// To name the first size at which a rewritten tree differs, it keeps the
// roots of the consecutive ranges of 2^BlockLevel leaves of the tree
// (Blocks), BlockLevel the smallest that keeps them to MaxStateBlocks: up
// to 65,536 events, a range is one leaf and the size is named exactly;
// beyond, it is named to within a range (of 256 events at 10,000,000),
// since the leaves themselves would take 32 bytes each (320 MB at
// 10,000,000 events).
type State struct {
	Version int `json:"version"`
	// Stream is the stream verified.
	Stream string `json:"stream"`
	// TreeSize and Root are the tree of the stream as verified.
	TreeSize uint64      `json:"tree_size"`
	Root     merkle.Hash `json:"root"`
	// BlockLevel and Blocks: Blocks is the concatenation of the 32-byte
	// roots (merkle.Tree.RangeRoot) of the ranges [i<<BlockLevel,
	// (i+1)<<BlockLevel) within TreeSize, in order.
	BlockLevel uint8  `json:"block_level"`
	Blocks     []byte `json:"blocks"`
	// Checkpoint is the newest checkpoint verified, as stored, with every
	// signature and cosignature line found for it; empty for none.
	Checkpoint string `json:"checkpoint,omitempty"`
	// CheckpointSize is its tree size.
	CheckpointSize uint64 `json:"checkpoint_tree_size,omitempty"`
	// CheckpointMessages is the number of messages the checkpoints stream
	// held; CheckpointsExisted whether it existed at all.
	CheckpointMessages uint64 `json:"checkpoint_messages"`
	CheckpointsExisted bool   `json:"checkpoints_existed"`
	// VerifiedAt is when the run that wrote the state passed.
	VerifiedAt time.Time `json:"verified_at"`
}

// CheckpointStream is what a run saw of the checkpoints stream.
type CheckpointStream struct {
	Exists   bool
	Messages uint64
}

// blockLevel returns the smallest level whose ranges of a tree of size
// leaves are at most max.
func blockLevel(size uint64, max int) uint8 {
	var l uint8
	for max > 0 && size>>l > uint64(max) {
		l++
	}
	return l
}

// State returns what to remember of this verification: run it after the
// replay and the checkpoints, when the report is OK. maxBlocks bounds the
// range hashes kept (MaxStateBlocks when 0 or less).
func (v *Verifier) State(stream string, cps CheckpointStream, maxBlocks int, now time.Time) State {
	if maxBlocks <= 0 {
		maxBlocks = MaxStateBlocks
	}
	size := v.leaves().Size()
	l := blockLevel(size, maxBlocks)
	s := State{Version: StateVersion, Stream: stream, TreeSize: size, Root: v.root(), BlockLevel: l,
		Blocks:             make([]byte, 0, (size>>l)*32),
		CheckpointMessages: cps.Messages, CheckpointsExisted: cps.Exists, VerifiedAt: now.UTC()}
	for i := range size >> l {
		h, _ := v.leaves().RangeRoot(i<<l, (i+1)<<l)
		s.Blocks = append(s.Blocks, h[:]...)
	}
	if n := v.newest; n != nil {
		s.Checkpoint, s.CheckpointSize = n.note(), n.c.TreeSize
	} else if r := v.remembered; r != nil {
		// No key to verify one with this time: the remembered checkpoint
		// still holds, the tree extending the one it was verified with.
		s.Checkpoint, s.CheckpointSize = r.Checkpoint, r.CheckpointSize
	}
	return s
}

// ReadState reads a state file. A file that does not exist is no error:
// found is false, and the run starts remembering.
func ReadState(path string) (s State, found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("read the state file: %w", err)
	}
	redo := "restore the file from a copy, or move it away to start remembering afresh (what it remembered is then lost)"
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, false, fmt.Errorf("the state file %s is not a verify state (%v): %s", path, err, redo)
	}
	if s.Version != StateVersion {
		return State{}, false, fmt.Errorf("the state file %s is of version %d, and this verify reads version %d: use the verify that wrote it, or %s", path, s.Version, StateVersion, redo)
	}
	if want := (s.TreeSize >> s.BlockLevel) * 32; s.BlockLevel > 63 || uint64(len(s.Blocks)) != want {
		return State{}, false, fmt.Errorf("the state file %s holds %d bytes of range hashes, but a tree of %d events in ranges of 2^%d needs %d: the file was damaged; %s", path, len(s.Blocks), s.TreeSize, s.BlockLevel, want, redo)
	}
	return s, true, nil
}

// WriteState writes s to path atomically: to a new file beside it, mode
// 0600, synced to disk, then renamed over path, and the directory synced;
// a crash leaves the old state or the new one, never a mix.
func WriteState(path string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the state file: %w", err)
	}
	return nil
}

// CompareState checks the replay and the checkpoints against what an
// auditor remembers (s, from the last run that passed): run it after the
// replay and every checkpoint. It reports
//   - stream_shorter: the stream holds fewer events than remembered;
//   - history_rewritten: the stream's first s.TreeSize events are not the
//     ones remembered (no consistency proof from the remembered tree to
//     the stream's holds), naming the first differing tree size;
//   - checkpoints_missing: there is no checkpoints stream, though the
//     remembered run saw checkpoints;
//   - checkpoints_shorter: it holds fewer messages than remembered;
//   - checkpoint_regressed: the newest checkpoint that verifies signs a
//     smaller tree than the one remembered.
//
// Without a trusted key no checkpoint is verified, so the remembered one
// is not compared, and is remembered again (State).
func (v *Verifier) CompareState(s State, cps CheckpointStream) {
	v.remembered = &s
	at := s.VerifiedAt.Format(time.RFC3339)
	size := v.leaves().Size()
	if size < s.TreeSize {
		v.fail(Failure{Seq: size + 1, Kind: "stream_shorter", Message: fmt.Sprintf("the stream holds %d events, but %d were verified at %s (verify --state): events %d to %d were removed from its end; keep the state file and this report as evidence, and restore the stream from a backup taken before the cut (check it first: projector verify --backup DIR --state FILE)",
			size, s.TreeSize, at, size+1, s.TreeSize)})
	}
	v.compareTree(s, at)
	v.compareCheckpoints(s, cps, at)
}

// compareTree demands a consistency proof from the remembered tree to the
// stream's, and when it fails, finds the first range that differs.
func (v *Verifier) compareTree(s State, at string) {
	size := v.leaves().Size()
	if size >= s.TreeSize {
		proof, err := v.leaves().ConsistencyProof(s.TreeSize, size)
		if err == nil {
			err = merkle.VerifyConsistency(s.TreeSize, size, s.Root, v.root(), proof)
		}
		if err == nil {
			return
		}
	}
	// The remembered ranges, within the stream's tree, in order: the first
	// that differs holds the first differing leaf.
	l, n := s.BlockLevel, min(s.TreeSize, size)
	first, last := uint64(0), uint64(0) // the differing leaves lie in [first, last)
	found := false
	for i := range n >> l {
		got, err := v.leaves().RangeRoot(i<<l, (i+1)<<l)
		if err != nil || string(got[:]) != string(s.Blocks[i*32:(i+1)*32]) {
			first, last, found = i<<l, (i+1)<<l, true
			break
		}
	}
	if !found {
		if size < s.TreeSize {
			return // all that is left is a prefix of what was verified: only shorter
		}
		// The ranges agree; the difference is in the leaves after them.
		first, last = (s.TreeSize>>l)<<l, s.TreeSize
		if first == last {
			v.fail(Failure{Kind: "history_rewritten", Message: fmt.Sprintf("the stream's tree does not extend the one verified at %s (verify --state), yet every range hash the state file keeps matches: the state file itself was altered; check it against your copy", at)})
			return
		}
	}
	root, _ := v.leaves().RootAt(n)
	where := fmt.Sprintf("the first differing tree size is %d: the event at sequence %d is not the one verified", first+1, first+1)
	if last-first > 1 {
		where = fmt.Sprintf("the first differing tree size is between %d and %d: an event at a sequence from %d to %d is not the one verified (the state keeps the hashes of ranges of %d events, not of each event)", first+1, last, first+1, last, uint64(1)<<l)
	}
	v.fail(Failure{Seq: first + 1, Kind: "history_rewritten", Message: fmt.Sprintf("the tree of the stream's first %d events has root %s, but the one verified at %s (verify --state) had root %s: no consistency proof holds from it, the record was rewritten, even if re-signed; %s. Keep the state file and this report as evidence, and compare the stream with a backup taken before the rewrite (projector verify --backup DIR --state FILE)",
		n, root, at, v.rememberedRoot(s, n), where)})
}

// rememberedRoot is the remembered root of the first n leaves when known
// (n is the remembered size), else "(not kept)".
func (v *Verifier) rememberedRoot(s State, n uint64) string {
	if n == s.TreeSize {
		return s.Root.String()
	}
	return fmt.Sprintf("(of its first %d events: not kept; of all %d: %s)", n, s.TreeSize, s.Root)
}

func (v *Verifier) compareCheckpoints(s State, cps CheckpointStream, at string) {
	switch {
	case !cps.Exists && s.CheckpointMessages > 0:
		v.fail(Failure{Kind: "checkpoints_missing", Message: fmt.Sprintf("there is no checkpoints stream, but it held %s at %s (verify --state): it was deleted; restore it from a backup (ledger restore --stream LEX_CHECKPOINTS DIR) and ask the operator why it went",
			messages(s.CheckpointMessages), at)})
	case cps.Messages < s.CheckpointMessages:
		v.fail(Failure{Kind: "checkpoints_shorter", Message: fmt.Sprintf("the checkpoints stream holds %s, but it held %d at %s (verify --state): checkpoints were removed (the stream deleted and made again, or replaced); restore it from a backup and ask the operator why",
			messages(cps.Messages), s.CheckpointMessages, at)})
	}
	if s.CheckpointSize == 0 || len(v.trusted) == 0 {
		return
	}
	if v.newest == nil {
		v.fail(Failure{Kind: "checkpoint_regressed", Message: fmt.Sprintf("no checkpoint verifies now, but one of tree size %d verified at %s (verify --state; the state file holds it): the checkpoints were removed or replaced; restore them from a backup", s.CheckpointSize, at)})
		return
	}
	if c := v.newest.c; c.TreeSize < s.CheckpointSize {
		v.fail(Failure{Seq: c.StreamSeq, Kind: "checkpoint_regressed", Message: fmt.Sprintf("the newest checkpoint that verifies signs tree size %d, but one of tree size %d verified at %s (verify --state; the state file holds it): newer checkpoints were removed; restore them from a backup",
			c.TreeSize, s.CheckpointSize, at)})
	}
}

// messages says "1 message" or "n messages".
func messages(n uint64) string {
	if n == 1 {
		return "1 message"
	}
	return fmt.Sprintf("%d messages", n)
}
