package akn

import (
	"strings"
)

// elements maps the name part of an eId component (the part before the
// first "_": "art" in art_18) onto the Akoma Ntoso element that carries it.
// Abbreviations are those of the Akoma Ntoso naming convention; full element
// names map onto themselves. Every element listed has the content model
// "hierarchy" (num, then content or nested provisions). Any other name is
// rendered as <hcontainer name="...">.
var elements = map[string]string{
	"al":           "alinea",
	"alinea":       "alinea",
	"art":          "article",
	"article":      "article",
	"book":         "book",
	"chp":          "chapter",
	"chapter":      "chapter",
	"cl":           "clause",
	"clause":       "clause",
	"dvs":          "division",
	"division":     "division",
	"indent":       "indent",
	"level":        "level",
	"lvl":          "level",
	"prov":         "proviso",
	"list":         "list",
	"para":         "paragraph",
	"paragraph":    "paragraph",
	"part":         "part",
	"point":        "point",
	"proviso":      "proviso",
	"rule":         "rule",
	"sec":          "section",
	"section":      "section",
	"subchp":       "subchapter",
	"subchapter":   "subchapter",
	"subcl":        "subclause",
	"subclause":    "subclause",
	"subdvs":       "subdivision",
	"subdivision":  "subdivision",
	"sublist":      "sublist",
	"subpara":      "subparagraph",
	"subparagraph": "subparagraph",
	"subpart":      "subpart",
	"subrule":      "subrule",
	"subsec":       "subsection",
	"subsection":   "subsection",
	"subtitle":     "subtitle",
	"title":        "title",
	"tome":         "tome",
	"transitional": "transitional",
}

// ElementFor returns the Akoma Ntoso element for the last component of an
// eId, with the hcontainer name when the component is not a known element
// ("" otherwise), and the number to show in <num> ("" when the component
// has none): ElementFor("sec_2__subsec_1") is ("subsection", "", "1");
// ElementFor("schedule_A") is ("hcontainer", "schedule", "A").
func ElementFor(eid string) (element, hcontainerName, num string) {
	last := eid
	if i := strings.LastIndex(eid, "__"); i >= 0 {
		last = eid[i+2:]
	}
	name, num, _ := strings.Cut(last, "_")
	if el, ok := elements[name]; ok {
		return el, "", num
	}
	return "hcontainer", name, num
}

// provision is one node of the body's tree: a provision the record names,
// or an ancestor of one that it does not name (sec_2 for sec_2__subsec_1),
// which is rendered with no content of its own.
type provision struct {
	eID      string
	named    bool // the record names it: state holds its status and text
	children []*provision
}

// tree arranges eIds into their hierarchy: each eId's parent is the eId
// without its last "__" component. Siblings are in natural order (art_2
// before art_10, art_347 before art_347-1).
func tree(eids []string) []*provision {
	root := &provision{}
	nodes := map[string]*provision{}
	var get func(eid string) *provision
	get = func(eid string) *provision {
		if n := nodes[eid]; n != nil {
			return n
		}
		n := &provision{eID: eid}
		nodes[eid] = n
		parent := root
		if i := strings.LastIndex(eid, "__"); i >= 0 {
			parent = get(eid[:i])
		}
		parent.children = append(parent.children, n)
		return n
	}
	for _, eid := range eids {
		get(eid).named = true
	}
	var sortAll func(n *provision)
	sortAll = func(n *provision) {
		sortNatural(n.children)
		for _, c := range n.children {
			sortAll(c)
		}
	}
	sortAll(root)
	return root.children
}

func sortNatural(list []*provision) {
	// Insertion sort: sibling lists are short, and it is stable.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && naturalLess(list[j].eID, list[j-1].eID); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// naturalLess orders strings with their digit runs compared as numbers:
// art_2 < art_10 < art_10a. Equal by that order, plain byte order decides,
// so that the order is total.
func naturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			continue
		}
		if ca != cb {
			return ca < cb
		}
		i++
		j++
	}
	if len(a)-i != len(b)-j {
		return len(a)-i < len(b)-j
	}
	return a < b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// paragraphs splits a text into the paragraphs it holds, one a line, blank
// lines and surrounding spaces dropped.
func paragraphs(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
