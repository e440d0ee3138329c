package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// noticeWithin bounds how long a watcher may take to notice a change:
// an advisory, or a check every 50 ms, takes far less.
const noticeWithin = 20 * time.Second

// watchWays are the two ways a watcher notices: JetStream's advisories
// alone (the periodic check is an hour away), and the periodic check alone
// (advisories unheard, as for a user not permitted them).
var watchWays = []struct {
	name string
	opts natsjs.WatchOptions
}{
	{"Advisories", natsjs.WatchOptions{Interval: time.Hour}},
	{"PeriodicCheck", natsjs.WatchOptions{Interval: 50 * time.Millisecond, NoAdvisories: true}},
}

// mustWatch watches env's store (and views, when given) until the test
// ends.
func mustWatch(t *testing.T, env *natstest.Env, views *natsjs.Views, opts natsjs.WatchOptions) *natsjs.Watcher {
	t.Helper()
	w := natsjs.NewWatcher(opts)
	if err := w.WatchStore(testContext(t), env.Store); err != nil {
		t.Fatal(err)
	}
	if views != nil {
		if err := w.WatchViews(testContext(t), views); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the watcher stopped with %v", err)
		}
	})
	return w
}

// waitFor polls cond until it holds, and fails the test after within
// with what cond last said.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, said := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, within, said)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitWeakened waits until the watcher's error names want, about stream.
func waitWeakened(t *testing.T, w *natsjs.Watcher, stream, want string) {
	t.Helper()
	waitFor(t, noticeWithin, fmt.Sprintf("the watcher names %q of stream %s", want, stream), func() (bool, string) {
		err := w.Err()
		var we *natsjs.WeakenedError
		if !errors.As(err, &we) {
			return false, fmt.Sprintf("Err() = %v", err)
		}
		for _, s := range we.Streams {
			if s.Stream == stream && strings.Contains(strings.Join(s.Problems, "; "), want) {
				return !w.ConfigOK()[stream], err.Error()
			}
		}
		return false, err.Error()
	})
}

func waitRestored(t *testing.T, w *natsjs.Watcher) {
	t.Helper()
	waitFor(t, noticeWithin, "the watcher sees every stream restored", func() (bool, string) {
		err := w.Err()
		return err == nil, fmt.Sprintf("Err() = %v", err)
	})
	for name, ok := range w.ConfigOK() {
		if !ok {
			t.Errorf("ConfigOK says %s is not fit while Err is nil", name)
		}
	}
}

// wantWeakenedAppend appends a new act and wants it refused with
// stream_weakened (503), unavailable underneath, naming want.
func wantWeakenedAppend(t *testing.T, l *ledger.Ledger, want string) {
	t.Helper()
	e := created(events.ActID(fmt.Sprintf("/akn/kz/act/2010-01-01/%d", time.Now().UnixNano())), "A law", events.Law)
	_, err := l.Append(testContext(t), "clerk@test", ledger.Command{Event: e})
	if err == nil {
		t.Fatal("the ledger recorded into a weakened stream")
	}
	status, body := ledger.DescribeError(err)
	if status != 503 || body.Error.Code != events.CodeStreamWeakened {
		t.Errorf("a weakened stream answers %d %s (%s); want 503 %s", status, body.Error.Code, body.Error.Message, events.CodeStreamWeakened)
	}
	if !strings.Contains(body.Error.Message, want) {
		t.Errorf("the clerk's message %q does not name %q", body.Error.Message, want)
	}
	if !errors.Is(err, eventlog.ErrUnavailable) {
		t.Errorf("the refusal %v does not wrap eventlog.ErrUnavailable (a retry with the same ids is safe)", err)
	}
}

// A change of the stream's configuration that can lose or admit events is
// noticed, through advisories alone and through the periodic check alone:
// Err and ConfigOK say so, naming the setting, and the ledger refuses
// appends with stream_weakened; restoring the configuration clears it, and
// appends go on, without a restart.
func TestWatchNoticesAWeakenedStreamAndItsRestoration(t *testing.T) {
	for _, way := range watchWays {
		t.Run(way.name, func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{})
			w := mustWatch(t, env, nil, way.opts)
			l := mustLedger(t, env.Store)
			mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
			js, s := stream(t, env)
			orig := s.CachedInfo().Config
			for _, c := range []struct {
				name   string
				weaken func(*jetstream.StreamConfig)
				want   string
			}{
				{"MaxAge", func(c *jetstream.StreamConfig) { c.MaxAge, c.Duplicates = 3*time.Second, time.Second }, "max_age 3s"},
				{"DiscardOld", func(c *jetstream.StreamConfig) { c.Discard = jetstream.DiscardOld }, "discard is DiscardOld"},
				{"MaxMsgsPerSubject", func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 1 }, "max_msgs_per_subject 1"},
				{"MaxMsgSize", func(c *jetstream.StreamConfig) { c.MaxMsgSize = 1024 }, "max_msg_size is 1024"},
				{"MoreSubjects", func(c *jetstream.StreamConfig) { c.Subjects = append(c.Subjects, "other.>") }, "subjects are"},
				{"NoDirectGet", func(c *jetstream.StreamConfig) { c.AllowDirect = false }, "allow_direct"},
			} {
				t.Run(c.name, func(t *testing.T) {
					ctx := testContext(t)
					weak := orig
					weak.Subjects = append([]string(nil), orig.Subjects...)
					c.weaken(&weak)
					if _, err := js.UpdateStream(ctx, weak); err != nil {
						t.Fatalf("the server refuses the edit: %v", err)
					}
					waitWeakened(t, w, natsjs.DefaultStream, c.want)
					wantWeakenedAppend(t, l, c.want)
					if _, err := js.UpdateStream(ctx, orig); err != nil {
						t.Fatalf("restore the stream: %v", err)
					}
					waitRestored(t, w)
					mustAppend(t, l, created(events.ActID("/akn/kz/act/2010-02-01/"+strings.ToLower(c.name)), "A law", events.Law))
				})
			}
		})
	}
}

// The server itself refuses to switch the deny flags off again, which the
// watcher would otherwise report: the stream stays fit, appends go on.
func TestDenyFlagsCannotBeSwitchedOff(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	w := mustWatch(t, env, nil, watchWays[1].opts)
	l := mustLedger(t, env.Store)
	js, s := stream(t, env)
	for _, off := range []func(*jetstream.StreamConfig){
		func(c *jetstream.StreamConfig) { c.DenyDelete = false },
		func(c *jetstream.StreamConfig) { c.DenyPurge = false },
		func(c *jetstream.StreamConfig) { c.DenyPurge, c.AllowRollup = false, true },
	} {
		c := s.CachedInfo().Config
		off(&c)
		if _, err := js.UpdateStream(testContext(t), c); err == nil {
			t.Errorf("the server switched a deny flag off: %+v", c)
		}
	}
	w.Check(testContext(t))
	if err := w.Err(); err != nil {
		t.Errorf("after refused edits the watcher says %v", err)
	}
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
}

// A deleted stream is noticed, through advisories alone and through the
// periodic check alone; the ledger refuses appends and does not create an
// empty stream in its place. A stream created again under the name, even
// with the right configuration, is not the one the process started with:
// it stays reported.
func TestWatchNoticesADeletedStream(t *testing.T) {
	for _, way := range watchWays {
		t.Run(way.name, func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{})
			w := mustWatch(t, env, nil, way.opts)
			l := mustLedger(t, env.Store)
			mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
			js, s := stream(t, env)
			cfg := s.CachedInfo().Config
			if err := js.DeleteStream(testContext(t), natsjs.DefaultStream); err != nil {
				t.Fatal(err)
			}
			waitWeakened(t, w, natsjs.DefaultStream, "the stream was deleted")
			wantWeakenedAppend(t, l, "deleted")
			if _, err := js.Stream(testContext(t), natsjs.DefaultStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Errorf("after a refused append the stream is back: %v", err)
			}

			if _, err := js.CreateStream(testContext(t), cfg); err != nil {
				t.Fatal(err)
			}
			waitWeakened(t, w, natsjs.DefaultStream, "created again")
			wantWeakenedAppend(t, l, "created again")
		})
	}
}

// The views are watched against their own configuration: a time limit on
// the state bucket is noticed and named; the events stream is fit, so the
// ledger still records.
func TestWatchNoticesAWeakenedView(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	views, err := natsjs.OpenViews(testContext(t), env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	w := mustWatch(t, env, views, watchWays[0].opts)
	l := mustLedger(t, env.Store)
	js, _ := stream(t, env)
	kv := "KV_" + natsjs.StateBucket
	s, err := js.Stream(testContext(t), kv)
	if err != nil {
		t.Fatal(err)
	}
	orig := s.CachedInfo().Config
	weak := orig
	weak.MaxAge = time.Hour
	if _, err := js.UpdateStream(testContext(t), weak); err != nil {
		t.Fatal(err)
	}
	waitWeakened(t, w, kv, "max_age is 1h0m0s")
	if ok := w.ConfigOK(); !ok[natsjs.DefaultStream] || ok[kv] {
		t.Errorf("ConfigOK = %v; want the events stream fit and %s not", ok, kv)
	}
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))

	if _, err := js.UpdateStream(testContext(t), orig); err != nil {
		t.Fatal(err)
	}
	waitRestored(t, w)
}

// The claims of event ids are watched beside the events: one that would
// keep a second claim of an id (more than one message per subject, a
// harmless-looking raised limit elsewhere) is named and appends are
// refused, until it is restored.
func TestWatchNoticesWeakenedClaims(t *testing.T) {
	for _, way := range watchWays {
		t.Run(way.name, func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{})
			w := mustWatch(t, env, nil, way.opts)
			l := mustLedger(t, env.Store)
			mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
			js, _ := stream(t, env)
			ids := env.Store.Config().IDStream()
			s, err := js.Stream(testContext(t), ids)
			if err != nil {
				t.Fatal(err)
			}
			orig := s.CachedInfo().Config
			weak := orig
			weak.MaxMsgsPerSubject = 2
			if _, err := js.UpdateStream(testContext(t), weak); err != nil {
				t.Fatal(err)
			}
			waitWeakened(t, w, ids, "first claim of each id")
			wantWeakenedAppend(t, l, ids)
			if _, err := js.UpdateStream(testContext(t), orig); err != nil {
				t.Fatal(err)
			}
			waitRestored(t, w)
			mustAppend(t, l, created("/akn/kz/act/2010-01-01/2", "Another law", events.Law))
		})
	}
}
