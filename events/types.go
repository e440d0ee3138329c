package events

import (
	"sort"
	"strings"
)

// Type names an event: one kind of step in the life of an act. Type names are
// stored in every event and are append-only: never renamed, never reused.
// Types is the one place where they are listed; docs/EVENTS.md explains them.
type Type string

// Group sorts types by the kind of time they speak about.
type Group string

// The groups of event types.
const (
	Procedure Group = "procedure" // the bill track: legal dates of steps
	Effect    Group = "effect"    // force and effect: valid time
	Record    Group = "record"    // the record itself: record time only
)

// The event types. Append new ones at the end of their group.
const (
	// Procedure.
	Drafted        Type = "drafted"
	Introduced     Type = "introduced"
	Passed         Type = "passed"
	Adopted        Type = "adopted"
	Rejected       Type = "rejected"
	Vetoed         Type = "vetoed"
	VetoOverridden Type = "veto_overridden"
	Withdrawn      Type = "withdrawn"
	Lapsed         Type = "lapsed"
	Signed         Type = "signed"
	Published      Type = "published"
	Ratified       Type = "ratified"
	Acceded        Type = "acceded"

	// Force and effect.
	Commenced             Type = "commenced"
	CommencementPostponed Type = "commencement_postponed"
	Amended               Type = "amended"
	Suspended             Type = "suspended"
	SuspensionLifted      Type = "suspension_lifted"
	Repealed              Type = "repealed"
	Expired               Type = "expired"
	Annulled              Type = "annulled"
	Corrigendum           Type = "corrigendum"
	Reenacted             Type = "reenacted"

	// The record.
	RecordCorrected Type = "record_corrected"
	RecordRetracted Type = "record_retracted"
)

// Field names an optional part of an event, for the specs below and for
// error messages. They are the JSON names.
type Field string

// The optional fields that depend on the type. Title and the other body
// fields live in Body.
const (
	FEffectiveFrom Field = "effective_from"
	FEffectiveTo   Field = "effective_to"
	FRetroactive   Field = "retroactive"
	FInstrument    Field = "instrument"
	FProvisions    Field = "provisions"
	FTitle         Field = "title"
	FKind          Field = "kind"
	FSummary       Field = "summary"
	FDraftingBody  Field = "drafting_body"
	FChamber       Field = "chamber"
	FReading       Field = "reading"
	FSignatory     Field = "signatory"
	FGazette       Field = "gazette"
	FEffect        Field = "effect"
	FTexts         Field = "texts"
	FStructure     Field = "structure"
	FChanges       Field = "changes"
	FReason        Field = "reason"
	FNote          Field = "note"
	FELI           Field = "eli"
	FCorrects      Field = "corrects"
	FCorrection    Field = "correction"
	FRetracts      Field = "retracts"
)

// Spec describes one event type: its group, what it means, and which fields
// it requires and allows. Fields outside Required and Optional are rejected.
type Spec struct {
	Type     Type
	Group    Group
	Meaning  string
	Creates  bool // may be the first event of an act (then title and kind are required)
	Required []Field
	Optional []Field
}

// Types lists every event type, in the order of docs/EVENTS.md.
var Types = []Spec{
	{Drafted, Procedure, "a bill or draft was prepared", true, nil,
		[]Field{FTitle, FKind, FSummary, FDraftingBody, FTexts, FStructure, FELI, FNote}},
	{Introduced, Procedure, "the bill was introduced to a body", true, []Field{FChamber},
		[]Field{FTitle, FKind, FSummary, FDraftingBody, FTexts, FStructure, FELI, FNote}},
	{Passed, Procedure, "a chamber passed the bill, or a reading was completed", false, []Field{FChamber},
		[]Field{FReading, FNote}},
	{Adopted, Procedure, "final adoption; for decrees, resolutions and programmes, issuance", true, nil,
		[]Field{FTitle, FKind, FSummary, FDraftingBody, FChamber, FTexts, FStructure, FELI, FNote}},
	{Rejected, Procedure, "a body rejected the bill (terminal)", false, nil, []Field{FChamber, FReason, FNote}},
	{Vetoed, Procedure, "the head of state refused assent", false, nil, []Field{FSignatory, FReason, FNote}},
	{VetoOverridden, Procedure, "the veto was overridden", false, nil, []Field{FChamber, FNote}},
	{Withdrawn, Procedure, "the bill was withdrawn (terminal)", false, nil, []Field{FReason, FNote}},
	{Lapsed, Procedure, "the bill lapsed (terminal)", false, nil, []Field{FReason, FNote}},
	{Signed, Procedure, "signed: assent or promulgation", false, nil, []Field{FSignatory, FNote}},
	{Published, Procedure, "published in the gazette", false, []Field{FGazette}, []Field{FELI, FNote}},
	{Ratified, Procedure, "a treaty was ratified; the date is the deposit", true, nil,
		[]Field{FTitle, FKind, FSummary, FInstrument, FELI, FNote}},
	{Acceded, Procedure, "the state acceded to a treaty; the date is the deposit", true, nil,
		[]Field{FTitle, FKind, FSummary, FInstrument, FELI, FNote}},

	{Commenced, Effect, "in force from effective_from (whole act or provisions)", false, []Field{FEffectiveFrom},
		[]Field{FRetroactive, FInstrument, FProvisions, FNote}},
	{CommencementPostponed, Effect, "a commencement moved to effective_from, or to no date (prospective)", false, nil,
		[]Field{FEffectiveFrom, FInstrument, FProvisions, FReason, FNote}},
	{Amended, Effect, "changed by another act (the instrument) from effective_from", false,
		[]Field{FInstrument, FEffectiveFrom, FEffect},
		[]Field{FRetroactive, FProvisions, FTexts, FChanges, FNote}},
	{Suspended, Effect, "in force but not applied, from effective_from to effective_to if given", false, []Field{FEffectiveFrom},
		[]Field{FEffectiveTo, FRetroactive, FInstrument, FProvisions, FReason, FNote}},
	{SuspensionLifted, Effect, "a suspension ends from effective_from", false, []Field{FEffectiveFrom},
		[]Field{FInstrument, FProvisions, FNote}},
	{Repealed, Effect, "not in force from effective_from (whole act or provisions)", false, []Field{FEffectiveFrom},
		[]Field{FRetroactive, FInstrument, FProvisions, FNote}},
	{Expired, Effect, "ceased by its own terms (a sunset, a programme's end) from effective_from", false, []Field{FEffectiveFrom},
		[]Field{FProvisions, FNote}},
	{Annulled, Effect, "annulled by a court from effective_from; retroactive when void from the start", false, []Field{FEffectiveFrom},
		[]Field{FRetroactive, FInstrument, FProvisions, FReason, FNote}},
	{Corrigendum, Effect, "a published correction of the text; no change in law", false, nil,
		[]Field{FProvisions, FTexts, FGazette, FNote}},
	{Reenacted, Effect, "a repealed act restored in force from effective_from", false, []Field{FEffectiveFrom},
		[]Field{FRetroactive, FInstrument, FNote}},

	{RecordCorrected, Record, "an earlier event was recorded wrongly; correction holds the right values", false,
		[]Field{FCorrects, FCorrection, FReason}, []Field{FNote}},
	{RecordRetracted, Record, "an earlier event was recorded in error and no longer counts", false,
		[]Field{FRetracts, FReason}, []Field{FNote}},
}

var specs = func() map[Type]*Spec {
	m := make(map[Type]*Spec, len(Types))
	for i := range Types {
		m[Types[i].Type] = &Types[i]
	}
	return m
}()

// SpecOf returns the spec of t, and false for an unknown type.
func SpecOf(t Type) (*Spec, bool) {
	s, ok := specs[t]
	return s, ok
}

// TypeNames returns every type name, sorted; for messages and docs.
func TypeNames() []string {
	names := make([]string, 0, len(Types))
	for _, s := range Types {
		names = append(names, string(s.Type))
	}
	sort.Strings(names)
	return names
}

// Kind is the kind of an act, as the seed and docs/EVENTS.md name them. Kinds are
// append-only.
type Kind string

// The act kinds.
const (
	Constitution            Kind = "constitution"
	ConstitutionalAmendment Kind = "constitutional_amendment"
	CodeKind                Kind = "code"
	Law                     Kind = "law"
	Decree                  Kind = "decree"
	CourtResolution         Kind = "court_resolution"
	Regulation              Kind = "regulation"
	Programme               Kind = "programme"
	Concept                 Kind = "concept"
	Treaty                  Kind = "treaty"
	Institution             Kind = "institution"
	// ActKind is an Act of a parliament as common-law jurisdictions name
	// it (a UK Act of Parliament): the same track as a law.
	ActKind Kind = "act"
	// StatutoryInstrument is delegated legislation made by a minister
	// under an Act (a UK statutory instrument): adopted when made.
	StatutoryInstrument Kind = "statutory_instrument"
	// Order is an order in council or a ministerial order: adopted when
	// made.
	Order Kind = "order"
)

// Kinds lists the act kinds, each with whether it goes through a legislative
// procedure (passage, assent) or is adopted when issued.
var Kinds = []struct {
	Kind    Kind
	Passage bool
	Meaning string
}{
	{Constitution, true, "the constitution"},
	{ConstitutionalAmendment, true, "an amendment of the constitution"},
	{CodeKind, true, "a code: criminal, criminal procedure, civil procedure ..."},
	{Law, true, "a law passed by parliament"},
	{Decree, false, "a presidential or government decree, adopted when issued"},
	{CourtResolution, false, "a normative resolution of a supreme court"},
	{Regulation, false, "a regulation or order of the executive"},
	{Programme, false, "a government programme or action plan"},
	{Concept, false, "a policy concept approved by the executive"},
	{Treaty, false, "an international treaty: ratified or acceded to"},
	{Institution, false, "the founding act of an institution, such as an ombudsman"},
	{ActKind, true, "an Act of a parliament, as common-law jurisdictions name it (a UK Act of Parliament)"},
	{StatutoryInstrument, false, "delegated legislation made under an Act (a UK statutory instrument), adopted when made"},
	{Order, false, "an order in council or a ministerial order, adopted when made"},
}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k Kind) bool {
	for _, x := range Kinds {
		if x.Kind == k {
			return true
		}
	}
	return false
}

// HasPassage reports whether acts of kind k are adopted by a legislative
// procedure, so that signing needs a prior adoption.
func HasPassage(k Kind) bool {
	for _, x := range Kinds {
		if x.Kind == k {
			return x.Passage
		}
	}
	return false
}

func kindNames() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k.Kind)
	}
	return strings.Join(names, ", ")
}

// AmendmentEffect is the kind of change an amendment makes to its provisions.
type AmendmentEffect string

// The amendment effects.
const (
	Insertion    AmendmentEffect = "insertion"
	Substitution AmendmentEffect = "substitution"
	Repeal       AmendmentEffect = "repeal"
	Renumbering  AmendmentEffect = "renumbering"
	// Unspecified is a change that the record does not detail: the
	// instrument is known to amend the act, not which provisions nor how
	// (an outstanding effect, in legislation.gov.uk's words).
	Unspecified AmendmentEffect = "unspecified"
)

// AmendmentEffects lists the valid effects.
var AmendmentEffects = []AmendmentEffect{Insertion, Substitution, Repeal, Renumbering, Unspecified}

// UnmarshalText accepts only the known type names, so that an event of an
// unknown type is rejected while decoding, with the list of known ones.
func (t *Type) UnmarshalText(b []byte) error {
	s := Type(b)
	if _, ok := specs[s]; !ok {
		if s == "" {
			return Errorf(CodeInvalid, "the event type is empty: use one of %s", strings.Join(TypeNames(), ", "))
		}
		return Errorf(CodeInvalid, "unknown event type %q: use one of %s", clip(string(s)), strings.Join(TypeNames(), ", "))
	}
	*t = s
	return nil
}

// UnmarshalText accepts only the known kinds.
func (k *Kind) UnmarshalText(b []byte) error {
	if !ValidKind(Kind(b)) {
		return Errorf(CodeInvalid, "kind %q is not known: use one of %s", clip(string(b)), kindNames())
	}
	*k = Kind(b)
	return nil
}
