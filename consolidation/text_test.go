package consolidation_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
)

const (
	code  events.ActID = "/akn/kz/act/code/1997-07-16/167"
	amend events.ActID = "/akn/kz/act/2009-12-10/227"
)

// enacted is the code as adopted: a chapter of two articles, the second
// with two paragraphs.
func enacted() events.Event {
	return ev(events.Adopted, "1997-07-16", func(e *events.Event) {
		e.Body.Title, e.Body.Kind = "Criminal Code", events.CodeKind
		e.Body.Structure = []events.Node{{EID: "chp_1", Num: "1", Heading: "General provisions", Children: []events.Node{
			{EID: "art_48", Num: "48", Heading: "Release", Text: "A person may be released from liability."},
			{EID: "art_49", Num: "49", Heading: "Punishment", Children: []events.Node{
				{EID: "art_49__para_1", Num: "1", Text: "The punishment is deprivation of liberty for up to five years."},
				{EID: "art_49__para_2", Num: "2", Text: "A court may impose a fine or community service instead."},
			}},
		}}}
	})
}

func ev(t events.Type, date string, opts ...func(*events.Event)) events.Event {
	e := events.Event{Schema: events.SchemaVersion, ID: events.NewID(), Act: code, Type: t, Date: events.MustDate(date)}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func commenced(from string) events.Event {
	return ev(events.Commenced, from, func(e *events.Event) { e.EffectiveFrom = events.MustDate(from) })
}

// amended is an amendment by the law of 2009 from from, making changes.
func amended(date, from string, changes ...events.Change) events.Event {
	return ev(events.Amended, date, func(e *events.Event) {
		e.Instrument, e.EffectiveFrom, e.Body.Effect = amend, events.MustDate(from), events.Substitution
		e.Body.Changes = changes
	})
}

// at consolidates history on date and fails the test on an error.
func at(t *testing.T, history []events.Event, date string) *consolidation.Text {
	t.Helper()
	for i := range history {
		if err := history[i].Validate(); err != nil {
			t.Fatalf("event %d (%s) is not valid: %v", i+1, history[i].Type, err)
		}
	}
	eff, err := events.Effective(history)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := consolidation.Build(code, eff, events.MustDate(date), consolidation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return txt
}

// find returns the provision eid of txt, or nil.
func find(ns []consolidation.Node, eid string) *consolidation.Node {
	for i := range ns {
		if ns[i].EID == eid {
			return &ns[i]
		}
		if n := find(ns[i].Children, eid); n != nil {
			return n
		}
	}
	return nil
}

// outline lists the eIds of txt in reading order, a repealed one marked.
func outline(ns []consolidation.Node) string {
	var b strings.Builder
	var walk func([]consolidation.Node)
	walk = func(ns []consolidation.Node) {
		for _, n := range ns {
			b.WriteString(n.EID)
			if n.Repealed {
				b.WriteString("(repealed)")
			}
			b.WriteByte(' ')
			walk(n.Children)
		}
	}
	walk(ns)
	return strings.TrimSpace(b.String())
}

// reads checks what provision eid says in txt.
func reads(t *testing.T, txt *consolidation.Text, eid, want string) {
	t.Helper()
	n := find(txt.Provisions, eid)
	if n == nil {
		t.Fatalf("%s is not in the text on %s: %s", eid, txt.AsOf, outline(txt.Provisions))
	}
	if n.Text != want {
		t.Errorf("%s on %s reads %q, want %q", eid, txt.AsOf, n.Text, want)
	}
}

func TestConsolidation(t *testing.T) {
	newArt := &events.Node{EID: "art_49-1", Num: "49-1", Heading: "Conciliation", Text: "A case may end in conciliation of the parties."}
	tests := []struct {
		name  string
		later func(base []events.Event) []events.Event
		check func(t *testing.T, h []events.Event)
	}{{
		name: "an inserted provision later amended",
		later: func(h []events.Event) []events.Event {
			return append(h,
				amended("2008-01-05", "2008-02-01", events.Change{Op: events.OpInsert, Target: "art_49", Node: newArt, Source: "art_1__para_3"}),
				amended("2010-01-05", "2010-02-01", events.Change{Op: events.OpSubstitute, Target: "art_49-1", Words: "conciliation of the parties", With: "a settlement approved by the court"}))
		},
		check: func(t *testing.T, h []events.Event) {
			if n := find(at(t, h, "2008-01-31").Provisions, "art_49-1"); n != nil {
				t.Errorf("art_49-1 is in the text before its insertion")
			}
			t08 := at(t, h, "2008-06-01")
			if got := outline(t08.Provisions); got != "chp_1 art_48 art_49 art_49__para_1 art_49__para_2 art_49-1" {
				t.Errorf("outline on 2008-06-01: %s", got)
			}
			reads(t, t08, "art_49-1", newArt.Text)
			t10 := at(t, h, "2010-06-01")
			reads(t, t10, "art_49-1", "A case may end in a settlement approved by the court.")
			n := find(t10.Provisions, "art_49-1")
			if len(n.Annotations) != 2 || n.Annotations[0].Op != events.OpInsert || n.Annotations[0].Source != "art_1__para_3" ||
				n.Annotations[1].Op != events.OpSubstitute || !n.Annotations[1].Words || n.Annotations[1].Instrument != amend {
				t.Errorf("annotations of art_49-1: %+v", n.Annotations)
			}
			if n.Element != "article" {
				t.Errorf("art_49-1 is a %q, want article", n.Element)
			}
			if t10.Version != events.MustDate("2010-02-01") || t08.Version != events.MustDate("2008-02-01") {
				t.Errorf("versions on 2010-06-01 and 2008-06-01: %s and %s", t10.Version, t08.Version)
			}
		},
	}, {
		name: "words repealed, then the provision substituted",
		later: func(h []events.Event) []events.Event {
			return append(h,
				amended("2005-01-05", "2005-02-01", events.Change{Op: events.OpRepeal, Target: "art_49__para_2", Words: " or community service"}),
				amended("2008-01-05", "2008-02-01", events.Change{Op: events.OpSubstitute, Target: "art_49__para_2", With: "A court may suspend the sentence."}))
		},
		check: func(t *testing.T, h []events.Event) {
			reads(t, at(t, h, "2005-01-31"), "art_49__para_2", "A court may impose a fine or community service instead.")
			reads(t, at(t, h, "2005-02-01"), "art_49__para_2", "A court may impose a fine instead.")
			t08 := at(t, h, "2008-02-01")
			reads(t, t08, "art_49__para_2", "A court may suspend the sentence.")
			if n := find(t08.Provisions, "art_49__para_2"); len(n.Annotations) != 2 {
				t.Errorf("art_49__para_2 has %d annotations, want 2", len(n.Annotations))
			}
		},
	}, {
		name: "an amendment before commencement",
		later: func(h []events.Event) []events.Event {
			return append(h[:1],
				amended("1997-09-01", "1997-10-01", events.Change{Op: events.OpSubstitute, Target: "art_49__para_1", Words: "five", With: "seven"}),
				commenced("1998-01-01"))
		},
		check: func(t *testing.T, h []events.Event) {
			t97 := at(t, h, "1997-12-01")
			reads(t, t97, "art_49__para_1", "The punishment is deprivation of liberty for up to seven years.")
			vs := consolidation.Versions(h)
			if len(vs) != 2 || vs[0].Date != events.MustDate("1997-10-01") || !vs[0].Text || vs[1].Date != events.MustDate("1998-01-01") || !vs[1].Force {
				t.Errorf("versions: %+v", vs)
			}
		},
	}, {
		name: "a retroactive amendment recorded late",
		later: func(h []events.Event) []events.Event {
			return append(h,
				amended("2009-01-05", "2009-02-01", events.Change{Op: events.OpSubstitute, Target: "art_48", With: "A person shall be released from liability."}),
				// Recorded after, in effect before.
				amended("2009-06-05", "2007-01-01", events.Change{Op: events.OpRepeal, Target: "art_49__para_2"}))
		},
		check: func(t *testing.T, h []events.Event) {
			// As the record stood before the late one: the paragraph in
			// force on 2008-01-01.
			before := at(t, h[:len(h)-1], "2008-01-01")
			if n := find(before.Provisions, "art_49__para_2"); n == nil || n.Repealed {
				t.Errorf("as first recorded, art_49__para_2 on 2008-01-01 is %+v, want in the text", n)
			}
			after := at(t, h, "2008-01-01")
			if n := find(after.Provisions, "art_49__para_2"); n == nil || !n.Repealed || n.Text != "" {
				t.Errorf("after the late record, art_49__para_2 on 2008-01-01 is %+v, want repealed", n)
			}
			if got := outline(after.Provisions); got != "chp_1 art_48 art_49 art_49__para_1 art_49__para_2(repealed)" {
				t.Errorf("outline: %s", got)
			}
			reads(t, at(t, h, "2010-01-01"), "art_48", "A person shall be released from liability.")
		},
	}, {
		name: "renumbering, then an amendment under the new number",
		later: func(h []events.Event) []events.Event {
			return append(h,
				amended("2004-01-05", "2004-02-01", events.Change{Op: events.OpRenumber, Target: "art_49", EID: "art_50", Num: "50"}),
				amended("2006-01-05", "2006-02-01", events.Change{Op: events.OpSubstitute, Target: "art_50__para_1", Words: "five", With: "six"}))
		},
		check: func(t *testing.T, h []events.Event) {
			txt := at(t, h, "2006-06-01")
			if got := outline(txt.Provisions); got != "chp_1 art_48 art_50 art_50__para_1 art_50__para_2" {
				t.Errorf("outline: %s", got)
			}
			reads(t, txt, "art_50__para_1", "The punishment is deprivation of liberty for up to six years.")
			if n := find(txt.Provisions, "art_50"); n.Num != "50" || n.Annotations[0].Formerly != "art_49" {
				t.Errorf("art_50: num %q, annotations %+v", n.Num, n.Annotations)
			}
			if find(at(t, h, "2004-01-31").Provisions, "art_49__para_1") == nil {
				t.Errorf("art_49 is renumbered before the renumbering")
			}
		},
	}, {
		name: "a corrected amendment text",
		later: func(h []events.Event) []events.Event {
			a := amended("2008-01-05", "2008-02-01", events.Change{Op: events.OpSubstitute, Target: "art_48", With: "A person may be releesed."})
			fix := ev(events.RecordCorrected, "2008-01-06", func(e *events.Event) {
				e.Body.Corrects, e.Body.Reason = a.ID, "mistyped"
				e.Body.Correction = json.RawMessage(`{"body":{"changes":[{"op":"substitute","target":"art_48","with":"A person may be released."}]}}`)
			})
			return append(h, a, fix)
		},
		check: func(t *testing.T, h []events.Event) {
			reads(t, at(t, h[:len(h)-1], "2009-01-01"), "art_48", "A person may be releesed.")
			reads(t, at(t, h, "2009-01-01"), "art_48", "A person may be released.")
		},
	}, {
		name: "an amendment whose target does not exist at its date is refused",
		later: func(h []events.Event) []events.Event {
			return append(h, amended("2008-01-05", "2008-02-01", events.Change{Op: events.OpInsert, Target: "art_49", Node: newArt}))
		},
		check: func(t *testing.T, h []events.Event) {
			eff, _ := events.Effective(h)
			for _, c := range []struct {
				from   string
				change events.Change
				want   string
			}{
				{"2008-01-31", events.Change{Op: events.OpSubstitute, Target: "art_49-1", With: "x"}, "art_49-1 is not in the text in force on 2008-01-31"},
				{"2008-02-01", events.Change{Op: events.OpSubstitute, Target: "art_49-1", Words: "parties", With: "sides"}, ""},
				{"2008-02-01", events.Change{Op: events.OpSubstitute, Target: "art_49__para_1", Words: "ten years", With: "x"}, `the words "ten years" are not in art_49__para_1`},
				{"2008-02-01", events.Change{Op: events.OpSubstitute, Target: "art_49__para_1", Words: "e", With: "x"}, `the words "e" are not in art_49__para_1`},
				{"2008-02-01", events.Change{Op: events.OpInsert, Target: "art_48", Node: &events.Node{EID: "art_49-1", Text: "again"}}, "art_49-1 is in the text in force on 2008-02-01 already"},
				{"2008-02-01", events.Change{Op: events.OpRenumber, Target: "art_48", EID: "art_49"}, "art_49 is in the text in force on 2008-02-01 already"},
			} {
				e := amended("2010-01-01", c.from, c.change)
				err := consolidation.Check(eff, &e)
				if c.want == "" {
					if err != nil {
						t.Errorf("%+v from %s: %v", c.change, c.from, err)
					}
					continue
				}
				var ee *events.Error
				if !errors.As(err, &ee) || ee.Code != events.CodeRule || ee.Rule != events.RuleTextChange || !strings.Contains(ee.Message, c.want) {
					t.Errorf("%+v from %s: %v, want a text_change refusal saying %q", c.change, c.from, err, c.want)
				}
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, tc.later([]events.Event{enacted(), commenced("1998-01-01")}))
		})
	}
}

// A change that fails leaves its whole event unapplied, listed as
// outstanding, and an amendment recorded without changes is outstanding.
func TestOutstandingAndPending(t *testing.T) {
	h := []events.Event{enacted(), commenced("1998-01-01"),
		// Recorded first, in effect later: it changes words that the late
		// one below removes.
		amended("2008-01-05", "2009-02-01",
			events.Change{Op: events.OpSubstitute, Target: "art_48", With: "Changed."},
			events.Change{Op: events.OpSubstitute, Target: "art_49__para_2", Words: "a fine", With: "a penalty"}),
		amended("2008-01-06", "2008-06-01", events.Change{Op: events.OpRepeal, Target: "art_49__para_2"}),
		amended("2008-01-07", "2008-07-01"),
		amended("2008-01-08", "2011-01-01", events.Change{Op: events.OpRepeal, Target: "art_48"}),
	}
	txt := at(t, h, "2010-01-01")
	reads(t, txt, "art_48", "A person may be released from liability.") // its event did not apply
	if len(txt.Outstanding) != 2 || txt.Outstanding[0].Event != h[4].ID || !strings.Contains(txt.Outstanding[0].Reason, "without its textual changes") ||
		txt.Outstanding[1].Event != h[2].ID || !strings.Contains(txt.Outstanding[1].Reason, "change 2: art_49__para_2 is repealed") {
		t.Errorf("outstanding: %+v", txt.Outstanding)
	}
	if len(txt.Pending) != 1 || txt.Pending[0].Event != h[5].ID {
		t.Errorf("pending: %+v", txt.Pending)
	}
}

func TestBuildWithoutText(t *testing.T) {
	h := []events.Event{ev(events.Adopted, "1997-07-16", func(e *events.Event) { e.Body.Title, e.Body.Kind = "Criminal Code", events.CodeKind })}
	if _, err := consolidation.Build(code, h, events.MustDate("2000-01-01"), consolidation.Options{}); !errors.Is(err, consolidation.ErrNoText) {
		t.Errorf("Build of an act without text: %v, want ErrNoText", err)
	}
	e := amended("2008-01-05", "2008-02-01", events.Change{Op: events.OpRepeal, Target: "art_48"})
	if err := consolidation.Check(h, &e); err == nil || !strings.Contains(err.Error(), "no text of it is recorded") {
		t.Errorf("Check on an act without text: %v", err)
	}
}

// The texts of the form before structures consolidate too: provisions in
// eId order, each text replaced by the latest amendment's.
func TestFlatTexts(t *testing.T) {
	h := []events.Event{
		ev(events.Adopted, "1997-07-16", func(e *events.Event) {
			e.Body.Title, e.Body.Kind = "Criminal Code", events.CodeKind
			e.Body.Texts = map[string]string{"art_10": "Ten.", "art_9": "Nine.", "art_9-1": "Nine-one."}
		}),
		ev(events.Amended, "2001-01-01", func(e *events.Event) {
			e.Instrument, e.EffectiveFrom, e.Body.Effect = amend, events.MustDate("2001-02-01"), events.Substitution
			e.Provisions, e.Body.Texts = []string{"art_10"}, map[string]string{"art_10": "Ten, amended."}
		}),
	}
	txt := at(t, h, "2002-01-01")
	if got := outline(txt.Provisions); got != "art_9 art_9-1 art_10" {
		t.Errorf("outline: %s", got)
	}
	reads(t, txt, "art_10", "Ten, amended.")
	reads(t, at(t, h, "2001-01-31"), "art_10", "Ten.")
}

func ExampleBuild() {
	h := []events.Event{enacted(), commenced("1998-01-01"),
		amended("2009-12-10", "2010-01-01", events.Change{Op: events.OpSubstitute, Target: "art_49__para_1", Words: "five", With: "three", Source: "art_1__para_2"})}
	txt, _ := consolidation.Build(code, h, events.MustDate("2010-06-01"), consolidation.Options{})
	p := txt.Provisions[0].Children[1].Children[0]
	fmt.Println(txt.Version, p.EID, p.Text)
	fmt.Println(p.Annotations[0].Op, "by", p.Annotations[0].Instrument, p.Annotations[0].Source, "from", p.Annotations[0].From)
	// Output:
	// 2010-01-01 art_49__para_1 The punishment is deprivation of liberty for up to three years.
	// substitute by /akn/kz/act/2009-12-10/227 art_1__para_2 from 2010-01-01
}

// An act whose texts come only from its amendments has a text made of
// them, and no enacted event.
func TestTextsFromAmendmentsOnly(t *testing.T) {
	h := []events.Event{
		ev(events.Adopted, "1997-07-16", func(e *events.Event) { e.Body.Title, e.Body.Kind = "Criminal Code", events.CodeKind }),
		ev(events.Amended, "2007-05-01", func(e *events.Event) {
			e.Instrument, e.EffectiveFrom, e.Body.Effect = amend, events.MustDate("2007-05-01"), events.Substitution
			e.Provisions, e.Body.Texts = []string{"art_49"}, map[string]string{"art_49": "Only terrorist acts are punishable by death."}
		}),
	}
	if txt := at(t, h, "2006-01-01"); len(txt.Provisions) != 0 || !txt.Enacted.IsZero() {
		t.Errorf("the text before the amendment: %+v", txt)
	}
	reads(t, at(t, h, "2008-01-01"), "art_49", "Only terrorist acts are punishable by death.")
}

// Words are found as words: not inside other words, and once; words that
// begin or end with a sign join what is next to them.
func TestWordsAsWords(t *testing.T) {
	h := []events.Event{ev(events.Adopted, "1997-07-16", func(e *events.Event) {
		e.Body.Title, e.Body.Kind = "Criminal Code", events.CodeKind
		e.Body.Structure = []events.Node{{EID: "art_1", Text: "The sentence is ten years, and ten years more for a repeat (tenth) offence."}}
	}), commenced("1998-01-01")}
	for _, c := range []struct {
		words, want string
	}{
		{"sentence", ""},
		{"ten", "occur 2 times"},
		{"ent", `the words "ent" are not in art_1`},
		{"ten years,", ""},
		{"(tenth)", ""},
		{"tenth", ""},
		{"years more", ""},
		{"e", `the words "e" are not in art_1`},
	} {
		e := amended("2010-01-01", "2010-02-01", events.Change{Op: events.OpSubstitute, Target: "art_1", Words: c.words, With: "x"})
		err := consolidation.Check(h, &e)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("words %q: %v", c.words, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("words %q: %v, want an error saying %q", c.words, err, c.want)
		}
	}
}

// A renumbering that would give two provisions one eId is refused, and
// the provisions under a renumbered one say what they were, so that a
// commencement or a comparison still finds them.
func TestRenumberingTheProvisionsUnder(t *testing.T) {
	h := []events.Event{ev(events.Adopted, "1997-07-16", func(e *events.Event) {
		e.Body.Title, e.Body.Kind = "Criminal Code", events.CodeKind
		e.Body.Structure = []events.Node{{EID: "art_1", Children: []events.Node{
			{EID: "art_1__para_1", Text: "One."}, {EID: "art_2__para_1", Text: "Oddly named."}}}}
	}), commenced("1998-01-01")}
	e := amended("2010-01-01", "2010-02-01", events.Change{Op: events.OpRenumber, Target: "art_1", EID: "art_2"})
	if err := consolidation.Check(h, &e); err == nil || !strings.Contains(err.Error(), "art_2__para_1 is in the text") {
		t.Errorf("a renumbering onto a name under it: %v", err)
	}
	h[0].Body.Structure[0].Children[1].EID = "art_1__para_2"
	h = append(h, amended("2010-01-01", "2010-02-01", events.Change{Op: events.OpRenumber, Target: "art_1", EID: "art_5"}))
	txt := at(t, h, "2010-06-01")
	p := find(txt.Provisions, "art_5__para_2")
	if p == nil || len(p.Annotations) != 1 || p.Annotations[0].Formerly != "art_1__para_2" {
		t.Fatalf("art_5__para_2 after the renumbering: %+v", p)
	}
	d := consolidation.Compare(at(t, h, "2009-01-01"), txt)
	var got []string
	for _, c := range d.Provisions {
		got = append(got, c.Change+" "+c.EID+" "+c.Formerly)
	}
	if strings.Join(got, ", ") != "renumbered art_5 art_1, renumbered art_5__para_1 art_1__para_1, renumbered art_5__para_2 art_1__para_2" {
		t.Errorf("the comparison: %s", strings.Join(got, ", "))
	}
}

// A change dated to the month applies from its first day, and the text
// asked inside that month says its boundary is uncertain.
func TestUncertainMonth(t *testing.T) {
	h := []events.Event{enacted(), commenced("1998-01-01"),
		amended("2007-05", "2007-05", events.Change{Op: events.OpSubstitute, Target: "art_48", With: "Changed in May."})}
	for _, c := range []struct {
		day       string
		uncertain bool
		text      string
	}{
		{"2007-04-30", false, "A person may be released from liability."},
		{"2007-05-01", true, "Changed in May."},
		{"2007-05-31", true, "Changed in May."},
		{"2007-06-01", false, "Changed in May."},
	} {
		txt := at(t, h, c.day)
		reads(t, txt, "art_48", c.text)
		if got := len(txt.Uncertain) == 1 && txt.Uncertain[0] == events.MustDate("2007-05"); got != c.uncertain {
			t.Errorf("on %s: uncertain %v, want %t", c.day, txt.Uncertain, c.uncertain)
		}
	}
}
