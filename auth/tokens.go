package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lexledger/lexledger/internal/atomicfile"
)

// Role is what a token may do. Role names are stored in token files and are
// append-only.
type Role string

// The roles.
const (
	// Clerk records events and reads an act's history.
	Clerk Role = "clerk"
	// Auditor uses every read, query, export and audit route and signs
	// checkpoints, but records nothing.
	Auditor Role = "auditor"
	// Admin may do everything, including the operators' routes.
	Admin Role = "admin"
)

// Roles lists the roles, least powerful first.
var Roles = []Role{Clerk, Auditor, Admin}

// ParseRole returns the role named s, or an error that lists the roles.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("role %q is not one of clerk, auditor, admin", s)
}

// Token is one entry of a token file. The secret is not in it: only its
// SHA-256 hash.
type Token struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	SHA256  string    `json:"sha256"` // hex SHA-256 of the secret
	Created time.Time `json:"created"`
}

// File is the content of a token file.
type File struct {
	Version int     `json:"version"` // FileVersion
	Tokens  []Token `json:"tokens"`
}

// FileVersion is the version of the token file format written.
const FileVersion = 1

// SecretPrefix starts every secret, so that a leaked one is recognisable
// (and findable by secret scanners).
const SecretPrefix = "lex_"

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidName reports whether name may name a token: lower-case letters,
// digits, '.', '_' and '-', up to 64, starting with a letter or digit. The
// name becomes the recording identity NAME@http.
func ValidName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("token name %q is not valid: use lower-case letters, digits, '.', '_' or '-' (up to 64), such as alice", name)
	}
	return nil
}

// NewSecret returns a new secret: SecretPrefix and 256 random bits,
// base64url.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash returns the hex SHA-256 of a secret, as stored in a token file. A
// plain hash suits a 256-bit random secret: there is nothing to guess.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ReadFile reads and checks a token file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("token file %s does not exist: create it with 'ledger token add --file %s --name NAME --role ROLE'", path, path)
		}
		return nil, fmt.Errorf("read token file: %w", err)
	}
	return parseFile(path, data)
}

// parseFile decodes and checks the content of the token file at path.
func parseFile(path string, data []byte) (*File, error) {
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("token file %s is not valid JSON (%v): fix it, or rebuild it with 'ledger token add'", path, err)
	}
	if f.Version != FileVersion {
		return nil, fmt.Errorf("token file %s has version %d; this program reads version %d", path, f.Version, FileVersion)
	}
	seen := map[string]bool{}
	for i, t := range f.Tokens {
		if err := ValidName(t.Name); err != nil {
			return nil, fmt.Errorf("token file %s, token %d: %w", path, i+1, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("token file %s names %q twice: revoke one with 'ledger token revoke'", path, t.Name)
		}
		seen[t.Name] = true
		if _, err := ParseRole(string(t.Role)); err != nil {
			return nil, fmt.Errorf("token file %s, token %q: %w", path, t.Name, err)
		}
		if b, err := hex.DecodeString(t.SHA256); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("token file %s, token %q: sha256 is not 64 hex digits", path, t.Name)
		}
	}
	return &f, nil
}

// ReadOrNew reads a token file, or returns an empty one when there is none.
func ReadOrNew(path string) (*File, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return &File{Version: FileVersion}, nil
	}
	return ReadFile(path)
}

// Write stores f at path, readable by its owner only, replacing the file
// in one rename so that a server reading it never sees half of it.
func (f *File) Write(path string) error {
	f.Version = FileVersion
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

// Add makes a token for name with role and returns its secret, which is
// not kept anywhere: show it once. A name already in f is refused.
func (f *File) Add(name string, role Role, now time.Time) (secret string, err error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", err
	}
	if slices.ContainsFunc(f.Tokens, func(t Token) bool { return t.Name == name }) {
		return "", fmt.Errorf("a token named %q exists: revoke it first ('ledger token revoke --name %s') or choose another name", name, name)
	}
	if secret, err = NewSecret(); err != nil {
		return "", err
	}
	f.Tokens = append(f.Tokens, Token{Name: name, Role: role, SHA256: Hash(secret), Created: now.UTC().Truncate(time.Second)})
	return secret, nil
}

// Revoke removes the token named name.
func (f *File) Revoke(name string) error {
	i := slices.IndexFunc(f.Tokens, func(t Token) bool { return t.Name == name })
	if i < 0 {
		var names []string
		for _, t := range f.Tokens {
			names = append(names, t.Name)
		}
		return fmt.Errorf("no token named %q; the file holds: %s", name, strings.Join(names, ", "))
	}
	f.Tokens = slices.Delete(f.Tokens, i, i+1)
	return nil
}

// Lookup returns the token whose secret is presented. It compares the
// presented secret's hash with every stored hash in constant time, so its
// duration says nothing about which hash came close.
func (f *File) Lookup(secret string) (Token, bool) {
	sum := sha256.Sum256([]byte(secret))
	var found Token
	ok := 0
	for _, t := range f.Tokens {
		want, err := hex.DecodeString(t.SHA256)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare(sum[:], want) == 1 {
			found, ok = t, 1
		}
	}
	return found, ok == 1
}
