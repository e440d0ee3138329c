package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/auth"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// TestOpenAPIDocumentDescribesTheAPI loads the served document, checks that
// it is valid OpenAPI 3, and validates real requests and the server's real
// answers (successes and errors, 401 and 403 included) against it. The
// server runs behind an auth.Guard, as `ledger serve --auth` runs it.
func TestOpenAPIDocumentDescribesTheAPI(t *testing.T) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	doc.Servers = nil // match any host
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}

	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	f, _ := auth.ReadOrNew(tokens)
	admin, _ := f.Add("root", auth.Admin, time.Now())
	clerk, _ := f.Add("alice", auth.Clerk, time.Now())
	if err := f.Write(tokens); err != nil {
		t.Fatal(err)
	}
	guard, err := auth.NewGuard(tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	api := &httpapi.Server{Ledger: l, Stream: env.Store, Identify: auth.Identify, StreamAdmin: func(ctx context.Context) (httpapi.StreamStatus, error) {
		n, err := env.Store.Msgs(ctx)
		return httpapi.StreamStatus{Stream: "LEX", Config: env.Store.Config().StreamConfig(), Messages: n, LastSeq: n}, err
	}}
	mux := http.NewServeMux()
	api.Routes(mux)
	mux.HandleFunc("/", httpapi.NotFound)
	srv := httptest.NewServer(guard.Handler(mux))
	t.Cleanup(srv.Close)
	// The document's security requirement is met by a bearer header; the
	// server itself decides whether the token is good.
	opts := &openapi3filter.Options{AuthenticationFunc: func(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
		if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
			return errors.New("no bearer token")
		}
		return nil
	}}

	exchanges := []exchange{
		{"POST", "/v1/events", `{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-03","body":{"title":"Law on Refugees","kind":"law"}}}`, 201, ""},
		{"POST", "/v1/events", `[{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"adopted","date":"2009-11"}},{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"signed","date":"2009-12-04"}}]`, 201, ""},
		{"POST", "/v1/events", `{"expected_version":1,"event":{"act":"/akn/kz/act/2009-12-04/216","type":"published","date":"2009-12-04","body":{"gazette":"KP"}}}`, 409, ""},
		{"POST", "/v1/events", `{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"signed","date":"2009-12-05"}}`, 422, ""},
		{"GET", "/v1/history?act=/akn/kz/act/2009-12-04/216", "", 200, ""},
		{"GET", "/v1/history?act=/akn/kz/act/2009-12-04/216&limit=1", "", 200, ""},
		{"GET", "/v1/history?act=/akn/kz/act/2009-12-04/216&limit=1&cursor=" + projections.Cursor{Key: projections.SeqKey(1)}.String(), "", 200, ""},
		{"GET", "/v1/history?act=/akn/kz/act/2009-12-04/216&cursor=not-a-cursor", "", 400, ""},
		{"GET", "/v1/history?act=/akn/kz/act/2001-01-01/9", "", 404, ""},
		{"GET", "/v1/events?from_seq=2&limit=5", "", 200, ""},
		{"GET", "/healthz", "", 200, "-"},
		{"GET", "/v1/admin/stream", "", 200, ""},
		{"GET", "/v1/admin/stream", "", 403, clerk},
		{"POST", "/v1/events", `{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"published","date":"2009-12-04","body":{"gazette":"KP"}}}`, 401, "lex_not-a-token"},
		{"GET", "/v1/history?act=/akn/kz/act/2009-12-04/216", "", 401, "-"},
	}
	checkExchanges(t, router, opts, srv.URL, admin, exchanges)
}

// exchange is a request to send and the status its answer must have.
type exchange struct {
	method, path, body string
	status             int
	token              string // the default token unless set; "-" for none
}

// checkExchanges sends each exchange to base, with token unless the
// exchange says otherwise, and validates the request and the answer
// against the document.
func checkExchanges(t *testing.T, router routers.Router, opts *openapi3filter.Options, base, token string, exchanges []exchange) {
	t.Helper()
	ctx := context.Background()
	for _, x := range exchanges {
		req, _ := http.NewRequest(x.method, base+x.path, bytes.NewBufferString(x.body))
		if x.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		switch x.token {
		case "":
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
		case "-":
		default:
			req.Header.Set("Authorization", "Bearer "+x.token)
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s is not in the document: %v", x.method, x.path, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if x.token == "-" && x.status == 401 {
			in.Options = &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }} // the request is meant to lack it
		}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: the request does not match the document: %v", x.method, x.path, err)
		}
		req.Body = io.NopCloser(bytes.NewBufferString(x.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != x.status {
			t.Errorf("%s %s answered %d (%s), want %d", x.method, x.path, resp.StatusCode, body, x.status)
			continue
		}
		if resp.Header.Get("Content-Type") == "application/x-ndjson" {
			continue // one JSON value per line: not a single document to validate
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(body))}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s %s: the answer %d does not match the document: %v", x.method, x.path, resp.StatusCode, err)
		}
	}
}

// TestOpenAPIDocumentDescribesTheQueries validates the auditors' queries,
// proofs and exports on a projector that signs checkpoints, successes and
// errors, against the document.
func TestOpenAPIDocumentDescribesTheQueries(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := audit.GenerateSigner(audit.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	env := natstest.MustStart(t, natstest.Options{})
	rs := loadSeed(t, mustLedger(t, env))
	last := rs[len(rs)-1]
	textSeq, _ := recordStructured(t, env)
	r := startService(t, env.Store, env.Conn, projector.Options{Signer: kp})
	r.waitFor(t, textSeq)
	opts := &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}
	act := url.QueryEscape(string(refugees))
	actCursor := projections.Cursor{Key: string(refugees)}.String()
	checkExchanges(t, router, opts, r.url, "", []exchange{
		{"GET", "/v1/checkpoint", "", 404, ""}, // none signed yet
		{"POST", "/v1/checkpoints", "", 200, ""},
		{"GET", "/v1/checkpoint", "", 200, ""},
		{"GET", "/v1/checkpoint?format=note", "", 200, ""},
		{"GET", "/v1/proof?event=" + last.ID.String(), "", 200, ""},
		{"GET", "/v1/proof?event=not-an-id", "", 400, ""},
		{"GET", "/v1/consistency?from=1&to=" + strconv.FormatUint(last.Seq, 10), "", 200, ""},
		{"GET", "/v1/consistency?from=2&to=1", "", 400, ""},
		{"GET", "/v1/audit?act=" + act, "", 200, ""},
		{"GET", "/v1/audit?act=" + act + "&format=csv", "", 200, ""},
		{"GET", "/v1/audit?act=%2Fakn%2Fkz%2Fact%2F2001-01-01%2F9", "", 404, ""},
		{"GET", "/v1/export?act=" + act + "&as_of=2010-01-01", "", 200, ""},
		{"GET", "/v1/export?act=" + act + "&known_at=soon", "", 400, ""},
		{"GET", "/v1/acts?as_of=2010-01-01&status=in_force", "", 200, ""},
		{"GET", "/v1/act?act=" + act + "&as_of=2010-01-01", "", 200, ""},
		{"GET", "/v1/timeline?act=" + act, "", 200, ""},
		// Answers with every optional part: an act amended, with
		// provisions and texts, suspended once (the Criminal Code); an act
		// that amended others; one known only to the month (uncertain);
		// one in force in parts.
		{"GET", "/v1/act?act=" + url.QueryEscape("/akn/kz/act/code/1997-07-16/167") + "&as_of=2010-06-01", "", 200, ""},
		{"GET", "/v1/act?act=" + url.QueryEscape("/akn/kz/act/code/1997-07-16/167") + "&as_of=2010-06-01&known_at=2030-01-01T00:00:00Z", "", 200, ""},
		{"GET", "/v1/timeline?act=" + url.QueryEscape("/akn/kz/act/code/1997-07-16/167"), "", 200, ""},
		{"GET", "/v1/act?act=" + url.QueryEscape("/akn/kz/act/2009-12-10/judicial-system-improvement") + "&as_of=2011-01-01", "", 200, ""},
		{"GET", "/v1/act?act=" + url.QueryEscape("/akn/kz/act/2009-07/death-penalty-abolition") + "&as_of=2009-07-15", "", 200, ""},
		{"GET", "/v1/timeline?act=" + url.QueryEscape("/akn/kz/act/2006-01-16/121"), "", 200, ""},
		{"GET", "/v1/acts?as_of=2011-01-01", "", 200, ""},
		{"GET", "/v1/projection", "", 200, ""},
		{"GET", "/v1/diff?from=2009-01-01&to=2010-01-01", "", 200, ""},
		{"GET", "/v1/acts?as_of=2010-01-01&limit=1", "", 200, ""},
		{"GET", "/v1/acts?as_of=2010-01-01&limit=2&cursor=" + actCursor, "", 200, ""},
		{"GET", "/v1/acts?cursor=not-a-cursor", "", 400, ""},
		{"GET", "/v1/diff?from=2009-01-01&to=2010-01-01&limit=1&cursor=" + actCursor, "", 200, ""},
		{"GET", "/v1/projection?digest=1", "", 200, ""},
		{"GET", "/v1/text?act=" + url.QueryEscape(string(structured)) + "&as_of=2011-06-01", "", 200, ""},
		{"GET", "/v1/text?act=" + url.QueryEscape(string(structured)) + "&as_of=2011-01-15", "", 200, ""},
		{"GET", "/v1/text?act=" + act + "&as_of=2011-01-15", "", 200, ""}, // its texts, in the form before structures
		{"GET", "/v1/text?act=%2Fakn%2Fkz%2Fact%2F2001-01-01%2F9&as_of=2011-01-15", "", 404, ""},
		{"GET", "/v1/versions?act=" + url.QueryEscape(string(structured)), "", 200, ""},
		{"GET", "/v1/text/diff?act=" + url.QueryEscape(string(structured)) + "&from=2011-01-15&to=2011-06-01", "", 200, ""},
		{"GET", "/v1/versions?act=" + url.QueryEscape("/akn/kz/act/code/1997-07-16/167"), "", 200, ""},
	})
}
