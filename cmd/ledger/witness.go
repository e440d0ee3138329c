package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/atomicfile"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/internal/rungroup"
	"github.com/lexledger/lexledger/witness"
)

const (
	defaultWitnessListen = "127.0.0.1:8090"
	// defaultLogsFile, in the witness's directory, lists the logs it
	// witnesses when --logs is not given.
	defaultLogsFile = "logs.conf"
)

// runWitness runs a witness (C2SP tlog-witness), or with init creates its
// key.
func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "init":
			return runWitnessInit(args[1:], stdout, stderr)
		case "vkey":
			return runWitnessVKey(args[1:], stdout, stderr)
		}
	}
	flags := cli.NewFlags("witness", "ledger witness --dir DIR [--logs FILE] [--log-key ORIGIN=VKEY]... [flags]\n       ledger witness init --dir DIR --name NAME\n       ledger witness vkey --dir DIR", stderr)
	dir := flags.String("dir", cli.EnvOr("LEDGER_WITNESS_DIR", ""), "the witness's own directory: its key and the last checkpoint it cosigned of each log; not the ledger's --data ($LEDGER_WITNESS_DIR; required)")
	listen := flags.String("listen", cli.EnvOr("LEDGER_WITNESS_LISTEN", defaultWitnessListen), "address to serve POST /add-checkpoint on ($LEDGER_WITNESS_LISTEN)")
	logsFile := flags.String("logs", "", "the logs to witness: one a line, the origin then its verifier key(s), separated by spaces; default DIR/"+defaultLogsFile+" if it exists")
	var logKeys multiFlag
	flags.Var(&logKeys, "log-key", "witness the log whose checkpoints have this origin, signed by this note verifier key: ORIGIN=VKEY (repeatable; adds to --logs)")
	name := flags.String("name", "", "create the witness's key with this name (such as witness.example.org/w1) if DIR has none, as 'ledger witness init' does")
	vkeyOut := flags.String("vkey-out", cli.EnvOr("LEDGER_WITNESS_VKEY_OUT", ""), "write the witness's verifier key to this file at start, for the logs to read (projector serve --witness URL=@FILE), such as on a volume shared with them ($LEDGER_WITNESS_VKEY_OUT)")
	logFormat := flags.String("log", "text", "log format: text or json")
	if done, err := cli.Parse(flags, args); done {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("witness takes no arguments, got %q: its subcommands are init and vkey", flags.Args())
	}
	if *dir == "" {
		return errors.New("give the witness's own directory with --dir (not the ledger's --data); create it with 'ledger witness init --dir DIR --name NAME'")
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler).With("component", "witness")
	if _, err := os.Stat(filepath.Join(*dir, witness.KeyFile)); *name != "" && errors.Is(err, fs.ErrNotExist) {
		vkey, err := witness.Init(*dir, *name)
		if err != nil {
			return err
		}
		log.Info("created the witness key", "dir", *dir, "vkey", vkey)
	}
	logs, err := witnessLogs(*dir, *logsFile, logKeys)
	if err != nil {
		return err
	}
	w, err := witness.Open(*dir, witness.Options{Logs: logs, Log: log})
	if err != nil {
		return err
	}
	defer w.Close()
	if *vkeyOut != "" {
		if err := writeVKey(*vkeyOut, w.VerifierKey()); err != nil {
			return err
		}
	}
	if len(logs) == 0 {
		log.Warn("this witness witnesses no log yet: list them in " + filepath.Join(*dir, defaultLogsFile) + " or give --log-key ORIGIN=VKEY, then restart")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another witness running? choose another address with --listen): %w", *listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/add-checkpoint", w.Handler())
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { fmt.Fprintln(rw, "ok") })
	mux.HandleFunc("GET /vkey", func(rw http.ResponseWriter, _ *http.Request) { fmt.Fprintln(rw, w.VerifierKey()) })
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		http.Error(rw, fmt.Sprintf("no such endpoint: %s %s; a witness serves POST /add-checkpoint, GET /vkey and GET /healthz", r.Method, r.URL.Path), http.StatusNotFound)
	})
	hs := httpapi.DefaultLimits.Server(mux)
	log.Info("witness ready", "http", "http://"+ln.Addr().String(), "vkey", w.VerifierKey(), "logs", strings.Join(w.Origins(), " "))
	fmt.Fprintf(stdout, "ledger witness: serving POST /add-checkpoint on http://%s for %d log(s); verifier key %s\n", ln.Addr(), len(logs), w.VerifierKey())

	g := rungroup.Group{Log: log}
	g.Add("signal", rungroup.Context(ctx, func() { log.Info("shutting down") }))
	g.Add("http", func(ctx context.Context) error {
		return cli.RunHTTP(ctx, hs, ln, (*http.Server).Serve, shutdownGrace)
	})
	return g.Run()
}

// witnessLogs gathers the logs from the logs file (DIR/logs.conf when
// file is "" and it exists) and the --log-key flags.
func witnessLogs(dir, file string, keys []string) ([]witness.Log, error) {
	var logs []witness.Log
	path := file
	if path == "" {
		path = filepath.Join(dir, defaultLogsFile)
	}
	f, err := os.Open(path)
	switch {
	case err == nil:
		logs, err = witness.ParseLogs(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	case file == "" && errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("logs file: %w", err)
	}
	for _, k := range keys {
		origin, vkey, ok := strings.Cut(k, "=")
		if !ok || origin == "" || vkey == "" {
			return nil, fmt.Errorf("--log-key %q: want ORIGIN=VKEY, the log's origin line and its note verifier key", k)
		}
		merged := false
		for i := range logs {
			if logs[i].Origin == origin {
				logs[i].VerifierKeys = append(logs[i].VerifierKeys, vkey)
				merged = true
			}
		}
		if !merged {
			logs = append(logs, witness.Log{Origin: origin, VerifierKeys: []string{vkey}})
		}
	}
	return logs, nil
}

func runWitnessInit(args []string, stdout, stderr io.Writer) error {
	flags := cli.NewFlags("witness init", "ledger witness init --dir DIR --name NAME", stderr)
	dir := flags.String("dir", cli.EnvOr("LEDGER_WITNESS_DIR", ""), "the witness's own directory, created if missing ($LEDGER_WITNESS_DIR; required)")
	name := flags.String("name", "", "the witness's key name, a URL without scheme such as witness.example.org/w1 (required)")
	if done, err := cli.Parse(flags, args); done {
		return err
	}
	if *dir == "" || *name == "" || flags.NArg() > 0 {
		return errors.New("give the witness's directory and key name: ledger witness init --dir DIR --name NAME")
	}
	vkey, err := witness.Init(*dir, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created the witness key in %s (keep it: a witness cannot change its key); its verifier key, for the logs' clients:\n", filepath.Join(*dir, witness.KeyFile))
	fmt.Fprintln(stdout, vkey)
	return nil
}

func runWitnessVKey(args []string, stdout, stderr io.Writer) error {
	flags := cli.NewFlags("witness vkey", "ledger witness vkey --dir DIR", stderr)
	dir := flags.String("dir", cli.EnvOr("LEDGER_WITNESS_DIR", ""), "the witness's directory ($LEDGER_WITNESS_DIR; required)")
	if done, err := cli.Parse(flags, args); done {
		return err
	}
	if *dir == "" {
		return errors.New("give the witness's directory: ledger witness vkey --dir DIR")
	}
	b, err := os.ReadFile(filepath.Join(*dir, witness.VerifierKeyFile))
	if err != nil {
		return fmt.Errorf("no verifier key in %s: create the witness with 'ledger witness init --dir %s --name NAME': %w", *dir, *dir, err)
	}
	fmt.Fprint(stdout, string(b))
	return nil
}

// writeVKey writes the verifier key to path, mode 0644 (it is public),
// through a temporary file renamed over it: a reader sees the old key or
// the new, whole.
func writeVKey(path, vkey string) error {
	if err := atomicfile.Write(path, []byte(vkey+"\n"), 0o644); err != nil {
		return fmt.Errorf("--vkey-out: %w (give a file in a writable directory)", err)
	}
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

var _ flag.Value = (*multiFlag)(nil)

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
