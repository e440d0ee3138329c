package cli_test

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/internal/cli"
)

// An HTTP server without --auth says so when it answers more than this
// machine.
func TestServeFlagsWarnWhenOpen(t *testing.T) {
	t.Setenv("LEDGER_AUTH", "")
	for _, c := range []struct {
		addr string
		warn bool
	}{
		{"127.0.0.1:8080", false},
		{"[::1]:8080", false},
		{"localhost:8080", false},
		{"0.0.0.0:8080", true},
		{":8080", true},
		{"10.1.2.3:8080", true},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		sf := cli.AddServeFlags(fs)
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		sec, err := sf.Open(c.addr, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "HTTP is open"); got != c.warn {
			t.Errorf("serving %s without --auth: warned %v, want %v (log %q)", c.addr, got, c.warn, logs.String())
		}
		if sec.Identify() != nil || sec.Scheme() != "http" {
			t.Errorf("without --auth and TLS the server identifies requests itself or serves %s", sec.Scheme())
		}
	}
}
