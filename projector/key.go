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

// LoadOrCreateKey reads a checkpoint signing key (an nkey seed) from path,
// or creates one there (mode 0600) when the file does not exist. It returns
// the key pair and its public key, which auditors pin.
func LoadOrCreateKey(path string) (nkeys.KeyPair, string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		kp, seed, pub, err := audit.NewSigningKey()
		if err != nil {
			return nil, "", err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
			return nil, "", fmt.Errorf("write the signing key: %w", err)
		}
		if err := os.WriteFile(path+".pub", []byte(pub+"\n"), 0o644); err != nil {
			return nil, "", fmt.Errorf("write the public key: %w", err)
		}
		return kp, pub, nil
	}
	if err != nil {
		return nil, "", err
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(data))))
	if err != nil {
		return nil, "", fmt.Errorf("%s does not hold an nkey seed: %w", path, err)
	}
	pub, err := kp.PublicKey()
	return kp, pub, err
}
