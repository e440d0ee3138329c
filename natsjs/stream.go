package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of Config.
const (
	DefaultStream     = "LEX"
	DefaultPrefix     = "lex.events"
	DefaultDuplicates = 2 * time.Minute
	// MaxMsgSize is the largest stored event: events.MaxEventBytes and room
	// for headers.
	MaxMsgSize = events.MaxEventBytes + 4096
)

// RecordedPrefix is where the stream republishes every event it stored,
// for core NATS subscribers: lex.recorded.{act tokens}, with the
// headers Nats-Stream, Nats-Subject, Nats-Sequence and Nats-Last-Sequence.
const RecordedPrefix = "lex.recorded"

// Header names.
const (
	HeaderEventID   = "Lex-Event-Id"
	HeaderEventType = "Lex-Event-Type"
	HeaderSchema    = "Lex-Schema"
)

// Config names the stream and how it is replicated.
type Config struct {
	Stream     string        // DefaultStream when empty
	Prefix     string        // subject prefix, DefaultPrefix when empty
	Replicas   int           // 1 when zero; 3 in production clusters
	Duplicates time.Duration // the server's deduplication window
	// APIPrefix is the JetStream API prefix under which the stream is
	// reached; when empty, StreamAPIPrefix (an import from the stream's
	// account) and then DefaultAPIPrefix are tried.
	APIPrefix string
}

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Duplicates <= 0 {
		c.Duplicates = DefaultDuplicates
	}
	return c
}

// StreamConfig returns the stream's configuration: file storage, nothing
// ever deleted, purged, rolled up, aged out or limited.
func (c Config) StreamConfig() jetstream.StreamConfig {
	c = c.withDefaults()
	return jetstream.StreamConfig{
		Name:               c.Stream,
		Description:        "Lex Ledger: the immutable events of legal acts",
		Subjects:           []string{c.Prefix + ".>"},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardNew,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		MaxMsgsPerSubject:  -1,
		MaxMsgSize:         MaxMsgSize,
		Replicas:           c.Replicas,
		Duplicates:         c.Duplicates,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowRollup:        false,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		// Core NATS subscribers on the event subjects would also see writes
		// that JetStream refused; the stream republishes what it stored.
		RePublish: &jetstream.RePublish{Source: c.Prefix + ".>", Destination: RecordedPrefix + ".>"},
	}
}

// ensureStream creates the stream, or checks that an existing one keeps the
// ledger's guarantees. It never changes an existing stream.
func ensureStream(ctx context.Context, js jetstream.JetStream, c Config) (jetstream.Stream, error) {
	want := c.StreamConfig()
	s, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		// Claims of event ids without their events: the stream was
		// deleted, and an empty one in its place would be an empty
		// register that nobody was told about.
		if ids, err := js.Stream(ctx, c.IDStream()); err == nil && ids.CachedInfo().State.Msgs > 0 {
			return nil, fmt.Errorf("stream %s does not exist, but %s holds the claims of %d events recorded in it: it was deleted. "+
				"The ledger will not start an empty register in its place: restore %s from a backup (docs/RUNBOOK.md, Restoring from a backup), "+
				"or, to start a new register on purpose, have an admin delete %s first",
				want.Name, c.IDStream(), ids.CachedInfo().State.Msgs, want.Name, c.IDStream())
		}
		s, err = createStream(ctx, js, want)
		if err != nil {
			return nil, fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up stream %s: %w", want.Name, err)
	}
	if problems := CheckStream(s.CachedInfo().Config, c); len(problems) > 0 {
		return nil, weakened(want.Name, problems)
	}
	return s, nil
}

// weakened is the refusal of a stream whose configuration weakens the
// ledger's guarantees.
func weakened(name string, problems []string) error {
	return fmt.Errorf("stream %s exists but weakens the ledger's guarantees: %s; "+
		"the ledger will not use it: restore the settings (an admin can, with 'nats stream edit'), or name another stream",
		name, strings.Join(problems, "; "))
}

// CheckStream lists how an existing stream's configuration weakens the
// ledger's guarantees; none means it is fit to use.
func CheckStream(got jetstream.StreamConfig, c Config) []string {
	c = c.withDefaults()
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !got.DenyDelete {
		bad("deny_delete is off (messages can be deleted)")
	}
	if !got.DenyPurge {
		bad("deny_purge is off (the stream can be purged)")
	}
	if got.AllowRollup {
		bad("allow_rollup_hdrs is on (a roll-up erases history)")
	}
	if got.MaxMsgs > 0 || got.MaxBytes > 0 || got.MaxAge > 0 || got.MaxMsgsPerSubject > 0 {
		bad("limits are set (max_msgs %d, max_bytes %d, max_age %s, max_msgs_per_subject %d): old events would be removed",
			got.MaxMsgs, got.MaxBytes, got.MaxAge, got.MaxMsgsPerSubject)
	}
	if got.Retention != jetstream.LimitsPolicy {
		bad("retention is %s: acknowledged events would be removed", got.Retention)
	}
	if got.AllowMsgTTL || got.SubjectDeleteMarkerTTL > 0 {
		bad("message TTLs are allowed: events could expire")
	}
	if got.AllowMsgSchedules || got.AllowMsgCounter {
		bad("message schedules or counters are on (they re-enable removal)")
	}
	if got.Storage != jetstream.FileStorage {
		bad("storage is %s, not file", got.Storage)
	}
	if got.PersistMode == jetstream.AsyncPersistMode {
		bad("persist_mode is async: acknowledged events may not be on disk")
	}
	if got.Sealed {
		bad("the stream is sealed: nothing can be recorded")
	}
	if !got.AllowAtomicPublish {
		bad("allow_atomic is off: atomic batches are needed for instruments that change several acts")
	}
	if !got.AllowDirect {
		bad("allow_direct is off: per-act reads need direct get")
	}
	if got.Replicas < c.Replicas {
		bad("it has %d replicas, fewer than the %d configured", got.Replicas, c.Replicas)
	}
	covered := false
	for _, s := range got.Subjects {
		if s == c.Prefix+".>" {
			covered = true
		}
	}
	if !covered {
		bad("its subjects %v do not include %s.>", got.Subjects, c.Prefix)
	}
	return p
}
