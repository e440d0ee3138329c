package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// HeaderSeq is set on every answer of the queries: the stream sequence the
// projection had applied when it answered.
const HeaderSeq = "Lex-Projection-Seq"

// Projector is what the auditors' queries read. *projector.Service
// implements it.
type Projector interface {
	// Read runs fn with the projection under a read lock.
	Read(fn func(p *projections.Projection))
	// WaitFor waits until the projection has applied seq, or ctx ends; it
	// returns the sequence applied.
	WaitFor(ctx context.Context, seq uint64) (uint64, error)
	// Position is where the projection stands.
	Position(ctx context.Context, digest bool) (projector.Position, error)
	// LatestCheckpoint is the latest checkpoint signed, if any; with the
	// witnesses' cosignatures when it was cosigned.
	LatestCheckpoint() (audit.Checkpoint, bool)
	// Witnessed says which configured witnesses cosigned a checkpoint,
	// and whether they make the quorum.
	Witnessed(c audit.Checkpoint) projector.Witnessed
	// Checkpoint signs a checkpoint of the tree now.
	Checkpoint(ctx context.Context) (audit.Checkpoint, error)
	// Prove proves an event's inclusion in the latest checkpoint.
	Prove(ctx context.Context, id events.ID) (projector.Proof, error)
	// Consistent proves that a tree of newSize extends one of oldSize.
	Consistent(oldSize, newSize uint64) (projector.Consistency, error)
	// Report is the audit report of an act as now known.
	Report(act events.ActID) (projector.AuditReport, error)
}

var _ Projector = (*projector.Service)(nil)

// Queries is the auditors' query API over a projector. Mount it with
// Routes.
type Queries struct {
	Projector Projector
	Log       *slog.Logger
	// Clock gives "today", the default as_of; time.Now when nil.
	Clock func() time.Time
}

// Routes mounts the queries on mux:
//
//	GET  /v1/acts?as_of=&known_at=&country=&kind=&status=   acts on a day (paged)
//	GET  /v1/act?act=&as_of=&known_at=                       one act's state
//	GET  /v1/timeline?act=&known_at=                         an act's life
//	GET  /v1/text?act=&as_of=&known_at=                      the act's whole text on a day
//	GET  /v1/versions?act=&known_at=                         the days its text or force changed
//	GET  /v1/text/diff?act=&from=&to=&known_at=              its text on two days, compared word by word
//	GET  /v1/diff?from=&to=&country=&kind=&known_at=         what changed between two days (paged)
//	GET  /v1/projection                                      the projection's position (and ?digest=1)
//	GET  /v1/checkpoint(?format=note)                        the latest signed checkpoint (JSON, or its note)
//	POST /v1/checkpoints                                     sign one now
//	GET  /v1/proof?event=                                    an event's inclusion proof
//	GET  /v1/consistency?from=&to=                           two checkpoints' consistency
//	GET  /v1/audit?act=(&format=csv)                         an act's audit report
//	GET  /v1/export?act=&as_of=&known_at=                    the act as Akoma Ntoso
//
// Every query takes min_seq=S (and wait=DURATION): answer only once the
// projection includes stream sequence S, the receipt's "sequence" of a
// clerk's append (read-your-writes). The lists (acts, diff) are paged:
// limit=N (default projections.DefaultLimit, at most MaxLimit) and
// cursor=, the next_cursor of the page before, which names the last act of
// that page, so that acts recorded between two requests neither shift nor
// repeat the pages after it; the last page has no next_cursor. The
// parameters are read by projections.ParseParams, as the web interface
// reads them.
func (q *Queries) Routes(mux *http.ServeMux) {
	if q.Log == nil {
		q.Log = slog.New(slog.DiscardHandler)
	}
	mux.HandleFunc("GET /v1/acts", q.acts)
	mux.HandleFunc("GET /v1/act", q.act)
	mux.HandleFunc("GET /v1/timeline", q.timeline)
	mux.HandleFunc("GET /v1/text", q.text)
	mux.HandleFunc("GET /v1/versions", q.versions)
	mux.HandleFunc("GET /v1/text/diff", q.textDiff)
	mux.HandleFunc("GET /v1/diff", q.diff)
	mux.HandleFunc("GET /v1/projection", q.position)
	mux.HandleFunc("GET /v1/checkpoint", q.checkpoint)
	mux.HandleFunc("POST /v1/checkpoints", q.newCheckpoint)
	mux.HandleFunc("GET /v1/proof", q.proof)
	mux.HandleFunc("GET /v1/consistency", q.consistency)
	mux.HandleFunc("GET /v1/audit", q.auditReport)
	mux.HandleFunc("GET /v1/export", q.export)
}

func (q *Queries) today() events.Date {
	now := time.Now
	if q.Clock != nil {
		now = q.Clock
	}
	return events.MustDate(now().UTC().Format(time.DateOnly))
}

// prepare parses the parameters, waits for min_seq and refuses a known_at
// before the ledger began; it writes the error and returns false when the
// request cannot be answered.
func (q *Queries) prepare(w http.ResponseWriter, r *http.Request) (projections.Params, bool) {
	p, err := projections.ParseParams(r.URL.Query(), q.today())
	if err == nil {
		err = p.Await(r.Context(), q.Projector.WaitFor)
	}
	if err == nil {
		q.Projector.Read(func(pr *projections.Projection) { err = pr.CheckKnownAt(p.KnownAt) })
	}
	if err != nil {
		q.fail(w, r, err)
		return p, false
	}
	return p, true
}

// prepareAct is prepare for a question about one act, named by act=.
func (q *Queries) prepareAct(w http.ResponseWriter, r *http.Request) (projections.Params, events.ActID, bool) {
	p, ok := q.prepare(w, r)
	if !ok {
		return p, "", false
	}
	v := r.URL.Query().Get("act")
	if v == "" {
		q.fail(w, r, events.Errorf(events.CodeInvalid, "name the act with act=, such as act=/akn/kz/act/2009-12-04/216"))
		return p, "", false
	}
	id, err := events.ParseActID(v)
	if err == nil {
		err = q.checkScope(id)
	}
	if err != nil {
		q.fail(w, r, err)
		return p, "", false
	}
	return p, id, true
}

func (q *Queries) acts(w http.ResponseWriter, r *http.Request) {
	p, ok := q.preparePaged(w, r)
	if !ok {
		return
	}
	out := ActsPage{AsOf: p.AsOf, KnownAt: p.KnownAt}
	var err error
	var seq uint64
	q.Projector.Read(func(pr *projections.Projection) {
		seq = pr.LastSeq()
		var pg projections.Page[projections.ActState]
		if pg, err = pr.ListPage(p.Filter, p.Query(), p.Cursor, p.Limit); err != nil {
			return
		}
		out.Acts, out.NextCursor = pg.Items, pg.Next.String()
		if p.Cursor.IsZero() { // the first page counts the whole list
			var n int
			n, err = pr.Count(p.Filter, p.Query())
			out.Total = &n
		}
	})
	q.answer(w, r, seq, out, err)
}

// ActsPage is the answer of GET /v1/acts: a page of the acts, in
// identifier order, and the cursor of the next page (empty on the last).
// Total, the number of acts of the whole list, is on the first page only:
// counting walks every act (and decides each one's state when status= is
// asked), which a page after the first does not (projections.ListPage).
type ActsPage struct {
	AsOf       events.Date            `json:"as_of"`
	KnownAt    *time.Time             `json:"known_at"`
	Acts       []projections.ActState `json:"acts"`
	Total      *int                   `json:"total,omitempty"`
	NextCursor string                 `json:"next_cursor,omitempty"`
}

// DiffPage is the answer of GET /v1/diff: a page of the changes, in
// identifier order, and the cursor of the next page (empty on the last).
// Total, the number of changes of the whole list, is on the first page
// only, as ActsPage's: counting walks every change between the two days,
// which a page after the first does not (projections.DiffPageUncounted).
type DiffPage struct {
	From       events.Date          `json:"from"`
	To         events.Date          `json:"to"`
	KnownAt    *time.Time           `json:"known_at"`
	Changes    []projections.Change `json:"changes"`
	Total      *int                 `json:"total,omitempty"`
	NextCursor string               `json:"next_cursor,omitempty"`
}

// preparePaged is prepare for a list of acts: it refuses a cursor of
// another list (an act's history).
func (q *Queries) preparePaged(w http.ResponseWriter, r *http.Request) (projections.Params, bool) {
	p, ok := q.prepare(w, r)
	if !ok {
		return p, false
	}
	if err := projections.CheckCursor("cursor", p.Cursor, false); err != nil {
		q.fail(w, r, err)
		return p, false
	}
	return p, true
}

func (q *Queries) act(w http.ResponseWriter, r *http.Request) {
	p, id, ok := q.prepareAct(w, r)
	if !ok {
		return
	}
	var out projections.ActState
	var seq uint64
	var err error
	q.Projector.Read(func(pr *projections.Projection) {
		out, err = pr.State(id, p.Query())
		seq = pr.LastSeq()
	})
	q.answer(w, r, seq, out, err)
}

func (q *Queries) timeline(w http.ResponseWriter, r *http.Request) {
	p, id, ok := q.prepareAct(w, r)
	if !ok {
		return
	}
	var out projections.Timeline
	var seq uint64
	var err error
	q.Projector.Read(func(pr *projections.Projection) {
		out, err = pr.Timeline(id, p.KnownAt)
		seq = pr.LastSeq()
	})
	q.answer(w, r, seq, out, err)
}

func (q *Queries) text(w http.ResponseWriter, r *http.Request) {
	p, id, ok := q.prepareAct(w, r)
	if !ok {
		return
	}
	var out *consolidation.Text
	var seq uint64
	var err error
	q.Projector.Read(func(pr *projections.Projection) {
		out, err = pr.Text(id, p.Query())
		seq = pr.LastSeq()
	})
	q.answer(w, r, seq, out, err)
}

func (q *Queries) textDiff(w http.ResponseWriter, r *http.Request) {
	p, id, ok := q.prepareAct(w, r)
	if !ok {
		return
	}
	d1, d2, err := twoDays(r)
	if err == nil {
		err = consolidation.CheckDays(d1, d2)
	}
	if err != nil {
		q.fail(w, r, err)
		return
	}
	var out *consolidation.Difference
	var seq uint64
	q.Projector.Read(func(pr *projections.Projection) {
		seq = pr.LastSeq()
		var a, b *consolidation.Text
		if a, err = pr.Text(id, projections.Query{AsOf: d1, KnownAt: p.KnownAt}); err != nil {
			return
		}
		if b, err = pr.Text(id, projections.Query{AsOf: d2, KnownAt: p.KnownAt}); err != nil {
			return
		}
		out = consolidation.Compare(a, b)
	})
	q.answer(w, r, seq, out, err)
}

// twoDays reads the from= and to= days of a comparison: both required.
func twoDays(r *http.Request) (d1, d2 events.Date, err error) {
	v := r.URL.Query()
	if v.Get("from") == "" || v.Get("to") == "" {
		return d1, d2, events.Errorf(events.CodeInvalid, "give two days: from=YYYY-MM-DD&to=YYYY-MM-DD")
	}
	if d1, err = projections.ParseDay("from", v.Get("from"), events.Date{}); err != nil {
		return d1, d2, err
	}
	d2, err = projections.ParseDay("to", v.Get("to"), events.Date{})
	return d1, d2, err
}

// Versions is the answer of GET /v1/versions.
type Versions struct {
	Act      events.ActID            `json:"act"`
	KnownAt  *time.Time              `json:"known_at"`
	Versions []consolidation.Version `json:"versions"`
}

func (q *Queries) versions(w http.ResponseWriter, r *http.Request) {
	p, id, ok := q.prepareAct(w, r)
	if !ok {
		return
	}
	out := Versions{Act: id, KnownAt: p.KnownAt}
	var seq uint64
	var err error
	q.Projector.Read(func(pr *projections.Projection) {
		out.Versions, err = pr.Versions(id, p.KnownAt)
		seq = pr.LastSeq()
	})
	if out.Versions == nil {
		out.Versions = []consolidation.Version{}
	}
	q.answer(w, r, seq, out, err)
}

func (q *Queries) diff(w http.ResponseWriter, r *http.Request) {
	p, ok := q.preparePaged(w, r)
	if !ok {
		return
	}
	d1, d2, err := twoDays(r)
	if err != nil {
		q.fail(w, r, err)
		return
	}
	var pg projections.Page[projections.Change]
	var total *int
	var seq uint64
	q.Projector.Read(func(pr *projections.Projection) {
		seq = pr.LastSeq()
		if !p.Cursor.IsZero() {
			pg, err = pr.DiffPageUncounted(d1, d2, p.Filter, p.KnownAt, p.Cursor, p.Limit)
			return
		}
		// The first page counts the whole list.
		var t projections.DiffTotals
		pg, t, err = pr.DiffPage(d1, d2, p.Filter, p.KnownAt, p.Cursor, p.Limit)
		total = &t.Changes
	})
	out := DiffPage{From: d1, To: d2, KnownAt: p.KnownAt, Total: total, Changes: pg.Items, NextCursor: pg.Next.String()}
	if out.Changes == nil {
		out.Changes = []projections.Change{}
	}
	q.answer(w, r, seq, out, err)
}

func (q *Queries) position(w http.ResponseWriter, r *http.Request) {
	pos, err := q.Projector.Position(r.Context(), r.URL.Query().Get("digest") == "1")
	if err != nil {
		q.fail(w, r, fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err))
		return
	}
	q.answer(w, r, pos.LastSeq, pos, nil)
}

func (q *Queries) checkpoint(w http.ResponseWriter, r *http.Request) {
	c, ok := q.Projector.LatestCheckpoint()
	if !ok {
		q.fail(w, r, events.Errorf(events.CodeNotFound, "no checkpoint signed yet: POST /v1/checkpoints asks for one"))
		return
	}
	if !wantsNote(r) {
		q.answer(w, r, c.StreamSeq, witnessedCheckpoint{Checkpoint: c, Witnessed: q.Projector.Witnessed(c)}, nil)
		return
	}
	if c.Note == "" {
		q.fail(w, r, events.Errorf(events.CodeNotFound, "the latest checkpoint is of the old JSON form, not a signed note: ask without format=note"))
		return
	}
	// As transparency logs serve their checkpoint: the signed note as text.
	w.Header().Set(HeaderSeq, strconv.FormatUint(c.StreamSeq, 10))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, c.Note)
}

// witnessedCheckpoint is the answer of GET /v1/checkpoint: the
// checkpoint's fields, and those of its witnesses: cosignatures (the
// names of the configured witnesses that cosigned it), witnessed (they
// make the quorum) and quorum.
type witnessedCheckpoint struct {
	audit.Checkpoint
	projector.Witnessed
}

// wantsNote reports whether a checkpoint is asked for as its signed note
// (format=note, or text/plain accepted and JSON not) rather than as JSON.
func wantsNote(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "note"
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/plain") && !strings.Contains(accept, "application/json")
}

func (q *Queries) newCheckpoint(w http.ResponseWriter, r *http.Request) {
	c, err := q.Projector.Checkpoint(r.Context())
	q.answer(w, r, c.StreamSeq, c, err)
}

func (q *Queries) proof(w http.ResponseWriter, r *http.Request) {
	if _, ok := q.prepare(w, r); !ok {
		return
	}
	id, err := events.ParseID(r.URL.Query().Get("event"))
	if err != nil {
		q.fail(w, r, err)
		return
	}
	p, err := q.Projector.Prove(r.Context(), id)
	q.answer(w, r, p.Checkpoint.StreamSeq, p, err)
}

func (q *Queries) consistency(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	from, err1 := strconv.ParseUint(v.Get("from"), 10, 64)
	to, err2 := strconv.ParseUint(v.Get("to"), 10, 64)
	if err1 != nil || err2 != nil {
		q.fail(w, r, events.Errorf(events.CodeInvalid, "give two tree sizes: from=N&to=M (the tree_size of two checkpoints)"))
		return
	}
	c, err := q.Projector.Consistent(from, to)
	q.answer(w, r, to, c, err)
}

// auditReport handles GET /v1/audit?act=: the act's audit report, as JSON
// or, with format=csv, as CSV.
func (q *Queries) auditReport(w http.ResponseWriter, r *http.Request) {
	_, id, ok := q.prepareAct(w, r)
	if !ok {
		return
	}
	rep, err := q.Projector.Report(id)
	if err != nil {
		q.fail(w, r, err)
		return
	}
	var seq uint64
	q.Projector.Read(func(p *projections.Projection) { seq = p.LastSeq() })
	if r.URL.Query().Get("format") != "csv" {
		q.answer(w, r, seq, rep, nil)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set(HeaderSeq, strconv.FormatUint(seq, 10))
	if err := rep.WriteCSV(w); err != nil {
		q.Log.Warn("audit report not written whole", "act", id, "err", err)
	}
}

func (q *Queries) answer(w http.ResponseWriter, r *http.Request, seq uint64, v any, err error) {
	w.Header().Set(HeaderSeq, strconv.FormatUint(seq, 10))
	q.scopeHeader(w)
	if err != nil {
		q.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (q *Queries) fail(w http.ResponseWriter, r *http.Request, err error) {
	q.scopeHeader(w)
	writeError(w, r, q.Log, err)
}
