package projector

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lexledger/lexledger/audit"
)

// LoadOrCreateKey reads a checkpoint signing key from path, or creates one
// there (mode 0600, with its verifier key in path.pub) when the file does
// not exist. It returns the signer and its verifier key, which auditors
// pin.
//
// The file holds a note signer key (PRIVATE+KEY+<origin>+...), which names
// its origin, or an nkey seed, the key of the JSON checkpoints signed
// before notes: that is read as the same ed25519 key named origin, so its
// public key stays the one auditors pinned (docs/VERIFY.md, Migration).
// origin may be empty: the key's name, or audit.DefaultOrigin for a new
// key or an nkey seed; a note key named otherwise is refused.
func LoadOrCreateKey(path, origin string) (*audit.Signer, string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if origin == "" {
			origin = audit.DefaultOrigin
		}
		s, err := audit.GenerateSigner(origin)
		if err != nil {
			return nil, "", err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(path, []byte(s.PrivateKey()+"\n"), 0o600); err != nil {
			return nil, "", fmt.Errorf("write the signing key: %w", err)
		}
		if err := os.WriteFile(path+".pub", []byte(s.VerifierKey()+"\n"), 0o644); err != nil {
			return nil, "", fmt.Errorf("write the public key: %w", err)
		}
		return s, s.VerifierKey(), nil
	}
	if err != nil {
		return nil, "", err
	}
	s, err := audit.ParseSigner(string(data), origin)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return s, s.VerifierKey(), nil
}
