// Command projector runs the projector service (serve), rebuilds a
// projection from the start of the stream (rebuild), and answers auditors'
// questions from a running projector (asof, show, timeline, text, versions,
// diff).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lexledger/lexledger/internal/cli"
)

const usage = `projector folds the ledger's stream into bitemporal views and answers auditors.

Usage:
  projector serve    [flags]          follow the stream and serve queries over HTTP
  projector rebuild  [flags]          replay the stream from the start into a new snapshot
  projector asof     [flags] DATE     the acts and their status on DATE
  projector show     [flags] ACT      one act on a date: status, provisions, amendments
  projector timeline [flags] ACT      an act's life: intervals and events
  projector text     [flags] ACT      the act's whole text on a date, with its annotations
  projector versions [flags] ACT      the days on which the act's text or force changed
  projector diff     [flags] D1 D2    what changed between two dates
  projector verify   [flags]          replay the stream (or --backup DIR): hash chains, Merkle tree,
                                      signed checkpoints; --state FILE remembers what passed
  projector proof    [flags] EVENT    an inclusion proof of an event in a signed checkpoint
  projector check-proof --key K FILE  check a proof offline
  projector keygen   FILE             a new checkpoint signing key
  projector export   [flags] ACT      the act as of a date, as Akoma Ntoso 3.0 XML
  projector audit    [flags] ACT      the act's audit report (JSON, or --csv)

The query commands ask a running projector: 'ledger serve' runs one (the default
--server), or 'projector serve'. Run 'projector COMMAND --help' for the flags.
`

func main() {
	cli.Main("projector", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdout, os.Stderr) })
}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "rebuild":
		return runRebuild(ctx, rest, stdout, stderr)
	case "asof":
		return runAsOf(ctx, rest, stdout, stderr)
	case "show":
		return runShow(ctx, rest, stdout, stderr)
	case "timeline":
		return runTimeline(ctx, rest, stdout, stderr)
	case "text":
		return runText(ctx, rest, stdout, stderr)
	case "versions":
		return runVersions(ctx, rest, stdout, stderr)
	case "diff":
		return runDiff(ctx, rest, stdout, stderr)
	case "verify":
		return runVerify(ctx, rest, stdout, stderr)
	case "proof":
		return runProof(ctx, rest, stdout, stderr)
	case "check-proof":
		return runCheckProof(ctx, rest, stdout, stderr)
	case "keygen":
		return runKeygen(ctx, rest, stdout, stderr)
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
