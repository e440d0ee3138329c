package consolidation_test

import (
	"strings"
	"testing"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
)

func TestWords(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"up to five years.", "up to seven years.", "=[up to ] -[five ] +[seven ] =[years.]"},
		{"a fine or community service instead.", "a fine instead.", "=[a fine ] -[or community service ] =[instead.]"},
		{"", "New words.", "+[New words.]"},
		{"Same.", "Same.", "=[Same.]"},
		{"  lead and tail  ", "  lead, tail  ", "=[  ] -[lead and ] +[lead, ] =[tail  ]"},
		{"Пытки запрещены.", "Пытки строго запрещены.", "=[Пытки ] +[строго ] =[запрещены.]"},
	} {
		var parts []string
		var a, b strings.Builder
		for _, r := range consolidation.Words(c.a, c.b) {
			parts = append(parts, r.Op+"["+r.Text+"]")
			if r.Op != "+" {
				a.WriteString(r.Text)
			}
			if r.Op != "-" {
				b.WriteString(r.Text)
			}
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("Words(%q, %q) = %s, want %s", c.a, c.b, got, c.want)
		}
		if a.String() != c.a || b.String() != c.b {
			t.Errorf("Words(%q, %q) rebuilds %q and %q", c.a, c.b, a.String(), b.String())
		}
	}
}

// Compare lists each provision added, removed, repealed, renumbered or
// changed between two days, with the words that changed and the changes
// in effect between them.
func TestCompare(t *testing.T) {
	h := []events.Event{enacted(), commenced("1998-01-01"),
		amended("2008-01-05", "2008-02-01",
			events.Change{Op: events.OpSubstitute, Target: "art_49__para_1", Words: "five", With: "seven", Source: "art_1"},
			events.Change{Op: events.OpInsert, Target: "art_49", Node: &events.Node{EID: "art_49-1", Num: "49-1", Text: "Conciliation."}},
			events.Change{Op: events.OpRepeal, Target: "art_49__para_2"}),
		amended("2009-01-05", "2009-02-01", events.Change{Op: events.OpRenumber, Target: "art_48", EID: "art_47", Num: "47"}),
	}
	d := consolidation.Compare(at(t, h, "2007-01-01"), at(t, h, "2010-01-01"))
	var got []string
	for _, p := range d.Provisions {
		s := p.Change + " " + p.EID
		if p.Formerly != "" {
			s += " formerly " + p.Formerly
		}
		got = append(got, s)
	}
	want := "renumbered art_47 formerly art_48, changed art_49__para_1, repealed art_49__para_2, added art_49-1"
	if strings.Join(got, ", ") != want {
		t.Errorf("Compare: %s, want %s", strings.Join(got, ", "), want)
	}
	if p := d.Provisions[1]; len(p.Words) != 4 || p.Words[1].Text != "five " || len(p.By) != 1 || p.By[0].Source != "art_1" {
		t.Errorf("art_49__para_1: words %+v, by %+v", p.Words, p.By)
	}
	if d.FromVer != events.MustDate("1998-01-01") || d.ToVer != events.MustDate("2009-02-01") {
		t.Errorf("versions compared: %s and %s", d.FromVer, d.ToVer)
	}
	// And back: what the later text added, the earlier one lacks.
	back := consolidation.Compare(at(t, h, "2010-01-01"), at(t, h, "2007-01-01"))
	var gone []string
	for _, p := range back.Provisions {
		gone = append(gone, p.Change+" "+p.EID)
	}
	if strings.Join(gone, ", ") != "added art_48, changed art_49__para_1, changed art_49__para_2, removed art_47, removed art_49-1" {
		t.Errorf("Compare backwards: %s", strings.Join(gone, ", "))
	}
}
