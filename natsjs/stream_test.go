package natsjs_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// Open creates the stream append-only: file storage, no delete, no purge,
// no roll-up, no limits, atomic batches allowed.
func TestOpenCreatesAnImmutableStream(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	_, s := stream(t, env)
	info, err := s.Info(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	c := info.Config
	checks := []struct {
		what string
		ok   bool
	}{
		{"name LEX", c.Name == natsjs.DefaultStream},
		{"subjects lex.events.>", len(c.Subjects) == 1 && c.Subjects[0] == "lex.events.>"},
		{"file storage", c.Storage == jetstream.FileStorage},
		{"limits retention", c.Retention == jetstream.LimitsPolicy},
		{"discard new", c.Discard == jetstream.DiscardNew},
		{"deny delete", c.DenyDelete},
		{"deny purge", c.DenyPurge},
		{"no roll-up", !c.AllowRollup},
		{"no message limit", c.MaxMsgs <= 0},
		{"no byte limit", c.MaxBytes <= 0},
		{"no age limit", c.MaxAge == 0},
		{"no per-subject limit", c.MaxMsgsPerSubject <= 0},
		{"no message TTLs", !c.AllowMsgTTL && c.SubjectDeleteMarkerTTL == 0},
		{"no schedules or counters", !c.AllowMsgSchedules && !c.AllowMsgCounter},
		{"atomic batches", c.AllowAtomicPublish},
		{"direct get", c.AllowDirect},
		{"one replica", c.Replicas == 1},
		{"two-minute duplicate window", c.Duplicates == natsjs.DefaultDuplicates},
		{"room for the largest event", c.MaxMsgSize >= int32(events.MaxEventBytes)},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("the stream does not have %s: %+v", ch.what, c)
		}
	}
	if p := natsjs.CheckStream(c, natsjs.Config{}); len(p) > 0 {
		t.Errorf("CheckStream finds fault with the stream Open created: %v", p)
	}
}

// A stream that exists but weakens the ledger's guarantees is refused, with
// a message that names the setting; a correct one is accepted.
func TestOpenRefusesAWeakenedStream(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	js, err := jetstream.New(env.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		weaken func(*jetstream.StreamConfig)
		want   string // in the error
	}{
		{"DenyDeleteOff", func(c *jetstream.StreamConfig) { c.DenyDelete = false }, "deny_delete"},
		{"DenyPurgeOff", func(c *jetstream.StreamConfig) { c.DenyPurge = false }, "deny_purge"},
		{"MaxAge", func(c *jetstream.StreamConfig) { c.MaxAge = time.Hour }, "max_age 1h0m0s"},
		{"MaxMsgs", func(c *jetstream.StreamConfig) { c.MaxMsgs = 1_000_000 }, "max_msgs 1000000"},
		{"MaxBytes", func(c *jetstream.StreamConfig) { c.MaxBytes = 1 << 30 }, "max_bytes"},
		{"MaxMsgsPerSubject", func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 100 }, "max_msgs_per_subject 100"},
		{"AllowRollup", func(c *jetstream.StreamConfig) { c.AllowRollup, c.DenyPurge = true, false }, "allow_rollup"}, // roll-ups need purge
		{"WorkQueue", func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy }, "retention"},
		{"Interest", func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy }, "retention"},
		{"AllowMsgTTL", func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true }, "TTL"},
		{"MemoryStorage", func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage }, "storage"},
		{"NoAtomicBatches", func(c *jetstream.StreamConfig) { c.AllowAtomicPublish = false }, "allow_atomic"},
		{"NoDirectGet", func(c *jetstream.StreamConfig) { c.AllowDirect = false }, "allow_direct"},
		// These three need other settings that the server insists on.
		{"AsyncPersist", func(c *jetstream.StreamConfig) {
			c.PersistMode, c.AllowAtomicPublish = jetstream.AsyncPersistMode, false
		}, "persist_mode"},
		{"AllowMsgCounter", func(c *jetstream.StreamConfig) { c.AllowMsgCounter, c.Discard = true, jetstream.DiscardOld }, "counters"},
		{"AllowMsgSchedules", func(c *jetstream.StreamConfig) { c.AllowMsgSchedules, c.Discard = true, jetstream.DiscardOld }, "schedules"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			cfg := natsjs.Config{Stream: fmt.Sprintf("WEAK%d", i), Prefix: fmt.Sprintf("weak%d.events", i)}
			sc := cfg.StreamConfig()
			tc.weaken(&sc)
			if _, err := js.CreateStream(ctx, sc); err != nil {
				t.Fatalf("the server refuses to create the weakened stream: %v", err)
			}
			_, err := natsjs.Open(ctx, env.Conn, cfg)
			if err == nil {
				t.Fatalf("Open accepted a stream with %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error does not name %q: %v", tc.want, err)
			}
			if !strings.Contains(err.Error(), cfg.Stream) {
				t.Errorf("the error does not name the stream %s: %v", cfg.Stream, err)
			}
			// Open never changes an existing stream.
			s, err := js.Stream(ctx, cfg.Stream)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.CachedInfo().Config; len(natsjs.CheckStream(got, cfg)) == 0 {
				t.Errorf("Open repaired the stream: %+v", got)
			}
		})
	}

	t.Run("Subjects", func(t *testing.T) {
		ctx := testContext(t)
		cfg := natsjs.Config{Stream: "ELSEWHERE", Prefix: "elsewhere.events"}
		sc := cfg.StreamConfig()
		sc.Subjects = []string{"elsewhere.other.>"}
		if _, err := js.CreateStream(ctx, sc); err != nil {
			t.Fatal(err)
		}
		if _, err := natsjs.Open(ctx, env.Conn, cfg); err == nil || !strings.Contains(err.Error(), "elsewhere.events") {
			t.Errorf("Open of a stream without the prefix's subjects: %v, want an error naming elsewhere.events", err)
		}
	})

	t.Run("FewerReplicas", func(t *testing.T) {
		_, err := natsjs.Open(testContext(t), env.Conn, natsjs.Config{Replicas: 3})
		if err == nil || !strings.Contains(err.Error(), "replicas") {
			t.Errorf("Open of an R1 stream configured for 3 replicas: %v, want an error naming the replicas", err)
		}
	})

	t.Run("Correct", func(t *testing.T) {
		ctx := testContext(t)
		cfg := natsjs.Config{Stream: "MADEBYADMIN", Prefix: "admin.events"}
		if _, err := js.CreateStream(ctx, cfg.StreamConfig()); err != nil {
			t.Fatal(err)
		}
		st, err := natsjs.Open(ctx, env.Conn, cfg)
		if err != nil {
			t.Fatalf("Open refuses a stream made to the ledger's configuration: %v", err)
		}
		if got := st.Subject(refugees); got != "admin.events.kz.act.2009-12-04.216" {
			t.Errorf("subject %q under the configured prefix", got)
		}
		// And the default stream, opened a second time.
		if _, err := natsjs.Open(ctx, env.Conn, natsjs.Config{}); err != nil {
			t.Errorf("Open of the stream it created before: %v", err)
		}
	})
}

// Nobody can delete or purge the ledger's events through the JetStream
// API.
func TestStreamDeniesDeleteAndPurge(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	rs := mustAppend(t, l, created(refugees, "Law on Refugees", events.Law), signed(refugees))
	_, s := stream(t, env)
	ctx := testContext(t)

	if err := s.DeleteMsg(ctx, rs[0].Seq); err == nil {
		t.Errorf("a message was deleted")
	}
	if err := s.SecureDeleteMsg(ctx, rs[1].Seq); err == nil {
		t.Errorf("a message was erased")
	}
	if err := s.Purge(ctx); err == nil {
		t.Errorf("the stream was purged")
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSubject(env.Store.Subject(refugees))); err == nil {
		t.Errorf("an act's subject was purged")
	}
	if got := msgCount(t, env); got != 2 {
		t.Errorf("the stream holds %d messages, want 2", got)
	}
	h, err := l.History(ctx, refugees)
	if err != nil || len(h) != 2 {
		t.Errorf("the history after the attempts: %d events, %v", len(h), err)
	}
}

// A stream deleted while its claims of event ids remain is not created
// again, empty, by the next Open: the error says what happened and what
// to do. Without claims (a new server) Open creates it.
func TestOpenDoesNotRecreateADeletedStream(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
	js, _ := stream(t, env)
	if err := js.DeleteStream(testContext(t), natsjs.DefaultStream); err != nil {
		t.Fatal(err)
	}
	_, err := natsjs.Open(testContext(t), env.Conn, natsjs.Config{})
	if err == nil || !strings.Contains(err.Error(), "was deleted") || !strings.Contains(err.Error(), "restore") {
		t.Fatalf("Open after the stream's deletion: %v, want a refusal that says it was deleted and to restore it", err)
	}
	if _, err := js.Stream(testContext(t), natsjs.DefaultStream); err == nil {
		t.Fatalf("Open created the deleted stream again")
	}
	// An admin who means to start a new register deletes the claims too.
	if err := js.DeleteStream(testContext(t), natsjs.DefaultIDStream); err != nil {
		t.Fatal(err)
	}
	if _, err := natsjs.Open(testContext(t), env.Conn, natsjs.Config{}); err != nil {
		t.Fatalf("Open on a server with neither stream: %v", err)
	}
}
