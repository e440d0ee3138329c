package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Projector is what the interface reads. *projector.Service implements it.
type Projector interface {
	// Read runs fn with the projection under a read lock.
	Read(fn func(p *projections.Projection))
	// WaitFor waits until the projection has applied seq, or ctx ends; it
	// returns the sequence applied (min_seq, as in the query API).
	WaitFor(ctx context.Context, seq uint64) (uint64, error)
	// Report is the audit report of an act as now known.
	Report(act events.ActID) (projector.AuditReport, error)
	// Subscribe receives every event applied from now on.
	Subscribe() (<-chan eventlog.Entry, func())
}

var _ Projector = (*projector.Service)(nil)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// Clock gives "today", the default "as of"; time.Now when nil.
	Clock func() time.Time
	// KeepAlive is how often a live stream sends a comment to keep proxies
	// from closing it; 25 seconds when zero.
	KeepAlive time.Duration
}

// Server serves the web interface. Mount it with Routes; call Close when
// the HTTP server shuts down, so that live streams end instead of holding
// the shutdown.
type Server struct {
	p       Projector
	log     *slog.Logger
	now     func() time.Time
	alive   time.Duration
	pages   map[string]*template.Template
	static  http.Handler
	version string // of the assets, for cache busting

	closeOnce sync.Once
	closing   chan struct{}
}

// New returns the interface over p. It panics if the embedded templates do
// not parse, which a test of this package catches.
func New(p Projector, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 25 * time.Second
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	s := &Server{p: p, log: opts.Logger.With("component", "web"), now: opts.Clock, alive: opts.KeepAlive,
		static: http.StripPrefix("/ui/static/", http.FileServerFS(static)), closing: make(chan struct{}),
		version: assetVersion()}
	s.pages = map[string]*template.Template{}
	for _, name := range []string{"browse", "act", "jurisdiction", "text", "textdiff", "error"} {
		s.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html"))
	}
	return s
}

// assetVersion is a digest of the static files, appended to their URLs.
func assetVersion() string {
	h := sha256.New()
	fs.WalkDir(assets, "static", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assets.ReadFile(path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Routes mounts the interface on mux: GET / and GET /ui/....
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.browse)
	mux.HandleFunc("GET /ui/{$}", s.browse)
	mux.HandleFunc("GET /ui/act", s.act)
	mux.HandleFunc("GET /ui/jurisdiction", s.jurisdiction)
	mux.HandleFunc("GET /ui/text", s.text)
	mux.HandleFunc("GET /ui/textdiff", s.textDiff)
	mux.HandleFunc("GET /ui/events", s.live)
	mux.HandleFunc("GET /ui/static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") == s.version {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		s.static.ServeHTTP(w, r)
	})
}

// Close ends the live streams; later ones end at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
}

// page is what every page's layout needs.
type page struct {
	Title   string // of the document
	Nav     string // the current section: acts, jurisdiction
	Asset   string // the assets' version
	Seq     uint64 // the projection's sequence the page shows
	Live    string // the live events URL the page listens to ("" none)
	Partial bool
	// Defects counts the messages in the stream that are not sealed events
	// of their act: the views leave them out, and every page says so.
	Defects int
}

// render writes a page, or only its parts when the request asks for them
// (partial=1, what the script fetches).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any, seq uint64) {
	t := s.pages[name]
	tmpl := "layout"
	if r.URL.Query().Get("partial") == "1" {
		tmpl = "parts"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	if tmpl == "parts" && status == http.StatusOK {
		// A live refresh of parts unchanged is answered 304 with no body:
		// the script keeps what it shows.
		sum := sha256.Sum256(buf.Bytes())
		etag := `"` + hex.EncodeToString(sum[:12]) + `"`
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			h.Set("Cache-Control", "no-store")
			h.Set(httpapi.HeaderSeq, strconv.FormatUint(seq, 10))
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set(httpapi.HeaderSeq, strconv.FormatUint(seq, 10))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the page of a request that cannot be answered.
type errorPage struct {
	page
	Status  int
	Message string
}

// fail renders err as a page: a message that says what to do instead.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := ledger.DescribeError(err)
	if status >= 500 {
		s.log.Error("page failed", "path", r.URL.Path, "status", status, "err", err)
	}
	p := errorPage{page: s.page(r, "Cannot show this page", ""), Status: status, Message: body.Error.Message}
	s.render(w, r, status, "error", p, 0)
}

func (s *Server) page(r *http.Request, title, nav string) page {
	pg := page{Title: title, Nav: nav, Asset: s.version, Partial: r.URL.Query().Get("partial") == "1"}
	s.p.Read(func(p *projections.Projection) { pg.Defects = p.DefectCount() })
	return pg
}

// today is the default valid day.
func (s *Server) today() events.Date {
	return events.MustDate(s.now().UTC().Format(time.DateOnly))
}

// params reads the query parameters as the query API reads them
// (projections.ParseParams), and waits for min_seq as it does.
func (s *Server) params(r *http.Request) (projections.Params, error) {
	p, err := projections.ParseParams(r.URL.Query(), s.today())
	if err != nil {
		return p, err
	}
	return p, p.Await(r.Context(), s.p.WaitFor)
}

// knownAtValue is the form's value for a record time: what was asked,
// normalised.
func knownAtValue(raw string, t *time.Time) string {
	if t == nil {
		return ""
	}
	if len(raw) == len(time.DateOnly) {
		return raw
	}
	return t.UTC().Format(time.RFC3339Nano)
}

var errNoAct = events.Errorf(events.CodeInvalid, "name the act with act=, such as act=/akn/kz/act/code/1997-07-16/167, or find it on the home page")

// actRequest reads what every page of one act starts from: the act, which
// a partial projector must cover (421 otherwise), and the days asked. On a
// bad request it answers the error itself and returns false.
func (s *Server) actRequest(w http.ResponseWriter, r *http.Request) (events.ActID, projections.Params, bool) {
	id, err := actParam(r)
	if sc, ok := s.p.(scoped); ok && err == nil {
		err = sc.CheckScope(id)
	}
	var params projections.Params
	if err == nil {
		params, err = s.params(r)
	}
	if err != nil {
		s.fail(w, r, err)
		return "", params, false
	}
	return id, params, true
}

func actParam(r *http.Request) (events.ActID, error) {
	v := r.URL.Query().Get("act")
	if v == "" {
		return "", errNoAct
	}
	return events.ParseActID(v)
}

// statusLabels are the statuses in words.
var statusLabels = map[projections.Status]string{
	projections.NotAdopted:        "not adopted",
	projections.AdoptedNotInForce: "adopted, not in force",
	projections.PartiallyInForce:  "partially in force",
	projections.InForce:           "in force",
	projections.Suspended:         "in force, suspended",
	projections.Repealed:          "repealed",
	projections.Expired:           "expired",
	projections.Annulled:          "annulled",
}

func statusLabel(s projections.Status) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// provisionLabels are the provision statuses in words.
var provisionLabels = map[string]string{
	projections.ProvisionInForce:     "in force",
	projections.ProvisionSuspended:   "suspended",
	projections.ProvisionNotInForce:  "not in force",
	projections.ProvisionProspective: "prospective",
}

func provisionLabel(s string) string {
	if l, ok := provisionLabels[s]; ok {
		return l
	}
	return s
}

// words turns an identifier such as suspension_lifted into words.
func words(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '_' {
			b[i] = ' '
		}
	}
	return string(b)
}

// precisionNote says how well a date is known.
func precisionNote(d events.Date) string {
	switch d.Precision() {
	case events.Month:
		return "known only to the month"
	case events.Year:
		return "known only to the year"
	}
	return ""
}

var funcs = template.FuncMap{
	"add":       func(a, b float64) float64 { return a + b },
	"sub":       func(a, b float64) float64 { return a - b },
	"plotLeft":  func() float64 { return plotLeft },
	"plotRight": func() float64 { return plotRight },
	"status":    statusLabel,
	"provision": provisionLabel,
	"words":     words,
	"precision": precisionNote,
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		// At full precision: the time shown is the time to ask with
		// known_at, and two records of one second differ.
		return t.UTC().Format(time.RFC3339Nano)
	},
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12] + "…"
		}
		return s
	},
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
}
