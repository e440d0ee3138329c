package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// BookStats describes a generated book: what the docs quote of a shape.
type BookStats struct {
	Events, Acts  int
	Jurisdictions []string // the countries of the acts, sorted
	// Events per act: percentiles and the largest.
	P50, P90, P99, P999, Max int
	// ActsOver100 counts the acts with more than 100 events.
	ActsOver100 int
	// CrossAct counts the events that name another act as their
	// instrument; Amended the amended events among them.
	CrossAct, Amended int
	Types             map[string]int // events per type
	First, Last       string         // the earliest and latest legal dates
}

// ReadBookStats reads a book's JSON Lines and describes it. It holds a
// count per act.
func ReadBookStats(r io.Reader) (*BookStats, error) {
	st := &BookStats{Types: map[string]int{}}
	perAct := map[string]int{}
	countries := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var e struct {
		Act, Type, Date, Instrument string
	}
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		e.Instrument = ""
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("line %d: %w", st.Events+1, err)
		}
		st.Events++
		if perAct[e.Act] == 0 {
			c, _, _ := strings.Cut(strings.TrimPrefix(e.Act, "/akn/"), "/")
			countries[c] = true
		}
		perAct[e.Act]++
		st.Types[e.Type]++
		if e.Instrument != "" && e.Instrument != e.Act {
			st.CrossAct++
			if e.Type == "amended" {
				st.Amended++
			}
		}
		if st.First == "" || e.Date < st.First {
			st.First = e.Date
		}
		if e.Date > st.Last {
			st.Last = e.Date
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	counts := make([]int, 0, len(perAct))
	for _, n := range perAct {
		counts = append(counts, n)
		if n > 100 {
			st.ActsOver100++
		}
	}
	slices.Sort(counts)
	st.Acts = len(counts)
	if len(counts) > 0 {
		at := func(q float64) int { return counts[min(len(counts)-1, int(q*float64(len(counts))))] }
		st.P50, st.P90, st.P99, st.P999, st.Max = at(0.5), at(0.9), at(0.99), at(0.999), counts[len(counts)-1]
	}
	for c := range countries {
		st.Jurisdictions = append(st.Jurisdictions, c)
	}
	slices.Sort(st.Jurisdictions)
	return st, nil
}

// String is the statistics as a few lines of text.
func (s *BookStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d events over %d acts (%.1f an act) in %s, legal dates %s to %s\n",
		s.Events, s.Acts, float64(s.Events)/float64(max(1, s.Acts)), strings.Join(s.Jurisdictions, ", "), s.First, s.Last)
	fmt.Fprintf(&b, "events per act: p50 %d, p90 %d, p99 %d, p99.9 %d, max %d; %d acts with more than 100\n",
		s.P50, s.P90, s.P99, s.P999, s.Max, s.ActsOver100)
	fmt.Fprintf(&b, "events naming another act as instrument: %d (%.1f%%), of which amended %d (%.1f%% of all events)\n",
		s.CrossAct, 100*float64(s.CrossAct)/float64(max(1, s.Events)), s.Amended, 100*float64(s.Amended)/float64(max(1, s.Events)))
	types := make([]string, 0, len(s.Types))
	for t := range s.Types {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b string) int { return s.Types[b] - s.Types[a] })
	b.WriteString("types:")
	for _, t := range types {
		fmt.Fprintf(&b, " %s %d", t, s.Types[t])
	}
	b.WriteString("\n")
	return b.String()
}
