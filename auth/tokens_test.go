package auth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/auth"
)

func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	f, err := auth.ReadOrNew(path)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := f.Add("alice", auth.Clerk, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, auth.SecretPrefix) || len(secret) != len(auth.SecretPrefix)+43 {
		t.Errorf("the secret %q is not the prefix and 256 bits in base64url", secret)
	}
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), secret) || strings.Contains(string(data), strings.TrimPrefix(secret, auth.SecretPrefix)) {
			t.Fatalf("the token file holds the secret:\n%s", data)
		}
		if !strings.Contains(string(data), auth.Hash(secret)) {
			t.Errorf("the token file does not hold the secret's hash:\n%s", data)
		}
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("the token file's mode is %v, want -rw-------", st.Mode().Perm())
		}
		back, err := auth.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tok, ok := back.Lookup(secret)
		if !ok || tok.Name != "alice" || tok.Role != auth.Clerk {
			t.Errorf("the secret finds %+v (found %v), want alice the clerk", tok, ok)
		}
		if _, ok := back.Lookup(secret[:len(secret)-1] + "x"); ok {
			t.Errorf("a secret with its last letter changed is taken")
		}
		if _, ok := back.Lookup(""); ok {
			t.Errorf("an empty secret is taken")
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, c := range []struct {
			name string
			role auth.Role
			want string
		}{
			{"alice", auth.Admin, "exists"},
			{"Bob Smith", auth.Clerk, "not valid"},
			{"", auth.Clerk, "not valid"},
			{"bob", "root", "not one of"},
		} {
			if _, err := f.Add(c.name, c.role, time.Now()); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Add(%q, %q) = %v, want an error saying %q", c.name, c.role, err, c.want)
			}
		}
		if err := f.Revoke("bob"); err == nil || !strings.Contains(err.Error(), "alice") {
			t.Errorf("revoking an unknown name says %v, want the names the file holds", err)
		}
		bad := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(bad, []byte(`{"version":1,"tokens":[{"name":"x","role":"clerk","sha256":"zz"}]}`), 0o600)
		if _, err := auth.ReadFile(bad); err == nil || !strings.Contains(err.Error(), "64 hex") {
			t.Errorf("a file with a bad hash reads with %v, want an error about the hash", err)
		}
		if _, err := auth.ReadFile(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "ledger token add") {
			t.Errorf("a missing file reads with %v, want an error that says how to make one", err)
		}
	})

	t.Run("Revoke", func(t *testing.T) {
		if err := f.Revoke("alice"); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.Lookup(secret); ok {
			t.Errorf("a revoked secret is still taken")
		}
	})
}
