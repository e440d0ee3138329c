package akn

import (
	"fmt"
	"strings"

	"github.com/lexledger/lexledger/events"
)

// hierarchy lists the Akoma Ntoso hierarchical elements the ledger's text
// holds: those whose eId prefixes events.ElementOf knows.
var hierarchy = map[string]bool{
	"book": true, "tome": true, "part": true, "subpart": true, "title": true, "subtitle": true,
	"chapter": true, "subchapter": true, "division": true, "subdivision": true,
	"section": true, "subsection": true, "article": true, "paragraph": true, "subparagraph": true,
	"clause": true, "subclause": true, "point": true, "item": true, "list": true,
	"rule": true, "subrule": true, "alinea": true, "indent": true, "proviso": true, "level": true,
}

// readBody reads the provisions of a <body> as the act's structure. The
// ledger's own placeholder for an act without provisions (<hcontainer
// name="noText">) gives no structure.
func readBody(body *element) ([]events.Node, error) {
	if body == nil {
		return nil, nil
	}
	var out []events.Node
	for _, c := range body.children {
		if c.name.Local == "hcontainer" && c.attr("name") == "noText" {
			continue
		}
		n, err := readNode(c)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// readNode reads one provision and what is under it: its eId, which must
// name the element it is on, its num, heading and words (the p of its
// content or intro), and its provisions. The ledger's editorial
// paragraphs (status="editorial": "Repealed.", "No text ... is recorded")
// are not the law's words and are left out. Anything else is refused,
// named with its line: the ledger's text cannot hold it.
func readNode(el *element) (events.Node, error) {
	name := el.name.Local
	if !hierarchy[name] {
		return events.Node{}, fmt.Errorf("%s: the ledger's text holds the hierarchical elements (article, paragraph, section, chapter, part, point ...), not <%s>", el.where(), name)
	}
	eid := el.attr("eId")
	if eid == "" {
		return events.Node{}, fmt.Errorf("%s has no eId: give every provision its Akoma Ntoso eId (art_1, art_1__para_2)", el.where())
	}
	elt, ok := events.ElementOf(eid)
	if !ok || !events.ValidProvision(eid) {
		return events.Node{}, fmt.Errorf("%s: the eId %q is not one the ledger accepts: components joined by \"__\", each a prefix of the naming convention (art, para, point, sec, subsec, chp, part ...) and a number (art_1__para_2)", el.where(), eid)
	}
	if elt != name {
		return events.Node{}, fmt.Errorf("%s: its eId names a <%s>, not a <%s>: give the element the eId prefix of its kind", el.where(), elt, name)
	}
	n := events.Node{EID: eid}
	for _, c := range el.children {
		switch cn := c.name.Local; {
		case cn == "num":
			n.Num = c.words()
		case cn == "heading":
			n.Heading = c.words()
		case cn == "content" || cn == "intro":
			text, err := readParagraphs(c)
			if err != nil {
				return events.Node{}, err
			}
			if n.Text != "" && text != "" {
				n.Text += "\n"
			}
			n.Text += text
		case hierarchy[cn]:
			child, err := readNode(c)
			if err != nil {
				return events.Node{}, err
			}
			n.Children = append(n.Children, child)
		default:
			return events.Node{}, fmt.Errorf("%s in %s: the ledger's text holds a provision's num, heading, words (content or intro) and provisions, not <%s>", c.where(), el.where(), cn)
		}
	}
	return n, nil
}

// readParagraphs returns the words of a content or intro, one line a <p>,
// white space within a paragraph made single spaces; editorial paragraphs
// are left out.
func readParagraphs(el *element) (string, error) {
	var lines []string
	for _, c := range el.children {
		if c.name.Local != "p" {
			return "", fmt.Errorf("%s in %s: the ledger's text holds paragraphs of words (<p>), not <%s>", c.where(), el.where(), c.name.Local)
		}
		if c.attr("status") == "editorial" {
			continue
		}
		if w := c.words(); w != "" {
			lines = append(lines, w)
		}
	}
	return strings.Join(lines, "\n"), nil
}
