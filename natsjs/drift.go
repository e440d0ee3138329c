package natsjs

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// drift lists how got, a stream's configuration now, can lose or admit
// messages that base, its configuration when watching began, kept or kept
// out: limits set or lowered, deletion or purging allowed, roll-ups, TTLs,
// other subjects, storage, fewer replicas, a seal, sources. Each item names
// the setting as nats-server's JSON does, its value before and after, and
// what it does. A change that loses or admits nothing (a description, more
// replicas, a limit raised) is not listed.
//
// skipChecked leaves out what CheckStream already says of the events
// stream, so that a change is not named twice. dedupe says that writers
// rely on the stream's duplicate window (Nats-Msg-Id), so that a shorter
// one admits duplicates.
func drift(base, got jetstream.StreamConfig, skipChecked, dedupe bool) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !skipChecked {
		limit := func(name string, base, got int64) {
			if tighter(base, got) {
				bad("%s is %d (was %s): messages beyond it are removed or refused", name, got, limitString(base))
			}
		}
		limit("max_msgs", base.MaxMsgs, got.MaxMsgs)
		limit("max_bytes", base.MaxBytes, got.MaxBytes)
		limit("max_msgs_per_subject", base.MaxMsgsPerSubject, got.MaxMsgsPerSubject)
		if tighter(int64(base.MaxAge), int64(got.MaxAge)) {
			bad("max_age is %s (was %s): older messages are removed", got.MaxAge, durationString(base.MaxAge))
		}
		if base.DenyDelete && !got.DenyDelete {
			bad("deny_delete is off (was on): messages can be deleted")
		}
		if base.DenyPurge && !got.DenyPurge {
			bad("deny_purge is off (was on): the stream can be purged")
		}
		if !base.AllowRollup && got.AllowRollup {
			bad("allow_rollup_hdrs is on (was off): a roll-up erases messages")
		}
		if got.Retention != base.Retention {
			bad("retention is %s (was %s): messages may be removed once consumed", got.Retention, base.Retention)
		}
		if got.Storage != base.Storage {
			bad("storage is %s (was %s)", got.Storage, base.Storage)
		}
		if got.Sealed && !base.Sealed {
			bad("the stream is sealed: nothing more can be written")
		}
		if (got.AllowMsgTTL && !base.AllowMsgTTL) || got.SubjectDeleteMarkerTTL > base.SubjectDeleteMarkerTTL {
			bad("message TTLs are allowed (they were not): messages can expire")
		}
		if (got.AllowMsgSchedules && !base.AllowMsgSchedules) || (got.AllowMsgCounter && !base.AllowMsgCounter) {
			bad("message schedules or counters are on (they were off): they re-enable removal")
		}
		if got.PersistMode == jetstream.AsyncPersistMode && base.PersistMode != jetstream.AsyncPersistMode {
			bad("persist_mode is async (was default): acknowledged messages may not be on disk")
		}
	}
	if dedupe && got.Duplicates < base.Duplicates {
		bad("duplicate_window is %s (was %s): a message sent again after it is stored twice", got.Duplicates, base.Duplicates)
	}
	if got.Discard != base.Discard {
		bad("discard is %s (was %s): at a limit, %s", got.Discard, base.Discard, discardEffect(got.Discard))
	}
	if got.MaxMsgSize != base.MaxMsgSize {
		bad("max_msg_size is %s (was %s): larger messages are refused, or messages the writers never send are admitted",
			limitString(int64(got.MaxMsgSize)), limitString(int64(base.MaxMsgSize)))
	}
	if !sameSet(got.Subjects, base.Subjects) {
		bad("subjects are %v (were %v): messages of other subjects are stored, or this stream's are not", got.Subjects, base.Subjects)
	}
	if !reflect.DeepEqual(got.SubjectTransform, base.SubjectTransform) {
		bad("subject_transform changed: messages are stored under other subjects")
	}
	if !reflect.DeepEqual(got.Mirror, base.Mirror) || !reflect.DeepEqual(got.Sources, base.Sources) {
		bad("mirror or sources changed: messages of other streams are admitted")
	}
	if !reflect.DeepEqual(got.RePublish, base.RePublish) {
		bad("republish changed: live subscribers no longer get what is stored where they listen")
	}
	if got.Replicas < base.Replicas {
		bad("num_replicas is %d (was %d): losing fewer servers loses messages", got.Replicas, base.Replicas)
	}
	return p
}

// tighter says whether a limit (0 or less: none) is lower in got than in
// base: set where there was none, or lowered.
func tighter(base, got int64) bool {
	return got > 0 && (base <= 0 || got < base)
}

func limitString(v int64) string {
	if v <= 0 {
		return "unlimited"
	}
	return fmt.Sprint(v)
}

func durationString(d time.Duration) string {
	if d <= 0 {
		return "unlimited"
	}
	return d.String()
}

func discardEffect(d jetstream.DiscardPolicy) string {
	if d == jetstream.DiscardOld {
		return "the oldest messages are removed to make room"
	}
	return "new messages are refused"
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
