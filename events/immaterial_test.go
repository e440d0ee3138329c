package events_test

import (
	"bufio"
	"os"
	"reflect"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// seedHistories reads examples/seed.jsonl into each act's history, in
// ledger order.
func seedHistories(t *testing.T) (map[events.ActID][]events.Event, []events.ActID) {
	t.Helper()
	f, err := os.Open("../examples/seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byAct := map[events.ActID][]events.Event{}
	var order []events.ActID
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, events.MaxEventBytes)
	for sc.Scan() {
		e, err := events.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if e.Schema == 0 {
			e.Schema = events.SchemaVersion
		}
		if byAct[e.Act] == nil {
			order = append(order, e.Act)
		}
		byAct[e.Act] = append(byAct[e.Act], e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return byAct, order
}

// recordEvents returns the record events of hist.
func recordEvents(hist []events.Event) []events.Event {
	var out []events.Event
	for _, e := range hist {
		if spec, _ := events.SpecOf(e.Type); spec.Group == events.Record {
			out = append(out, e)
		}
	}
	return out
}

// checkImmaterial asserts what ImmaterialCorrection promises about e, a
// correction of target after hist: when it says yes, Validate accepts e
// and the fold with e is the fold without it, one version on. It returns
// its answer and Validate's.
func checkImmaterial(t *testing.T, hist []events.Event, target events.Event, e events.Event) (immaterial bool, full error) {
	t.Helper()
	_, immaterial = events.ImmaterialCorrection(target, recordEvents(hist), e)
	full = events.Validate(hist, e)
	if !immaterial {
		return immaterial, full
	}
	if full != nil {
		t.Errorf("%s: a correction of %s %s (%s) is immaterial, but Validate refuses it: %v", target.Act, target.Type, target.ID, e.Body.Correction, full)
	}
	before, err1 := events.Fold(hist)
	after, err2 := events.Fold(append(hist[:len(hist):len(hist)], e))
	if err1 != nil || err2 != nil {
		t.Fatalf("Fold: %v, %v", err1, err2)
	}
	before.Version++
	if !reflect.DeepEqual(before, after) {
		t.Errorf("%s: an immaterial correction of %s (%s) changed the fold:\n%+v\nwant\n%+v", target.Act, target.Type, e.Body.Correction, after, before)
	}
	return immaterial, full
}

// TestImmaterialCorrectionOfTheSeed corrects every event of the seed in
// words and in what the rules read: the words are immaterial exactly when
// the ledger accepts them, a change of date or title never is.
func TestImmaterialCorrectionOfTheSeed(t *testing.T) {
	byAct, order := seedHistories(t)
	words, changes := 0, 0
	for _, act := range order {
		hist := byAct[act]
		for _, target := range hist {
			if spec, _ := events.SpecOf(target.Type); spec.Group == events.Record {
				continue
			}
			fix := func(correction string) events.Event {
				return newEvent(act, events.RecordCorrected, "2026-01-01", corrects(target.ID, correction))
			}
			for _, c := range []string{`{"body":{"note":"checked against the gazette"}}`, `{"date":"` + target.Date.String() + `"}`} {
				imm, full := checkImmaterial(t, hist, target, fix(c))
				if imm != (full == nil) {
					t.Errorf("%s: %s corrected by %s: immaterial %t, Validate %v; want immaterial exactly when accepted", act, target.Type, c, imm, full)
				}
				if imm {
					words++
				}
			}
			other := target.Date
			other.Year-- // a year earlier, at the same precision
			for _, c := range []string{`{"date":"` + other.String() + `"}`, `{"body":{"title":"Another title"}}`, `{"provisions":["art_999"]}`} {
				imm, _ := checkImmaterial(t, hist, target, fix(c))
				if imm {
					t.Errorf("%s: %s corrected by %s is immaterial; it changes what the rules read", act, target.Type, c)
				}
				changes++
			}
		}
	}
	if words == 0 || changes == 0 {
		t.Fatalf("%d immaterial corrections and %d material ones tried: the seed was not read", words, changes)
	}
	t.Logf("%d immaterial corrections accepted, %d material ones not taken for immaterial", words, changes)
}

// TestImmaterialCorrectionAfterOthers: the event as it stands counts, its
// earlier corrections and retractions applied.
func TestImmaterialCorrectionAfterOthers(t *testing.T) {
	hist := repealedLaw()
	com := hist[3] // commenced from 2010-01-01
	if com.Type != events.Commenced {
		t.Fatalf("hist[3] is %s, want the commencement", com.Type)
	}
	fix := func(correction string) events.Event {
		return newEvent(law, events.RecordCorrected, "2010-02-01", corrects(com.ID, correction))
	}
	moved := fix(`{"effective_from":"2010-02-01"}`)
	if imm, full := checkImmaterial(t, hist, com, moved); imm || full != nil {
		t.Fatalf("moving the commencement: immaterial %t, Validate %v; want material and accepted", imm, full)
	}
	hist = append(hist, moved)
	// Back to the date first recorded: a change of the event as it stands.
	if imm, _ := checkImmaterial(t, hist, com, fix(`{"effective_from":"2010-01-01"}`)); imm {
		t.Error("the commencement moved back to its first date is immaterial; it changes the event as corrected")
	}
	// The date as corrected, restated: immaterial.
	if imm, full := checkImmaterial(t, hist, com, fix(`{"effective_from":"2010-02-01"}`)); !imm || full != nil {
		t.Errorf("the corrected date restated: immaterial %t, Validate %v; want immaterial and accepted", imm, full)
	}
	// With the correction retracted, the first date stands again.
	hist = append(hist, newEvent(law, events.RecordRetracted, "2010-02-02", retracts(moved.ID)))
	if imm, full := checkImmaterial(t, hist, com, fix(`{"effective_from":"2010-01-01"}`)); !imm || full != nil {
		t.Errorf("the first date restated after the retraction: immaterial %t, Validate %v; want immaterial and accepted", imm, full)
	}
	// A retracted event cannot be corrected: not immaterial, refused.
	hist = append(hist, newEvent(law, events.RecordRetracted, "2010-02-03", retracts(com.ID)))
	if imm, full := checkImmaterial(t, hist, com, fix(`{"body":{"note":"late"}}`)); imm || full == nil {
		t.Errorf("a note on a retracted event: immaterial %t, Validate %v; want neither", imm, full)
	}
	// Without the retraction among the records, it would be taken for
	// immaterial: the caller must pass every retraction.
	if _, ok := events.ImmaterialCorrection(com, nil, fix(`{"body":{"note":"late"}}`)); !ok {
		t.Error("a note on an event with no records is not immaterial")
	}
	// Not a correction of target, or of another act: never.
	if _, ok := events.ImmaterialCorrection(hist[2], nil, fix(`{"body":{"note":"x"}}`)); ok {
		t.Error("a correction of another event is immaterial")
	}
}

func TestCorrectsWordsOnly(t *testing.T) {
	for c, want := range map[string]bool{
		`{"body":{"note":"checked"}}`:                          true,
		`{"body":{"gazette":"No. 2","signatory":"the Prime"}}`: true,
		`{"body":{"note":null}}`:                               true,
		`{"body":{"note":"x","texts":{"art_1":"y"}}}`:          false,
		`{"body":{"title":"Another"}}`:                         false,
		`{"body":{}}`:                                          false,
		`{"date":"2009-12-01"}`:                                false,
		`{"date":"2009-12-01","body":{"note":"x"}}`:            false,
		`not json`: false,
	} {
		if got := events.CorrectsWordsOnly([]byte(c)); got != want {
			t.Errorf("CorrectsWordsOnly(%s) = %t, want %t", c, got, want)
		}
	}
}
