package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// Defaults of Options.
const (
	DefaultMaxBatch   = 1000 // JetStream's limit of an atomic batch
	DefaultMaxRetries = 8
)

// Options configure a Ledger. The zero value is usable.
type Options struct {
	// MaxBatch bounds the events written in one atomic batch, and so the
	// events of one AppendAtomic call.
	MaxBatch int
	// MaxRetries bounds how often one command is decided again after its
	// acts changed under it.
	MaxRetries int
	// AppendTimeout bounds one write to the store; DefaultAppendTimeout
	// when zero.
	AppendTimeout time.Duration
	// Clock gives the record time; time.Now when nil.
	Clock  func() time.Time
	Logger *slog.Logger
	// HistoryCache bounds the events of the act histories that the
	// sequencer keeps in memory to check corrections and retractions
	// without reading their acts back: DefaultHistoryCache when zero, none
	// when negative.
	HistoryCache int
	// ActCache bounds the events of the acts' caches that the sequencer
	// keeps in memory (each event's stream sequence, record time, id and
	// content digest: about 185 bytes of live heap with the act's rule
	// state), the least recently used act dropped first and read back
	// from the store before its next command: DefaultActCache when zero;
	// when negative, none is kept from one group of commands to the next.
	ActCache int
	// Observe, when set, is called once at the end of every Append and
	// AppendAtomic call with its outcome (for metrics: package metrics).
	// It runs on the caller's goroutine and must be quick.
	Observe func(Outcome)
}

// Outcome is what Options.Observe learns of one call of AppendAtomic.
type Outcome struct {
	Commands []Command // as given; read them, do not keep or change them
	Receipts []Receipt // nil when the call failed
	// Code is "" when the events were recorded, else the error's code as
	// DescribeError gives it; Rule is the lifecycle rule broken, with
	// events.CodeRule.
	Code     events.Code
	Rule     events.Rule
	Duration time.Duration
}

// Command asks for one event to be recorded.
type Command struct {
	Event events.Event
	// ExpectedVersion, when set, is the version of the act the clerk last
	// read: the number of its events (0: the act must not exist yet). The
	// command is refused with a conflict if the act has moved on.
	ExpectedVersion *uint64
}

// Receipt says where an event was recorded.
type Receipt struct {
	ID         events.ID    `json:"id"`
	Act        events.ActID `json:"act"`
	Type       events.Type  `json:"type"`
	Version    uint64       `json:"version"`  // the act's version after this event
	Seq        uint64       `json:"sequence"` // the stream sequence
	RecordedAt time.Time    `json:"recorded_at"`
	Duplicate  bool         `json:"duplicate,omitempty"` // recorded before, by an earlier attempt
}

// Ledger records events in a Store. Its methods are safe for concurrent
// use. Close stops it.
type Ledger struct {
	store eventlog.Store
	opts  Options
	log   *slog.Logger

	// mu guards the queue of units and the sequencer's baton. The
	// goroutine that holds the baton (busy) owns everything below.
	mu      sync.Mutex
	idle    *sync.Cond // signalled when busy turns false
	pending []*unit
	busy    bool
	closed  bool

	// Owned by the baton holder.
	acts     *actCache
	hist     *histories
	lastTime time.Time
	cost     costModel
	spare    *batch // an empty batch to reuse
	// onChoice, when set (by tests, before the first command), is told
	// how each group of independent events was written.
	onChoice func(choice)
}

// New returns a Ledger writing to store.
func New(store eventlog.Store, opts Options) *Ledger {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.AppendTimeout <= 0 {
		opts.AppendTimeout = DefaultAppendTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ActCache == 0 {
		opts.ActCache = defaultActCache
	}
	if opts.HistoryCache == 0 {
		opts.HistoryCache = DefaultHistoryCache
	}
	l := &Ledger{
		store: store,
		opts:  opts,
		log:   opts.Logger.With("component", "ledger"),
		acts:  newActCache(max(opts.ActCache, 0)),
		hist:  newHistories(max(opts.HistoryCache, 0)),
		cost:  newCostModel(),
	}
	l.idle = sync.NewCond(&l.mu)
	return l
}

// Close stops accepting commands, lets those already taken finish, and
// returns when no batch is being written. None is half-written, since each
// batch is atomic.
func (l *Ledger) Close() error {
	l.mu.Lock()
	l.closed = true
	for l.busy {
		l.idle.Wait()
	}
	l.mu.Unlock()
	return nil
}

// Append records one event. identity is the recording identity, taken from
// the authenticated caller. The error is an *events.Error: invalid, rule
// violation, conflict, or unavailable, which wraps eventlog.ErrUnavailable
// (the store did not take or answer the write) or ErrClosed.
func (l *Ledger) Append(ctx context.Context, identity string, cmd Command) (Receipt, error) {
	rs, err := l.AppendAtomic(ctx, identity, []Command{cmd})
	if err != nil {
		return Receipt{}, err
	}
	return rs[0], nil
}

// AppendAtomic records several events, of one act or several, all or none:
// one instrument that changes several acts is one batch. Each command's
// ExpectedVersion is the version of its act just before that event. Events
// already recorded (the same ids, as a retried batch has) are not written
// again: their first receipts come back with Duplicate set.
func (l *Ledger) AppendAtomic(ctx context.Context, identity string, cmds []Command) (rs []Receipt, err error) {
	if l.opts.Observe != nil {
		defer func(start time.Time) {
			o := Outcome{Commands: cmds, Receipts: rs, Duration: time.Since(start)}
			if err != nil {
				_, ej := DescribeError(err)
				o.Code, o.Rule = ej.Error.Code, ej.Error.Rule
			}
			l.opts.Observe(o)
		}(time.Now())
	}
	if len(cmds) == 0 {
		return nil, events.Errorf(events.CodeInvalid, "no events to record: send at least one")
	}
	if len(cmds) > l.opts.MaxBatch {
		return nil, events.Errorf(events.CodeTooLarge, "%d events in one atomic batch, more than the limit of %d: split the batch", len(cmds), l.opts.MaxBatch)
	}
	if identity == "" {
		return nil, events.Errorf(events.CodeInternal, "no recording identity")
	}
	u := &unit{ctx: ctx, identity: identity, cmds: make([]Command, len(cmds)), contents: make([]events.Digest, len(cmds)),
		done: make(chan struct{}), wake: make(chan struct{}, 1)}
	var seen map[events.ID]int // ids used twice in one batch
	if len(cmds) > 1 {
		seen = make(map[events.ID]int, len(cmds))
	}
	for i, c := range cmds {
		e := &c.Event
		if err := e.CheckNew(); err != nil {
			return nil, at(i, len(cmds), err)
		}
		e.Schema = events.SchemaVersion
		if e.ID.IsZero() {
			e.ID = events.NewID()
		}
		if j, dup := seen[e.ID]; dup {
			return nil, at(i, len(cmds), events.Errorf(events.CodeInvalid, "event id %s is used twice in the batch (also by event %d)", e.ID, j+1))
		}
		if seen != nil {
			seen[e.ID] = i
		}
		if err := e.Validate(); err != nil {
			return nil, at(i, len(cmds), err)
		}
		// What a retry must repeat: computed here, on the caller's
		// goroutine, not by the sequencer.
		d, err := e.ContentDigest()
		if err != nil {
			return nil, at(i, len(cmds), err)
		}
		u.cmds[i], u.contents[i] = c, d
	}
	return l.submit(u)
}

// at prefixes err with the position of the event in a batch of n.
func at(i, n int, err error) error {
	if n == 1 {
		return err
	}
	var e *events.Error
	if errors.As(err, &e) {
		c := *e
		c.Message = fmt.Sprintf("event %d of %d: %s", i+1, n, e.Message)
		c.Index = i + 1
		return &c
	}
	return fmt.Errorf("event %d of %d: %w", i+1, n, err)
}

// History returns an act's events in order, read from the store (not from
// the cache), each with its version and the store's record time, and the
// defects stored on its subject in their place (without a version). An act
// with no events is a CodeNotFound error.
func (l *Ledger) History(ctx context.Context, id events.ActID) ([]eventlog.Entry, error) {
	entries, err := l.store.Load(ctx, id, 0)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	v := uint64(0)
	for i := range entries {
		if entries[i].Defect == nil {
			v++
			entries[i].Version = v
		}
	}
	if v == 0 {
		return nil, &events.Error{Code: events.CodeNotFound, Act: id, Message: fmt.Sprintf("act %s has no events in the ledger: check the identifier, or record its first event", id)}
	}
	return entries, nil
}
