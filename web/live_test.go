package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
)

// sse is one server-sent event.
type sse struct {
	name, data string
}

// stream opens a server-sent events stream and delivers its events until
// the test ends.
func (s *site) stream(t *testing.T, query string) <-chan sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/ui/events"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /ui/events%s: %d %s, want 200 text/event-stream", query, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sse, 16)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		var ev sse
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out
}

func next(t *testing.T, ch <-chan sse) sse {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no server-sent event within 10s")
	}
	return sse{}
}

func corrigendum(act events.ActID) events.Event {
	return events.Event{ID: events.NewID(), Act: act, Type: events.Corrigendum, Date: events.MustDate("2010-02-01"),
		Body: events.Body{Gazette: "Kazakhstanskaya Pravda", Note: "a typing error corrected"}}
}

// The act page's stream says hello with the projection's sequence, then
// tells each event of the act as the projector applies it, and nothing of
// other acts.
func TestLiveEventsOfAnAct(t *testing.T) {
	s := mustSite(t)
	ch := s.stream(t, "?act="+string(criminalCode))
	if ev := next(t, ch); ev.name != "hello" || ev.data != `{"sequence":44}` {
		t.Fatalf("first event %+v, want hello at sequence 44", ev)
	}
	s.record(t, corrigendum(refugees)) // another act: not told
	want := corrigendum(criminalCode)
	r := s.record(t, want)
	ev := next(t, ch)
	var got struct {
		Seq        uint64       `json:"sequence"`
		ID         events.ID    `json:"id"`
		Act        events.ActID `json:"act"`
		Type       events.Type  `json:"type"`
		RecordedBy string       `json:"recorded_by"`
	}
	if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
		t.Fatalf("decode %q: %v", ev.data, err)
	}
	if ev.name != "recorded" || got.ID != want.ID || got.Seq != r.Seq || got.Act != criminalCode || got.Type != events.Corrigendum || got.RecordedBy != "clerk@test" {
		t.Errorf("told %s %+v, want the corrigendum of the Criminal Code at sequence %d", ev.name, got, r.Seq)
	}
	// The page as now rendered shows it.
	p := s.mustPage(t, "/ui/act", "act", string(criminalCode), "as_of", "2010-03-01")
	p.has(t, `id="ev-`+want.ID.String()+`"`, "clerk@test")
}

// Close ends the live streams, so that an HTTP server's shutdown does not
// wait for them; later ones are refused.
func TestCloseEndsLiveStreams(t *testing.T) {
	s := mustSite(t)
	ch := s.stream(t, "")
	next(t, ch) // hello
	s.ui.Close()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				if p := s.get(t, "/ui/events"); p.status != http.StatusServiceUnavailable {
					t.Errorf("a stream opened after Close: %d, want 503", p.status)
				}
				return
			}
		case <-deadline:
			t.Fatal("the stream did not end within 10s of Close")
		}
	}
}

func TestLiveRefusesABadAct(t *testing.T) {
	s := mustSite(t)
	if p := s.get(t, "/ui/events", "act", "criminal code"); p.status != http.StatusBadRequest {
		t.Errorf("GET /ui/events?act=criminal code: %d, want 400", p.status)
	}
}
