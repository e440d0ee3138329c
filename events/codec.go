package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Size limits of one event. Larger texts belong in several events, one per
// provision.
const (
	MaxEventBytes  = 256 << 10 // the encoded event
	maxStringBytes = 4 << 10   // any one-line field: titles, reasons, names
	maxProvisions  = 1000
)

// Decode parses one event from JSON strictly: unknown fields, unknown types,
// trailing data, invalid identifiers and impossible dates are errors with
// CodeInvalid that say what to fix. It checks the encoding only; Validate
// checks the event's shape and Check its place in the act's history.
func Decode(data []byte) (Event, error) {
	var e Event
	if len(data) > MaxEventBytes {
		return e, Errorf(CodeTooLarge, "the event is %d bytes, more than the limit of %d: record long texts in several events, one per provision", len(data), MaxEventBytes)
	}
	if e, ok := decodeFast(data); ok {
		return e, nil
	}
	return decodeStrict(data)
}

// decodeStrict is Decode with encoding/json: every input, every error.
func decodeStrict(data []byte) (Event, error) {
	var e Event
	if err := checkKeys(data); err != nil {
		return e, err
	}
	if err := StrictUnmarshal(data, &e); err != nil {
		return e, err
	}
	// One encoding per event: empty lists and maps are absent.
	if len(e.Provisions) == 0 {
		e.Provisions = nil
	}
	if len(e.Body.Texts) == 0 {
		e.Body.Texts = nil
	}
	if len(e.Body.Correction) == 0 {
		e.Body.Correction = nil
	}
	if len(e.Body.Structure) == 0 {
		e.Body.Structure = nil
	}
	if len(e.Body.Changes) == 0 {
		e.Body.Changes = nil
	}
	return e, nil
}

// StrictUnmarshal decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data, and turns encoding/json's errors into *Error
// messages that a clerk can act on.
func StrictUnmarshal(data []byte, v any) error {
	if !utf8.Valid(data) {
		return Errorf(CodeInvalid, "the request is not valid UTF-8: send JSON encoded as UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return JSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeInvalid, "malformed JSON: unexpected data after the first value; send one JSON value")
	}
	return nil
}

// JSONError turns an encoding/json error into an *Error with CodeInvalid.
func JSONError(err error) error {
	var own *Error
	if errors.As(err, &own) {
		return own
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Errorf(CodeInvalid, "malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return Errorf(CodeInvalid, "wrong JSON type: expected %s, got %s", typ.Type, typ.Value)
		}
		return Errorf(CodeInvalid, "field %q must be %s, not %s", field, jsonTypeName(typ.Type.String()), typ.Value)
	case errors.Is(err, io.EOF):
		return Errorf(CodeInvalid, "the request body is empty: send a JSON value")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(CodeInvalid, "malformed JSON: the input ends in the middle of a value")
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return Errorf(CodeInvalid, "unknown field %s: remove it (docs/EVENTS.md lists the fields of each event type)", name)
	}
	return Errorf(CodeInvalid, "malformed JSON: %s", msg)
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "events.Body"), strings.HasPrefix(goType, "struct"):
		return "an object"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "a string"
}

// Encode returns the JSON encoding of e, the same bytes as
// encoding/json.Marshal(e) for a decoded event. Decode(Encode(e)) == e for
// every valid event. An encoding larger than MaxEventBytes is a CodeTooLarge
// error, since Decode would refuse it.
func Encode(e *Event) ([]byte, error) {
	return AppendEncode(make([]byte, 0, 512), e)
}

// AppendEncode appends Encode's bytes for e to dst, for a writer of many
// events that reuses one buffer.
func AppendEncode(dst []byte, e *Event) ([]byte, error) {
	n := len(dst)
	b, err := appendEvent(dst, e)
	if err == nil && len(b)-n > MaxEventBytes {
		return nil, Errorf(CodeTooLarge, "the event is %d bytes once encoded, more than the limit of %d: record long texts in several events, one per provision", len(b)-n, MaxEventBytes)
	}
	return b, err
}

// Validate checks the shape of e on its own, without its act's history:
// a known type, a legal date, the fields its type requires and no others,
// valid provisions, kinds and effects, a valid-time interval that is not
// empty, and sizes within limits.
func (e *Event) Validate() error {
	spec, ok := SpecOf(e.Type)
	if !ok {
		if e.Type == "" {
			return Errorf(CodeInvalid, "the event has no type: set \"type\" to one of %s", strings.Join(TypeNames(), ", "))
		}
		return Errorf(CodeInvalid, "unknown event type %q: use one of %s", clip(string(e.Type)), strings.Join(TypeNames(), ", "))
	}
	if e.Schema < 1 || e.Schema > SchemaVersion {
		return Errorf(CodeInvalid, "schema version %d is not known to this ledger (it reads 1 to %d)", e.Schema, SchemaVersion)
	}
	if e.ID.IsZero() {
		return Errorf(CodeInvalid, "the event has no id")
	}
	if e.Schema < 2 && (!e.PrevHash.IsZero() || !e.Hash.IsZero()) {
		return Errorf(CodeInvalid, "an event of schema %d has no prev_hash or hash: those came with schema 2", e.Schema)
	}
	if e.Act == "" {
		return Errorf(CodeInvalid, "the event has no act: set \"act\" to the act's identifier, such as /akn/kz/act/2009-12-04/216")
	}
	if _, err := ParseActID(string(e.Act)); err != nil {
		return err
	}
	if e.Instrument != "" {
		if _, err := ParseActID(string(e.Instrument)); err != nil {
			return err
		}
	}
	for _, d := range [...]Date{e.Date, e.EffectiveFrom, e.EffectiveTo} {
		if d.IsZero() {
			continue
		}
		if !d.valid() {
			return Errorf(CodeInvalid, "date %04d-%02d-%02d is not a calendar date", d.Year, int(d.Month), d.Day)
		}
	}
	if e.Date.IsZero() {
		return Errorf(CodeInvalid, "the %s event has no date: set \"date\" to the legal date of the step (YYYY-MM-DD, or YYYY-MM or YYYY when only that is known)", e.Type)
	}
	for _, f := range spec.Required {
		if !e.has(f) {
			return Errorf(CodeInvalid, "a %s event needs %q: %s", e.Type, f, fieldHint(f))
		}
	}
	for _, f := range allFields {
		if e.has(f) && !containsField(spec.Required, f) && !containsField(spec.Optional, f) {
			return Errorf(CodeInvalid, "a %s event has no %q: remove it (it takes %s)", e.Type, f, fieldList(spec))
		}
	}
	if e.Body.Kind != "" && !ValidKind(e.Body.Kind) {
		return Errorf(CodeInvalid, "kind %q is not known: use one of %s", clip(string(e.Body.Kind)), kindNames())
	}
	if e.Body.Effect != "" && !validEffect(e.Body.Effect) {
		return Errorf(CodeInvalid, "effect %q is not known: use insertion, substitution, repeal, renumbering or unspecified (a change not detailed)", clip(string(e.Body.Effect)))
	}
	if !e.EffectiveTo.IsZero() && e.EffectiveTo.Earliest() <= e.EffectiveFrom.Latest() {
		return ruleError(RuleValidTimeOrder, e.Act, "cannot record '%s' for %s: effective_to %s must be after effective_from %s (valid time is the half-open interval [effective_from, effective_to))", e.Type, e.Act, e.EffectiveTo, e.EffectiveFrom)
	}
	if e.Instrument != "" && e.Instrument == e.Act {
		return Errorf(CodeInvalid, "the instrument of an event on %s cannot be the act itself: name the amending or repealing act", e.Act)
	}
	if len(e.Provisions) > maxProvisions {
		return Errorf(CodeTooLarge, "the event names %d provisions, more than %d: split it", len(e.Provisions), maxProvisions)
	}
	var seen map[string]bool // for long lists; a short one is searched
	if len(e.Provisions) > 16 {
		seen = make(map[string]bool, len(e.Provisions))
	}
	for i, p := range e.Provisions {
		if !ValidProvision(p) {
			return Errorf(CodeInvalid, "provision %q is not an Akoma Ntoso eId such as art_18 or sec_2__subsec_1", clip(p))
		}
		twice := seen[p]
		if seen == nil {
			twice = slices.Contains(e.Provisions[:i], p)
		} else {
			seen[p] = true
		}
		if twice {
			return Errorf(CodeInvalid, "provision %q is named twice", p)
		}
	}
	for eid := range e.Body.Texts {
		if !ValidProvision(eid) {
			return Errorf(CodeInvalid, "texts: %q is not an Akoma Ntoso eId such as art_18", clip(eid))
		}
	}
	for _, f := range [...]struct{ name, s string }{{"title", e.Body.Title}, {"summary", e.Body.Summary},
		{"drafting_body", e.Body.DraftingBody}, {"chamber", e.Body.Chamber}, {"reading", e.Body.Reading},
		{"signatory", e.Body.Signatory}, {"gazette", e.Body.Gazette}, {"reason", e.Body.Reason}, {"note", e.Body.Note},
		{"eli", e.Body.ELI}, {"recorded_by", e.RecordedBy}} {
		name, s := f.name, f.s
		if len(s) > maxStringBytes {
			return Errorf(CodeTooLarge, "%s is %d bytes, more than %d", name, len(s), maxStringBytes)
		}
		if strings.TrimSpace(s) != s {
			return Errorf(CodeInvalid, "%s has leading or trailing spaces: trim them", name)
		}
	}
	if err := e.checkText(); err != nil {
		return err
	}
	if e.Type == RecordCorrected {
		if _, err := correctionFields(e.Body.Correction); err != nil {
			return err
		}
	}
	return nil
}

// CheckNew checks what a client may not set: the record time and the
// recording identity belong to the ledger.
func (e *Event) CheckNew() error {
	if !e.RecordedAt.IsZero() || e.RecordedBy != "" || !e.PrevHash.IsZero() || !e.Hash.IsZero() {
		return ruleError(RuleRecordImmutable, e.Act, "recorded_at, recorded_by, prev_hash and hash are set by the ledger, never by the client: remove them")
	}
	if e.Schema != 0 && e.Schema != SchemaVersion {
		return Errorf(CodeInvalid, "schema %d cannot be written: omit \"schema\" or set it to %d", e.Schema, SchemaVersion)
	}
	return nil
}

func fieldHint(f Field) string {
	switch f {
	case FEffectiveFrom:
		return "the first day of valid time (YYYY-MM-DD)"
	case FInstrument:
		return "the identifier of the act that causes the change"
	case FEffect:
		return "insertion, substitution, repeal, renumbering or unspecified (a change not detailed)"
	case FGazette:
		return "the gazette and its number"
	case FChamber:
		return "the body or chamber concerned"
	case FCorrects:
		return "the id of the event to correct"
	case FCorrection:
		return "an object with the corrected fields"
	case FRetracts:
		return "the id of the event recorded in error"
	case FReason:
		return "why, in a sentence"
	}
	return "set it"
}

func fieldList(s *Spec) string {
	var names []string
	for _, f := range append(append([]Field{}, s.Required...), s.Optional...) {
		names = append(names, string(f))
	}
	if len(names) == 0 {
		return "no optional fields"
	}
	return strings.Join(names, ", ")
}

func containsField(list []Field, f Field) bool {
	for _, x := range list {
		if x == f {
			return true
		}
	}
	return false
}

func validEffect(a AmendmentEffect) bool {
	for _, x := range AmendmentEffects {
		if x == a {
			return true
		}
	}
	return false
}

// correctable lists the fields that a record_corrected event may change.
// Identity (id, act, type) and the record (recorded_at, recorded_by, schema)
// never change.
var correctable = map[string]bool{
	"date": true, "effective_from": true, "effective_to": true, "retroactive": true,
	"instrument": true, "provisions": true, "body": true,
}

func correctionFields(raw json.RawMessage) ([]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, Errorf(CodeInvalid, "correction must be a JSON object with the corrected fields, such as {\"date\": \"2009-12-01\"}")
	}
	if len(m) == 0 {
		return nil, Errorf(CodeInvalid, "correction is empty: name at least one corrected field")
	}
	var names []string
	for k := range m {
		if !correctable[k] {
			return nil, Errorf(CodeInvalid, "correction cannot change %q: only date, effective_from, effective_to, retroactive, instrument, provisions and body fields can be corrected; retract the event to undo it", clip(k))
		}
		names = append(names, k)
	}
	return names, nil
}

// ApplyCorrection returns orig with the fields of correction (a JSON object
// in the event's own encoding) replaced: top-level fields are replaced
// whole, fields under "body" one by one. A JSON null removes a field. The
// result is decoded strictly and validated.
func ApplyCorrection(orig Event, correction json.RawMessage) (Event, error) {
	if _, err := correctionFields(correction); err != nil {
		return Event{}, err
	}
	base, err := Encode(&orig)
	if err != nil {
		return Event{}, err
	}
	var doc, patch map[string]json.RawMessage
	if err := json.Unmarshal(base, &doc); err != nil {
		return Event{}, err
	}
	if err := json.Unmarshal(correction, &patch); err != nil {
		return Event{}, err
	}
	for k, v := range patch {
		if k == "body" {
			merged, err := mergeObject(doc["body"], v)
			if err != nil {
				return Event{}, err
			}
			v = merged
		}
		if string(v) == "null" {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return Event{}, err
	}
	fixed, err := Decode(out)
	if err != nil {
		return Event{}, fmt.Errorf("correction: %w", err)
	}
	if err := fixed.Validate(); err != nil {
		return Event{}, &Error{Code: CodeInvalid, Act: orig.Act, Message: "the corrected event would not be valid: " + err.Error()}
	}
	return fixed, nil
}

func mergeObject(base, patch json.RawMessage) (json.RawMessage, error) {
	var b, p map[string]json.RawMessage
	if len(base) > 0 {
		if err := json.Unmarshal(base, &b); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(patch, &p); err != nil || p == nil {
		return nil, Errorf(CodeInvalid, "correction: body must be an object with the corrected body fields")
	}
	if b == nil {
		b = map[string]json.RawMessage{}
	}
	for k, v := range p {
		if string(v) == "null" {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return json.Marshal(b)
}
