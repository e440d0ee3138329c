package akn

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// element is one element of a document read, with the line it starts on,
// for messages that say where to look.
type element struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*element
	text     strings.Builder // character data directly inside, children's excluded
	inline   strings.Builder // all character data inside, children's included
	line     int
}

// Limits of a document read: a legal text of 20,000 provisions is far
// under them.
const (
	maxElements = 1 << 20
	maxDepthXML = 64
)

// parseTree reads an XML document into its tree of elements.
func parseTree(r io.Reader) (*element, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	var root *element
	var stack []*element
	n := 0
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n++
			if n > maxElements {
				return nil, fmt.Errorf("line %d: more than %d elements", line, maxElements)
			}
			if len(stack) >= maxDepthXML {
				return nil, fmt.Errorf("line %d: <%s> is nested more than %d deep", line, t.Name.Local, maxDepthXML)
			}
			el := &element{name: t.Name, attrs: t.Copy().Attr, line: line}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("line %d: a second root element <%s>", line, t.Name.Local)
				}
				root = el
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, el)
			}
			stack = append(stack, el)
		case xml.EndElement:
			el := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].inline.WriteString(el.inline.String())
			}
		case xml.CharData:
			if len(stack) > 0 {
				el := stack[len(stack)-1]
				el.text.Write(t)
				el.inline.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("the document is empty")
	}
	return root, nil
}

// attr returns the value of the attribute name (of no namespace), "" if
// absent.
func (el *element) attr(name string) string {
	return el.attrNS("", name)
}

// attrNS returns the value of the attribute name of namespace space.
func (el *element) attrNS(space, name string) string {
	for _, a := range el.attrs {
		if a.Name.Local == name && a.Name.Space == space {
			return a.Value
		}
	}
	return ""
}

// child returns the first child named name, nil if none.
func (el *element) child(name string) *element {
	if el == nil {
		return nil
	}
	for _, c := range el.children {
		if c.name.Local == name {
			return c
		}
	}
	return nil
}

// all returns the children named name.
func (el *element) all(name string) []*element {
	if el == nil {
		return nil
	}
	var out []*element
	for _, c := range el.children {
		if c.name.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// find returns the first element named name at or under el, depth first.
func (el *element) find(name string) *element {
	if el == nil {
		return nil
	}
	if el.name.Local == name {
		return el
	}
	for _, c := range el.children {
		if f := c.find(name); f != nil {
			return f
		}
	}
	return nil
}

// words returns the character data at and under el, its runs of white
// space made one space, trimmed.
func (el *element) words() string {
	return strings.Join(strings.Fields(el.inline.String()), " ")
}

// where names an element and its line for messages: "<article eId="art_1"> (line 12)".
func (el *element) where() string {
	if id := el.attr("eId"); id != "" {
		return fmt.Sprintf("<%s eId=%q> (line %d)", el.name.Local, id, el.line)
	}
	return fmt.Sprintf("<%s> (line %d)", el.name.Local, el.line)
}
