package akn_test

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/akn"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// base is the record time of the tests' ledgers: event n is recorded n
// minutes after it.
var base = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

func minute(n uint64) time.Time { return base.Add(time.Duration(n) * time.Minute) }

// ledger is a stream built by a test: each event is decoded strictly,
// recorded (schema 1, record time, identity), checked with events.Validate
// against its act's prior events as the ledger would, and applied.
type ledger struct {
	t     testing.TB
	p     *projections.Projection
	seq   uint64
	byAct map[events.ActID][]events.Event
	all   []eventlog.Entry
}

func newLedger(t testing.TB) *ledger {
	return &ledger{t: t, p: projections.New(), byAct: map[events.ActID][]events.Event{}}
}

// add records one event given as JSON without record fields; an event
// without "id" gets events.NewID().
func (l *ledger) add(js string) events.Event {
	l.t.Helper()
	e, err := events.Decode([]byte(js))
	if err != nil {
		l.t.Fatalf("Decode(%s): %v", js, err)
	}
	if err := e.CheckNew(); err != nil {
		l.t.Fatalf("CheckNew(%s): %v", js, err)
	}
	if e.ID.IsZero() {
		e.ID = events.NewID()
	}
	l.seq++
	e.Schema, e.RecordedAt, e.RecordedBy = 1, minute(l.seq), "test"
	if err := events.Validate(l.byAct[e.Act], e); err != nil {
		l.t.Fatalf("event %d (%s) is refused: %v", l.seq, js, err)
	}
	l.byAct[e.Act] = append(l.byAct[e.Act], e)
	entry := eventlog.Entry{Seq: l.seq, Event: e}
	if _, err := l.p.Apply(entry); err != nil {
		l.t.Fatalf("Apply(%d): %v", l.seq, err)
	}
	l.all = append(l.all, entry)
	return e
}

// acts returns the acts of the ledger, sorted.
func (l *ledger) acts() []events.ActID {
	var out []events.ActID
	for a := range l.byAct {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// loadJSONL records every line of a JSON Lines file, line n as sequence n.
func loadJSONL(t testing.TB, path string) *ledger {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := newLedger(t)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			l.add(string(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return l
}

// seedLedger is the seed's timeline (examples/seed.jsonl) as a ledger.
func seedLedger(t testing.TB) *ledger {
	return loadJSONL(t, filepath.Join("..", "examples", "seed.jsonl"))
}

// mustExport exports and fails the test on error.
func mustExport(t testing.TB, p *projections.Projection, act events.ActID, asOf string, knownAt *time.Time) []byte {
	t.Helper()
	out, err := akn.Export(p, act, projections.Query{AsOf: events.MustDate(asOf), KnownAt: knownAt}, manifestation)
	if err != nil {
		t.Fatalf("Export(%s, %s): %v", act, asOf, err)
	}
	return out
}

// manifestation is the manifestation time of the tests' exports.
var manifestation = time.Date(2026, time.February, 3, 4, 5, 6, 0, time.UTC)

// schemaPath is the official Akoma Ntoso 3.0 schema; AKN_SCHEMA overrides it.
func schemaPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("AKN_SCHEMA")
	if path == "" {
		path = "/work/shared/schemas/akomantoso30.xsd"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the Akoma Ntoso schema is not at %s (%v): set AKN_SCHEMA to the path of akomantoso30.xsd (with xml.xsd beside it)", path, err)
	}
	return path
}

// xmllint returns the path of xmllint, and skips the test when it is not
// installed.
func xmllint(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed: install it (Debian/Ubuntu: apt-get install -y libxml2-utils; macOS: brew install libxml2) to validate exports against the Akoma Ntoso schema")
	}
	return path
}

// docs collects exports to validate in one run of xmllint.
type docs struct {
	dir   string
	files []string
	names map[string]bool
}

func newDocs(t testing.TB) *docs { return &docs{dir: t.TempDir(), names: map[string]bool{}} }

// add writes an export to a file named after the act and the query.
func (d *docs) add(t testing.TB, act events.ActID, label string, data []byte) string {
	t.Helper()
	name := strings.NewReplacer("/", "_", ":", "-").Replace(strings.TrimPrefix(string(act), "/akn/")) + "@" + label + ".xml"
	if d.names[name] {
		t.Fatalf("two exports named %s", name)
	}
	d.names[name] = true
	path := filepath.Join(d.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d.files = append(d.files, path)
	return path
}

// validate runs xmllint --noout --schema over every file, and fails the
// test for each file that does not validate, with xmllint's messages. It
// returns the number of files that validate.
func (d *docs) validate(t *testing.T) int {
	t.Helper()
	if len(d.files) == 0 {
		t.Fatal("nothing to validate")
	}
	valid, failed := lint(t, d.files)
	for _, f := range d.files {
		if msgs, bad := failed[f]; bad {
			t.Errorf("%s does not validate against the Akoma Ntoso schema:\n%s", filepath.Base(f), strings.Join(msgs, "\n"))
		}
	}
	return valid
}

// lint runs xmllint --noout --schema over files: it returns how many
// validate, and xmllint's messages for each file that does not.
func lint(t testing.TB, files []string) (int, map[string][]string) {
	t.Helper()
	bin := xmllint(t)
	schema := schemaPath(t)
	valid := 0
	failed := map[string][]string{}
	// Batches keep the command line short; xmllint reads the schema once a
	// batch.
	for start := 0; start < len(files); start += 200 {
		batch := files[start:min(start+200, len(files))]
		cmd := exec.Command(bin, append([]string{"--noout", "--schema", schema}, batch...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		runErr := cmd.Run()
		ok := map[string]bool{}
		msgs := map[string][]string{}
		for _, line := range strings.Split(stderr.String(), "\n") {
			if f, found := strings.CutSuffix(line, " validates"); found {
				ok[f] = true
				continue
			}
			for _, f := range batch {
				if strings.HasPrefix(line, f) {
					msgs[f] = append(msgs[f], line)
				}
			}
		}
		for _, f := range batch {
			if ok[f] {
				valid++
			} else {
				if failed[f] = msgs[f]; len(msgs[f]) == 0 {
					failed[f] = []string{"(xmllint did not say it validates)"}
				}
			}
		}
		if runErr != nil && len(failed) == 0 {
			t.Fatalf("xmllint failed but named no file: %v\n%s", runErr, stderr.String())
		}
	}
	return valid, failed
}

// node is a parsed XML element, for inspecting exports.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func parse(t testing.TB, data []byte) node {
	t.Helper()
	var n node
	if err := xml.Unmarshal(data, &n); err != nil {
		t.Fatalf("the export is not well-formed XML: %v\n%s", err, data)
	}
	return n
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// all returns n and its descendants named name, in document order.
func (n node) all(name string) []node {
	var out []node
	var walk func(m node)
	walk = func(m node) {
		if m.XMLName.Local == name {
			out = append(out, m)
		}
		for _, c := range m.Nodes {
			walk(c)
		}
	}
	walk(n)
	return out
}

// one returns the only descendant named name.
func (n node) one(t testing.TB, name string) node {
	t.Helper()
	found := n.all(name)
	if len(found) != 1 {
		t.Fatalf("want one <%s>, found %d", name, len(found))
	}
	return found[0]
}

// byEID returns the element with that eId.
func (n node) byEID(t testing.TB, eid string) node {
	t.Helper()
	var found []node
	var walk func(m node)
	walk = func(m node) {
		if m.attr("eId") == eid {
			found = append(found, m)
		}
		for _, c := range m.Nodes {
			walk(c)
		}
	}
	walk(n)
	if len(found) != 1 {
		t.Fatalf("want one element with eId %q, found %d", eid, len(found))
	}
	return found[0]
}

// checkRefs checks what the schema cannot: every eId is unique, every
// reference to an internal id ("#x" in href, source, by, start, end,
// period, refersTo, because) resolves to an eId, and every time interval
// has a start.
func checkRefs(doc node) error {
	ids := map[string]int{}
	var refs []string
	var problems []string
	var walk func(m node)
	walk = func(m node) {
		for _, a := range m.Attrs {
			switch a.Name.Local {
			case "eId":
				ids[a.Value]++
			case "href", "source", "by", "start", "end", "period", "refersTo", "because", "outcome", "as":
				for _, v := range strings.Fields(a.Value) {
					if strings.HasPrefix(v, "#") {
						refs = append(refs, fmt.Sprintf("%s/@%s=%s", m.XMLName.Local, a.Name.Local, v))
					}
				}
			}
		}
		if m.XMLName.Local == "timeInterval" && m.attr("start") == "" {
			problems = append(problems, "a timeInterval has no start")
		}
		for _, c := range m.Nodes {
			walk(c)
		}
	}
	walk(doc)
	for id, n := range ids {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("eId %q is used %d times", id, n))
		}
	}
	for _, r := range refs {
		target := r[strings.LastIndex(r, "#")+1:]
		if ids[target] == 0 {
			problems = append(problems, "unresolved reference "+r)
		}
	}
	slices.Sort(problems)
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
