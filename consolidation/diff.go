package consolidation

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lexledger/lexledger/events"
)

// Difference is what changed in an act's text between two days.
type Difference struct {
	Act        events.ActID      `json:"act"`
	From       events.Date       `json:"from"`
	To         events.Date       `json:"to"`
	FromVer    events.Date       `json:"from_version,omitzero"`
	ToVer      events.Date       `json:"to_version,omitzero"`
	Provisions []ProvisionChange `json:"provisions"`
}

// ProvisionChange is one provision whose text, number, heading or place
// differs between the two days, in the reading order of the later text,
// then the provisions gone, in the reading order of the earlier one.
type ProvisionChange struct {
	EID string `json:"eid"`
	// Change is added, removed, repealed, renumbered or changed.
	Change string `json:"change"`
	// Formerly is a renumbered provision's earlier eId.
	Formerly string `json:"formerly,omitempty"`
	Before   *Plain `json:"before,omitempty"`
	After    *Plain `json:"after,omitempty"`
	// Words is the later text against the earlier, word by word: runs of
	// words kept (=), removed (-) and added (+), spaces with the words
	// before them.
	Words []WordRun `json:"words,omitempty"`
	// By names the changes in effect between the two days that made it.
	By []Annotation `json:"by,omitempty"`
}

// Plain is a provision's own parts on one day.
type Plain struct {
	Num     string `json:"num,omitempty"`
	Heading string `json:"heading,omitempty"`
	Text    string `json:"text,omitempty"`
}

// WordRun is a run of words that a diff keeps, removes or adds.
type WordRun struct {
	Op   string `json:"op"` // =, -, +
	Text string `json:"text"`
}

// CheckDays refuses a comparison whose first day is after its second, an
// *events.Error with CodeInvalid: the changes between two days name the
// later text's annotations, and backwards they would name none.
func CheckDays(from, to events.Date) error {
	if from.Earliest() > to.Earliest() {
		return events.Errorf(events.CodeInvalid, "from=%s is after to=%s: compare the earlier day with the later one, such as from=%s&to=%s", from, to, to, from)
	}
	return nil
}

// Compare returns the difference between a, the earlier text, and b, the
// later one, of one act.
func Compare(a, b *Text) *Difference {
	d := &Difference{Act: b.Act, From: a.AsOf, To: b.AsOf, FromVer: a.Version, ToVer: b.Version, Provisions: []ProvisionChange{}}
	before := map[string]*Node{}
	var order []*Node
	var index func(ns []Node)
	index = func(ns []Node) {
		for i := range ns {
			before[ns[i].EID] = &ns[i]
			order = append(order, &ns[i])
			index(ns[i].Children)
		}
	}
	index(a.Provisions)
	seen := map[string]bool{}
	from, to := a.AsOf.Earliest(), b.AsOf.Earliest()
	by := func(n *Node) []Annotation {
		var out []Annotation
		for _, an := range n.Annotations {
			if f := an.From.Earliest(); f > from && f <= to {
				out = append(out, an)
			}
		}
		return out
	}
	var walk func(ns []Node)
	walk = func(ns []Node) {
		for i := range ns {
			n := &ns[i]
			old := before[n.EID]
			formerly := ""
			if old == nil {
				for _, an := range by(n) {
					if an.Formerly != "" && before[an.Formerly] != nil {
						formerly, old = an.Formerly, before[an.Formerly]
					}
				}
			}
			if old != nil {
				seen[old.EID] = true
			}
			if c, ok := change(old, n, formerly); ok {
				c.By = by(n)
				d.Provisions = append(d.Provisions, c)
			}
			walk(n.Children)
		}
	}
	walk(b.Provisions)
	for _, n := range order {
		if !seen[n.EID] {
			d.Provisions = append(d.Provisions, ProvisionChange{EID: n.EID, Change: "removed", Before: plain(n)})
		}
	}
	return d
}

func plain(n *Node) *Plain { return &Plain{Num: n.Num, Heading: n.Heading, Text: n.Text} }

// change compares a provision on the two days (old nil: it is new).
func change(old, n *Node, formerly string) (ProvisionChange, bool) {
	c := ProvisionChange{EID: n.EID, Formerly: formerly, After: plain(n)}
	switch {
	case old == nil:
		c.Change = "added"
		c.Words = Words("", n.Text)
		return c, true
	case n.Repealed && !old.Repealed:
		c.Change, c.Before = "repealed", plain(old)
		return c, true
	case old.Num == n.Num && old.Heading == n.Heading && old.Text == n.Text && old.Repealed == n.Repealed && formerly == "":
		return c, false
	}
	c.Change, c.Before = "changed", plain(old)
	if formerly != "" {
		c.Change = "renumbered"
	}
	if old.Text != n.Text {
		c.Words = Words(old.Text, n.Text)
	}
	return c, true
}

// maxWordPairs bounds the table of a word diff: 4 MB.
const maxWordPairs = 1 << 20

// Words diffs two texts word by word (a longest common subsequence of
// their words, each word with the spaces after it), merging neighbouring
// words of one kind into runs.
func Words(a, b string) []WordRun {
	x, y := splitWords(a), splitWords(b)
	// Common prefix and suffix first: most changes touch a few words.
	p := 0
	for p < len(x) && p < len(y) && x[p] == y[p] {
		p++
	}
	s := 0
	for s < len(x)-p && s < len(y)-p && x[len(x)-1-s] == y[len(y)-1-s] {
		s++
	}
	var runs []WordRun
	add := func(op, w string) {
		if n := len(runs); n > 0 && runs[n-1].Op == op {
			runs[n-1].Text += w
			return
		}
		runs = append(runs, WordRun{Op: op, Text: w})
	}
	for _, w := range x[:p] {
		add("=", w)
	}
	mx, my := x[p:len(x)-s], y[p:len(y)-s]
	if (len(mx)+1)*(len(my)+1) > maxWordPairs {
		// Too long to align word by word in bounded memory: the middle
		// as removed, then added.
		for _, w := range mx {
			add("-", w)
		}
		for _, w := range my {
			add("+", w)
		}
		mx, my = nil, nil
	}
	// lcs(i, j): the longest common subsequence of mx[i:] and my[j:], in
	// one table of (len(mx)+1)*(len(my)+1) entries.
	w := len(my) + 1
	table := make([]int32, (len(mx)+1)*w)
	lcs := func(i, j int) int32 { return table[i*w+j] }
	for i := len(mx) - 1; i >= 0; i-- {
		for j := len(my) - 1; j >= 0; j-- {
			if mx[i] == my[j] {
				table[i*w+j] = lcs(i+1, j+1) + 1
			} else {
				table[i*w+j] = max(lcs(i+1, j), lcs(i, j+1))
			}
		}
	}
	i, j := 0, 0
	for i < len(mx) || j < len(my) {
		switch {
		case i < len(mx) && j < len(my) && mx[i] == my[j]:
			add("=", mx[i])
			i, j = i+1, j+1
		case i < len(mx) && (j == len(my) || lcs(i+1, j) >= lcs(i, j+1)):
			add("-", mx[i])
			i++
		default:
			add("+", my[j])
			j++
		}
	}
	for _, w := range x[len(x)-s:] {
		add("=", w)
	}
	return runs
}

// splitWords cuts s into words, each with the spaces after it; spaces
// before the first word are a word of their own.
func splitWords(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			out = append(out, s)
			break
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsSpace(r) {
				break
			}
			j += size
		}
		if i == 0 && len(out) > 0 {
			out[len(out)-1] += s[:j]
		} else {
			out = append(out, s[:j])
		}
		s = s[j:]
	}
	return out
}
