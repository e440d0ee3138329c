package natsjs

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configure a NATS server with JetStream run inside the
// ledger's process: the default engine, with nothing to install.
type EmbeddedOptions struct {
	Dir  string // the JetStream store directory
	Host string // 127.0.0.1 when empty
	// Port is the client port; 0 picks a free one, -1 listens on none
	// (in-process connections only).
	Port int
	// SyncAlways makes the server fsync each write before acknowledging it.
	// Without it the server syncs every two minutes: a killed process loses
	// nothing, a machine that loses power may lose the last writes.
	SyncAlways bool
	Name       string // the server name; "lexledger" when empty
	// Config is a nats-server configuration file, such as the one
	// natsauth.Generate writes: its accounts, users and permissions apply;
	// the fields above replace its name, address, port, store and sync.
	// Empty: no access control, every client in the global account.
	Config string
	// Place, when set, names the account each stream of the store belongs
	// in: StartEmbedded first moves the streams found in other accounts
	// there (a store served without access control keeps them all in the
	// global account, GlobalAccount). Logger, when set, reports each move.
	Place  func(stream string) string
	Logger *slog.Logger
	// MaxPayload is the largest message the server takes; 0: MaxMsgSize
	// and room for headers. Tests set it lower to meet the limit sooner.
	MaxPayload int32
}

// GlobalAccount is the account of every client of a server without
// accounts.
const GlobalAccount = "$G"

// StartEmbedded starts the server and waits until it accepts connections.
// Shut it down with Shutdown and WaitForShutdown.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Name == "" {
		o.Name = "lexledger"
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", o.Dir, err)
	}
	opts := &server.Options{}
	if o.Config != "" {
		var err error
		if opts, err = server.ProcessConfigFile(o.Config); err != nil {
			return nil, fmt.Errorf("embedded NATS server's configuration: %w", err)
		}
	}
	opts.ServerName, opts.Host, opts.Port = o.Name, o.Host, o.Port
	opts.JetStream, opts.StoreDir = true, o.Dir
	opts.SyncAlways, opts.SyncInterval = o.SyncAlways, 0
	opts.NoSigs, opts.MaxPayload = true, MaxMsgSize+1024
	if o.MaxPayload > 0 {
		opts.MaxPayload = o.MaxPayload
	}
	if o.Place != nil {
		if err := placeStreams(filepath.Join(o.Dir, server.JetStreamStoreDir), o.Place, o.Logger); err != nil {
			return nil, err
		}
	}
	if o.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if o.Port < 0 {
		opts.DontListen = true
	}
	if o.Port > 0 {
		// Fail with a clear message rather than the server's log line.
		ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, strconv.Itoa(o.Port)))
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s:%d for the embedded NATS server (is another ledger or nats-server running? stop it, or choose another port with --nats-port): %w", o.Host, o.Port, err)
		}
		ln.Close()
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded NATS server did not become ready within 30s (data in %s)", o.Dir)
	}
	return s, nil
}

// placeStreams moves the directory of each stream of the JetStream store
// js (one directory per account, one per stream under its streams/) into
// the account that place names, while no server runs on it. A stream found
// in two accounts is an error: which to keep is for a person to decide.
func placeStreams(js string, place func(string) string, log *slog.Logger) error {
	accounts, err := os.ReadDir(js)
	if os.IsNotExist(err) {
		return nil // a new store
	}
	if err != nil {
		return fmt.Errorf("read the JetStream store %s: %w", js, err)
	}
	type found struct{ account, path string }
	var streams = map[string][]found{}
	var names []string
	for _, a := range accounts {
		if !a.IsDir() {
			continue
		}
		dirs, err := os.ReadDir(filepath.Join(js, a.Name(), "streams"))
		if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("read the JetStream store %s: %w", js, err)
		}
		for _, d := range dirs {
			if d.IsDir() {
				if streams[d.Name()] == nil {
					names = append(names, d.Name())
				}
				streams[d.Name()] = append(streams[d.Name()], found{a.Name(), filepath.Join(js, a.Name(), "streams", d.Name())})
			}
		}
	}
	for _, name := range names {
		f := streams[name]
		if len(f) > 1 {
			return fmt.Errorf("the store %s holds stream %s twice, in accounts %s and %s: move one of the two directories out of the store (back it up first) and start again", js, name, f[0].account, f[1].account)
		}
		want := place(name)
		if f[0].account == want {
			continue
		}
		to := filepath.Join(js, want, "streams", name)
		if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
			return fmt.Errorf("move stream %s into account %s: %w", name, want, err)
		}
		if err := os.Rename(f[0].path, to); err != nil {
			return fmt.Errorf("move stream %s into account %s: %w", name, want, err)
		}
		if log != nil {
			log.Info("moved a stream of the store into its account", "stream", name, "from", f[0].account, "to", want)
		}
	}
	return nil
}
