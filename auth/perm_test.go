//go:build unix

package auth_test

import (
	"bytes"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/auth"
)

// mustTokenFile writes a token file at path with an admin token for each
// name, as 'ledger token add' does, and returns their secrets.
func mustTokenFile(t *testing.T, path string, names ...string) map[string]string {
	t.Helper()
	f, err := auth.ReadOrNew(path)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{}
	for _, name := range names {
		if secrets[name], err = f.Add(name, auth.Admin, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	return secrets
}

func mustChmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// A server refuses a token file that others may write: whoever can write
// it can give themselves a token.
func TestGuardRefusesUnsafeTokenFile(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, mode := range []fs.FileMode{0o600, 0o400, 0o640, 0o644} {
			path := filepath.Join(t.TempDir(), "tokens.json")
			mustTokenFile(t, path, "alice")
			mustChmod(t, path, mode)
			if _, err := auth.NewGuard(path, nil); err != nil {
				t.Errorf("a token file of mode %v is refused: %v", mode, err)
			}
		}
	})

	t.Run("ErrWritableByOthers", func(t *testing.T) {
		for _, c := range []struct {
			mode fs.FileMode
			who  string
		}{
			{0o620, "its group"},
			{0o602, "every user"},
			{0o666, "its group and by every user"},
			{0o622, "its group and by every user"},
		} {
			path := filepath.Join(t.TempDir(), "tokens.json")
			mustTokenFile(t, path, "alice")
			mustChmod(t, path, c.mode)
			_, err := auth.NewGuard(path, nil)
			if err == nil {
				t.Errorf("a token file of mode %v is taken, want it refused", c.mode)
				continue
			}
			for _, want := range []string{path, "written by " + c.who, "chmod 600 " + path} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("a token file of mode %v is refused with %q, which does not say %q", c.mode, err, want)
				}
			}
		}
	})

	t.Run("ErrOwnedByAnotherUser", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("only root can give a file to another user")
		}
		path := filepath.Join(t.TempDir(), "tokens.json")
		mustTokenFile(t, path, "alice")
		if err := os.Chown(path, 65534, -1); err != nil { // nobody
			t.Fatal(err)
		}
		_, err := auth.NewGuard(path, nil)
		if err == nil || !strings.Contains(err.Error(), "belongs to user 65534") || !strings.Contains(err.Error(), "chown") {
			t.Errorf("a token file of user 65534 read by root is refused with %v, want an error naming its owner and chown", err)
		}
	})
}

// A running server whose token file becomes writable by others keeps the
// tokens it read before, says so in its log, and takes the file again once
// it is fixed.
func TestGuardReloadRefusesUnsafeTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	secrets := mustTokenFile(t, path, "alice")
	var logged bytes.Buffer
	g, err := auth.NewGuard(path, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/acts", func(w http.ResponseWriter, r *http.Request) {})
	h := g.Handler(mux)
	status := func(secret string) int {
		req := httptest.NewRequest("GET", "/v1/acts", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	// waitLog asks with secret until the log says want, or fails.
	waitLog := func(secret, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * auth.ReloadEvery)
		for !strings.Contains(logged.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("the log does not say %q after %s:\n%s", want, 10*auth.ReloadEvery, logged.String())
			}
			time.Sleep(100 * time.Millisecond)
			status(secret)
		}
	}

	// Bob is added, and the file made writable by everyone.
	f, err := auth.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := f.Add("bob", auth.Admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	mustChmod(t, path, 0o666)
	waitLog(bob, "chmod 600 "+path)
	if !strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "keeping the tokens read before") {
		t.Errorf("the refusal is not logged as an error that says the old tokens are kept:\n%s", logged.String())
	}
	if got := status(secrets["alice"]); got != 200 {
		t.Errorf("alice's token, read before the file became unsafe, answers %d, want 200", got)
	}
	if got := status(bob); got != 401 {
		t.Errorf("bob's token, only in the unsafe file, answers %d, want 401", got)
	}
	if n := strings.Count(logged.String(), "is refused"); n != 1 {
		t.Errorf("the refusal of one unsafe file is logged %d times, want once:\n%s", n, logged.String())
	}

	// Fixed: the file is read again.
	mustChmod(t, path, 0o600)
	waitLog(bob, "token file reloaded")
	if got := status(bob); got != 200 {
		t.Errorf("bob's token answers %d once the file is fixed, want 200", got)
	}
}
