package projector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
)

// auditState is the projector's evidence: a Merkle tree over every event
// applied, in stream order, and the checkpoints it signed. Guarded by
// Service.mu.
type auditState struct {
	tree *merkle.StoredTree
	// files holds the tree's hashes when Options.TreeDir is set; nil
	// while they are in memory.
	files *merkle.FileStore
	// treeErr is the failure of the tree's store, if one failed: from
	// then on the tree grows no more, and the projector signs, proves and
	// reports ready no more, until it is started again.
	treeErr error
	// index finds where each event is (leafindex.go); nil for a part's
	// projector, which proves nothing. For a tree reopened from its files
	// (treefiles.go) it holds the leaves from histTo on, and hist those
	// before, read from the projection when first needed (loadHistory).
	index  *leafIndex
	hist   *leafIndex
	histTo uint64
	// histSeq is the sequence of the leaf histTo-1; histDone is closed
	// when the index of those leaves that Run starts (startHistory) ends.
	histSeq  uint64
	histDone chan struct{}
	// marked is the tree's size at its last mark in the projection's
	// store (markTree).
	marked uint64
	last   *audit.Checkpoint // the latest checkpoint signed, which the tree extends
	// found is the last checkpoint read from the checkpoints stream (its
	// own, for a signer), whether the tree extends it or not.
	found *audit.Checkpoint
	// conflict says why the tree does not extend found, or why the
	// signer refused to sign; nil when it does (signer.go).
	conflict error
	refusals uint64 // refusals to sign
}

// addLeaf appends an applied event, at stream sequence seq, to the tree.
// The caller holds s.mu.
func (s *Service) addLeaf(seq uint64, e *events.Event) {
	_, h, err := audit.LeafOf(e)
	s.addLeafOf(seq, e.Act, e.ID, h, err)
}

// addLeafOf appends the leaf of an event of act, whose id is id and whose
// hash is h (err when it has none), to the tree. The caller holds s.mu.
func (s *Service) addLeafOf(seq uint64, act events.ActID, id events.ID, h events.Digest, err error) {
	leaf := merkle.LeafHash(h[:])
	if err != nil {
		leaf = merkle.LeafHash([]byte("unhashable"))
	}
	if s.appendLeaf(seq, leaf) {
		s.audit.index.event(id, s.proj.SharedActID(act))
	}
}

// addDefectLeaf appends a defect to the tree: the tree covers the stream
// as stored, one leaf per message, so that a checkpoint also vouches for
// the defects it saw (docs/VERIFY.md). Its leaf is that of its digest; it
// is not indexed, having no event id of its own. The caller holds s.mu.
func (s *Service) addDefectLeaf(seq uint64, d *eventlog.Defect) {
	s.appendLeaf(seq, merkle.LeafHash(d.Digest[:]))
}

// appendLeaf appends leaf, the message at stream sequence seq, to the
// tree, unless its store failed before; a failure of the store now is
// kept in treeErr. The caller holds s.mu.
func (s *Service) appendLeaf(seq uint64, leaf merkle.Hash) bool {
	if s.audit.treeErr != nil {
		return false
	}
	if err := s.audit.tree.Append(leaf); err != nil {
		s.treeFailed(err)
		return false
	}
	if s.audit.index == nil {
		s.audit.index = newLeafIndex()
	}
	s.audit.index.leaf(s.audit.tree.Size()-1, seq)
	return true
}

// treeFailed keeps the failure of the tree's store, and logs it once.
func (s *Service) treeFailed(err error) {
	s.audit.treeErr = events.Errorf(events.CodeUnavailable, "the Merkle tree's store failed (%v): this projector signs and proves nothing until it is restarted; check the disk of %s", err, s.opts.TreeDir)
	s.log.Error("the Merkle tree's store failed; no checkpoint or proof until a restart", "dir", s.opts.TreeDir, "err", err)
}

// newTree returns an empty tree: in files in Options.TreeDir, written
// anew, or in memory.
func (s *Service) newTree() (*merkle.StoredTree, *merkle.FileStore, error) {
	if s.opts.TreeDir == "" || s.partial() {
		return merkle.NewStoredTree(&merkle.MemStore{}), nil, nil
	}
	if s.audit.files != nil {
		if err := s.audit.files.Close(); err != nil {
			s.log.Warn("closing the Merkle tree's files", "err", err)
		}
	}
	files, err := merkle.OpenFileStore(s.opts.TreeDir, 0)
	if err != nil {
		return merkle.NewStoredTree(&merkle.MemStore{}), nil, err
	}
	return merkle.NewStoredTree(files), files, nil
}

// rebuildTree rebuilds the tree from the projection, restored or new:
// the tree's files, if it has them, are written anew, so that they can
// never disagree with the events (they save memory, 64 bytes an event,
// not time). A failure is kept in treeErr. The caller holds s.mu.
func (s *Service) rebuildTree() {
	tree, files, err := s.newTree()
	if s.partial() {
		s.audit = auditState{tree: tree} // a part's tree is not the stream's: none is kept
		return
	}
	s.audit = auditState{tree: tree, files: files, index: newLeafIndex()}
	if err != nil {
		s.treeFailed(err)
		return
	}
	// The events' hashes are read from their stored bytes: no event is
	// decoded (projections.Projection.EachLeaf).
	s.proj.EachLeaf(func(seq uint64, act events.ActID, id events.ID, h events.Digest, err error, d *eventlog.Defect) {
		if d != nil {
			s.addDefectLeaf(seq, d)
			return
		}
		s.addLeafOf(seq, act, id, h, err)
	})
}

// openTree moves the tree into files, rebuilt, when Options.TreeDir asks
// for them and they are not open yet, and returns the failure of the
// tree's store, if any. Run calls it before it applies events.
func (s *Service) openTree() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.TreeDir != "" && !s.partial() && s.audit.files == nil && s.audit.treeErr == nil {
		s.rebuildTree()
	}
	return s.audit.treeErr
}

// ErrNoSigner is returned when checkpoints are asked of a projector
// without a signing key.
var ErrNoSigner = events.Errorf(events.CodeNotFound, "this projector has no checkpoint signing key: start it with one (--checkpoint-key), or ask the projector that signs")

// Checkpoint signs a checkpoint of the tree as it stands, publishes it on
// the checkpoints stream, and returns it. A tree that has not grown since
// the last checkpoint returns that one.
func (s *Service) Checkpoint(ctx context.Context) (audit.Checkpoint, error) {
	if s.partial() {
		return audit.Checkpoint{}, s.partialRefusal("checkpoints")
	}
	if s.opts.Signer == nil {
		return audit.Checkpoint{}, ErrNoSigner
	}
	if !s.Ready() {
		return audit.Checkpoint{}, events.Errorf(events.CodeUnavailable, "the projector has not caught up with the stream yet: it signs once it has")
	}
	s.publishing.Lock()
	defer s.publishing.Unlock()
	prev, signed, err := s.storedCheckpoint(ctx, s.opts.Signer.VerifierKey())
	if err != nil {
		return audit.Checkpoint{}, fmt.Errorf("sign a checkpoint: %w", err)
	}
	s.mu.Lock()
	if err := s.audit.treeErr; err != nil {
		s.mu.Unlock()
		return audit.Checkpoint{}, err
	}
	size, seq := s.audit.tree.Size(), s.proj.LastSeq()
	root, cerr := s.audit.tree.Root()
	if cerr != nil {
		s.treeFailed(cerr)
		s.mu.Unlock()
		return audit.Checkpoint{}, s.audit.treeErr
	}
	if signed {
		s.audit.found = &prev
		cerr = s.extends(prev)
	}
	s.mu.Unlock()
	if cerr != nil {
		return audit.Checkpoint{}, s.refuse(cerr)
	}
	s.mu.Lock()
	s.audit.conflict = nil
	if signed && (s.audit.last == nil || s.audit.last.TreeSize <= prev.TreeSize) {
		s.audit.last = &prev
	}
	s.mu.Unlock()
	// The same tree is signed again only to give it its first note (the
	// last checkpoint is in the JSON form of before notes).
	if signed && prev.TreeSize == size && prev.Note != "" {
		return prev, nil
	}
	if size == 0 {
		return audit.Checkpoint{}, events.Errorf(events.CodeNotFound, "the stream is empty: there is nothing to sign yet")
	}
	c := audit.Checkpoint{TreeSize: size, Root: root, StreamSeq: seq, Time: s.opts.Clock().UTC()}
	if err := c.Sign(s.opts.Signer); err != nil {
		return c, err
	}
	data, err := audit.MarshalCheckpoint(c)
	if err != nil {
		return c, err
	}
	if err := s.sink.PublishCheckpoint(ctx, fmt.Sprintf("%s:%d", c.Key, c.TreeSize), data); err != nil {
		return c, fmt.Errorf("publish checkpoint: %w", err)
	}
	s.mu.Lock()
	s.audit.last, s.audit.found = &c, &c
	s.mu.Unlock()
	s.log.Info("checkpoint signed", "tree_size", c.TreeSize, "root", c.Root.String(), "key", c.Key)
	s.kickWitnessing()
	return c, nil
}

// checkpoints finds the last checkpoint stored once the projector has
// caught up; then, at each interval, a signer signs a checkpoint if the
// tree grew, and a projector that does not sign reads the newest one.
func (s *Service) checkpoints(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-s.readyCh:
	}
	if err := s.loadCheckpoint(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("reading the last checkpoint failed", "err", err)
	}
	s.kickWitnessing() // the last checkpoint, if a witness lacks it
	t := time.NewTicker(s.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.opts.Signer == nil {
			if err := s.loadCheckpoint(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("reading the last checkpoint failed", "err", err)
			}
			continue
		}
		if _, err := s.Checkpoint(ctx); err == nil {
			s.kickWitnessing() // the witnesses that did not cosign it yet
		} else if ctx.Err() == nil && !errors.Is(err, ErrRewrite) {
			s.log.Warn("checkpoint failed", "err", err)
		}
	}
}

// LatestCheckpoint returns the latest checkpoint that the projector's tree
// extends: signed here, or found in the checkpoints stream after a start
// (and, on a projector that does not sign, at each checkpoint interval).
func (s *Service) LatestCheckpoint() (audit.Checkpoint, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.audit.last == nil {
		return audit.Checkpoint{}, false
	}
	return *s.audit.last, true
}

// Proof is an inclusion proof of one event in a signed tree, for a third
// party to check offline (docs/VERIFY.md, `projector check-proof`).
type Proof struct {
	Event      json.RawMessage  `json:"event"` // the event as stored
	Sequence   uint64           `json:"sequence"`
	LeafIndex  uint64           `json:"leaf_index"`
	LeafHash   merkle.Hash      `json:"leaf_hash"`
	TreeSize   uint64           `json:"tree_size"`
	Root       merkle.Hash      `json:"root"`
	Path       []merkle.Hash    `json:"path"`
	Checkpoint audit.Checkpoint `json:"checkpoint"`
}

// Prove returns the inclusion proof of event id in the latest checkpoint,
// signing a new checkpoint first if the event is not yet covered.
func (s *Service) Prove(ctx context.Context, id events.ID) (Proof, error) {
	if s.partial() {
		return Proof{}, s.partialRefusal("inclusion proofs")
	}
	found, index, ok := s.locate(id)
	if !ok {
		return Proof{}, events.Errorf(events.CodeNotFound, "event %s is not in the stream this projector has applied: check the id, or retry with min_seq once it is recorded", id)
	}
	s.mu.RLock()
	last := s.audit.last
	s.mu.RUnlock()
	if last == nil || last.TreeSize <= index {
		c, err := s.Checkpoint(ctx)
		if err != nil {
			return Proof{}, err
		}
		last = &c
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	path, err := s.audit.tree.InclusionProof(index, last.TreeSize)
	if err != nil {
		return Proof{}, err
	}
	data, err := events.Encode(&found.Event)
	if err != nil {
		return Proof{}, err
	}
	leaf, _, _ := audit.LeafOf(&found.Event)
	return Proof{Event: data, Sequence: found.Seq, LeafIndex: index, LeafHash: leaf, TreeSize: last.TreeSize,
		Root: last.Root, Path: path, Checkpoint: *last}, nil
}

// locate returns the applied event id, as the projection holds it, and
// its leaf in the tree; false when the projector applied no event id
// with a leaf. The index names the acts that may hold id; of those that
// do, the latest event wins, as when the index was a map by id.
func (s *Service) locate(id events.ID) (eventlog.Entry, uint64, bool) {
	s.loadHistory()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.audit.index == nil {
		return eventlog.Entry{}, 0, false
	}
	var (
		found eventlog.Entry
		ok    bool
	)
	acts := s.audit.index.actsOf(id)
	if s.audit.hist != nil {
		acts = append(acts, s.audit.hist.actsOf(id)...)
	}
	for _, act := range acts {
		if e, in := s.proj.Find(act, id); in && (!ok || e.Seq > found.Seq) {
			found, ok = e, true
		}
	}
	if !ok {
		return eventlog.Entry{}, 0, false
	}
	leaf, ok := s.leafOf(found.Seq)
	return found, leaf, ok
}

// leafOf returns the leaf of the message at stream sequence seq, and
// false when the tree has none there. The caller holds s.mu, and called
// loadHistory before it took it.
func (s *Service) leafOf(seq uint64) (uint64, bool) {
	if s.audit.index == nil {
		return 0, false
	}
	if leaf, ok := s.audit.index.leafOf(seq); ok {
		return leaf, true
	}
	if s.audit.hist != nil {
		return s.audit.hist.leafOf(seq)
	}
	return 0, false
}

// Consistency is a proof that the tree of OldSize leaves is a prefix of the
// tree of NewSize leaves.
type Consistency struct {
	OldSize uint64        `json:"old_size"`
	NewSize uint64        `json:"new_size"`
	OldRoot merkle.Hash   `json:"old_root"`
	NewRoot merkle.Hash   `json:"new_root"`
	Path    []merkle.Hash `json:"path"`
}

// Consistent returns the consistency proof between two tree sizes.
func (s *Service) Consistent(oldSize, newSize uint64) (Consistency, error) {
	if s.partial() {
		return Consistency{}, s.partialRefusal("consistency proofs")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if newSize > s.audit.tree.Size() || oldSize > newSize {
		return Consistency{}, events.Errorf(events.CodeInvalid, "sizes %d and %d: give 0 < from <= to <= %d (the events applied)", oldSize, newSize, s.audit.tree.Size())
	}
	path, err := s.audit.tree.ConsistencyProof(oldSize, newSize)
	if err != nil {
		return Consistency{}, err
	}
	oldRoot, err := s.audit.tree.RootAt(oldSize)
	if err != nil {
		return Consistency{}, err
	}
	newRoot, err := s.audit.tree.RootAt(newSize)
	if err != nil {
		return Consistency{}, err
	}
	return Consistency{OldSize: oldSize, NewSize: newSize, OldRoot: oldRoot, NewRoot: newRoot, Path: path}, nil
}
