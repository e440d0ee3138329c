package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Configs is what a scrape reads of the streams' configuration watch:
// *natsjs.Watcher implements it.
type Configs interface {
	// ConfigOK says, for each stream watched, whether it keeps the
	// configuration it had when the watch began.
	ConfigOK() map[string]bool
}

// configCollector exposes lex_stream_config_ok.
type configCollector struct {
	w  Configs
	ok *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *configCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.ok }

// Collect implements prometheus.Collector.
func (c *configCollector) Collect(ch chan<- prometheus.Metric) {
	for stream, ok := range c.w.ConfigOK() {
		ch <- prometheus.MustNewConstMetric(c.ok, prometheus.GaugeValue, boolFloat(ok), stream)
	}
}

// WatchConfigs registers lex_stream_config_ok{stream}: 1 while the stream
// keeps its configuration, 0 once it was changed so that messages can be
// lost or admitted, or deleted. Call it once per registry.
func (r *Registry) WatchConfigs(w Configs) {
	r.reg.MustRegister(&configCollector{w: w, ok: prometheus.NewDesc(
		prometheus.BuildFQName(Namespace, "stream", "config_ok"),
		"1 while the stream keeps the configuration it had when the process started (and, for the events stream, the ledger's guarantees); 0 once it was changed so that messages can be lost or admitted, or deleted: the ledger then refuses appends (docs/RUNBOOK.md).",
		[]string{"stream"}, nil)})
}
