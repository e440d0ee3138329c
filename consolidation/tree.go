package consolidation

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lexledger/lexledger/events"
)

// notInForce is the status of a provision repealed by a textual change.
const notInForce = "not_in_force"

// wnode is a provision of the text being consolidated.
type wnode struct {
	eid, num, heading, text string
	repealed                bool
	ann                     []Annotation
	children                []*wnode
	parent                  *wnode // nil at the top level
}

// tree is the text being consolidated: its top-level provisions, an index
// by eId of every provision in it, and the undo log of the event being
// applied, so that an event whose change fails leaves the text as it was.
type tree struct {
	top   []*wnode
	byEID map[string]*wnode
	undo  []func()
}

func newTree(base []events.Node) *tree {
	w := &tree{byEID: map[string]*wnode{}}
	w.top = w.build(base, nil)
	return w
}

// build makes nodes of ns under parent and indexes them, logging nothing.
func (w *tree) build(ns []events.Node, parent *wnode) []*wnode {
	out := make([]*wnode, len(ns))
	for i := range ns {
		n := &wnode{eid: ns[i].EID, num: ns[i].Num, heading: ns[i].Heading, text: ns[i].Text, parent: parent}
		w.byEID[n.eid] = n
		n.children = w.build(ns[i].Children, n)
		out[i] = n
	}
	return out
}

// applyEvent applies e's changes (or, without changes, its texts: each
// provision's whole text substituted, or inserted at the end when the
// text has no such provision), all or none.
func (w *tree) applyEvent(e *events.Event) error {
	w.undo = w.undo[:0]
	from := changeDate(e)
	var err error
	if len(e.Body.Changes) > 0 {
		for i := range e.Body.Changes {
			if err = w.apply(&e.Body.Changes[i], e, from); err != nil {
				err = fmt.Errorf("change %d: %w", i+1, err)
				break
			}
		}
	} else {
		keys := make([]string, 0, len(e.Body.Texts))
		for k := range e.Body.Texts {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareEID)
		for _, k := range keys {
			c := events.Change{Op: events.OpSubstitute, Target: k, With: e.Body.Texts[k]}
			if w.byEID[k] == nil {
				c = events.Change{Op: events.OpInsert, Target: k, Node: &events.Node{EID: k, Text: e.Body.Texts[k]}}
			}
			if err = w.apply(&c, e, from); err != nil {
				break
			}
		}
	}
	if err != nil {
		for i := len(w.undo) - 1; i >= 0; i-- {
			w.undo[i]()
		}
	}
	w.undo = w.undo[:0]
	return err
}

// apply applies one change, logging how to undo it.
func (w *tree) apply(c *events.Change, e *events.Event, from events.Date) error {
	ann := Annotation{Op: c.Op, Words: c.Words != "", From: from, Event: e.ID, Instrument: e.Instrument, Source: c.Source}
	if c.Op == events.OpInsert && c.Node != nil && c.Target == c.Node.EID && w.byEID[c.Target] == nil {
		// A text's provision given without a place (texts): at the end.
		return w.insert(c.Node, nil, len(w.top), ann, from)
	}
	n := w.byEID[c.Target]
	if n == nil {
		return fmt.Errorf("%s is not in the text in force on %s; name a provision of that text (GET /v1/text lists them)", c.Target, from)
	}
	switch c.Op {
	case events.OpSubstitute:
		if c.Node != nil {
			return w.replace(n, c.Node, ann)
		}
		if n.repealed {
			return repealedError(n)
		}
		text := c.With
		if c.Words != "" {
			i, err := find(n, c.Words, from)
			if err != nil {
				return err
			}
			text = n.text[:i] + c.With + n.text[i+len(c.Words):]
		}
		w.setText(n, text)
	case events.OpInsert:
		if c.Node != nil {
			switch c.Position {
			case "in":
				if n.repealed {
					return repealedError(n)
				}
				return w.insert(c.Node, n, len(n.children), ann, from)
			case "before":
				return w.insert(c.Node, n.parent, w.indexOf(n), ann, from)
			default:
				return w.insert(c.Node, n.parent, w.indexOf(n)+1, ann, from)
			}
		}
		if n.repealed {
			return repealedError(n)
		}
		i, err := find(n, c.Words, from)
		if err != nil {
			return err
		}
		if c.Position != "before" {
			i += len(c.Words)
		}
		w.setText(n, n.text[:i]+c.With+n.text[i:])
	case events.OpRepeal:
		if n.repealed {
			return repealedError(n)
		}
		if c.Words != "" {
			i, err := find(n, c.Words, from)
			if err != nil {
				return err
			}
			w.setText(n, n.text[:i]+n.text[i+len(c.Words):])
			break
		}
		w.repeal(n)
	case events.OpRenumber:
		if c.EID != "" && c.EID != n.eid {
			if err := w.rename(n, c.EID, from, ann); err != nil {
				return err
			}
			ann.Formerly = c.Target
		}
		if c.Num != "" {
			old := n.num
			n.num = c.Num
			w.undo = append(w.undo, func() { n.num = old })
		}
	}
	w.annotate(n, ann)
	return nil
}

func repealedError(n *wnode) error {
	return fmt.Errorf("%s is repealed in that text: its words cannot change; substitute the whole provision (node) to restore it", n.eid)
}

// find returns where words occur in n's text, as words: not inside other
// words ("ten" is not in "sentence"), and once.
func find(n *wnode, words string, from events.Date) (int, error) {
	var at []int
	for i := 0; i <= len(n.text)-len(words); {
		j := strings.Index(n.text[i:], words)
		if j < 0 {
			break
		}
		if k := i + j; boundary(n.text, k, words) {
			at = append(at, k)
		}
		i += j + 1
	}
	switch c := len(at); c {
	case 1:
		return at[0], nil
	case 0:
		return 0, fmt.Errorf("the words %q are not in %s as it reads on %s (%q); quote them as they read then", words, n.eid, from, clip(n.text))
	default:
		return 0, fmt.Errorf("the words %q occur %d times in %s as it reads on %s; quote more of the words around them so that they occur once", words, c, n.eid, from)
	}
}

// boundary reports whether words at text[k:] stand as words: a letter or
// digit at either end of them is not joined to one next to it.
func boundary(text string, k int, words string) bool {
	first, _ := utf8.DecodeRuneInString(words)
	last, _ := utf8.DecodeLastRuneInString(words)
	if k > 0 {
		prev, _ := utf8.DecodeLastRuneInString(text[:k])
		if wordRune(prev) && wordRune(first) {
			return false
		}
	}
	if end := k + len(words); end < len(text) {
		next, _ := utf8.DecodeRuneInString(text[end:])
		if wordRune(next) && wordRune(last) {
			return false
		}
	}
	return true
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func clip(s string) string {
	if len(s) <= 200 {
		return s
	}
	i := 200
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

func (w *tree) setText(n *wnode, s string) {
	old := n.text
	n.text = s
	w.undo = append(w.undo, func() { n.text = old })
}

func (w *tree) annotate(n *wnode, a Annotation) {
	k := len(n.ann)
	n.ann = append(n.ann[:k:k], a)
	w.undo = append(w.undo, func() { n.ann = n.ann[:k:k] })
}

// siblings returns the list that holds n's parent's children (the top
// level for nil).
func (w *tree) siblings(parent *wnode) *[]*wnode {
	if parent == nil {
		return &w.top
	}
	return &parent.children
}

func (w *tree) indexOf(n *wnode) int {
	return slices.Index(*w.siblings(n.parent), n)
}

// insert puts a new provision at index i of parent's children.
func (w *tree) insert(node *events.Node, parent *wnode, i int, ann Annotation, from events.Date) error {
	if err := w.free([]events.Node{*node}, from); err != nil {
		return err
	}
	list := w.siblings(parent)
	old := *list
	n := w.build([]events.Node{*node}, parent)[0]
	*list = slices.Insert(slices.Clone(old), i, n)
	w.undo = append(w.undo, func() {
		*list = old
		w.unindex(n)
	})
	w.annotate(n, ann)
	return nil
}

// free fails when an eId of ns is in the text already.
func (w *tree) free(ns []events.Node, from events.Date) error {
	for i := range ns {
		if w.byEID[ns[i].EID] != nil {
			return fmt.Errorf("%s is in the text in force on %s already; give the new provision an eId of its own", ns[i].EID, from)
		}
		if err := w.free(ns[i].Children, from); err != nil {
			return err
		}
	}
	return nil
}

// replace puts node in place of n, whole.
func (w *tree) replace(n *wnode, node *events.Node, ann Annotation) error {
	oldText, oldNum, oldHeading, oldChildren, oldRepealed := n.text, n.num, n.heading, n.children, n.repealed
	for _, c := range oldChildren {
		w.unindex(c)
	}
	if err := w.free(node.Children, ann.From); err != nil {
		for _, c := range oldChildren {
			w.index(c)
		}
		return err
	}
	n.text, n.num, n.heading, n.repealed = node.Text, node.Num, node.Heading, false
	n.children = w.build(node.Children, n)
	newChildren := n.children
	w.undo = append(w.undo, func() {
		for _, c := range newChildren {
			w.unindex(c)
		}
		n.text, n.num, n.heading, n.children, n.repealed = oldText, oldNum, oldHeading, oldChildren, oldRepealed
		for _, c := range oldChildren {
			w.index(c)
		}
	})
	w.annotate(n, ann)
	return nil
}

// repeal marks n repealed: its words and what is under it go.
func (w *tree) repeal(n *wnode) {
	oldText, oldChildren := n.text, n.children
	for _, c := range oldChildren {
		w.unindex(c)
	}
	n.text, n.children, n.repealed = "", nil, true
	w.undo = append(w.undo, func() {
		n.text, n.children, n.repealed = oldText, oldChildren, false
		for _, c := range oldChildren {
			w.index(c)
		}
	})
}

// rename gives n the eId to, and each eId under it that starts with n's
// the same start with to.
func (w *tree) rename(n *wnode, to string, from events.Date, ann Annotation) error {
	old := n.eid
	var renamed []*wnode
	var names []string
	var walk func(m *wnode)
	walk = func(m *wnode) {
		renamed = append(renamed, m)
		name := m.eid
		if m == n {
			name = to
		} else if rest, ok := strings.CutPrefix(m.eid, old+"__"); ok {
			name = to + "__" + rest
		}
		names = append(names, name)
		for _, c := range m.children {
			walk(c)
		}
	}
	walk(n)
	seen := make(map[string]bool, len(names))
	for i, m := range renamed {
		if o := w.byEID[names[i]]; o != nil && o != m && !slices.Contains(renamed, o) || seen[names[i]] {
			return fmt.Errorf("%s is in the text in force on %s already; renumber that provision first, or choose another eId", names[i], from)
		}
		if !events.ValidProvision(names[i]) {
			return fmt.Errorf("renumbering %s to %s would name %s %q, which is no valid eId; choose a shorter eId", old, to, m.eid, names[i])
		}
		seen[names[i]] = true
	}
	apply := func(to []string) {
		for _, m := range renamed {
			delete(w.byEID, m.eid)
		}
		for i, m := range renamed {
			m.eid = to[i]
			w.byEID[m.eid] = m
		}
	}
	before := make([]string, len(renamed))
	for i, m := range renamed {
		before[i] = m.eid
	}
	apply(names)
	w.undo = append(w.undo, func() { apply(before) })
	// The provisions under n that were renamed with it say so too, so
	// that a comparison pairs them and a commencement of their former
	// eId still covers them.
	for i, m := range renamed[1:] {
		if before[i+1] != names[i+1] {
			a := ann
			a.Formerly = before[i+1]
			w.annotate(m, a)
		}
	}
	return nil
}

func (w *tree) index(n *wnode) {
	w.byEID[n.eid] = n
	for _, c := range n.children {
		w.index(c)
	}
}

func (w *tree) unindex(n *wnode) {
	delete(w.byEID, n.eid)
	for _, c := range n.children {
		w.unindex(c)
	}
}

// render returns the consolidated nodes of ns, under the provisions of
// path.
func (w *tree) render(ns []*wnode, opts Options, path []string, inserted bool) []Node {
	out := make([]Node, len(ns))
	for i, n := range ns {
		el, _ := events.ElementOf(n.eid)
		p := append(path[:len(path):len(path)], n.eid)
		for _, a := range n.ann {
			if a.Formerly != "" {
				p = append(p, a.Formerly) // a commencement of its former eId covers it
			}
		}
		ins := inserted || slices.ContainsFunc(n.ann, func(a Annotation) bool { return a.Op == events.OpInsert && !a.Words })
		out[i] = Node{EID: n.eid, Element: el, Num: n.num, Heading: n.heading, Text: n.text, Repealed: n.repealed,
			Annotations: n.ann, Children: w.render(n.children, opts, p, ins)}
		switch {
		case n.repealed:
			out[i].Status = notInForce
		case opts.Status != nil:
			out[i].Status = opts.Status(p, ins)
		}
	}
	return out
}
