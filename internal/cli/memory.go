package cli

import (
	"context"
	"flag"
	"log/slog"

	"github.com/lexledger/lexledger/internal/memlimit"
)

// MemoryLimitFlag is --memory-limit, the soft limit of a service's memory.
type MemoryLimitFlag struct {
	v *string
}

// AddMemoryLimitFlag adds --memory-limit to fs, defaulting to $env or
// 'auto' (package memlimit).
func AddMemoryLimitFlag(fs *flag.FlagSet, env string) MemoryLimitFlag {
	return MemoryLimitFlag{fs.String("memory-limit", EnvOr(env, "auto"), memlimit.Usage+" ($"+env+")")}
}

// Apply parses the flag and puts the limit into effect until ctx ends; a
// value that is not a limit is an error, and nothing is set.
func (f MemoryLimitFlag) Apply(ctx context.Context, log *slog.Logger) error {
	s, err := memlimit.Parse(*f.v)
	if err != nil {
		return err
	}
	memlimit.Apply(ctx, s, log)
	return nil
}
