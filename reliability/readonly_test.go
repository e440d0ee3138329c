//go:build reliability

package reliability_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// (e) `ledger serve` on a data directory it cannot write stops at once
// with an error naming the directory, writes nothing, and starts when the
// directory is fixed. As root, permissions are not enforced (chmod 0500
// changes nothing), so the test then puts a regular file where the
// directory should be, which fails for root too; otherwise it uses a
// directory with mode 0500.
func TestReadOnlyDataDirectory(t *testing.T) {
	t0 := time.Now()
	lb, _ := binaries(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	how := "a directory with mode 0500"
	if os.Geteuid() == 0 {
		how = "a regular file where the directory should be (root ignores mode 0500)"
		if err := os.WriteFile(dir, []byte("not a directory"), 0o400); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := os.Mkdir(dir, 0o500); err != nil {
			t.Fatal(err)
		}
	}
	hp, np := freePort(t), freePort(t)
	p := startProc(t, lb, "serve", "--data", dir, "--projector=false", "--http", fmt.Sprintf("127.0.0.1:%d", hp), "--nats-port", strconv.Itoa(np))
	select {
	case <-p.Exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("ledger serve on %s did not stop within 30s:\n%s", how, p.Out)
	}
	out := strings.TrimSpace(p.Out.String())
	if p.Err == nil {
		t.Errorf("ledger serve on %s exited 0:\n%s", how, out)
	}
	if !strings.Contains(out, dir) && !strings.Contains(out, "data") {
		t.Errorf("the error does not name the data directory %s:\n%s", dir, out)
	}
	t.Logf("ledger serve on %s: exit %v after %s, said: %s", how, p.Err, time.Since(t0).Round(time.Millisecond), lastLine(out))

	// Fixed: it starts and records.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dir, "--projector=false")
	r, status, err := post(t.Context(), httpClient(), s.base, `{"event":{"act":"/akn/kz/act/2020-01-01/ro","type":"drafted","date":"2019","body":{"title":"t","kind":"law"}}}`)
	if err != nil || status != 201 {
		t.Fatalf("after the fix: %d %v", status, err)
	}
	verify(t, s)
	t.Logf("SUMMARY read-only: ledger serve on %s refused to start (%v: %s); after the fix it started, recorded sequence %d, verify clean; %s",
		how, p.Err, lastLine(out), r.Seq, time.Since(t0).Round(time.Millisecond))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
