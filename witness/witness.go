package witness

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/lexledger/lexledger/merkle"
)

// MaxProofHashes is the most consistency proof lines a request may carry
// (C2SP tlog-witness).
const MaxProofHashes = 63

// emptyRoot is the root of the empty tree, the state of a log the witness
// never cosigned.
var emptyRoot = merkle.Hash(sha256.Sum256(nil))

// Options configure a witness.
type Options struct {
	// Logs are the logs the witness witnesses.
	Logs []Log
	// Now gives the time of cosignatures; nil means time.Now.
	Now func() time.Time
	// Log records each cosignature and refusal; nil discards them.
	Log *slog.Logger
}

// Witness cosigns checkpoints of the logs it is configured with, each only
// if it extends the last one it cosigned for the same origin. Its methods
// are safe for concurrent use.
type Witness struct {
	dir      string
	cosigner *Cosigner
	logs     map[string]*logState
	log      *slog.Logger
	lock     *os.File
}

// logState is what the witness knows of one log; mu serialises the check
// of a submission against the state and the state's update.
type logState struct {
	verifiers note.Verifiers
	mu        sync.Mutex
	size      uint64
	root      merkle.Hash
}

// Init creates a witness directory: a new key named name (a URL-like name
// without scheme, such as witness.example.org/w1) in dir/witness.key, mode
// 0600, and its verifier key in dir/witness.vkey. It returns the verifier
// key, which logs configure. It refuses a directory that has a key.
func Init(dir, name string) (vkey string, err error) {
	if err := os.MkdirAll(filepath.Join(dir, logsDir), 0o700); err != nil {
		return "", fmt.Errorf("witness directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		return "", fmt.Errorf("%s already holds a witness key: a witness keeps its key for life (its verifier key is configured by the logs' clients); use another directory for a new witness", dir)
	}
	skey, vkey, err := GenerateKey(rand.Reader, name)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, KeyFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("witness key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("witness key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("witness key: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("witness key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, VerifierKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("witness verifier key: %w", err)
	}
	return vkey, syncDir(dir)
}

// Open opens the witness in dir, made by Init: it reads its key and the
// state of every log, and holds the directory's lock until Close (one
// witness process per directory). The key file must not be readable by
// group or others.
func Open(dir string, opts Options) (*Witness, error) {
	keyPath := filepath.Join(dir, KeyFile)
	fi, err := os.Stat(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no witness key in %s: create one with 'ledger witness init --dir %s --name NAME'", dir, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("witness key %s has mode %v, readable by others: chmod 600 %s", keyPath, fi.Mode().Perm(), keyPath)
	}
	skey, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	cosigner, err := NewCosigner(string(skey), opts.Now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, logsDir), 0o700); err != nil {
		return nil, fmt.Errorf("witness directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	w := &Witness{dir: dir, cosigner: cosigner, logs: make(map[string]*logState), log: opts.Log, lock: lock}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	records, err := readRecords(dir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	for _, l := range opts.Logs {
		vs, err := l.verifiers()
		if err != nil {
			lock.Close()
			return nil, err
		}
		if _, dup := w.logs[l.Origin]; dup {
			lock.Close()
			return nil, fmt.Errorf("log %q is configured twice: give all its keys in one entry", l.Origin)
		}
		ls := &logState{verifiers: vs, root: emptyRoot}
		if r, ok := records[l.Origin]; ok {
			ls.size = r.Size
			ls.root, _ = r.root() // checked by readRecords
		}
		w.logs[l.Origin] = ls
	}
	return w, nil
}

func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the witness directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the witness directory %s is in use by another witness: two witnesses on one state could cosign a fork; stop the other first", dir)
		}
		return nil, fmt.Errorf("lock the witness directory: %w", err)
	}
	return f, nil
}

// Close releases the witness's directory.
func (w *Witness) Close() error { return w.lock.Close() }

// VerifierKey returns the witness's cosignature/v1 verifier key.
func (w *Witness) VerifierKey() string { return w.cosigner.VerifierKey() }

// Latest returns the size and root of the last checkpoint the witness
// cosigned for origin; ok is false for an origin it does not witness.
// A log never cosigned has size 0 and the empty tree's root.
func (w *Witness) Latest(origin string) (size uint64, root merkle.Hash, ok bool) {
	ls, ok := w.logs[origin]
	if !ok {
		return 0, merkle.Hash{}, false
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.size, ls.root, true
}

// Add cosigns the signed checkpoint note signed, if it may: the origin is
// one the witness witnesses, one of the log's keys signed it, oldSize is
// the size the witness last cosigned for the origin (0 if none), and proof
// is a consistency proof (RFC 6962) from that tree to the checkpoint's, or
// empty when the sizes are equal and the roots the same. It records the
// checkpoint durably, then returns its cosignature as note signature lines
// ("— name base64\n"), to append to the note. A refusal is an *Error
// whose Kind says which check failed (see ErrMalformed and the others).
func (w *Witness) Add(ctx context.Context, oldSize uint64, proof [][]byte, signed []byte) ([]byte, error) {
	text, ok := noteText(signed)
	if !ok {
		return nil, refuse(ErrMalformed, "the checkpoint is not a signed note: want its text, a blank line, and its signature lines")
	}
	cp, err := ParseCheckpoint(text)
	if err != nil {
		return nil, err
	}
	ls, ok := w.logs[cp.Origin]
	if !ok {
		return nil, refuse(ErrUnknownOrigin, fmt.Sprintf("this witness does not witness the log %q: its operator adds the origin and the log's verifier key to the witness's logs", cp.Origin))
	}
	if _, err := note.Open(signed, ls.verifiers); err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, refuse(ErrUnverified, fmt.Sprintf("the checkpoint of %q at size %d is not signed by a key this witness trusts for that log", cp.Origin, cp.Size))
		case errors.As(err, &invalid):
			return nil, refuse(ErrUnverified, fmt.Sprintf("the signature of key %s+%08x on the checkpoint of %q at size %d does not verify: the checkpoint was altered or signed by another key of that name", invalid.Name, invalid.Hash, cp.Origin, cp.Size))
		}
		return nil, refuse(ErrMalformed, fmt.Sprintf("the checkpoint is not a valid signed note: %v", err))
	}
	if oldSize > cp.Size {
		return nil, refuse(ErrMalformed, fmt.Sprintf("old size %d is above the checkpoint's size %d", oldSize, cp.Size))
	}
	hashes, err := proofHashes(proof)
	if err != nil {
		return nil, err
	}

	ls.mu.Lock()
	defer ls.mu.Unlock()
	if oldSize != ls.size {
		return nil, &Error{Kind: ErrConflict, Size: ls.size, HasSize: true,
			Msg: fmt.Sprintf("old size %d is not the size this witness last cosigned for %q, %d: send a consistency proof from size %d", oldSize, cp.Origin, ls.size, ls.size)}
	}
	if cp.Size == ls.size && ls.size > 0 && cp.Root != ls.root {
		w.log.Warn("fork: a checkpoint at the cosigned size with another root", "origin", cp.Origin, "size", cp.Size, "cosigned_root", b64(ls.root), "checkpoint", string(signed))
		return nil, refuse(ErrConflict, fmt.Sprintf("the checkpoint of %q at size %d has root %s, but this witness cosigned root %s at that size: the log shows two histories", cp.Origin, cp.Size, b64(cp.Root), b64(ls.root)))
	}
	if err := merkle.VerifyConsistency(oldSize, cp.Size, ls.root, cp.Root, hashes); err != nil {
		w.log.Warn("consistency proof refused", "origin", cp.Origin, "old_size", oldSize, "size", cp.Size, "err", err, "checkpoint", string(signed))
		return nil, refuse(ErrBadProof, fmt.Sprintf("the checkpoint of %q at size %d is not shown to extend the one cosigned at size %d: %v", cp.Origin, cp.Size, oldSize, err))
	}
	sigs, err := signatureLines(text, w.cosigner)
	if err != nil {
		return nil, refuse(ErrInternal, fmt.Sprintf("cosign: %v", err))
	}
	if err := ctx.Err(); err != nil {
		return nil, refuse(ErrInternal, fmt.Sprintf("the request ended before the checkpoint was recorded: %v", err))
	}
	r := record{Origin: cp.Origin, Size: cp.Size, Root: b64(cp.Root), Checkpoint: string(signed) + string(sigs), CosignedAt: time.Now().UTC()}
	if err := writeRecord(w.dir, r); err != nil {
		w.log.Error("cannot record the cosigned checkpoint", "origin", cp.Origin, "size", cp.Size, "err", err)
		return nil, refuse(ErrInternal, fmt.Sprintf("the witness could not record the checkpoint, so it did not cosign it: %v", err))
	}
	ls.size, ls.root = cp.Size, cp.Root
	w.log.Info("cosigned", "origin", cp.Origin, "old_size", oldSize, "size", cp.Size, "root", b64(cp.Root))
	return sigs, nil
}

// proofHashes checks the consistency proof's shape: at most
// MaxProofHashes hashes of 32 bytes.
func proofHashes(proof [][]byte) ([]merkle.Hash, error) {
	if len(proof) > MaxProofHashes {
		return nil, refuse(ErrMalformed, fmt.Sprintf("the consistency proof has %d hashes, more than the %d a proof can need", len(proof), MaxProofHashes))
	}
	hashes := make([]merkle.Hash, len(proof))
	for i, p := range proof {
		if len(p) != len(merkle.Hash{}) {
			return nil, refuse(ErrMalformed, fmt.Sprintf("consistency proof hash %d has %d bytes, want 32 (SHA-256)", i+1, len(p)))
		}
		copy(hashes[i][:], p)
	}
	return hashes, nil
}

func b64(h merkle.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// Origins returns the origins the witness witnesses.
func (w *Witness) Origins() []string {
	out := make([]string, 0, len(w.logs))
	for o := range w.logs {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}
