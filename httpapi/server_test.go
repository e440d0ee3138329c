package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

const (
	refugees events.ActID = "/akn/kz/act/2009-12-04/216"      // the Law on Refugees
	criminal events.ActID = "/akn/kz/act/code/1997-07-16/167" // the Criminal Code
)

// api is the HTTP API on a real ledger on a real embedded JetStream.
type api struct {
	env    *natstest.Env
	ledger *ledger.Ledger
	srv    *httptest.Server
	client *http.Client
}

func startAPI(t *testing.T) *api {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	s := &httpapi.Server{Ledger: l, Stream: env.Store, Health: func(ctx context.Context) error {
		_, err := env.Store.LastSeq(ctx)
		return err
	}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &api{env: env, ledger: l, srv: srv, client: &http.Client{Timeout: 30 * time.Second}}
}

func (a *api) do(t *testing.T, method, path string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data, resp.Header
}

func (a *api) post(t *testing.T, body string) (int, []byte) {
	t.Helper()
	status, data, _ := a.do(t, "POST", "/v1/events", []byte(body))
	return status, data
}

func (a *api) count(t *testing.T) uint64 {
	t.Helper()
	n, err := a.env.Store.Msgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// mustPost records and fails the test unless the answer is 201.
func (a *api) mustPost(t *testing.T, body string) []byte {
	t.Helper()
	status, data := a.post(t, body)
	if status != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", body, status, data)
	}
	return data
}

// wantError checks an error answer: its status, and a body with the code
// and a message.
func wantError(t *testing.T, status int, data []byte, wantStatus int, code events.Code) ledger.ErrorDetail {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d, want %d: %s", status, wantStatus, data)
	}
	var ej ledger.ErrorJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ej); err != nil {
		t.Fatalf("the error body is not {\"error\": {...}}: %v: %.300s", err, data)
	}
	if ej.Error.Code != code {
		t.Errorf("error.code %q, want %q (%s)", ej.Error.Code, code, ej.Error.Message)
	}
	if strings.TrimSpace(ej.Error.Message) == "" {
		t.Errorf("error.message is empty")
	}
	return ej.Error
}

func draftedJSON(act events.ActID) string {
	return fmt.Sprintf(`{"act":%q,"type":"drafted","date":"2009-06-01","body":{"title":"Law on Refugees","kind":"law"}}`, act)
}

func TestRecordOneAndManyAndReadHistory(t *testing.T) {
	a := startAPI(t)

	status, data, hdr := a.do(t, "POST", "/v1/events", []byte(`{"event":`+draftedJSON(refugees)+`,"expected_version":0}`))
	if status != http.StatusCreated {
		t.Fatalf("POST one event: %d %s", status, data)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var r ledger.Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("not a receipt: %v: %s", err, data)
	}
	if r.ID.IsZero() || r.Act != refugees || r.Type != events.Drafted || r.Version != 1 || r.Seq != 1 || r.RecordedAt.IsZero() {
		t.Errorf("receipt %+v", r)
	}

	data = a.mustPost(t, fmt.Sprintf(`[
		{"event":{"act":%[1]q,"type":"adopted","date":"2009-11-20","body":{"chamber":"Parliament"}},"expected_version":1},
		{"event":{"act":%[1]q,"type":"signed","date":"2009-12-04","body":{"signatory":"President"}}},
		{"event":{"act":%[1]q,"type":"published","date":"2009-12-10","body":{"gazette":"Kazakhstanskaya Pravda No. 277"}}},
		{"event":{"act":%[1]q,"type":"commenced","date":"2009-12-04","effective_from":"2009-12-04"}}
	]`, refugees))
	var rs []ledger.Receipt
	if err := json.Unmarshal(data, &rs); err != nil {
		t.Fatalf("not an array of receipts: %v: %s", err, data)
	}
	if len(rs) != 4 {
		t.Fatalf("%d receipts, want 4", len(rs))
	}
	for i, r := range rs {
		if r.Version != uint64(i+2) || r.Seq != uint64(i+2) {
			t.Errorf("receipt %d: version %d sequence %d, want %d", i, r.Version, r.Seq, i+2)
		}
	}

	status, data, _ = a.do(t, "GET", "/v1/history"+string(refugees), nil)
	if status != http.StatusOK {
		t.Fatalf("GET history: %d %s", status, data)
	}
	var h ledger.HistoryJSON
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	want := []events.Type{events.Drafted, events.Adopted, events.Signed, events.Published, events.Commenced}
	if h.Act != refugees || h.Version != 5 || len(h.Events) != len(want) {
		t.Fatalf("history of %s at version %d with %d events: %s", h.Act, h.Version, len(h.Events), data)
	}
	for i, e := range h.Events {
		if e.Event.Type != want[i] || e.Version != uint64(i+1) || e.Event.RecordedBy != "anonymous@http" {
			t.Errorf("event %d: %s version %d by %q", i, e.Event.Type, e.Version, e.Event.RecordedBy)
		}
	}
	if h.Events[0].Event.ID != r.ID {
		t.Errorf("the first event's id %s is not the first receipt's %s", h.Events[0].Event.ID, r.ID)
	}
	// The same history with the act as a query parameter.
	status, query, _ := a.do(t, "GET", "/v1/history?act="+url.QueryEscape(string(refugees)), nil)
	if status != http.StatusOK || !bytes.Equal(query, data) {
		t.Errorf("GET /v1/history?act=: %d %.200s", status, query)
	}

	// A retried request is answered from the first write.
	status, data = a.post(t, fmt.Sprintf(`{"event":{"id":%q,"act":%q,"type":"drafted","date":"2009-06-01","body":{"title":"Law on Refugees","kind":"law"}}}`, r.ID, refugees))
	var again ledger.Receipt
	if status != http.StatusCreated || json.Unmarshal(data, &again) != nil || !again.Duplicate || again.Seq != r.Seq {
		t.Errorf("the retry: %d %s", status, data)
	}
	// The same id on another act names another event: refused.
	status, data = a.post(t, fmt.Sprintf(`{"event":{"id":%q,"act":"/akn/kz/act/2009-12-04/217","type":"drafted","date":"2009-06-01","body":{"title":"Law on Refugees","kind":"law"}}}`, r.ID))
	if status != http.StatusConflict || !bytes.Contains(data, []byte(`"rule":"id_used"`)) || !bytes.Contains(data, []byte(refugees)) {
		t.Errorf("the id on another act: %d %s, want 409 id_used naming %s", status, data, refugees)
	}
	if got := a.count(t); got != 5 {
		t.Errorf("the stream holds %d messages, want 5", got)
	}
}

func TestRejectedRequestsWriteNothing(t *testing.T) {
	a := startAPI(t)
	a.mustPost(t, `{"event":`+draftedJSON(refugees)+`}`)

	pad := func(n int) string { return strings.Repeat("x", n) }
	// An event just under the limit as sent, over it once the ledger adds
	// the schema, record time and recording identity.
	nearLimit := func() string {
		head := fmt.Sprintf(`{"event":{"act":%q,"type":"corrigendum","date":"2009-12-20","body":{"texts":{"art_1":"`, refugees)
		tail := `"}}}}`
		event := len(head) - len(`{"event":`) + len(tail) - 1
		return head + pad(events.MaxEventBytes-event-2) + tail
	}()

	cases := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   events.Code
		check  func(*testing.T, ledger.ErrorDetail)
	}{
		{"malformed JSON", "POST", "/v1/events", `{"event": {"act": `, 400, events.CodeInvalid, nil},
		{"empty body", "POST", "/v1/events", ``, 400, events.CodeInvalid, nil},
		{"empty array", "POST", "/v1/events", `[]`, 400, events.CodeInvalid, nil},
		{"two values", "POST", "/v1/events", `{"event":` + draftedJSON(criminal) + `} {}`, 400, events.CodeInvalid, nil},
		{"no event", "POST", "/v1/events", `{"expected_version": 1}`, 400, events.CodeInvalid, nil},
		{"unknown field in the event", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"signed","date":"2009-12-04","colour":"red"}}`, refugees), 400, events.CodeInvalid,
			func(t *testing.T, d ledger.ErrorDetail) {
				if !strings.Contains(d.Message, "colour") {
					t.Errorf("the message does not name the field: %s", d.Message)
				}
			}},
		{"unknown field in the command", "POST", "/v1/events", `{"event":` + draftedJSON(criminal) + `,"expect":0}`, 400, events.CodeInvalid, nil},
		{"unknown type", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"promulgated","date":"2009-12-04"}}`, refugees), 400, events.CodeInvalid,
			func(t *testing.T, d ledger.ErrorDetail) {
				if !strings.Contains(d.Message, "promulgated") {
					t.Errorf("the message does not name the type: %s", d.Message)
				}
			}},
		{"bad identifier", "POST", "/v1/events", `{"event":` + draftedJSON("/akn/KZ/act/2009-12-04/216") + `}`, 400, events.CodeInvalid, nil},
		{"impossible date", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"signed","date":"2009-02-29"}}`, refugees), 400, events.CodeInvalid,
			func(t *testing.T, d ledger.ErrorDetail) {
				if !strings.Contains(d.Message, "2009-02-29") {
					t.Errorf("the message does not name the date: %s", d.Message)
				}
			}},
		{"missing required field", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"published","date":"2009-12-10"}}`, refugees), 400, events.CodeInvalid, nil},
		{"wrong JSON type", "POST", "/v1/events", `{"event":` + draftedJSON(criminal) + `,"expected_version":"one"}`, 400, events.CodeInvalid, nil},
		// A client-supplied record time is a rule of the record (rule 7,
		// record_immutable): 422, not 400.
		{"client-supplied recorded_at", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"signed","date":"2009-12-04","recorded_at":"2009-12-04T10:00:00Z"}}`, refugees), 422, events.CodeRule,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.Rule != events.RuleRecordImmutable {
					t.Errorf("rule %q, want %s", d.Rule, events.RuleRecordImmutable)
				}
			}},
		{"client-supplied recorded_by", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"signed","date":"2009-12-04","recorded_by":"the president"}}`, refugees), 422, events.CodeRule,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.Rule != events.RuleRecordImmutable {
					t.Errorf("rule %q, want %s", d.Rule, events.RuleRecordImmutable)
				}
			}},
		{"event over the size limit", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"corrigendum","date":"2009-12-20","body":{"texts":{"art_1":"%s"}}}}`, refugees, pad(events.MaxEventBytes)),
			413, events.CodeTooLarge, nil},
		{"event over the size limit once recorded", "POST", "/v1/events", nearLimit, 413, events.CodeTooLarge, nil},
		{"stale expected_version", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"adopted","date":"2009-11-20"},"expected_version":0}`, refugees), 409, events.CodeConflict,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.CurrentVersion == nil || *d.CurrentVersion != 1 || d.Act != refugees {
					t.Errorf("current_version %v on %q, want 1 on %s", d.CurrentVersion, d.Act, refugees)
				}
			}},
		{"lifecycle violation", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"signed","date":"2009-12-04"}}`, refugees), 422, events.CodeRule,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.Rule != events.RuleSignedBeforeAdopted || d.Act != refugees {
					t.Errorf("rule %q on %q, want %s on %s", d.Rule, d.Act, events.RuleSignedBeforeAdopted, refugees)
				}
			}},
		{"act not in the ledger", "POST", "/v1/events",
			fmt.Sprintf(`{"event":{"act":%q,"type":"signed","date":"2009-12-04"}}`, criminal), 422, events.CodeRule,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.Rule != events.RuleActNotFound {
					t.Errorf("rule %q, want %s", d.Rule, events.RuleActNotFound)
				}
			}},
		{"batch with a broken rule", "POST", "/v1/events",
			fmt.Sprintf(`[{"event":{"act":%q,"type":"adopted","date":"2009-11-20"}},{"event":{"act":%q,"type":"drafted","date":"2009-06-01"}}]`, refugees, refugees), 422, events.CodeRule,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.Index != 2 || d.Rule != events.RuleActExists {
					t.Errorf("index %d rule %q, want 2 and %s", d.Index, d.Rule, events.RuleActExists)
				}
			}},
		{"history of an unknown act", "GET", "/v1/history" + string(criminal), "", 404, events.CodeNotFound, nil},
		{"history of a bad identifier", "GET", "/v1/history/akn/kz/act/2009-13-01/1", "", 400, events.CodeInvalid, nil},
		{"unknown endpoint", "GET", "/v2/events", "", 404, events.CodeNotFound, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := a.count(t)
			status, data, _ := a.do(t, tc.method, tc.path, []byte(tc.body))
			d := wantError(t, status, data, tc.status, tc.code)
			if tc.check != nil {
				tc.check(t, d)
			}
			if got := a.count(t); got != before {
				t.Errorf("the refused request changed the stream from %d to %d messages", before, got)
			}
		})
	}

	t.Run("body over MaxBodyBytes", func(t *testing.T) {
		before := a.count(t)
		// A valid batch, but too long: the limit is on the body.
		one := `{"event":` + draftedJSON(criminal) + `},`
		var b strings.Builder
		b.WriteString("[")
		for b.Len() <= httpapi.MaxBodyBytes {
			b.WriteString(one)
		}
		b.WriteString(`{"event":` + draftedJSON(criminal) + `}]`)
		status, data := a.post(t, b.String())
		wantError(t, status, data, 413, events.CodeTooLarge)
		if got := a.count(t); got != before {
			t.Errorf("the refused request changed the stream from %d to %d messages", before, got)
		}
	})
}

// When the engine is gone the API answers 503, and nothing is written.
func TestEngineGoneIs503(t *testing.T) {
	a := startAPI(t)
	a.mustPost(t, `{"event":`+draftedJSON(refugees)+`}`)
	before := a.count(t)
	if status, data, _ := a.do(t, "GET", "/healthz", nil); status != http.StatusOK {
		t.Fatalf("healthz with the engine up: %d %s", status, data)
	}

	a.env.Stop()
	start := time.Now()
	status, data := a.post(t, fmt.Sprintf(`{"event":{"act":%q,"type":"adopted","date":"2009-11-20"}}`, refugees))
	wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
	status, data = a.post(t, `{"event":`+draftedJSON(criminal)+`}`)
	wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
	status, data, _ = a.do(t, "GET", "/healthz", nil)
	wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
	status, data, _ = a.do(t, "GET", "/v1/history"+string(refugees), nil)
	wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the answers took %s", d)
	}

	// The engine back on the same store: nothing was written meanwhile.
	env := natstest.MustStart(t, natstest.Options{Dir: a.env.Dir})
	if got, err := env.Store.Msgs(context.Background()); err != nil || got != before {
		t.Errorf("after the outage the stream holds %d messages (%v), want %d", got, err, before)
	}
}

func TestOpenAPIAndHealth(t *testing.T) {
	a := startAPI(t)
	status, data, hdr := a.do(t, "GET", "/openapi.yaml", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /openapi.yaml: %d", status)
	}
	if !bytes.Equal(data, httpapi.OpenAPI()) || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("openapi: 3")) {
		t.Errorf("/openapi.yaml is not the API's OpenAPI 3 document: %.80s", data)
	}
	if ct := hdr.Get("Content-Type"); !strings.Contains(ct, "yaml") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, path := range []string{"/v1/events", "/v1/history", "/healthz"} {
		if !bytes.Contains(data, []byte(path)) {
			t.Errorf("the OpenAPI document does not describe %s", path)
		}
	}
	status, data, _ = a.do(t, "GET", "/healthz", nil)
	var ok map[string]string
	if status != http.StatusOK || json.Unmarshal(data, &ok) != nil || ok["status"] != "ok" {
		t.Errorf("healthz: %d %s", status, data)
	}
}

// When the NATS server goes away but the connection lives on (it keeps
// trying to reconnect), appends fail with 503.
func TestEngineUnreachableIs503(t *testing.T) {
	a := startAPI(t)
	a.mustPost(t, `{"event":`+draftedJSON(refugees)+`}`)
	before := a.count(t)
	a.env.Server.Shutdown()
	a.env.Server.WaitForShutdown()

	start := time.Now()
	status, data := a.post(t, fmt.Sprintf(`{"event":{"act":%q,"type":"adopted","date":"2009-11-20"}}`, refugees))
	wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
	status, data, _ = a.do(t, "GET", "/healthz", nil)
	wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
	// Usually at once; a single append published in the instant before the
	// client notices the loss waits for the ledger's 10s store timeout.
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the answers took %s", d)
	}

	// After that failure the ledger reads the act again before deciding:
	// the read must fail too, not find the act empty.
	t.Run("ReadsDuringTheOutage", func(t *testing.T) {
		status, data := a.post(t, fmt.Sprintf(`[{"event":{"act":%q,"type":"adopted","date":"2009-11-20"}},{"event":{"act":%q,"type":"signed","date":"2009-12-04"}}]`, refugees, refugees))
		wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
		status, data, _ = a.do(t, "GET", "/v1/history"+string(refugees), nil)
		wantError(t, status, data, http.StatusServiceUnavailable, events.CodeUnavailable)
	})

	env := natstest.MustStart(t, natstest.Options{Dir: a.env.Dir})
	if got, err := env.Store.Msgs(context.Background()); err != nil || got != before {
		t.Errorf("after the outage the stream holds %d messages (%v), want %d", got, err, before)
	}
}

// GET /v1/events replays the stream as JSON Lines, from a sequence or a
// record time, up to a limit.
func TestReplayTheStream(t *testing.T) {
	a := startAPI(t)
	var ids []events.ID
	for i := 0; i < 6; i++ {
		var r ledger.Receipt
		if err := json.Unmarshal(a.mustPost(t, `{"event":`+draftedJSON(events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-04/%d", i+1)))+`}`), &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	read := func(query string) []eventlog.Entry {
		t.Helper()
		status, data, hdr := a.do(t, "GET", "/v1/events"+query, nil)
		if status != http.StatusOK || hdr.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("GET /v1/events%s: %d %s %.200s", query, status, hdr.Get("Content-Type"), data)
		}
		var out []eventlog.Entry
		dec := json.NewDecoder(bytes.NewReader(data))
		for dec.More() {
			var e eventlog.Entry
			if err := dec.Decode(&e); err != nil {
				t.Fatalf("line %d of GET /v1/events%s: %v", len(out)+1, query, err)
			}
			out = append(out, e)
		}
		return out
	}
	check := func(query string, first, n int) {
		t.Helper()
		got := read(query)
		if len(got) != n {
			t.Fatalf("GET /v1/events%s: %d events, want %d", query, len(got), n)
		}
		for i, e := range got {
			if e.Seq != uint64(first+i) || e.Event.ID != ids[first+i-1] || e.StoredAt.IsZero() {
				t.Errorf("GET /v1/events%s line %d: sequence %d id %s", query, i+1, e.Seq, e.Event.ID)
			}
		}
	}
	check("", 1, 6)
	check("?from_seq=4", 4, 3)
	check("?from_seq=2&limit=2", 2, 2)
	check("?from_seq=7", 7, 0)
	all := read("")
	check("?from_time="+url.QueryEscape(all[2].StoredAt.Format(time.RFC3339Nano)), 3, 4)
	check("?from_time="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339Nano)), 7, 0)

	for _, bad := range []string{"?from_seq=0", "?from_seq=x", "?from_time=yesterday", "?limit=0", "?limit=1000001",
		"?from_seq=1&from_time=" + url.QueryEscape(time.Now().Format(time.RFC3339))} {
		status, data, _ := a.do(t, "GET", "/v1/events"+bad, nil)
		wantError(t, status, data, http.StatusBadRequest, events.CodeInvalid)
	}
}
