package events

import (
	"fmt"
)

// Step is a procedural step that the rules remember.
type Step struct {
	ID   ID
	Type Type
	Date Date
}

// Ending is a whole-act repeal, expiry or annulment.
type Ending struct {
	ID   ID
	Type Type
	From Date
}

// Suspension is a suspension recorded on an act.
type Suspension struct {
	ID         ID
	Provisions []string
	From, To   Date // To is zero for an open-ended suspension
	LiftedFrom Date // zero while not lifted
}

// State is what the lifecycle rules need to know of an act's history: a
// small fold that a ledger can keep per act and update with Apply. It is not
// the projection of the act (see package projections): it holds only what
// Check consults. A State may be copied by value: Apply never writes into
// memory that a copy shares.
type State struct {
	Act     ActID
	Version uint64 // events folded, record events included
	Title   string
	Kind    Kind

	Created   *Step // the first event
	Adopted   *Step // adopted (or issued)
	Signed    *Step // signed, or veto overridden
	Published *Step
	Ratified  *Step // ratified or acceded
	Veto      *Step // an unreversed veto
	Overrode  *Step // the veto overridden: law without assent
	Terminal  *Step // withdrawn, rejected or lapsed
	Ended     *Ending

	Suspensions []Suspension
	// Stale is set when Apply met a record event: corrections and
	// retractions change the meaning of earlier events, so the state must be
	// folded again from the whole history (Fold).
	Stale bool
}

// Exists reports whether the act has been created in the ledger.
func (s *State) Exists() bool { return s.Created != nil }

// IsLaw reports whether the act has become law, so that it can have effects:
// adopted, ratified or acceded, or, for kinds without passage, signed.
func (s *State) IsLaw() bool {
	return s.Adopted != nil || s.Ratified != nil || (s.Signed != nil && !HasPassage(s.Kind))
}

// lawDate is the date from which effects are not retroactive.
func (s *State) lawDate() (Date, Type) {
	switch {
	case s.Adopted != nil:
		return s.Adopted.Date, Adopted
	case s.Ratified != nil:
		return s.Ratified.Date, s.Ratified.Type
	case s.Signed != nil:
		return s.Signed.Date, Signed
	}
	return Date{}, ""
}

// Check decides whether e may follow the history folded into s. It returns
// nil, or an *Error with CodeRule (or CodeInvalid) whose message names the
// step, the act and the reason. Check assumes e.Validate() passed. Record
// events (corrections, retractions) need the whole history: use Validate.
func (s *State) Check(e *Event) error {
	spec, ok := SpecOf(e.Type)
	if !ok {
		return e.Validate()
	}
	no := func(rule Rule, format string, args ...any) error {
		return ruleError(rule, e.Act, "cannot record '%s' for %s: %s", e.Type, e.Act, fmt.Sprintf(format, args...))
	}
	if !s.Exists() {
		if !spec.Creates {
			return no(RuleActNotFound, "the act is not in the ledger; record its creation first (drafted, introduced, adopted, ratified or acceded, with title and kind)")
		}
		if e.Body.Title == "" || e.Body.Kind == "" {
			return Errorf(CodeInvalid, "cannot record '%s' for %s: it is the act's first event, so it needs body.title and body.kind", e.Type, e.Act)
		}
		if (e.Type == Ratified || e.Type == Acceded) && e.Body.Kind != Treaty {
			return no(RuleWrongKind, "only a treaty is ratified or acceded to, and its kind is %q", e.Body.Kind)
		}
		if e.Type == Introduced && !HasPassage(e.Body.Kind) {
			return no(RuleWrongKind, "a %s has no legislative passage; record 'drafted', or 'adopted' when it is issued", e.Body.Kind)
		}
		return nil
	}
	if e.Type == Drafted {
		return no(RuleActExists, "the act is already in the ledger since %s (%s)", s.Created.Date, s.Created.Type)
	}
	if e.Body.Title != "" || e.Body.Kind != "" {
		return no(RuleFirstEvent, "title and kind were set by its first event (%s on %s); correct that event with record_corrected to change them", s.Created.Type, s.Created.Date)
	}
	if spec.Group == Record {
		return Errorf(CodeInternal, "record events are checked against the whole history: use Validate")
	}
	if spec.Group == Procedure {
		return s.checkProcedure(e, no)
	}
	return s.checkEffect(e, no)
}

func (s *State) checkProcedure(e *Event, no func(Rule, string, ...any) error) error {
	if t := s.Terminal; t != nil {
		return no(RuleAfterTermination, "it was %s on %s", t.Type, t.Date)
	}
	passage := HasPassage(s.Kind)
	switch e.Type {
	case Drafted:
		return no(RuleActExists, "the act is already in the ledger since %s (%s)", s.Created.Date, s.Created.Type)
	case Introduced, Passed:
		if !passage {
			return no(RuleWrongKind, "a %s has no legislative passage; record 'adopted' when it is issued", s.Kind)
		}
		if s.Adopted != nil {
			return no(RuleAlreadyAdopted, "it was already adopted on %s", s.Adopted.Date)
		}
	case Adopted:
		if s.Adopted != nil {
			return no(RuleDuplicateStep, "it was already adopted on %s", s.Adopted.Date)
		}
		if e.Date.Before(s.Created.Date) {
			return no(RuleStepOrder, "its date %s is before the act's %s on %s", e.Date, s.Created.Type, s.Created.Date)
		}
	case Rejected, Withdrawn, Lapsed:
		if s.Adopted != nil {
			return no(RuleAlreadyAdopted, "it was adopted on %s; an adopted act is repealed, not %s", s.Adopted.Date, e.Type)
		}
	case Vetoed:
		if s.Adopted == nil {
			return no(RuleNotAdopted, "there is nothing to veto before adoption")
		}
		if s.Signed != nil {
			return no(RuleDuplicateStep, "it was already signed on %s", s.Signed.Date)
		}
		if s.Veto != nil {
			return no(RuleDuplicateStep, "it was already vetoed on %s", s.Veto.Date)
		}
	case VetoOverridden:
		if s.Veto == nil {
			return no(RuleNoVeto, "no veto is standing against it")
		}
		if e.Date.Before(s.Veto.Date) {
			return no(RuleStepOrder, "its date %s is before the veto of %s", e.Date, s.Veto.Date)
		}
	case Signed:
		if s.Veto != nil {
			return no(RuleAfterVeto, "it was vetoed on %s and the veto has not been overridden", s.Veto.Date)
		}
		if s.Signed != nil {
			return no(RuleDuplicateStep, "it was already signed on %s", s.Signed.Date)
		}
		if passage && s.Adopted == nil {
			return no(RuleSignedBeforeAdopted, "it has not been adopted; record 'adopted' first")
		}
		if s.Adopted != nil && e.Date.Before(s.Adopted.Date) {
			return no(RuleSignedBeforeAdopted, "its date %s is before the adoption on %s", e.Date, s.Adopted.Date)
		}
	case Published:
		if s.Published != nil {
			return no(RuleDuplicateStep, "it was already published on %s (%s); record a corrigendum for a corrected republication", s.Published.Date, "see its history")
		}
		if passage && s.Signed == nil && s.Overrode == nil {
			return no(RulePublishedBeforeSigned, "it has not been signed; record 'signed' first")
		}
		if prev := s.lastStep(); prev != nil && e.Date.Before(prev.Date) {
			return no(RuleStepOrder, "its date %s is before the %s on %s", e.Date, prev.Type, prev.Date)
		}
	case Ratified, Acceded:
		if s.Kind != Treaty {
			return no(RuleWrongKind, "only a treaty is ratified or acceded to, and this act is a %s", s.Kind)
		}
		if s.Ratified != nil {
			return no(RuleDuplicateStep, "it was already %s on %s", s.Ratified.Type, s.Ratified.Date)
		}
	}
	return nil
}

// lastStep returns the latest of signing, veto override and adoption.
func (s *State) lastStep() *Step {
	switch {
	case s.Signed != nil:
		return s.Signed
	case s.Overrode != nil:
		return s.Overrode
	}
	return s.Adopted
}

func (s *State) checkEffect(e *Event, no func(Rule, string, ...any) error) error {
	if e.Type == Corrigendum {
		return nil
	}
	if !s.IsLaw() {
		if t := s.Terminal; t != nil {
			return no(RuleNotAdopted, "it never became law: it was %s on %s", t.Type, t.Date)
		}
		return no(RuleNotAdopted, "it has not been adopted (or, for a treaty, ratified); record that first")
	}
	from := e.EffectiveFrom
	if law, how := s.lawDate(); !from.IsZero() && !e.Retroactive && from.Before(law) {
		return no(RuleRetroactiveUnflagged, "effective_from %s is before its %s on %s; set \"retroactive\": true if the law says so", from, how, law)
	}
	if e.Type == Reenacted {
		if s.Ended == nil {
			return no(RuleNotEnded, "it has not been repealed, expired or annulled")
		}
		if from.Before(s.Ended.From) {
			return no(RuleStepOrder, "effective_from %s is before its %s with effect from %s", from, s.Ended.Type, s.Ended.From)
		}
		return nil
	}
	if end := s.Ended; end != nil {
		if wholeEnding(e) {
			return no(RuleDuplicateStep, "it was already %s with effect from %s; correct that event with record_corrected if its date was wrong", end.Type, end.From)
		}
		if from.IsZero() || !from.Before(end.From) {
			return no(RuleAfterRepeal, "it was %s with effect from %s; record 'reenacted' first if it was restored", end.Type, end.From)
		}
	}
	if e.Type == SuspensionLifted {
		if s.activeSuspension(e.Provisions, from) < 0 {
			return no(RuleNoActiveSuspension, "no suspension of %s is active on %s", provisionsName(e.Provisions), from)
		}
	}
	return nil
}

// activeSuspension returns the index of a suspension that overlaps
// provisions and is in effect on day from (started on or before it, neither
// ended nor lifted by then), or -1.
func (s *State) activeSuspension(provisions []string, from Date) int {
	for i := len(s.Suspensions) - 1; i >= 0; i-- {
		sp := s.Suspensions[i]
		if !sp.LiftedFrom.IsZero() || !overlaps(sp.Provisions, provisions) {
			continue
		}
		if from.Before(sp.From) {
			continue
		}
		if !sp.To.IsZero() && !from.Before(sp.To) {
			continue
		}
		return i
	}
	return -1
}

func provisionsName(p []string) string {
	if len(p) == 0 {
		return "the act"
	}
	return fmt.Sprint(p)
}

func wholeEnding(e *Event) bool {
	return (e.Type == Repealed || e.Type == Expired || e.Type == Annulled) && len(e.Provisions) == 0
}

// Apply folds e into s. It assumes Check(e) passed, or that e is already in
// the ledger. A record event marks s Stale.
func (s *State) Apply(e *Event) {
	s.Version++
	if s.Act == "" {
		s.Act = e.Act
	}
	step := &Step{ID: e.ID, Type: e.Type, Date: e.Date}
	if s.Created == nil && e.Type != RecordCorrected && e.Type != RecordRetracted {
		s.Created = step
		s.Title, s.Kind = e.Body.Title, e.Body.Kind
	}
	switch e.Type {
	case Adopted:
		s.Adopted = step
	case Signed:
		s.Signed = step
	case Published:
		s.Published = step
	case Ratified, Acceded:
		s.Ratified = step
	case Vetoed:
		s.Veto = step
	case VetoOverridden:
		s.Veto = nil
		s.Overrode = step
	case Rejected, Withdrawn, Lapsed:
		s.Terminal = step
	case Repealed, Expired, Annulled:
		if wholeEnding(e) {
			s.Ended = &Ending{ID: e.ID, Type: e.Type, From: e.EffectiveFrom}
		}
	case Reenacted:
		s.Ended = nil
	case Suspended:
		// Full slice expressions: a copied State never shares a backing
		// array with the State it was copied from.
		s.Suspensions = append(s.Suspensions[:len(s.Suspensions):len(s.Suspensions)], Suspension{ID: e.ID, Provisions: e.Provisions, From: e.EffectiveFrom, To: e.EffectiveTo})
	case SuspensionLifted:
		if i := s.activeSuspension(e.Provisions, e.EffectiveFrom); i >= 0 {
			sus := append([]Suspension(nil), s.Suspensions...)
			sus[i].LiftedFrom = e.EffectiveFrom
			s.Suspensions = sus
		}
	case RecordCorrected, RecordRetracted:
		s.Stale = true
	}
}

// Effective returns the events of an act's history as they stand after its
// record events: retracted events are left out, corrected events carry their
// corrected values (later corrections over earlier ones), and the record
// events themselves are left out. A retraction of a correction undoes that
// correction. Events keep their order.
func Effective(history []Event) ([]Event, error) { return effective(history, nil) }

// CorrectionMemo remembers the events of one act's history as corrected, so
// that checking and folding the history again after each new event applies
// each correction once rather than on every fold (ApplyCorrection encodes
// and decodes the event). An event and its corrections are known by their
// ids and hashes: those without a hash (not sealed yet, or of schema 1) are
// corrected anew each time. Its answers are those without it. A memo is
// for one act's history, and is not safe for concurrent use.
type CorrectionMemo struct {
	fixed map[string]Event // by the ids and hashes of the event and of its corrections applied, in order
}

// NewCorrectionMemo returns an empty memo.
func NewCorrectionMemo() *CorrectionMemo { return &CorrectionMemo{fixed: map[string]Event{}} }

// Len is the number of corrected events the memo holds.
func (m *CorrectionMemo) Len() int {
	if m == nil {
		return 0
	}
	return len(m.fixed)
}

// effective is Effective, with corrected events remembered in memo (nil:
// none).
func effective(history []Event, memo *CorrectionMemo) ([]Event, error) {
	retracted := map[ID]bool{}
	for i := range history {
		if e := &history[i]; e.Type == RecordRetracted {
			retracted[e.Body.Retracts] = true
		}
	}
	corrections := map[ID][]*Event{}
	hasRecord := len(retracted) > 0
	for i := range history {
		e := &history[i]
		if e.Type == RecordCorrected && !retracted[e.ID] {
			corrections[e.Body.Corrects] = append(corrections[e.Body.Corrects], e)
			hasRecord = true
		}
	}
	if !hasRecord {
		return history, nil
	}
	out := make([]Event, 0, len(history))
	var key []byte
	for _, e := range history {
		spec, _ := SpecOf(e.Type)
		if spec == nil || spec.Group == Record || retracted[e.ID] {
			continue
		}
		cs := corrections[e.ID]
		remember := memo != nil && len(cs) > 0 && !e.Hash.IsZero()
		if remember {
			key = append(append(key[:0], e.ID[:]...), e.Hash[:]...)
		}
		for _, c := range cs {
			if remember = remember && !c.Hash.IsZero(); remember {
				key = append(append(key, c.ID[:]...), c.Hash[:]...)
				if fixed, ok := memo.fixed[string(key)]; ok {
					e = fixed
					continue
				}
			}
			fixed, err := ApplyCorrection(e, c.Body.Correction)
			if err != nil {
				return nil, err
			}
			if remember {
				memo.fixed[string(key)] = fixed
			}
			e = fixed
		}
		out = append(out, e)
	}
	return out, nil
}

// Fold folds an act's history (in ledger order) into a State, applying its
// corrections and retractions. It does not check the rules: the history is
// what the ledger holds. Version counts every event.
func Fold(history []Event) (*State, error) { return FoldMemo(history, nil) }

// FoldMemo is Fold, with the corrected events remembered in memo (nil:
// none), which must be the memo of this act's history.
func FoldMemo(history []Event, memo *CorrectionMemo) (*State, error) {
	eff, err := effective(history, memo)
	if err != nil {
		return nil, err
	}
	s := &State{}
	for i := range eff {
		s.Apply(&eff[i])
	}
	s.Version = uint64(len(history))
	if len(history) > 0 {
		s.Act = history[0].Act
	}
	s.Stale = false
	return s, nil
}

// foldChecked is Fold that also checks every effective event against the
// state before it, and returns the first rule broken.
func foldChecked(history []Event, memo *CorrectionMemo) error {
	eff, err := effective(history, memo)
	if err != nil {
		return err
	}
	s := &State{}
	for i := range eff {
		if err := s.Check(&eff[i]); err != nil {
			return err
		}
		s.Apply(&eff[i])
	}
	return nil
}

// Validate decides whether e may be appended after prior, an act's whole
// history in ledger order: yes (nil), or no with an *Error whose message a
// clerk understands. It checks e's shape (Validate), its record fields
// (CheckNew is the caller's: stored events carry them), and the lifecycle
// rules; corrections and retractions are checked by folding the corrected
// history again.
func Validate(prior []Event, e Event) error { return ValidateMemo(prior, e, nil) }

// ValidateMemo is Validate, with the corrected events of prior remembered
// in memo (nil: none), which must be the memo of this act's history.
func ValidateMemo(prior []Event, e Event, memo *CorrectionMemo) error {
	if err := e.Validate(); err != nil {
		return err
	}
	for i := range prior {
		if prior[i].Act != e.Act {
			return Errorf(CodeInternal, "history of %s holds an event of %s", e.Act, prior[i].Act)
		}
	}
	spec, _ := SpecOf(e.Type)
	if spec.Group != Record {
		s, err := FoldMemo(prior, memo)
		if err != nil {
			return err
		}
		return s.Check(&e)
	}
	return checkRecord(prior, e, memo)
}

func checkRecord(prior []Event, e Event, memo *CorrectionMemo) error {
	no := func(rule Rule, format string, args ...any) error {
		return ruleError(rule, e.Act, "cannot record '%s' for %s: %s", e.Type, e.Act, fmt.Sprintf(format, args...))
	}
	if len(prior) == 0 {
		return no(RuleActNotFound, "the act is not in the ledger")
	}
	target := e.Body.Corrects
	if e.Type == RecordRetracted {
		target = e.Body.Retracts
	}
	var found *Event
	retracted := false
	for i := range prior {
		if prior[i].ID == target {
			found = &prior[i]
		}
		if prior[i].Type == RecordRetracted && prior[i].Body.Retracts == target {
			retracted = true
		}
	}
	switch {
	case found == nil:
		return no(RuleTargetNotFound, "no event %s is recorded for this act; read its history for the right id", target)
	case retracted:
		return no(RuleTargetNotFound, "event %s was already retracted", target)
	case e.Type == RecordCorrected && (found.Type == RecordCorrected || found.Type == RecordRetracted):
		return no(RuleRecordImmutable, "event %s is itself a %s; retract it and record a new correction", target, found.Type)
	case e.Type == RecordRetracted && found.Type == RecordRetracted:
		return no(RuleRecordImmutable, "event %s is a retraction; a retraction is final", target)
	}
	if e.Type == RecordCorrected {
		// Correct the event as it stands, earlier corrections applied.
		eff, err := effective(prior, memo)
		if err != nil {
			return err
		}
		current := *found
		for i := range eff {
			if eff[i].ID == target {
				current = eff[i]
			}
		}
		if _, err := ApplyCorrection(current, e.Body.Correction); err != nil {
			return err
		}
	}
	// The corrected record must keep the rules, unless it already broke
	// them before this event (recorded under older rules).
	if foldChecked(prior, memo) != nil {
		return nil
	}
	next := append(append(make([]Event, 0, len(prior)+1), prior...), e)
	if err := foldChecked(next, memo); err != nil {
		return no(RuleInconsistentRecord, "the history would then break a rule: %v", err)
	}
	return nil
}
