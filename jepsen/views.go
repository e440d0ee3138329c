package jepsen

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// ViewQueries are the questions put to each projection of a run: every
// act's state on each of AsOf's days, as known now and at each of
// KnownAt's record times, its timeline, its versions and its history.
type ViewQueries struct {
	Acts    []events.ActID
	AsOf    []events.Date
	KnownAt []time.Time
}

// Answers maps each question (say "state /akn/… as_of 2020-02-15 known_at
// now") to its answer's JSON encoding, or to the error the projection gave.
type Answers map[string]string

// Answer puts q's questions to p. Run it inside projector.Service.Read.
func Answer(p *projections.Projection, q ViewQueries) Answers {
	out := Answers{}
	put := func(key string, v any, err error) {
		if err != nil {
			out[key] = "error: " + err.Error()
			return
		}
		data, err := json.Marshal(v)
		if err != nil {
			out[key] = "cannot encode: " + err.Error()
			return
		}
		out[key] = string(data)
	}
	known := append([]*time.Time{nil}, make([]*time.Time, len(q.KnownAt))...)
	for i := range q.KnownAt {
		known[i+1] = &q.KnownAt[i]
	}
	for _, a := range q.Acts {
		for _, k := range known {
			at := "now"
			if k != nil {
				at = k.UTC().Format(time.RFC3339Nano)
			}
			for _, d := range q.AsOf {
				st, err := p.State(a, projections.Query{AsOf: d, KnownAt: k})
				put(fmt.Sprintf("state %s as_of %s known_at %s", a, d, at), st, err)
			}
			tl, err := p.Timeline(a, k)
			put(fmt.Sprintf("timeline %s known_at %s", a, at), tl, err)
			vs, err := p.Versions(a, k)
			put(fmt.Sprintf("versions %s known_at %s", a, at), vs, err)
		}
		put(fmt.Sprintf("history %s", a), p.History(a), nil)
	}
	return out
}

// CompareViews lists every question that live and fresh answer
// differently, or that only one of them answers: any is a finding, since
// a projection that followed the stream through the faults must answer as
// one rebuilt from the stream afterwards.
func CompareViews(live, fresh Answers) []string {
	var out []string
	for k, a := range live {
		b, ok := fresh[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("the rebuilt projection has no answer to %q", k))
		case a != b:
			out = append(out, fmt.Sprintf("%s: the live projection answers %s, the rebuilt one %s", k, clip(a), clip(b)))
		}
	}
	for k := range fresh {
		if _, ok := live[k]; !ok {
			out = append(out, fmt.Sprintf("the live projection has no answer to %q", k))
		}
	}
	sort.Strings(out)
	return out
}

// clip shortens an answer for a finding's message.
func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
