package projector

import (
	"context"
	"sync"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
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

	mu       sync.RWMutex
	checked  uint64                           // the last sequence checked
	at       time.Time                        // when
	byAct    map[events.ActID][]audit.Failure // failures of each act
	unnamed  []audit.Failure                  // failures of no act (gaps)
	complete bool                             // a pass from the first sequence has completed
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
	if full || v == nil {
		v, to, seen = audit.NewVerifier(nil), 0, 0
	}
	err := rd.ReadStored(ctx, to+1, func(seq uint64, subject string, act events.ActID, actErr error, data []byte) {
		v.AddStored(seq, subject, act, actErr, data)
		to = seq
	})
	if err != nil {
		return err // the result stays that of the last whole pass
	}
	fresh := v != b.v
	b.v, b.to = v, to
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
	return nil
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
