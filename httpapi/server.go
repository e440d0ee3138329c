package httpapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"iter"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/projections"
)

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the API's OpenAPI 3 document.
func OpenAPI() []byte { return openAPI }

// MaxBodyBytes bounds a request body: a full batch of ordinary events fits.
const MaxBodyBytes = 16 << 20

// Recorder is the part of the ledger that the API serves.
type Recorder interface {
	AppendAtomic(ctx context.Context, identity string, cmds []ledger.Command) ([]ledger.Receipt, error)
	History(ctx context.Context, act events.ActID) ([]eventlog.Entry, error)
}

var _ Recorder = (*ledger.Ledger)(nil)

// StreamReader replays the whole stream from a position, in order.
type StreamReader interface {
	Read(ctx context.Context, pos eventlog.Position) iter.Seq2[eventlog.Entry, error]
}

// Health reports whether the engine answers; nil when it does.
type Health func(ctx context.Context) error

// Server is the HTTP API. Mount it with Handler.
type Server struct {
	Ledger Recorder
	Stream StreamReader // serves GET /v1/events when set
	Health Health
	Log    *slog.Logger
	// Identify returns the recording identity of a request. Until
	// authentication is configured it is "anonymous@http".
	Identify func(r *http.Request) (string, error)
	// StreamAdmin serves GET /v1/admin/stream when set.
	StreamAdmin StreamAdmin
	// Limits bound the request bodies held at once (BodyMemory) and move
	// the write deadline of the stream's answer forward (Write); the zero
	// value bounds neither. The http.Server's own limits come from
	// Limits.Server.
	Limits Limits

	bodies *bodyBudget
}

// Handler returns the API's routes, and a JSON 404 for every other path.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	mux.HandleFunc("/", NotFound)
	return mux
}

// NotFound answers a JSON 404 that points at the API's description.
func NotFound(w http.ResponseWriter, r *http.Request) {
	_, body := ledger.DescribeError(events.Errorf(events.CodeNotFound, "no such endpoint: %s %s; the API is described at /openapi.yaml", r.Method, r.URL.Path))
	writeJSON(w, http.StatusNotFound, body)
}

// Routes mounts the API on mux, for a server that serves more (the
// auditors' Queries, the web interface) on the same address.
func (s *Server) Routes(mux *http.ServeMux) {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	s.bodies = newBodyBudget(s.Limits)
	mux.HandleFunc("POST /v1/events", s.record)
	mux.HandleFunc("GET /v1/history", s.history)
	mux.HandleFunc("GET /v1/history/{act...}", s.history) // the act as a path, for people typing URLs
	mux.HandleFunc("GET /v1/events", s.events)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /v1/admin/stream", s.adminStream)
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPI)
	})
}

func (s *Server) identify(r *http.Request) (string, error) {
	if s.Identify != nil {
		return s.Identify(r)
	}
	return "anonymous@http", nil
}

// record handles POST /v1/events: one command, or an array recorded
// atomically.
func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	// The body is parsed as JSON whatever its Content-Type says, so that
	// curl -d works as typed; strict decoding rejects anything else.
	body, release, err := s.bodies.readBody(w, r)
	defer release() // the body and the commands decoded from it
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cmds, batch, err := ledger.DecodeCommands(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	who, err := s.identify(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	receipts, err := s.Ledger.AppendAtomic(r.Context(), who, cmds)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if batch {
		writeJSON(w, http.StatusCreated, receipts)
		return
	}
	writeJSON(w, http.StatusCreated, receipts[0])
}

// history handles GET /v1/history?act=/akn/... (or /v1/history/akn/...):
// a page of an act's events (and defects) in stream order, limit= of them
// (default projections.DefaultLimit) after cursor=, which names the stream
// sequence of the last of the page before; next_cursor is absent on the
// last page.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := projections.ParseLimit(q.Get("limit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := projections.ParseCursor("cursor", q.Get("cursor"))
	if err == nil {
		err = projections.CheckCursor("cursor", cur, true)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	raw := q.Get("act")
	if p := r.PathValue("act"); p != "" {
		raw = "/" + p
	}
	if raw == "" {
		s.fail(w, r, events.Errorf(events.CodeInvalid, "name the act: GET /v1/history?act=/akn/kz/act/2009-12-04/216"))
		return
	}
	act, err := events.ParseActID(raw)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	recs, err := s.Ledger.History(r.Context(), act)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := projections.PageOf(recs, func(e eventlog.Entry) string { return projections.SeqKey(e.Seq) }, cur, limit)
	h := ledger.NewHistoryJSON(act, pg.Items)
	h.Version = 0 // the act's version: its events, on every page
	for _, e := range recs {
		if e.Defect == nil {
			h.Version++
		}
	}
	h.NextCursor = pg.Next.String()
	writeJSON(w, http.StatusOK, h)
}

// Limits of GET /v1/events.
const (
	DefaultReadLimit = 1000
	MaxReadLimit     = 100000
)

// events handles GET /v1/events?from_seq=N|from_time=T&limit=L: the whole
// stream in order, as JSON Lines.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.Stream == nil {
		s.fail(w, r, events.Errorf(events.CodeNotFound, "this server does not serve the stream"))
		return
	}
	q := r.URL.Query()
	var pos eventlog.Position
	if v := q.Get("from_seq"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			s.fail(w, r, events.Errorf(events.CodeInvalid, "from_seq %q is not a stream sequence: give a whole number from 1", v))
			return
		}
		pos.Seq = n
	}
	if v := q.Get("from_time"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.fail(w, r, events.Errorf(events.CodeInvalid, "from_time %q is not an RFC 3339 time such as 2009-12-04T00:00:00Z", v))
			return
		}
		if pos.Seq != 0 {
			s.fail(w, r, events.Errorf(events.CodeInvalid, "give from_seq or from_time, not both"))
			return
		}
		pos.Time = t
	}
	limit := DefaultReadLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxReadLimit {
			s.fail(w, r, events.Errorf(events.CodeInvalid, "limit %q must be a number from 1 to %d", v, MaxReadLimit))
			return
		}
		limit = n
	}
	n := 0
	started := false
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	rc := http.NewResponseController(w)
	for st, err := range s.Stream.Read(r.Context(), pos) {
		if n%256 == 0 {
			ExtendWrite(rc, s.Limits.Write) // a long answer, read as it comes
		}
		if err != nil {
			if !started {
				s.fail(w, r, err)
				return
			}
			s.Log.Error("stream read failed mid-answer", "err", err)
			return
		}
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		enc.Encode(st) // {"sequence", "stored_at", "event"}
		if n++; n == limit {
			break
		}
	}
	if !started {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Health(ctx); err != nil {
			s.fail(w, r, &events.Error{Code: events.CodeUnavailable, Message: "the event store does not answer: " + err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.Log, err)
}

// writeError answers err as JSON with the status of its code, and logs it
// when the fault is the server's (5xx).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, body := ledger.DescribeError(err)
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, body)
}

// writeJSON answers v as JSON with status; the API's one JSON writer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
