package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/projections"
)

// The web interface reads its query parameters as the query API does
// (projections.ParseParams): the same forms are accepted by both, and the
// others refused by both with the same status and message.
func TestWebAndAPIReadParametersAlike(t *testing.T) {
	s := mustSite(t)
	var first time.Time
	s.svc.Read(func(p *projections.Projection) { first, _ = p.FirstRecord() })
	// A time without a zone, to the minute, as typed: UTC, and on record.
	typed := first.Add(time.Minute).UTC().Format("2006-01-02T15:04")
	cc := string(criminalCode)
	for _, c := range []struct {
		name     string
		api, web string // paths
		kv       []string
		status   int
	}{
		{"KnownAtTyped", "/v1/act", "/ui/act", []string{"act", cc, "as_of", "2009-08-01", "known_at", typed}, http.StatusOK},
		{"KnownAtDay", "/v1/act", "/ui/act", []string{"act", cc, "as_of", "2009-08-01", "known_at", time.Now().UTC().Format(time.DateOnly)}, http.StatusOK},
		{"KnownAtGarbage", "/v1/act", "/ui/act", []string{"act", cc, "known_at", "yesterday"}, http.StatusBadRequest},
		{"KnownAtBeforeTheLedger", "/v1/act", "/ui/act", []string{"act", cc, "known_at", "2009-06-15T10:00"}, http.StatusBadRequest},
		{"AsOfMonth", "/v1/act", "/ui/act", []string{"act", cc, "as_of", "2009-07"}, http.StatusBadRequest},
		{"Filter", "/v1/acts", "/", []string{"as_of", "2009-08-01", "country", "kz", "kind", "code", "status", "in_force"}, http.StatusOK},
		{"UnknownKind", "/v1/acts", "/", []string{"kind", "bogus"}, http.StatusBadRequest},
		{"UnknownStatus", "/v1/acts", "/", []string{"status", "alive"}, http.StatusBadRequest},
		{"BadCountry", "/v1/acts", "/", []string{"country", "KZ"}, http.StatusBadRequest},
		{"BadMinSeq", "/v1/acts", "/", []string{"min_seq", "x"}, http.StatusBadRequest},
		{"WaitTooLong", "/v1/acts", "/", []string{"min_seq", "1", "wait", "1h"}, http.StatusBadRequest},
		{"MinSeqApplied", "/v1/acts", "/", []string{"as_of", "2009-08-01", "min_seq", "44"}, http.StatusOK},
		{"MinSeqNotYet", "/v1/acts", "/", []string{"as_of", "2009-08-01", "min_seq", "1000", "wait", "100ms"}, http.StatusServiceUnavailable},
		{"BadPage", "/v1/acts", "/", []string{"page", "0"}, http.StatusBadRequest},
		{"BadLimit", "/v1/acts", "/ui/jurisdiction", []string{"country", "kz", "limit", "0"}, http.StatusBadRequest},
		{"BadCursor", "/v1/acts", "/ui/jurisdiction", []string{"country", "kz", "cursor", "page2"}, http.StatusBadRequest},
		{"CursorOfAHistory", "/v1/acts", "/ui/jurisdiction", []string{"country", "kz", "cursor", projections.Cursor{Key: projections.SeqKey(3)}.String()}, http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			api, web := s.get(t, c.api, c.kv...), s.get(t, c.web, c.kv...)
			if api.status != c.status || web.status != c.status {
				t.Fatalf("%v: the API answers %d, the web %d; want %d from both:\n%s\n%s", c.kv, api.status, web.status, c.status, api.body, web.body)
			}
			if api.header.Get(httpapi.HeaderSeq) != web.header.Get(httpapi.HeaderSeq) && c.status == http.StatusOK {
				t.Errorf("%v: the API answers at sequence %s, the web at %s", c.kv, api.header.Get(httpapi.HeaderSeq), web.header.Get(httpapi.HeaderSeq))
			}
			if c.status == http.StatusOK {
				return
			}
			var e struct {
				Error struct{ Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(api.body), &e); err != nil || e.Error.Message == "" {
				t.Fatalf("the API's refusal is not an error: %v %s", err, api.body)
			}
			if !strings.Contains(html.UnescapeString(web.body), e.Error.Message) {
				t.Errorf("%v: the web does not say what the API says, %q:\n%s", c.kv, e.Error.Message, web.body)
			}
		})
	}
}
