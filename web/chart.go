package web

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// The chart's geometry, in SVG user units: a row label column on the left,
// then the time axis.
const (
	chartWidth     = 960.0
	plotLeft       = 132.0
	plotRight      = 944.0
	laneHeight     = 44.0 // a lane of markers, with two rows of labels
	actRowHeight   = 30.0
	provRowHeight  = 24.0
	maxChartRows   = 40 // provisions drawn; the rest are in the table
	labelCharWidth = 6.8
)

// chart is an act's timeline as an SVG picture: the act's status bands,
// each provision's bands, markers of its events, and the day asked.
type chart struct {
	Width, Height float64
	Rows          []chartRow
	Lanes         []chartLane
	Ticks         []tick
	Grid          []tick
	AxisY         float64
	Top, Bottom   float64 // of the rows, for the cursor and the uncertain spans
	Cursor        cursor
	Uncertain     []span
	Hidden        int // provisions not drawn
	Legend        []legendItem
	Desc          string
}

type chartRow struct {
	Label  string
	Y, H   float64
	LabelY float64
	Bands  []band
}

type band struct {
	X, W    float64
	Y, H    float64
	LabelY  float64
	Class   string
	Pattern string // hatch, cross or none
	Label   string
	LabelX  float64
	Title   string
}

type chartLane struct {
	Label   string
	Y       float64
	LabelY  float64
	Markers []marker
}

type marker struct {
	X, Y      float64
	Shape     string
	Points    string // of a polygon
	Path      string // of a cross
	Label     string
	LabelX    float64
	LabelY    float64
	LabelSide string // text-anchor
	Title     string
}

type tick struct {
	X     float64
	Label string
}

type cursor struct {
	X, LabelX float64
	Anchor    string
	Label     string
}

type span struct {
	X, W  float64
	Title string
}

type legendItem struct {
	Class, Pattern, Shape, Label string
}

// scale maps days onto the plot.
type scale struct{ from, to events.DayNum }

func (s scale) x(d events.DayNum) float64 {
	d = max(s.from, min(s.to, d))
	return plotLeft + float64(d-s.from)/float64(s.to-s.from)*(plotRight-plotLeft)
}

func jan1(year int) events.DayNum {
	return events.MustDate(fmt.Sprintf("%04d", max(events.MinYear, min(events.MaxYear, year)))).Earliest()
}

// domain spans the act's dates and the day asked, from the first of
// January of the earliest to a year past the latest.
func domain(tl projections.Timeline, evs []events.Event, made []projections.MadeAmendment, asOf events.Date) scale {
	lo, hi := asOf.Earliest(), asOf.Earliest()
	see := func(d events.Date) {
		if !d.IsZero() {
			lo, hi = min(lo, d.Earliest()), max(hi, d.Latest())
		}
	}
	for _, iv := range tl.Intervals {
		see(iv.From)
		see(iv.To)
	}
	for i := range evs {
		see(evs[i].Date)
		see(evs[i].EffectiveFrom)
		see(evs[i].EffectiveTo)
	}
	for _, m := range made {
		see(m.EffectiveFrom)
	}
	return scale{from: jan1(lo.Date().Year - 1), to: jan1(hi.Date().Year + 2)}
}

// buildChart draws the timeline tl as known, with the markers of the
// effective events evs and of the amendments the act made, and a cursor on
// asOf.
func buildChart(tl projections.Timeline, evs []events.Event, made []projections.MadeAmendment, asOf events.Date) chart {
	sc := domain(tl, evs, made, asOf)
	c := chart{Width: chartWidth}
	y := 26.0
	c.Top = y
	procedure := chartLane{Label: "Procedure", Y: y, LabelY: y + 16}
	changes := chartLane{Label: "Changes", Y: y + laneHeight, LabelY: y + laneHeight + 16}
	shapes := map[string]string{}
	for i := range evs {
		e := &evs[i]
		spec, ok := events.SpecOf(e.Type)
		if !ok || spec.Group == events.Record {
			continue
		}
		m := marker{Label: words(string(e.Type)), Title: eventTitle(e)}
		d := e.Date
		if spec.Group == events.Procedure {
			m.Shape = "diamond"
			procedure.Markers = append(procedure.Markers, place(m, sc, d, procedure.Y))
			shapes["diamond"] = "procedure step"
			continue
		}
		if !e.EffectiveFrom.IsZero() {
			d = e.EffectiveFrom
		}
		switch e.Type {
		case events.Commenced, events.CommencementPostponed, events.Reenacted, events.SuspensionLifted:
			m.Shape = "up"
			shapes["up"] = "in force, or resumed"
		case events.Suspended:
			m.Shape = "down"
			shapes["down"] = "suspended"
		case events.Repealed, events.Expired, events.Annulled:
			m.Shape = "cross"
			shapes["cross"] = "repealed, expired or annulled"
		case events.Amended:
			m.Shape, m.Label = "circle", "amended"
			shapes["circle"] = "amended by another act (in)"
			if e.Body.Effect == events.Repeal {
				m.Shape, m.Label = "cross", "repeal"
				shapes["cross"] = "repealed, expired or annulled"
			}
		default:
			m.Shape = "dot"
			shapes["dot"] = "correction of the text"
		}
		changes.Markers = append(changes.Markers, place(m, sc, d, changes.Y))
	}
	for _, a := range made {
		m := marker{Shape: "square", Label: "amends", Title: fmt.Sprintf("amends %s (%s%s) from %s", a.Target, effectWords(a.Effect), provisionsNote(a.Provisions), a.EffectiveFrom)}
		changes.Markers = append(changes.Markers, place(m, sc, a.EffectiveFrom, changes.Y))
		shapes["square"] = "amends another act (out)"
	}
	for _, l := range []*chartLane{&procedure, &changes} {
		dodge(l.Markers)
		layoutLabels(l.Markers)
	}
	c.Lanes = []chartLane{procedure, changes}
	y += 2 * laneHeight

	statuses := map[string]bool{}
	act := chartRow{Label: "Act", Y: y, H: actRowHeight, LabelY: y + actRowHeight/2 + 4}
	var desc []string
	for _, iv := range tl.Intervals {
		label := statusLabel(iv.Status)
		b := makeBand(sc, iv.From, iv.To, "st-"+string(iv.Status), label, y, actRowHeight)
		b.Title = fmt.Sprintf("%s: %s. %s", label, intervalWords(iv.From, iv.To), iv.Reason)
		b.Pattern = statusPattern(string(iv.Status))
		act.Bands = append(act.Bands, b)
		statuses["st-"+string(iv.Status)] = true
		desc = append(desc, label+" "+intervalWords(iv.From, iv.To))
	}
	c.Rows = append(c.Rows, act)
	y += actRowHeight + 6
	eids := sortedKeys(tl.Provisions)
	if len(eids) > maxChartRows {
		c.Hidden = len(eids) - maxChartRows
		eids = eids[:maxChartRows]
	}
	for _, eid := range eids {
		row := chartRow{Label: clip(eid, 17), Y: y, H: provRowHeight - 4, LabelY: y + provRowHeight/2 + 2}
		for _, iv := range tl.Provisions[eid] {
			label := provisionLabel(iv.Status)
			b := makeBand(sc, iv.From, iv.To, "ps-"+iv.Status, label, y, provRowHeight-4)
			b.Title = fmt.Sprintf("%s, %s: %s", eid, label, intervalWords(iv.From, iv.To))
			b.Pattern = statusPattern(iv.Status)
			row.Bands = append(row.Bands, b)
			statuses["ps-"+iv.Status] = true
		}
		c.Rows = append(c.Rows, row)
		y += provRowHeight
	}
	c.Bottom = y
	c.AxisY = y + 4
	c.Height = c.AxisY + 40

	// Ticks: whole years, at most about a dozen.
	y0, y1 := sc.from.Date().Year, sc.to.Date().Year
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 500} {
		step = s
		if (y1-y0)/s <= 12 {
			break
		}
	}
	for yr := y0; yr <= y1; yr++ {
		if yr%step == 0 {
			c.Ticks = append(c.Ticks, tick{X: sc.x(jan1(yr)), Label: fmt.Sprint(yr)})
		}
	}
	c.Cursor = cursor{X: sc.x(asOf.Earliest()), Label: "as of " + asOf.String()}
	c.Cursor.LabelX, c.Cursor.Anchor = c.Cursor.X+4, "start"
	if c.Cursor.X > plotRight-110 {
		c.Cursor.LabelX, c.Cursor.Anchor = c.Cursor.X-4, "end"
	}
	seen := map[events.Date]bool{}
	unsure := func(d events.Date) {
		if !d.IsZero() && d.Precision() != events.Day && !seen[d] {
			seen[d] = true
			x0, x1 := sc.x(d.Earliest()), sc.x(d.Latest()+1)
			c.Uncertain = append(c.Uncertain, span{X: x0, W: max(x1-x0, 2), Title: d.String() + ": " + precisionNote(d) + "; answers about a day inside it are uncertain"})
		}
	}
	for _, iv := range tl.Intervals {
		unsure(iv.From)
		unsure(iv.To)
	}
	for _, eid := range eids {
		for _, iv := range tl.Provisions[eid] {
			unsure(iv.From)
			unsure(iv.To)
		}
	}
	for _, st := range projections.Statuses {
		if statuses["st-"+string(st)] {
			c.Legend = append(c.Legend, legendItem{Class: "st-" + string(st), Pattern: statusPattern(string(st)), Label: "act " + statusLabel(st)})
		}
	}
	for _, st := range []string{projections.ProvisionInForce, projections.ProvisionSuspended, projections.ProvisionNotInForce} {
		if statuses["ps-"+st] {
			c.Legend = append(c.Legend, legendItem{Class: "ps-" + st, Pattern: statusPattern(st), Label: "provision " + provisionLabel(st)})
		}
	}
	for _, sh := range []string{"diamond", "up", "down", "circle", "square", "cross", "dot"} {
		if l, ok := shapes[sh]; ok {
			c.Legend = append(c.Legend, legendItem{Shape: sh, Label: l})
		}
	}
	if len(c.Uncertain) > 0 {
		c.Legend = append(c.Legend, legendItem{Shape: "uncertain", Label: "date known only to the month or year"})
	}
	c.Desc = "The act's status over time: " + strings.Join(desc, "; ") + ". The table below the chart lists the same intervals."
	return c
}

// makeBand draws [from, to) on a row; zero bounds reach the plot's edges.
func makeBand(sc scale, from, to events.Date, class, label string, y, h float64) band {
	x0, x1 := plotLeft, plotRight
	if !from.IsZero() {
		x0 = sc.x(from.Earliest())
	}
	if !to.IsZero() {
		x1 = sc.x(to.Earliest())
	}
	b := band{X: x0, W: max(x1-x0, 1), Y: y, H: h, LabelY: y + h/2 + 4, Class: class}
	for _, l := range []string{label, shortLabels[label]} {
		if l != "" && textWidth(l)+8 <= b.W {
			b.Label, b.LabelX = l, x0+4
			break
		}
	}
	return b
}

// shortLabels are labels for narrow bands.
var shortLabels = map[string]string{
	"adopted, not in force": "adopted",
	"in force, suspended":   "susp.",
	"suspended":             "susp.",
	"partially in force":    "partly",
	"not in force":          "not",
	"not adopted":           "not",
	"in force":              "in",
}

// statusPattern is the texture of a status, so that it is told by more
// than its colour.
func statusPattern(st string) string {
	switch st {
	case string(projections.Suspended), projections.ProvisionSuspended:
		return "hatch"
	case string(projections.Repealed), string(projections.Expired), string(projections.Annulled):
		return "cross"
	case string(projections.NotAdopted), projections.ProvisionNotInForce:
		return "dots"
	}
	return ""
}

func textWidth(s string) float64 { return float64(len([]rune(s))) * labelCharWidth }

// place positions a marker of day d in a lane at y.
func place(m marker, sc scale, d events.Date, y float64) marker {
	m.X, m.Y = sc.x(d.Earliest()), y+10
	return m
}

// markerGap is the least distance between two markers of a lane.
const markerGap = 11.0

// dodge sorts a lane's markers by day and moves those that would cover
// another to its right, then draws their shapes. A marker's tooltip, and
// the events table, keep its exact date.
func dodge(ms []marker) {
	slices.SortStableFunc(ms, func(a, b marker) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
	for i := range ms {
		if i > 0 && ms[i].X-ms[i-1].X < markerGap {
			ms[i].X = ms[i-1].X + markerGap
		}
		draw(&ms[i])
	}
}

// draw computes a marker's shape around its centre.
func draw(m *marker) {
	x, cy, r := m.X, m.Y, 6.0
	switch m.Shape {
	case "diamond":
		m.Points = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", x, cy-r, x+r, cy, x, cy+r, x-r, cy)
	case "up":
		m.Points = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f", x, cy-r, x+r, cy+r, x-r, cy+r)
	case "down":
		m.Points = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f", x-r, cy-r, x+r, cy-r, x, cy+r)
	case "square":
		r = 5
		m.Points = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", x-r, cy-r, x+r, cy-r, x+r, cy+r, x-r, cy+r)
	case "cross":
		m.Path = fmt.Sprintf("M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f", x-r, cy-r, x+r, cy+r, x+r, cy-r, x-r, cy+r)
	}
}

// layoutLabels keeps the labels of markers that fit on one of two lines
// under their lane, in day order; the others keep only their tooltip (the
// events table says the rest).
func layoutLabels(ms []marker) {
	end := [2]float64{plotLeft - 100, plotLeft - 100}
	for i := range ms {
		m := &ms[i]
		w := textWidth(m.Label)
		x := min(max(m.X, plotLeft+w/2), plotRight-w/2)
		line := -1
		for l := range end {
			if x-w/2 >= end[l]+6 {
				line = l
				break
			}
		}
		if line < 0 {
			m.Label = ""
			continue
		}
		end[line] = x + w/2
		m.LabelX, m.LabelY, m.LabelSide = x, m.Y+19+float64(line)*12, "middle"
	}
}

func eventTitle(e *events.Event) string {
	var b strings.Builder
	b.WriteString(words(string(e.Type)))
	b.WriteString(" on ")
	b.WriteString(e.Date.String())
	if !e.EffectiveFrom.IsZero() {
		b.WriteString(", with effect from " + e.EffectiveFrom.String())
	}
	if !e.EffectiveTo.IsZero() {
		b.WriteString(" to " + e.EffectiveTo.String())
	}
	b.WriteString(provisionsNote(e.Provisions))
	if e.Instrument != "" {
		b.WriteString(", by " + string(e.Instrument))
	}
	return b.String()
}

func provisionsNote(p []string) string {
	if len(p) == 0 {
		return ""
	}
	return ", " + strings.Join(p, ", ")
}

// intervalWords says [from, to) in words.
func intervalWords(from, to events.Date) string {
	switch {
	case from.IsZero() && to.IsZero():
		return "always"
	case from.IsZero():
		return "until " + to.String()
	case to.IsZero():
		return "from " + from.String()
	}
	return "from " + from.String() + " to " + to.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
