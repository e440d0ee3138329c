//go:build unix

package projector_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/projector"
)

// A signing key is made private (0600, in a 0700 directory), read again as
// the same key, and refused once others may read or write it.
func TestLoadOrCreateKeyPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "checkpoint.nk")
	_, pub, err := projector.LoadOrCreateKey(path, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("a new signing key has mode %v, want 0600", got)
	}
	if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
		t.Errorf("the signing key's new directory has mode %v, want 0700", dst.Mode().Perm())
	}
	if _, again, err := projector.LoadOrCreateKey(path, ""); err != nil || again != pub {
		t.Errorf("the key read again is %s (%v), want %s", again, err, pub)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := projector.LoadOrCreateKey(path, "")
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("a signing key of mode %v: got %v, want a refusal that says to chmod 600", mode, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, _, err := projector.LoadOrCreateKey(path, ""); err != nil {
		t.Errorf("a signing key of mode 0400 is refused: %v", err)
	}
}

// The default key lives under XDG_CONFIG_HOME, else ~/.config, never in a
// data directory.
func TestDefaultKeyPath(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	if got, _ := projector.DefaultKeyPath(); got != filepath.Join(cfg, "lexledger", "checkpoint.nk") {
		t.Errorf("with XDG_CONFIG_HOME=%s the default key is %s", cfg, got)
	}
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", home)
	if got, _ := projector.DefaultKeyPath(); got != filepath.Join(home, ".config", "lexledger", "checkpoint.nk") {
		t.Errorf("with HOME=%s and no XDG_CONFIG_HOME the default key is %s", home, got)
	}
}
