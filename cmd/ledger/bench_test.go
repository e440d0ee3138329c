package main

import (
	"context"
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/internal/testkit"
)

// TestBenchQuick runs `ledger bench --quick` end to end on real embedded
// servers in a temporary directory, into a report that already has a
// hand-written analysis, and checks the report's shape: every table, only
// positive ratios, the analysis kept, and a plot that decodes. It asserts
// no timing.
func TestBenchQuick(t *testing.T) {
	dir := t.TempDir()
	out, plot := filepath.Join(dir, "BENCHMARKS.md"), filepath.Join(dir, "docs", "bench.png")
	if err := os.Mkdir(filepath.Dir(plot), 0o755); err != nil {
		t.Fatal(err)
	}
	const analysis = "## What the figures say\n\nHand-written: single appends are at the engine's speed with sync always.\n"
	if err := os.WriteFile(out, []byte("# Benchmarks\n\nold tables\n\n"+bench.KeepMarker+"\n\n"+analysis), 0o644); err != nil {
		t.Fatal(err)
	}
	// The proxy part starts the ledger binary as processes: this test's
	// own binary is not one.
	exe := testkit.Tool(t, "ledger", "github.com/lexledger/lexledger/cmd/ledger")
	var stdout, stderr testkit.SyncBuffer
	err := run(context.Background(), []string{"bench", "--quick", "--dir", dir, "--out", out, "--plot", plot, "--exe", exe, "--proxy-clients", "8"}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("ledger bench --quick: %v\nstderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "bench [") {
		t.Errorf("no progress on standard error; got:\n%s", stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)

	for _, section := range []string{bench.SectionSingle, bench.SectionBulk, bench.SectionHTTP, bench.SectionProxy, bench.SectionRebuild,
		bench.SectionQuery, bench.SectionView, bench.SectionBatch, bench.SectionHash} {
		if !strings.Contains(md, "\n"+section) {
			t.Errorf("the report has no table %q", section)
		}
	}
	for _, want := range []string{"## Machine", "| CPU |", "| nats-server |", "go run ./cmd/ledger bench --quick", "](docs/bench.png)"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report does not contain %q", want)
		}
	}
	if strings.Contains(md, "old tables") {
		t.Error("the previous tables are still in the report; they should have been replaced")
	}
	if _, kept, _ := strings.Cut(md, bench.KeepMarker); strings.TrimSpace(kept) != strings.TrimSpace(analysis) {
		t.Errorf("the hand-written analysis after the marker is %q, want it kept verbatim: %q", kept, analysis)
	}
	if n := strings.Count(md, bench.KeepMarker); n != 1 {
		t.Errorf("the marker is in the report %d times, want once", n)
	}

	ratios := 0
	for _, tb := range markdownTables(md) {
		for col, h := range tb.header {
			if !strings.Contains(h, "ratio") {
				continue
			}
			for _, row := range tb.rows {
				v, err := strconv.ParseFloat(row[col], 64)
				if err != nil || !(v > 0) || math.IsInf(v, 0) {
					t.Errorf("table %q: ratio %q is not a positive number (row %v)", tb.header, row[col], row)
				}
				ratios++
			}
		}
	}
	// Single and bulk: two a row (to each raw baseline); rebuild (4: three
	// to the bare consumer, verify's to ReadRaw too), queries (2) and
	// view: one a row; HTTP: one a client; the proxy part: two a sync mode.
	if want := 4*(2+2+4+2+1+2) + 2*2; ratios != want {
		t.Errorf("the report has %d ratios, want %d (2 scales × 2 sync modes, and the proxy part's 2 sync modes)", ratios, want)
	}

	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, format, err := image.Decode(f)
	if err != nil {
		t.Fatalf("the plot does not decode as an image: %v", err)
	}
	if b := img.Bounds(); format != "png" || b.Dx() == 0 || b.Dy() == 0 {
		t.Errorf("the plot is a %s of %dx%d, want a PNG of nonzero size", format, b.Dx(), b.Dy())
	}
}

// mdTable is a Markdown table: its header cells and its data rows.
type mdTable struct {
	header []string
	rows   [][]string
}

// markdownTables returns the tables of md (lines starting with '|'), without
// their separator rows.
func markdownTables(md string) []mdTable {
	var tables []mdTable
	var cur *mdTable
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cur = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case cur == nil:
			tables = append(tables, mdTable{header: cells})
			cur = &tables[len(tables)-1]
		case strings.Trim(cells[0], ":-") == "":
		default:
			cur.rows = append(cur.rows, cells)
		}
	}
	return tables
}

// TestBenchMemory runs the memory part on a small import: the proxy (the
// raw engine behind a bare HTTP front, at Go's default collector and with
// the memory limit that serve sets) and `ledger serve` as real
// processes, each fed the same generated events over HTTP. It checks that
// both rows are measured and that each process took every event (the
// ledger's import would have failed otherwise); it asserts no figure.
func TestBenchMemory(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "BENCHMARKS.md")
	exe := testkit.Tool(t, "ledger", "github.com/lexledger/lexledger/cmd/ledger")
	var stdout, stderr testkit.SyncBuffer
	err := run(context.Background(), []string{"bench", "--only", "memory", "--memory", "3000", "--memory-idle", "1s", "--dir", dir, "--out", out, "--exe", exe}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("ledger bench --only memory: %v\nstderr:\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, tb := range markdownTables(string(data)) {
		if len(tb.header) > 0 && tb.header[0] == "process" {
			rows = tb.rows
		}
	}
	if len(rows) != 5 || !strings.Contains(rows[0][0], "bench-proxy") || !strings.Contains(rows[1][0], "memory-limit auto") ||
		!strings.Contains(rows[2][0], "ledger serve") || !strings.HasPrefix(rows[3][0], "ratio") || !strings.HasPrefix(rows[4][0], "ratio") {
		t.Fatalf("the memory table's rows are %v, want the proxy at Go's default and with the limit, ledger serve, and the two ratios", rows)
	}
	for _, row := range rows[:3] {
		for _, cell := range row[1:] {
			f := strings.Fields(cell)
			if len(f) != 2 {
				t.Fatalf("row %v: cell %q is not a figure and its unit", row, cell)
			}
			if v, err := strconv.ParseFloat(f[0], 64); err != nil || !(v > 0) {
				t.Errorf("row %v: %q is not a positive figure", row, cell)
			}
		}
	}
	for _, r := range rows[3:] {
		for _, cell := range r[2:] {
			if v, err := strconv.ParseFloat(cell, 64); err != nil || !(v > 0) || math.IsInf(v, 0) {
				t.Errorf("the ratio row %v: %q is not a positive ratio", r, cell)
			}
		}
	}
}
