package bench

import (
	"math"
	"strconv"
	"strings"

	"github.com/lexledger/lexledger/events"
)

// ev is one event being written: the fields the realistic shape uses.
type ev struct {
	act, typ         string
	date             int
	from, to         int // effective_from, effective_to (-1: none)
	instrument       string
	provisions       []string
	title, kind      string
	summary, drafter string
	chamber, reading string
	signatory        string
	gazette, reason  string
	effect           string
	texts            bool // a text for each provision
	corrects         string
	correction       string
}

func (g *book) newEv(act string, typ events.Type, day int) ev {
	return ev{act: act, typ: string(typ), date: day, from: -1, to: -1}
}

// write writes e as one JSON line and returns its index in the book, or -1
// when the book is full or the writer failed.
func (g *book) write(e *ev) int {
	if g.err != nil || g.written >= g.n {
		return -1
	}
	b := g.buf[:0]
	b = append(b, `{"id":"`...)
	b = append(b, g.eventID(g.written)...)
	b = append(b, `","act":"`...)
	b = append(b, e.act...)
	b = append(b, `","type":"`...)
	b = append(b, e.typ...)
	b = append(b, `","date":"`...)
	b = appendDate(b, e.date)
	b = append(b, '"')
	if e.from >= 0 {
		b = append(b, `,"effective_from":"`...)
		b = appendDate(b, e.from)
		b = append(b, '"')
	}
	if e.to >= 0 {
		b = append(b, `,"effective_to":"`...)
		b = appendDate(b, e.to)
		b = append(b, '"')
	}
	if e.instrument != "" {
		b = append(b, `,"instrument":"`...)
		b = append(b, e.instrument...)
		b = append(b, '"')
	}
	if len(e.provisions) > 0 {
		b = append(b, `,"provisions":[`...)
		for i, p := range e.provisions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, p...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	body := len(b)
	b = append(b, `,"body":{`...)
	fields := 0
	field := func(name, v string) {
		if v == "" {
			return
		}
		if fields > 0 {
			b = append(b, ',')
		}
		fields++
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":"`...)
		b = append(b, v...)
		b = append(b, '"')
	}
	field("title", e.title)
	field("kind", e.kind)
	field("summary", e.summary)
	field("drafting_body", e.drafter)
	field("chamber", e.chamber)
	field("reading", e.reading)
	field("signatory", e.signatory)
	field("gazette", e.gazette)
	field("effect", e.effect)
	field("reason", e.reason)
	field("corrects", e.corrects)
	if e.correction != "" {
		b = append(b, `,"correction":`...)
		b = append(b, e.correction...)
	}
	if e.texts && len(e.provisions) > 0 {
		if fields > 0 {
			b = append(b, ',')
		}
		fields++
		b = append(b, `"texts":{`...)
		for i, p := range e.provisions[:min(3, len(e.provisions))] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, p...)
			b = append(b, `":"`...)
			b = append(b, sentences[(e.date+i)%len(sentences)]...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	if fields == 0 && e.correction == "" {
		b = b[:body]
	} else {
		b = append(b, '}')
	}
	b = append(b, "}\n"...)
	g.buf = b
	if _, err := g.w.Write(b); err != nil {
		g.err = err
		return -1
	}
	i := g.written
	g.written++
	return i
}

var sentences = []string{
	"The court shall hear the case within a reasonable time, and the parties shall be heard.",
	"No one shall be held in custody for more than forty-eight hours without a decision of a court.",
	"The competent authority shall publish its decision and the reasons for it within thirty days.",
	"Any person may appeal against the decision to the court of the place where the decision was taken.",
	"The minister may make regulations for carrying this Act into effect, subject to annulment by resolution of either House.",
	"A fine not exceeding the amount fixed by the schedule may be imposed for a breach of this provision.",
	"The provisions of this article apply to contracts concluded after its entry into force.",
}

var reasons = map[events.Type][]string{
	events.Rejected:  {"rejected at second reading", "the committee recommended rejection"},
	events.Withdrawn: {"withdrawn by the government", "withdrawn after the consultation"},
	events.Lapsed:    {"lapsed at the dissolution of parliament", "lapsed at the end of the session"},
	events.Suspended: {"a moratorium pending review", "suspended by the state of emergency", "suspended pending the court's decision"},
	events.Annulled:  {"annulled as contrary to the constitution", "annulled for want of competence"},
}

func (g *book) reason(t events.Type) string {
	rs := reasons[t]
	return rs[g.rnd.IntN(len(rs))]
}

// writeProcedure writes the new act's procedure, from its first event to its
// commencement, adopted on day now, and schedules its later events (x of
// them, fewer where its life is short).
func (g *book) writeProcedure(a *live, now int, fails bool, x int) {
	j, kind := a.j, a.kind
	title := j.label[kind] + " No. " + strconv.Itoa(j.number) + " of " + strconv.Itoa(yearOf(now)) + " on " + topics[g.rnd.IntN(len(topics))]
	summary := g.summary(a)
	first := func(t events.Type, day int) ev {
		e := g.newEv(a.id, t, day)
		e.title, e.kind, e.summary = title, string(kind), summary
		return e
	}
	last := now
	var e ev
	switch {
	case kind == events.Treaty:
		t := events.Ratified
		if g.rnd.IntN(5) == 0 {
			t = events.Acceded
		}
		e = first(t, now)
		g.write(&e)
	case events.HasPassage(kind):
		d := max(g.from, now-30-g.rnd.IntN(300))
		e = first(events.Drafted, d)
		e.drafter = j.drafter
		g.write(&e)
		if g.rnd.IntN(10) < 7 || fails {
			d += g.rnd.IntN(max(1, now-d) + 1)
			d = min(d, now)
			e = g.newEv(a.id, events.Introduced, d)
			e.chamber = j.chamber[0]
			g.write(&e)
			if g.rnd.IntN(2) == 0 && !fails {
				e = g.newEv(a.id, events.Passed, now)
				e.chamber, e.reading = j.chamber[0], "third reading"
				g.write(&e)
			}
		}
		if fails {
			t := []events.Type{events.Rejected, events.Withdrawn, events.Lapsed}[g.rnd.IntN(3)]
			e = g.newEv(a.id, t, now)
			e.reason = g.reason(t)
			g.write(&e)
			return
		}
		e = g.newEv(a.id, events.Adopted, now)
		e.chamber = j.chamber[1]
		g.write(&e)
		if g.rnd.IntN(100) == 0 {
			last = now + 1 + g.rnd.IntN(10)
			e = g.newEv(a.id, events.Vetoed, last)
			e.signatory, e.reason = j.head, "returned to parliament for reconsideration"
			g.write(&e)
			last += 10 + g.rnd.IntN(30)
			e = g.newEv(a.id, events.VetoOverridden, last)
			e.chamber = j.chamber[0]
			g.write(&e)
		} else {
			last = now + g.rnd.IntN(21)
			e = g.newEv(a.id, events.Signed, last)
			e.signatory = j.head
			g.write(&e)
		}
	default:
		e = first(events.Adopted, now)
		e.drafter = j.drafter
		g.write(&e)
		if kind == events.Decree && g.rnd.IntN(5) < 2 {
			last = now + g.rnd.IntN(5)
			e = g.newEv(a.id, events.Signed, last)
			e.signatory = j.head
			g.write(&e)
		}
	}
	last += 1 + g.rnd.IntN(20)
	e = g.newEv(a.id, events.Published, last)
	e.gazette = j.gazette + " No. " + strconv.Itoa(1+g.rnd.IntN(300))
	g.write(&e)
	e = g.newEv(a.id, events.Commenced, last)
	e.from = last + []int{0, 1, 10, 10, 30, 90, 180, 365}[g.rnd.IntN(8)]
	commenced := e.from
	if (kind == events.Law || kind == events.CodeKind) && g.rnd.IntN(10) == 0 {
		e.provisions = g.provisions(a, 1+g.rnd.IntN(5))
		a.staged = true
		x = max(x, 1)
	}
	g.write(&e)
	if g.rnd.IntN(50) == 0 {
		e = g.newEv(a.id, events.CommencementPostponed, last)
		e.from = commenced + 180
		e.reason = "the implementing regulations are not ready"
		g.write(&e)
		commenced = e.from
	}
	switch r := g.rnd.IntN(100); {
	case kind == events.Programme || kind == events.Concept:
		a.ending = events.Expired
	case kind == events.Treaty && r < 5:
		a.ending = events.Expired
	case (kind == events.Decree || kind == events.Regulation || kind == events.CourtResolution) && r < 3:
		a.ending = events.Annulled
	case kind == events.CodeKind && r < 10, kind != events.CodeKind && kind != events.Treaty && r < 30:
		a.ending = events.Repealed
	}
	if a.ending != "" {
		x = max(x, 1)
	}
	// The act's life: to the end of the book at most, at most maxPerYear
	// effects a year.
	years := float64(g.to+365-commenced) / 365
	if years <= 0.1 {
		return
	}
	life := math.Min(years, float64(x)*0.5*(0.5+g.rnd.Float64())+1)
	x = min(x, int(maxPerYear*life)+1, MaxActEvents-10)
	if x <= 0 {
		return
	}
	a.left = x
	a.gap = life * 365 / float64(x)
	a.last = last
	a.lastEvent = g.written - 1
	a.due = commenced + 1
	g.schedule(a)
}

// summary says what the new act does: for an amending act, the acts and
// provisions it amends in this step.
func (g *book) summary(a *live) string {
	var s strings.Builder
	n := 0
	for _, p := range g.plans {
		if p.instrument != a.id || p.typ != events.Amended {
			continue
		}
		if n == 0 {
			s.WriteString("Amends ")
		}
		if n < 3 {
			if n > 0 {
				s.WriteString("; ")
			}
			s.WriteString(p.a.id)
			s.WriteString(" (")
			s.WriteString(strings.Join(p.provisions, ", "))
			s.WriteString(")")
		}
		n++
	}
	if n > 3 {
		s.WriteString(" and " + strconv.Itoa(n-3) + " other acts")
	}
	if n == 0 {
		return "A generated act of a realistic statute book."
	}
	s.WriteString(".")
	return s.String()
}

// writePlanned writes a decided event of an earlier act, on day now or
// after that act's last event.
func (g *book) writePlanned(pl *plan, now int) {
	p := pl.a
	d := max(now, p.last)
	e := g.newEv(p.id, pl.typ, d)
	e.instrument, e.provisions = pl.instrument, pl.provisions
	eff := d + []int{0, 0, 1, 10, 30, 90, 180, 365}[g.rnd.IntN(8)]
	switch pl.typ {
	case events.Amended:
		e.from, e.effect = eff, string(pl.effect)
		e.texts = pl.effect == events.Substitution || pl.effect == events.Insertion
	case events.Corrigendum:
		e.texts = true
		e.gazette = p.j.gazette + " No. " + strconv.Itoa(1+g.rnd.IntN(300))
	case events.Commenced, events.Repealed:
		e.from = eff
	case events.Expired:
		e.from = eff
	case events.Annulled:
		e.from, e.reason = eff, g.reason(events.Annulled)
	case events.Suspended:
		e.from, e.reason = eff, g.reason(events.Suspended)
		if g.rnd.IntN(10) < 4 {
			e.to = eff + 90 + g.rnd.IntN(900)
		} else {
			p.suspFrom = eff
			p.suspProv = ""
			if len(pl.provisions) > 0 {
				p.suspProv = pl.provisions[0]
			}
		}
	case events.SuspensionLifted:
		e.from = max(eff, p.suspFrom)
		p.suspFrom = 0
	case events.RecordCorrected:
		e.corrects = g.eventID(p.lastEvent)
		e.correction = `{"body":{"note":"the gazette number was misprinted in the original record"}}`
		e.reason = "a clerk's typing error, found on review"
	}
	i := g.write(&e)
	if i < 0 {
		return
	}
	p.last, p.lastEvent, p.lastRec = d, i, pl.typ == events.RecordCorrected
	p.left--
	if pl.typ == p.ending && len(pl.provisions) == 0 {
		p.left = 0
	}
}
