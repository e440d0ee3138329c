package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// Store is the event store on a JetStream stream. It implements
// eventlog.Store and is safe for concurrent use.
type Store struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	cfg    Config
	// readOnly says why nothing is written through the store, when it
	// is not to be: it was opened for reading (OpenForReading, its stream
	// not checked), or its stream is another account's.
	readOnly string
	// direct says that replays read with message gets, not consumers: the
	// stream is another account's, and the store was opened for reading
	// (clients, whose account may create no consumers there). A store
	// opened with Open through an import (the projector's) follows and
	// replays with consumers, which its account may create.
	direct bool
	// gate, set by Watcher.WatchStore before the store writes, refuses
	// writes while the stream is weakened or gone.
	gate *gate
	// idStream and idPrefix are the claims of event ids (ids.go), set when
	// the store appends.
	idStream, idPrefix string
	// leave decides when the connection leaves a server that takes no
	// write (leave.go).
	leave *leaver
}

var _ eventlog.Store = (*Store)(nil)

// Open connects the store to its stream on nc, creating the stream if it
// does not exist and refusing one that weakens the ledger's guarantees.
// When the user's account imports the stream's API (StreamAPIPrefix, as
// the projector's account does on a server configured by `ledger
// nats-config`), the store reads the stream through the import and
// refuses appends: only the stream's own account writes events.
// cfg.APIPrefix, when set, is the only prefix tried.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	js, s, imported, err := locate(ctx, nc, cfg.Stream, cfg.APIPrefix, StreamAPIPrefix)
	var why string
	switch {
	case imported && err == nil:
		why = fmt.Sprintf("stream %s belongs to another account, whose API this account imports: only the ledger's account appends (log in with the ledger role's key, ledger.nk)", cfg.Stream)
		if problems := CheckStream(s.CachedInfo().Config, cfg); len(problems) > 0 {
			return nil, weakened(cfg.Stream, problems)
		}
	case imported:
		return nil, fmt.Errorf("look up stream %s: %w", cfg.Stream, mapError(err))
	default:
		if s, err = ensureStream(ctx, js, cfg); err != nil {
			return nil, err
		}
	}
	st := &Store{nc: nc, js: js, stream: s, cfg: cfg, readOnly: why, leave: &leaver{}}
	if why == "" {
		// The claims of event ids: created beside the stream, and
		// backfilled once for events stored before they existed.
		st.idStream, st.idPrefix = cfg.IDStream(), cfg.IDPrefix()
		if err := ensureIDStream(ctx, js, cfg); err != nil {
			return nil, err
		}
		if err := st.backfillIDs(ctx); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// OpenForReading connects to an existing stream without checking its
// configuration and without creating it: for verification and replays,
// which must read a stream even when its guarantees were weakened (that is
// what they look for). Appending to such a store is refused. The stream is
// found as Open finds it, through an import of its API or in the user's
// own account.
func OpenForReading(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	js, s, imported, err := locate(ctx, nc, cfg.Stream, cfg.APIPrefix, StreamAPIPrefix)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Stream, mapError(err))
	}
	why := fmt.Sprintf("stream %s was opened for reading only", cfg.Stream)
	return &Store{nc: nc, js: js, stream: s, cfg: cfg, readOnly: why, direct: imported, leave: &leaver{}}, nil
}

// Config returns the store's configuration, defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// Conn returns the store's NATS connection.
func (s *Store) Conn() *nats.Conn { return s.nc }

// Subject returns the literal subject of an act's events.
func (s *Store) Subject(act events.ActID) string { return subjectOf(s.cfg.Prefix, act) }

// subjectOf is the act's subject under prefix. The act's components after
// /akn/ are subject tokens (they hold no dots); one replacement makes the
// subject in one allocation.
func subjectOf(prefix string, act events.ActID) string {
	return prefix + "." + strings.ReplaceAll(strings.TrimPrefix(string(act), "/akn/"), "/", ".")
}

// IsSubjectOf reports whether subject is the subject of act's events,
// without allocating: the prefix, then the act's components after /akn/
// with dots for slashes.
func (s *Store) IsSubjectOf(subject string, act events.ActID) bool {
	rest, ok := strings.CutPrefix(subject, s.cfg.Prefix+".")
	if !ok {
		return false
	}
	a, ok := strings.CutPrefix(string(act), "/akn/")
	if !ok || len(a) != len(rest) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c == '/' {
			c = '.'
		} else if c == '.' {
			return false
		}
		if rest[i] != c {
			return false
		}
	}
	return true
}

// ActOfSubject returns the act whose events are stored on subject: the
// act of events.ActIDFromTokens of its tokens after the prefix, made in one
// allocation (a replay asks for each message's act).
func (s *Store) ActOfSubject(subject string) (events.ActID, error) {
	rest, ok := strings.CutPrefix(subject, s.cfg.Prefix+".")
	if !ok {
		return "", fmt.Errorf("subject %q is outside %s.>", subject, s.cfg.Prefix)
	}
	var b strings.Builder
	b.Grow(len("/akn/") + len(rest))
	b.WriteString("/akn/")
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == '.' {
			c = '/'
		}
		b.WriteByte(c)
	}
	return events.ParseActID(b.String())
}

func (s *Store) message(m *eventlog.Message) *nats.Msg { return EventMsg(s.cfg.Prefix, m) }

// EventMsg is the message the store writes for m on a stream whose
// subjects are under prefix: the act's subject, the encoded event, the
// event's headers and, when m says so, the act's expected sequence.
func EventMsg(prefix string, m *eventlog.Message) *nats.Msg {
	e := m.Event
	msg := nats.NewMsg(subjectOf(prefix, e.Act))
	msg.Data = m.Data
	// No Nats-Msg-Id: every write carries its act's expected sequence,
	// so a retried event can only land after its act was read again, and
	// the ledger finds the id there (docs/DESIGN.md); the server's
	// duplicate tracking would be work on every write for nothing.
	msg.Header[HeaderEventID] = []string{e.ID.String()}
	msg.Header[HeaderEventType] = []string{string(e.Type)}
	msg.Header[HeaderSchema] = []string{strconv.Itoa(e.Schema)}
	if m.Expect {
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(m.ExpectSeq, 10))
	}
	return msg
}

// Append writes msgs atomically: one message with a plain publish, several
// as a JetStream atomic batch, after their ids' claims (ids.go), which
// several messages write as an atomic batch of their own. It maps
// JetStream's errors onto the port's (mapError): a wrong last sequence and
// duplicates within a batch are eventlog.ErrConflict; a missing server,
// and a leader not yet able to check expectations, are
// eventlog.ErrUnavailable; an id claimed by another event is an
// *eventlog.IDUsedError.
func (s *Store) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	sent := time.Now()
	out, err := s.appendAll(ctx, msgs)
	s.noteWrite(err, sent)
	return out, err
}

func (s *Store) appendAll(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if s.readOnly != "" {
		return nil, errors.New(s.readOnly)
	}
	if err := s.gateErr(); err != nil {
		return nil, err
	}
	if !s.nc.IsConnected() {
		return nil, fmt.Errorf("%w: not connected to NATS (%s)", eventlog.ErrUnavailable, s.nc.Status())
	}
	out := make([]eventlog.Entry, len(msgs))
	if len(msgs) == 1 {
		// Asynchronously, so that a disconnection fails the future at once
		// rather than after the whole timeout.
		r := s.appendEach(ctx, msgs)[0]
		if r.Err != nil {
			return nil, r.Err
		}
		out[0] = r.Entry
		return out, nil
	}
	claims, err := claimsOf(msgs)
	if err != nil {
		return nil, err
	}
	held, err := s.claim(ctx, claims, true)
	if err != nil {
		return nil, err
	}
	if err := checkClaims(claims, held); err != nil {
		return nil, err
	}
	batch := make([]*nats.Msg, len(msgs))
	for i := range msgs {
		batch[i] = s.message(&msgs[i])
	}
	ack, err := jetstreamext.PublishMsgBatch(ctx, s.js, batch, jetstreamext.BatchFlowControl{AckFirst: false})
	if err != nil {
		return nil, mapError(err)
	}
	if ack.BatchSize != uint64(len(msgs)) || ack.Sequence < uint64(len(msgs)) {
		return nil, fmt.Errorf("batch acknowledged %d messages ending at %d, sent %d", ack.BatchSize, ack.Sequence, len(msgs))
	}
	first := ack.Sequence - uint64(len(msgs)) + 1
	for i := range msgs {
		out[i] = eventlog.Entry{Seq: first + uint64(i), Event: *msgs[i].Event}
	}
	return out, nil
}

// AppendEach publishes the claims of msgs' ids asynchronously, then the
// events whose claims hold, each with its own expectation and each once
// (an event no server took is eventlog.ErrUnavailable, never sent again),
// and waits for every acknowledgement.
func (s *Store) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	sent := time.Now()
	out := s.appendEach(ctx, msgs)
	// One note for the call: unanswered only when none of its writes was
	// answered.
	if i := slices.IndexFunc(out, func(r eventlog.Result) bool {
		return r.Err == nil || !errors.Is(r.Err, eventlog.ErrUnavailable)
	}); i >= 0 {
		s.noteWrite(nil, sent)
	} else if len(out) > 0 {
		s.noteWrite(out[0].Err, sent)
	}
	return out
}

func (s *Store) appendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	out := make([]eventlog.Result, len(msgs))
	if s.readOnly != "" {
		for i := range out {
			out[i].Err = errors.New(s.readOnly)
		}
		return out
	}
	if err := s.gateErr(); err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	if !s.nc.IsConnected() {
		for i := range out {
			out[i].Err = fmt.Errorf("%w: not connected to NATS (%s)", eventlog.ErrUnavailable, s.nc.Status())
		}
		return out
	}
	claims, err := claimsOf(msgs)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	held := make([]eventlog.Claim, len(claims))
	claimErrs := s.claimEach(ctx, claims, held)
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i := range msgs {
		if err := claimErrs[i]; err != nil {
			out[i].Err = err
			continue
		}
		if held[i] != claims[i] {
			out[i].Err = &eventlog.IDUsedError{Used: []eventlog.UsedID{{Index: i, Held: held[i]}}}
			continue
		}
		// Sent once: on "no responders" (no stream leader) nats.go would
		// send it again 250 ms later, from a timer, after events the ledger
		// stamped and sent later, so that one ledger's record times would
		// run backwards in stream order (issue 17). It is answered
		// unavailable instead, and the clerk's retry is stamped anew.
		f, err := s.js.PublishMsgAsync(s.message(&msgs[i]), jetstream.WithRetryAttempts(0))
		if err != nil {
			out[i].Err = mapError(err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			if ack.Duplicate {
				out[i].Err = fmt.Errorf("%w: event %s is already stored at sequence %d", eventlog.ErrConflict, msgs[i].Event.ID, ack.Sequence)
				continue
			}
			out[i].Entry = eventlog.Entry{Seq: ack.Sequence, Event: *msgs[i].Event}
		case err := <-f.Err():
			out[i].Err = mapError(err)
		case <-ctx.Done():
			out[i].Err = mapError(ctx.Err())
		}
	}
	return out
}

// Paging of per-act reads: at most this many messages, and bytes, a page.
const (
	loadBatch    = 1000
	loadMaxBytes = 8 << 20
)

// Load returns the act's events with stream sequence greater than after,
// read with batched direct gets. It returns the whole rest of the act or an
// error, never part of it: each page says how many matching messages remain
// (Nats-Num-Pending), so a page cut short by size, a dropped message or a
// timeout is read on or reported, not taken for the end. A message that is
// not a valid event of the act is an entry with a Defect; from the act's
// start (after 0) that includes an event off its act's chain
// (eventlog.Chain), so that the valid entries are the act's history and the
// last entry, defect or not, is the act's last stream sequence.
func (s *Store) Load(ctx context.Context, act events.ActID, after uint64) ([]eventlog.Entry, error) {
	sent := time.Now()
	out, err := s.load(ctx, act, after)
	if s.readOnly == "" && err != nil {
		// The ledger's reads of its acts, on its way to a write: their
		// failures count as the writes', their answers do not (a leader
		// cut off from its followers still answers reads).
		s.noteWrite(err, sent)
	}
	return out, err
}

func (s *Store) load(ctx context.Context, act events.ActID, after uint64) ([]eventlog.Entry, error) {
	subject := s.Subject(act)
	info := s.stream.CachedInfo()
	replicated := info != nil && info.Config.Replicas > 1
	out, err := s.loadDirect(ctx, act, subject, after, replicated)
	if err != nil {
		return nil, err
	}
	if replicated {
		if out, err = s.catchUp(ctx, act, subject, after, out); err != nil {
			return nil, err
		}
	}
	return chained(out, after, subject), nil
}

// catchUp reads from the stream's leader what a read by direct gets
// missed: in a cluster any current replica answers a direct get, and one
// that is still catching up (a node back from a partition) answers with
// less than the leader holds. A ledger that took that for the act's
// history answered "conflict" for its own event, written a moment before
// (issue 17, a Jepsen-style run: "act ... is at version 79, not 172 as
// expected", the event stored at 173). The leader says which is the act's
// last message, and gives the ones after what was read, one by one
// (message get API, next by subject): also the rest of an act whose
// direct gets went unanswered (a replica that hangs, loadDirect).
func (s *Store) catchUp(ctx context.Context, act events.ActID, subject string, after uint64, out []eventlog.Entry) ([]eventlog.Entry, error) {
	prefix := apiPrefixOf(s.js)
	last, err := msgGet(ctx, s.nc, prefix, s.cfg.Stream, msgGetRequest{LastBySubject: subject})
	if err != nil {
		return nil, err
	}
	have := after
	if n := len(out); n > 0 {
		have = out[n-1].Seq
	}
	for last != nil && have < last.Sequence {
		m, err := msgGet(ctx, s.nc, prefix, s.cfg.Stream, msgGetRequest{Seq: have + 1, NextBySubject: subject})
		if err != nil {
			return nil, err
		}
		if m == nil || m.Sequence <= have || m.Subject != subject {
			return nil, fmt.Errorf("%w: reading %s after sequence %d from the stream's leader: no message up to its last, %d", eventlog.ErrUnavailable, act, have, last.Sequence)
		}
		out = append(out, s.decode(m))
		have = m.Sequence
	}
	return out, nil
}

// loadDirect reads act's messages after sequence after with batched
// direct gets, decoded, not yet checked against the act's chain.
//
// When leaderAfter is set (a replicated stream, which Load then reads on
// from its leader) each page is given readTry to answer, and one that
// gets no answer in time ends the read by direct gets: the leader gives
// the rest. A direct get is answered by one replica, which the servers
// pick at random, and one whose process hangs (paused, its host frozen)
// never answers while the other servers still count its routes. On a
// single server a page has the whole of ctx.
func (s *Store) loadDirect(ctx context.Context, act events.ActID, subject string, after uint64, leaderAfter bool) ([]eventlog.Entry, error) {
	var out []eventlog.Entry
	next := after + 1
	last := int64(-1) // Nats-Num-Pending of the last message read
	for {
		var tctx context.Context
		var cancel context.CancelFunc
		if leaderAfter {
			tctx, cancel = context.WithTimeout(ctx, readTry)
		} else {
			tctx, cancel = context.WithCancel(ctx)
		}
		got, none, err := s.loadPage(tctx, subject, &next, &last, &out)
		timedOut := tctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case timedOut && last != 0 && got == 0:
			return out, nil // the leader gives the rest (catchUp)
		case timedOut && last != 0:
			continue // read on from next, with a new request
		case err != nil:
			return nil, err
		case last == 0, none && got == 0:
			return out, nil // read to the act's end, or nothing at or after next
		case got == 0:
			if err := ctx.Err(); err != nil {
				return nil, mapError(err)
			}
			return nil, fmt.Errorf("%w: reading %s from sequence %d: no answer from the stream", eventlog.ErrUnavailable, act, next)
		}
	}
}

// loadPage reads one page of direct gets of subject from *next on,
// appending to *out and advancing *next and *last (Nats-Num-Pending of the
// last message read; 0: the act is read to its end). It returns how many
// messages it read and whether the server said there was none.
func (s *Store) loadPage(ctx context.Context, subject string, next *uint64, last *int64, out *[]eventlog.Entry) (got int, none bool, err error) {
	msgs, err := jetstreamext.GetBatch(ctx, s.js, s.cfg.Stream, loadBatch,
		jetstreamext.GetBatchSubject(subject), jetstreamext.GetBatchSeq(*next), jetstreamext.GetBatchMaxBytes(loadMaxBytes))
	if err != nil {
		return 0, false, mapError(err)
	}
	pending := int64(-1)
	for m, err := range msgs {
		if err != nil {
			if errors.Is(err, jetstreamext.ErrNoMessages) {
				return got, true, nil
			}
			return got, false, mapError(err)
		}
		np, perr := strconv.ParseInt(m.Header.Get("Nats-Num-Pending"), 10, 64)
		// Within a page each message has one fewer after it. A page's
		// first has at least one fewer than the last one read (more, if
		// the act grew in between): fewer still means the first of the
		// page went missing.
		if perr != nil || (pending >= 0 && np != pending-1) || (pending < 0 && *last >= 0 && np < *last-1) {
			return got, false, nil // a message went missing: read on from next
		}
		*out = append(*out, s.decode(m))
		*next, pending, *last = m.Sequence+1, np, np
		got++
		if np == 0 {
			return got, false, nil
		}
	}
	return got, false, nil
}

// LoadSeqs implements eventlog.SeqLoader: one direct get per sequence,
// scanWindow of them in flight. A get by sequence makes the server read
// only the block that holds the message, where Load's read by subject
// makes it visit every block between the act's first message and its
// last, rebuilding the subject index of each whose index has expired: for
// an old act of a large stream, most of the stream (BENCHMARKS.md, What
// the embedded NATS server holds).
func (s *Store) LoadSeqs(ctx context.Context, act events.ActID, seqs []uint64) ([]eventlog.Entry, error) {
	subject := s.Subject(act)
	out := make([]eventlog.Entry, len(seqs))
	errs := make([]error, len(seqs))
	for from := 0; from < len(seqs); from += scanWindow {
		to := min(from+scanWindow, len(seqs))
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := retried(ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) { return s.stream.GetMsg(ctx, seqs[i]) })
				switch {
				case errors.Is(err, jetstream.ErrMsgNotFound):
					errs[i] = fmt.Errorf("stream %s holds no message at sequence %d, an event of %s", s.cfg.Stream, seqs[i], act)
				case err != nil:
					errs[i] = mapError(err)
				case m.Sequence != seqs[i] || m.Subject != subject:
					errs[i] = fmt.Errorf("stream %s answered sequence %d on %s for sequence %d of %s", s.cfg.Stream, m.Sequence, m.Subject, seqs[i], subject)
				default:
					out[i] = s.decode(m)
					if d := out[i].Defect; d != nil {
						errs[i] = fmt.Errorf("sequence %d of %s is not a readable event: %s", seqs[i], subject, d.Message)
					}
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs[from:to]...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// chained checks an act's entries read from its start (after 0) against
// its chain, marking the events off it as defects on subject.
func chained(out []eventlog.Entry, after uint64, subject string) []eventlog.Entry {
	if after != 0 {
		return out
	}
	var c eventlog.Chain
	for i := range out {
		c.Check(&out[i])
		if d := out[i].Defect; d != nil && d.Subject == "" {
			d.Subject = subject
		}
	}
	return out
}

func (s *Store) decode(m *jetstream.RawStreamMsg) eventlog.Entry {
	st := s.inspect(m.Sequence, m.Subject, m.Data)
	st.StoredAt = m.Time
	return st
}

// Position is where a replay starts: a stream sequence or a record time.
type Position = eventlog.Position

// LastSeq returns the stream's last sequence, 0 when it is empty.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, mapError(err)
	}
	return info.State.LastSeq, nil
}

// Health returns the stream's last sequence, as LastSeq, and fails when
// the stream is replicated and cannot take a write: it has no leader, or
// its leader has not heard from a quorum of its replicas (itself included)
// within QuorumWindow. A replica still answers the stream's info in
// either case, so LastSeq alone says the stream is up while every append
// is refused (an outside run for issue 17, two nodes of three down); and a
// leader cut off from its followers goes on calling itself leader for 10
// to 20 s before it steps down (issue 17's runs: ready in 31 of 36 probes
// of a quorum loss). The error is a *NoLeaderError.
func (s *Store) Health(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, mapError(err)
	}
	return info.State.LastSeq, quorum(s.cfg.Stream, info)
}

// QuorumWindow is how recently a stream's leader must have heard from a
// replica for Health to count it towards the quorum a write needs: five
// of the servers' heartbeats (one a second), past the shortest time (4 s)
// after which a follower calls an election.
const QuorumWindow = 5 * time.Second

// quorum is Health's judgement of a stream's cluster info: nil when the
// stream is not replicated, or its leader has heard from a quorum within
// QuorumWindow.
func quorum(stream string, info *jetstream.StreamInfo) error {
	c := info.Cluster
	if c == nil || info.Config.Replicas <= 1 {
		return nil
	}
	need := info.Config.Replicas/2 + 1
	if c.Leader == "" {
		return &NoLeaderError{Stream: stream, Replicas: info.Config.Replicas, Report: replicasOf(c)}
	}
	heard := 1 // the leader
	for _, r := range c.Replicas {
		if r != nil && !r.Offline && r.Active < QuorumWindow {
			heard++
		}
	}
	if heard < need {
		return &NoLeaderError{Stream: stream, Replicas: info.Config.Replicas, Leader: c.Leader, Report: replicasOf(c)}
	}
	return nil
}

// NoLeaderError is Health's error for a replicated stream that cannot take
// a write: without a leader, or with one that has lost its quorum. It
// wraps eventlog.ErrUnavailable.
type NoLeaderError struct {
	Stream   string
	Replicas int    // the stream's replicas
	Leader   string // the leader that lost its quorum; empty for none
	Report   string // what the cluster info says of them
}

func (e *NoLeaderError) Error() string {
	if e.Leader != "" {
		return fmt.Sprintf("stream %s's leader %s has not heard from a quorum (%d of %d) of its replicas within %s (%s); appends are refused until a quorum is back (docs/RUNBOOK.md, Quorum lost)",
			e.Stream, e.Leader, e.Replicas/2+1, e.Replicas, QuorumWindow, e.Report)
	}
	return fmt.Sprintf("stream %s has no leader: fewer than a quorum (%d of %d) of its replicas answer (%s); appends are refused until a quorum is back (docs/RUNBOOK.md, Quorum lost)",
		e.Stream, e.Replicas/2+1, e.Replicas, e.Report)
}

// Unwrap makes the error an eventlog.ErrUnavailable.
func (e *NoLeaderError) Unwrap() error { return eventlog.ErrUnavailable }

// NoLeader marks the error for readiness checks, which report it as it is
// (httpapi.StreamCheck).
func (e *NoLeaderError) NoLeader() bool { return true }

// replicasOf says what a leaderless stream's cluster info reports of its
// replicas.
func replicasOf(c *jetstream.ClusterInfo) string {
	if len(c.Replicas) == 0 {
		return "no replica reports"
	}
	var parts []string
	for _, r := range c.Replicas {
		state := "current"
		switch {
		case r.Offline:
			state = "offline"
		case r.Active >= QuorumWindow:
			state = fmt.Sprintf("not heard from for %s", r.Active.Round(time.Second))
		case !r.Current:
			state = fmt.Sprintf("behind by %d", r.Lag)
		}
		parts = append(parts, r.Name+" "+state)
	}
	return strings.Join(parts, ", ")
}

// Msgs returns the number of events in the stream.
func (s *Store) Msgs(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, mapError(err)
	}
	return info.State.Msgs, nil
}

// Read replays the stream from pos up to the last sequence at the time of
// the call, in order. It stops at the first error, including one from the
// loop's body; a message that is not a readable, sealed event of its act is
// an entry with a Defect (eventlog.Inspect), not an error. It reads with an ordered consumer, or, opened for reading
// through another account's import, with message gets (scan), which need
// no consumer.
func (s *Store) Read(ctx context.Context, pos Position) iter.Seq2[eventlog.Entry, error] {
	if !s.direct {
		return s.readConsumer(ctx, pos)
	}
	return func(yield func(eventlog.Entry, error) bool) {
		last, err := s.LastSeq(ctx)
		if err != nil || last == 0 {
			if err != nil {
				yield(eventlog.Entry{}, err)
			}
			return
		}
		from := max(pos.Seq, 1)
		if !pos.Time.IsZero() {
			from = 0 // scan finds the first message at or after pos.Time
		}
		if from > last {
			return
		}
		stopped := false
		err = s.scan(ctx, from, pos.Time, last, func(m *jetstream.RawStreamMsg) bool {
			stopped = !yield(s.decode(m), nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield(eventlog.Entry{}, err)
		}
	}
}

// scanWindow is how many single-message gets scan has in flight.
const scanWindow = 128

// scan reads the stream in order, from sequence from (or, when from is 0,
// from the first message stored at or after t) to last, one message get
// per sequence with scanWindow of them in flight, and calls fn with each
// message until fn returns false. Reading needs no consumer, nor batched
// direct gets: a consumer on another account's stream delivers inside that
// account to a subject of its creator's choosing, and a batched direct get
// of unbounded size holds the stream's writes while the server answers it
// (docs/OPERATIONS.md, Accounts). A sequence with no message (deleted, in
// a stream whose guarantees were weakened) is skipped.
func (s *Store) scan(ctx context.Context, from uint64, t time.Time, last uint64, fn func(*jetstream.RawStreamMsg) bool) error {
	prefix := apiPrefixOf(s.js)
	if from == 0 {
		m, err := msgGet(ctx, s.nc, prefix, s.cfg.Stream, msgGetRequest{StartTime: &t})
		if err != nil || m == nil {
			return err
		}
		from = m.Sequence
	}
	type got struct {
		m   *jetstream.RawStreamMsg
		err error
	}
	for next := from; next <= last; {
		n := min(scanWindow, last-next+1)
		window := make([]got, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := msgGet(ctx, s.nc, prefix, s.cfg.Stream, msgGetRequest{Seq: next + i})
				window[i] = got{m, err}
			}()
		}
		wg.Wait()
		for i, g := range window {
			if g.err != nil {
				return g.err
			}
			if g.m == nil {
				continue // no message at this sequence
			}
			if want := next + uint64(i); g.m.Sequence != want {
				return fmt.Errorf("stream %s answered sequence %d for %d", s.cfg.Stream, g.m.Sequence, want)
			}
			if !fn(g.m) {
				return nil
			}
		}
		next += n
	}
	return nil
}

// msgGetRequest is a request of JetStream's message get API.
type msgGetRequest struct {
	Seq           uint64     `json:"seq,omitempty"`
	StartTime     *time.Time `json:"start_time,omitempty"`
	LastBySubject string     `json:"last_by_subj,omitempty"`
	NextBySubject string     `json:"next_by_subj,omitempty"`
}

// msgGet gets one message of stream through the message get API under
// prefix (not a direct get: it is answered by the API, one message, and
// does not take the client's read loop). No message is (nil, nil).
//
// A request that no server answers (the stream has no leader yet, as for
// a few seconds after an election or a restart) is sent again, in tries
// (retried).
func msgGet(ctx context.Context, nc *nats.Conn, prefix, stream string, req msgGetRequest) (*jetstream.RawStreamMsg, error) {
	return retried(ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) {
		return msgGetOnce(ctx, nc, prefix, stream, req)
	})
}

func msgGetOnce(ctx context.Context, nc *nats.Conn, prefix, stream string, req msgGetRequest) (*jetstream.RawStreamMsg, error) {
	body, _ := json.Marshal(req)
	subject := prefix + ".STREAM.MSG.GET." + stream
	reply, err := nc.RequestWithContext(ctx, subject, body)
	if err != nil {
		return nil, mapError(err)
	}
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Subject string    `json:"subject"`
			Seq     uint64    `json:"seq"`
			Data    []byte    `json:"data"`
			Time    time.Time `json:"time"`
		} `json:"message"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return nil, fmt.Errorf("stream %s: the message get's answer is not JSON: %w", stream, err)
	}
	if resp.Error != nil {
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, nil
		}
		return nil, mapError(resp.Error)
	}
	if resp.Message == nil {
		return nil, fmt.Errorf("stream %s: the message get's answer holds no message", stream)
	}
	m := resp.Message
	return &jetstream.RawStreamMsg{Subject: m.Subject, Sequence: m.Seq, Data: m.Data, Time: m.Time}, nil
}

// readConsumer is Read with an ordered consumer.
func (s *Store) readConsumer(ctx context.Context, pos Position) iter.Seq2[eventlog.Entry, error] {
	return func(yield func(eventlog.Entry, error) bool) {
		last, err := s.LastSeq(ctx)
		if err != nil {
			yield(eventlog.Entry{}, err)
			return
		}
		cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
		switch {
		case !pos.Time.IsZero():
			if last == 0 {
				return
			}
			lm, err := s.stream.GetMsg(ctx, last)
			if err != nil {
				yield(eventlog.Entry{}, mapError(err))
				return
			}
			if lm.Time.Before(pos.Time) {
				return // nothing stored at or after pos.Time
			}
			t := pos.Time
			cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
		case pos.Seq > 1:
			if pos.Seq > last {
				return
			}
			cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, pos.Seq
		}
		if last == 0 {
			return
		}
		stopped := false
		err = s.consume(ctx, cfg, 2000, func(m jetstream.Msg, md *jetstream.MsgMetadata) bool {
			seq := md.Sequence.Stream
			if seq > last {
				return false
			}
			stopped = !yield(s.storedOf(m, md), nil)
			return !stopped && seq < last && md.NumPending > 0
		})
		if err != nil && !stopped {
			yield(eventlog.Entry{}, err)
		}
	}
}
