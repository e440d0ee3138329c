package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile, in an embedded store's directory, is held (flock) by the one
// process whose embedded server uses the store: two servers on one store
// would corrupt it. The kernel releases it when the process ends, however
// it ends.
const lockFile = "lexledger.lock"

// lockData takes the store directory's lock, creating the directory if
// needed; unlock releases it. what names the command, for the error.
func lockData(dir, what string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the data directory %s is in use by another process ('ledger serve', backup or restore): stop it before %s, or use --nats-url to go through its server", dir, what)
		}
		return nil, fmt.Errorf("lock the data directory %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
