package bench

import (
	"container/heap"
	"context"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/oklog/ulid/v2"
)

// The parameters of the realistic shape (GenerateRealistic). docs and
// BENCHMARKS.md quote them.
const (
	// RealisticFrom and RealisticTo bound the legal dates of the acts'
	// adoptions; commencements and effects run up to a year past To.
	RealisticFrom = "1826-01-01"
	RealisticTo   = "2025-12-31"
	// MaxActEvents bounds the events of one act.
	MaxActEvents = 1000
	// extraAlpha is the exponent of the Pareto tail of the events an act
	// gets after its own procedure: P(X >= x) = x^-extraAlpha for the acts
	// that get any.
	extraAlpha = 0.9
	// extraShare is the share of the acts that become law and get any
	// event after their procedure (amendments, commencements, ...).
	extraShare = 0.6
	// maxPerYear bounds the effects on one act in a year of its life.
	maxPerYear = 40
	// maxDue bounds the acts one step of the generator touches besides its
	// new act: the acts one amending act amends at most.
	maxDue = 16
)

// GenerateRealistic writes o.Events events of a generated statute book as
// JSON Lines to w, one Write call per event, deterministically for o.Seed.
//
// The book grows through time: each step adopts a new act in one of five
// jurisdictions (kz, uk, fr, de, us, with their Akoma Ntoso act ids) at a
// date that advances from 1826 to 2025 as the events are written, more acts
// a year as the years go by. An act goes through its procedure (drafted,
// introduced, passed, adopted, signed, published, commenced; a bill may be
// rejected, withdrawn or lapse; a decree is adopted when issued; a treaty is
// ratified or acceded to), then gets a number of later events drawn from a
// heavy tail (most acts none or a few, a few codes hundreds, at most
// MaxActEvents in all) spread over its life: amendments of its provisions
// by later acts of its jurisdiction (each amended event names the amending
// act, recorded before it, whose summary names the acts and provisions it
// amends), commencements of provisions, suspensions and their lifting,
// partial repeals, corrigenda, corrections of the record, and at the end a
// repeal, expiry or annulment for some. Every event keeps the ledger's
// lifecycle rules, so an import of the book is refused nowhere.
//
// Memory is bounded by the acts that still expect events (a heap of small
// records), not by the events written.
func GenerateRealistic(ctx context.Context, w io.Writer, o GenOptions) error {
	g := newBook(w, o)
	for g.written < o.Events {
		if g.written-g.reported >= progressEvery || g.written == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if o.Progress != nil && g.written > 0 {
				o.Progress(g.written)
			}
			g.reported = g.written
		}
		g.step()
		if g.err != nil {
			return g.err
		}
	}
	if o.Progress != nil {
		o.Progress(g.written)
	}
	return nil
}

// book is the generator's state.
type book struct {
	w        io.Writer
	rnd      *rand.Rand
	seed     uint64
	n        int // events to write
	written  int
	reported int
	err      error
	buf      []byte
	from, to int // days since 1826-01-01 of RealisticFrom and RealisticTo
	lastNow  int
	juris    []*jurisdiction
	due      dueHeap
	seq      int // acts made, for the heap's order
	// scratch, reused by each step
	popped []*live
	plans  []plan
}

// jurisdiction is one country's numbering and vocabulary.
type jurisdiction struct {
	code     string
	weight   int
	yearOnly bool                   // its act ids carry the year only (uk, us)
	subtypes map[events.Kind]string // the id's subtype per kind ("" for none)
	label    map[events.Kind]string // how a title names the kind
	chamber  [2]string
	head     string // who signs
	gazette  string
	drafter  string
	prov     string // "art" or "sec"
	sub      string // the level below: "para" or "subsec"
	year     int    // the year of number
	number   int    // the last act number of that year
	recent   []instrument
	nrecent  int
}

// instrument is a recent act able to amend others.
type instrument struct {
	id      string
	adopted int
}

// live is an act that still expects events.
type live struct {
	id        string
	j         *jurisdiction
	kind      events.Kind
	due       int // day of its next event
	last      int // day of its last event
	lastEvent int // the index of its last event in the book
	lastRec   bool
	left      int     // events still to come
	gap       float64 // mean days between them
	articles  int
	inserted  int
	ending    events.Type // its last event, or ""
	staged    bool        // commenced in part: the rest commences next
	suspFrom  int         // an open suspension since this day (0: none)
	suspProv  string
	seq       int
}

// plan is one event decided for a live act in a step.
type plan struct {
	a          *live
	typ        events.Type
	instrument string
	provisions []string
	effect     events.AmendmentEffect
}

var epoch = time.Date(1826, 1, 1, 0, 0, 0, 0, time.UTC)

func dayOf(s string) int {
	t, _ := time.Parse(time.DateOnly, s)
	return int(t.Sub(epoch).Hours() / 24)
}

func newBook(w io.Writer, o GenOptions) *book {
	g := &book{w: w, seed: o.Seed, n: o.Events, rnd: rand.New(rand.NewPCG(o.Seed, 0x1e9e1ed9e5)),
		from: dayOf(RealisticFrom), to: dayOf(RealisticTo), buf: make([]byte, 0, 2048)}
	g.juris = jurisdictions()
	return g
}

func jurisdictions() []*jurisdiction {
	return []*jurisdiction{
		{code: "kz", weight: 2, subtypes: map[events.Kind]string{events.CodeKind: "code", events.Decree: "decree", events.Regulation: "resolution", events.CourtResolution: "resolution", events.Programme: "programme", events.Concept: "concept", events.Treaty: "treaty", events.Institution: "decree"},
			label:   map[events.Kind]string{events.Law: "Law of the Republic of Kazakhstan", events.CodeKind: "Code of the Republic of Kazakhstan", events.Decree: "Decree of the President", events.Regulation: "Resolution of the Government", events.CourtResolution: "Normative Resolution of the Supreme Court", events.Programme: "State Programme", events.Concept: "Concept", events.Treaty: "Agreement", events.Institution: "Decree establishing the office of"},
			chamber: [2]string{"Mazhilis", "Senate"}, head: "President", gazette: "Kazakhstanskaya Pravda", drafter: "Ministry of Justice", prov: "art", sub: "para"},
		{code: "uk", weight: 3, yearOnly: true, subtypes: map[events.Kind]string{events.Law: "ukpga", events.CodeKind: "ukpga", events.Decree: "uksi", events.Regulation: "uksi", events.CourtResolution: "uksi", events.Programme: "uksi", events.Concept: "uksi", events.Treaty: "ukts", events.Institution: "ukpga"},
			label:   map[events.Kind]string{events.Law: "Act", events.CodeKind: "Consolidation Act", events.Decree: "Order in Council", events.Regulation: "Regulations", events.CourtResolution: "Practice Direction", events.Programme: "Scheme", events.Concept: "Framework", events.Treaty: "Treaty", events.Institution: "Commissioner Act"},
			chamber: [2]string{"House of Commons", "House of Lords"}, head: "the Sovereign (Royal Assent)", gazette: "The London Gazette", drafter: "Office of the Parliamentary Counsel", prov: "sec", sub: "subsec"},
		{code: "fr", weight: 3, subtypes: map[events.Kind]string{events.Law: "loi", events.CodeKind: "code", events.Decree: "decret", events.Regulation: "arrete", events.CourtResolution: "decision", events.Programme: "decret", events.Concept: "circulaire", events.Treaty: "traite", events.Institution: "loi"},
			label:   map[events.Kind]string{events.Law: "Loi", events.CodeKind: "Code", events.Decree: "Décret", events.Regulation: "Arrêté", events.CourtResolution: "Décision du Conseil d'État", events.Programme: "Plan national", events.Concept: "Circulaire", events.Treaty: "Traité", events.Institution: "Loi instituant"},
			chamber: [2]string{"Assemblée nationale", "Sénat"}, head: "Président de la République", gazette: "Journal officiel", drafter: "Ministère de la Justice", prov: "art", sub: "para"},
		{code: "de", weight: 3, subtypes: map[events.Kind]string{events.Law: "gesetz", events.CodeKind: "gesetzbuch", events.Decree: "verordnung", events.Regulation: "verordnung", events.CourtResolution: "beschluss", events.Programme: "programm", events.Concept: "konzept", events.Treaty: "vertrag", events.Institution: "gesetz"},
			label:   map[events.Kind]string{events.Law: "Gesetz", events.CodeKind: "Gesetzbuch", events.Decree: "Verordnung", events.Regulation: "Verwaltungsvorschrift", events.CourtResolution: "Beschluss", events.Programme: "Programm", events.Concept: "Konzept", events.Treaty: "Vertrag", events.Institution: "Gesetz über"},
			chamber: [2]string{"Bundestag", "Bundesrat"}, head: "Bundespräsident", gazette: "Bundesgesetzblatt", drafter: "Bundesministerium der Justiz", prov: "art", sub: "para"},
		{code: "us", weight: 3, yearOnly: true, subtypes: map[events.Kind]string{events.Law: "pl", events.CodeKind: "usc", events.Decree: "eo", events.Regulation: "cfr", events.CourtResolution: "rule", events.Programme: "eo", events.Concept: "eo", events.Treaty: "treaty", events.Institution: "pl"},
			label:   map[events.Kind]string{events.Law: "Public Law", events.CodeKind: "Title of the United States Code", events.Decree: "Executive Order", events.Regulation: "Federal Regulation", events.CourtResolution: "Rule of the Supreme Court", events.Programme: "Program", events.Concept: "Policy Directive", events.Treaty: "Treaty", events.Institution: "Act establishing the Office of"},
			chamber: [2]string{"House of Representatives", "Senate"}, head: "President", gazette: "Federal Register", drafter: "Office of the Law Revision Counsel", prov: "sec", sub: "subsec"},
	}
}

var topics = []string{
	"the administration of justice", "criminal procedure", "civil procedure", "refugees", "the prevention of domestic violence",
	"taxation", "customs", "public health", "education", "the protection of personal data", "local government",
	"the judiciary", "elections", "banking", "insurance", "labour", "social security", "pensions", "land", "water",
	"forests", "mining", "energy", "railways", "roads", "civil aviation", "shipping", "telecommunications", "broadcasting",
	"the press", "copyright", "patents", "trade marks", "competition", "consumer protection", "companies", "insolvency",
	"public procurement", "the civil service", "the police", "the armed forces", "state secrets", "citizenship",
	"migration", "the ombudsman", "prisons", "probation", "juries", "notaries", "advocates", "archives", "museums",
	"agriculture", "fisheries", "veterinary medicine", "food safety", "medicines", "the environment", "waste", "housing",
}

// now is the day of the step: it advances with the events written, the
// square root of their share, so that the later years hold more acts.
func (g *book) now() int {
	d := g.from + int(math.Sqrt(float64(g.written)/float64(g.n))*float64(g.to-g.from))
	d = max(d, g.lastNow)
	g.lastNow = d
	return d
}

func (g *book) pickJurisdiction() *jurisdiction {
	total := 0
	for _, j := range g.juris {
		total += j.weight
	}
	r := g.rnd.IntN(total)
	for _, j := range g.juris {
		if r < j.weight {
			return j
		}
		r -= j.weight
	}
	return g.juris[0]
}

// extras draws how many events an act gets after its procedure: none for
// 1-extraShare of them, else a Pareto tail.
func (g *book) extras() int {
	if g.rnd.Float64() >= extraShare {
		return 0
	}
	x := math.Pow(1-g.rnd.Float64(), -1/extraAlpha) // >= 1
	if x > MaxActEvents {
		return MaxActEvents
	}
	return int(x)
}

// kindFor picks an act's kind, codes for the heavily amended ones.
func (g *book) kindFor(x int) events.Kind {
	if x >= 60 {
		if g.rnd.IntN(4) > 0 {
			return events.CodeKind
		}
		return events.Law
	}
	r := g.rnd.IntN(100)
	switch {
	case r < 46:
		return events.Law
	case r < 64:
		return events.Decree
	case r < 80:
		return events.Regulation
	case r < 84:
		return events.CourtResolution
	case r < 89:
		return events.Programme
	case r < 92:
		return events.Concept
	case r < 97:
		return events.Treaty
	case r < 98:
		return events.Institution
	}
	return events.CodeKind
}

// step adopts one new act and writes the events due on earlier ones.
func (g *book) step() {
	now := g.now()
	g.popped = g.popped[:0]
	for len(g.due) > 0 && g.due[0].due <= now && len(g.popped) < maxDue {
		g.popped = append(g.popped, heap.Pop(&g.due).(*live))
	}

	j := g.pickJurisdiction()
	x := g.extras()
	kind := g.kindFor(x)
	passage := events.HasPassage(kind)
	fails := passage && g.rnd.IntN(100) < 6
	if fails {
		x = 0
	}
	if j.year != yearOf(now) {
		j.year, j.number = yearOf(now), 0
	}
	j.number++
	a := &live{id: g.actID(j, kind, now), j: j, kind: kind, seq: g.seq, articles: g.articlesFor(kind, x)}
	g.seq++
	amends := !fails && (kind == events.Law || kind == events.CodeKind || kind == events.Decree || kind == events.Regulation)

	// Decide the events due on earlier acts, so that the new act's summary
	// can name what it amends.
	g.plans = g.plans[:0]
	for _, p := range g.popped {
		g.plans = append(g.plans, g.decide(p, now, a, j, amends))
	}
	g.writeProcedure(a, now, fails, x)
	if amends && g.err == nil {
		j.remember(instrument{id: a.id, adopted: now})
	}
	for i := range g.plans {
		g.writePlanned(&g.plans[i], now)
	}
	for _, p := range g.popped {
		if p.left > 0 {
			g.schedule(p)
		}
	}
}

func yearOf(day int) int { return epoch.AddDate(0, 0, day).Year() }

func (j *jurisdiction) remember(in instrument) {
	const keep = 24
	if len(j.recent) < keep {
		j.recent = append(j.recent, in)
	} else {
		j.recent[j.nrecent%keep] = in
	}
	j.nrecent++
}

// actID is the Akoma Ntoso work id of a new act of j adopted on day.
func (g *book) actID(j *jurisdiction, kind events.Kind, day int) string {
	b := make([]byte, 0, 48)
	b = append(b, "/akn/"...)
	b = append(b, j.code...)
	b = append(b, "/act/"...)
	if s := j.subtypes[kind]; s != "" {
		b = append(b, s...)
		b = append(b, '/')
	}
	if j.yearOnly {
		b = strconv.AppendInt(b, int64(j.year), 10)
	} else {
		b = appendDate(b, day)
	}
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(j.number), 10)
	if j.code == "kz" {
		// Kazakh laws are numbered within a convocation of parliament:
		// Law No. 216-IV. (This also keeps them apart from the
		// benchmark's own acts, /akn/kz/act/2003-02-10/N.)
		b = append(b, '-')
		b = append(b, convocation(j.year)...)
	}
	return string(b)
}

// convocation names the convocation of Kazakhstan's parliament in a year,
// in lower-case Roman numerals, and "ks" (the Kazakh SSR) before 1995.
func convocation(year int) string {
	romans := []string{"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"}
	if year < 1995 {
		return "ks"
	}
	return romans[min(len(romans)-1, (year-1995)/4)]
}

func (g *book) articlesFor(kind events.Kind, x int) int {
	switch {
	case kind == events.CodeKind:
		return 150 + g.rnd.IntN(700)
	case x > 20:
		return 40 + g.rnd.IntN(160)
	}
	return 3 + g.rnd.IntN(40)
}

// decide picks the next event of p, due on day now; the new act a of
// jurisdiction j may be its instrument when amends is set.
func (g *book) decide(p *live, now int, a *live, j *jurisdiction, amends bool) plan {
	pl := plan{a: p}
	instrumentFor := func() string {
		if amends && p.j == j && g.rnd.IntN(3) > 0 {
			return a.id
		}
		if n := len(p.j.recent); n > 0 {
			in := p.j.recent[g.rnd.IntN(n)]
			if in.id != p.id && in.adopted <= now {
				return in.id
			}
		}
		return ""
	}
	switch {
	case p.staged:
		pl.typ = events.Commenced
		p.staged = false
		return pl
	case p.suspFrom > 0 && g.rnd.IntN(2) == 0:
		pl.typ = events.SuspensionLifted
		if p.suspProv != "" {
			pl.provisions = []string{p.suspProv}
		}
		return pl
	case p.left == 1 && p.ending != "":
		pl.typ = p.ending
		if p.ending == events.Repealed || p.ending == events.Annulled {
			pl.instrument = instrumentFor()
		}
		return pl
	}
	r := g.rnd.IntN(100)
	switch {
	case r < 80:
		if pl.instrument = instrumentFor(); pl.instrument == "" {
			pl.typ = events.Corrigendum
			pl.provisions = g.provisions(p, 1)
			return pl
		}
		pl.typ = events.Amended
		switch e := g.rnd.IntN(100); {
		case e < 62:
			pl.effect = events.Substitution
			pl.provisions = g.provisions(p, g.howMany())
		case e < 82:
			pl.effect = events.Insertion
			p.inserted++
			pl.provisions = []string{g.inserted(p)}
		case e < 95:
			pl.effect = events.Repeal
			pl.provisions = g.provisions(p, g.howMany())
		default:
			pl.effect = events.Renumbering
			pl.provisions = g.provisions(p, 1)
		}
	case r < 86:
		pl.typ = events.Corrigendum
		pl.provisions = g.provisions(p, 1)
	case r < 89:
		pl.typ = events.Commenced
		pl.provisions = g.provisions(p, g.howMany())
		pl.instrument = instrumentFor()
	case r < 92 && p.suspFrom == 0:
		pl.typ = events.Suspended
		if g.rnd.IntN(2) == 0 {
			pl.provisions = g.provisions(p, 1)
		}
	case r < 97:
		pl.typ = events.Repealed
		pl.provisions = g.provisions(p, g.howMany())
		pl.instrument = instrumentFor()
	default:
		if p.lastRec {
			pl.typ = events.Corrigendum
			pl.provisions = g.provisions(p, 1)
			return pl
		}
		pl.typ = events.RecordCorrected
	}
	return pl
}

func (g *book) howMany() int {
	switch r := g.rnd.IntN(10); {
	case r < 6:
		return 1
	case r < 9:
		return 2 + g.rnd.IntN(2)
	}
	return 4 + g.rnd.IntN(5)
}

// provisions names k distinct provisions of p, some a level down.
func (g *book) provisions(p *live, k int) []string {
	k = min(k, p.articles)
	out := make([]string, 0, k)
	used := make(map[int]bool, k)
	for len(out) < k {
		n := 1 + g.rnd.IntN(p.articles)
		if used[n] {
			continue
		}
		used[n] = true
		eid := p.j.prov + "_" + strconv.Itoa(n)
		if g.rnd.IntN(4) == 0 {
			eid += "__" + p.j.sub + "_" + strconv.Itoa(1+g.rnd.IntN(6))
		}
		out = append(out, eid)
	}
	return out
}

// inserted names a provision inserted after an existing one: art_347-1.
func (g *book) inserted(p *live) string {
	return p.j.prov + "_" + strconv.Itoa(1+g.rnd.IntN(p.articles)) + "-" + strconv.Itoa(1+g.rnd.IntN(3))
}

// schedule puts p back on the heap at its next event.
func (g *book) schedule(p *live) {
	gap := 1 + int(g.rnd.ExpFloat64()*p.gap)
	p.due = max(p.due, p.last) + gap
	heap.Push(&g.due, p)
}

// dueHeap orders live acts by their next event.
type dueHeap []*live

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].seq < h[j].seq
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(*live)) }
func (h *dueHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return p
}

// eventID is the id of the book's i-th event: its time part counts the
// events, its random part comes from the seed, so ids are unique in a book
// and differ between seeds.
func (g *book) eventID(i int) string {
	var u ulid.ULID
	_ = u.SetTime(1_700_000_000_000 + uint64(i))
	var e [10]byte
	binary.BigEndian.PutUint64(e[:8], splitmix(g.seed^uint64(i)*0x9e3779b97f4a7c15))
	binary.BigEndian.PutUint16(e[8:], uint16(splitmix(g.seed+uint64(i))))
	_ = u.SetEntropy(e[:])
	return u.String()
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// appendDate appends day as YYYY-MM-DD.
func appendDate(b []byte, day int) []byte {
	y, m, d := epoch.AddDate(0, 0, day).Date()
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, '-', byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10))
	return b
}
