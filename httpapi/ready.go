package httpapi

import (
	"context"
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
