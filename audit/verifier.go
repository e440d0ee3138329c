package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
)

// Failure is one place where the record does not prove itself.
type Failure struct {
	Seq uint64       `json:"sequence,omitempty"`
	Act events.ActID `json:"act,omitempty"`
	// Kind is one of gap, hash, chain, decode, checkpoint_signature,
	// checkpoint_root, checkpoint_size, checkpoint_stream_seq; with a
	// state (CompareState) history_rewritten, stream_shorter,
	// checkpoints_missing, checkpoints_shorter, checkpoint_regressed; with
	// a policy (ApplyPolicy) checkpoint_missing, checkpoint_uncovered,
	// checkpoint_stale, witness_quorum.
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Verifier replays the stream in sequence order and checks it: the stream
// has no gap, each event's hash is the hash of its canonical encoding, each
// event's prev_hash is the hash of its act's previous event, and each
// checkpoint is signed by a trusted key over the root the replay computes.
type Verifier struct {
	// tree is the Merkle tree of the messages replayed, in memory; nil
	// when stored holds it instead (NewVerifierOver).
	tree *merkle.Tree
	// stored is the tree with its hashes in a merkle.Store, and storeErr
	// the first failure of that store: from then on the tree grows no
	// more, and Err returns it.
	stored   *merkle.StoredTree
	storeErr error
	acts     int // acts with an event added (their states: defects.acts)
	lastSeq  uint64
	events   uint64
	trusted  []string
	// Failures found so far, in the order found.
	Failures []Failure
	checked  int
	// unchecked counts the notes checked with no key (ErrUnpinned).
	unchecked int
	defects   Defects
	// validTip is the hash of the last valid event of the act of the
	// message being added (Defects.Tip).
	validTip events.Digest
	// newest is the newest checkpoint verified with a trusted key
	// (CheckStored); witnessedBy the witnesses whose cosignatures of it
	// verified (ApplyPolicy).
	newest      *verified
	witnessedBy []string
	// signed counts the checkpoints signed by a trusted key, sound or
	// not.
	signed int
	// remembered is the state compared with (CompareState), if any.
	remembered *State
	// notes holds the texts and first signature lines of the checkpoint
	// notes checked, and whether each held: a note stored again with
	// witnesses' cosignatures appended is the same checkpoint.
	notes map[string]bool
}

// NewVerifier returns a Verifier that trusts the given public keys for
// checkpoints (none: any key that signs validly, reported as unpinned).
func NewVerifier(trusted []string) *Verifier {
	return &Verifier{tree: &merkle.Tree{}, trusted: trusted}
}

// NewVerifierOver is NewVerifier with the Merkle tree's hashes in store,
// which must hold none: over a merkle.FileStore the tree takes a few
// kilobytes of memory at any size, where in memory it takes 64 bytes an
// event (issue 15). It checks all that NewVerifier's does; Tree returns
// nil, and TreeSize and RootAt read the tree. A failure of the store
// stops the tree, and Err returns it: the replay's roots are then
// unknown, and the replay must be run again over a sound store.
func NewVerifierOver(trusted []string, store merkle.Store) *Verifier {
	return &Verifier{stored: merkle.NewStoredTree(store), trusted: trusted}
}

// merkleTree is what the verifier reads of its tree, in memory or stored.
type merkleTree interface {
	Size() uint64
	RootAt(size uint64) (merkle.Hash, error)
	RangeRoot(start, end uint64) (merkle.Hash, error)
	ConsistencyProof(oldSize, newSize uint64) ([]merkle.Hash, error)
}

// leaves returns the verifier's tree, wherever its hashes are.
func (v *Verifier) leaves() merkleTree {
	if v.stored != nil {
		return v.stored
	}
	return v.tree
}

// appendLeaf adds leaf to the tree, unless its store failed.
func (v *Verifier) appendLeaf(leaf merkle.Hash) {
	if v.stored == nil {
		v.tree.Append(leaf)
		return
	}
	if v.storeErr != nil {
		return
	}
	if err := v.stored.Append(leaf); err != nil {
		v.storeErr = fmt.Errorf("the verifier's Merkle tree: %w", err)
	}
}

// root returns the root of the whole tree; zero when the store fails.
func (v *Verifier) root() merkle.Hash {
	h, _ := v.leaves().RootAt(v.leaves().Size())
	return h
}

// TreeSize returns the number of leaves of the verifier's tree: one a
// message replayed, while its store holds.
func (v *Verifier) TreeSize() uint64 { return v.leaves().Size() }

// RootAt returns the root of the verifier's tree of the first size
// leaves.
func (v *Verifier) RootAt(size uint64) (merkle.Hash, error) { return v.leaves().RootAt(size) }

// Err returns the failure of the tree's store (NewVerifierOver), if one
// failed: the replay's tree is then short, and its roots unknown.
func (v *Verifier) Err() error { return v.storeErr }

func (v *Verifier) fail(f Failure) { v.Failures = append(v.Failures, f) }

// LeafOf returns the Merkle leaf hash of an event: LeafHash of its 32-byte
// event hash (for events of schema 1, the hash computed from its canonical
// encoding).
func LeafOf(e *events.Event) (merkle.Hash, events.Digest, error) {
	h := e.Hash
	if h.IsZero() {
		var err error
		if h, err = e.ComputeHash(); err != nil {
			return merkle.Hash{}, h, err
		}
	}
	return leafOfDigest(h), h, nil
}

func leafOfDigest(h events.Digest) merkle.Hash { return merkle.LeafHash(h[:]) }

func gapMessage(seq, last uint64) string {
	return fmt.Sprintf("sequence %d follows %d: events %d to %d are missing from the stream", seq, last, last+1, seq-1)
}

func chainMessage(seq uint64, act events.ActID, named, actual events.Digest) string {
	return fmt.Sprintf("the event at sequence %d names %s as the previous event of %s, but that act's previous event in the stream hashes to %s: an event of this act was altered, removed or moved", seq, short(named), act, short(actual))
}

// Add checks the event at stream sequence seq and adds it to the tree.
func (v *Verifier) Add(seq uint64, e *events.Event) {
	if seq != v.lastSeq+1 {
		v.fail(Failure{Seq: seq, Act: e.Act, Kind: "gap", Message: gapMessage(seq, v.lastSeq)})
	}
	v.lastSeq = seq
	v.events++
	leaf, h, err := LeafOf(e)
	if err != nil {
		v.fail(Failure{Seq: seq, Act: e.Act, Kind: "decode", Message: err.Error()})
	}
	if !e.Hash.IsZero() {
		if want, err := e.ComputeHash(); err == nil && want != e.Hash {
			v.fail(Failure{Seq: seq, Act: e.Act, Kind: "hash", Message: fmt.Sprintf("event %s at sequence %d says its hash is %s, but its content hashes to %s: it was altered", e.ID, seq, e.Hash, want)})
		}
	}
	st := v.defects.state(e.Act)
	if e.Schema >= 2 {
		if prev := st.last; e.PrevHash != prev && (e.PrevHash != v.validTip || prev.IsZero()) {
			v.fail(Failure{Seq: seq, Act: e.Act, Kind: "chain", Message: chainMessage(seq, e.Act, e.PrevHash, prev)})
		}
	}
	v.setLast(st, h)
	v.appendLeaf(leaf)
}

// setLast notes h as the hash of the last event of st's act as stored.
func (v *Verifier) setLast(st *actState, h events.Digest) {
	st.last = h
	if !st.added {
		st.added = true
		v.acts++
	}
}

// Bad records an event that could not be read at all; act may be empty
// when the subject names none.
func (v *Verifier) Bad(seq uint64, act events.ActID, err error) { v.bad(seq, act, err, nil) }

// bad is Bad with the message's bytes, when known, for its leaf.
func (v *Verifier) bad(seq uint64, act events.ActID, err error, data []byte) {
	if seq != v.lastSeq+1 {
		v.fail(Failure{Seq: seq, Act: act, Kind: "gap", Message: gapMessage(seq, v.lastSeq)})
	}
	v.lastSeq = seq
	v.events++
	v.fail(Failure{Seq: seq, Act: act, Kind: "decode", Message: fmt.Sprintf("sequence %d does not hold a readable event: %v", seq, err)})
	// Keep the tree aligned with the stream, with the leaf a projector
	// gives the message (a defect, which it signs as stored).
	v.appendLeaf(unreadableLeaf(data))
}

// Check verifies a checkpoint against the replay so far: run it after the
// replay, so that every checkpoint's tree is within the replayed one.
func (v *Verifier) Check(c Checkpoint) { v.CheckStored(c, time.Time{}) }

// CheckStored is Check for a checkpoint as the checkpoints stream stored
// it, at storedAt (zero when unknown): the time the age policy falls back
// on when the checkpoint states none. Of the checkpoints whose signature a
// trusted key verified and whose tree is the stream's, the one of the
// largest tree (the later of equals) is the newest, which the policy
// (ApplyPolicy) and the state (State, CompareState) look at; the
// signature lines of every copy of its note stored are gathered, so that
// cosignatures stored beside it count.
func (v *Verifier) CheckStored(c Checkpoint, storedAt time.Time) {
	ok, pinned := v.check(c)
	text, _ := splitNote(c.Note)
	switch {
	case ok && pinned && (v.newest == nil || c.TreeSize >= v.newest.c.TreeSize):
		if v.newest != nil && text != "" && text == v.newest.text {
			v.newest.merge(c.Note)
			return
		}
		v.newest = &verified{c: c, at: storedAt, text: text}
		v.newest.merge(c.Note)
	case v.newest != nil && text != "" && text == v.newest.text:
		v.newest.merge(c.Note)
	}
}

// check verifies c and reports whether it holds, and whether its
// signature was checked with a trusted key: with none, an old JSON
// checkpoint is checked with the key it names, which proves nothing of
// who signed it.
//
// The same checkpoint note stored again with witnesses' cosignatures
// appended (docs/WITNESS.md) is the same tree: its log signature is
// checked, and it is not counted again.
func (v *Verifier) check(c Checkpoint) (ok, pinned bool) {
	pinned = len(v.trusted) > 0
	if text, sigs, found := strings.Cut(c.Note, "\n\n"); found {
		// The text and the log's signature line, which the cosigned copy
		// keeps first: a note of the same text signed by another key is
		// another statement, and counted.
		first, _, _ := strings.Cut(sigs, "\n")
		text += "\n\n" + first
		if held, seen := v.notes[text]; seen {
			if err := c.Verify(v.trusted); err != nil && !errors.Is(err, ErrUnpinned) {
				v.fail(Failure{Seq: c.StreamSeq, Kind: "checkpoint_signature", Message: err.Error()})
				return false, false
			}
			return held, pinned
		}
		if v.notes == nil {
			v.notes = map[string]bool{}
		}
		defer func() { v.notes[text] = ok }()
	}
	v.checked++
	if err := c.Verify(v.trusted); errors.Is(err, ErrUnpinned) {
		v.unchecked++ // no key to check a note with: its tree is checked all the same
	} else if err != nil {
		v.fail(Failure{Seq: c.StreamSeq, Kind: "checkpoint_signature", Message: err.Error()})
		return false, false
	}
	if pinned {
		v.signed++
	}
	if size := v.leaves().Size(); c.TreeSize > size {
		v.fail(Failure{Seq: c.StreamSeq, Kind: "checkpoint_size", Message: fmt.Sprintf("checkpoint signs a tree of %d events, but the stream holds %d: events were removed", c.TreeSize, size)})
		return false, pinned
	}
	root, err := v.leaves().RootAt(c.TreeSize)
	if err != nil {
		v.fail(Failure{Seq: c.StreamSeq, Kind: "checkpoint_root", Message: err.Error()})
		return false, pinned
	}
	if root != c.Root {
		v.fail(Failure{Seq: c.StreamSeq, Kind: "checkpoint_root", Message: fmt.Sprintf("checkpoint signed at %s says the first %d events have root %s, but the stream's first %d events have root %s: an event up to sequence %d was altered, removed, added or moved", c.Time.Format("2006-01-02T15:04:05Z07:00"), c.TreeSize, c.Root, c.TreeSize, root, c.StreamSeq)})
		return false, pinned
	}
	if f, bad := streamSeqFailure(c, v.lastSeq); bad {
		v.fail(f)
		return false, pinned
	}
	return true, pinned
}

// Report is the outcome of a verification, to keep.
type Report struct {
	OK          bool        `json:"ok"`
	Events      uint64      `json:"events"`
	Acts        int         `json:"acts"`
	LastSeq     uint64      `json:"last_seq"`
	TreeSize    uint64      `json:"tree_size"`
	Root        merkle.Hash `json:"root"`
	Checkpoints int         `json:"checkpoints_checked"`
	// SignaturesUnchecked counts the checkpoint notes whose signature
	// could not be checked, no key being trusted (ErrUnpinned).
	SignaturesUnchecked int       `json:"signatures_unchecked,omitempty"`
	TrustedKeys         []string  `json:"trusted_keys,omitempty"`
	Failures            []Failure `json:"failures"`
	// Defects are the messages that are not valid events of their acts,
	// as the projector finds them and leaves them out of the views
	// (docs/RUNBOOK.md, Defects). Any makes OK false.
	Defects []eventlog.Entry `json:"defects,omitempty"`
	// Newest is the newest checkpoint verified with a trusted key, its
	// note with every signature and cosignature found for it.
	Newest *Checkpoint `json:"newest_checkpoint,omitempty"`
	// WitnessedBy names the witnesses whose cosignatures of it verified,
	// when witnesses were required (ApplyPolicy).
	WitnessedBy []string `json:"witnessed_by,omitempty"`
}

// Report returns the outcome so far.
func (v *Verifier) Report() Report {
	f := v.Failures
	if f == nil {
		f = []Failure{}
	}
	var newest *Checkpoint
	if v.newest != nil {
		c := v.newest.c
		c.Note = v.newest.note()
		newest = &c
	}
	return Report{OK: len(f) == 0 && len(v.defects.list) == 0, Defects: v.defects.List(), Events: v.events, Acts: v.acts, LastSeq: v.lastSeq, TreeSize: v.leaves().Size(),
		Root: v.root(), Checkpoints: v.checked, SignaturesUnchecked: v.unchecked, TrustedKeys: v.trusted, Failures: f,
		Newest: newest, WitnessedBy: v.witnessedBy}
}

// Tree returns the verifier's Merkle tree in memory; nil for a verifier
// whose tree is in a store (NewVerifierOver), read with TreeSize and
// RootAt.
func (v *Verifier) Tree() *merkle.Tree { return v.tree }

func short(d events.Digest) string {
	if d.IsZero() {
		return "none (the act's first event)"
	}
	return d.String()[:16] + "…"
}
