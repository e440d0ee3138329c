// Package metrics exposes the ledger's and the projector's Prometheus
// metrics: appends by outcome, conflicts, rule rejections and append
// latency (fed by ledger.Options.Observe); the stream's last sequence and
// the projector's position, lag and replay progress (read at each scrape
// from the running services); and the Go runtime and process collectors.
// It is the only package that imports the Prometheus client; `ledger serve`
// and `projector serve` serve a Registry's Handler on GET /metrics.
// docs/OPERATIONS.md lists every metric and what it means.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of this package.
const Namespace = "lex"

// Registry holds the metrics of one process.
type Registry struct {
	reg *prometheus.Registry
}

// NewRegistry returns a registry with the Go runtime and process
// collectors, to which the ledger's and the projector's metrics are added.
func NewRegistry() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{reg: reg}
}

// Prometheus returns the underlying registry, for tests and for
// collectors of other packages.
func (r *Registry) Prometheus() *prometheus.Registry { return r.reg }

// Handler serves the registry in the Prometheus exposition formats. A
// collector that fails is reported in the answer, and the others are still
// served.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Ledger registers the ledger's metrics; pass the result's Observe as
// ledger.Options.Observe. Call it once per registry.
func (r *Registry) Ledger() *Ledger { return NewLedger(r.reg) }

// Watch registers a collector that reads stream's last sequence at each
// scrape and, when proj is not nil, where that projector stands. Call it
// once per registry.
func (r *Registry) Watch(stream Stream, proj Projector) {
	r.reg.MustRegister(NewCollector(stream, proj))
}
