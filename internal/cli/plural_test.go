package cli_test

import (
	"testing"

	"github.com/lexledger/lexledger/internal/cli"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{cli.Count(0, "checkpoint"), "0 checkpoints"},
		{cli.Count(1, "checkpoint"), "1 checkpoint"},
		{cli.Count(uint64(2), "event"), "2 events"},
		{cli.Count(int64(-1), "event"), "-1 events"},
		{cli.Count(1, "act changed status", "acts changed status"), "1 act changed status"},
		{cli.Count(3, "act changed status", "acts changed status"), "3 acts changed status"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
