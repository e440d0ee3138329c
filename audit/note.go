package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/merkle"
	"golang.org/x/mod/sumdb/note"
)

// A checkpoint note is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint),
// a signed note (https://c2sp.org/signed-note) whose text is:
//
//	<origin>
//	<tree size, decimal>
//	<root hash, standard base64>
//	stream_seq <the stream sequence of the tree's last leaf, decimal>
//	time <when it was signed, RFC 3339 with nanoseconds, UTC>
//
// then a blank line and one signature line, "— <origin> <base64 of the
// 4-byte key hash and the ed25519 signature of the text>". The last two
// lines are extension lines: the standard leaves them to the log, and
// clients that do not know them ignore them; being part of the text, they
// are signed. Lines after them are ignored, so that names can be added.
const (
	extStreamSeq = "stream_seq "
	extTime      = "time "
)

// ErrUnpinned is returned by Verify for a note checked with no trusted key
// and none named beside it: a note names only its key's name and hash, so
// its signature cannot be checked.
var ErrUnpinned = errors.New("no trusted key given: a checkpoint note names its key only by name and hash, so its signature was not checked (pin the key: verify --key)")

// NoteText returns the text a checkpoint note signs, as above.
func (c *Checkpoint) NoteText() string {
	var b strings.Builder
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(c.TreeSize, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root[:]))
	b.WriteByte('\n')
	b.WriteString(extStreamSeq)
	b.WriteString(strconv.FormatUint(c.StreamSeq, 10))
	b.WriteByte('\n')
	b.WriteString(extTime)
	b.WriteString(c.Time.UTC().Format(time.RFC3339Nano))
	b.WriteByte('\n')
	return b.String()
}

// Sign signs c as a note with s: it sets Origin (the key's name), Time in
// UTC, Key (s's verifier key), Note and Signature.
func (c *Checkpoint) Sign(s *Signer) error {
	c.Origin = s.Origin()
	c.Time = c.Time.UTC()
	msg, err := note.Sign(&note.Note{Text: c.NoteText()}, s.note)
	if err != nil {
		return fmt.Errorf("sign the checkpoint note: %w", err)
	}
	c.Key = s.VerifierKey()
	c.Note = string(msg)
	c.Signature = signatureOf(msg, c.Origin)
	return nil
}

// signatureOf returns the base64 of the first signature line of msg by
// name, empty for none.
func signatureOf(msg []byte, name string) string {
	_, sigs, _ := strings.Cut(string(msg), "\n\n")
	for line := range strings.Lines(sigs) {
		if rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "— "+name+" "); ok {
			return rest
		}
	}
	return ""
}

// ParseNote reads a stored checkpoint note: its fields from its text,
// without checking its signatures (Verify does). Key is left empty: the
// note names its key only by name and hash.
func ParseNote(data []byte) (Checkpoint, error) {
	// With no verifier, a well-formed note opens as unverified.
	_, err := note.Open(data, nil)
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		if err == nil {
			err = errors.New("no verifier given, yet verified") // unreachable
		}
		return Checkpoint{}, fmt.Errorf("not a signed checkpoint note: %w", err)
	}
	c, err := parseNoteText(unverified.Note.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	c.Note = string(data)
	c.Signature = signatureOf(data, c.Origin)
	return c, nil
}

// parseNoteText reads the text of a checkpoint note.
func parseNoteText(text string) (Checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 5 {
		return Checkpoint{}, fmt.Errorf("a checkpoint note has an origin, a tree size, a root hash, a stream_seq and a time line; this one has %d lines", len(lines))
	}
	var c Checkpoint
	c.Origin = lines[0]
	if c.Origin == "" {
		return c, errors.New("the checkpoint note's origin line is empty")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return c, fmt.Errorf("the checkpoint note's tree size %q is not a decimal number", lines[1])
	}
	c.TreeSize = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != len(merkle.Hash{}) {
		return c, fmt.Errorf("the checkpoint note's root hash %q is not the base64 of 32 bytes", lines[2])
	}
	c.Root = merkle.Hash(root)
	seq, ok := strings.CutPrefix(lines[3], extStreamSeq)
	if c.StreamSeq, err = strconv.ParseUint(seq, 10, 64); !ok || err != nil {
		return c, fmt.Errorf("the checkpoint note's fourth line %q is not \"stream_seq N\"", lines[3])
	}
	at, ok := strings.CutPrefix(lines[4], extTime)
	if c.Time, err = time.Parse(time.RFC3339Nano, at); !ok || err != nil {
		return c, fmt.Errorf("the checkpoint note's fifth line %q is not \"time\" and an RFC 3339 time", lines[4])
	}
	return c, nil
}

// verifyNote checks a note's signature by one of trusted (or by its own
// Key when none), and that c's fields are the note's.
func (c *Checkpoint) verifyNote(trusted []TrustedKey) error {
	p, err := ParseNote([]byte(c.Note))
	if err != nil {
		return fmt.Errorf("checkpoint at tree size %d: %w", c.TreeSize, err)
	}
	if len(trusted) == 0 {
		if c.Key == "" {
			return fmt.Errorf("checkpoint at tree size %d: %w", c.TreeSize, ErrUnpinned)
		}
		k, err := ParseTrustedKey(c.Key)
		if err != nil {
			return fmt.Errorf("checkpoint at tree size %d names key %q: %w", c.TreeSize, c.Key, err)
		}
		trusted = []TrustedKey{k}
	}
	n, err := note.Open([]byte(c.Note), trustedVerifiers{keys: trusted, origin: p.Origin})
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		var by []string
		for _, s := range unverified.Note.UnverifiedSigs {
			by = append(by, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
		}
		return fmt.Errorf("checkpoint at tree size %d is signed by %s, which is not a trusted key", c.TreeSize, strings.Join(by, " and "))
	case errors.As(err, &invalid):
		return fmt.Errorf("checkpoint at tree size %d: the signature of %s+%08x does not verify: the note was altered, or forged", c.TreeSize, invalid.Name, invalid.Hash)
	case err != nil:
		return fmt.Errorf("checkpoint at tree size %d: %w", c.TreeSize, err)
	}
	byOrigin := false
	for _, s := range n.Sigs {
		byOrigin = byOrigin || s.Name == p.Origin
	}
	if !byOrigin {
		return fmt.Errorf("checkpoint at tree size %d of origin %s is signed by a trusted key, but not under its origin", c.TreeSize, p.Origin)
	}
	if c.Origin != p.Origin || c.TreeSize != p.TreeSize || c.Root != p.Root || c.StreamSeq != p.StreamSeq || !c.Time.Equal(p.Time) {
		return fmt.Errorf("checkpoint at tree size %d: its fields (origin %s, tree size %d, root %s, stream_seq %d) are not those of its signed note (origin %s, tree size %d, root %s, stream_seq %d)",
			c.TreeSize, c.Origin, c.TreeSize, c.Root, c.StreamSeq, p.Origin, p.TreeSize, p.Root, p.StreamSeq)
	}
	return nil
}
