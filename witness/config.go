package witness

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Log is a log a witness witnesses: its origin (the first line of its
// checkpoints) and the note verifier keys (name+hash+base64, Ed25519) of
// which one at least must have signed a checkpoint.
type Log struct {
	Origin       string
	VerifierKeys []string
}

// verifiers returns the log's keys as note verifiers.
func (l Log) verifiers() (note.Verifiers, error) {
	if l.Origin == "" {
		return nil, fmt.Errorf("a log without an origin: give the first line of its checkpoints")
	}
	if len(l.VerifierKeys) == 0 {
		return nil, fmt.Errorf("log %q has no verifier key: give the key its checkpoints are signed with (name+hash+base64)", l.Origin)
	}
	vs := make([]note.Verifier, 0, len(l.VerifierKeys))
	for _, vk := range l.VerifierKeys {
		v, err := note.NewVerifier(strings.TrimSpace(vk))
		if err != nil {
			return nil, fmt.Errorf("log %q: verifier key %q: %v (want an Ed25519 note verifier key, name+hash+base64, as note.GenerateKey writes it)", l.Origin, clip(vk), err)
		}
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}

// ParseLogs reads a logs file: one log a line, its origin then one or more
// verifier keys, separated by spaces; blank lines and lines starting with
// '#' are skipped. An origin may not contain spaces there.
//
//	# origin                 verifier key(s)
//	lexledger.example/ledger lexledger.example/ledger+1a2b3c4d+AQ...
func ParseLogs(r io.Reader) ([]Log, error) {
	var logs []Log
	seen := make(map[string]int)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: %q: want the log's origin and its verifier key(s), separated by spaces", n, clip(line))
		}
		if prev, ok := seen[f[0]]; ok {
			return nil, fmt.Errorf("line %d: origin %q is already on line %d: put all its keys on one line", n, f[0], prev)
		}
		seen[f[0]] = n
		l := Log{Origin: f[0], VerifierKeys: f[1:]}
		if _, err := l.verifiers(); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		logs = append(logs, l)
	}
	return logs, sc.Err()
}
