package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// liveWriteGrace is how long a live stream's client may take to accept
// one piece before it is let go.
const liveWriteGrace = 10 * time.Second

// liveEvent is the data of a "recorded" server-sent event: an event the
// projector applied.
type liveEvent struct {
	Seq        uint64       `json:"sequence"`
	ID         events.ID    `json:"id"`
	Act        events.ActID `json:"act"`
	Type       events.Type  `json:"type"`
	Date       events.Date  `json:"date"`
	Instrument events.ActID `json:"instrument,omitempty"`
	RecordedAt time.Time    `json:"recorded_at"`
	RecordedBy string       `json:"recorded_by"`
}

// live streams server-sent events: first "hello" with the projection's
// sequence (a page rendered before it refreshes), then "recorded" for each
// event applied that concerns the act (act=: its own events, and those of
// which it is the instrument) or the jurisdiction (country=), or every
// event; with kind=, only those of acts of that kind; with known_at=, only
// those recorded by then: a page of the record as it stood at a time
// changes with no later event. A client that falls behind is
// disconnected; EventSource reconnects and its "hello" tells it to catch
// up.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var act events.ActID
	if v := q.Get("act"); v != "" {
		var err error
		if act, err = events.ParseActID(v); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	country := q.Get("country")
	knownAt, err := projections.ParseKnownAt(q.Get("known_at"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	kind := events.Kind(q.Get("kind"))
	if kind != "" && !events.ValidKind(kind) {
		http.Error(w, projections.BadParam("kind", string(kind), "give an act kind such as law or code").Error(), http.StatusBadRequest)
		return
	}
	select {
	case <-s.closing:
		http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
		return
	default:
	}
	ch, cancel := s.p.Subscribe()
	defer cancel()
	var seq uint64
	s.p.Read(func(p *projections.Projection) { seq = p.LastSeq() })

	rc := http.NewResponseController(w)
	// A stream outlives a server's write timeout; its deadline moves with
	// each piece instead, so that a client that stops reading is let go.
	rc.SetWriteDeadline(time.Now().Add(liveWriteGrace))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\nevent: hello\ndata: {\"sequence\":%d}\n\n", seq)
	if rc.Flush() != nil {
		return
	}
	alive := time.NewTicker(s.alive)
	defer alive.Stop()
	for {
		// The select waits at most s.alive; what it then writes has
		// liveWriteGrace.
		rc.SetWriteDeadline(time.Now().Add(s.alive + liveWriteGrace))
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-alive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case e, ok := <-ch:
			if !ok {
				return
			}
			ev := &e.Event
			if (act != "" && ev.Act != act && ev.Instrument != act) || (country != "" && ev.Act.Country() != country) {
				continue
			}
			if knownAt != nil && ev.RecordedAt.After(*knownAt) {
				continue // recorded after the time the page shows: it changes nothing there
			}
			if kind != "" && !recordEvent(ev.Type) && s.kindOf(ev.Act) != kind {
				continue // a correction may change the act's kind: told whatever it is
			}
			data, _ := json.Marshal(liveEvent{Seq: e.Seq, ID: ev.ID, Act: ev.Act, Type: ev.Type, Date: ev.Date,
				Instrument: ev.Instrument, RecordedAt: ev.RecordedAt, RecordedBy: ev.RecordedBy})
			fmt.Fprintf(w, "id: %d\nevent: recorded\ndata: %s\n\n", e.Seq, data)
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// kindOf is the kind of an act as now recorded.
func (s *Server) kindOf(id events.ActID) events.Kind {
	var k events.Kind
	s.p.Read(func(p *projections.Projection) { k = p.Kind(id) })
	return k
}

// recordEvent reports whether t corrects or retracts the record (and may so
// change an act's kind).
func recordEvent(t events.Type) bool {
	spec, ok := events.SpecOf(t)
	return !ok || spec.Group == events.Record
}
