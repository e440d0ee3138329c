package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/internal/memlimit"
)

// runBenchProxy runs the minimal HTTP-to-JetStream proxy that `ledger
// bench` starts as the baseline of HTTP appends (bench.ServeProxy). It is
// a benchmark's tool, not a service: it checks nothing, and is left out
// of the usage (BENCHMARKS.md describes it).
func runBenchProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("bench-proxy", "ledger bench-proxy [flags]   (the baseline of `ledger bench`'s proxy part)", stderr)
	data := fs.String("data", "", "directory of the embedded JetStream store (required)")
	addr := fs.String("http", "127.0.0.1:0", "address of POST /v1/events")
	syncMode := fs.String("sync", "interval", "embedded server durability: always or interval, as ledger serve's --sync")
	pprofAddr := fs.String("pprof", "", "serve Go's profiles (net/http/pprof) on this address; off by default")
	memLimit := fs.String("memory-limit", "off", "as ledger serve's --memory-limit; off by default, the raw engine at Go's default")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	limit, err := memlimit.Parse(*memLimit)
	if err != nil {
		return err
	}
	ctx, stopLimit := context.WithCancel(ctx) // the limit ends with the command
	defer stopLimit()
	memlimit.Apply(ctx, limit, slog.New(slog.NewTextHandler(stderr, nil)))
	if *data == "" {
		return fmt.Errorf("bench-proxy: give --data, a directory for its server")
	}
	if *syncMode != "always" && *syncMode != "interval" {
		return fmt.Errorf("--sync must be 'always' or 'interval', not %q", *syncMode)
	}
	return bench.ServeProxy(ctx, bench.ProxyOptions{Dir: *data, Addr: *addr, SyncAlways: *syncMode == "always", Pprof: *pprofAddr,
		Ready: func(a string) { fmt.Fprintf(stdout, "bench-proxy listening on http://%s\n", a) }})
}
