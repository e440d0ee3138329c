//go:build unix

package projector

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkKeyFile refuses a signing key that someone other than its owner
// may read or write, or that a user other than this process's user (or
// root) owns: the rule ssh applies to private keys. Whoever reads the seed
// can sign checkpoints of a rewritten history.
func checkKeyFile(path string, st fs.FileInfo) error {
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("checkpoint signing key %s may be read or written by users other than its owner (mode %v): whoever reads it can sign checkpoints of a rewritten history; run 'chmod 600 %s' (and rotate the key if others may have read it: docs/RUNBOOK.md)", path, perm, path)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if ok && sys.Uid != 0 && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("checkpoint signing key %s belongs to user %d, not the user this projector runs as (%d): run 'chown %d %s' as root, or give this projector a key of its own", path, sys.Uid, os.Geteuid(), os.Geteuid(), path)
	}
	return nil
}
