package projector

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// reconcileChunk is how many acts' states the reconcile renders under one
// read lock and writes at once: as many as the bucket takes in one
// pipelined chunk.
const reconcileChunk = 512

// held is what the reconcile keeps of a state in the bucket: the sequence
// it was written at, its day, and the SHA-256 of its state's JSON.
type held struct {
	seq  uint64
	asOf events.Date
	sum  [sha256.Size]byte
}

// heldValue is the part of a bucket value that the reconcile decodes.
type heldValue struct {
	Seq   uint64          `json:"sequence"`
	State json.RawMessage `json:"state"`
}

// reconcile makes the state bucket equal to the projection, once the
// projector is ready: a projector started on an existing stream, or from a
// snapshot, has applied events that the feed never wrote. It reads the
// bucket once and writes, in chunks, the state of every act that the bucket
// misses or holds differently, without a change notice: the act did not
// change, the bucket was behind. A state equal but for its day (as_of) is
// left as it is, as the feed leaves an act that does not change; so a
// restart rewrites nothing when the bucket is up to date. The states of
// acts the projection does not know are removed; a projector of part of the
// ledger leaves the states of acts outside its scope to their projectors.
//
// A state written at a sequence past this projection's, by another
// projector ahead of this one, is left to that projector, unless the
// stream does not hold that sequence (the bucket outlived its stream).
// A state that fails to be written is left to the feed, which writes it
// with a change notice.
func (s *Service) reconcile(ctx context.Context) {
	start := time.Now()
	bucket := map[events.ActID]held{}
	err := s.sink.EachState(ctx, func(act events.ActID, data []byte) {
		if !s.opts.Scope.Covers(act) {
			return // another part's, written by its projector
		}
		var v heldValue
		var day struct {
			AsOf events.Date `json:"as_of"`
		}
		if json.Unmarshal(data, &v) != nil || json.Unmarshal(v.State, &day) != nil {
			bucket[act] = held{} // not readable: written again
			return
		}
		bucket[act] = held{seq: v.Seq, asOf: day.AsOf, sum: sha256.Sum256(v.State)}
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("state bucket not reconciled: cannot read it", "err", err)
		}
		return
	}
	// The acts are listed with the sequence they are known at; the stream's
	// last sequence is read after the bucket, so that it bounds every
	// sequence a projector of this stream wrote there.
	var acts []events.ActID
	var listed uint64
	s.Read(func(p *projections.Projection) { acts, listed = p.Acts(), p.LastSeq() })
	streamLast, err := s.src.LastSeq(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("state bucket not reconciled: cannot read the stream's last sequence", "err", err)
		}
		return
	}
	inBucket := len(bucket)
	ahead := func(h held, last uint64) bool { return h.seq > last && h.seq <= streamLast }

	written, failures := 0, 0
	for i := 0; i < len(acts); i += reconcileChunk {
		states := s.differing(acts[i:min(i+reconcileChunk, len(acts))], bucket, ahead)
		if len(states) == 0 {
			continue
		}
		failed, err := s.sink.PutStates(ctx, states)
		if ctx.Err() != nil {
			return
		}
		written += len(states) - len(failed)
		if err != nil {
			failures += len(failed)
			s.markDirty(failed)
		}
	}

	// What is left in bucket, the projection did not know at listed: an
	// act recorded since is written by a projector ahead, or by the feed.
	var gone []events.ActID
	for act, h := range bucket {
		if !ahead(h, listed) {
			gone = append(gone, act)
		}
	}
	if err := s.sink.DeleteStates(ctx, gone); err != nil && ctx.Err() == nil {
		s.log.Warn("state bucket: cannot remove the states of acts the projection does not know", "acts", len(gone), "err", err)
	}
	s.log.Info("state bucket reconciled", "acts", len(acts), "in_bucket", inBucket, "written", written,
		"failed", failures, "removed", len(gone), "took", time.Since(start).Round(time.Millisecond))
}

// differing renders the states of acts, under one read lock, and returns
// those that the bucket misses or holds differently; it takes the acts it
// sees out of bucket.
func (s *Service) differing(acts []events.ActID, bucket map[events.ActID]held, ahead func(held, uint64) bool) map[events.ActID][]byte {
	bound := s.feedBound()
	s.mu.RLock()
	defer s.mu.RUnlock()
	today := events.MustDate(s.opts.Clock().UTC().Format(time.DateOnly))
	last := s.proj.LastSeq()
	states := map[events.ActID][]byte{}
	for _, act := range acts {
		st, err := s.proj.State(act, projections.Query{AsOf: today})
		if err != nil {
			continue // unknown: removed from the bucket if there
		}
		h, ok := bucket[act]
		delete(bucket, act)
		if ok && ahead(h, last) {
			continue
		}
		if ok && h.asOf != (events.Date{}) {
			// Equal but for the day: the state the feed would have left.
			same := st
			same.AsOf = h.asOf
			n, _ := boundNotice(last, same, bound)
			if data, err := json.Marshal(n.State); err == nil && sha256.Sum256(data) == h.sum {
				continue
			}
		}
		if _, data := boundNotice(last, st, bound); data != nil {
			states[act] = data
		}
	}
	return states
}

// markDirty has the feed write acts' states at its next tick.
func (s *Service) markDirty(acts []events.ActID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirty == nil {
		s.dirty = map[events.ActID]bool{}
	}
	for _, act := range acts {
		s.dirty[act] = true
	}
}
