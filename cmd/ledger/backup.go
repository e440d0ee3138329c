package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lexledger/lexledger/backup"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
)

const defaultNATSURL = "nats://127.0.0.1:4222"

// runBackup writes a snapshot of the stream into a new directory.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("backup", "ledger backup --nats-url URL --out DIR [flags]", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", defaultNATSURL), "the NATS server or cluster of the ledger ($LEDGER_NATS_URL)")
	out := fs.String("out", "", "the directory to write the backup into: new, or empty (required)")
	data := fs.String("data", "", "back up the embedded store in this directory (the --data of a 'ledger serve' that is stopped) instead of a server at --nats-url")
	stream := fs.String("stream", natsjs.DefaultStream, "the stream to back up")
	auth := cli.AddNATSAuthAs(fs, natsauth.RoleAdmin)
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
	nc, closeNC, err := connect(fs, auth, *natsURL, *data, *stream, "lexledger-backup", true)
	if err != nil {
		return err
	}
	defer closeNC()
	bar := cli.NewByteProgress(stderr, *quiet, "backing up", -1)
	m, err := backup.Backup(ctx, nc, *out, backup.Options{Stream: *stream, Progress: progress(bar)})
	if err != nil {
		bar.Abandon()
		return err
	}
	bar.Done()
	fmt.Fprintf(stdout, "backed up stream %s: %s, sequences %d to %d, %s, in %s, to %s\n",
		m.Stream, cli.Count(m.Messages, "event"), m.FirstSeq, m.LastSeq, cli.Count(m.Bytes, "byte"), m.Finished.Sub(m.Started).Round(time.Millisecond), *out)
	return nil
}

// runRestore recreates the stream from a backup directory on a server
// that does not have it.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("restore", "ledger restore --nats-url URL [flags] DIR", stderr)
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", defaultNATSURL), "the NATS server or cluster to restore into ($LEDGER_NATS_URL)")
	stream := fs.String("stream", natsjs.DefaultStream, "the stream to restore (its name in the backup)")
	replicas := fs.Int("replicas", 0, "replicas of the restored stream (3 on a cluster); 0 keeps the backup's")
	data := fs.String("data", "", "restore into the embedded store in this directory (the --data that 'ledger serve' will use; it must not be running) instead of a server at --nats-url")
	auth := cli.AddNATSAuthAs(fs, natsauth.RoleAdmin)
	quiet := fs.Bool("quiet", false, "no progress bar (there is none when standard error is not a terminal)")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("give the backup's directory: ledger restore --nats-url URL DIR")
	}
	dir := fs.Arg(0)
	nc, closeNC, err := connect(fs, auth, *natsURL, *data, *stream, "lexledger-restore", false)
	if err != nil {
		return err
	}
	defer closeNC()
	bar := cli.NewByteProgress(stderr, *quiet, "restoring", -1)
	m, err := backup.Restore(ctx, nc, dir, backup.Options{Stream: *stream, Replicas: *replicas, Progress: progress(bar)})
	if err != nil {
		bar.Abandon()
		return err
	}
	bar.Done()
	fmt.Fprintf(stdout, "restored stream %s from %s: %s, sequences %d to %d\n", m.Stream, dir, cli.Count(m.Messages, "event"), m.FirstSeq, m.LastSeq)
	return nil
}

// connect connects to the server at url, logged in as auth says, or, with
// data, to an embedded server on that store, started for the command alone
// and listening on no port, as the role whose account holds stream (admin
// for the ledger's stream, projector for its views: LEX_CHECKPOINTS);
// existing says that the store must exist already. The returned func
// closes the connection and stops that server.
func connect(fs *flag.FlagSet, auth cli.NATSAuth, url, data, stream, name string, existing bool) (*nats.Conn, func(), error) {
	if data == "" {
		nc, err := auth.Connect(url, name, "is the server running? set --nats-url, or --data for a stopped ledger's store")
		if err != nil {
			return nil, nil, err
		}
		return nc, nc.Close, nil
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "nats-url" })
	if explicit {
		return nil, nil, fmt.Errorf("give --nats-url or --data, not both")
	}
	if auth.Set() {
		return nil, nil, fmt.Errorf("--nats-nkey and --nats-ca log in to a server at --nats-url; the embedded store of --data needs neither")
	}
	dir, err := filepath.Abs(data)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); existing && err != nil {
		return nil, nil, fmt.Errorf("%s holds no ledger store (no jetstream directory): give the --data of a 'ledger serve'", data)
	}
	unlock, err := lockData(dir, "using its store here")
	if err != nil {
		return nil, nil, err
	}
	// Not SyncAlways: nats-server's restore stores message by message, and
	// with a sync per message it runs at about 1,300 events/s and may stall
	// past the server's 5 s restore watchdog. The store is synced whole
	// when the server has stopped instead.
	// The store as 'ledger serve' left it: in the accounts of its access
	// control, or in the global account of --insecure-open-nats.
	emb, err := startEmbedded(embeddedOptions{dir: dir, port: -1, open: servedOpen(dir)}, nil)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	srv := emb.srv
	role := natsauth.RoleAdmin
	if natsauth.StreamAccount(stream) == natsauth.AccountViews {
		role = natsauth.RoleProjector
	}
	nc, err := nats.Connect("", append(emb.options(role), nats.Name(name))...)
	if err != nil {
		emb.stop()
		unlock()
		return nil, nil, fmt.Errorf("connect to the embedded server on %s: %w", dir, err)
	}
	return nc, func() {
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
		if err := syncTree(dir); err != nil {
			fmt.Fprintf(os.Stderr, "ledger: warning: syncing %s to disk: %v\n", dir, err)
		}
		unlock()
	}, nil
}

// servedOpen reports whether the store in dir was served with
// --insecure-open-nats: its streams are in the global account and none in
// the accounts of the access control.
func servedOpen(dir string) bool {
	js := filepath.Join(dir, "jetstream")
	if _, err := os.Stat(filepath.Join(js, natsauth.AccountLedger)); err == nil {
		return false
	}
	streams, _ := os.ReadDir(filepath.Join(js, natsjs.GlobalAccount, "streams"))
	return len(streams) > 0
}

// syncTree fsyncs every file and directory under dir, so that what the
// embedded server wrote survives a power cut.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

// progress is a backup.Options.Progress drawn on bar: the snapshot
// protocol counts bytes, not events. It is called from the protocol's
// goroutines; bar locks itself.
func progress(bar *cli.Progress) func(done, total uint64) {
	return func(done, total uint64) {
		if total > 0 {
			bar.SetTotal(int64(max(total, done)))
		}
		bar.Set(int64(done))
	}
}
