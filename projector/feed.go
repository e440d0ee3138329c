package projector

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"slices"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// feedInterval is how often the feed publishes the acts that changed:
// states are coalesced per act, so a burst of events costs one write per
// act, not one per event.
const feedInterval = 200 * time.Millisecond

// DefaultFeedMaxBytes bounds a change notice, and a value of the state
// bucket, unless Options.FeedMaxBytes says otherwise: 64 KiB, a sixteenth of
// NATS's default max_payload. The bound in force is never more than a
// quarter of the connected server's max_payload.
const DefaultFeedMaxBytes = 64 << 10

// feedBackoffMax is the longest an act whose state could not be written
// waits before the feed writes it again.
const feedBackoffMax = 30 * time.Second

// feedWriteTimeout bounds one tick's write of states: a write the server
// never answers (a publish it refused for the user's permissions) fails
// then, instead of holding the feed.
const feedWriteTimeout = 10 * time.Second

// The kinds of the feed's failures (lex_projector_feed_failures_total).
// Names are append-only.
const (
	FeedTooLarge    = "too_large"   // the server or the bucket refused the message's size
	FeedForbidden   = "forbidden"   // the projector's user may not publish there
	FeedUnavailable = "unavailable" // the engine did not answer, or not in time
	FeedOther       = "other"       // anything else
)

// FeedFailureKinds lists every kind, for metrics that show each from the
// start.
var FeedFailureKinds = []string{FeedTooLarge, FeedForbidden, FeedUnavailable, FeedOther}

// feedKind classifies a failed write; a permanent kind is not cured by
// writing the same message again.
func feedKind(err error) (kind string, permanent bool) {
	switch {
	case events.ErrorCode(err) == events.CodeTooLarge:
		return FeedTooLarge, true
	case errors.Is(err, eventlog.ErrForbidden):
		return FeedForbidden, true
	case errors.Is(err, eventlog.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return FeedUnavailable, false
	}
	return FeedOther, false
}

// feedBackoff is how long an act waits after its n-th failure in a row:
// twice the feed's interval, doubled at each failure, at most
// feedBackoffMax.
func feedBackoff(n int) time.Duration {
	if n >= 16 {
		return feedBackoffMax
	}
	return min(feedInterval<<n, feedBackoffMax)
}

// feedFailure is an act whose latest state is not in the bucket.
type feedFailure struct {
	kind     string
	attempts int       // failures in a row
	due      time.Time // not written again before
	held     bool      // a permanent failure: written again once the act changes
}

// feedStatus is the feed's record of its failures; guarded by Service.mu.
type feedStatus struct {
	waiting  map[events.ActID]*feedFailure
	failures map[string]uint64 // state writes and notices that failed, by kind
	notices  map[string]bool   // kinds of change notice failures logged and not yet recovered
	now      func() time.Time  // time.Now when nil (tests set it)
}

func (f *feedStatus) clock() time.Time {
	if f.now != nil {
		return f.now()
	}
	return time.Now()
}

func (f *feedStatus) count(kind string, n int) {
	if n == 0 {
		return
	}
	if f.failures == nil {
		f.failures = map[string]uint64{}
	}
	f.failures[kind] += uint64(n)
}

// feed publishes, at each interval, the current state of every act that
// changed since the last one: into the state bucket, and as a change
// notice. It begins once the projector is ready, by reconciling the bucket
// with the projection. An act whose state could not be written waits
// (feedBackoff) and is written again, or, when the failure is permanent,
// once the act changes again; each act's failure is logged once per kind,
// and once when it recovers.
func (s *Service) feed(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-s.readyCh:
	}
	s.reconcile(ctx)
	t := time.NewTicker(feedInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.feedTick(ctx)
	}
}

// feedTick writes and publishes the states that are due.
func (s *Service) feedTick(ctx context.Context) {
	bound := s.feedBound()
	s.mu.Lock()
	now := s.fd.clock()
	states := map[events.ActID][]byte{}
	due := func(act events.ActID) {
		if data := s.currentState(act, bound); data != nil {
			states[act] = data
		} else {
			delete(s.fd.waiting, act)
		}
	}
	for act := range s.dirty {
		if w := s.fd.waiting[act]; w != nil && now.Before(w.due) {
			continue // written once its wait is over
		}
		delete(s.dirty, act)
		due(act)
	}
	for act, w := range s.fd.waiting {
		if _, ok := states[act]; !ok && !w.held && !now.Before(w.due) {
			due(act)
		}
	}
	s.mu.Unlock()
	if len(states) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, feedWriteTimeout)
	failed, err := s.sink.PutStates(wctx, states)
	cancel()
	if ctx.Err() != nil {
		return
	}
	if err == nil && len(failed) > 0 {
		err = errors.New("the state bucket did not take them")
	}
	s.feedWritten(states, failed, err)
	for _, act := range failed {
		delete(states, act) // noticed once written
	}
	for act, data := range states {
		s.publishChange(act, data)
	}
}

// feedWritten records the outcome of a write of states: the acts that
// failed wait, from the end of the write, and those that failed before and
// are now written recover. It logs each act's failure once per kind, and
// once its recovery, in one line per kind per tick.
func (s *Service) feedWritten(states map[events.ActID][]byte, failed []events.ActID, err error) {
	kind, permanent := feedKind(err)
	var newly, recovered []events.ActID
	s.mu.Lock()
	now := s.fd.clock()
	if s.fd.waiting == nil {
		s.fd.waiting = map[events.ActID]*feedFailure{}
	}
	for _, act := range failed {
		w := s.fd.waiting[act]
		if w == nil || w.kind != kind {
			newly = append(newly, act)
			if w == nil {
				w = &feedFailure{}
				s.fd.waiting[act] = w
			}
			w.kind = kind
		}
		w.attempts++
		w.due, w.held = now.Add(feedBackoff(w.attempts)), permanent
	}
	s.fd.count(kind, len(failed))
	isFailed := make(map[events.ActID]bool, len(failed))
	for _, act := range failed {
		isFailed[act] = true
	}
	for act := range states {
		if !isFailed[act] && s.fd.waiting[act] != nil {
			delete(s.fd.waiting, act)
			recovered = append(recovered, act)
		}
	}
	waiting := len(s.fd.waiting)
	s.mu.Unlock()
	if len(newly) > 0 {
		what := "writing it again with a growing wait, at most " + feedBackoffMax.String()
		if permanent {
			what = "not writing it again until the act changes or the projector restarts"
		}
		s.log.Warn("feed: the state bucket did not take an act's state; "+what+" (docs/RUNBOOK.md, Feed failures)",
			"kind", kind, "acts", len(newly), "first", firstActs(newly), "waiting", waiting, "err", err)
	}
	if len(recovered) > 0 {
		s.log.Info("feed: states written again after failures", "acts", len(recovered), "first", firstActs(recovered), "waiting", waiting)
	}
}

// publishChange publishes an act's change notice; a failure is counted,
// and logged once per kind until a notice is published again. Notices are
// not published again: the state bucket holds the state.
func (s *Service) publishChange(act events.ActID, data []byte) {
	err := s.sink.PublishChange(act, data)
	s.mu.Lock()
	var log bool
	kind := ""
	if err != nil {
		kind, _ = feedKind(err)
		s.fd.count(kind, 1)
		if s.fd.notices == nil {
			s.fd.notices = map[string]bool{}
		}
		log = !s.fd.notices[kind]
		s.fd.notices[kind] = true
	} else if len(s.fd.notices) > 0 {
		clear(s.fd.notices)
	}
	s.mu.Unlock()
	if log {
		s.log.Warn("feed: change notice failed; further failures of this kind are counted, not logged, until one is published", "kind", kind, "act", act, "err", err)
	}
}

// firstActs names at most five of acts, for a log line.
func firstActs(acts []events.ActID) []events.ActID {
	slices.Sort(acts)
	return acts[:min(len(acts), 5)]
}

// feedBound is the largest message the feed writes now: FeedMaxBytes, at
// most a quarter of the server's max_payload.
func (s *Service) feedBound() int {
	b := s.opts.FeedMaxBytes
	if b <= 0 {
		b = DefaultFeedMaxBytes
	}
	if mp := s.sink.MaxPayload(); mp > 0 && mp/4 < int64(b) {
		b = int(mp / 4)
	}
	return b
}

// currentState renders an act's state today, as now known, for the feed,
// within bound bytes (boundNotice). The caller holds the lock.
func (s *Service) currentState(act events.ActID, bound int) []byte {
	today := events.MustDate(s.opts.Clock().UTC().Format(time.DateOnly))
	st, err := s.proj.State(act, projections.Query{AsOf: today})
	if err != nil {
		return nil
	}
	_, data := boundNotice(s.proj.LastSeq(), st, bound)
	return data
}

// ChangeNotice is the payload of lex.changes.{act} and of the state bucket:
// the act's state today, as of stream sequence Seq.
//
// A notice is at most the feed's bound (DefaultFeedMaxBytes, or a quarter
// of the server's max_payload). When the whole state would be larger, its
// lists are cut and Truncated is set: AmendmentsReceived and
// AmendmentsMade keep their newest entries (the last in ledger order),
// Provisions its first; Totals gives each list's whole length, and
// FullState the HTTP API's path of the whole state.
type ChangeNotice struct {
	Seq       uint64               `json:"sequence"`
	State     projections.ActState `json:"state"`
	Truncated bool                 `json:"truncated,omitempty"`
	Totals    *ListTotals          `json:"totals,omitempty"`
	FullState string               `json:"full_state,omitempty"`
}

// ListTotals are the lengths of a truncated state's lists. Because and
// Uncertain are set only when those lists were left out too (a bound too
// small for the state's summary).
type ListTotals struct {
	AmendmentsReceived int `json:"amendments_received"`
	AmendmentsMade     int `json:"amendments_made"`
	Provisions         int `json:"provisions"`
	Because            int `json:"because,omitempty"`
	Uncertain          int `json:"uncertain,omitempty"`
}

// boundNotice returns the notice of st at seq and its JSON, at most max
// bytes when the state's summary fits: the whole state when it fits, or
// else as many entries of its lists as fit, taken from each list in turn.
// The cut does not depend on seq, so that the same state is cut alike at
// any sequence.
func boundNotice(seq uint64, st projections.ActState, max int) (ChangeNotice, []byte) {
	n := ChangeNotice{Seq: seq, State: st}
	// A state whose amendments alone cannot fit is not encoded whole: the
	// feed would encode an act amended thousands of times whole, and then
	// again cut, every time it changes.
	if amendmentsAtLeast(&st) <= max {
		data, err := json.Marshal(n)
		if err != nil || len(data) <= max {
			return n, data
		}
	}
	n.Truncated = true
	n.Totals = &ListTotals{AmendmentsReceived: len(st.AmendmentsReceived), AmendmentsMade: len(st.AmendmentsMade), Provisions: len(st.Provisions)}
	n.FullState = "/v1/act?" + url.Values{"act": {string(st.Act)}, "as_of": {st.AsOf.String()}}.Encode()
	n.State.AmendmentsReceived, n.State.AmendmentsMade, n.State.Provisions = nil, nil, nil
	widest := n
	widest.Seq = math.MaxUint64
	base, _ := json.Marshal(widest)
	budget := max - len(base)
	if budget < 0 {
		// Not even the summary fits: leave out the lists of the status's
		// grounds too.
		n.Totals.Because, n.Totals.Uncertain = len(st.Because), len(st.Uncertain)
		n.State.Because, n.State.Uncertain = nil, nil
		data, _ := json.Marshal(n)
		return n, data
	}
	recv := newCut("amendments_received", st.AmendmentsReceived, true)
	made := newCut("amendments_made", st.AmendmentsMade, true)
	prov := newCut("provisions", st.Provisions, false)
	cuts := []*cut{recv, made, prov}
	for more := true; more; {
		more = false
		for _, c := range cuts {
			if c.take(&budget) {
				more = true
			}
		}
	}
	n.State.AmendmentsReceived = tail(st.AmendmentsReceived, recv.kept)
	n.State.AmendmentsMade = tail(st.AmendmentsMade, made.kept)
	n.State.Provisions = head(st.Provisions, prov.kept)
	data, _ := json.Marshal(n)
	return n, data
}

// amendmentsAtLeast is the fewest bytes the amendments of st encode to:
// the fields of each that are always encoded, their strings unescaped.
func amendmentsAtLeast(st *projections.ActState) int {
	const each = len(`{"event":"","instrument":"","effect":"","effective_from":""}`) + 26
	n := 0
	for i := range st.AmendmentsReceived {
		a := &st.AmendmentsReceived[i]
		n += each + len(a.Instrument) + len(a.Effect)
	}
	for i := range st.AmendmentsMade {
		a := &st.AmendmentsMade[i]
		n += each + len(`,"target":""`) + len(a.Target) + len(a.Instrument) + len(a.Effect)
	}
	return n
}

// cut is one list of a state being cut to the bound: the encoded size of
// each entry, in the order they are kept in (encoded as they are taken,
// not the whole list), and how many are kept.
type cut struct {
	key  int             // the bytes of `,"name":[]`
	n    int             // entries in the list
	size func(i int) int // the encoded size of the i-th entry taken
	kept int
	full bool // the next entry did not fit: take no more
}

func newCut[T any](name string, list []T, newestFirst bool) *cut {
	return &cut{key: len(`,"":[]`) + len(name), n: len(list), size: func(i int) int {
		if newestFirst {
			i = len(list) - 1 - i
		}
		b, _ := json.Marshal(list[i])
		return len(b)
	}}
}

// take keeps the list's next entry if it fits in budget, and reports
// whether it did.
func (c *cut) take(budget *int) bool {
	if c.full || c.kept == c.n {
		return false
	}
	size := c.size(c.kept)
	cost := size + 1 // the comma before it
	if c.kept == 0 {
		cost = size + c.key
	}
	if cost > *budget {
		c.full = true
		return false
	}
	*budget -= cost
	c.kept++
	return true
}

func tail[T any](list []T, n int) []T {
	if n == 0 {
		return nil
	}
	return list[len(list)-n:]
}

func head[T any](list []T, n int) []T {
	if n == 0 {
		return nil
	}
	return list[:n]
}
