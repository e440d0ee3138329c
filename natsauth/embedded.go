package natsauth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// EmbeddedDir is the directory, inside the data directory of `ledger
// serve`, that holds the access control of its embedded server: the
// configuration Generate writes, users.json and a seed per role.
const EmbeddedDir = "nats"

// EmbeddedSeedFile returns where `ledger serve --data data` keeps role's
// seed: the file the command lines look for when they connect to it.
func EmbeddedSeedFile(data string, role Role) string {
	return SeedFile(filepath.Join(data, EmbeddedDir), role)
}

// Embedded is the access control of the ledger's embedded server: the
// configuration and seeds that Generate keeps in a directory, and every
// role's key pair, read into memory, with which the processes that run the
// server log in without a file of their own.
type Embedded struct {
	Result
	Dir  string
	keys map[Role]nkeys.KeyPair
}

// SetupEmbedded writes, or keeps, the configuration for o and a seed per
// role in dir (mode 0700; each seed 0600), as Generate does, and reads the
// roles' keys. The first call creates the seeds; later calls reuse them,
// so that the clients' files stay valid. It refuses a directory or a seed
// that its group or others may read or write, saying what to run.
func SetupEmbedded(dir string, o Options) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("the NATS keys' directory %s: %w", dir, err)
	}
	if err := private(dir, "directory", "chmod 700"); err != nil {
		return nil, err
	}
	for _, role := range Roles {
		if err := private(SeedFile(dir, role), "seed", "chmod 600"); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	res, err := Generate(dir, o)
	if err != nil {
		return nil, err
	}
	e := &Embedded{Result: res, Dir: dir, keys: map[Role]nkeys.KeyPair{}}
	for _, role := range Roles {
		data, err := os.ReadFile(res.Seeds[string(role)])
		if err != nil {
			return nil, err
		}
		kp, err := nkeys.ParseDecoratedNKey(data)
		clear(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", res.Seeds[string(role)], err)
		}
		e.keys[role] = kp
	}
	return e, nil
}

// private returns an error unless path is private to its owner. A path that
// does not exist is an error that os.IsNotExist recognises.
func private(path, what, fix string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("the NATS %s %s may be read or written by its group or others (mode %04o): it holds the ledger's keys; run '%s %s' and start again",
			what, path, fi.Mode().Perm(), fix, path)
	}
	return nil
}

// ClientOptions returns the options that log a client in as role with the
// key in memory, with the inbox prefix its permissions allow.
func (e *Embedded) ClientOptions(role Role) []nats.Option {
	kp := e.keys[role]
	pub, _ := kp.PublicKey()
	return []nats.Option{nats.Nkey(pub, kp.Sign), nats.CustomInboxPrefix(InboxPrefix(pub))}
}

// Callers names each user by its role, as users.json does: the identity
// of the senders of commands over NATS (natsjs.ServiceOptions.Callers).
func (e *Embedded) Callers() map[string]string {
	names := map[string]string{}
	for role, pub := range e.Users {
		names[pub] = string(role)
	}
	return names
}

// StreamAccount returns the account of a generated configuration that
// holds the stream named name: the projector's views in AccountViews, the
// rest (the ledger's stream) in AccountLedger. natsjs.EmbeddedOptions.Place
// takes it, to move the streams of a store served without access control.
func StreamAccount(name string) string {
	if slices.Contains(viewStreams, name) {
		return AccountViews
	}
	return AccountLedger
}

// ContextFile returns the path of role's context for the nats tool in dir,
// as WriteContexts names it.
func ContextFile(dir string, role Role) string { return filepath.Join(dir, string(role)+".json") }

// WriteContexts writes, beside the seeds, a context file of the nats tool
// per role (ROLE.json: `nats --context DIR/ROLE.json ...`): the server's
// url, the role's seed, the inbox prefix its permissions allow and, for
// the roles of the clients' account, the API prefix under which they
// import the stream. The files hold paths, not secrets (mode 0600 all the
// same).
func (e *Embedded) WriteContexts(url string) error {
	for _, role := range Roles {
		c := map[string]string{
			"description":  "Lex Ledger, role " + string(role) + " (written by ledger serve)",
			"url":          url,
			"nkey":         e.Seeds[string(role)],
			"inbox_prefix": InboxPrefix(e.Users[role]),
		}
		if AccountOf(role) == AccountClients {
			c["jetstream_api_prefix"] = natsjs.StreamAPIPrefix
		}
		data, _ := json.MarshalIndent(c, "", "  ")
		if err := writeFile(ContextFile(e.Dir, role), append(data, '\n'), 0o600); err != nil {
			return err
		}
	}
	return nil
}
