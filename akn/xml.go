package akn

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// writer builds an indented XML document by hand, so that the bytes depend
// on nothing but the calls made: no map order, no encoder settings. Every
// attribute value and text is escaped; characters that XML 1.0 cannot carry
// (NUL, most C0 controls, invalid UTF-8) become U+FFFD. It records every
// eId written and refuses a second use of one, which would make the
// document invalid (the schema declares eIds unique within the act).
type writer struct {
	buf   bytes.Buffer
	depth int
	eIDs  map[string]bool
	err   error
}

func newWriter() *writer {
	w := &writer{eIDs: map[string]bool{}}
	w.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	return w
}

// escape writes s escaped for text or an attribute value.
func (w *writer) escape(s string) {
	// EscapeText writes to a bytes.Buffer, which never fails.
	_ = xml.EscapeText(&w.buf, []byte(s))
}

func (w *writer) indent() {
	for i := 0; i < w.depth; i++ {
		w.buf.WriteString("  ")
	}
}

// tag writes "<name a="v" ...": attrs are name, value pairs; a pair with an
// empty value is left out, so optional attributes can be passed as they
// are.
func (w *writer) tag(name string, attrs []string) {
	if len(attrs)%2 != 0 {
		panic("akn: odd attribute list for <" + name + ">")
	}
	w.buf.WriteByte('<')
	w.buf.WriteString(name)
	for i := 0; i < len(attrs); i += 2 {
		k, v := attrs[i], attrs[i+1]
		if v == "" {
			continue
		}
		if k == "eId" {
			if w.eIDs[v] && w.err == nil {
				w.err = fmt.Errorf("eId %q is used twice in the document", v)
			}
			w.eIDs[v] = true
		}
		w.buf.WriteByte(' ')
		w.buf.WriteString(k)
		w.buf.WriteString(`="`)
		w.escape(v)
		w.buf.WriteByte('"')
	}
}

// open writes a start tag on its own line and indents what follows.
func (w *writer) open(name string, attrs ...string) {
	w.indent()
	w.tag(name, attrs)
	w.buf.WriteString(">\n")
	w.depth++
}

// close writes the end tag of the element opened last.
func (w *writer) close(name string) {
	w.depth--
	w.indent()
	w.buf.WriteString("</" + name + ">\n")
}

// empty writes an element with no content.
func (w *writer) empty(name string, attrs ...string) {
	w.indent()
	w.tag(name, attrs)
	w.buf.WriteString("/>\n")
}

// leaf writes an element holding text only, on one line.
func (w *writer) leaf(name, text string, attrs ...string) {
	w.indent()
	w.tag(name, attrs)
	w.buf.WriteByte('>')
	w.escape(text)
	w.buf.WriteString("</" + name + ">\n")
}

// wrapped writes <outer><inner>text</inner></outer> on one line: an inline
// element inside a block, such as <p><docTitle>...</docTitle></p>.
func (w *writer) wrapped(outer, inner, text string) {
	w.indent()
	w.buf.WriteString("<" + outer + "><" + inner + ">")
	w.escape(text)
	w.buf.WriteString("</" + inner + "></" + outer + ">\n")
}

// bytes returns the document, or the first error met while writing it.
func (w *writer) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.depth != 0 {
		return nil, fmt.Errorf("unbalanced document: depth %d at the end", w.depth)
	}
	return w.buf.Bytes(), nil
}
