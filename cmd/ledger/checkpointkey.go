package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/lexledger/lexledger/projector"
)

// defaultCheckpointKey returns the signing key of the embedded ledger's
// projector when --checkpoint-key is not given: the key left in the data
// directory by a version before 14, with a warning that says how to move
// it out, or else projector.DefaultKeyPath, outside the data directory.
func defaultCheckpointKey(data string, log *slog.Logger) (string, error) {
	old := filepath.Join(data, projector.KeyFile)
	if _, err := os.Stat(old); err == nil {
		move := "mv " + old + " " + old + ".pub to a directory of your own, and give --checkpoint-key FILE"
		if to, err := projector.DefaultKeyPath(); err == nil {
			dir := filepath.Dir(to)
			move = "mkdir -m 700 -p " + dir + " && mv " + old + " " + old + ".pub " + dir + "/"
		}
		log.Warn("the checkpoint signing key is inside the data directory, where whoever holds a copy of the data also holds the key that vouches for it: it is used this time; move it out (docs/VERIFY.md, Threat model)",
			"key_file", old, "move", move)
		return old, nil
	}
	return projector.DefaultKeyPath()
}
