package natsjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultWatchInterval is how often a Watcher reads the configuration of
// the streams it watches when no advisory told it to sooner.
const DefaultWatchInterval = 5 * time.Second

// JetStream's advisories of a stream's configuration, published in the
// stream's account with the stream's name as the last token (nats-server,
// JSAdvisoryStreamUpdatedPre, JSAdvisoryStreamDeletedPre and
// JSAdvisoryStreamCreatedPre).
const (
	AdvisoryStreamCreated = "$JS.EVENT.ADVISORY.STREAM.CREATED"
	AdvisoryStreamUpdated = "$JS.EVENT.ADVISORY.STREAM.UPDATED"
	AdvisoryStreamDeleted = "$JS.EVENT.ADVISORY.STREAM.DELETED"
)

// watchTimeout bounds one stream info request of a check.
const watchTimeout = 5 * time.Second

// WatchOptions configure a Watcher.
type WatchOptions struct {
	// Interval is how often every stream is read; DefaultWatchInterval
	// when 0.
	Interval time.Duration
	// NoAdvisories leaves JetStream's advisories unheard: only the
	// periodic check notices a change (for a user not permitted to
	// subscribe to them, and for tests of the periodic check).
	NoAdvisories bool
	Logger       *slog.Logger // slog.Default() when nil
}

// Watcher notices, while the ledger or the projector runs, that a stream
// it depends on was changed so that messages could be lost or admitted
// (a limit set, the subjects changed, fewer replicas, a seal...), or was
// deleted, or deleted and created again. It compares each stream's
// configuration with the one it had when the watch began (and the events
// stream with CheckStream too), on every advisory of a change of the
// stream and every Interval. While any stream is changed so, Err says how;
// the events stream's store refuses appends (Store.Append answers
// events.CodeStreamWeakened). Restoring the configuration clears it at the
// next check; a stream deleted, or created again, stays reported until the
// process restarts, since its state no longer matches the stream's.
//
// Add the streams with WatchStore and WatchViews, then call Run.
type Watcher struct {
	opts    WatchOptions
	log     *slog.Logger
	nc      *nats.Conn
	streams []*watched

	mu       sync.Mutex
	problems map[string][]string // by stream; none: fit
	gated    map[string]bool     // streams whose store refuses appends when weakened
}

// watched is one stream under watch.
type watched struct {
	name        string
	js          jetstream.JetStream // through the API the stream is reached by
	own         bool                // in the connection's account: its advisories reach it
	base        jetstream.StreamConfig
	created     time.Time
	checkEvents *Config // the events stream's configuration, for CheckStream
	checkIDs    *Config // the events stream's configuration, for CheckIDStream
	dedupe      bool    // writers rely on its duplicate window
}

// NewWatcher returns a watcher of no stream yet.
func NewWatcher(opts WatchOptions) *Watcher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultWatchInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Watcher{opts: opts, log: log.With("component", "stream-watch"),
		problems: map[string][]string{}, gated: map[string]bool{}}
}

// WatchStore watches the store's events stream: CheckStream, and every
// change from its configuration now. The store refuses appends while the
// stream is weakened or gone. Call it before Run, and before the store
// writes.
func (w *Watcher) WatchStore(ctx context.Context, s *Store) error {
	cfg := s.cfg
	own := apiPrefixOf(s.js) == DefaultAPIPrefix
	if err := w.add(ctx, s.nc, s.js, cfg.Stream, own, &cfg, false); err != nil {
		return err
	}
	w.gated[cfg.Stream] = true
	gated := []string{cfg.Stream}
	if s.idStream != "" {
		// The claims of event ids, beside a store that appends: weakened,
		// an id could name two events.
		if err := w.add(ctx, s.nc, s.js, s.idStream, own, nil, false); err != nil {
			return err
		}
		w.streams[len(w.streams)-1].checkIDs = &cfg
		w.gated[s.idStream] = true
		gated = append(gated, s.idStream)
	}
	s.gate = w.gateOf(gated...)
	return nil
}

// WatchViews watches the projector's streams: the state bucket's, the
// snapshot store's, the notices and the checkpoints streams, each against
// its configuration now. A view that does not exist (opened for reading
// before any projector ran) is not watched. Call it before Run.
func (w *Watcher) WatchViews(ctx context.Context, v *Views) error {
	own := apiPrefixOf(v.js) == DefaultAPIPrefix
	for _, s := range []struct {
		name   string
		dedupe bool
	}{
		{"KV_" + StateBucket, false},
		{"OBJ_" + SnapshotBucket, false},
		{NoticesStream, true},
		{CheckpointsStream, true},
	} {
		err := w.add(ctx, v.nc, v.js, s.name, own, nil, s.dedupe)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *Watcher) add(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, name string, own bool, events *Config, dedupe bool) error {
	s, err := js.Stream(ctx, name)
	if err != nil {
		return fmt.Errorf("watch stream %s: %w", name, err)
	}
	info := s.CachedInfo()
	w.nc = nc
	w.streams = append(w.streams, &watched{name: name, js: js, own: own, base: info.Config,
		created: info.Created, checkEvents: events, dedupe: dedupe})
	return nil
}

// Run checks the streams at once, then on every advisory of a change to
// one of them and every Interval, until ctx ends; it returns nil then.
func (w *Watcher) Run(ctx context.Context) error {
	kick := make(chan struct{}, 1)
	if !w.opts.NoAdvisories && w.nc != nil {
		for _, s := range w.streams {
			if !s.own {
				continue // another account's advisories do not reach this one
			}
			for _, prefix := range []string{AdvisoryStreamUpdated, AdvisoryStreamDeleted, AdvisoryStreamCreated} {
				sub, err := w.nc.Subscribe(prefix+"."+s.name, func(*nats.Msg) {
					select {
					case kick <- struct{}{}:
					default:
					}
				})
				if err != nil {
					w.log.Warn("cannot subscribe to the stream's advisories; the periodic check goes on", "stream", s.name, "err", err)
					continue
				}
				defer sub.Unsubscribe()
			}
		}
	}
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	// An advisory may come before the change it announces is visible to a
	// stream info request (a stream created is announced as it is being
	// created): each one is followed by a second check a moment later.
	var again <-chan time.Time
	for {
		w.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-again:
			again = nil
		case <-kick:
			again = time.After(advisoryRecheck)
		}
	}
}

// advisoryRecheck is how long after an advisory the streams are checked
// again.
const advisoryRecheck = 500 * time.Millisecond

// Check reads every stream's configuration once and updates what Err
// says. Run calls it; a stream that does not answer (the engine
// unreachable) keeps what was last known of it.
func (w *Watcher) Check(ctx context.Context) {
	for _, s := range w.streams {
		p, err := s.check(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Debug("stream info", "stream", s.name, "err", err)
			}
			continue
		}
		w.set(s.name, p)
	}
}

func (s *watched) check(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, watchTimeout)
	defer cancel()
	st, err := s.js.Stream(ctx, s.name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return []string{"the stream was deleted"}, nil
	}
	if err != nil {
		return nil, err
	}
	info := st.CachedInfo()
	var p []string
	if !info.Created.Equal(s.created) {
		p = append(p, fmt.Sprintf("the stream was deleted and created again at %s: it is not the stream this process started with",
			info.Created.UTC().Format(time.RFC3339)))
	}
	if s.checkEvents != nil {
		p = append(p, CheckStream(info.Config, *s.checkEvents)...)
	}
	if s.checkIDs != nil {
		p = append(p, CheckIDStream(info.Config, *s.checkIDs)...)
	}
	return append(p, drift(s.base, info.Config, s.checkEvents != nil, s.dedupe)...), nil
}

func (w *Watcher) set(name string, p []string) {
	w.mu.Lock()
	was := w.problems[name]
	w.problems[name] = p
	w.mu.Unlock()
	switch {
	case len(p) > 0 && !slices.Equal(p, was):
		w.log.Error("a stream the ledger depends on was changed so that messages can be lost or admitted; restore its configuration (docs/RUNBOOK.md)",
			"stream", name, "problems", strings.Join(p, "; "), "appends_refused", w.gated[name])
	case len(p) == 0 && len(was) > 0:
		w.log.Info("the stream's configuration is restored", "stream", name)
	}
}

// Err returns nil while every stream keeps its configuration, or else a
// *WeakenedError naming each changed stream and how.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := &WeakenedError{}
	for _, s := range w.streams {
		if p := w.problems[s.name]; len(p) > 0 {
			e.Streams = append(e.Streams, StreamProblems{Stream: s.name, Problems: slices.Clone(p)})
		}
	}
	if len(e.Streams) == 0 {
		return nil
	}
	return e
}

// ConfigOK returns, for each stream watched, whether it keeps its
// configuration as last checked.
func (w *Watcher) ConfigOK() map[string]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]bool, len(w.streams))
	for _, s := range w.streams {
		out[s.name] = len(w.problems[s.name]) == 0
	}
	return out
}

// gate is what a store asks before each write.
type gate struct{ fn func() error }

// gateOf returns the gate of the store of the streams names: an
// events.CodeStreamWeakened error, wrapping eventlog.ErrUnavailable and
// the *WeakenedError, while the stream is weakened or gone.
func (w *Watcher) gateOf(names ...string) *gate {
	return &gate{fn: func() error {
		we := &WeakenedError{}
		w.mu.Lock()
		for _, name := range names {
			if p := w.problems[name]; len(p) > 0 {
				we.Streams = append(we.Streams, StreamProblems{Stream: name, Problems: slices.Clone(p)})
			}
		}
		w.mu.Unlock()
		if len(we.Streams) == 0 {
			return nil
		}
		return &events.Error{Code: events.CodeStreamWeakened, Err: fmt.Errorf("%w: %w", eventlog.ErrUnavailable, we),
			Message: fmt.Sprintf("the ledger refuses to record: %v. Nothing was written; retry with the same event ids once an admin has restored the stream", we)}
	}}
}

// gateErr is the gate's answer: nil when no watcher gates the store, or
// the stream keeps its configuration.
func (s *Store) gateErr() error {
	if s.gate != nil {
		return s.gate.fn()
	}
	return nil
}

// StreamProblems says how one stream was weakened.
type StreamProblems struct {
	Stream   string
	Problems []string
}

// WeakenedError says which streams were changed so that messages can be
// lost or admitted, and how.
type WeakenedError struct {
	Streams []StreamProblems
}

func (e *WeakenedError) Error() string {
	parts := make([]string, len(e.Streams))
	for i, s := range e.Streams {
		parts[i] = fmt.Sprintf("stream %s was changed: %s", s.Stream, strings.Join(s.Problems, "; "))
	}
	return strings.Join(parts, "; ") + " (an admin restores the configuration: docs/RUNBOOK.md, \"A stream was changed or deleted\")"
}
