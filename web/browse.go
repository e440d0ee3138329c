package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// pageSize is how many acts a page lists.
const pageSize = 100

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// browsePage is the home page: acts of a filter on a day.
type browsePage struct {
	page
	Q, AsOf, KnownAt          string
	Countries, Kinds, Status  []option
	Acts                      []actRow
	Total, From, To, PageNo   int
	Prev, Next                string
	Jurisdictions             []jurisdictionLink
	Empty                     bool // nothing recorded yet
	Filtered                  bool
	Country, Kind, StatusWant string
}

type actRow struct {
	Act     events.ActID
	URL     string
	Title   string
	Kind    string
	Country string
	Status  string
	Label   string
	Reason  string
	Unsure  bool
}

type jurisdictionLink struct {
	Country string
	URL     string
	Acts    int
}

func (s *Server) browse(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	params, err := s.params(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	asOf, knownAt, f, pageNo := params.AsOf, params.KnownAt, params.Filter, params.Page
	var (
		all     []projections.ActState
		counts  map[string]int
		rowsNow []projections.ActState
		total   int
		seq     uint64
	)
	needle := strings.ToLower(strings.TrimSpace(q.Get("q")))
	query := projections.Query{AsOf: asOf, KnownAt: knownAt}
	s.p.Read(func(p *projections.Projection) {
		seq = p.LastSeq()
		if err = p.CheckKnownAt(knownAt); err != nil {
			return
		}
		if needle == "" {
			// Without a search, the page's acts are the only ones
			// rendered: the counts come from the indexes, the filter
			// from each act's spans (projections.ListRange).
			counts = p.CountByCountry(knownAt)
			rowsNow, total, err = p.ListRange(f, query, (pageNo-1)*pageSize, pageNo*pageSize)
			return
		}
		// A search reads every act's title.
		all, err = p.List(projections.Filter{}, query)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := browsePage{page: s.page(r, "Acts as of "+asOf.String(), "acts"), Q: q.Get("q"), AsOf: asOf.String(),
		KnownAt: knownAtValue(q.Get("known_at"), knownAt),
		Country: f.Country, Kind: string(f.Kind), StatusWant: string(f.Status)}
	// Every jurisdiction's count is on the page: every event may change it.
	v.Seq, v.Live = seq, link("/ui/events", "known_at", v.KnownAt)
	v.Filtered = v.Q != "" || f.Country != "" || f.Kind != "" || f.Status != ""
	row := func(a projections.ActState) actRow {
		return actRow{Act: a.Act, URL: link("/ui/act", "act", string(a.Act), "as_of", v.AsOf, "known_at", v.KnownAt),
			Title: a.Title, Kind: words(string(a.Kind)), Country: a.Country, Status: string(a.Status), Label: statusLabel(a.Status),
			Reason: a.Reason, Unsure: len(a.Uncertain) > 0}
	}
	var rows []actRow
	if needle == "" {
		for _, a := range rowsNow {
			rows = append(rows, row(a))
		}
	} else {
		counts = map[string]int{}
	}
	for _, a := range all {
		counts[a.Country]++
		if (f.Country != "" && a.Country != f.Country) || (f.Kind != "" && a.Kind != f.Kind) || (f.Status != "" && a.Status != f.Status) {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(a.Title), needle) && !strings.Contains(string(a.Act), needle) {
			continue
		}
		rows = append(rows, row(a))
	}
	v.PageNo = pageNo
	if needle == "" {
		// rows is the page already.
		v.Total = total
		v.From = min((pageNo-1)*pageSize, total)
		v.To = v.From + len(rows)
		v.Acts = rows
	} else {
		v.Total = len(rows)
		v.From = min((pageNo-1)*pageSize, len(rows))
		v.To = min(v.From+pageSize, len(rows))
		v.Acts = rows[v.From:v.To]
	}
	v.From++
	args := []string{"q", v.Q, "country", f.Country, "kind", string(f.Kind), "status", string(f.Status), "as_of", v.AsOf, "known_at", v.KnownAt}
	if pageNo > 1 {
		v.Prev = link("/", append(args, "page", strconv.Itoa(pageNo-1))...)
	}
	if v.To < v.Total {
		v.Next = link("/", append(args, "page", strconv.Itoa(pageNo+1))...)
	}
	v.Empty = len(counts) == 0 // no act known then
	v.Countries = []option{{Value: "", Label: "every jurisdiction"}}
	for _, c := range sortedKeys(counts) {
		v.Countries = append(v.Countries, option{Value: c, Label: c, Selected: c == f.Country})
		v.Jurisdictions = append(v.Jurisdictions, jurisdictionLink{Country: c, Acts: counts[c],
			URL: link("/ui/jurisdiction", "country", c, "as_of", v.AsOf, "known_at", v.KnownAt)})
	}
	if f.Country != "" && counts[f.Country] == 0 {
		v.Countries = append(v.Countries, option{Value: f.Country, Label: f.Country, Selected: true})
	}
	v.Kinds = []option{{Value: "", Label: "every kind"}}
	for _, k := range events.Kinds {
		v.Kinds = append(v.Kinds, option{Value: string(k.Kind), Label: words(string(k.Kind)), Selected: k.Kind == f.Kind})
	}
	v.Status = []option{{Value: "", Label: "any status"}}
	for _, st := range projections.Statuses {
		v.Status = append(v.Status, option{Value: string(st), Label: statusLabel(st), Selected: st == f.Status})
	}
	s.render(w, r, http.StatusOK, "browse", v, seq)
}

// yearBefore is the same day a year earlier (29 February: 1 March).
func yearBefore(d events.Date) events.Date {
	if d.Year <= events.MinYear {
		return d
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).AddDate(-1, 0, 0)
	return events.MustDate(t.Format(time.DateOnly))
}
