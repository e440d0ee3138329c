// Command ledger is the clerks' service and command line: it serves the
// ledger over HTTP and NATS (serve), records events (record, import,
// import-akn) and reads an act's history (history), backs up and restores
// the stream (backup, restore), and runs a witness of checkpoints
// (witness).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lexledger/lexledger/internal/cli"
)

const usage = `ledger records the life of legal acts in an event-sourced ledger on NATS JetStream.

Usage:
  ledger serve    [flags]          run the clerks' service (embedded JetStream by default)
  ledger record   [flags]          record one event
  ledger import   [flags] FILE     record the events of a JSON Lines file, in atomic batches
  ledger import-akn [flags] FILE   record an act from an Akoma Ntoso XML document (its lifecycle, text, amendments)
  ledger history  [flags] ACT      show an act's events
  ledger bench    [flags]          measure the ledger against the raw engine (writes Markdown)
  ledger gen      [flags] N        write N generated events as JSON Lines (a load for import; --shape realistic)
  ledger token    add|list|revoke  manage the bearer tokens of serve --auth
  ledger backup   --out DIR        snapshot the stream into DIR; 'ledger restore DIR' puts it back
  ledger nats-config [flags] DIR   write a nats-server configuration with one nkey user per role
  ledger witness  --dir DIR        cosign the checkpoints of logs that only grow (C2SP tlog-witness); 'init' makes its key

Run 'ledger COMMAND --help' for the flags of a command.
`

func main() {
	cli.Main("ledger", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr) })
}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "record":
		return runRecord(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdin, stdout, stderr)
	case "import-akn":
		return runImportAKN(ctx, rest, stdin, stdout, stderr)
	case "history":
		return runHistory(ctx, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "bench-proxy": // not in the usage: the baseline `ledger bench` starts
		return runBenchProxy(ctx, rest, stdout, stderr)
	case "gen":
		return runGen(ctx, rest, stdout, stderr)
	case "token":
		return runToken(ctx, rest, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, stdout, stderr)
	case "restore":
		return runRestore(ctx, rest, stdout, stderr)
	case "nats-config":
		return runNATSConfig(ctx, rest, stdout, stderr)
	case "witness":
		return runWitness(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
