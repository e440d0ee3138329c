package cli

import (
	"flag"

	"github.com/lexledger/lexledger/natsauth"
	"github.com/nats-io/nats.go"
)

// NATSAuth holds the flags with which a command logs in to a NATS server
// that has access control ('ledger nats-config').
type NATSAuth struct {
	Nkey, CA *string
}

// AddNATSAuth registers --nats-nkey and --nats-ca on fs, with
// $LEDGER_NATS_NKEY and $LEDGER_NATS_CA as their defaults.
func AddNATSAuth(fs *flag.FlagSet) NATSAuth {
	return NATSAuth{
		Nkey: fs.String("nats-nkey", EnvOr("LEDGER_NATS_NKEY", ""), "log in to NATS with the nkey seed in this file, the role's ROLE.nk written by 'ledger nats-config' ($LEDGER_NATS_NKEY)"),
		CA:   fs.String("nats-ca", EnvOr("LEDGER_NATS_CA", ""), "trust the NATS server's TLS certificate if this CA (PEM file) signed it ($LEDGER_NATS_CA)"),
	}
}

// Set reports whether either flag was given.
func (a NATSAuth) Set() bool { return *a.Nkey != "" || *a.CA != "" }

// Options returns extra followed by the options the flags ask for; a seed
// or CA file that cannot be used is an error that says why.
func (a NATSAuth) Options(extra ...nats.Option) ([]nats.Option, error) {
	opts, err := natsauth.ClientOptions(*a.Nkey, *a.CA)
	if err != nil {
		return nil, err
	}
	return append(extra, opts...), nil
}
