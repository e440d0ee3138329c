package examples_test

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// The law of 10 December 2009 that amends three codes at once (seed item 13).
const (
	judicialLaw    = events.ActID("/akn/kz/act/2009-12-10/judicial-system-improvement")
	criminalCode   = events.ActID("/akn/kz/act/code/1997-07-16/167")
	criminalProc   = events.ActID("/akn/kz/act/code/1997-12-13/206")
	civilProcedure = events.ActID("/akn/kz/act/code/1999-07-13/411")
	juryLaw        = events.ActID("/akn/kz/act/2006-01-16/121")
	actionPlan     = events.ActID("/akn/kz/act/programme/2009/human-rights-action-plan-2009-2012")
)

var notePrefix = regexp.MustCompile(`^seed item ([0-9]+): \S`)

type line struct {
	n     int // line number in the file
	event events.Event
}

// readSeed decodes every line of seed.jsonl as the importer does: strictly,
// with no record fields, then with the schema version set.
func readSeed(t *testing.T) []line {
	t.Helper()
	data, err := os.ReadFile("seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	n := 0
	for sc.Scan() {
		n++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			t.Errorf("line %d: empty line", n)
			continue
		}
		e, err := events.Decode(raw)
		if err != nil {
			t.Fatalf("line %d: decode: %v", n, err)
		}
		if err := e.CheckNew(); err != nil {
			t.Fatalf("line %d: CheckNew: %v", n, err)
		}
		if e.Schema != 0 {
			t.Errorf("line %d: carries \"schema\"; the sample data leaves it to the ledger", n)
		}
		if e.ID.IsZero() {
			t.Errorf("line %d: has no fixed id", n)
		}
		e.Schema = events.SchemaVersion
		if err := e.Validate(); err != nil {
			t.Fatalf("line %d: Validate: %v", n, err)
		}
		out = append(out, line{n, e})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("seed.jsonl holds no events")
	}
	return out
}

// TestSeedFollowsTheRules folds the lines in file order, per act, through
// the lifecycle rules: every line must be accepted where it stands.
func TestSeedFollowsTheRules(t *testing.T) {
	lines := readSeed(t)
	history := map[events.ActID][]events.Event{}
	created := map[events.ActID]int{} // act -> line of its first event
	for _, l := range lines {
		e := l.event
		if err := events.Validate(history[e.Act], e); err != nil {
			t.Errorf("line %d (%s %s): refused: %v", l.n, e.Type, e.Act, err)
			continue
		}
		if _, ok := created[e.Act]; !ok {
			created[e.Act] = l.n
		}
		history[e.Act] = append(history[e.Act], e)
	}
	// The rules do not look across acts: check here that every instrument
	// is an act recorded earlier in the file.
	for _, l := range lines {
		e := l.event
		if e.Instrument == "" {
			continue
		}
		first, ok := created[e.Instrument]
		switch {
		case !ok:
			t.Errorf("line %d: instrument %s is not an act of the file", l.n, e.Instrument)
		case first > l.n:
			t.Errorf("line %d: instrument %s is created later, on line %d", l.n, e.Instrument, first)
		}
	}
}

// TestSeedIDs checks that ids are fixed, unique and increasing, so that the
// file imports the same way every time and a second import changes nothing.
func TestSeedIDs(t *testing.T) {
	lines := readSeed(t)
	seen := map[events.ID]int{}
	var prev string
	for _, l := range lines {
		id := l.event.ID
		if other, dup := seen[id]; dup {
			t.Errorf("line %d: id %s already used on line %d", l.n, id, other)
		}
		seen[id] = l.n
		if s := id.String(); s <= prev {
			t.Errorf("line %d: id %s does not follow %s", l.n, s, prev)
		} else {
			prev = s
		}
	}
}

// TestSeedTraced checks that every event names the numbered item of the seed
// it comes from, and that the file covers most of them.
func TestSeedTraced(t *testing.T) {
	lines := readSeed(t)
	items := map[int]int{}
	for _, l := range lines {
		m := notePrefix.FindStringSubmatch(l.event.Body.Note)
		if m == nil {
			t.Errorf("line %d: body.note %q does not start with \"seed item N: \"", l.n, l.event.Body.Note)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > 17 {
			t.Errorf("line %d: seed item %d is not one of 1..17", l.n, n)
			continue
		}
		items[n]++
	}
	if len(items) < 14 {
		t.Errorf("the file covers %d seed items, want at least 14: %v", len(items), items)
	}
	t.Logf("events per seed item: %v", items)
}

// TestSeedJudicialLaw checks the law of 10 December 2009: adopted, then its
// three amendments of the Criminal Code, the Criminal Procedure Code and the
// Code of Civil Procedure on consecutive lines (one atomic batch when the
// import's batches do not split them).
func TestSeedJudicialLaw(t *testing.T) {
	lines := readSeed(t)
	adopted := 0
	var amended []line
	for _, l := range lines {
		e := l.event
		if e.Act == judicialLaw && e.Type == events.Adopted {
			adopted = l.n
		}
		if e.Type == events.Amended && e.Instrument == judicialLaw {
			amended = append(amended, l)
		}
	}
	if adopted == 0 {
		t.Fatalf("no adoption of %s", judicialLaw)
	}
	want := map[events.ActID]bool{criminalCode: true, criminalProc: true, civilProcedure: true}
	if len(amended) != len(want) {
		t.Fatalf("%d amendments by %s, want %d", len(amended), judicialLaw, len(want))
	}
	for i, l := range amended {
		e := l.event
		if !want[e.Act] {
			t.Errorf("line %d: amends %s, not one of the three codes", l.n, e.Act)
		}
		delete(want, e.Act)
		if i > 0 && l.n != amended[i-1].n+1 {
			t.Errorf("line %d: the amendments by %s are not on consecutive lines", l.n, judicialLaw)
		}
		if l.n < adopted {
			t.Errorf("line %d: amendment before the law's adoption on line %d", l.n, adopted)
		}
		if e.Date.String() != "2009-12-10" {
			t.Errorf("line %d: dated %s, want 2009-12-10", l.n, e.Date)
		}
	}
	for act := range want {
		t.Errorf("no amendment of %s by %s", act, judicialLaw)
	}
}

// TestSeedDeathPenalty checks the death penalty's life in the Criminal Code:
// suspended from December 2003 with no end date, narrowed in May 2007, the
// suspension lifted and the provision replaced in July 2009.
func TestSeedDeathPenalty(t *testing.T) {
	lines := readSeed(t)
	var got []string
	for _, l := range lines {
		e := l.event
		if e.Act != criminalCode || !contains(e.Provisions, "art_49") {
			continue
		}
		got = append(got, string(e.Type)+" "+e.EffectiveFrom.String()+"-"+e.EffectiveTo.String())
	}
	want := []string{
		"suspended 2003-12-",
		"amended 2007-05-",
		"suspension_lifted 2009-07-",
		"amended 2009-07-",
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("art_49 of the Criminal Code:\n got %q\nwant %q", got, want)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSeedREADME checks what README.md says of the file: the number of
// events and acts, what an import reports, and the acts table, where each
// line is listed once, in its act's row.
func TestSeedREADME(t *testing.T) {
	lines := readSeed(t)
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	acts := map[events.ActID]bool{}
	for _, l := range lines {
		acts[l.event.Act] = true
	}
	for _, want := range []string{
		strconv.Itoa(len(lines)) + " events on " + strconv.Itoa(len(acts)) + " acts",
		"`" + strconv.Itoa(len(lines)) + " recorded, 0 already in the ledger`",
		"`0 recorded, " + strconv.Itoa(len(lines)),
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not say %q", want)
		}
	}

	_, table, ok := strings.Cut(readme, "## The acts\n")
	if !ok {
		t.Fatal("README.md has no section \"The acts\"")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	rows := map[events.ActID]string{}
	listed := map[int]int{}
	lineRef := regexp.MustCompile(`\(([0-9]+)\)`)
	for row := range strings.SplitSeq(table, "\n") {
		act, _, ok := strings.Cut(strings.TrimPrefix(row, "| `"), "`")
		if !ok || !strings.HasPrefix(row, "| `") {
			continue
		}
		rows[events.ActID(act)] = row
		for _, m := range lineRef.FindAllStringSubmatch(row, -1) {
			n, _ := strconv.Atoi(m[1])
			listed[n]++
		}
	}
	if len(rows) != len(acts) {
		t.Errorf("the acts table has %d rows, want one for each of the %d acts", len(rows), len(acts))
	}
	for _, l := range lines {
		ref := "(" + strconv.Itoa(l.n) + ")"
		if row, ok := rows[l.event.Act]; !ok {
			t.Errorf("line %d: act %s has no row in the acts table", l.n, l.event.Act)
		} else if !strings.Contains(row, ref) {
			t.Errorf("line %d (%s) is not listed in its act's row: %s", l.n, l.event.Type, row)
		}
	}
	for n, c := range listed {
		if c != 1 || n < 1 || n > len(lines) {
			t.Errorf("the acts table lists line %d %d times, want once for a line of the file", n, c)
		}
	}
}
