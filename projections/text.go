package projections

import (
	"errors"
	"fmt"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
)

// Provision statuses that only the consolidated text gives: a provision
// not yet in force on the day, and never before it.
const ProvisionProspective = "prospective"

// Text answers "what did act id say on q.AsOf, as the record stood at
// q.KnownAt": its whole text, each provision with the changes that made it
// read so and its force on the day (consolidation.Build). An act with no
// recorded text is a CodeNotFound error that says how to record one.
func (p *Projection) Text(id events.ActID, q Query) (*consolidation.Text, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	m, eff, err := p.effectiveAt(id, q.KnownAt)
	if err != nil {
		return nil, err
	}
	d := q.AsOf.Earliest()
	t, err := consolidation.Build(id, eff, q.AsOf, consolidation.Options{Status: func(path []string, inserted bool) string {
		return m.statusIn(path, inserted, d)
	}})
	if errors.Is(err, consolidation.ErrNoText) {
		return nil, &events.Error{Code: events.CodeNotFound, Act: id, Message: fmt.Sprintf(
			"no text of %s is recorded%s: record it as body.structure on the act's drafted or adopted event, or correct that event to add it (docs/TEXT.md)", id, knownSuffix(q.KnownAt))}
	}
	return t, err
}

// Versions lists the days on which act id's text or force changed, as the
// record stood at knownAt (nil: now).
func (p *Projection) Versions(id events.ActID, knownAt *time.Time) ([]consolidation.Version, error) {
	_, eff, err := p.effectiveAt(id, knownAt)
	if err != nil {
		return nil, err
	}
	return consolidation.Versions(eff), nil
}

// effectiveAt returns act id's model and its events as known at t,
// corrections applied and retractions left out, or the error State gives
// for an act not recorded then.
func (p *Projection) effectiveAt(id events.ActID, t *time.Time) (*model, []events.Event, error) {
	m, n := p.modelAt(id, t)
	if m == nil {
		_, err := p.State(id, Query{AsOf: events.MustDate("2000-01-01"), KnownAt: t})
		return nil, nil, err
	}
	key := pastKey{id, n}
	p.cacheMu.Lock()
	eff, ok := p.texted[key]
	p.cacheMu.Unlock()
	if ok {
		return m, eff, nil
	}
	eff = effectiveEvents(p.decodeEvents(p.acts[id].log, n))
	p.cacheMu.Lock()
	if p.texted == nil || len(p.texted) >= textCacheMax {
		p.texted = map[pastKey][]events.Event{}
	}
	p.texted[key] = eff
	p.cacheMu.Unlock()
	return m, eff, nil
}

// textCacheMax bounds the acts (as known at a time) whose effective events
// the projection keeps for the texts asked: decoding an act of 200
// amendments and a text of 500 provisions took half the time of its text
// (BENCHMARKS.md, The consolidated text). Texts are read an act at a time,
// so a few suffice; the whole cache is dropped when full.
const textCacheMax = 16

func knownSuffix(t *time.Time) string {
	if t == nil {
		return ""
	}
	return " as the record stood at " + t.UTC().Format(time.RFC3339Nano)
}

// statusIn is the force on day d of the provision at the end of path (its
// eId and those of the provisions it is in, outermost first), each of which
// a commencement, ending or suspension may name; inserted says a textual
// change in effect by d put it in the text, which brings it into force
// with the act.
func (m *model) statusIn(path []string, inserted bool, d events.DayNum) string {
	if !m.lawOn(d) {
		return ProvisionProspective
	}
	if m.wholeEnding(d) != nil {
		return ProvisionNotInForce
	}
	in, commenced := false, false
	for _, c := range m.commencements {
		if c.fromDay() > d {
			continue
		}
		if inserted {
			in, commenced = true, true
		}
		if coversAny(c.provisions, path) && !(len(c.except) > 0 && coversAny(c.except, path)) {
			in, commenced = true, true
		}
	}
	for _, e := range m.endings {
		if len(e.provisions) > 0 && e.fromDay() <= d && coversAny(e.provisions, path) {
			in = false
		}
	}
	for _, s := range m.suspensions {
		if in && s.fromDay() <= d && d < s.toDay() && coversAny(s.provisions, path) {
			return ProvisionSuspended
		}
	}
	switch {
	case in:
		return ProvisionInForce
	case !commenced:
		return ProvisionProspective
	}
	return ProvisionNotInForce
}

// coversAny reports whether list covers any eId of path (an empty list
// covers everything).
func coversAny(list []string, path []string) bool {
	for _, eid := range path {
		if events.Covers(list, eid) {
			return true
		}
	}
	return len(path) == 0 && len(list) == 0
}
