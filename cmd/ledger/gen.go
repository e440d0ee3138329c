package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/internal/cli"
)

// Defaults of `ledger gen`.
const (
	genShape = bench.ShapeSimple
	genSeed  = 1
)

// runGen writes a generated book as JSON Lines on stdout: `ledger gen N`
// (the simple shape, as before) or `ledger gen --shape realistic --events N
// [--seed S]`. It streams: memory does not grow with N.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("gen", "ledger gen [flags] [N]   (N generated events as JSON Lines on standard output; progress on standard error; Ctrl-C stops)", stderr)
	shape := fs.String("shape", genShape, "the book's shape: "+strings.Join(bench.Shapes, " (acts of ten events alike), ")+" (acts of 1 to 1,000 events, amendments across acts, 1826-2026, five jurisdictions)")
	events := fs.Int("events", 0, "how many events (or give N as the argument)")
	seed := fs.Uint64("seed", genSeed, "the seed of the realistic shape: the same seed and N, the same book")
	quiet := fs.Bool("quiet", false, "no progress bar")
	stats := fs.Bool("stats", false, "write the book's statistics (acts, events per act, amendments across acts) on standard error at the end")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	n := *events
	switch {
	case fs.NArg() == 1 && n == 0:
		var err error
		if n, err = strconv.Atoi(fs.Arg(0)); err != nil {
			n = 0
		}
	case fs.NArg() > 1 || (fs.NArg() == 1 && n != 0):
		fs.Usage()
		return errors.New("gen takes the number of events once: as N or as --events N")
	}
	if n < 1 {
		fs.Usage()
		return fmt.Errorf("gen needs a positive number of events: ledger gen --events N")
	}
	if !slices.Contains(bench.Shapes, *shape) {
		return fmt.Errorf("--shape: %q is not known: use %s", *shape, strings.Join(bench.Shapes, " or "))
	}

	out := bufio.NewWriterSize(stdout, 256<<10)
	var w io.Writer = out
	var statsDone chan error
	var bookStats *bench.BookStats
	var statsIn *io.PipeWriter
	var statsBuf *bufio.Writer
	if *stats {
		pr, pw := io.Pipe()
		statsIn, statsBuf = pw, bufio.NewWriterSize(pw, 256<<10)
		statsDone = make(chan error, 1)
		go func() {
			var err error
			bookStats, err = bench.ReadBookStats(pr)
			pr.CloseWithError(err)
			statsDone <- err
		}()
		w = io.MultiWriter(out, statsBuf)
	}
	bar := cli.NewProgress(stderr, *quiet, "generating", int64(n))
	err := bench.GenerateShape(ctx, w, bench.GenOptions{Shape: *shape, Events: n, Seed: *seed, Progress: func(done int) { bar.Set(int64(done)) }})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if statsIn != nil {
		if ferr := statsBuf.Flush(); err == nil {
			err = ferr
		}
		statsIn.CloseWithError(err)
		if serr := <-statsDone; err == nil {
			err = serr
		}
	}
	if err != nil {
		bar.Abandon()
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("gen cancelled: the output holds whole lines, fewer than %d: %w", n, err)
		}
		return err
	}
	bar.Done()
	if bookStats != nil {
		fmt.Fprint(stderr, bookStats)
	}
	return nil
}
