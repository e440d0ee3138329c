package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lexledger/lexledger/akn"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
)

// runImportAKN records the events of an Akoma Ntoso document (akn.Read):
// all of them in one atomic batch (in batches of the ledger's maximum when
// there are more), so that a document the ledger refuses leaves nothing
// recorded.
func runImportAKN(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("import-akn", "ledger import-akn [flags] FILE   (FILE is an Akoma Ntoso 3.0 XML document of one act; - reads standard input)", stderr)
	dest := addSendFlags(fs)
	quiet := fs.Bool("quiet", false, "no progress bar")
	dryRun := fs.Bool("dry-run", false, "write the events the document gives as JSON Lines on standard output, and record nothing")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("import-akn needs one FILE (or - for standard input)")
	}
	name := fs.Arg(0)
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	evs, err := akn.Read(in)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was recorded (fix the document and run the import again)", name, err)
	}
	if *dryRun {
		for i := range evs {
			b, err := events.Encode(&evs[i])
			if err != nil {
				return fmt.Errorf("event %d (%s): %w", i+1, evs[i].Body.Note, err)
			}
			if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
				return err
			}
		}
		return nil
	}

	send, closeSend, err := dest.open(ctx, "lexledger-import-akn")
	if err != nil {
		return err
	}
	defer closeSend()
	bar := cli.NewProgress(stderr, *quiet, "importing", int64(len(evs)))
	start := time.Now()
	recorded, dups, err := sendEvents(ctx, evs, send, bar.Add)
	if err != nil {
		bar.Abandon()
		fmt.Fprintf(stderr, "import-akn stopped: %s: %v\n", name, err)
		if recorded+dups > 0 {
			fmt.Fprintf(stderr, "before it: %d of its %s were recorded, %d already in the ledger\n", recorded, cli.Count(len(evs), "event"), dups)
		}
		return cli.ErrReported
	}
	bar.Done()
	fmt.Fprintf(stdout, "imported %s of %s from %s: %d recorded, %d already in the ledger; %.1fs\n",
		cli.Count(len(evs), "event"), evs[0].Act, name, recorded, dups, time.Since(start).Seconds())
	return nil
}

// sendEvents sends evs in atomic batches of the ledger's maximum, and
// returns how many were recorded and how many were already in the ledger.
// A refusal names the event and the element it comes from (its note).
func sendEvents(ctx context.Context, evs []events.Event, send importer, progress func(int64)) (recorded, dups int, err error) {
	for start := 0; start < len(evs); start += ledger.DefaultMaxBatch {
		end := min(start+ledger.DefaultMaxBatch, len(evs))
		cmds := make([]ledger.Command, 0, end-start)
		for _, e := range evs[start:end] {
			cmds = append(cmds, ledger.Command{Event: e})
		}
		rs, err := send(ctx, cmds)
		if err != nil {
			var e *events.Error
			if errors.As(err, &e) && e.Index > 0 && e.Index <= len(cmds) {
				ev := evs[start+e.Index-1]
				return recorded, dups, fmt.Errorf("event %d, %s of %s (%s): %s; nothing of events %d-%d was written",
					start+e.Index, ev.Type, ev.Date, ev.Body.Note, stripPosition(e.Message), start+1, end)
			}
			return recorded, dups, fmt.Errorf("events %d-%d: %w; nothing of them was written", start+1, end, err)
		}
		for _, r := range rs {
			if r.Duplicate {
				dups++
			} else {
				recorded++
			}
		}
		progress(int64(len(cmds)))
	}
	return recorded, dups, nil
}
