package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// textDiffPage is the diff view: an act's text on two days compared,
// provision by provision and word by word.
type textDiffPage struct {
	page
	Act              events.ActID
	ActTitle         string
	Country          string
	From, To         string // the form's values
	KnownAt          string
	KnownAtTime      *time.Time
	FromVer, ToVer   string
	NoText           string
	Changes          []changeView
	Links            textDiffLinks
	ReadFrom, ReadTo string
}

type textDiffLinks struct {
	Act, JSON, Jurisdiction string
}

// changeView is one provision changed between the two days.
type changeView struct {
	EID      string
	Label    string // "Article 49", or the eId when it has no number
	Change   string // added, removed, repealed, renumbered, changed
	Formerly string
	Num      []consolidation.WordRun // its number, when it changed
	Heading  []consolidation.WordRun // its heading, when it changed
	Words    []consolidation.WordRun
	By       []noteView
}

func (s *Server) textDiff(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, params, ok := s.actRequest(w, r)
	if !ok {
		return
	}
	var err error
	var from, to events.Date
	if q.Get("from") == "" || q.Get("to") == "" {
		err = events.Errorf(events.CodeInvalid, "give two days to compare the text on: from=YYYY-MM-DD&to=YYYY-MM-DD, such as from=2009-06-30&to=2010-01-01")
	} else if from, err = projections.ParseDay("from", q.Get("from"), events.Date{}); err == nil {
		to, err = projections.ParseDay("to", q.Get("to"), events.Date{})
	}
	if err == nil {
		err = consolidation.CheckDays(from, to)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var (
		seq  uint64
		st   projections.ActState
		diff *consolidation.Difference
		terr error
	)
	s.p.Read(func(p *projections.Projection) {
		seq = p.LastSeq()
		if err = p.CheckKnownAt(params.KnownAt); err != nil {
			return
		}
		if st, err = p.State(id, projections.Query{AsOf: to, KnownAt: params.KnownAt}); err != nil {
			return
		}
		var a, b *consolidation.Text
		if a, terr = p.Text(id, projections.Query{AsOf: from, KnownAt: params.KnownAt}); terr != nil {
			return
		}
		if b, terr = p.Text(id, projections.Query{AsOf: to, KnownAt: params.KnownAt}); terr != nil {
			return
		}
		diff = consolidation.Compare(a, b)
	})
	if err == nil && terr != nil && events.ErrorCode(terr) != events.CodeNotFound {
		err = terr
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := textDiffPage{page: s.page(r, st.Title, "acts"), Act: id, ActTitle: st.Title, Country: st.Country, From: from.String(), To: to.String(),
		KnownAt: knownAtValue(q.Get("known_at"), params.KnownAt), KnownAtTime: params.KnownAt}
	v.Seq = seq
	v.Title = st.Title + " — text from " + v.From + " to " + v.To
	v.Live = link("/ui/events", "act", string(id), "known_at", v.KnownAt)
	actURL := func(a events.ActID) string {
		return link("/ui/act", "act", string(a), "as_of", v.To, "known_at", v.KnownAt)
	}
	v.Links = textDiffLinks{
		Act:          actURL(id),
		JSON:         link("/v1/text/diff", "act", string(id), "from", v.From, "to", v.To, "known_at", v.KnownAt),
		Jurisdiction: link("/ui/jurisdiction", "country", st.Country, "as_of", v.To, "known_at", v.KnownAt),
	}
	v.ReadFrom = link("/ui/text", "act", string(id), "as_of", v.From, "known_at", v.KnownAt)
	v.ReadTo = link("/ui/text", "act", string(id), "as_of", v.To, "known_at", v.KnownAt)
	if terr != nil {
		v.NoText = terr.Error()
		s.render(w, r, http.StatusNotFound, "textdiff", v, seq)
		return
	}
	if !diff.FromVer.IsZero() {
		v.FromVer = diff.FromVer.String()
	}
	if !diff.ToVer.IsZero() {
		v.ToVer = diff.ToVer.String()
	}
	ev := func(e events.ID) string { return actURL(id) + "#ev-" + e.String() }
	n := 0
	for _, c := range diff.Provisions {
		cv := changeView{EID: c.EID, Change: c.Change, Formerly: c.Formerly, Words: c.Words}
		num := ""
		if c.After != nil {
			num = c.After.Num
		} else if c.Before != nil {
			num = c.Before.Num
		}
		cv.Label = citation(c.EID, num)
		if c.Before != nil && c.After != nil {
			if c.Before.Num != c.After.Num {
				cv.Num = consolidation.Words(c.Before.Num, c.After.Num)
			}
			if c.Before.Heading != c.After.Heading {
				cv.Heading = consolidation.Words(c.Before.Heading, c.After.Heading)
			}
		}
		switch {
		case (c.Change == "removed" || c.Change == "repealed") && c.Before != nil:
			// The words gone: the later text has none.
			if c.Before.Text != "" {
				cv.Words = []consolidation.WordRun{{Op: "-", Text: c.Before.Text}}
			}
			if c.Change == "removed" && c.Before.Heading != "" {
				cv.Heading = []consolidation.WordRun{{Op: "-", Text: c.Before.Heading}}
			}
		case c.Change == "added" && c.After != nil && c.After.Heading != "":
			cv.Heading = []consolidation.WordRun{{Op: "+", Text: c.After.Heading}}
		}
		for _, a := range c.By {
			n++
			cv.By = append(cv.By, note(a, n, actURL, ev))
		}
		v.Changes = append(v.Changes, cv)
	}
	s.render(w, r, http.StatusOK, "textdiff", v, seq)
}

// citation names a provision by its place: "Chapter 1, article 2,
// paragraph 1", the provisions above it numbered as their eIds are, the
// provision itself by its number (num); "" when an element is not known.
func citation(eid, num string) string {
	parts := strings.Split(eid, "__")
	out := make([]string, 0, len(parts))
	for i, p := range parts {
		name, n, _ := strings.Cut(p, "_")
		el, ok := events.ElementOf(name)
		if !ok {
			return ""
		}
		if i == len(parts)-1 {
			n = num
		}
		c := el
		if n != "" {
			c += " " + n
		}
		out = append(out, c)
	}
	s := strings.Join(out, ", ")
	return strings.ToUpper(s[:1]) + s[1:]
}
