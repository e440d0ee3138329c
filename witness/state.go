package witness

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lexledger/lexledger/internal/atomicfile"
	"github.com/lexledger/lexledger/merkle"
)

// The witness's directory holds its key, its lock and one state file per
// log.
const (
	// KeyFile holds the witness's note signer key, mode 0600.
	KeyFile = "witness.key"
	// VerifierKeyFile holds its cosignature/v1 verifier key, public.
	VerifierKeyFile = "witness.vkey"
	lockFile        = "witness.lock" // flock: one witness process per directory
	logsDir         = "logs"         // <sha256(origin) in hex>.json
)

// record is the state of one log, as stored: the last checkpoint the
// witness cosigned, with the log's signatures and the cosignature.
type record struct {
	Origin     string    `json:"origin"`
	Size       uint64    `json:"size"`
	Root       string    `json:"root"` // base64, as in the checkpoint
	Checkpoint string    `json:"checkpoint"`
	CosignedAt time.Time `json:"cosigned_at"`
}

func recordPath(dir, origin string) string {
	sum := sha256.Sum256([]byte(origin))
	return filepath.Join(dir, logsDir, hex.EncodeToString(sum[:])+".json")
}

// writeRecord stores r durably: into a temporary file that is synced, then
// renamed over the old state, then the directory synced, so that a crash
// leaves either the old state or the new, whole.
func writeRecord(dir string, r record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(recordPath(dir, r.Origin), append(data, '\n'), 0o600)
}

// readRecords reads the state of every log in dir, by origin.
func readRecords(dir string) (map[string]record, error) {
	entries, err := os.ReadDir(filepath.Join(dir, logsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]record{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]record)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue // temporary files of an interrupted write
		}
		path := filepath.Join(dir, logsDir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var r record
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("witness state %s: %v: restore it from a backup; do not delete it, or this witness may cosign a fork", path, err)
		}
		if recordPath(dir, r.Origin) != path {
			return nil, fmt.Errorf("witness state %s holds origin %q, whose file is %s: the file was renamed or altered", path, r.Origin, filepath.Base(recordPath(dir, r.Origin)))
		}
		if _, err := r.root(); err != nil {
			return nil, fmt.Errorf("witness state %s: %v", path, err)
		}
		out[r.Origin] = r
	}
	return out, nil
}

func (r record) root() (merkle.Hash, error) {
	var h merkle.Hash
	b, err := base64.StdEncoding.DecodeString(r.Root)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("root %q is not a base64 32-byte hash", r.Root)
	}
	copy(h[:], b)
	return h, nil
}

// syncDir syncs directory dir, so that the files created in it survive a
// crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
