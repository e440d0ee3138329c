package natsjs

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// drift names each change that can lose or admit messages, and nothing
// that cannot.
func TestDrift(t *testing.T) {
	view := jetstream.StreamConfig{Name: "KV_X", Subjects: []string{"$KV.X.>"}, Storage: jetstream.FileStorage,
		MaxMsgs: -1, MaxBytes: -1, MaxMsgsPerSubject: 1, MaxMsgSize: -1, Replicas: 3, DenyDelete: true,
		AllowRollup: true, Duplicates: 2 * time.Minute}
	cases := []struct {
		name   string
		change func(*jetstream.StreamConfig)
		dedupe bool
		want   string // "" for no drift
	}{
		{"Description", func(c *jetstream.StreamConfig) { c.Description = "edited" }, false, ""},
		{"MoreReplicas", func(c *jetstream.StreamConfig) { c.Replicas = 5 }, false, ""},
		{"FewerReplicas", func(c *jetstream.StreamConfig) { c.Replicas = 1 }, false, "num_replicas is 1 (was 3)"},
		{"HistoryRaised", func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 5 }, false, ""},
		{"PerSubjectUnlimited", func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = -1 }, false, ""},
		{"MaxAge", func(c *jetstream.StreamConfig) { c.MaxAge = time.Hour }, false, "max_age is 1h0m0s (was unlimited)"},
		{"MaxMsgs", func(c *jetstream.StreamConfig) { c.MaxMsgs = 10 }, false, "max_msgs is 10 (was unlimited)"},
		{"MaxBytes", func(c *jetstream.StreamConfig) { c.MaxBytes = 1 << 20 }, false, "max_bytes is 1048576"},
		{"MaxMsgSize", func(c *jetstream.StreamConfig) { c.MaxMsgSize = 1024 }, false, "max_msg_size is 1024 (was unlimited)"},
		{"Discard", func(c *jetstream.StreamConfig) { c.Discard = jetstream.DiscardNew }, false, "discard is DiscardNew (was DiscardOld)"},
		{"DenyDeleteOff", func(c *jetstream.StreamConfig) { c.DenyDelete = false }, false, "deny_delete is off"},
		{"Retention", func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy }, false, "retention is Interest"},
		{"Storage", func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage }, false, "storage is Memory"},
		{"Sealed", func(c *jetstream.StreamConfig) { c.Sealed = true }, false, "sealed"},
		{"TTL", func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true }, false, "message TTLs"},
		{"Subjects", func(c *jetstream.StreamConfig) { c.Subjects = []string{"$KV.X.>", "lex.events.>"} }, false, "subjects are"},
		{"Sources", func(c *jetstream.StreamConfig) { c.Sources = []*jetstream.StreamSource{{Name: "OTHER"}} }, false, "sources"},
		{"ShorterDupes", func(c *jetstream.StreamConfig) { c.Duplicates = time.Second }, true, "duplicate_window is 1s (was 2m0s)"},
		{"ShorterDupesUnused", func(c *jetstream.StreamConfig) { c.Duplicates = time.Second }, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := view
			got.Subjects = append([]string(nil), view.Subjects...)
			tc.change(&got)
			p := drift(view, got, false, tc.dedupe)
			switch {
			case tc.want == "" && len(p) > 0:
				t.Errorf("drift names a harmless change: %v", p)
			case tc.want != "" && !strings.Contains(strings.Join(p, "; "), tc.want):
				t.Errorf("drift says %v; want it to say %q", p, tc.want)
			}
		})
	}
	if p := drift(view, view, false, true); len(p) > 0 {
		t.Errorf("an unchanged stream drifts: %v", p)
	}
}
