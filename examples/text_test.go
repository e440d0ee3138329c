package examples_test

import (
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// The sample answers "what did it say on that day" for the Criminal Code's
// article 49, recorded with the Code's structure: as enacted (and
// suspended by the moratorium) in 2005, as the May 2007 reform left it in
// 2008, as the July 2009 abolition left it in 2010, each change annotated
// with its instrument; the judicial law of 2009-12-10, recorded without
// its changes, is outstanding.
func TestSeedArticle49Text(t *testing.T) {
	p := seedProjection(t)
	for _, c := range []struct {
		day, text, status, by string
		outstanding           int
	}{
		{"2005-01-01", "The death penalty may be imposed as an exceptional measure of punishment for especially grave crimes.", "suspended", "", 0},
		{"2008-01-01", "Only terrorist acts that cause loss of human life and crimes committed during wartime are punishable by death. Those sentenced to death have the right to seek a pardon.", "suspended", "/akn/kz/act/2007-05/constitutional-reform", 0},
		{"2010-01-01", "The death penalty is abolished, save for terrorist acts that cause loss of human life and crimes committed during wartime.", "in_force", "/akn/kz/act/2009-07/death-penalty-abolition", 1},
	} {
		txt, err := p.Text(criminalCode, projections.Query{AsOf: events.MustDate(c.day)})
		if err != nil {
			t.Fatalf("the Criminal Code's text on %s: %v", c.day, err)
		}
		if len(txt.Provisions) != 1 || txt.Provisions[0].EID != "art_49" {
			t.Fatalf("the Criminal Code's text on %s: %+v", c.day, txt.Provisions)
		}
		a := txt.Provisions[0]
		if a.Text != c.text || a.Status != c.status || a.Heading != "Capital punishment" {
			t.Errorf("art_49 on %s: %q, %s, heading %q; want %q, %s", c.day, a.Text, a.Status, a.Heading, c.text, c.status)
		}
		by := ""
		if n := len(a.Annotations); n > 0 {
			by = string(a.Annotations[n-1].Instrument)
		}
		if by != c.by || len(txt.Outstanding) != c.outstanding {
			t.Errorf("art_49 on %s: last changed by %q, %d outstanding; want %q, %d", c.day, by, len(txt.Outstanding), c.by, c.outstanding)
		}
	}
}
