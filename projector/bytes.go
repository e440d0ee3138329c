package projector

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
)

// StoredReader reads the stream's messages as stored, unparsed: a Source
// that implements it (natsjs.Store does) has its stored bytes checked
// (bytesCheck), and the audit report's chain status comes from them.
type StoredReader interface {
	// ReadStored calls fn with each message stored from sequence from to
	// the stream's last sequence now, in order.
	ReadStored(ctx context.Context, from uint64, fn func(seq uint64, subject string, act events.ActID, actErr error, data []byte)) error
}

// fullRecheck is how often the stored bytes are verified again from the
// first sequence, to catch bytes altered in place after they were checked;
// in between, only the new messages are read.
const fullRecheck = 10 * time.Minute

// tailCheck is how often the new messages are checked.
const tailCheck = time.Second

// bytesCheck is the verifier's pass over the stored bytes (audit.Verifier,
// as `projector verify` runs it): not the projection, which holds the
// events as decoded once, perhaps from a snapshot. Its own lock orders
// the passes; the result is read under mu.
type bytesCheck struct {
	pass sync.Mutex // held by a pass
	v    *audit.Verifier
	to   uint64 // the last sequence fed to v
	seen int    // failures of v already indexed
	// files holds v's tree when the projector's tree is in files
	// (Options.TreeDir), in directory slot (0 or 1) of bytesTreeDir; nil
	// while v's tree is in memory.
	files *merkle.FileStore
	slot  int
	// filesFailed is set once those files failed: the passes after it
	// keep their tree in memory, so that the check goes on.
	filesFailed bool

	mu       sync.RWMutex
	checked  uint64                           // the last sequence checked
	at       time.Time                        // when
	byAct    map[events.ActID][]audit.Failure // failures of each act
	unnamed  []audit.Failure                  // failures of no act (gaps)
	complete bool                             // a pass from the first sequence has completed
	// unsigned says how the stored bytes differ from the last checkpoint
	// (empty when they agree): the tree of the bytes as stored is not the
	// tree that was signed, so stored events were altered, removed or
	// moved since. A defect published beside the events does not set it:
	// it was signed as stored.
	unsigned string
}

// checkBytes feeds the stored messages after the last one checked to the
// verifier; with full, it starts again from the first sequence. It does
// nothing when the source cannot read stored bytes.
func (s *Service) checkBytes(ctx context.Context, full bool) error {
	rd, ok := s.src.(StoredReader)
	if !ok {
		return nil
	}
	b := &s.bytes
	b.pass.Lock()
	defer b.pass.Unlock()
	v, to, seen := b.v, b.to, b.seen
	files, slot := b.files, b.slot
	if full || v == nil {
		v, files, slot = s.newBytesVerifier()
		to, seen = 0, 0
	}
	fresh := v != b.v
	err := rd.ReadStored(ctx, to+1, func(seq uint64, subject string, act events.ActID, actErr error, data []byte) {
		v.AddStored(seq, subject, act, actErr, data)
		to = seq
	})
	if err == nil {
		if err = v.Err(); err != nil {
			// The verifier's tree is short of what it was fed: the next
			// pass starts again from the first sequence, in memory.
			s.bytesFilesFailed(err)
			if !fresh {
				b.v = nil
			}
		}
	}
	if err != nil {
		if fresh && files != nil {
			files.Close()
		}
		return err // the result stays that of the last whole pass
	}
	if fresh && b.files != nil {
		if cerr := b.files.Close(); cerr != nil {
			s.log.Warn("closing the files of the last check of the stored bytes", "err", cerr)
		}
	}
	b.v, b.to, b.files, b.slot = v, to, files, slot
	b.mu.Lock()
	defer b.mu.Unlock()
	if fresh {
		b.byAct, b.unnamed = map[events.ActID][]audit.Failure{}, nil
	}
	for _, f := range v.Failures[seen:] {
		if f.Act == "" {
			b.unnamed = append(b.unnamed, f)
		} else {
			b.byAct[f.Act] = append(b.byAct[f.Act], f)
		}
	}
	b.seen = len(v.Failures)
	b.checked, b.at, b.complete = to, time.Now(), true
	b.unsigned = s.unsigned(v, to)
	return nil
}

// newBytesVerifier returns a new verifier for a pass from the first
// sequence. When the projector's tree is in files, the verifier's is too,
// in the directory of bytesTreeDir that the last whole pass does not use
// (it stays in use until this pass completes): held in memory it would
// take 64 bytes an event beside the projector's own (issue 15). Its tree
// is the stored bytes', not the projector's: the check compares the two
// through the checkpoint's root (unsigned).
//
// Files that fail leave the tree in memory from then on: the check is
// worth more than the memory it saves. The caller holds s.bytes.pass.
func (s *Service) newBytesVerifier() (*audit.Verifier, *merkle.FileStore, int) {
	if s.opts.TreeDir == "" || s.partial() || s.bytes.filesFailed {
		return audit.NewVerifier(nil), nil, 0
	}
	slot := 0
	if s.bytes.files != nil {
		slot = 1 - s.bytes.slot
	}
	files, err := merkle.OpenFileStore(bytesTreeDir(s.opts.TreeDir, slot), 0)
	if err != nil {
		s.bytesFilesFailed(err)
		return audit.NewVerifier(nil), nil, 0
	}
	return audit.NewVerifierOver(nil, files), files, slot
}

// bytesFilesFailed notes that the files of the check of the stored bytes
// failed, and says so once. The caller holds s.bytes.pass.
func (s *Service) bytesFilesFailed(err error) {
	if s.bytes.filesFailed {
		return
	}
	s.bytes.filesFailed = true
	s.log.Warn("the files of the check of the stored bytes failed: its Merkle tree is in memory until a restart (64 bytes an event); check the disk",
		"dir", filepath.Dir(bytesTreeDir(s.opts.TreeDir, 0)), "err", err)
}

// bytesTreeDir is the directory, beside the projector's tree in treeDir,
// of the tree of one check of the stored bytes (slot 0 or 1): written
// anew by each pass from the first sequence.
func bytesTreeDir(treeDir string, slot int) string {
	return filepath.Join(filepath.Clean(treeDir)+"-bytes", strconv.Itoa(slot))
}

// closeBytes closes the files of the check of the stored bytes, once Run
// has stopped checking; a later pass opens them again.
func (s *Service) closeBytes() {
	b := &s.bytes
	b.pass.Lock()
	defer b.pass.Unlock()
	if b.files == nil {
		return
	}
	if err := b.files.Close(); err != nil {
		s.log.Warn("closing the files of the check of the stored bytes", "err", err)
	}
	b.v, b.files = nil, nil
}

// unsigned compares the tree of the stored bytes that v verified, up to
// stream sequence to, with the last checkpoint signed or found, and says
// how they differ ("" when they agree, when there is no checkpoint yet, or
// when the checkpoint is of messages the pass has not read yet).
func (s *Service) unsigned(v *audit.Verifier, to uint64) string {
	s.mu.RLock()
	found := s.audit.found
	s.mu.RUnlock()
	if found == nil {
		return ""
	}
	if v.TreeSize() < found.TreeSize {
		if to < found.StreamSeq {
			return "" // signed after this pass read the stream
		}
		return fmt.Sprintf("the stored bytes hold %d readable events, but the last checkpoint (signed at %s) covers %d: stored events were removed",
			v.TreeSize(), found.Time.Format(time.RFC3339), found.TreeSize)
	}
	// The tree holds each event's hash as the event states it; the event's
	// bytes must still hash to it. A message the projector itself found to
	// be a defect is left to the defects' note: it was signed as stored.
	defects := map[uint64]bool{}
	for _, d := range s.Defects() {
		defects[d.Seq] = true
	}
	for _, f := range v.Failures {
		if (f.Kind == "hash" || f.Kind == "gap") && f.Seq <= found.StreamSeq && !defects[f.Seq] {
			return fmt.Sprintf("the stored bytes fail verification at sequence %d, which the last checkpoint (signed at %s) covers: stored events were altered or removed (%s); run projector verify (docs/RUNBOOK.md)",
				f.Seq, found.Time.Format(time.RFC3339), f.Message)
		}
	}
	root, err := v.RootAt(found.TreeSize)
	if err != nil {
		return fmt.Sprintf("cannot compute the stored bytes' root at %d events: %v", found.TreeSize, err)
	}
	if root != found.Root {
		return fmt.Sprintf("the stored bytes' first %d events have root %s, but the last checkpoint (signed at %s) says %s: stored events were altered or moved; run projector verify to find where (docs/RUNBOOK.md)",
			found.TreeSize, root, found.Time.Format(time.RFC3339), found.Root)
	}
	return ""
}

// bytesUnsigned reports how the stored bytes, as the last pass read them,
// differ from the last checkpoint ("" when they agree).
func (s *Service) bytesUnsigned() string {
	b := &s.bytes
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.unsigned
}

// checkingBytes checks the stored bytes once the projector is ready, then
// the new messages every tailCheck and all of them every fullRecheck.
func (s *Service) checkingBytes(ctx context.Context) {
	if _, ok := s.src.(StoredReader); !ok {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-s.readyCh:
	}
	defer s.closeBytes()
	last := time.Now()
	if err := s.checkBytes(ctx, true); err != nil && ctx.Err() == nil {
		s.log.Warn("check of the stored bytes failed", "err", err)
	}
	t := time.NewTicker(tailCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		full := time.Since(last) > fullRecheck
		if full {
			last = time.Now()
		}
		if err := s.checkBytes(ctx, full); err != nil && ctx.Err() == nil {
			s.log.Warn("check of the stored bytes failed", "err", err)
		}
	}
}

// bytesStatus is what the last pass over the stored bytes says of act.
type bytesStatus struct {
	checked  uint64 // the last sequence checked
	at       time.Time
	failures []audit.Failure
	complete bool
}

func (s *Service) bytesOf(act events.ActID) bytesStatus {
	b := &s.bytes
	b.mu.RLock()
	defer b.mu.RUnlock()
	fs := append([]audit.Failure(nil), b.unnamed...)
	fs = append(fs, b.byAct[act]...)
	return bytesStatus{checked: b.checked, at: b.at, failures: fs, complete: b.complete}
}
