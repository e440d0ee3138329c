package projector

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lexledger/lexledger/audit"
	"github.com/nats-io/nkeys"
)

// KeyFile is the name of a checkpoint signing key file, in DefaultKeyDir
// (and, before version 14, in the ledger's data directory).
const KeyFile = "checkpoint.nk"

// DefaultKeyPath returns where a checkpoint signing key is kept unless
// told otherwise: $XDG_CONFIG_HOME/lexledger/checkpoint.nk, or
// ~/.config/lexledger/checkpoint.nk when XDG_CONFIG_HOME is not set. It is
// outside the ledger's data directory on purpose: whoever holds the data
// directory (a backup, a copy) must not also hold the key that vouches
// for it (docs/VERIFY.md, Threat model). An error when neither variable
// names a directory.
func DefaultKeyPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) { // the XDG rule: a relative value is ignored
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return "", fmt.Errorf("no directory for the checkpoint signing key: set HOME or XDG_CONFIG_HOME, or give --checkpoint-key FILE")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "lexledger", KeyFile), nil
}

// LoadOrCreateKey reads a checkpoint signing key (an nkey seed) from path,
// or creates one there (mode 0600, its directory 0700) when the file does
// not exist, with the public key beside it in path.pub. It returns the
// key pair and its public key, which auditors pin. It refuses a key file
// that others may read or write, or that another user owns: whoever reads
// the seed can sign checkpoints of a rewritten history.
func LoadOrCreateKey(path string) (nkeys.KeyPair, string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint signing key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint signing key: %w", err)
	}
	if err := checkKeyFile(path, st); err != nil {
		return nil, "", err
	}
	data := make([]byte, 256)
	n, err := f.Read(data)
	if err != nil {
		return nil, "", fmt.Errorf("read the checkpoint signing key %s: %w", path, err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(data[:n]))))
	if err != nil {
		return nil, "", fmt.Errorf("%s does not hold an nkey seed: %w", path, err)
	}
	pub, err := kp.PublicKey()
	return kp, pub, err
}

// createKey makes a new key at path, refusing to replace a file created
// meanwhile (by another process starting at the same time): that one is
// read instead.
func createKey(path string) (nkeys.KeyPair, string, error) {
	kp, seed, pub, err := audit.NewSigningKey()
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("make the directory of the checkpoint signing key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKey(path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("write the checkpoint signing key: %w", err)
	}
	if _, err := f.Write(append(seed, '\n')); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("write the checkpoint signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("write the checkpoint signing key: %w", err)
	}
	if err := os.WriteFile(path+".pub", []byte(pub+"\n"), 0o644); err != nil {
		return nil, "", fmt.Errorf("write the public key: %w", err)
	}
	return kp, pub, nil
}
