package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/witness"
)

// Bad witness flags stop projector serve before it connects to anything,
// saying what to do (the NATS URL given leads nowhere).
func TestServeWitnessFlags(t *testing.T) {
	_, vkey, err := witness.GenerateKey(strings.NewReader(strings.Repeat("k", 64)), "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--witness", "http://w.example"}, "want URL=VKEY or URL=@FILE"},
		{[]string{"--witness", "http://w.example=@" + filepath.Join(t.TempDir(), "none")}, "cannot read its verifier key"},
		{[]string{"--witness", "http://w.example=w+00000000+AAAA"}, "verifier key"},
		{[]string{"--witness", "http://w.example=" + vkey, "--witness-quorum", "2"}, "between 1 and the 1 witness"},
		{[]string{"--witness", "http://w.example=" + vkey, "--witness-quorum", "-1"}, "between 1 and the 1 witness"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"serve", "--nats-url", "nats://127.0.0.1:1", "--http", "127.0.0.1:0"}, tc.args...), &stdout, &stderr)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %s: %v; want an error saying %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
