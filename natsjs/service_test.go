package natsjs_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go"
)

const (
	serviceErrorCode = "Nats-Service-Error-Code"
	serviceError     = "Nats-Service-Error"
)

// serve starts the clerks' NATS service on a ledger over env and returns a
// client connection of its own.
func serve(t *testing.T, env *natstest.Env) (*ledger.Ledger, *nats.Conn) {
	t.Helper()
	l := mustLedger(t, env.Store)
	svc, err := natsjs.Serve(env.Conn, l, natsjs.ServiceOptions{Identity: "clerk@nats"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop() })
	return l, env.Connect(t)
}

func request(t *testing.T, nc *nats.Conn, subject string, data []byte) *nats.Msg {
	t.Helper()
	m, err := nc.Request(subject, data, 10*time.Second)
	if err != nil {
		t.Fatalf("request on %s: %v", subject, err)
	}
	return m
}

// wantServiceError checks an error answer: the status in the headers, and
// the same error as JSON in the body.
func wantServiceError(t *testing.T, m *nats.Msg, status int, code events.Code) ledger.ErrorDetail {
	t.Helper()
	if got := m.Header.Get(serviceErrorCode); got != strconv.Itoa(status) {
		t.Errorf("%s is %q, want %d (body %s)", serviceErrorCode, got, status, m.Data)
	}
	var ej ledger.ErrorJSON
	if err := json.Unmarshal(m.Data, &ej); err != nil {
		t.Fatalf("the error body is not JSON: %v: %s", err, m.Data)
	}
	if ej.Error.Code != code || ej.Error.Message == "" {
		t.Errorf("the error body is %+v, want code %s and a message", ej.Error, code)
	}
	if got := m.Header.Get(serviceError); got != ej.Error.Message {
		t.Errorf("%s is %q, want the message %q", serviceError, got, ej.Error.Message)
	}
	return ej.Error
}

func commandJSON(t *testing.T, e events.Event, expected *uint64) []byte {
	t.Helper()
	data, err := ledger.EncodeCommand(ledger.Command{Event: e, ExpectedVersion: expected})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestServiceRecordsAndAnswersHistory(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	_, nc := serve(t, env)

	zero := uint64(0)
	drafted := events.Event{ID: events.NewID(), Act: refugees, Type: events.Drafted, Date: events.MustDate("2009-06-01"),
		Body: events.Body{Title: "Law on Refugees", Kind: events.Law}}
	m := request(t, nc, natsjs.SubjectRecord, commandJSON(t, drafted, &zero))
	if code := m.Header.Get(serviceErrorCode); code != "" {
		t.Fatalf("the record request failed with %s: %s", code, m.Data)
	}
	var r ledger.Receipt
	if err := json.Unmarshal(m.Data, &r); err != nil {
		t.Fatalf("the answer is not a receipt: %v: %s", err, m.Data)
	}
	if r.ID != drafted.ID || r.Act != refugees || r.Type != events.Drafted || r.Version != 1 || r.Seq != 1 || r.RecordedAt.IsZero() || r.Duplicate {
		t.Errorf("receipt %+v", r)
	}

	// An array is an atomic batch and is answered with an array.
	batch := fmt.Sprintf(`[{"event":{"act":%q,"type":"adopted","date":"2009-11-20","body":{"chamber":"Parliament"}},"expected_version":1},
		{"event":{"act":%q,"type":"signed","date":"2009-12-04"}}]`, refugees, refugees)
	m = request(t, nc, natsjs.SubjectRecord, []byte(batch))
	var rs []ledger.Receipt
	if err := json.Unmarshal(m.Data, &rs); err != nil {
		t.Fatalf("the answer to a batch is not an array of receipts: %v: %s", err, m.Data)
	}
	if len(rs) != 2 || rs[0].Version != 2 || rs[1].Version != 3 || rs[1].Seq != rs[0].Seq+1 {
		t.Errorf("receipts %+v", rs)
	}

	// A retry is answered from the first write.
	m = request(t, nc, natsjs.SubjectRecord, commandJSON(t, drafted, &zero))
	var again ledger.Receipt
	if err := json.Unmarshal(m.Data, &again); err != nil || !again.Duplicate || again.Seq != r.Seq {
		t.Errorf("the retry's answer: %s (%v)", m.Data, err)
	}

	m = request(t, nc, natsjs.SubjectHistory, []byte(refugees))
	var h ledger.HistoryJSON
	if err := json.Unmarshal(m.Data, &h); err != nil {
		t.Fatalf("the history answer: %v: %s", err, m.Data)
	}
	if h.Act != refugees || h.Version != 3 || len(h.Events) != 3 {
		t.Fatalf("history %+v", h)
	}
	for i, want := range []events.Type{events.Drafted, events.Adopted, events.Signed} {
		e := h.Events[i]
		if e.Event.Type != want || e.Version != uint64(i+1) || e.Seq != uint64(i+1) || e.Event.RecordedBy != "clerk@nats" {
			t.Errorf("history event %d: version %d seq %d %s by %q, want %s by clerk@nats", i, e.Version, e.Seq, e.Event.Type, e.Event.RecordedBy, want)
		}
	}
	if got := msgCount(t, env); got != 3 {
		t.Errorf("the stream holds %d messages, want 3", got)
	}
}

func TestServiceAnswersErrors(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l, nc := serve(t, env)
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
	before := msgCount(t, env)

	stale := uint64(0)
	cases := []struct {
		name    string
		subject string
		data    []byte
		status  int
		code    events.Code
		check   func(t *testing.T, d ledger.ErrorDetail)
	}{
		{"malformed JSON", natsjs.SubjectRecord, []byte(`{"event":`), 400, events.CodeInvalid, nil},
		{"unknown field", natsjs.SubjectRecord, fmt.Appendf(nil, `{"event":{"act":%q,"type":"signed","date":"2009-12-04","colour":"red"}}`, refugees), 400, events.CodeInvalid, nil},
		{"empty", natsjs.SubjectRecord, nil, 400, events.CodeInvalid, nil},
		{"rule", natsjs.SubjectRecord, commandJSON(t, created(refugees, "Law on Refugees", events.Law), nil), 422, events.CodeRule,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.Rule != events.RuleFirstEvent || d.Act != refugees {
					t.Errorf("rule %q on %q, want %s on %s", d.Rule, d.Act, events.RuleFirstEvent, refugees)
				}
			}},
		{"stale expectation", natsjs.SubjectRecord, commandJSON(t, signed(refugees), &stale), 409, events.CodeConflict,
			func(t *testing.T, d ledger.ErrorDetail) {
				if d.CurrentVersion == nil || *d.CurrentVersion != 1 {
					t.Errorf("current_version %v, want 1", d.CurrentVersion)
				}
			}},
		{"bad act in history", natsjs.SubjectHistory, []byte("/akn/kz/act/2009-13-04/216"), 400, events.CodeInvalid, nil},
		{"unknown act", natsjs.SubjectHistory, []byte("/akn/kz/act/2099-01-01/none"), 404, events.CodeNotFound, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := wantServiceError(t, request(t, nc, tc.subject, tc.data), tc.status, tc.code)
			if tc.check != nil {
				tc.check(t, d)
			}
			if got := msgCount(t, env); got != before {
				t.Errorf("a refused request changed the stream from %d to %d messages", before, got)
			}
		})
	}
}

// A history larger than the server carries is answered with an error that
// says where to read it, not dropped unanswered.
func TestServiceHistoryTooLargeForNATS(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l, nc := serve(t, env)
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
	text := strings.Repeat("The court shall hear the case within a reasonable time. ", 2500) // about 140 KB
	for i := 1; i <= 2; i++ {
		e, err := events.Decode(fmt.Appendf(nil, `{"act":%q,"type":"amended","date":"2010-01-0%d","effective_from":"2010-02-01","instrument":"/akn/kz/act/2010-01-01/%d","provisions":["art_%d"],"body":{"effect":"substitution","texts":{"art_%d":%q}}}`,
			refugees, i, i, i, i, text))
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, l, e)
	}
	m := request(t, nc, natsjs.SubjectHistory, []byte(refugees))
	d := wantServiceError(t, m, 413, events.CodeTooLarge)
	if !strings.Contains(d.Message, "HTTP") {
		t.Errorf("the error %q does not say where to read the history", d.Message)
	}
}

// The service reports its end: a server stops it when its connection
// closes, not only its own Stop.
func TestServiceDoneWhenItsConnectionCloses(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	nc := env.Connect(t)
	svc, err := natsjs.Serve(nc, mustLedger(t, env.Store), natsjs.ServiceOptions{Identity: "clerk@nats"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-svc.Done():
		t.Fatal("Done is closed while the service runs")
	default:
	}
	nc.Close()
	select {
	case <-svc.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done was not closed within 10s of the connection's closing")
	}
	if err := svc.Stop(); err != nil {
		t.Errorf("Stop after the connection closed: %v", err)
	}
}
