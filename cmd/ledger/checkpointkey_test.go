package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/projector"
)

// The embedded ledger keeps its signing key outside the data directory;
// a key still found in the data directory (before version 14) is used,
// with a warning that says how to move it.
func TestServeCheckpointKeyLocation(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		s := startServe(t, dir)
		want, err := projector.DefaultKeyPath()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s.stderr.String(), "key_file="+want) {
			t.Errorf("serve does not say it signs with %s:\n%s", want, s.stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, projector.KeyFile)); err == nil {
			t.Errorf("serve made a signing key inside its data directory")
		}
		if strings.Contains(s.stderr.String(), "inside the data directory") {
			t.Errorf("serve warns of a key in the data directory where there is none:\n%s", s.stderr.String())
		}
	})
	t.Run("OldLocationWarned", func(t *testing.T) {
		dir := t.TempDir()
		old := filepath.Join(dir, projector.KeyFile)
		_, pub, err := projector.LoadOrCreateKey(old, "")
		if err != nil {
			t.Fatal(err)
		}
		s := startServe(t, dir)
		out := s.stderr.String()
		if !strings.Contains(out, "key_file="+old) || !strings.Contains(out, "public_key="+pub) {
			t.Errorf("serve does not sign with the key left in its data directory, %s (%s):\n%s", old, pub, out)
		}
		if !strings.Contains(out, "inside the data directory") || !strings.Contains(out, "mv "+old+" "+old+".pub") {
			t.Errorf("serve does not warn that the key is in the data directory, nor say how to move it:\n%s", out)
		}
	})
	t.Run("ErrReadableByOthers", func(t *testing.T) {
		dir := t.TempDir()
		key := filepath.Join(t.TempDir(), "k.nk")
		if _, _, err := projector.LoadOrCreateKey(key, ""); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(key, 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, err := ledgerCmd(t, "serve", "--data", dir, "--http", "127.0.0.1:0", "--nats-port", "-1", "--checkpoint-key", key)
		if err == nil || !strings.Contains(err.Error()+stderr, "chmod 600 "+key) {
			t.Errorf("serve with a signing key readable by others: got %v (%s), want a refusal that says to chmod 600", err, stderr)
		}
	})
}
