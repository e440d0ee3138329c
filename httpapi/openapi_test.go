package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// TestOpenAPIDocumentDescribesTheAPI loads the served document, checks that
// it is valid OpenAPI 3, and validates real requests and the server's real
// answers (successes and errors) against it.
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
	l := ledger.New(env.Store, ledger.Options{})
	t.Cleanup(func() { l.Close() })
	srv := httptest.NewServer((&httpapi.Server{Ledger: l, Stream: env.Store}).Handler())
	t.Cleanup(srv.Close)

	exchanges := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/v1/events", `{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-03","body":{"title":"Law on Refugees","kind":"law"}}}`, 201},
		{"POST", "/v1/events", `[{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"adopted","date":"2009-11"}},{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"signed","date":"2009-12-04"}}]`, 201},
		{"POST", "/v1/events", `{"expected_version":1,"event":{"act":"/akn/kz/act/2009-12-04/216","type":"published","date":"2009-12-04","body":{"gazette":"KP"}}}`, 409},
		{"POST", "/v1/events", `{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"signed","date":"2009-12-05"}}`, 422},
		{"GET", "/v1/history?act=/akn/kz/act/2009-12-04/216", "", 200},
		{"GET", "/v1/history?act=/akn/kz/act/2001-01-01/9", "", 404},
		{"GET", "/v1/events?from_seq=2&limit=5", "", 200},
		{"GET", "/healthz", "", 200},
	}
	for _, x := range exchanges {
		req, _ := http.NewRequest(x.method, srv.URL+x.path, bytes.NewBufferString(x.body))
		if x.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s is not in the document: %v", x.method, x.path, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
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
