package events

import (
	"fmt"
	"strings"
)

// Node is one element of an act's text, an Akoma Ntoso hierarchical
// element (a part, chapter, article, paragraph, point ...): its eId, its
// number and heading as printed, its own words, and the elements under it
// in order. The element is named by the eId's last component (art_49 is an
// article; art_49__para_2 a paragraph): ElementOf. An act's text is the list
// of its top-level nodes (Body.Structure). docs/TEXT.md.
type Node struct {
	EID      string `json:"eid"`
	Num      string `json:"num,omitempty"`
	Heading  string `json:"heading,omitempty"`
	Text     string `json:"text,omitempty"`
	Children []Node `json:"children,omitempty"`
}

// ChangeOp is what a textual change does.
type ChangeOp string

// The textual changes, as legislation.gov.uk and Akoma Ntoso's textualMod
// name them.
const (
	// OpSubstitute replaces a provision's words (Words by With), its whole
	// text (With), or the whole provision (Node).
	OpSubstitute ChangeOp = "substitute"
	// OpInsert adds a provision (Node) before or after a sibling, or as the
	// last element in a parent (Position "in"); or words (With) before or
	// after words of a provision (Words).
	OpInsert ChangeOp = "insert"
	// OpRepeal repeals a provision, which stays in the text as a repealed
	// marker, as the statute book prints it; or words of it (Words).
	OpRepeal ChangeOp = "repeal"
	// OpRenumber gives a provision a new eId (EID) or number (Num), and
	// renames the eIds under it.
	OpRenumber ChangeOp = "renumber"
)

// ChangeOps lists the textual changes.
var ChangeOps = []ChangeOp{OpSubstitute, OpInsert, OpRepeal, OpRenumber}

// Change is one textual change that an amendment makes to its act, from the
// amendment's effective_from, checked against the text in force on that
// day when it is recorded. docs/TEXT.md.
type Change struct {
	Op ChangeOp `json:"op"`
	// Target is the provision changed; for an inserted provision, the
	// sibling it goes before or after, or the parent it goes in.
	Target string `json:"target"`
	// Position places an insertion: before, after (the default) or in (a
	// provision: as Target's last element).
	Position string `json:"position,omitempty"`
	// Words are the words concerned, as they read on the effective date:
	// those substituted or repealed, or those an insertion goes before or
	// after. They must occur in the provision's text.
	Words string `json:"words,omitempty"`
	// With is the new words: those put in place of Words, inserted at
	// them, or, without Words, the provision's whole new text.
	With string `json:"with,omitempty"`
	// Node is a provision inserted, or put in place of Target whole.
	Node *Node `json:"node,omitempty"`
	// EID and Num are a renumbered provision's new eId and number.
	EID string `json:"eid,omitempty"`
	Num string `json:"num,omitempty"`
	// Source is the provision of the amending act (the event's
	// instrument) that makes the change, for annotations.
	Source string `json:"source,omitempty"`
}

// Limits of a text, for one event.
const (
	maxNodes   = 20000
	maxDepth   = 12
	maxChanges = 1000
)

// elements maps the eId prefixes of the Akoma Ntoso naming convention to
// the hierarchical elements they name.
var elements = map[string]string{
	"book": "book", "tome": "tome", "part": "part", "subpart": "subpart",
	"title": "title", "subtitle": "subtitle", "chp": "chapter", "subchp": "subchapter",
	"dvs": "division", "subdvs": "subdivision", "sec": "section", "subsec": "subsection",
	"art": "article", "para": "paragraph", "subpara": "subparagraph",
	"cl": "clause", "subcl": "subclause", "point": "point", "item": "item",
	"list": "list", "rule": "rule", "subrule": "subrule", "al": "alinea",
	"indent": "indent", "prov": "proviso", "lvl": "level",
}

// ElementOf returns the Akoma Ntoso element an eId names, by its last
// component's prefix (art_49__para_2 is a paragraph), and false when the
// prefix is not one of the naming convention's hierarchical elements.
func ElementOf(eid string) (string, bool) {
	last := eid
	if i := strings.LastIndex(eid, "__"); i >= 0 {
		last = eid[i+2:]
	}
	name, _, _ := strings.Cut(last, "_")
	el, ok := elements[name]
	return el, ok
}

func elementPrefixes() string {
	return "art (article), para (paragraph), point, sec (section), subsec, chp (chapter), part, and the other prefixes of the Akoma Ntoso naming convention"
}

// checkNodes checks a list of nodes and what is under them: valid eIds of
// known elements, each used once in the whole text (seen), numbers and
// headings on one line, within the limits.
func checkNodes(where string, nodes []Node, depth int, seen map[string]bool) error {
	if depth > maxDepth {
		return Errorf(CodeInvalid, "%s: the text is nested more than %d levels deep", where, maxDepth)
	}
	for i := range nodes {
		n := &nodes[i]
		if !ValidProvision(n.EID) {
			return Errorf(CodeInvalid, "%s: element %d has eid %q, not an Akoma Ntoso eId such as art_18 or art_18__para_2", where, i+1, clip(n.EID))
		}
		if _, ok := ElementOf(n.EID); !ok {
			return Errorf(CodeInvalid, "%s: eid %q does not name a hierarchical element: its last component must start with %s", where, n.EID, elementPrefixes())
		}
		if seen[n.EID] {
			return Errorf(CodeInvalid, "%s: eid %q is used twice: each element of a text has its own eId", where, n.EID)
		}
		seen[n.EID] = true
		if len(seen) > maxNodes {
			return Errorf(CodeTooLarge, "%s: the text has more than %d elements, more than one event can hold: the ledger records an act's text in one event (docs/TEXT.md, What is not built yet)", where, maxNodes)
		}
		for _, f := range [...]struct{ name, s string }{{"num", n.Num}, {"heading", n.Heading}} {
			if len(f.s) > maxStringBytes || strings.ContainsAny(f.s, "\n\r") || strings.TrimSpace(f.s) != f.s {
				return Errorf(CodeInvalid, "%s: the %s of %s must be one trimmed line of at most %d bytes", where, f.name, n.EID, maxStringBytes)
			}
		}
		if err := checkNodes(where, n.Children, depth+1, seen); err != nil {
			return err
		}
	}
	return nil
}

// checkText checks Body.Structure and Body.Changes on their own; the
// ledger checks the changes against the text in force when they are
// recorded.
func (e *Event) checkText() error {
	if len(e.Body.Structure) > 0 {
		if err := checkNodes("structure", e.Body.Structure, 1, map[string]bool{}); err != nil {
			return err
		}
	}
	if len(e.Body.Changes) > 0 && len(e.Body.Texts) > 0 {
		return Errorf(CodeInvalid, "an amendment carries its textual changes either as changes or as texts (whole provision texts), not both: give each provision's new text as a substitute change")
	}
	if len(e.Body.Changes) > maxChanges {
		return Errorf(CodeTooLarge, "the event makes %d textual changes, more than %d: split it", len(e.Body.Changes), maxChanges)
	}
	for i := range e.Body.Changes {
		if err := e.Body.Changes[i].check(fmt.Sprintf("change %d", i+1)); err != nil {
			return err
		}
		if t := e.Body.Changes[i].Target; len(e.Provisions) > 0 && !covers(e.Provisions, t) {
			return Errorf(CodeInvalid, "change %d targets %s, which the event's provisions %s do not name: add it to provisions, or leave provisions out (the changes' targets then say which provisions the amendment concerns)", i+1, t, provisionsName(e.Provisions))
		}
	}
	return nil
}

// check checks c's shape: an op it knows with the fields that op takes.
func (c *Change) check(where string) error {
	if !ValidProvision(c.Target) {
		if c.Target == "" {
			return Errorf(CodeInvalid, "%s has no target: set \"target\" to the eId of the provision it changes (for an insertion, the one it goes before, after or in)", where)
		}
		return Errorf(CodeInvalid, "%s: target %q is not an Akoma Ntoso eId such as art_18 or art_18__para_2", where, clip(c.Target))
	}
	if c.Source != "" && !ValidProvision(c.Source) {
		return Errorf(CodeInvalid, "%s: source %q is not an Akoma Ntoso eId of the amending act such as art_2__para_1", where, clip(c.Source))
	}
	node := func() error { return checkNodes(where, []Node{*c.Node}, 1, map[string]bool{}) }
	only := func(allowed string) error {
		var extra []string
		for _, f := range [...]struct {
			name string
			set  bool
		}{{"position", c.Position != ""}, {"words", c.Words != ""}, {"with", c.With != ""},
			{"node", c.Node != nil}, {"eid", c.EID != ""}, {"num", c.Num != ""}} {
			if f.set && !strings.Contains(" "+allowed+" ", " "+f.name+" ") {
				extra = append(extra, f.name)
			}
		}
		if len(extra) > 0 {
			return Errorf(CodeInvalid, "%s: a %s change has no %s: remove it (it takes %s)", where, c.Op, strings.Join(extra, ", "), allowed)
		}
		return nil
	}
	switch c.Op {
	case OpSubstitute:
		if err := only("words with node"); err != nil {
			return err
		}
		switch {
		case c.Node != nil && (c.Words != "" || c.With != ""):
			return Errorf(CodeInvalid, "%s: substitute either the whole provision (node) or its words (words and with), not both", where)
		case c.Node != nil:
			if c.Node.EID != c.Target {
				return Errorf(CodeInvalid, "%s: the provision put in place of %s has eid %q: give it the same eId, or renumber it in a change of its own", where, c.Target, clip(c.Node.EID))
			}
			return node()
		case c.Words != "" && c.With == "":
			return Errorf(CodeInvalid, "%s: substituting words needs \"with\", the new words; to remove words, repeal them", where)
		case c.Words == "" && c.With == "":
			return Errorf(CodeInvalid, "%s: a substitution needs \"with\" (the new words, or the provision's whole new text) or \"node\" (the provision's new form)", where)
		}
	case OpInsert:
		if err := only("position words with node"); err != nil {
			return err
		}
		switch {
		case c.Node != nil && (c.Words != "" || c.With != ""):
			return Errorf(CodeInvalid, "%s: insert either a provision (node) or words (words and with), not both", where)
		case c.Node != nil:
			if c.Position != "" && c.Position != "before" && c.Position != "after" && c.Position != "in" {
				return Errorf(CodeInvalid, "%s: position %q is not before, after or in", where, clip(c.Position))
			}
			if c.Node.EID == c.Target {
				return Errorf(CodeInvalid, "%s: the inserted provision has the eId of its target %s: give it its own, such as %s-1", where, c.Target, c.Target)
			}
			return node()
		case c.With == "" || c.Words == "":
			return Errorf(CodeInvalid, "%s: an insertion needs \"node\" (a new provision) or \"with\" and \"words\" (new words, and the words they go before or after)", where)
		case c.Position != "" && c.Position != "before" && c.Position != "after":
			return Errorf(CodeInvalid, "%s: words go before or after other words, not %q", where, clip(c.Position))
		}
	case OpRepeal:
		if err := only("words"); err != nil {
			return err
		}
	case OpRenumber:
		if err := only("eid num"); err != nil {
			return err
		}
		if c.EID == "" && c.Num == "" {
			return Errorf(CodeInvalid, "%s: a renumbering needs the new \"eid\", the new \"num\", or both", where)
		}
		if c.EID != "" {
			if !ValidProvision(c.EID) {
				return Errorf(CodeInvalid, "%s: eid %q is not an Akoma Ntoso eId such as art_18", where, clip(c.EID))
			}
			te, _ := ElementOf(c.Target)
			ne, ok := ElementOf(c.EID)
			if !ok || ne != te {
				return Errorf(CodeInvalid, "%s: %s is a%s %s; its new eId %q must name one too", where, c.Target, article(te), te, clip(c.EID))
			}
		}
		if len(c.Num) > maxStringBytes || strings.ContainsAny(c.Num, "\n\r") {
			return Errorf(CodeInvalid, "%s: num must be one line", where)
		}
	case "":
		return Errorf(CodeInvalid, "%s has no op: set \"op\" to substitute, insert, repeal or renumber", where)
	default:
		return Errorf(CodeInvalid, "%s: op %q is not known: use substitute, insert, repeal or renumber", where, clip(string(c.Op)))
	}
	return nil
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}
