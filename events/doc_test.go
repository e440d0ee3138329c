package events_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

var update = flag.Bool("update", false, "rewrite the generated tables of docs/EVENTS.md")

// typeTable renders events.Types as the Markdown table of docs/EVENTS.md.
func typeTable() string {
	var b strings.Builder
	b.WriteString("| type | group | meaning | first event? | requires | allows |\n|---|---|---|---|---|---|\n")
	for _, s := range events.Types {
		first := ""
		if s.Creates {
			first = "yes"
		}
		b.WriteString(fmt.Sprintf("| `%s` | %s | %s | %s | %s | %s |\n", s.Type, s.Group, s.Meaning, first, fields(s.Required), fields(s.Optional)))
	}
	b.WriteString("\n| kind | passage | meaning |\n|---|---|---|\n")
	for _, k := range events.Kinds {
		p := "adopted when issued"
		if k.Passage {
			p = "bill track"
		}
		b.WriteString(fmt.Sprintf("| `%s` | %s | %s |\n", k.Kind, p, k.Meaning))
	}
	return b.String()
}

func fields(fs []events.Field) string {
	if len(fs) == 0 {
		return "-"
	}
	var out []string
	for _, f := range fs {
		out = append(out, "`"+string(f)+"`")
	}
	return strings.Join(out, ", ")
}

const (
	beginMark = "<!-- BEGIN GENERATED: go test ./events -run TestEventsDoc -update -->\n"
	endMark   = "<!-- END GENERATED -->\n"
)

// TestEventsDoc keeps docs/EVENTS.md's table of types and kinds equal to
// the registry in types.go, and checks that every rule is explained.
func TestEventsDoc(t *testing.T) {
	const path = "../docs/EVENTS.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated-table markers", path)
	}
	want := doc[:i+len(beginMark)] + typeTable() + doc[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = want
	}
	if doc != want {
		t.Errorf("%s is out of date with types.go: run go test ./events -run TestEventsDoc -update", path)
	}
	for _, r := range []events.Rule{events.RuleSignedBeforeAdopted, events.RuleAfterVeto, events.RuleAfterTermination,
		events.RuleActNotFound, events.RuleRetroactiveUnflagged, events.RuleValidTimeOrder, events.RuleNoActiveSuspension,
		events.RuleAfterRepeal, events.RuleRecordImmutable, events.RuleActExists, events.RuleDuplicateStep, events.RuleStepOrder,
		events.RulePublishedBeforeSigned, events.RuleNotAdopted, events.RuleWrongKind, events.RuleTargetNotFound,
		events.RuleInconsistentRecord, events.RuleAlreadyAdopted, events.RuleNoVeto, events.RuleNotEnded, events.RuleFirstEvent, events.RuleTextChange, events.RuleIDUsed} {
		if !strings.Contains(doc, "`"+string(r)+"`") {
			t.Errorf("%s does not explain rule %s", path, r)
		}
	}
}
