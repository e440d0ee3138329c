package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/lexledger/lexledger/httpapi"
)

// TestReady: every check holds, 200; one fails, 503 naming it with its
// error, the others still listed; both answers as the document says.
func TestReady(t *testing.T) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context) error { return nil }
	behind := func(context.Context) error { return errors.New("44 behind") }
	for _, c := range []struct {
		name   string
		checks []httpapi.Check
		status int
		want   httpapi.Readiness
	}{
		{"Ready", []httpapi.Check{{Name: "stream", Check: ok}, {Name: "projector", Check: ok}}, 200,
			httpapi.Readiness{Status: "ready", Checks: []httpapi.CheckResult{{Name: "stream", OK: true}, {Name: "projector", OK: true}}}},
		{"NotReady", []httpapi.Check{{Name: "stream", Check: ok}, {Name: "projector", Check: behind}}, 503,
			httpapi.Readiness{Status: "not_ready", Checks: []httpapi.CheckResult{{Name: "stream", OK: true}, {Name: "projector", Error: "44 behind"}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(httpapi.Ready(c.checks...))
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL+"/readyz", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got httpapi.Readiness
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(c.want)
			if resp.StatusCode != c.status || !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("answered %d %s; want %d %s", resp.StatusCode, body, c.status, wantJSON)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("/readyz is not in the document: %v", err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body))}
			if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
				t.Errorf("the answer does not match the document: %v", err)
			}
		})
	}
}
