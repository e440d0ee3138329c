//go:build unix

package auth

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkSafe refuses a token file that someone other than its owner may
// write, or that a user other than root or this process's user owns:
// whoever can write the file can give themselves a token (the rule sshd
// applies to authorized_keys). A file only readable by others is allowed:
// it holds hashes, not secrets.
func checkSafe(path string, st fs.FileInfo) error {
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		who := "its group"
		switch {
		case perm&0o022 == 0o022:
			who = "its group and by every user"
		case perm&0o002 != 0:
			who = "every user"
		}
		return fmt.Errorf("token file %s may be written by %s (mode %v), who could give themselves a token: run 'chmod 600 %s'", path, who, perm, path)
	}
	if uid, ok := ownerOf(st); ok && uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("token file %s belongs to user %d, neither root nor the user this server runs as (%d), and that user could give themselves a token: run 'chown %d %s' as root, or make the file as this server's user ('ledger token add')",
			path, uid, os.Geteuid(), os.Geteuid(), path)
	}
	return nil
}

// ownerOf returns the user who owns the file st describes.
func ownerOf(st fs.FileInfo) (uid int, ok bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(sys.Uid), true
}
