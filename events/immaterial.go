package events

import (
	"encoding/json"
	"reflect"
	"time"
)

// words are the body's fields that SameButWords leaves out: words about
// the step, which no rule and no fold reads.
var words = map[string]bool{
	"summary": true, "drafting_body": true, "chamber": true, "reading": true, "signatory": true,
	"gazette": true, "reason": true, "note": true, "eli": true,
}

// CorrectsWordsOnly reports whether correction (a record_corrected's
// body.correction) sets only the body's words about the step, so that a
// ledger need not read the corrected event to know that the correction may
// be immaterial (ImmaterialCorrection decides).
func CorrectsWordsOnly(correction json.RawMessage) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(correction, &top) != nil || len(top) != 1 || top["body"] == nil {
		return false
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(top["body"], &body) != nil || len(body) == 0 {
		return false
	}
	for k := range body {
		if !words[k] {
			return false
		}
	}
	return true
}

// SameButWords reports whether a and b are the same event but for the
// fields that neither the lifecycle rules (State, Validate's checks of a
// history) nor the fold of an act into its views read: the record's own
// fields (schema, record time, recorder, hashes), a record event's
// references, and the body's words about the step (summary, drafting body,
// chamber, reading, signatory, gazette, reason, note, ELI). Every other
// field is compared, a field added to Event or Body later included.
func SameButWords(a, b Event) bool {
	for _, e := range []*Event{&a, &b} {
		e.Schema, e.RecordedAt, e.RecordedBy = 0, time.Time{}, ""
		e.PrevHash, e.Hash = Digest{}, Digest{}
		body := &e.Body
		body.Summary, body.DraftingBody, body.Chamber, body.Reading = "", "", "", ""
		body.Signatory, body.Gazette, body.Reason, body.Note, body.ELI = "", "", "", "", ""
		body.Corrects, body.Correction, body.Retracts = ID{}, nil, ID{}
	}
	return reflect.DeepEqual(a, b)
}

// ImmaterialCorrection reports whether e, a record_corrected of target,
// changes only words about the step: target as it stands (records applied,
// which it returns as current when ok) and target as e corrects it are
// SameButWords, and e is a valid event whose correction applies. records must hold, in ledger order, every
// correction of target and every retraction of target or of one of those
// corrections; other record events may be among them.
//
// Such a correction keeps the act's history as valid as it was, so
// Validate accepts it whatever the rest of the history (provided the
// history's other corrections apply, as every one a ledger writes does),
// and Fold of the history with it is Fold without it, one version on: a
// ledger may decide it from target and records alone. It
// reports false whenever it cannot tell (target retracted, a correction
// that does not apply, a change that the rules read): the correction is
// then decided against the whole history, as Validate does.
func ImmaterialCorrection(target Event, records []Event, e Event) (current Event, ok bool) {
	if e.Type != RecordCorrected || e.Body.Corrects != target.ID || e.Act != target.Act {
		return current, false
	}
	if spec, ok := SpecOf(target.Type); !ok || spec.Group == Record {
		return current, false
	}
	if e.Validate() != nil {
		return current, false
	}
	eff, err := Effective(append([]Event{target}, records...))
	if err != nil || len(eff) != 1 || eff[0].ID != target.ID {
		return current, false
	}
	fixed, err := ApplyCorrection(eff[0], e.Body.Correction)
	return eff[0], err == nil && SameButWords(eff[0], fixed)
}
