package events_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// fixtureDir holds events recorded in schema 1, one per type, named
// TYPE.json, each in exactly the bytes Encode writes. Decode must keep
// reading them as long as the ledger runs: never edit them, add a directory
// for a new schema instead.
const fixtureDir = "testdata/v1"

// readFixtures returns the fixtures by file name.
func readFixtures(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatalf("no fixtures in %s", fixtureDir)
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	return out
}

func TestFixturesV1(t *testing.T) {
	for name, data := range readFixtures(t) {
		t.Run(name, func(t *testing.T) {
			stored := bytes.TrimSuffix(data, []byte("\n"))
			e, err := events.Decode(stored)
			if err != nil {
				t.Fatalf("Decode(%s) = %v, want the recorded event: old events must stay readable", name, err)
			}
			if want := strings.TrimSuffix(name, ".json"); string(e.Type) != want {
				t.Errorf("%s holds a %q event, want %q (name each fixture after its type)", name, e.Type, want)
			}
			if e.Schema != 1 || e.ID.IsZero() || e.RecordedAt.IsZero() || e.RecordedBy == "" {
				t.Errorf("%s has schema %d, id %s, recorded_at %s, recorded_by %q; want a complete stored event of schema 1", name, e.Schema, e.ID, e.RecordedAt, e.RecordedBy)
			}
			again, err := events.Encode(&e)
			if err != nil {
				t.Fatalf("Encode(%s) = %v", name, err)
			}
			if !bytes.Equal(again, stored) {
				t.Errorf("Encode(Decode(%s)) =\n%s\nwant the recorded bytes\n%s", name, again, stored)
			}
			if err := e.Validate(); err != nil {
				t.Errorf("Validate(%s) = %v, want nil", name, err)
			}
			if err := e.CheckNew(); err == nil {
				t.Errorf("CheckNew(%s) accepted a stored event with its record time, want record_immutable", name)
			}
		})
	}
}

func TestThereIsAFixtureForEveryType(t *testing.T) {
	fixtures := readFixtures(t)
	for _, spec := range events.Types {
		if _, ok := fixtures[string(spec.Type)+".json"]; !ok {
			t.Errorf("no fixture %s/%s.json: record one event of each type, as Encode writes it", fixtureDir, spec.Type)
		}
	}
	for name := range fixtures {
		if _, ok := events.SpecOf(events.Type(strings.TrimSuffix(name, ".json"))); !ok {
			t.Errorf("fixture %s is named after no event type", name)
		}
	}
}

// typeNamesV1 are the event types of schema 1. Type names are stored in every
// event: they may be added to, never renamed or removed.
var typeNamesV1 = []string{
	"drafted", "introduced", "passed", "adopted", "rejected", "vetoed", "veto_overridden", "withdrawn",
	"lapsed", "signed", "published", "ratified", "acceded",
	"commenced", "commencement_postponed", "amended", "suspended", "suspension_lifted", "repealed",
	"expired", "annulled", "corrigendum", "reenacted",
	"record_corrected", "record_retracted",
}

func TestTypeNamesAreAppendOnly(t *testing.T) {
	names := events.TypeNames()
	for _, n := range typeNamesV1 {
		if _, ok := events.SpecOf(events.Type(n)); !ok || !slices.Contains(names, n) {
			t.Errorf("event type %q is gone from events.Types: type names are stored in events and never renamed or removed", n)
		}
	}
	if len(events.Types) < len(typeNamesV1) {
		t.Errorf("events.Types has %d types, want at least the %d of schema 1", len(events.Types), len(typeNamesV1))
	}
}

func TestTypes(t *testing.T) {
	names := events.TypeNames()
	if !slices.IsSorted(names) || len(names) != len(events.Types) {
		t.Errorf("TypeNames() = %q, want the %d names sorted", names, len(events.Types))
	}
	seen := map[events.Type]bool{}
	for _, spec := range events.Types {
		if seen[spec.Type] {
			t.Errorf("type %q is listed twice", spec.Type)
		}
		seen[spec.Type] = true
		if got, ok := events.SpecOf(spec.Type); !ok || got.Type != spec.Type {
			t.Errorf("SpecOf(%q) = %v, %v; want its spec", spec.Type, got, ok)
		}
		if spec.Meaning == "" || (spec.Group != events.Procedure && spec.Group != events.Effect && spec.Group != events.Record) {
			t.Errorf("type %q has group %q and meaning %q, want a known group and a meaning", spec.Type, spec.Group, spec.Meaning)
		}
		if spec.Creates && (!slices.Contains(spec.Optional, events.FTitle) || !slices.Contains(spec.Optional, events.FKind)) {
			t.Errorf("type %q may create an act, but does not allow title and kind", spec.Type)
		}
	}
	if _, ok := events.SpecOf("promulgated"); ok {
		t.Errorf("SpecOf(promulgated) found a spec, want none")
	}
	for _, k := range events.Kinds {
		if !events.ValidKind(k.Kind) {
			t.Errorf("ValidKind(%q) = false, want true", k.Kind)
		}
	}
	if events.ValidKind("edict") || events.HasPassage("edict") {
		t.Errorf("an unknown kind is valid or has passage, want neither")
	}
	if !events.HasPassage(events.Law) || events.HasPassage(events.Decree) || events.HasPassage(events.Treaty) {
		t.Errorf("HasPassage: law %v, decree %v, treaty %v; want true, false, false",
			events.HasPassage(events.Law), events.HasPassage(events.Decree), events.HasPassage(events.Treaty))
	}
}
