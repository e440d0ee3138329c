package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs/natstest"
)

// TestGenRealisticImports generates a realistic book with `ledger gen` and
// imports it with `ledger import` into a real ledger on an embedded
// JetStream server: no event is refused.
func TestGenRealisticImports(t *testing.T) {
	n := "20000"
	if testing.Short() {
		n = "3000"
	}
	book := mustLedgerCmd(t, "gen", "--shape", "realistic", "--events", n, "--seed", "3")
	if got := strings.Count(book, "\n"); got != atoi(t, n) {
		t.Fatalf("gen wrote %d lines, want %s", got, n)
	}
	file := filepath.Join(t.TempDir(), "book.jsonl")
	if err := os.WriteFile(file, []byte(book), 0o644); err != nil {
		t.Fatal(err)
	}
	env := natstest.MustStart(t, natstest.Options{})
	// Longer than ledgerCmd's minute: with -race on two shared cores the
	// import takes about that.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"import", "--nats-url", env.Server.ClientURL(), "--quiet", file}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("ledger import of the book: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	if want := n + " events in " + n + " lines: " + n + " recorded, 0 already in the ledger"; !strings.Contains(out, want) {
		t.Errorf("the import says %q, want %q", out, want)
	}
	if got, err := env.Store.Msgs(t.Context()); err != nil || got != uint64(atoi(t, n)) {
		t.Errorf("the stream holds %d events (%v), want %s", got, err, n)
	}
}

// TestGenFlags: N as the argument keeps the simple shape, --events gives
// the same, a seed gives the same book again, and wrong flags are refused
// with a reason.
func TestGenFlags(t *testing.T) {
	simple := mustLedgerCmd(t, "gen", "30")
	if simple != mustLedgerCmd(t, "gen", "--events", "30", "--shape", "simple") {
		t.Error("ledger gen 30 and ledger gen --events 30 --shape simple differ")
	}
	a := mustLedgerCmd(t, "gen", "--shape", "realistic", "--events", "500", "--seed", "9")
	if a != mustLedgerCmd(t, "gen", "--shape", "realistic", "--events", "500", "--seed", "9") {
		t.Error("two realistic books of seed 9 differ")
	}
	if a == mustLedgerCmd(t, "gen", "--shape", "realistic", "--events", "500", "--seed", "10") {
		t.Error("the realistic books of seeds 9 and 10 are the same")
	}
	_, errOut, err := ledgerCmd(t, "gen", "--shape", "realistic", "--events", "2000", "--stats")
	if err != nil || !strings.Contains(errOut, "2000 events over") || !strings.Contains(errOut, "events per act: p50") {
		t.Errorf("gen --stats: %v, standard error %q", err, errOut)
	}
	for _, args := range [][]string{
		{"gen"},
		{"gen", "0"},
		{"gen", "--events", "5", "7"},
		{"gen", "--shape", "square", "10"},
	} {
		if _, _, err := ledgerCmd(t, args...); err == nil {
			t.Errorf("ledger %s succeeded", strings.Join(args, " "))
		}
	}
	var out bytes.Buffer
	ctx, cancel := contextCancelled(t)
	defer cancel()
	if err := run(ctx, []string{"gen", "--shape", "realistic", "--events", "1000000"}, strings.NewReader(""), &out, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("a cancelled gen returned %v", err)
	}
	if lines := strings.Count(out.String(), "\n"); lines >= 1000000 {
		t.Errorf("a cancelled gen wrote all %d lines", lines)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// contextCancelled returns a context that is already cancelled.
func contextCancelled(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx, cancel
}

// TestBenchGenRealistic runs the bench's load, rebuild and query parts on
// a realistic book: the import goes through, the projection answers for
// acts in force on the query day, and the report says which shape it
// loaded.
func TestBenchGenRealistic(t *testing.T) {
	out, errOut, err := ledgerCmd(t, "bench", "--shape", "realistic", "--only", "bulk,rebuild,query", "--scales", "3000",
		"--sync", "interval", "--seconds", "0.1", "--single", "5", "--dir", t.TempDir())
	if err != nil {
		t.Fatalf("ledger bench --shape realistic: %v\n%s", err, errOut)
	}
	for _, want := range []string{"--shape realistic", "acts of 1 to 1,000 events", "| interval | 3000 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not contain %q", want)
		}
	}
	if _, _, err := ledgerCmd(t, "bench", "--shape", "square", "--quick"); err == nil {
		t.Error("ledger bench --shape square succeeded")
	}
}
