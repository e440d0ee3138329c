package projector

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// AuditReport is the record of one act for an auditor: every event, who
// recorded it and when, which events corrected or retracted which, and
// whether the act's hash chain and the latest checkpoint vouch for it.
type AuditReport struct {
	Act    events.ActID `json:"act"`
	Title  string       `json:"title"`
	Events []AuditEvent `json:"events"`
	// ChainOK is true when the last check of the stored bytes (the
	// verifier's pass over the stream as stored, not the projection)
	// covered every event of the act and found nothing wrong with it:
	// ChainStatus "verified". "failed": ChainIssues say where; "unverified":
	// the bytes were not checked up to the act's last event yet.
	ChainOK        bool          `json:"chain_ok"`
	ChainStatus    string        `json:"chain_status"`
	ChainCheckedTo uint64        `json:"chain_checked_to"`          // the last stream sequence checked
	ChainCheckedAt time.Time     `json:"chain_checked_at,omitzero"` // when
	ChainIssues    []string      `json:"chain_issues,omitempty"`
	Checkpoint     *CheckpointAt `json:"checkpoint,omitempty"`
	// Defects are the messages on the act's subject that are not sealed
	// events of it: left out of Events and of every view.
	Defects []AuditDefect `json:"defects,omitempty"`
}

// AuditDefect is a defect on the act's subject, by stream sequence.
type AuditDefect struct {
	Seq      uint64          `json:"sequence"`
	StoredAt time.Time       `json:"stored_at"`
	Defect   eventlog.Defect `json:"defect"`
}

// AuditEvent is one line of an audit report.
type AuditEvent struct {
	Seq         uint64       `json:"sequence"`
	ID          events.ID    `json:"id"`
	Type        events.Type  `json:"type"`
	Date        events.Date  `json:"date"`
	RecordedAt  time.Time    `json:"recorded_at"`
	RecordedBy  string       `json:"recorded_by"`
	Hash        string       `json:"hash"`
	Effective   bool         `json:"effective"`
	CorrectedBy []events.ID  `json:"corrected_by,omitempty"`
	RetractedBy events.ID    `json:"retracted_by,omitzero"`
	Target      events.ID    `json:"target,omitzero"` // what a correction or retraction concerns
	Instrument  events.ActID `json:"instrument,omitempty"`
}

// CheckpointAt says which signed checkpoint covers the act's events.
type CheckpointAt struct {
	TreeSize  uint64 `json:"tree_size"`
	Root      string `json:"root"`
	Key       string `json:"key"`
	CoversAll bool   `json:"covers_all"` // every event of the act is in the signed tree
}

// Report builds the audit report of an act as now known.
//
// Its chain status is that of the stored bytes: the messages applied since
// the last check are checked first (for at most bytesWait).
func (s *Service) Report(act events.ActID) (AuditReport, error) {
	s.mu.RLock()
	applied := s.proj.LastSeq()
	s.mu.RUnlock()
	if st := s.bytesOf(act); st.checked < applied {
		ctx, cancel := context.WithTimeout(context.Background(), bytesWait)
		if err := s.checkBytes(ctx, !st.complete); err != nil {
			s.log.Warn("check of the stored bytes failed", "err", err)
		}
		cancel()
	}
	bst := s.bytesOf(act)
	s.loadHistory()
	s.mu.RLock()
	defer s.mu.RUnlock()
	tl, err := s.proj.Timeline(act, nil)
	if err != nil {
		return AuditReport{}, err
	}
	rep := AuditReport{Act: act, Title: tl.Title, ChainCheckedTo: bst.checked, ChainCheckedAt: bst.at}
	pos := map[events.ID]int{}
	maxLeaf, lastSeq := uint64(0), uint64(0)
	for _, te := range tl.Events {
		e, _ := s.proj.Find(act, te.ID)
		ev := e.Event
		lastSeq = max(lastSeq, e.Seq)
		h := ev.Hash
		if h.IsZero() {
			h, _ = ev.ComputeHash()
		}
		if leaf, ok := s.leafOf(e.Seq); ok && leaf+1 > maxLeaf {
			maxLeaf = leaf + 1
		}
		ae := AuditEvent{Seq: e.Seq, ID: ev.ID, Type: ev.Type, Date: ev.Date, RecordedAt: ev.RecordedAt, RecordedBy: ev.RecordedBy,
			Hash: h.String(), Effective: te.Effective, Instrument: ev.Instrument}
		switch ev.Type {
		case events.RecordCorrected:
			ae.Target = ev.Body.Corrects
			if i, ok := pos[ev.Body.Corrects]; ok {
				rep.Events[i].CorrectedBy = append(rep.Events[i].CorrectedBy, ev.ID)
			}
		case events.RecordRetracted:
			ae.Target = ev.Body.Retracts
			if i, ok := pos[ev.Body.Retracts]; ok {
				rep.Events[i].RetractedBy = ev.ID
			}
		}
		pos[ev.ID] = len(rep.Events)
		rep.Events = append(rep.Events, ae)
	}
	for _, f := range bst.failures {
		rep.ChainIssues = append(rep.ChainIssues, "sequence "+strconv.FormatUint(f.Seq, 10)+": "+f.Message)
	}
	for _, d := range s.proj.Defects() {
		if d.Defect.Act == act && d.Seq > lastSeq {
			lastSeq = d.Seq
		}
	}
	switch {
	case len(bst.failures) > 0:
		rep.ChainStatus = "failed"
	case !bst.complete || bst.checked < lastSeq:
		rep.ChainStatus = "unverified"
		rep.ChainIssues = append(rep.ChainIssues, "the stored bytes of this act's events have not been checked up to sequence "+strconv.FormatUint(lastSeq, 10)+" yet")
	default:
		rep.ChainStatus, rep.ChainOK = "verified", true
	}
	for _, d := range s.proj.Defects() {
		if d.Defect.Act == act {
			rep.Defects = append(rep.Defects, AuditDefect{Seq: d.Seq, StoredAt: d.StoredAt, Defect: *d.Defect})
		}
	}
	if c := s.audit.last; c != nil {
		rep.Checkpoint = &CheckpointAt{TreeSize: c.TreeSize, Root: c.Root.String(), Key: c.Key, CoversAll: c.TreeSize >= maxLeaf}
	}
	return rep, nil
}

// bytesWait bounds the check of the stored bytes that a report waits for.
const bytesWait = 5 * time.Second

// WriteCSV writes the report's events as CSV, a header line first: one
// line per event, the corrections of an event separated by spaces; then
// one line per defect, of type "defect", with its reason and message in
// the defect column. The last column, chain_status, is the report's
// ChainStatus (the stored bytes' check, up to ChainCheckedTo) on every
// line, so that a spreadsheet of several acts keeps it.
func (r AuditReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"sequence", "id", "type", "date", "recorded_at", "recorded_by", "hash", "effective", "corrected_by", "retracted_by", "target", "instrument", "defect", "chain_status"})
	for _, e := range r.Events {
		corr := make([]string, len(e.CorrectedBy))
		for i, c := range e.CorrectedBy {
			corr[i] = c.String()
		}
		ret, tgt := "", ""
		if !e.RetractedBy.IsZero() {
			ret = e.RetractedBy.String()
		}
		if !e.Target.IsZero() {
			tgt = e.Target.String()
		}
		cw.Write([]string{strconv.FormatUint(e.Seq, 10), e.ID.String(), string(e.Type), e.Date.String(), e.RecordedAt.Format(time.RFC3339Nano),
			e.RecordedBy, e.Hash, strconv.FormatBool(e.Effective), strings.Join(corr, " "), ret, tgt, string(e.Instrument), "", r.ChainStatus})
	}
	for _, d := range r.Defects {
		id := ""
		if !d.Defect.ID.IsZero() {
			id = d.Defect.ID.String()
		}
		cw.Write([]string{strconv.FormatUint(d.Seq, 10), id, "defect", "", d.StoredAt.Format(time.RFC3339Nano), "", d.Defect.Digest.String(),
			"false", "", "", "", "", string(d.Defect.Reason) + ": " + d.Defect.Message, r.ChainStatus})
	}
	cw.Flush()
	return cw.Error()
}
