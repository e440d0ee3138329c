package projector

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/projections"
)

// HeaderSeq is set on every answer: the stream sequence the projection had
// applied when it answered.
const HeaderSeq = "Lex-Projection-Seq"

// Read-your-writes waits, bounded.
const (
	defaultWait = 5 * time.Second
	maxWait     = 30 * time.Second
)

// Routes mounts the auditors' query API on mux:
//
//	GET /v1/acts?as_of=&known_at=&country=&kind=&status=   acts on a day
//	GET /v1/act?act=&as_of=&known_at=                       one act's state
//	GET /v1/timeline?act=&known_at=                         an act's life
//	GET /v1/diff?from=&to=&country=&kind=&known_at=         what changed between two days
//	GET /v1/projection                                      the projection's position (and ?digest=1)
//
// Every query takes min_seq=S (and wait=DURATION): answer only once the
// projection includes stream sequence S, the receipt's "sequence" of a
// clerk's append (read-your-writes).
func (s *Service) Routes(mux *http.ServeMux, log *slog.Logger) {
	h := &handler{s: s, log: log}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux.HandleFunc("GET /v1/acts", h.acts)
	mux.HandleFunc("GET /v1/act", h.act)
	mux.HandleFunc("GET /v1/timeline", h.timeline)
	mux.HandleFunc("GET /v1/diff", h.diff)
	mux.HandleFunc("GET /v1/projection", h.position)
	mux.HandleFunc("GET /v1/checkpoint", h.checkpoint)
	mux.HandleFunc("POST /v1/checkpoints", h.newCheckpoint)
	mux.HandleFunc("GET /v1/proof", h.proof)
	mux.HandleFunc("GET /v1/consistency", h.consistency)
	mux.HandleFunc("GET /v1/audit", h.auditReport)
	mux.HandleFunc("GET /v1/export", h.export)
}

func (h *handler) checkpoint(w http.ResponseWriter, r *http.Request) {
	c, ok := h.s.LatestCheckpoint()
	if !ok {
		h.fail(w, r, events.Errorf(events.CodeNotFound, "no checkpoint signed yet: POST /v1/checkpoints asks for one"))
		return
	}
	h.answer(w, r, c.StreamSeq, c, nil)
}

func (h *handler) newCheckpoint(w http.ResponseWriter, r *http.Request) {
	c, err := h.s.Checkpoint(r.Context())
	h.answer(w, r, c.StreamSeq, c, err)
}

func (h *handler) proof(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.prepare(w, r); !ok {
		return
	}
	id, err := events.ParseID(r.URL.Query().Get("event"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.s.Prove(r.Context(), id)
	h.answer(w, r, p.Checkpoint.StreamSeq, p, err)
}

func (h *handler) consistency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := strconv.ParseUint(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseUint(q.Get("to"), 10, 64)
	if err1 != nil || err2 != nil {
		h.fail(w, r, events.Errorf(events.CodeInvalid, "give two tree sizes: from=N&to=M (the tree_size of two checkpoints)"))
		return
	}
	c, err := h.s.Consistent(from, to)
	h.answer(w, r, to, c, err)
}

type handler struct {
	s   *Service
	log *slog.Logger
}

// params reads the common query parameters.
type params struct {
	asOf    events.Date
	knownAt *time.Time
	filter  projections.Filter
}

func badParam(name, value, want string) error {
	return events.Errorf(events.CodeInvalid, "%s=%q is not valid: %s", name, value, want)
}

// parseDay reads a valid-time day; empty means today (UTC).
func parseDay(name, v string) (events.Date, error) {
	if v == "" {
		return events.MustDate(time.Now().UTC().Format(time.DateOnly)), nil
	}
	d, err := events.ParseDate(v)
	if err != nil || d.Precision() != events.Day {
		return events.Date{}, badParam(name, v, "give a day as YYYY-MM-DD, such as 2008-06-01")
	}
	return d, nil
}

// parseKnownAt reads a record time: RFC 3339, or a day meaning the end of
// that day (UTC): "as the record stood on 2009-01-01".
func parseKnownAt(v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return &t, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		t := d.Add(24*time.Hour - time.Nanosecond)
		return &t, nil
	}
	return nil, badParam("known_at", v, "give a record time as 2009-01-01T12:00:00Z, or a day (the end of that day, UTC)")
}

// prepare parses parameters and waits for min_seq; it writes the error
// and returns false when the request cannot be answered.
func (h *handler) prepare(w http.ResponseWriter, r *http.Request) (params, bool) {
	q := r.URL.Query()
	var p params
	var err error
	if p.asOf, err = parseDay("as_of", q.Get("as_of")); err != nil {
		h.fail(w, r, err)
		return p, false
	}
	if p.knownAt, err = parseKnownAt(q.Get("known_at")); err != nil {
		h.fail(w, r, err)
		return p, false
	}
	p.filter = projections.Filter{Country: q.Get("country"), Kind: events.Kind(q.Get("kind")), Status: projections.Status(q.Get("status"))}
	if k := p.filter.Kind; k != "" && !events.ValidKind(k) {
		h.fail(w, r, badParam("kind", string(k), "use an act kind of docs/EVENTS.md, such as law or code"))
		return p, false
	}
	if st := p.filter.Status; st != "" && !validStatus(st) {
		h.fail(w, r, badParam("status", string(st), fmt.Sprintf("use one of %v", projections.Statuses)))
		return p, false
	}
	if v := q.Get("min_seq"); v != "" {
		seq, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			h.fail(w, r, badParam("min_seq", v, "give the stream sequence of a receipt"))
			return p, false
		}
		wait := defaultWait
		if v := q.Get("wait"); v != "" {
			if wait, err = time.ParseDuration(v); err != nil || wait < 0 || wait > maxWait {
				h.fail(w, r, badParam("wait", v, "give a duration up to 30s, such as 2s"))
				return p, false
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		if got, err := h.s.WaitFor(ctx, seq); err != nil {
			h.fail(w, r, events.Errorf(events.CodeUnavailable, "the projection has applied up to sequence %d, not yet %d, after waiting %s: retry, or wait longer with wait=", got, seq, wait))
			return p, false
		}
	}
	if p.knownAt != nil {
		var first time.Time
		var ok bool
		h.s.Read(func(pr *projections.Projection) { first, ok = pr.FirstRecord() })
		if ok && p.knownAt.Before(first) {
			h.fail(w, r, events.Errorf(events.CodeInvalid, "known_at %s is before the ledger began (its first event was recorded at %s): nothing was on record then; ask about a later time",
				p.knownAt.Format(time.RFC3339), first.Format(time.RFC3339)))
			return p, false
		}
	}
	return p, true
}

func validStatus(s projections.Status) bool {
	for _, x := range projections.Statuses {
		if x == s {
			return true
		}
	}
	return false
}

func actParam(r *http.Request) (events.ActID, error) {
	v := r.URL.Query().Get("act")
	if v == "" {
		return "", events.Errorf(events.CodeInvalid, "name the act with act=, such as act=/akn/kz/act/2009-12-04/216")
	}
	return events.ParseActID(v)
}

func (h *handler) acts(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prepare(w, r)
	if !ok {
		return
	}
	var out []projections.ActState
	var err error
	var seq uint64
	h.s.Read(func(pr *projections.Projection) {
		out, err = pr.List(p.filter, projections.Query{AsOf: p.asOf, KnownAt: p.knownAt})
		seq = pr.LastSeq()
	})
	h.answer(w, r, seq, map[string]any{"as_of": p.asOf, "known_at": p.knownAt, "acts": out}, err)
}

func (h *handler) act(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prepare(w, r)
	if !ok {
		return
	}
	id, err := actParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var out projections.ActState
	var seq uint64
	h.s.Read(func(pr *projections.Projection) {
		out, err = pr.State(id, projections.Query{AsOf: p.asOf, KnownAt: p.knownAt})
		seq = pr.LastSeq()
	})
	h.answer(w, r, seq, out, err)
}

func (h *handler) timeline(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prepare(w, r)
	if !ok {
		return
	}
	id, err := actParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var out projections.Timeline
	var seq uint64
	h.s.Read(func(pr *projections.Projection) {
		out, err = pr.Timeline(id, p.knownAt)
		seq = pr.LastSeq()
	})
	h.answer(w, r, seq, out, err)
}

func (h *handler) diff(w http.ResponseWriter, r *http.Request) {
	p, ok := h.prepare(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("from") == "" || q.Get("to") == "" {
		h.fail(w, r, events.Errorf(events.CodeInvalid, "give two days: from=YYYY-MM-DD&to=YYYY-MM-DD"))
		return
	}
	d1, err := parseDay("from", q.Get("from"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d2, err := parseDay("to", q.Get("to"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var out []projections.Change
	var seq uint64
	h.s.Read(func(pr *projections.Projection) {
		out, err = pr.Diff(d1, d2, p.filter, p.knownAt)
		seq = pr.LastSeq()
	})
	h.answer(w, r, seq, map[string]any{"from": d1, "to": d2, "known_at": p.knownAt, "changes": out}, err)
}

// Position is the answer of GET /v1/projection.
type Position struct {
	LastSeq uint64 `json:"last_seq"` // the last stream sequence applied
	Events  uint64 `json:"events"`
	Behind  uint64 `json:"behind"` // events stored but not yet applied
	Ready   bool   `json:"ready"`  // caught up with the stream at least once
	Version int    `json:"projection_version"`
	Digest  string `json:"digest,omitempty"` // with ?digest=1: SHA-256 of the snapshot bytes
}

func (h *handler) position(w http.ResponseWriter, r *http.Request) {
	behind, _, err := h.s.Lag(r.Context())
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", eventlog.ErrUnavailable, err))
		return
	}
	var pos Position
	h.s.Read(func(pr *projections.Projection) {
		pos = Position{LastSeq: pr.LastSeq(), Events: pr.Events(), Behind: behind, Ready: h.s.ready, Version: projections.Version}
		if r.URL.Query().Get("digest") == "1" {
			pos.Digest = pr.Digest()
		}
	})
	h.answer(w, r, pos.LastSeq, pos, nil)
}

func (h *handler) answer(w http.ResponseWriter, r *http.Request, seq uint64, v any, err error) {
	w.Header().Set(HeaderSeq, strconv.FormatUint(seq, 10))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set(HeaderSeq, strconv.FormatUint(seq, 10))
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := ledger.DescribeError(err)
	if status >= 500 {
		h.log.Error("query failed", "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
