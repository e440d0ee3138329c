package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
)

// Defaults of `ledger bench`, and of its --quick smoke run.
const (
	benchScales  = "1e4,1e5,1e6"
	benchSync    = "always,interval"
	benchClients = "1,8,32,128"
	benchSeconds = 3.0
	benchSingles = 5000
	quickScales  = "500,2000"
	quickClients = "1,8"
	quickSeconds = 0.25
	quickSingles = 200
)

// runBench measures the ledger against the raw JetStream engine on the same
// embedded server in the same run (package bench), and writes the report:
// to --out, keeping its hand-written analysis, or to standard output.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("bench", "ledger bench [flags]   (progress on standard error; Ctrl-C stops)", stderr)
	scales := fs.String("scales", benchScales, "events loaded into the stream before the other measurements, one run each (1e4 or 10000)")
	syncs := fs.String("sync", benchSync, "server sync modes: always (fsync before each ack), interval (the server's default)")
	clients := fs.String("clients", benchClients, "concurrent HTTP clients")
	proxyClients := fs.Int("proxy-clients", bench.DefaultProxyClients, "concurrent HTTP clients of the proxy part (the minimal proxy against ledger serve, each a process of its own)")
	exe := fs.String("exe", "", "the ledger binary that the memory and proxy parts start as processes (default: this one)")
	seconds := fs.Float64("seconds", benchSeconds, "seconds per HTTP load, and the bound of each latency measurement")
	single := fs.Int("single", benchSingles, "sequential single appends per measurement with the default sync (a fifth with sync always)")
	only := fs.String("only", "", "run only these parts, comma-separated: "+strings.Join(bench.Parts, ",")+" (default: all, memory only with --memory)")
	shape := fs.String("shape", bench.ShapeSimple, "the shape of the generated events loaded: "+strings.Join(bench.Shapes, " or ")+" (as ledger gen --shape, seed 1)")
	memEvents := fs.Int("memory", 0, "events imported into the raw proxy and into a real `ledger serve` to measure their memory (the memory part; 0 skips it)")
	memIdle := fs.Duration("memory-idle", bench.DefaultMemoryIdle, "how long the memory part leaves each process idle after its import before measuring it again")
	memProfile := fs.String("memprofile", "", "write the heap profile of the memory part's `ledger serve`, taken after the import, to this file, and the one taken after its idle time to FILE.idle")
	quick := fs.Bool("quick", false, "a fast smoke run: scales "+quickScales+", clients "+quickClients+", "+strconv.FormatFloat(quickSeconds, 'f', -1, 64)+" s, unless set")
	out := fs.String("out", "", "write the Markdown report to this file (BENCHMARKS.md), keeping its hand-written analysis; default: standard output")
	plotFile := fs.String("plot", "", "also draw the figures as a PNG in this file (docs/bench.png)")
	dir := fs.String("dir", "", "where the embedded servers keep their data (default: the system's temporary directory)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quickDefault(set, "scales", scales, quickScales)
		quickDefault(set, "clients", clients, quickClients)
		if !set["seconds"] {
			*seconds = quickSeconds
		}
		if !set["single"] {
			*single = quickSingles
		}
	}
	cfg := bench.Config{
		Duration:     time.Duration(*seconds * float64(time.Second)),
		Singles:      *single,
		ProxyClients: *proxyClients,
		Memory:       *memEvents,
		MemoryIdle:   *memIdle,
		MemProfile:   *memProfile,
		Shape:        *shape,
		Dir:          *dir,
		Import:       benchImport,
		Progress:     stderr,
	}
	var err error
	if cfg.Scales, err = numbers("--scales", *scales); err != nil {
		return err
	}
	if cfg.Clients, err = numbers("--clients", *clients); err != nil {
		return err
	}
	for _, s := range strings.Split(*syncs, ",") {
		switch strings.TrimSpace(s) {
		case "always":
			cfg.Sync = append(cfg.Sync, true)
		case "interval":
			cfg.Sync = append(cfg.Sync, false)
		default:
			return fmt.Errorf("--sync: %q is neither always nor interval", s)
		}
	}
	if *only != "" {
		for _, p := range strings.Split(*only, ",") {
			cfg.Only = append(cfg.Only, strings.TrimSpace(p))
		}
	}
	if slices.Contains(cfg.Only, "memory") && cfg.Memory == 0 {
		return errors.New("--only memory needs --memory N, the events to import")
	}
	if *seconds <= 0 || *single < bench.Rounds {
		return fmt.Errorf("--seconds must be positive and --single at least %d", bench.Rounds)
	}
	if cfg.Exe = *exe; cfg.Exe == "" {
		if cfg.Exe, err = os.Executable(); err != nil {
			return err
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("bench cancelled; nothing was written: %w", err)
		}
		return err
	}
	rep.Command = "go run ./cmd/ledger bench " + shellQuote(args)
	plotRef := ""
	if *plotFile != "" {
		var png bytes.Buffer
		if err := bench.WritePlot(&png, rep); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		if err := writeFile(*plotFile, png.Bytes()); err != nil {
			return err
		}
		plotRef = *plotFile
		if *out != "" {
			if rel, err := filepath.Rel(filepath.Dir(*out), *plotFile); err == nil {
				plotRef = filepath.ToSlash(rel)
			}
		}
	}
	if *out == "" {
		return bench.WriteMarkdown(stdout, rep, plotRef, bench.Kept(nil))
	}
	previous, err := os.ReadFile(*out)
	if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	var md bytes.Buffer
	if err := bench.WriteMarkdown(&md, rep, plotRef, bench.Kept(previous)); err != nil {
		return err
	}
	if err := writeFile(*out, md.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s%s in %s\n", *out, map[bool]string{true: " and " + *plotFile}[*plotFile != ""], rep.Took.Round(time.Second))
	return nil
}

func quickDefault(set map[string]bool, name string, v *string, quick string) {
	if !set[name] {
		*v = quick
	}
}

// numbers parses a comma-separated list of positive integers, which may be
// written as 1e4.
func numbers(flagName, s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || x < 1 || x != float64(int(x)) {
			return nil, fmt.Errorf("%s: %q is not a positive whole number", flagName, f)
		}
		ns = append(ns, int(x))
	}
	return ns, nil
}

// benchImport is the import of `ledger import`, for the benchmark.
func benchImport(ctx context.Context, in io.Reader, send bench.Sender, progress func(int64)) (int, error) {
	st, err := importLines(ctx, in, ledger.DefaultMaxBatch, importer(send), progress)
	return st.sent, err
}

// writeFile replaces name with data, whole or not at all.
func writeFile(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// shellQuote joins args as a shell would read them back.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
