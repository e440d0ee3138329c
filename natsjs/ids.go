package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// The claims of event ids: one stream beside the events' (LEX_IDS beside
// LEX), one subject per id (lex.ids.{id}), at most one message a subject,
// kept for ever. A claim holds the act and content digest of the event
// that first used the id (eventlog.Claim, as JSON). The store writes an
// event's claim before the event, with the expectation "no message on this
// subject yet": of two writers of one id, JetStream lets exactly one claim
// land, whatever their connections, and the other reads the claim that
// holds. docs/DESIGN.md, Event ids.
const (
	// DefaultIDStream and DefaultIDPrefix are the claims' stream and
	// subject prefix beside DefaultStream and DefaultPrefix.
	DefaultIDStream = DefaultStream + "_IDS"
	DefaultIDPrefix = "lex.ids"
	// idsBackfilled is the subject, under the claims' prefix, of the
	// message that says every event stored before claims existed has
	// its claim (not an id: ids are 26 characters).
	idsBackfilled = "backfilled"
	// maxClaimSize bounds a claim message: an act of 255 bytes, its digest.
	maxClaimSize = 4096
	// maxAtomicBatch is JetStream's default limit of an atomic batch.
	maxAtomicBatch = 1000
)

// IDStream returns the name of the claims' stream: the events' stream's
// name with _IDS.
func (c Config) IDStream() string { return c.withDefaults().Stream + "_IDS" }

// IDPrefix returns the claims' subject prefix: the events' prefix with its
// last token "events" replaced by "ids" (lex.ids beside lex.events), or
// with _ids added when it does not end so. It never lies under the events'
// prefix.
func (c Config) IDPrefix() string {
	p := c.withDefaults().Prefix
	if base, ok := strings.CutSuffix(p, ".events"); ok {
		return base + ".ids"
	}
	return p + "_ids"
}

func (s *Store) claimSubject(id events.ID) string { return s.idPrefix + "." + id.String() }

// IDStreamConfig returns the claims' stream configuration: file storage, one
// message per subject, a second refused (discard new per subject), nothing
// ever deleted or purged.
func (c Config) IDStreamConfig() jetstream.StreamConfig {
	c = c.withDefaults()
	return jetstream.StreamConfig{
		Name:                 c.IDStream(),
		Description:          "Lex Ledger: each event id's claim, the act and content of the event it names",
		Subjects:             []string{c.IDPrefix() + ".>"},
		Storage:              jetstream.FileStorage,
		Retention:            jetstream.LimitsPolicy,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		MaxMsgsPerSubject:    1,
		MaxMsgs:              -1,
		MaxBytes:             -1,
		MaxMsgSize:           maxClaimSize,
		Replicas:             c.Replicas,
		Duplicates:           c.Duplicates,
		DenyDelete:           true,
		DenyPurge:            true,
		AllowDirect:          true,
		AllowAtomicPublish:   true,
	}
}

// CheckIDStream lists how an existing claims' stream weakens the guarantee
// that an id names one event; none means it is fit to use.
func CheckIDStream(got jetstream.StreamConfig, c Config) []string {
	want := c.IDStreamConfig()
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !got.DenyDelete || !got.DenyPurge || got.AllowRollup {
		bad("claims can be deleted, purged or rolled up (deny_delete %t, deny_purge %t, allow_rollup_hdrs %t)", got.DenyDelete, got.DenyPurge, got.AllowRollup)
	}
	if got.MaxMsgsPerSubject != 1 || !got.DiscardNewPerSubject || got.Discard != jetstream.DiscardNew {
		bad("it does not keep exactly the first claim of each id (max_msgs_per_subject %d, discard %s, discard_new_per_subject %t)", got.MaxMsgsPerSubject, got.Discard, got.DiscardNewPerSubject)
	}
	if got.MaxMsgs > 0 || got.MaxBytes > 0 || got.MaxAge > 0 || got.Retention != jetstream.LimitsPolicy ||
		got.AllowMsgTTL || got.SubjectDeleteMarkerTTL > 0 || got.AllowMsgSchedules || got.AllowMsgCounter {
		bad("claims could be removed (limits, retention %s, TTLs, schedules or counters)", got.Retention)
	}
	if got.Storage != jetstream.FileStorage || got.PersistMode == jetstream.AsyncPersistMode {
		bad("claims are not stored on disk before their acknowledgement (storage %s, persist_mode %s)", got.Storage, got.PersistMode)
	}
	if got.Sealed || !got.AllowAtomicPublish {
		bad("it is sealed, or allow_atomic is off")
	}
	if got.Replicas < c.withDefaults().Replicas {
		bad("it has %d replicas, fewer than the %d configured", got.Replicas, c.withDefaults().Replicas)
	}
	if len(got.Subjects) != 1 || got.Subjects[0] != want.Subjects[0] {
		bad("its subjects are %v, not [%s]", got.Subjects, want.Subjects[0])
	}
	return p
}

// ensureIDStream creates the claims' stream, or checks an existing one. It
// never changes an existing stream.
func ensureIDStream(ctx context.Context, js jetstream.JetStream, c Config) error {
	want := c.IDStreamConfig()
	s, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = createStream(ctx, js, want)
		if err != nil {
			return fmt.Errorf("create stream %s: %w", want.Name, mapError(err))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up stream %s: %w", want.Name, mapError(err))
	}
	if problems := CheckIDStream(s.CachedInfo().Config, c); len(problems) > 0 {
		return weakened(want.Name, problems)
	}
	return nil
}

// claimMsg is the message that claims c's id.
func (s *Store) claimMsg(c *eventlog.Claim) *nats.Msg {
	m := nats.NewMsg(s.claimSubject(c.ID))
	m.Data, _ = json.Marshal(c) // a Claim always encodes
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	return m
}

// claimsOf returns the claims of msgs, computing content digests the
// messages lack, and refuses an id used twice among them.
func claimsOf(msgs []eventlog.Message) ([]eventlog.Claim, error) {
	out := make([]eventlog.Claim, len(msgs))
	var seen map[events.ID]int
	if len(msgs) > 1 {
		seen = make(map[events.ID]int, len(msgs))
	}
	for i := range msgs {
		m := &msgs[i]
		c := eventlog.Claim{ID: m.Event.ID, Act: m.Event.Act, Content: m.Content}
		if c.Content.IsZero() {
			d, err := m.Event.ContentDigest()
			if err != nil {
				return nil, err
			}
			c.Content = d
		}
		if seen != nil {
			if j, dup := seen[c.ID]; dup {
				return nil, fmt.Errorf("messages %d and %d of one append have the same event id %s", j+1, i+1, c.ID)
			}
			seen[c.ID] = i
		}
		out[i] = c
	}
	return out, nil
}

// claim claims every id of claims, as one atomic batch when atomic is set
// and there are several, else pipelined. It returns the claim that holds
// each id: the one given, or an earlier one. A claim equal to the one
// given may be this call's or an earlier attempt's; the caller's per-act
// expectation decides whether its event is new.
func (s *Store) claim(ctx context.Context, claims []eventlog.Claim, atomic bool) ([]eventlog.Claim, error) {
	if atomic && len(claims) > 1 {
		batch := make([]*nats.Msg, len(claims))
		for i := range claims {
			batch[i] = s.claimMsg(&claims[i])
		}
		_, err := jetstreamext.PublishMsgBatch(ctx, s.js, batch, jetstreamext.BatchFlowControl{AckFirst: false})
		if err == nil {
			return claims, nil
		}
		if !isWrongLastSeq(err) {
			return nil, mapError(err)
		}
		// Some id is claimed already, and the batch wrote nothing: claim
		// them one by one to learn which.
	}
	held := make([]eventlog.Claim, len(claims))
	errs := s.claimEach(ctx, claims, held)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return held, nil
}

// claimEach claims each id with its own publish, pipelined, and sets held
// to the claim that holds each; errs[i] is set when claim i's outcome is
// unknown.
func (s *Store) claimEach(ctx context.Context, claims, held []eventlog.Claim) (errs []error) {
	errs = make([]error, len(claims))
	futures := make([]jetstream.PubAckFuture, len(claims))
	for i := range claims {
		f, err := s.js.PublishMsgAsync(s.claimMsg(&claims[i]))
		if err != nil {
			errs[i] = mapError(err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
			held[i] = claims[i]
			continue
		case err := <-f.Err():
			if !isWrongLastSeq(err) {
				errs[i] = mapError(err)
				continue
			}
		case <-ctx.Done():
			errs[i] = mapError(ctx.Err())
			continue
		}
		// Claimed before: read the claim that holds.
		c, err := s.heldClaim(ctx, claims[i].ID)
		if err != nil {
			errs[i] = err
			continue
		}
		held[i] = c
	}
	return errs
}

// heldClaim reads the claim of id from the stream's leader (a message get,
// not a direct get, which a replica not yet up to date may answer).
func (s *Store) heldClaim(ctx context.Context, id events.ID) (eventlog.Claim, error) {
	c, _, ok, err := s.lookupClaim(ctx, id)
	if err == nil && !ok {
		err = fmt.Errorf("stream %s refused the claim of event id %s as taken, but holds none", s.idStream, id)
	}
	return c, err
}

// lookupClaim reads the claim of id, if there is one, from the stream's
// leader, with its sequence in the claims' stream.
func (s *Store) lookupClaim(ctx context.Context, id events.ID) (eventlog.Claim, uint64, bool, error) {
	m, err := msgGet(ctx, s.nc, apiPrefixOf(s.js), s.idStream, msgGetRequest{LastBySubject: s.claimSubject(id)})
	if err != nil {
		return eventlog.Claim{}, 0, false, fmt.Errorf("read the claim of event id %s: %w", id, err)
	}
	if m == nil {
		return eventlog.Claim{}, 0, false, nil
	}
	var c eventlog.Claim
	if err := json.Unmarshal(m.Data, &c); err != nil || c.ID != id {
		return eventlog.Claim{}, 0, false, fmt.Errorf("stream %s sequence %d does not hold a readable claim of event id %s: %v", s.idStream, m.Sequence, id, err)
	}
	return c, m.Sequence, true, nil
}

// claimedWhole reports whether chunk was claimed by one atomic batch
// before: its first and last claims are there, as many sequences apart as
// the batch's first and last messages.
func (s *Store) claimedWhole(ctx context.Context, chunk []eventlog.Claim) (bool, error) {
	first, last := chunk[0], chunk[len(chunk)-1]
	c, lastSeq, ok, err := s.lookupClaim(ctx, last.ID)
	if err != nil || !ok || c != last {
		return false, err
	}
	c, firstSeq, ok, err := s.lookupClaim(ctx, first.ID)
	if err != nil || !ok || c != first {
		return false, err
	}
	return lastSeq-firstSeq == uint64(len(chunk)-1), nil
}

// isWrongLastSeq reports whether err is JetStream's refusal of a publish
// whose subject already has a message (the claim's expectation "none
// yet"), or of a batch with one such.
func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// checkClaims compares the claims that hold with those asked for: the
// messages whose ids name other events are an *eventlog.IDUsedError.
func checkClaims(want, held []eventlog.Claim) error {
	var used []eventlog.UsedID
	for i := range want {
		if held[i] != want[i] {
			used = append(used, eventlog.UsedID{Index: i, Held: held[i]})
		}
	}
	if used != nil {
		return &eventlog.IDUsedError{Used: used}
	}
	return nil
}

// backfilled is the message that says when claims were backfilled.
type backfilled struct {
	Through uint64 `json:"through"` // the events' stream's last sequence then
	Claimed int    `json:"claimed"` // by the run that finished
	Skipped int    `json:"skipped"` // claimed by an earlier, interrupted run
	Reused  int    `json:"reused"`  // ids already stored twice, before claims
}

// backfillIDs claims the ids of the events stored before the claims'
// stream existed (a stream written by an earlier version of the ledger,
// or restored from a backup), once: it reads the events' stream from the
// start and claims each event's id in atomic batches, then records that it
// did. An id that the old stream already holds twice (on two acts, which
// nothing refused before claims) keeps the claim of its first event; the
// count of those is in the record. Two processes may backfill at once:
// claims of one event are equal, and one record is kept. A run cut short
// (Open's deadline, on a long stream) is taken up by the next, which
// skips the chunks an earlier run claimed whole (claimedWhole) and claims
// the others again.
func (s *Store) backfillIDs(ctx context.Context) error {
	done := s.idPrefix + "." + idsBackfilled
	m, err := msgGet(ctx, s.nc, apiPrefixOf(s.js), s.idStream, msgGetRequest{LastBySubject: done})
	if err != nil {
		return fmt.Errorf("stream %s: %w", s.idStream, err)
	}
	if m != nil {
		return nil
	}
	last, err := s.LastSeq(ctx)
	if err != nil {
		return err
	}
	rec := backfilled{Through: last}
	var chunk []eventlog.Claim
	var upTo, through uint64 // the sequence of the chunk's last event; of the last claimed
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if whole, err := s.claimedWhole(ctx, chunk); err != nil {
			return err
		} else if whole {
			rec.Skipped += len(chunk)
			chunk, through = chunk[:0], upTo
			return nil
		}
		held, err := s.claim(ctx, chunk, true)
		if err != nil {
			return err
		}
		for i := range chunk {
			if held[i] != chunk[i] {
				rec.Reused++
			}
		}
		rec.Claimed += len(chunk)
		chunk, through = chunk[:0], upTo
		return nil
	}
	fail := func(err error) error {
		return fmt.Errorf("backfill the claims of the ids of the %d events stored before claims existed: claimed through sequence %d, then: %w; open the stream again to go on from there", last, through, err)
	}
	seen := map[events.ID]bool{} // within one chunk, ids are distinct
	if last > 0 {
		for raw, err := range s.ReadRaw(ctx) {
			if err != nil {
				return fail(err)
			}
			if raw.Seq > last {
				break
			}
			ent := s.inspect(raw.Seq, raw.Subject, raw.Data)
			if ent.Defect != nil {
				continue // a defect: no reader takes it for an event, and its id is not taken
			}
			e := ent.Event
			d, err := e.ContentDigest()
			if err != nil {
				continue
			}
			if seen[e.ID] {
				if err := flush(); err != nil {
					return fail(err)
				}
				clear(seen)
			}
			seen[e.ID] = true
			chunk = append(chunk, eventlog.Claim{ID: e.ID, Act: e.Act, Content: d})
			upTo = raw.Seq
			if len(chunk) == maxAtomicBatch {
				if err := flush(); err != nil {
					return fail(err)
				}
				clear(seen)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	msg := nats.NewMsg(done)
	msg.Data, _ = json.Marshal(rec)
	msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	if _, err := s.js.PublishMsg(ctx, msg); err != nil && !isWrongLastSeq(err) {
		return fmt.Errorf("record the backfill of claims: %w", mapError(err))
	}
	return nil
}
