package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/lexledger/lexledger/merkle"
)

// Checkpoint is the note text of a C2SP tlog-checkpoint: the log's origin,
// its tree size and the RFC 6962 root hash at that size, and any extension
// lines (opaque to a witness, but covered by its cosignature).
type Checkpoint struct {
	Origin     string
	Size       uint64
	Root       merkle.Hash
	Extensions []string
}

// ParseCheckpoint parses a checkpoint's note text (the signed note without
// its signature block): at least three newline-terminated lines, the
// origin (non-empty), the tree size (decimal, no leading zeroes) and the
// base64 root hash (32 bytes, SHA-256), then non-empty extension lines.
// Errors wrap ErrMalformed.
func ParseCheckpoint(text string) (Checkpoint, error) {
	bad := func(format string, args ...any) (Checkpoint, error) {
		return Checkpoint{}, refuse(ErrMalformed, "checkpoint: "+fmt.Sprintf(format, args...))
	}
	if !strings.HasSuffix(text, "\n") {
		return bad("the note text does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return bad("the note text has %d lines, want at least 3 (origin, tree size, root hash)", len(lines))
	}
	var c Checkpoint
	c.Origin = lines[0]
	if c.Origin == "" {
		return bad("the origin line is empty")
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return bad("tree size line %q: %v", lines[1], err)
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != len(c.Root) {
		return bad("root hash line %q is not the base64 of a 32-byte SHA-256 hash", lines[2])
	}
	copy(c.Root[:], root)
	for i, ext := range lines[3:] {
		if ext == "" {
			return bad("extension line %d is empty (a blank line ends the note text)", i+1)
		}
		c.Extensions = append(c.Extensions, ext)
	}
	return c, nil
}

// String returns the checkpoint's note text, as ParseCheckpoint reads it.
func (c Checkpoint) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
	for _, ext := range c.Extensions {
		b.WriteString(ext)
		b.WriteByte('\n')
	}
	return b.String()
}

// parseSize parses an ASCII decimal with no leading zeroes ("0" for zero),
// the encoding of tree sizes in checkpoints and of the old size.
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty, want a decimal number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("has a leading zero")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("is not a decimal number")
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("is out of range")
	}
	return n, nil
}

// noteText returns the text of a signed note, the part before the blank
// line that starts its signature block (as golang.org/x/mod/sumdb/note
// splits it), to read the origin before the signatures are checked.
func noteText(msg []byte) (string, bool) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return "", false
	}
	return string(msg[:i+1]), true
}
