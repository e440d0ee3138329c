package consolidation

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lexledger/lexledger/events"
)

// Text is an act's text on a day, as the record stood at a time.
type Text struct {
	Act  events.ActID `json:"act"`
	AsOf events.Date  `json:"as_of"`
	// Version is the version in force on as_of: the latest day at or
	// before it on which the act's text or force changed (Versions); zero
	// before the first.
	Version events.Date `json:"version,omitzero"`
	// Enacted is the event that recorded the text the changes apply to;
	// absent when the text is only what amendments gave provisions.
	Enacted    events.ID `json:"enacted,omitzero"`
	Provisions []Node    `json:"provisions"`
	// Outstanding lists the effects in effect by as_of that the text does
	// not show: amendments recorded without their textual changes, and
	// changes that no longer apply to the text of their day (a change
	// recorded later, with an earlier date, moved or removed what they
	// changed).
	Outstanding []Effect `json:"outstanding,omitempty"`
	// Pending lists the textual changes recorded with effect after as_of:
	// the text's prospective amendments.
	Pending []Effect `json:"pending,omitempty"`
	// Uncertain lists the effective dates known only to the month or year
	// whose span includes as_of: a change dated so is applied from the
	// span's first day, and the text on as_of may differ.
	Uncertain []events.Date `json:"uncertain,omitempty"`
}

// Node is one provision of a consolidated text.
type Node struct {
	EID     string `json:"eid"`
	Element string `json:"element"`
	Num     string `json:"num,omitempty"`
	Heading string `json:"heading,omitempty"`
	Text    string `json:"text,omitempty"`
	// Repealed marks a provision repealed by a textual change: it stays in
	// the text, without its words, as the statute book prints it.
	Repealed bool `json:"repealed,omitempty"`
	// Status is the provision's force on as_of, as Options.Status says:
	// in_force, prospective (never yet in force), suspended, not_in_force.
	Status string `json:"status,omitempty"`
	// Annotations name each change that made the provision read as it
	// does, in the order they took effect.
	Annotations []Annotation `json:"annotations,omitempty"`
	Children    []Node       `json:"children,omitempty"`
}

// Annotation is one change to a provision: which provision (Source) of
// which act (Instrument) made it, from when, by which event.
type Annotation struct {
	Op events.ChangeOp `json:"op"`
	// Words is set when the change was to words of the provision.
	Words      bool         `json:"words,omitempty"`
	From       events.Date  `json:"from"`
	Event      events.ID    `json:"event"`
	Instrument events.ActID `json:"instrument,omitempty"`
	Source     string       `json:"source,omitempty"`
	// Formerly is a renumbered provision's eId before.
	Formerly string `json:"formerly,omitempty"`
}

// Effect is an amendment that the text does not show, or not yet.
type Effect struct {
	Event      events.ID              `json:"event"`
	Type       events.Type            `json:"type"`
	Instrument events.ActID           `json:"instrument,omitempty"`
	Effect     events.AmendmentEffect `json:"effect,omitempty"`
	Provisions []string               `json:"provisions,omitempty"`
	From       events.Date            `json:"from"`
	// Reason says why the text does not show it.
	Reason string `json:"reason"`
}

// Options are what the caller knows beside the events.
type Options struct {
	// Status, when set, gives a provision's force on the day asked, from
	// its eId and those of the provisions it is in (path, outermost
	// first, each followed by its former eIds when it was renumbered), and
	// whether a textual change in effect put it in the text. A provision
	// repealed by a textual change is not in force whatever it says.
	Status func(path []string, inserted bool) string
}

// ErrNoText is Build's error for an act whose events record no text.
var ErrNoText = errors.New("no text of the act is recorded")

// Build returns act's text on day asOf from its events as the record stood
// (in stream order, corrections applied and retractions left out:
// events.Effective): the latest text recorded with the act, with every
// textual change in effect by asOf applied in the order of their effective
// dates, and of the record among changes of one day. A change that does
// not apply leaves its whole event unapplied, listed as outstanding.
func Build(act events.ActID, history []events.Event, asOf events.Date, opts Options) (*Text, error) {
	base, enacted := enactedText(history)
	if base == nil {
		return nil, ErrNoText
	}
	t := &Text{Act: act, AsOf: asOf, Enacted: enacted}
	w := newTree(base)
	day := asOf.Earliest()
	for _, e := range textual(history) {
		from := changeDate(e)
		if from.Precision() != events.Day && from.Earliest() <= day && day <= from.Latest() && !slices.Contains(t.Uncertain, from) {
			t.Uncertain = append(t.Uncertain, from)
		}
		if from.Earliest() > day {
			if hasText(e) {
				t.Pending = append(t.Pending, effectOf(e, "takes effect after "+asOf.String()))
			}
			continue
		}
		if !hasText(e) {
			t.Outstanding = append(t.Outstanding, effectOf(e, "recorded without its textual changes"))
			continue
		}
		if err := w.applyEvent(e); err != nil {
			t.Outstanding = append(t.Outstanding, effectOf(e, "not applied: "+err.Error()))
		}
	}
	for _, v := range Versions(history) {
		if v.Date.Earliest() > day {
			break
		}
		t.Version = v.Date
	}
	t.Provisions = w.render(w.top, opts, nil, false)
	return t, nil
}

// Check says whether e's textual changes apply to the act's text in force
// on e's effective date, after the events before it (as Build takes them):
// nil when they do, or when e makes none; otherwise an *events.Error that
// names the change and says what to fix.
func Check(prior []events.Event, e *events.Event) error {
	if len(e.Body.Changes) == 0 {
		return nil
	}
	from := changeDate(e)
	base, _ := enactedText(prior)
	if base == nil {
		return &events.Error{Code: events.CodeRule, Rule: events.RuleTextChange, Act: e.Act, Message: fmt.Sprintf(
			"cannot record textual changes to %s: no text of it is recorded; record its text first (body.structure on its drafted or adopted event, or a record_corrected of that event), or record the amendment without changes", e.Act)}
	}
	w := newTree(base)
	for _, p := range textual(prior) {
		if changeDate(p).Earliest() <= from.Earliest() && hasText(p) {
			_ = w.applyEvent(p) // one that does not apply is outstanding, as in Build
		}
	}
	if err := w.applyEvent(e); err != nil {
		return &events.Error{Code: events.CodeRule, Rule: events.RuleTextChange, Act: e.Act, Message: fmt.Sprintf(
			"cannot record the textual changes of %s from %s: %v", e.Act, from, err)}
	}
	return nil
}

// enactedText returns the text recorded with the act: the latest
// structure recorded on a procedural event; without one, the provisions
// given texts on those events (the form before structures, each
// provision a top-level element, its latest text).
func enactedText(history []events.Event) ([]events.Node, events.ID) {
	var base []events.Node
	var by events.ID
	var flat map[string]string
	var flatBy events.ID
	for i := range history {
		e := &history[i]
		if spec, _ := events.SpecOf(e.Type); spec == nil || spec.Group != events.Procedure {
			continue
		}
		if len(e.Body.Structure) > 0 {
			base, by = e.Body.Structure, e.ID
		}
		if len(e.Body.Texts) > 0 {
			if flat == nil {
				flat = map[string]string{}
			}
			for k, v := range e.Body.Texts {
				flat[k] = v
			}
			flatBy = e.ID
		}
	}
	if base == nil && flat == nil {
		// Texts recorded only by amendments or corrigenda: the text starts
		// empty, and each of their provisions is added as it comes.
		for _, e := range textual(history) {
			if len(e.Body.Texts) > 0 {
				return []events.Node{}, events.ID{}
			}
		}
	}
	if base != nil || flat == nil {
		return base, by
	}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareEID)
	nodes := make([]events.Node, 0, len(keys))
	for _, k := range keys {
		nodes = append(nodes, events.Node{EID: k, Text: flat[k]})
	}
	return nodes, flatBy
}

// textual returns the events that change the text, or would if their
// changes were recorded: amendments and corrigenda, in the order they take
// effect (stable: the record's order within a day).
func textual(history []events.Event) []*events.Event {
	var out []*events.Event
	for i := range history {
		e := &history[i]
		switch e.Type {
		case events.Amended:
			out = append(out, e)
		case events.Corrigendum:
			if len(e.Body.Texts) > 0 {
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *events.Event) int {
		return cmp.Compare(changeDate(a).Earliest(), changeDate(b).Earliest())
	})
	return out
}

// changeDate is when e's changes take effect: an amendment's
// effective_from; a corrigendum's date.
func changeDate(e *events.Event) events.Date {
	if e.Type == events.Amended {
		return e.EffectiveFrom
	}
	return e.Date
}

func hasText(e *events.Event) bool { return len(e.Body.Changes) > 0 || len(e.Body.Texts) > 0 }

func effectOf(e *events.Event, reason string) Effect {
	return Effect{Event: e.ID, Type: e.Type, Instrument: e.Instrument, Effect: e.Body.Effect,
		Provisions: e.Provisions, From: changeDate(e), Reason: reason}
}

// compareEID orders eIds as a reader expects: components in turn, numbers
// by value (art_9 before art_10, art_10 before art_10-1).
func compareEID(a, b string) int {
	for a != "" || b != "" {
		var x, y string
		x, a, _ = strings.Cut(a, "__")
		y, b, _ = strings.Cut(b, "__")
		if c := compareComponent(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func compareComponent(x, y string) int {
	xn, xnum, _ := strings.Cut(x, "_")
	yn, ynum, _ := strings.Cut(y, "_")
	if c := cmp.Compare(xn, yn); c != 0 {
		return c
	}
	for xnum != "" || ynum != "" {
		xa, xr := leadingNumber(xnum)
		ya, yr := leadingNumber(ynum)
		if c := cmp.Compare(xa, ya); c != 0 {
			return c
		}
		xs, xrest := splitNonDigits(xr)
		ys, yrest := splitNonDigits(yr)
		if c := cmp.Compare(xs, ys); c != 0 {
			return c
		}
		xnum, ynum = xrest, yrest
	}
	return 0
}

func leadingNumber(s string) (int, string) {
	n, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<40 {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 {
		return -1, s
	}
	return n, s[i:]
}

func splitNonDigits(s string) (string, string) {
	i := 0
	for i < len(s) && (s[i] < '0' || s[i] > '9') {
		i++
	}
	return s[:i], s[i:]
}
