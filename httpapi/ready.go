package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ReadyTimeout bounds one readiness check, waits included.
const ReadyTimeout = 2 * time.Second

// Check is one condition of readiness: nil when it holds, else an error
// that says what is not ready.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
	// Note, when set, says what a check that holds wants known (the
	// projector's defects); empty for nothing.
	Note func() string
}

// Readiness is the answer of GET /readyz.
type Readiness struct {
	Status string        `json:"status"` // "ready" or "not_ready"
	Checks []CheckResult `json:"checks"`
}

// CheckResult is the outcome of one Check.
type CheckResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Note  string `json:"note,omitempty"`
}

// Ready returns the handler of GET /readyz: 200 when every check holds,
// 503 otherwise; the body lists each check and what is not ready. The
// checks run in order, each within ReadyTimeout. /healthz stays the
// liveness check: a server that is alive but not ready (catching up) must
// not be restarted, only kept out of the load balancer.
func Ready(checks ...Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out := Readiness{Status: "ready", Checks: make([]CheckResult, 0, len(checks))}
		status := http.StatusOK
		for _, c := range checks {
			ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
			err := c.Check(ctx)
			cancel()
			res := CheckResult{Name: c.Name, OK: err == nil}
			if c.Note != nil {
				res.Note = c.Note()
			}
			if err != nil {
				res.Error = err.Error()
				out.Status, status = "not_ready", http.StatusServiceUnavailable
			}
			out.Checks = append(out.Checks, res)
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, status, out)
	}
}

// CatchUpWait is how long the projector's readiness check waits for it to
// reach the stream's last sequence before it says not ready.
const CatchUpWait = 500 * time.Millisecond

// StreamCheck is the readiness check of the stream: it answers with its
// last sequence.
func StreamCheck(stream string, lastSeq func(context.Context) (uint64, error)) Check {
	return Check{Name: "stream", Check: func(ctx context.Context) error {
		if _, err := lastSeq(ctx); err != nil {
			// A stream that answers, but without a leader, says so itself
			// (natsjs.NoLeaderError).
			var q interface{ NoLeader() bool }
			if errors.As(err, &q) && q.NoLeader() {
				return err
			}
			return fmt.Errorf("stream %s does not answer: %v", stream, err)
		}
		return nil
	}}
}

// ProjectorCheck is the readiness check of a projector: it has caught up
// with the stream, within CatchUpWait, and whatever else caughtUp checks
// (projector.Service.ReadyCheck: that the stream still extends its last
// signed checkpoint). Defects in the stream do not make
// it fail (the views are complete for every valid event): when note is
// given, the check's note names them.
func ProjectorCheck(caughtUp func(context.Context) error, note ...func() string) Check {
	c := Check{Name: "projector", Check: func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, CatchUpWait)
		defer cancel()
		return caughtUp(ctx)
	}}
	if len(note) > 0 {
		c.Note = note[0]
	}
	return c
}

// Alive is the handler of GET /healthz on a server with no ledger of its
// own (the projector's): the process serves.
func Alive(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// StreamConfigCheck is the readiness check of the streams' configuration:
// weakened, from a natsjs.Watcher's Err, says which stream was changed so
// that messages can be lost or admitted, or deleted, and how.
func StreamConfigCheck(weakened func() error) Check {
	return Check{Name: "stream_config", Check: func(context.Context) error { return weakened() }}
}
