package projector

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lexledger/lexledger/audit"
)

// KeyFile is the name of a checkpoint signing key file, in the directory
// of DefaultKeyPath
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

// LoadOrCreateKey reads a checkpoint signing key from path, or creates one
// there (mode 0600, its directory 0700, with its verifier key in path.pub)
// when the file does not exist. It returns the signer and its verifier
// key, which auditors pin. It refuses a key file that others may read or
// write, or that another user owns: whoever reads the key can sign
// checkpoints of a rewritten history.
//
// The file holds a note signer key (PRIVATE+KEY+<origin>+...), which names
// its origin, or an nkey seed, the key of the JSON checkpoints signed
// before notes: that is read as the same ed25519 key named origin, so its
// public key stays the one auditors pinned (docs/VERIFY.md, Migration).
// origin may be empty: the key's name, or audit.DefaultOrigin for a new
// key or an nkey seed; a note key named otherwise is refused.
func LoadOrCreateKey(path, origin string) (*audit.Signer, string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path, origin)
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
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, "", fmt.Errorf("read the checkpoint signing key %s: %w", path, err)
	}
	s, err := audit.ParseSigner(string(data), origin)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return s, s.VerifierKey(), nil
}

// createKey makes a new key at path, refusing to replace a file created
// meanwhile (by another process starting at the same time): that one is
// read instead.
func createKey(path, origin string) (*audit.Signer, string, error) {
	if origin == "" {
		origin = audit.DefaultOrigin
	}
	s, err := audit.GenerateSigner(origin)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("make the directory of the checkpoint signing key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKey(path, origin)
	}
	if err != nil {
		return nil, "", fmt.Errorf("write the checkpoint signing key: %w", err)
	}
	if _, err := f.Write([]byte(s.PrivateKey() + "\n")); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("write the checkpoint signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("write the checkpoint signing key: %w", err)
	}
	if err := os.WriteFile(path+".pub", []byte(s.VerifierKey()+"\n"), 0o644); err != nil {
		return nil, "", fmt.Errorf("write the public key: %w", err)
	}
	return s, s.VerifierKey(), nil
}
