package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/oklog/ulid/v2"
)

// actCacheUsage describes --act-cache, of serve and import.
const actCacheUsage = "events of the acts the ledger used last whose sequence, time and id it keeps in memory, to decide commands on them without reading them back (about 185 bytes each, live); an act dropped is read from the stream before its next command; 0 or less keeps none between commands"

// actCacheOption is Options.ActCache for the value of --act-cache.
func actCacheOption(n int) int {
	if n <= 0 {
		return -1 // none: Options takes 0 for the default
	}
	return n
}

// importer sends one atomic batch of commands somewhere.
type importer func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error)

func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("import", "ledger import [flags] FILE   (FILE is JSON Lines, one event per line; - reads standard input)", stderr)
	dest := addSendFlags(fs)
	batchSize := fs.Int("batch", ledger.DefaultMaxBatch, "events per atomic batch (at most 1000)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("import needs one FILE (or - for standard input)")
	}
	if *batchSize < 1 || *batchSize > ledger.DefaultMaxBatch {
		return fmt.Errorf("--batch must be between 1 and %d", ledger.DefaultMaxBatch)
	}
	in, total := stdin, int64(-1)
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && !*quiet && cli.IsTerminal(stderr) {
			if total, err = countEvents(f); err != nil {
				return err
			}
		}
		in = f
	}

	send, closeSend, err := dest.open(ctx, "lexledger-import")
	if err != nil {
		return err
	}
	defer closeSend()

	bar := cli.NewProgress(stderr, *quiet, "importing", total)
	start := time.Now()
	st, err := importLines(ctx, in, *batchSize, send, bar.Add)
	if err == nil {
		bar.Done()
	} else {
		bar.Abandon()
	}
	elapsed := time.Since(start)
	rate := float64(st.sent) / elapsed.Seconds()
	summary := fmt.Sprintf("%s in %s: %d recorded, %d already in the ledger; %.1fs, %.0f events/s",
		cli.Count(st.sent, "event"), cli.Count(st.lines, "line"), st.sent-st.dups, st.dups, elapsed.Seconds(), rate)
	if err != nil {
		fmt.Fprintf(stderr, "import stopped: %v\n", err)
		fmt.Fprintf(stderr, "before it: %s\n", summary)
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "cancelled: run the same command again to continue; events already recorded are skipped by their ids")
		}
		return cli.ErrReported
	}
	fmt.Fprintln(stdout, "imported "+summary)
	return nil
}

// sendFlags are the flags that say where an import sends its events: the
// HTTP API by default, or straight to the stream with --nats-url.
type sendFlags struct {
	server    *string
	client    *cli.ClientFlags
	natsURL   *string
	stream    *string
	auth      cli.NATSAuth
	histories *int
	actCache  *int
}

func addSendFlags(fs *flag.FlagSet) *sendFlags {
	return &sendFlags{
		server:    fs.String("server", cli.EnvOr("LEDGER_SERVER", cli.DefaultServer), "the ledger's HTTP address ($LEDGER_SERVER)"),
		client:    cli.AddClientFlags(fs),
		natsURL:   fs.String("nats-url", "", "write straight to the stream on this NATS server instead of through the HTTP API"),
		stream:    fs.String("stream", natsjs.DefaultStream, "stream name, with --nats-url"),
		auth:      cli.AddNATSAuthAs(fs, natsauth.RoleLedger),
		histories: fs.Int("history-cache", ledger.DefaultHistoryCache, "with --nats-url: events of act histories kept in memory to check corrections and retractions without reading their acts back (about 840 bytes each, twice that resident; 0 or less keeps none)"),
		actCache:  fs.Int("act-cache", ledger.DefaultActCache, "with --nats-url: "+actCacheUsage),
	}
}

// open returns the function that sends one atomic batch where the flags
// say, and the function that closes what it opened. name names the NATS
// connection.
func (f *sendFlags) open(ctx context.Context, name string) (importer, func(), error) {
	if *f.natsURL == "" {
		c := f.client.Client(*f.server)
		return func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error) {
			body, err := ledger.EncodeCommands(cmds)
			if err != nil {
				return nil, err
			}
			var rs []ledger.Receipt
			return rs, c.Do(ctx, "POST", "/v1/events", body, &rs)
		}, func() {}, nil
	}
	st, err := f.auth.Open(ctx, *f.natsURL, cli.StreamOptions{Name: name, Config: natsjs.Config{Stream: *f.stream}})
	if err != nil {
		return nil, nil, err
	}
	keep := *f.histories
	if keep <= 0 {
		keep = -1 // none: Options takes 0 for the default
	}
	led := ledger.New(st.Store, ledger.Options{HistoryCache: keep, ActCache: actCacheOption(*f.actCache)})
	who := "import@" + hostUser()
	send := func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error) {
		return led.AppendAtomic(ctx, who, cmds)
	}
	return send, func() { led.Close(); st.Close() }, nil
}

type importStats struct {
	lines, sent, dups int
}

// importBatch is one batch of parsed lines, or the error that stopped the
// parsing.
type importBatch struct {
	cmds  []ledger.Command
	lines []int // the line number of each command
	total int   // lines read so far
	err   error
}

// importLines reads JSON Lines and sends them in atomic batches, calling
// progress with the number of events of each batch sent. A line that
// cannot be decoded stops the import before its batch is sent; a batch the
// ledger refuses names the line that caused it. Lines without an id get one
// derived from their content, so that re-running an import is safe. Parsing
// runs one batch ahead of sending, on another goroutine, so that decoding
// and the store's work overlap.
func importLines(ctx context.Context, in io.Reader, batchSize int, send importer, progress func(int64)) (importStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan importBatch, 1)
	go parseBatches(ctx, in, batchSize, batches)
	var st importStats
	for b := range batches {
		st.lines = b.total
		if b.err != nil {
			return st, b.err
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
		rs, err := send(ctx, b.cmds)
		if err != nil {
			var e *events.Error
			if errors.As(err, &e) && e.Index > 0 && e.Index <= len(b.lines) {
				return st, fmt.Errorf("line %d: %s; nothing of lines %d-%d was written (fix the line and run the import again)",
					b.lines[e.Index-1], stripPosition(e.Message), b.lines[0], b.lines[len(b.lines)-1])
			}
			return st, fmt.Errorf("lines %d-%d: %w; nothing of them was written", b.lines[0], b.lines[len(b.lines)-1], err)
		}
		for _, r := range rs {
			if r.Duplicate {
				st.dups++
			}
		}
		st.sent += len(b.cmds)
		progress(int64(len(b.cmds)))
	}
	return st, ctx.Err()
}

// parseBatches decodes lines into batches of batchSize commands and sends
// them on out, which it closes at the end of the input or at the first
// error (sent as a batch with err).
func parseBatches(ctx context.Context, in io.Reader, batchSize int, out chan<- importBatch) {
	defer close(out)
	emit := func(b importBatch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	var cur importBatch
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		line := bytes.TrimSpace(raw)
		if len(line) == 0 {
			continue
		}
		e, err := events.Decode(line)
		if err == nil {
			err = e.CheckNew()
		}
		if err == nil && e.ID.IsZero() {
			e.ID = derivedID(line, e.Date)
		}
		// The ledger validates each event (once): a refusal names its
		// position in the batch, which the import turns into a line.
		if err != nil {
			first := n
			if len(cur.lines) > 0 {
				first = cur.lines[0]
			}
			emit(importBatch{total: n, err: fmt.Errorf("line %d: %s; nothing of lines %d-%d was written (fix the line and run the import again)", n, err, first, n)})
			return
		}
		cur.cmds = append(cur.cmds, ledger.Command{Event: e})
		cur.lines = append(cur.lines, n)
		if len(cur.cmds) == batchSize {
			cur.total = n
			if !emit(cur) {
				return
			}
			cur = importBatch{}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d is longer than %d bytes: record long texts in several events", n+1, events.MaxEventBytes)
		}
		emit(importBatch{total: n, err: err})
		return
	}
	if len(cur.cmds) > 0 {
		cur.total = n
		emit(cur)
	}
}

// countEvents counts the lines of f that are not blank, the events an
// import of it records, for the progress bar's total; f is read from its
// start again afterwards.
func countEvents(f *os.File) (int64, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	var n int64
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			n++
		}
	}
	if sc.Err() != nil {
		// The import itself reports the line it cannot read.
		n = -1
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return -1, fmt.Errorf("read %s again after counting its lines: %w", f.Name(), err)
	}
	return n, nil
}

// stripPosition removes the "event i of n: " prefix that the ledger puts on
// batch errors, since the import names the line instead.
func stripPosition(msg string) string {
	if strings.HasPrefix(msg, "event ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			return rest
		}
	}
	return msg
}

// derivedID returns a ULID determined by a line's content: its time part is
// the legal date (so derived ids sort by it), its random part a hash of the
// line.
func derivedID(line []byte, d events.Date) events.ID {
	sum := sha256.Sum256(line)
	var ms uint64
	if t := time.Date(d.Year, max(d.Month, 1), max(d.Day, 1), 0, 0, 0, 0, time.UTC); t.After(time.Unix(0, 0)) {
		ms = uint64(t.UnixMilli())
	}
	var u ulid.ULID
	_ = u.SetTime(ms)
	_ = u.SetEntropy(sum[:10])
	return events.ID(u)
}

func hostUser() string {
	host, _ := os.Hostname()
	user := os.Getenv("USER")
	if user == "" {
		user = "unknown"
	}
	return user + "@" + host
}
