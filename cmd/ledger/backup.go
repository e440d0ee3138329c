package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lexledger/lexledger/backup"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

const defaultNATSURL = "nats://127.0.0.1:4222"

// runBackup writes a snapshot of the stream into a new directory.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("backup", "ledger backup --nats-url URL --out DIR [flags]", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", defaultNATSURL), "the NATS server or cluster of the ledger ($LEDGER_NATS_URL)")
	out := fs.String("out", "", "the directory to write the backup into: new, or empty (required)")
	stream := fs.String("stream", natsjs.DefaultStream, "the stream to back up")
	quiet := fs.Bool("quiet", false, "no progress bar (there is none when standard error is not a terminal)")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup takes no arguments, got %q: give the directory with --out", fs.Args())
	}
	if *out == "" {
		return fmt.Errorf("give the directory to write the backup into: ledger backup --out DIR")
	}
	nc, err := connect(*natsURL, "lexledger-backup")
	if err != nil {
		return err
	}
	defer nc.Close()
	bar := newBar(stderr, *quiet, "backing up")
	m, err := backup.Backup(ctx, nc, *out, backup.Options{Stream: *stream, Progress: bar.update})
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up stream %s: %d events, sequences %d to %d, %d bytes, in %s, to %s\n",
		m.Stream, m.Messages, m.FirstSeq, m.LastSeq, m.Bytes, m.Finished.Sub(m.Started).Round(time.Millisecond), *out)
	return nil
}

// runRestore recreates the stream from a backup directory on a server
// that does not have it.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("restore", "ledger restore --nats-url URL [flags] DIR", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", defaultNATSURL), "the NATS server or cluster to restore into ($LEDGER_NATS_URL)")
	stream := fs.String("stream", natsjs.DefaultStream, "the stream to restore (its name in the backup)")
	replicas := fs.Int("replicas", 0, "replicas of the restored stream (3 on a cluster); 0 keeps the backup's")
	quiet := fs.Bool("quiet", false, "no progress bar (there is none when standard error is not a terminal)")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("give the backup's directory: ledger restore --nats-url URL DIR")
	}
	dir := fs.Arg(0)
	nc, err := connect(*natsURL, "lexledger-restore")
	if err != nil {
		return err
	}
	defer nc.Close()
	bar := newBar(stderr, *quiet, "restoring")
	m, err := backup.Restore(ctx, nc, dir, backup.Options{Stream: *stream, Replicas: *replicas, Progress: bar.update})
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored stream %s from %s: %d events, sequences %d to %d\n", m.Stream, dir, m.Messages, m.FirstSeq, m.LastSeq)
	return nil
}

func connect(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name(name))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w (is the server running? set --nats-url)", url, err)
	}
	return nc, nil
}

// bar is a progress bar on a terminal, or nothing.
type bar struct {
	pb *progressbar.ProgressBar
}

func newBar(stderr io.Writer, quiet bool, what string) *bar {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))}
}

// update is a backup.Options.Progress; it is called from the protocol's
// goroutines, and progressbar locks itself.
func (b *bar) update(done, total uint64) {
	if b.pb == nil {
		return
	}
	if total > 0 && int64(total) != b.pb.GetMax64() {
		b.pb.ChangeMax64(int64(max(total, done)))
	}
	b.pb.Set64(int64(done))
}

func (b *bar) finish() {
	if b.pb != nil {
		b.pb.Finish()
	}
}
