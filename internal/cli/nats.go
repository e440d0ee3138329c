package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"strings"
	"time"

	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
)

// NATSAuth holds the flags with which a command logs in to a NATS server
// that has access control ('ledger nats-config').
type NATSAuth struct {
	Nkey, CA *string
	stderr   io.Writer
	// role, when set, is the role whose seed the command uses without
	// --nats-nkey when it connects to a server on this machine: the one
	// that 'ledger serve' keeps in its data directory (DefaultSeed).
	role natsauth.Role
}

// DefaultDataDir is the data directory of 'ledger serve' without --data
// or $LEDGER_DATA.
const DefaultDataDir = "./data"

// DataDir is the data directory of 'ledger serve' as the command lines
// assume it: $LEDGER_DATA, or DefaultDataDir.
func DataDir() string { return EnvOr("LEDGER_DATA", DefaultDataDir) }

// AddNATSAuth registers --nats-nkey and --nats-ca on fs, with
// $LEDGER_NATS_NKEY and $LEDGER_NATS_CA as their defaults.
func AddNATSAuth(fs *flag.FlagSet) NATSAuth {
	return NATSAuth{
		stderr: fs.Output(),
		Nkey:   fs.String("nats-nkey", EnvOr("LEDGER_NATS_NKEY", ""), "log in to NATS with the nkey seed in this file, the role's ROLE.nk written by 'ledger nats-config' ($LEDGER_NATS_NKEY)"),
		CA:     fs.String("nats-ca", EnvOr("LEDGER_NATS_CA", ""), "trust the NATS server's TLS certificate if this CA (PEM file) signed it ($LEDGER_NATS_CA)"),
	}
}

// AddNATSAuthAs registers the flags as AddNATSAuth does, for a command
// that logs in as role: without --nats-nkey, to a server on this machine
// (a loopback or in-process address), it uses role's seed in the data
// directory of 'ledger serve' (DataDir()/nats/ROLE.nk) when there is one,
// so that the commands work against the embedded default with no flag.
func AddNATSAuthAs(fs *flag.FlagSet, role natsauth.Role) NATSAuth {
	a := NATSAuth{
		stderr: fs.Output(),
		role:   role,
		Nkey: fs.String("nats-nkey", EnvOr("LEDGER_NATS_NKEY", ""), fmt.Sprintf("log in to NATS with the nkey seed in this file, the role's ROLE.nk written by 'ledger nats-config' ($LEDGER_NATS_NKEY); default on this machine: the %s seed of 'ledger serve', %s, when it exists ($LEDGER_DATA is its --data, ./data when unset)",
			role, natsauth.EmbeddedSeedFile("$LEDGER_DATA", role))),
	}
	a.CA = fs.String("nats-ca", EnvOr("LEDGER_NATS_CA", ""), "trust the NATS server's TLS certificate if this CA (PEM file) signed it ($LEDGER_NATS_CA)")
	return a
}

// seed returns the seed file to log in to url with, and whether it is the
// default of the role rather than --nats-nkey's.
func (a NATSAuth) seed(url string) (string, bool) {
	if *a.Nkey != "" || a.role == "" || !local(url) {
		return *a.Nkey, false
	}
	f := natsauth.EmbeddedSeedFile(DataDir(), a.role)
	if _, err := os.Stat(f); err != nil {
		return "", false
	}
	return f, true
}

// local reports whether every server of url (comma-separated URLs) is on
// this machine, or url is empty (an in-process connection).
func local(url string) bool {
	for _, u := range strings.Split(url, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.Contains(u, "://") {
			u = "nats://" + u
		}
		p, err := neturl.Parse(u)
		if err != nil {
			return false
		}
		switch h := p.Hostname(); {
		case h == "localhost":
		case net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback():
		default:
			return false
		}
	}
	return true
}

// Set reports whether either flag was given.
func (a NATSAuth) Set() bool { return *a.Nkey != "" || *a.CA != "" }

// Options returns extra followed by the options the flags ask for; a seed
// or CA file that cannot be used is an error that says why. With a seed,
// the server's permission violations, which reach a client only
// asynchronously (the request itself just times out), are written to the
// command's error output with what to check.
func (a NATSAuth) Options(extra ...nats.Option) ([]nats.Option, error) {
	return a.options(*a.Nkey, extra...)
}

func (a NATSAuth) options(seed string, extra ...nats.Option) ([]nats.Option, error) {
	opts, err := natsauth.ClientOptions(seed, *a.CA)
	if err != nil {
		return nil, err
	}
	if seed != "" && a.stderr != nil {
		w := a.stderr
		opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				fmt.Fprintf(w, "NATS refused an operation: %v; is %s the seed of the role that may do it? (docs/OPERATIONS.md, Access control on NATS)\n", err, seed)
			}
		}))
	}
	return append(extra, opts...), nil
}

// A connection pings its server every PingInterval and gives it up for
// another of the cluster's servers once MaxPingsOutstanding pings are
// unanswered: a server that hangs (paused, its host frozen) is left within
// about three intervals, where the client library's default (two minutes)
// held every append for as long as the server hung (issue 17).
const (
	PingInterval        = 2 * time.Second
	MaxPingsOutstanding = 2
)

// Connect connects to the NATS server or cluster at url, logged in as the
// flags say, with the client name, PingInterval and MaxPingsOutstanding,
// and any extra options (which may set those again). An error names
// the address and, when hint is set, what to check: "connect to NATS at
// URL: ERR (HINT)".
func (a NATSAuth) Connect(url, name, hint string, extra ...nats.Option) (*nats.Conn, error) {
	seed, byDefault := a.seed(url)
	opts, err := a.options(seed, append([]nats.Option{nats.Name(name), nats.PingInterval(PingInterval), nats.MaxPingsOutstanding(MaxPingsOutstanding)}, extra...)...)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil && errors.Is(err, nats.ErrAuthorization) {
		switch {
		case byDefault:
			hint = fmt.Sprintf("the server refused the %s seed %s: is it the 'ledger serve' of %s? Set $LEDGER_DATA to the --data of the one running, or give --nats-nkey", a.role, seed, DataDir())
		case seed == "" && a.role != "":
			hint = fmt.Sprintf("the server requires a login: give --nats-nkey with the %s seed (%s of 'ledger serve', where $LEDGER_DATA is its --data; found none in %s)", a.role, natsauth.EmbeddedSeedFile("$LEDGER_DATA", a.role), DataDir())
		case seed == "":
			hint = "the server requires a login: give --nats-nkey with your role's seed (DATA/nats/ROLE.nk of 'ledger serve', or the files of 'ledger nats-config')"
		default:
			hint = fmt.Sprintf("the server refused the seed %s: is it a seed of this server's configuration?", seed)
		}
	}
	if err != nil {
		if hint != "" {
			return nil, fmt.Errorf("connect to NATS at %s: %w (%s)", url, err, hint)
		}
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

// OpenTimeout bounds the opening of a stream and of the views.
const OpenTimeout = 30 * time.Second

// StreamOptions say what Open opens on NATS.
type StreamOptions struct {
	Name, Hint string        // the client's name and the connection error's hint, as in Connect
	Extra      []nats.Option // more options of the connection
	Config     natsjs.Config // the stream
	// ReadOnly opens the stream and the views for reading only
	// (natsjs.OpenForReading, natsjs.OpenViewsForReading), for replays
	// and verification; otherwise natsjs.Open and natsjs.OpenViews, with
	// Config.Replicas.
	ReadOnly bool
	// Views also opens the projector's views.
	Views bool
}

// Stream is a connection to NATS with the ledger's stream opened on it
// and, when asked, the projector's views.
type Stream struct {
	Conn  *nats.Conn
	Store *natsjs.Store
	Views *natsjs.Views // nil unless StreamOptions.Views
}

// Open connects to url as Connect does and opens the stream, and the
// views when o says so, within OpenTimeout. On error the connection is
// closed; otherwise close it with Close.
func (a NATSAuth) Open(ctx context.Context, url string, o StreamOptions) (*Stream, error) {
	nc, err := a.Connect(url, o.Name, o.Hint, o.Extra...)
	if err != nil {
		return nil, err
	}
	s := &Stream{Conn: nc}
	if err := s.open(ctx, o); err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stream) open(ctx context.Context, o StreamOptions) (err error) {
	ctx, cancel := context.WithTimeout(ctx, OpenTimeout)
	defer cancel()
	if o.ReadOnly {
		s.Store, err = natsjs.OpenForReading(ctx, s.Conn, o.Config)
	} else {
		s.Store, err = natsjs.Open(ctx, s.Conn, o.Config)
	}
	if err != nil || !o.Views {
		return err
	}
	if o.ReadOnly {
		s.Views, err = natsjs.OpenViewsForReading(ctx, s.Conn)
	} else {
		s.Views, err = natsjs.OpenViews(ctx, s.Conn, o.Config.Replicas)
	}
	return err
}

// Close drains the connection: what was published is flushed and the
// subscriptions' messages in hand are handled; then it closes it, at the
// latest after the connection's drain timeout. It returns why draining
// failed, having closed the connection all the same.
func (s *Stream) Close() error { return Drain(s.Conn) }

// Drain drains nc and waits until it is closed, as Stream.Close does.
func Drain(nc *nats.Conn) error {
	if nc.IsClosed() {
		return nil
	}
	err := nc.Drain()
	deadline := time.Now().Add(nc.Opts.DrainTimeout + time.Second)
	for err == nil && !nc.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	nc.Close()
	return err
}
