package projector

import (
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/projections"
)

// The Merkle tree's files kept across restarts (issue 15: a restarted
// projector ready from its store in seconds at ten million events).
//
// A projector whose records are in a Durable store and whose tree is in
// files (Options.TreeDir) marks, in the store, where its tree stood at one
// of the store's checkpoints: the sequence, the tree's size and its root
// (markTree). It does so every markEvery leaves and when Run returns, in
// this order:
//
//  1. the store commits the checkpoint at sequence seq (Apply);
//  2. the tree's files are written and made durable (FileStore.Sync);
//  3. the store commits the mark (seq, size, root).
//
// The store reaches the disk in the order of its commits, so whatever a
// crash leaves, a mark the store holds names a checkpoint it holds too and
// files at least as long as the mark's tree. A restarted projector then
// reopens its files cut to the mark's size, checks their root against the
// mark's, and appends the leaves of the records and defects after the
// mark's sequence, read from the store (at most markEvery, and what came
// since the last mark before a crash). Anything else falls back to a
// rebuild from the store's places, as before, with a log line that says
// why: no mark, files shorter than the mark's tree, another root, or a
// tree that does not end where the store's checkpoint does. The root and
// StoredTree.CheckEnds vouch for the last hash of each level, which a
// crash would cut or lose first; a hash damaged in the middle of a file
// is not looked for (it would take a read of every hash).
//
// The leaf index (leafindex.go) is not kept on disk: the leaves before the
// mark are indexed after the restart, beside Apply, from one scan of the
// store's places as committed (startHistory), so that a restart does not
// read every event; a proof or an audit report that needs them meanwhile
// waits for it (loadHistory).

// markEvery is how many leaves the tree grows between marks: a mark costs
// a sync of the tree's files, and a restart after a crash appends at most
// this many leaves (and those since the store's last flush) from the
// store.
const markEvery = 1 << 16

// treeMarker is a Durable store that keeps the projector's marks
// (pebblestore.Store).
type treeMarker interface {
	// MarkTree keeps the size and root of the tree at seq, a checkpoint
	// already committed, and commits.
	MarkTree(seq, size uint64, root [32]byte) error
	// TreeMark returns the last mark kept; false when there is none.
	TreeMark() (seq, size uint64, root [32]byte, ok bool)
}

// reopenTree reopens the tree's files at the mark the projection's store
// holds, or rebuilds the tree when they cannot be (with a log line that
// says why). The caller holds s.mu, s.proj having been opened from
// Options.Store.
func (s *Service) reopenTree() {
	if s.opts.TreeDir == "" || s.partial() {
		s.rebuildTree()
		return
	}
	start := time.Now()
	added, err := s.openMarkedTree()
	if err != nil {
		s.log.Warn("the Merkle tree's files not reopened: rebuilt from the projection store", "dir", s.opts.TreeDir, "reason", err)
		s.rebuildTree()
		return
	}
	s.log.Info("the Merkle tree's files reopened", "dir", s.opts.TreeDir, "size", s.audit.tree.Size(),
		"marked", s.audit.marked, "leaves_since_mark", added, "took", time.Since(start).Round(time.Millisecond))
}

// openMarkedTree opens the tree's files at the store's mark, and appends
// the leaves since: how many. On an error the tree is left to be rebuilt.
func (s *Service) openMarkedTree() (uint64, error) {
	m, ok := s.opts.Store.(treeMarker)
	if !ok {
		return 0, errors.New("the projection store keeps no mark of the tree")
	}
	seq, size, root, ok := m.TreeMark()
	if !ok {
		return 0, errors.New("the projection store holds no mark of the tree's files")
	}
	want := s.proj.Events() + uint64(s.proj.DefectCount())
	if seq > s.proj.LastSeq() || size > want {
		return 0, fmt.Errorf("the mark (a tree of %d leaves at sequence %d) is past the store's checkpoint (%d events and defects at sequence %d)", size, seq, want, s.proj.LastSeq())
	}
	if s.audit.files != nil {
		if err := s.audit.files.Close(); err != nil {
			s.log.Warn("closing the Merkle tree's files", "err", err)
		}
		s.audit.files = nil
	}
	files, err := merkle.OpenFileStore(s.opts.TreeDir, size)
	if err != nil {
		return 0, err
	}
	tree, err := merkle.OpenStoredTree(files, size)
	if err == nil {
		var got merkle.Hash
		if got, err = tree.Root(); err == nil && got != merkle.Hash(root) {
			err = fmt.Errorf("the files' tree of %d leaves has root %s; the store's mark says %s", size, got, merkle.Hash(root))
		}
	}
	if err == nil {
		err = tree.CheckEnds()
	}
	if err != nil {
		files.Close()
		return 0, err
	}
	s.audit = auditState{tree: tree, files: files, index: newLeafIndex(), histTo: size, histSeq: seq, marked: size}
	s.proj.EachLeafFrom(seq+1, func(seq uint64, act events.ActID, id events.ID, h events.Digest, err error, d *eventlog.Defect) {
		if d != nil {
			s.addDefectLeaf(seq, d)
			return
		}
		s.addLeafOf(seq, act, id, h, err)
	})
	if err := s.audit.treeErr; err != nil {
		return 0, err
	}
	if got := tree.Size(); got != want {
		return 0, fmt.Errorf("the tree has %d leaves after those since its mark; the store holds %d events and defects", got, want)
	}
	return want - size, nil
}

// maybeMarkTree marks the tree once it grew markEvery leaves since its
// last mark. The caller holds s.mu.
func (s *Service) maybeMarkTree() {
	if s.audit.files != nil && s.audit.tree.Size()-s.audit.marked >= markEvery {
		s.markTree()
	}
}

// markTree makes the tree's files durable and marks, in the projection's
// store, their size and root at the projection's checkpoint. A failure of
// the files fails the tree (treeErr); one of the store is logged (its next
// commit fails too). The caller holds s.mu.
func (s *Service) markTree() {
	m, ok := s.opts.Store.(treeMarker)
	if !ok || s.audit.files == nil || s.audit.treeErr != nil || s.partial() {
		return
	}
	if err := s.audit.files.Sync(); err != nil {
		s.treeFailed(err)
		return
	}
	size := s.audit.tree.Size()
	root, err := s.audit.tree.Root()
	if err != nil {
		s.treeFailed(err)
		return
	}
	if err := m.MarkTree(s.proj.LastSeq(), size, root); err != nil {
		s.log.Warn("the Merkle tree's mark not written: the next restart rebuilds more of the tree", "err", err)
		return
	}
	s.audit.marked = size
}

// stopTree writes what a restart reads: the acts' summaries, and the
// tree's mark, once the index of the leaves before the mark, if one is
// being built, has ended. Run calls it as it returns.
func (s *Service) stopTree() {
	s.mu.RLock()
	done := s.audit.histDone
	s.mu.RUnlock()
	if done != nil {
		<-done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Store == nil || s.partial() {
		return
	}
	if err := s.proj.SaveSummaries(); err != nil {
		s.log.Warn("the acts' summaries not written: the next restart folds those acts", "err", err)
	}
	s.markTree()
}

// committedLeaves is a store whose places may be read while it is written
// (pebblestore.Store).
type committedLeaves interface {
	CommittedLeaves(from uint64) iter.Seq[projections.Leaf]
}

// historyChunk is how many events the index of the leaves before the mark
// reads between two holds of the read lock (to share the projection's act
// identifiers).
const historyChunk = 4096

// startHistory starts indexing the leaves of a tree reopened from its
// files that came before its mark, beside Apply: from the store's places
// as committed, which Apply does not change, holding the projector's read
// lock only to share the acts' identifiers, a chunk at a time. Run calls
// it before it follows the stream.
func (s *Service) startHistory() {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.opts.Store.(committedLeaves)
	if !ok || s.audit.histTo == 0 || s.audit.hist != nil || s.audit.histDone != nil {
		return
	}
	done := make(chan struct{})
	s.audit.histDone = done
	files, to, seq := s.audit.files, s.audit.histTo, s.audit.histSeq
	defects := s.proj.Defects()
	go func() {
		defer close(done)
		start := time.Now()
		x, n := s.indexHistory(src.CommittedLeaves(0), defects, seq)
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case s.audit.files != files || s.audit.histTo != to || s.audit.hist != nil:
			// The tree was rebuilt meanwhile: its index is its own.
		case n != to:
			s.log.Warn("the leaf index of the reopened tree does not match it: built again when a proof needs it", "leaves", n, "tree_leaves", to)
		default:
			s.audit.hist = x
			s.log.Info("the leaf index of the reopened tree built beside Apply", "leaves", to, "took", time.Since(start).Round(time.Millisecond))
		}
	}()
}

// indexHistory indexes the leaves of the places and defects at sequence
// seq and before, and returns the index and how many leaves it holds.
func (s *Service) indexHistory(leaves iter.Seq[projections.Leaf], defects []eventlog.Entry, seq uint64) (*leafIndex, uint64) {
	x := newLeafIndex()
	type event struct {
		id  events.ID
		act events.ActID
	}
	chunk := make([]event, 0, historyChunk)
	flush := func() {
		s.mu.RLock()
		for _, e := range chunk {
			x.event(e.id, s.proj.SharedActID(e.act))
		}
		s.mu.RUnlock()
		chunk = chunk[:0]
	}
	n, d := uint64(0), 0
	defectsTo := func(end uint64) {
		for ; d < len(defects) && defects[d].Seq < end; d++ {
			x.leaf(n, defects[d].Seq)
			n++
		}
	}
	for l := range leaves {
		if l.Seq > seq {
			break
		}
		defectsTo(l.Seq)
		x.leaf(n, l.Seq)
		n++
		if chunk = append(chunk, event{l.ID, l.Act}); len(chunk) == historyChunk {
			flush()
		}
	}
	defectsTo(seq + 1)
	flush()
	return x, n
}

// loadHistory makes sure the leaves of a tree reopened from its files
// that came before its mark are indexed: it waits for startHistory's
// index, or, without one, builds it from one scan of the projection
// store's places under the write lock. The caller holds no lock.
func (s *Service) loadHistory() {
	s.mu.RLock()
	need := s.audit.histTo > 0 && s.audit.hist == nil
	done := s.audit.histDone
	s.mu.RUnlock()
	if !need {
		return
	}
	if done != nil {
		<-done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	to := s.audit.histTo
	if to == 0 || s.audit.hist != nil {
		return
	}
	start := time.Now()
	x := newLeafIndex()
	n := uint64(0)
	s.proj.EachLeaf(func(seq uint64, act events.ActID, id events.ID, _ events.Digest, _ error, d *eventlog.Defect) {
		if n < to {
			x.leaf(n, seq)
			if d == nil {
				x.event(id, s.proj.SharedActID(act))
			}
		}
		n++
	})
	s.audit.hist = x
	s.log.Info("the leaf index of the reopened tree built, under the lock", "leaves", to, "took", time.Since(start).Round(time.Millisecond))
}
