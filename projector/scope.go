package projector

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// A projector may follow part of the ledger (Options.Scope): its source
// delivers only the acts of its scope, so its views answer for those acts
// alone, its snapshots are of that part, and its feed writes those acts'
// states. Its Merkle tree would not be the stream's: a partial projector
// keeps no tree, signs no checkpoint and proves nothing; a full projector
// does (docs/OPERATIONS.md, Spreading read load).

// ErrPartialSigner is returned by Run when a projector of part of the
// ledger is given a checkpoint signer.
var ErrPartialSigner = events.Errorf(events.CodeInvalid, "a projector that follows part of the ledger cannot sign checkpoints: its tree holds only its part's events, not the stream's; sign with a projector of the whole ledger")

// Scope returns the part of the ledger the projector follows.
func (s *Service) Scope() eventlog.Scope { return s.opts.Scope }

// partial reports whether the projector follows part of the ledger.
func (s *Service) partial() bool { return !s.opts.Scope.All() }

// CheckScope returns nil when act is in the projector's scope, and
// otherwise an events.CodeOutOfScope error that names the scope: the
// projector cannot say anything of the act, not even that it is unknown.
func (s *Service) CheckScope(act events.ActID) error {
	if s.opts.Scope.Covers(act) {
		return nil
	}
	return &events.Error{Code: events.CodeOutOfScope, Act: act, Message: fmt.Sprintf(
		"act %s is outside the part of the ledger this projector follows (%s): ask a projector that follows it, or one of the whole ledger (docs/OPERATIONS.md, Spreading read load)",
		act, s.opts.Scope)}
}

// partialRefusal is the error of the tree's questions (checkpoints,
// proofs, consistency) on a partial projector.
func (s *Service) partialRefusal(what string) error {
	return events.Errorf(events.CodeOutOfScope, "this projector follows part of the ledger (%s) and keeps no Merkle tree of the stream: ask a projector of the whole ledger for %s", s.opts.Scope, what)
}

// snapshotName is the object of this projector's snapshots: SnapshotName
// for the whole ledger, and for a part SnapshotName with the scope's key,
// so that projectors of different parts keep their snapshots side by side
// and none restores another's.
func (s *Service) snapshotName() string {
	if !s.partial() {
		return SnapshotName
	}
	return SnapshotName + "-part-" + s.opts.Scope.Key()
}

// scopeLine opens the snapshot of a part: it records the scope's
// patterns, which Restore checks before reading the projection.
const scopeLine = "lexledger-scope "

// writeScope writes the scope line of a partial snapshot.
func (s *Service) writeScope(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%s%s\n", scopeLine, strings.Join(s.opts.Scope.Patterns(), ","))
	return err
}

// readScope reads the scope line of a partial snapshot and checks that it
// records this projector's scope.
func (s *Service) readScope(r *bufio.Reader) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("the snapshot records no scope: %w", err)
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), scopeLine)
	if !ok {
		return fmt.Errorf("the snapshot records no scope")
	}
	got, err := eventlog.ParseScope(strings.Split(rest, ",")...)
	if err != nil {
		return fmt.Errorf("the snapshot's scope %q: %w", rest, err)
	}
	if !got.Same(s.opts.Scope) {
		return fmt.Errorf("the snapshot is of scope %s, not %s", got, s.opts.Scope)
	}
	return nil
}

// waitTarget is the sequence that WaitFor waits for to answer as of seq.
// A partial projector never applies another part's sequences: once it has
// applied its part's last event, it holds every event of its part up to
// any sequence already stored. So it waits for seq, or for its part's
// last sequence if that is smaller, read once (seq, given by a receipt,
// was stored before).
func (s *Service) waitTarget(ctx context.Context, seq uint64) (uint64, error) {
	if !s.partial() {
		return seq, nil
	}
	s.mu.RLock()
	last := s.proj.LastSeq()
	s.mu.RUnlock()
	if last >= seq {
		return seq, nil
	}
	partLast, err := s.src.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	return min(seq, partLast), nil
}
