package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// FuzzHTTPRecord posts the input to POST /v1/events of a real ledger on an
// embedded JetStream server: the answer is 201, or a 4xx (or 503) with a
// JSON error that has a code and a message, and after every answer but 201
// the stream holds as many messages as before.
func FuzzHTTPRecord(f *testing.F) {
	drafted := draftedJSON(refugees)
	for _, s := range []string{
		`{"event":` + drafted + `}`,
		`[{"event":` + drafted + `},{"event":{"act":"` + string(refugees) + `","type":"adopted","date":"2009-11","body":{"chamber":"Parliament"}}}]`,
		`{"event":{"act":"` + string(refugees) + `","type":"signed","date":"2009-12-04"},"expected_version":1}`,
		`{"event":{"act":"` + string(criminal) + `","type":"amended","date":"2010-06-01","effective_from":"2010-07-01","instrument":"/akn/kz/act/2010-06-01/1","provisions":["art_18"],"body":{"effect":"substitution","texts":{"art_18":"x"}}}}`,
		`{"event":{"act":"` + string(refugees) + `","type":"drafted","date":"2009-02-29","body":{"title":"t","kind":"law"}}}`,
		`{"event":{"act":"/akn/kz/act/2009/../216","type":"drafted","date":"2009"}}`,
		`{"event":` + drafted + `,"expected_version":-1}`,
		`{"event":{"act":"` + string(refugees) + `","type":"drafted","date":"2009","recorded_at":"2020-01-01T00:00:00Z"}}`,
		`[]`, `{}`, `null`, ``, `[`, `{"event":"x"}`,
	} {
		f.Add([]byte(s))
	}
	env := natstest.MustStart(f, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	f.Cleanup(func() { l.Close() })
	srv := httptest.NewServer((&httpapi.Server{Ledger: l, Stream: env.Store}).Handler())
	f.Cleanup(srv.Close)
	client := &http.Client{Timeout: 30 * time.Second}
	count := func(t *testing.T) uint64 {
		n, err := env.Store.Msgs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		before := count(t)
		resp, err := client.Post(srv.URL+"/v1/events", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("POST %q: %v", body, err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		status := resp.StatusCode
		if status == http.StatusCreated {
			return
		}
		if status/100 != 4 && status != http.StatusServiceUnavailable {
			t.Fatalf("POST %q answered %d %s; want 201, a 4xx or 503", body, status, data)
		}
		var ej ledger.ErrorJSON
		if err := json.Unmarshal(data, &ej); err != nil || ej.Error.Code == "" || strings.TrimSpace(ej.Error.Message) == "" {
			t.Fatalf("POST %q answered %d with %q: want {\"error\": {\"code\", \"message\"}} (%v)", body, status, data, err)
		}
		if after := count(t); after != before {
			t.Fatalf("POST %q answered %d %s, yet the stream went from %d to %d messages", body, status, data, before, after)
		}
	})
}
