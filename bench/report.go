package bench

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// KeepMarker separates the generated part of the report from the
// hand-written analysis below it, which WriteMarkdown copies verbatim from
// the previous report.
const KeepMarker = "<!-- ledger bench keeps everything below this line verbatim: the hand-written analysis. Edit it by hand; the tables above are regenerated. -->"

// Section headings of the tables, in the order the report gives them.
const (
	SectionSingle  = "### Single appends"
	SectionBulk    = "### Bulk import"
	SectionHTTP    = "### HTTP appends"
	SectionProxy   = "### HTTP appends against a minimal HTTP-to-JetStream proxy"
	SectionRebuild = "### Projector rebuild and verification"
	SectionQuery   = "### As-of queries"
	SectionView    = "### Append-to-view latency"
	SectionBatch   = "### The raw engine's cost of a write"
	SectionHash    = "### Cost of the hash chain"
	SectionMemory  = "### Memory of `ledger serve`"
)

// Kept returns the hand-written part of a previous report: what follows
// KeepMarker, or a placeholder when there is none.
func Kept(previous []byte) string {
	if _, after, ok := bytes.Cut(previous, []byte(KeepMarker)); ok {
		return strings.TrimLeft(string(after), "\n")
	}
	return "## What the figures say\n\n(Nothing written yet. What follows the marker above is hand-written and kept by every run.)\n"
}

// WriteMarkdown writes the report: how it was made, on which machine, the
// tables, the plot (plot: its path relative to the report, or "") and the
// notes, then KeepMarker and kept.
func WriteMarkdown(w io.Writer, r *Report, plot, kept string) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := r.Machine
	p("# Benchmarks\n\n")
	p("Every figure in the tables below was printed by one run of one command, on one machine, measuring the ledger and the raw JetStream engine **in the same run, on the same embedded server**, and giving their ratio. The tables and this part of the file are written by the command; the analysis after them is hand-written and kept by each run.\n\n")
	p("```sh\n%s\n```\n\n", r.Command)
	p("## Machine\n\n| | |\n|---|---|\n")
	p("| CPU | %s |\n| cores | %d |\n| memory | %.1f GiB |\n| OS | %s, kernel %s, %s |\n| Go | %s |\n| nats-server | v%s (embedded) |\n| date | %s, the run took %s |\n| load average at the start | %s |\n\n",
		m.CPU, m.Cores, m.MemoryGiB, m.OS, m.Kernel, m.Arch, m.Go, m.NATSServer, r.Start.Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second), m.OtherLoad)
	p("## Results\n\n")
	p("Ratios are the ledger's figure over the engine's: for rates, 1.00 is the engine's speed and more is faster; for latencies (marked \"latency ratio\"), 1.00 is the engine's latency and more is slower. \"Events in the stream\" is the load imported before the other measurements of its row (the appends measured come on top of it).\n\n")
	if plot != "" {
		p("![Throughput and latency against load and against the stream's size](%s)\n\n", plot)
	}
	if rows := r.with(func(x Result) bool { return x.Single != nil }); len(rows) > 0 {
		p("%s, one writer, one act: Go API against a raw Publish with expected per-subject sequence\n\n", SectionSingle)
		p("Two raw baselines: a 400-byte message on a short subject, and the ledger's own message (the sealed event, its act's subject, its headers). The ratio to the second is the ledger's own cost; the ratio to the first adds the event format's.\n\n")
		p("| sync | events in the stream | raw 400 B publish/s | raw ledger's message/s | ledger append/s | ratio to 400 B | ratio to the same message |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range rows {
			p("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.2f |\n", syncName(x.Always), x.Scale, x.Single.Raw, x.Single.Same, x.Single.Ledger, x.Single.Ratio(), x.Single.SameRatio())
		}
		p("\n")
	}
	if rows := r.with(func(x Result) bool { return x.Bulk != nil }); len(rows) > 0 {
		p("%s into an empty stream: `ledger import`'s code path (JSON Lines, atomic batches of 1000) against raw atomic batches of 1000\n\n", SectionBulk)
		p("Two raw baselines, both atomic batches of 1000: 400-byte messages, ten a subject; and the ledger's own messages (the events sealed beforehand, their acts' subjects and headers, the expected sequence on each act's first message in a batch, as the ledger writes them).\n\n")
		p("| sync | events | raw 400 B batches events/s | raw ledger's messages events/s | ledger import events/s | ratio to 400 B | ratio to the same messages |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range rows {
			p("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.2f |\n", syncName(x.Always), x.Scale, x.Bulk.Raw, x.Bulk.Same, x.Bulk.Ledger, x.Bulk.Ratio(), x.Bulk.SameRatio())
		}
		p("\n")
	}
	if rows := r.with(func(x Result) bool { return len(x.HTTP) > 0 }); len(rows) > 0 {
		p("%s on loopback, %s each: raw publishes (one subject a client, expected sequence) against HTTP appends (one act a client)\n\n", SectionHTTP, r.Config.Duration)
		p("| sync | events in the stream | clients | raw publish/s | raw p50 | raw p99 | HTTP append/s | p50 | p99 | ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range rows {
			for _, h := range x.HTTP {
				p("| %s | %d | %d | %.0f | %s | %s | %.0f | %s | %s | %.2f |\n", syncName(x.Always), x.Scale, h.Clients, h.Raw.Rate, ms(h.Raw.P50), ms(h.Raw.P99), h.Ledger.Rate, ms(h.Ledger.P50), ms(h.Ledger.P99), h.Ledger.Rate/h.Raw.Rate)
			}
		}
		p("\n")
	}
	if len(r.Proxy) > 0 {
		p("%s, each in a process of its own, %s a round\n\n", SectionProxy, r.Config.Duration)
		p("The load generator (this process) drives, in %d alternating rounds, three processes of their own, each with its embedded server in the sync mode of the row: `ledger bench-proxy`, the fair baseline of an HTTP append (decodes the ledger's command body, publishes the event on its act's subject with the ledger's headers and the subject's expected last sequence, answers 201 with the sequence; no rules, no id claims, no history), `ledger serve`, and `ledger serve --projector=false`. Rates are the median round's, with the lowest and highest in parentheses; CPU is the target process's (server included) an append, in the median round.\n\n", proxyRounds)
		p("| sync | clients | proxy append/s | proxy CPU µs | serve append/s | serve CPU µs | serve ratio | serve --projector=false append/s | CPU µs | --projector=false ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range r.Proxy {
			p("| %s | %d | %s | %.1f | %s | %.1f | %.2f | %s | %.1f | %.2f |\n", syncName(x.Always), x.Clients,
				x.Proxy.rates(), us(x.Proxy.CPU), x.Serve.rates(), us(x.Serve.CPU), x.Serve.Rate/x.Proxy.Rate,
				x.NoProjector.rates(), us(x.NoProjector.CPU), x.NoProjector.Rate/x.Proxy.Rate)
		}
		p("\n")
	}
	if rows := r.with(func(x Result) bool { return x.Rebuild != nil }); len(rows) > 0 {
		p("%s of the whole stream, against the engine's own replay of it: a bare ordered consumer that only counts the messages\n\n", SectionRebuild)
		p("Two raw baselines, read in the same run as verification, in %d alternating rounds (the median round of each; the projector of the catch-up is still running and checks the stored bytes itself once it has caught up): the bare ordered consumer (pulls of 4000), and the store's raw replay (`ReadRaw`: the same consumer, reading each message's sequence and act from its reply subject and subject, no decoding). Ratios are to the bare consumer unless the column says ReadRaw.\n\n", replayRounds)
		p("| sync | events | bare consumer replay events/s | ReadRaw replay events/s | rebuild events/s | ratio | projector catch-up events/s | ratio | verify events/s | ratio | verify ratio to ReadRaw |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range rows {
			q := x.Rebuild
			p("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f | %.2f |\n", syncName(x.Always), x.Scale, q.Bare, q.Replay, q.Fold, q.Fold/q.Bare, q.Projector, q.Projector/q.Bare, q.Verify, q.Verify/q.Bare, q.Verify/q.Replay)
		}
		p("\n")
	}
	if rows := r.with(func(x Result) bool { return x.Query != nil }); len(rows) > 0 {
		p("%s on %s, in process: one act's State against the engine's direct get of the act's last message; List of every act against the engine's listing of every act's subject\n\n", SectionQuery, queryDay)
		p("| sync | events | acts | raw get p50 | p99 | State p50 | p99 | latency ratio | raw subjects p50 | p99 | List p50 | p99 | latency ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range rows {
			q := x.Query
			p("| %s | %d | %d | %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %.2f |\n", syncName(x.Always), x.Scale, q.Acts,
				ms(q.RawGet.P50), ms(q.RawGet.P99), ms(q.State.P50), ms(q.State.P99), latRatio(q.State, q.RawGet),
				ms(q.RawList.P50), ms(q.RawList.P99), ms(q.List.P50), ms(q.List.P99), latRatio(q.List, q.RawList))
		}
		p("\n")
	}
	if rows := r.with(func(x Result) bool { return x.View != nil }); len(rows) > 0 {
		p("%s, one clerk: an HTTP append until the projector (in process) has applied it, against a raw publish until an ordered consumer receives it\n\n", SectionView)
		p("| sync | events in the stream | raw publish to delivery p50 | p99 | HTTP append p50 | p99 | append to view p50 | p99 | latency ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range rows {
			v := x.View
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %.2f |\n", syncName(x.Always), x.Scale, ms(v.Raw.P50), ms(v.Raw.P99), ms(v.Ack.P50), ms(v.Ack.P99), ms(v.Ledger.P50), ms(v.Ledger.P99), latRatio(v.Ledger, v.Raw))
		}
		p("\n")
	}
	if len(r.Batch) > 0 {
		p("%s, sync always: a plain publish against atomic batches of growing size\n\n", SectionBatch)
		p("| messages per write | ms per write | events/s |\n|---:|---:|---:|\n")
		for _, x := range r.Batch {
			p("| %d | %.2f | %.0f |\n", x.Size, x.MsPerOp, x.PerSecond)
		}
		p("\n")
	}
	if h := r.Hash; h != nil {
		p("%s (sealing an event: canonical encoding + SHA-256, against encoding alone)\n\n", SectionHash)
		p("| encode µs | seal µs | hashing µs | ledger append µs (sync interval) | hashing share of an append |\n|---:|---:|---:|---:|---:|\n")
		p("| %.2f | %.2f | %.2f | %.1f | %.1f%% |\n\n", h.EncodeUS, h.SealUS, h.SealUS-h.EncodeUS, h.AppendUS, 100*(h.SealUS-h.EncodeUS)/h.AppendUS)
	}
	if mm := r.Memory; mm != nil {
		p("%s (resident set size, and the live heap right after a collection; %d events imported over HTTP in batches of 1000 into each process in turn, its embedded server in sync always; measured at once after the import, and again after %s idle)\n\n", SectionMemory, mm.Events, r.Config.memoryIdle())
		p("| process | at rest | after importing | live heap after importing | idle, resident | idle, live heap | import rate over HTTP |\n|---|---:|---:|---:|---:|---:|---:|\n")
		row := func(name string, x MemoryOf) {
			p("| %s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.0f events/s |\n", name, x.RestMiB, x.AfterMiB, x.HeapMiB, x.IdleMiB, x.IdleHeapMiB, x.ImportRate)
		}
		row("raw: `ledger bench-proxy` (the engine, a bare HTTP front, each batch one atomic batch), Go's default collector", mm.Proxy)
		row("raw: the same, `--memory-limit auto` (the limit `ledger serve` sets by default)", mm.ProxyAuto)
		row("`ledger serve`, projector in process, its default `--memory-limit auto`", mm.Ledger)
		l := mm.Ledger
		for _, x := range []struct {
			name string
			m    MemoryOf
		}{{"Go's default", mm.Proxy}, {"auto", mm.ProxyAuto}} {
			p("| ratio, ledger to raw (%s) | | %.2f | %.2f | %.2f | %.2f | %.2f |\n", x.name, ratio(l.AfterMiB, x.m.AfterMiB), ratio(l.HeapMiB, x.m.HeapMiB),
				ratio(l.IdleMiB, x.m.IdleMiB), ratio(l.IdleHeapMiB, x.m.IdleHeapMiB), ratio(l.ImportRate, x.m.ImportRate))
		}
		p("\n")
	}
	p("## How each row was measured\n\n")
	p("- Each sync mode and stream size runs on a fresh embedded server (file storage, in-process connections) in a temporary directory. The raw engine's stream `RAW` has the ledger's stream configuration and lives beside `LEX` on the same server. Payloads: raw messages of 400 bytes; the ledger's events are about as large.\n")
	shape := "acts of ten events"
	if r.Config.Shape == ShapeRealistic {
		shape = "`--shape realistic --seed 1`: acts of 1 to 1,000 events, amendments across acts, 1826-2026, five jurisdictions"
	}
	p("- **Bulk import** loads the stream: `ledger gen`'s events (%s) through the same import code as `ledger import --nats-url`; raw: the same number of messages in atomic batches of 1000 (orbit.go `PublishMsgBatch`), once as 400-byte messages ten a subject, once as the ledger's own messages (the generated events sealed beforehand, on their acts' subjects with the ledger's headers and expected sequences).\n", shape)
	p("- **Shapes**: `--shape simple` (the default) loads `ledger gen N`, acts of ten events alike; `--shape realistic` loads `ledger gen --shape realistic --events N --seed 1`, a statute book of acts with 1 to 1,000 events (its parameters and statistics are in \"The realistic shape of `ledger gen`\" below).\n")
	p("- **Rebuild**: the stream replayed, decoded and folded into a new projection, as `projector rebuild --save=false` does. **Projector catch-up**: a projector service (`projector serve`'s) from an empty projection until it has applied the whole stream: the fold, its Merkle tree, and the snapshots it takes on the way. **Verify**: hash chains, defects and Merkle tree over the stored bytes, then the checkpoints, as `projector verify` does (its replay, its verifier, its progress count). **Bare consumer replay**: an ordered consumer (`Messages` with pulls of 4000) that only counts the messages, up to the number the stream holds: the engine's fastest read of the stream.\n")
	p("- **As-of queries** ask the running projector in process (no HTTP); the acts asked are drawn at random among the generated ones. The engine has no as-of query: its nearest reads are a direct get of one subject's last message and a stream-info listing of every subject. Each latency is taken over up to 5,000 calls (lists: 200), or as many as fit in the `--seconds` bound, at least one; append-to-view likewise.\n")
	p("- **Append-to-view**: one clerk records an amendment over HTTP, then waits until the projector has applied the receipt's sequence; the time includes the HTTP append. The projector then stops, so that the appends measured after it are the ledger's alone.\n")
	p("- **Single appends**: %d alternating rounds of raw and ledger work, the median round of each; %d appends with the default sync, a fifth of that with sync always. **HTTP**: each number of clients drives the raw engine, then the ledger's HTTP API, for %s each.\n", Rounds, r.Config.Singles, r.Config.Duration)
	p("- The machine is shared: other work on its %d cores during the run shows in the figures (the load average when it started is above). Absolute figures vary by up to a factor of two between runs; the ratios, measured side by side, are what to compare.\n\n", m.Cores)
	p("%s\n\n%s", KeepMarker, kept)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) with(ok func(Result) bool) []Result {
	var out []Result
	for _, x := range r.Results {
		if ok(x) {
			out = append(out, x)
		}
	}
	return out
}

func (l ProxyLoad) rates() string { return fmt.Sprintf("%.0f (%.0f–%.0f)", l.Rate, l.Min, l.Max) }

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Nanoseconds())/1e6) }

// latRatio is the ledger's latency over the engine's, at the median.
func latRatio(ledger, raw Lat) float64 {
	return float64(ledger.P50) / float64(max(raw.P50, time.Nanosecond))
}

// ratio is a/b, or 0 when b is not positive (a figure not measured).
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
