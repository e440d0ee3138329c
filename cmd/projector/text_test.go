package main

import (
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// projector text prints the consolidated text, with its annotations and
// a provision's force when it is not in force; projector versions lists
// the days the text or force changed.
func TestTextAndVersionsCommands(t *testing.T) {
	const act, instrument = "/akn/kz/act/2010-12-01/300", "/akn/kz/act/2011-01-15/310"
	evs := []events.Event{
		{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2010-12-01"),
			Body: events.Body{Title: "Law on Notaries", Kind: events.Law, Structure: []events.Node{
				{EID: "art_1", Num: "1", Heading: "Notaries", Text: "A notary certifies deeds."},
				{EID: "art_2", Num: "2", Heading: "Fees", Text: "A notary charges the fee set by the Ministry of Justice."},
			}}},
		{ID: events.NewID(), Act: act, Type: events.Commenced, Date: events.MustDate("2011-01-01"), EffectiveFrom: events.MustDate("2011-01-01"), Provisions: []string{"art_1"}},
		{ID: events.NewID(), Act: act, Type: events.Amended, Date: events.MustDate("2011-01-20"), EffectiveFrom: events.MustDate("2011-02-01"),
			Instrument: instrument, Body: events.Body{Effect: events.Substitution, Changes: []events.Change{
				{Op: events.OpSubstitute, Target: "art_1", Words: "deeds", With: "deeds and wills", Source: "art_1"},
				{Op: events.OpInsert, Target: "art_2", Node: &events.Node{EID: "art_3", Num: "3", Text: "A notary keeps a register."}},
			}}},
		{ID: events.NewID(), Act: act, Type: events.Amended, Date: events.MustDate("2011-03-01"), EffectiveFrom: events.MustDate("2011-03-01"),
			Instrument: instrument, Provisions: []string{"art_2"}, Body: events.Body{Effect: events.Repeal}},
	}
	url, _ := serveEvents(t, evs)

	out, errs, err := runCmd(t, "text", act, "--as-of", "2011-06-01", "--server", url)
	if err != nil {
		t.Fatalf("text: %v\n%s", err, errs)
	}
	for _, want := range []string{
		act + " on 2011-06-01: the version of 2011-03-01",
		"article 1. Notaries  (art_1)\n  A notary certifies deeds and wills.\n  [words substituted by " + instrument + " art_1 from 2011-02-01]",
		"article 2. Fees [prospective]  (art_2)",
		"article 3  (art_3)\n  A notary keeps a register.\n  [inserted by " + instrument + " from 2011-02-01]",
		"outstanding (in effect, not shown in the text):\n  repeal by " + instrument + " from 2011-03-01",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text prints no\n%s\nin:\n%s", want, out)
		}
	}
	out, errs, err = runCmd(t, "text", act, "--compare", "2011-01-15", "--as-of", "2011-06-01", "--server", url)
	if err != nil {
		t.Fatalf("text --compare: %v\n%s", err, errs)
	}
	for _, want := range []string{
		act + ": 2011-01-15 (the version of 2011-01-01) -> 2011-06-01 (the version of 2011-03-01)",
		"changed art_1\n    A notary certifies [-deeds.-]{+deeds and wills.+}\n    by " + instrument + " art_1 from 2011-02-01",
		"added art_3\n    {+A notary keeps a register.+}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text --compare prints no\n%s\nin:\n%s", want, out)
		}
	}
	out, errs, err = runCmd(t, "versions", act, "--server", url)
	if err != nil {
		t.Fatalf("versions: %v\n%s", err, errs)
	}
	for _, want := range []string{act + ": 3 versions", "2011-01-01  force", "2011-02-01  text        amended by " + instrument, "2011-03-01              amended by " + instrument + " (its text not recorded)"} {
		if !strings.Contains(out, want) {
			t.Errorf("versions prints no %q:\n%s", want, out)
		}
	}
}

// The README's commands for the Criminal Code's article 49 answer as it
// says: as enacted and suspended in 2005, as the 2007 reform left it in
// 2008, as the abolition left it in 2010 with the judicial law
// outstanding, and the words that changed in between.
func TestREADMETextCommands(t *testing.T) {
	url := seededServer(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--as-of", "2005-01-01"}, []string{"article 49. Capital punishment [suspended]  (art_49)", "exceptional measure of punishment"}},
		{[]string{"--as-of", "2008-01-01"}, []string{"Only terrorist acts", "[substituted by /akn/kz/act/2007-05/constitutional-reform from 2007-05]"}},
		{[]string{"--as-of", "2010-01-01"}, []string{"The death penalty is abolished", "outstanding (in effect, not shown in the text):", "/akn/kz/act/2009-12-10/judicial-system-improvement"}},
		{[]string{"--compare", "2008-01-01", "--as-of", "2010-01-01"}, []string{"changed art_49", "[-Only -]{+The death penalty is abolished, save for +}terrorist acts"}},
		{[]string{"--as-of", "2009-07-10"}, []string{"uncertain: a change is dated 2009-07 only (shown from its first day); the text on 2009-07-10 may differ"}},
	} {
		out, errs, err := runCmd(t, append([]string{"text", criminalCode, "--server", url}, c.args...)...)
		if err != nil {
			t.Fatalf("text %v: %v\n%s", c.args, err, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("text %v prints no %q:\n%s", c.args, w, out)
			}
		}
	}
	out, errs, err := runCmd(t, "versions", criminalCode, "--server", url)
	if err != nil || !strings.Contains(out, "2003-12") || !strings.Contains(out, "2009-07") {
		t.Errorf("versions: %v\n%s%s", err, out, errs)
	}
}
