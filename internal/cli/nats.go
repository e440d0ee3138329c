package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/lexledger/lexledger/natsauth"
	"github.com/nats-io/nats.go"
)

// NATSAuth holds the flags with which a command logs in to a NATS server
// that has access control ('ledger nats-config').
type NATSAuth struct {
	Nkey, CA *string
	stderr   io.Writer
}

// AddNATSAuth registers --nats-nkey and --nats-ca on fs, with
// $LEDGER_NATS_NKEY and $LEDGER_NATS_CA as their defaults.
func AddNATSAuth(fs *flag.FlagSet) NATSAuth {
	return NATSAuth{
		stderr: fs.Output(),
		Nkey:   fs.String("nats-nkey", EnvOr("LEDGER_NATS_NKEY", ""), "log in to NATS with the nkey seed in this file, the role's ROLE.nk written by 'ledger nats-config' ($LEDGER_NATS_NKEY)"),
		CA:     fs.String("nats-ca", EnvOr("LEDGER_NATS_CA", ""), "trust the NATS server's TLS certificate if this CA (PEM file) signed it ($LEDGER_NATS_CA)"),
	}
}

// Set reports whether either flag was given.
func (a NATSAuth) Set() bool { return *a.Nkey != "" || *a.CA != "" }

// Options returns extra followed by the options the flags ask for; a seed
// or CA file that cannot be used is an error that says why. With a seed,
// the server's permission violations, which reach a client only
// asynchronously (the request itself just times out), are written to the
// command's error output with what to check.
func (a NATSAuth) Options(extra ...nats.Option) ([]nats.Option, error) {
	opts, err := natsauth.ClientOptions(*a.Nkey, *a.CA)
	if err != nil {
		return nil, err
	}
	if *a.Nkey != "" && a.stderr != nil {
		seed, w := *a.Nkey, a.stderr
		opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				fmt.Fprintf(w, "NATS refused an operation: %v; is %s the seed of the role that may do it? (docs/OPERATIONS.md, Access control on NATS)\n", err, seed)
			}
		}))
	}
	return append(extra, opts...), nil
}
