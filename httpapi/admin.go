package httpapi

import (
	"context"
	"net/http"

	"github.com/lexledger/lexledger/events"
)

// StreamStatus is the answer of GET /v1/admin/stream, for operators: the
// stream's configuration as the ledger requires it (and checked when it
// opened the stream), and its state.
type StreamStatus struct {
	Stream   string `json:"stream"`
	Config   any    `json:"config"`
	Messages uint64 `json:"messages"`
	LastSeq  uint64 `json:"last_seq"`
}

// StreamAdmin reads the stream's status.
type StreamAdmin func(ctx context.Context) (StreamStatus, error)

// adminStream handles GET /v1/admin/stream. With authentication it is
// for admins only (package auth).
func (s *Server) adminStream(w http.ResponseWriter, r *http.Request) {
	if s.StreamAdmin == nil {
		s.fail(w, r, events.Errorf(events.CodeNotFound, "this server does not describe its stream"))
		return
	}
	st, err := s.StreamAdmin(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
