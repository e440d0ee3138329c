// Package projector runs a projection over the ledger's stream: it follows
// the stream from its checkpoint, applies each event once and in order,
// snapshots its state with the checkpoint it describes, publishes each
// change of an act's state (to a KV bucket and a notice subject), publishes
// day notices (an act entering into force, suspended, ending) once across
// all projectors, signs checkpoints of the stream's Merkle tree, and
// answers questions about the views (Read, WaitFor, Position, Prove,
// Report...). It speaks no HTTP: package httpapi serves its queries
// (httpapi.Queries) and package web its pages.
//
// A projector is a full read replica of the stream, or of part of it
// (Options.Scope, scope.go); several may run on one stream and give
// identical answers for the acts they follow once they have applied the
// same sequence (docs/PROJECTIONS.md states the consistency of each
// answer, docs/OPERATIONS.md how to spread read load over projectors).
package projector

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/projections"
)

// Source is the stream the projector follows.
type Source interface {
	// Follow delivers events from sequence from and keeps delivering new
	// ones until ctx ends.
	Follow(ctx context.Context, from uint64) iter.Seq2[eventlog.Entry, error]
	// LastSeq is the stream's last sequence now; for a source of part of
	// the ledger (Options.Scope), the sequence of its part's last event.
	LastSeq(ctx context.Context) (uint64, error)
}

// Sink is where the projector keeps snapshots and publishes its feed.
// natsjs.Views implements it.
type Sink interface {
	SaveSnapshot(ctx context.Context, name string, lastSeq uint64, write func(io.Writer) error) error
	LoadSnapshot(ctx context.Context, name string) (io.ReadCloser, error)
	// PutStates writes acts' states and returns those it could not
	// write, which the feed writes again.
	PutStates(ctx context.Context, states map[events.ActID][]byte) (failed []events.ActID, err error)
	// EachState and DeleteStates read every state and remove states,
	// to reconcile the bucket with the projection (reconcile.go).
	EachState(ctx context.Context, fn func(act events.ActID, data []byte)) error
	DeleteStates(ctx context.Context, acts []events.ActID) error
	PublishChange(act events.ActID, data []byte) error
	// MaxPayload is the largest message the server takes; the feed keeps
	// its messages under a quarter of it (feed.go).
	MaxPayload() int64
	PublishNotice(ctx context.Context, what string, act events.ActID, id string, data []byte) (bool, error)
	PublishCheckpoint(ctx context.Context, id string, data []byte) error
	// LastCheckpoint returns the newest stored checkpoint that match
	// accepts, and its sequence in the checkpoints stream; nil when none.
	LastCheckpoint(ctx context.Context, match func(data []byte) bool) ([]byte, uint64, error)
}

// Options configure a Service.
type Options struct {
	// ModelCache bounds the acts' models the projection keeps decoded, by
	// the events of their acts (projections.SetModelCache); 0 leaves
	// projections.DefaultModelCache.
	ModelCache int
	// SnapshotEvery and SnapshotInterval say how often the state is saved:
	// after so many new events, or so much time with at least a tenth as
	// many. A snapshot costs a write of the whole state, so past
	// SnapshotEvery the step grows with the state (half of the events
	// applied), keeping the cost per event constant.
	SnapshotEvery    int
	SnapshotInterval time.Duration
	// Feed publishes state changes and day notices; off for rebuilds.
	Feed bool
	// FeedMaxBytes bounds each state the feed writes and publishes
	// (default DefaultFeedMaxBytes, and never more than a quarter of the
	// server's max_payload): larger states are cut (feed.go).
	FeedMaxBytes int
	// Clock gives "today" for day notices; time.Now when nil.
	Clock    func() time.Time
	Logger   *slog.Logger
	Progress func(applied, total uint64) // called while catching up, if set
	// Signer signs checkpoints of the stream's Merkle tree, every
	// CheckpointInterval (default a minute) in which it grew, and on demand;
	// nil: this projector signs none. The checkpoints are signed notes
	// whose origin is the key's name (docs/VERIFY.md).
	Signer             *audit.Signer
	CheckpointInterval time.Duration
	// Witnesses cosign the signer's checkpoints (witnessing.go): each new
	// checkpoint is submitted to them, and stored again with their
	// cosignatures. WitnessQuorum is how many make a checkpoint witnessed
	// (default: a majority); WitnessTimeout bounds one submission
	// (default DefaultWitnessTimeout); WitnessClient is the HTTP client
	// (default http.DefaultClient). A projector that does not sign only
	// reports which of them cosigned the checkpoints it reads.
	Witnesses      []Witness
	WitnessQuorum  int
	WitnessTimeout time.Duration
	WitnessClient  *http.Client
	// Scope is the part of the ledger the projector follows; the zero
	// Scope is the whole ledger. Src must deliver the events of that part
	// only (natsjs.Store.Part), and LastSeq the sequence of its last
	// event. A partial projector keeps no Merkle tree and takes no Signer
	// (scope.go).
	Scope eventlog.Scope
	// TreeDir keeps the Merkle tree's hashes in files there
	// (merkle.FileStore), 64 bytes an event that then leave memory;
	// empty: in memory. With a Store of the whole ledger the files are
	// reopened at the mark the store keeps of them (treefiles.go);
	// otherwise, or when they do not match it, they are written anew
	// from the projection when the projector starts (rebuildTree).
	TreeDir string
	// Store keeps the projection's records on disk (pebblestore), so that
	// its memory does not grow with every event; nil keeps them in memory.
	// A projector of the whole ledger reopens it at its checkpoint
	// (Restore) and follows the stream from there; one of part of the
	// ledger empties it and restores its snapshot into it. The caller
	// closes it once Run has returned.
	Store projections.Durable
}

// SnapshotName is the object under which snapshots of this projection
// version are kept; a snapshot of another version is never read.
var SnapshotName = fmt.Sprintf("projection-v%d", projections.Version)

// Service keeps a projection up to date.
type Service struct {
	src  Source
	sink Sink
	opts Options
	log  *slog.Logger

	mu   sync.RWMutex
	proj *projections.Projection
	// caught is closed and replaced each time the projection advances, so
	// that readers can wait for a sequence.
	caught  chan struct{}
	ready   bool // caught up with the stream at least once
	audit   auditState
	readyCh chan struct{}         // closed when ready
	dirty   map[events.ActID]bool // acts changed since the feed last published
	fd      feedStatus            // the feed's failures and retries (feed.go)
	subs    subscribers           // receivers of applied events (subscribe.go)
	status  runStatus             // for Status (status.go)
	bytes   bytesCheck            // the check of the stored bytes (bytes.go)
	wit     *witnessing           // nil without witnesses (witnessing.go)
	// publishing serialises the writers of the checkpoints stream (the
	// signer, witnessing), so that its newest message is always of its
	// largest tree.
	publishing sync.Mutex
}

// New returns a Service over src and sink with an empty projection.
func New(src Source, sink Sink, opts Options) *Service {
	if opts.SnapshotEvery <= 0 {
		opts.SnapshotEvery = 50000
	}
	if opts.SnapshotInterval <= 0 {
		opts.SnapshotInterval = 5 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	proj := projections.New() // Restore opens a store that holds records
	if opts.Store != nil && opts.Store.Saved() == 0 {
		proj = projections.NewWith(opts.Store)
	}
	opts.configure(proj)
	return &Service{src: src, sink: sink, opts: opts, log: opts.Logger.With("component", "projector"),
		proj: proj, caught: make(chan struct{}), readyCh: make(chan struct{}), wit: newWitnessing(opts),
		audit: auditState{tree: merkle.NewStoredTree(&merkle.MemStore{})}}
}

// Read runs fn with the projection, under a read lock: fn must not keep it.
func (s *Service) Read(fn func(p *projections.Projection)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.proj)
}

// Ready reports whether the projector has caught up with the stream once.
func (s *Service) Ready() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ready
}

// WaitFor waits until the projection has applied sequence seq, or ctx
// ends; it returns the sequence applied.
//
// A projector of part of the ledger waits for seq or for its part's last
// event, whichever comes first (waitTarget): it never applies another
// part's sequences.
func (s *Service) WaitFor(ctx context.Context, seq uint64) (uint64, error) {
	seq, err := s.waitTarget(ctx, seq)
	if err != nil {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.proj.LastSeq(), err
	}
	for {
		s.mu.RLock()
		last, ch := s.proj.LastSeq(), s.caught
		s.mu.RUnlock()
		if last >= seq {
			return last, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return last, ctx.Err()
		}
	}
}

// Restore restores the projection: from its store, when Options.Store
// holds one of the whole ledger; otherwise from the latest snapshot of
// this projection version, read into the store when there is one. A
// store that does not reopen, and a missing, unreadable or other-version
// snapshot, leave the projection empty, to be rebuilt from the stream.
// The error is the store's, which cannot be emptied.
func (s *Service) Restore(ctx context.Context) error {
	if st := s.opts.Store; st != nil && !s.partial() && st.Saved() > 0 {
		start := time.Now()
		p, err := projections.Open(st)
		if err == nil {
			s.opts.configure(p)
			s.mu.Lock()
			s.proj = p
			s.reopenTree()
			s.mu.Unlock()
			s.log.Info("projection store reopened", "last_seq", p.LastSeq(), "events", p.Events(), "took", time.Since(start).Round(time.Millisecond))
			return nil
		}
		s.log.Warn("projection store not reopened; restoring the snapshot or replaying the stream instead", "err", err)
	}
	if err := s.emptyProjection(); err != nil {
		return err
	}
	r, err := s.sink.LoadSnapshot(ctx, s.snapshotName())
	if err != nil {
		s.log.Info("no snapshot restored; replaying the stream from the start", "reason", err)
		return nil
	}
	defer r.Close()
	var rd io.Reader = r
	if s.partial() {
		br := bufio.NewReader(r)
		if err := s.readScope(br); err != nil {
			s.log.Warn("snapshot not restored; replaying the stream from the start", "err", err)
			return nil
		}
		rd = br
	}
	var p *projections.Projection
	if s.opts.Store != nil {
		p, err = projections.ReadSnapshotWith(rd, s.opts.Store)
	} else {
		p, err = projections.ReadSnapshot(rd)
	}
	if err != nil {
		s.log.Warn("snapshot not restored; replaying the stream from the start", "err", err)
		return s.emptyProjection()
	}
	s.opts.configure(p)
	s.mu.Lock()
	s.proj = p
	s.rebuildTree()
	s.mu.Unlock()
	s.log.Info("snapshot restored", "last_seq", p.LastSeq(), "events", p.Events())
	return nil
}

// emptyProjection makes the projection empty, and its store with it.
func (s *Service) emptyProjection() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := projections.New()
	if st := s.opts.Store; st != nil {
		if err := st.Reset(); err != nil {
			return fmt.Errorf("empty the projection store: %w", err)
		}
		p = projections.NewWith(st)
	}
	s.opts.configure(p)
	s.proj = p
	s.rebuildTree()
	return nil
}

// configure applies the options' bound on the cache of models to p.
func (o *Options) configure(p *projections.Projection) {
	if o.ModelCache > 0 {
		p.SetModelCache(o.ModelCache)
	}
}

// Run follows the stream from the projection's checkpoint and applies
// events until ctx ends. It saves a snapshot as it goes and when it stops.
func (s *Service) Run(ctx context.Context) error {
	if s.partial() && s.opts.Signer != nil {
		return ErrPartialSigner
	}
	var from uint64
	s.Read(func(p *projections.Projection) { from = p.LastSeq() + 1 })
	total, err := s.src.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("read the stream's last sequence: %w", err)
	}
	if from > total+1 {
		// The snapshot is ahead of the stream (restored from an older
		// backup, or recreated): it describes events the stream no longer
		// holds. Rebuild from the stream.
		s.log.Warn("snapshot is ahead of the stream; rebuilding from the start", "snapshot_seq", from-1, "stream_seq", total)
		if err := s.emptyProjection(); err != nil {
			return err
		}
		from = 1
	}
	if err := s.openTree(); err != nil {
		return err
	}
	defer s.stopTree()
	s.startHistory()
	s.startRun(from, total)
	if from > total {
		s.markReady()
	}
	lastSnap, sinceSnap := time.Now(), 0
	defer func() {
		if c, ok := s.sink.(interface{ Connected() bool }); ok && sinceSnap > 0 && !c.Connected() {
			// It could only wait for its timeout: the projector would take
			// a minute to stop (issue 17). The next start catches up from
			// the last snapshot saved.
			s.log.Warn("final snapshot skipped: NATS is not reachable; the next start replays from the last snapshot", "events_since", sinceSnap)
			return
		}
		if sinceSnap > 0 {
			sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := s.snapshot(sctx); err != nil {
				s.log.Warn("final snapshot failed", "err", err)
			}
		}
	}()
	if s.opts.Feed {
		go s.dayNotices(ctx)
		go s.feed(ctx)
	}
	if !s.partial() {
		go s.checkpoints(ctx)
	}
	if s.wit != nil && s.opts.Signer != nil {
		go s.witnessLoop(ctx)
	}
	go s.checkingBytes(ctx)
	for st, err := range s.src.Follow(ctx, from) {
		if err != nil {
			return fmt.Errorf("follow the stream: %w", err)
		}
		caughtUp := st.Seq >= total && !s.Ready()
		if err := s.apply(ctx, st, caughtUp); err != nil {
			return err
		}
		sinceSnap++
		if caughtUp {
			s.log.Info("caught up", "last_seq", st.Seq)
		}
		if s.opts.Progress != nil && st.Seq <= total {
			s.opts.Progress(st.Seq, total)
		}
		if s.snapshotDue(sinceSnap, lastSnap) {
			if err := s.snapshot(ctx); err != nil {
				s.log.Warn("snapshot failed", "err", err)
			} else {
				lastSnap, sinceSnap = time.Now(), 0
			}
		}
	}
	return ctx.Err()
}

// dayNotices publishes the notices of each new day, once the projector has
// caught up, checking the date every minute.
func (s *Service) dayNotices(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	done := ""
	ready := s.readyCh
	for {
		if today := s.opts.Clock().UTC().Format(time.DateOnly); today != done && s.Ready() {
			s.notices(ctx, today)
			done = today
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-ready:
			ready = nil
		}
	}
}

func (s *Service) markReady() {
	s.mu.Lock()
	s.markReadyLocked()
	s.mu.Unlock()
}

func (s *Service) markReadyLocked() {
	if !s.ready {
		s.ready = true
		close(s.readyCh)
	}
}

// apply folds one entry and publishes what changed; caughtUp marks the
// projector ready in the same step, so that whoever sees the event applied
// also sees it ready. A defect (a message that is not a valid event of its
// act) changes no view: it is counted, logged and added to the tree as the
// stream holds it.
func (s *Service) apply(ctx context.Context, st eventlog.Entry, caughtUp bool) error {
	s.mu.Lock()
	changed, err := s.proj.Apply(st)
	var defect *eventlog.Entry
	if err == nil {
		if d, ok := s.proj.LastDefect(); ok && d.Seq == st.Seq {
			defect = &d
			if !s.partial() {
				s.addDefectLeaf(d.Seq, d.Defect)
			}
		} else {
			if !s.partial() {
				s.addLeaf(st.Seq, &st.Event)
			}
			s.subs.notify(st)
		}
		if !s.partial() {
			s.maybeMarkTree()
		}
		s.status.appliedTime = st.StoredAt
	}
	ch := s.caught
	s.caught = make(chan struct{})
	if err == nil && s.opts.Feed && s.ready {
		if s.dirty == nil {
			s.dirty = map[events.ActID]bool{}
		}
		for _, act := range changed {
			s.dirty[act] = true
		}
	}
	if err == nil && caughtUp {
		s.markReadyLocked()
	}
	s.mu.Unlock()
	close(ch)
	if err != nil {
		return fmt.Errorf("apply sequence %d: %w", st.Seq, err)
	}
	if defect != nil {
		d := defect.Defect
		s.log.Warn("defect in the stream: left out of the views (docs/RUNBOOK.md, Defects)", "seq", defect.Seq,
			"reason", d.Reason, "subject", d.Subject, "act", d.Act, "message", d.Message)
	}
	return nil
}

// DayNotice is the payload of lex.notices.{what}.{act}.
type DayNotice struct {
	What   string             `json:"what"` // in_force, suspended, ended
	Day    events.Date        `json:"day"`
	Act    events.ActID       `json:"act"`
	Title  string             `json:"title"`
	Before projections.Status `json:"before"`
	After  projections.Status `json:"after"`
}

// notices publishes the day notices of today: acts whose status changes
// between yesterday and today. The notices stream deduplicates them by
// act, kind and day, so that several projectors publish each once.
func (s *Service) notices(ctx context.Context, today string) {
	d := events.MustDate(today)
	y := (d.Earliest() - 1).Date()
	var changes []projections.Change
	s.Read(func(p *projections.Projection) {
		changes, _ = p.Diff(y, d, projections.Filter{}, nil)
	})
	for _, c := range changes {
		what := ""
		switch {
		case c.After == projections.Suspended:
			what = "suspended"
		case c.EnteredForce || (c.After == projections.InForce && c.Before == projections.Suspended):
			what = "in_force"
		case c.LeftForce:
			what = "ended"
		default:
			continue
		}
		data, _ := json.Marshal(DayNotice{What: what, Day: d, Act: c.Act, Title: c.Title, Before: c.Before, After: c.After})
		id := what + ":" + string(c.Act) + ":" + today
		if _, err := s.sink.PublishNotice(ctx, what, c.Act, id, data); err != nil {
			s.log.Warn("day notice failed", "act", c.Act, "what", what, "err", err)
		}
	}
}

// snapshotDue reports whether to save a snapshot now, after since new
// events and the time since the last one.
func (s *Service) snapshotDue(since int, last time.Time) bool {
	var total uint64
	s.Read(func(p *projections.Projection) { total = p.Events() })
	step := max(s.opts.SnapshotEvery, int(total/2))
	return since >= step || (since >= max(1, step/10) && time.Since(last) > s.opts.SnapshotInterval)
}

// snapshot saves the projection under its checkpoint.
func (s *Service) snapshot(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	last := s.proj.LastSeq()
	if last == 0 {
		return nil
	}
	start := time.Now()
	write := s.proj.WriteSnapshot
	if s.partial() {
		write = func(w io.Writer) error {
			if err := s.writeScope(w); err != nil {
				return err
			}
			return s.proj.WriteSnapshot(w)
		}
	}
	err := s.sink.SaveSnapshot(ctx, s.snapshotName(), last, write)
	if err == nil {
		s.log.Info("snapshot saved", "last_seq", last, "took", time.Since(start).Round(time.Millisecond))
	}
	return err
}

// Lag returns how far the projection is behind the stream: events, and the
// age of the last event applied.
func (s *Service) Lag(ctx context.Context) (behind uint64, last uint64, err error) {
	total, err := s.src.LastSeq(ctx)
	if err != nil {
		return 0, 0, err
	}
	s.mu.RLock()
	last = s.proj.LastSeq()
	s.mu.RUnlock()
	if total > last {
		behind = total - last
	}
	return behind, last, nil
}
