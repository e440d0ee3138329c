package jepsen_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/jepsen"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
)

// The views' check passes two projections of one stream and bites on a
// projection that missed an event, or holds one changed: any answer that
// differs is a finding.
func TestCompareViews(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	const a = "/akn/kz/act/2020-01-01/v"
	for k, ev := range []string{
		fmt.Sprintf(`{"id":%q,"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"Law v","kind":"law"}}`, events.NewID(), a),
		fmt.Sprintf(`{"id":%q,"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, events.NewID(), a),
		amendment(a, 0, 0),
		amendment(a, 0, 1),
	} {
		if _, err := l.Append(context.Background(), "clerk@test", command(t, ev)); err != nil {
			t.Fatalf("append %d: %v", k, err)
		}
	}
	var entries []eventlog.Entry
	for e, err := range env.Store.Read(context.Background(), eventlog.Position{}) {
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	q := jepsen.ViewQueries{Acts: []events.ActID{a}, AsOf: []events.Date{events.MustDate("2020-01-15"), events.MustDate("2020-02-15")},
		KnownAt: []time.Time{entries[2].Event.RecordedAt}}
	project := func(change func(i int, e *eventlog.Entry) bool) jepsen.Answers {
		p := projections.New()
		for i, e := range entries {
			if change != nil && !change(i, &e) {
				continue
			}
			if _, err := p.Apply(e); err != nil {
				t.Fatal(err)
			}
		}
		return jepsen.Answer(p, q)
	}
	live := project(nil)
	if st := live["state "+a+" as_of 2020-02-15 known_at now"]; !strings.Contains(st, "as clerk 0 amended it (1)") {
		t.Fatalf("the state on 2020-02-15 is %s, want the text of the last amendment", st)
	}
	if got := jepsen.CompareViews(live, project(nil)); len(got) > 0 {
		t.Fatalf("two projections of one stream differ: %v", got)
	}
	for _, tt := range []struct {
		name   string
		change func(i int, e *eventlog.Entry) bool
		want   string // in some finding
	}{
		{"ErrMissedEvent", func(i int, _ *eventlog.Entry) bool { return i != 3 }, "state " + a + " as_of 2020-02-15 known_at now"},
		{"ErrChangedText", func(i int, e *eventlog.Entry) bool {
			if i == 3 {
				e.Event.Body.Texts = map[string]string{"art_1": "Article 1, as nobody wrote it."}
			}
			return true
		}, "history " + a},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := jepsen.CompareViews(live, project(tt.change))
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("findings %q: none about %q", got, tt.want)
			}
		})
	}
}
