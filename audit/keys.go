package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nkeys"
	"golang.org/x/mod/sumdb/note"
)

// DefaultOrigin is the origin of a ledger's checkpoints when none is
// configured: the first line of every checkpoint note, and the name of the
// key that signs it. Give each ledger its own (a schema-less URL the
// operator controls, such as "laws.example.gov/ledger"): witnesses and
// auditors keep their state per origin.
const DefaultOrigin = "lexledger.example/LEX"

// Signer signs checkpoints as C2SP signed notes with an ed25519 key whose
// name is the ledger's origin. The same key signs the old JSON checkpoints
// (SignLegacy), so a ledger that moves to notes keeps its public key.
type Signer struct {
	note note.Signer
	seed []byte
	pub  ed25519.PublicKey
	vkey string
}

// NewSigner returns the signer of origin with the ed25519 key of seed
// (ed25519.SeedSize bytes).
func NewSigner(origin string, seed []byte) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("an ed25519 seed has %d bytes, not %d", ed25519.SeedSize, len(seed))
	}
	if !validName(origin) {
		return nil, fmt.Errorf("origin %q: give a non-empty name without spaces or '+' (a schema-less URL such as %s)", origin, DefaultOrigin)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return nil, err
	}
	_, hash, _ := splitVerifierKey(vkey)
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%s+%s", origin, hash, base64.StdEncoding.EncodeToString(append([]byte{1}, seed...)))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("signer key of %s: %w", origin, err)
	}
	return &Signer{note: s, seed: append([]byte(nil), seed...), pub: pub, vkey: vkey}, nil
}

// GenerateSigner makes a new signing key for origin.
func GenerateSigner(origin string) (*Signer, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	return NewSigner(origin, seed)
}

// ParseSigner reads a signing key in either form a key file holds:
//   - a note signer key, PRIVATE+KEY+<origin>+<hash>+<base64 key>, as
//     golang.org/x/mod/sumdb/note writes it; its name is the origin, and
//     origin, when not empty, must be that name;
//   - an nkey seed (SU...), the form of the keys of the JSON checkpoints:
//     the note key is the same ed25519 key, named origin (DefaultOrigin
//     when empty), so its public key does not change.
func ParseSigner(text, origin string) (*Signer, error) {
	text = strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(text, "PRIVATE+KEY+"); ok {
		if _, err := note.NewSigner(text); err != nil {
			return nil, fmt.Errorf("not a note signer key (PRIVATE+KEY+name+hash+key): %w", err)
		}
		name, rest, _ := strings.Cut(rest, "+")
		_, key64, _ := strings.Cut(rest, "+")
		key, _ := base64.StdEncoding.DecodeString(key64) // checked by note.NewSigner
		if origin != "" && origin != name {
			return nil, fmt.Errorf("the key is named %s, but the origin asked for is %s: a checkpoint's origin is the name of its key", name, origin)
		}
		return NewSigner(name, key[1:])
	}
	prefix, seed, err := nkeys.DecodeSeed([]byte(text))
	if err != nil {
		return nil, errors.New("neither a note signer key (PRIVATE+KEY+...) nor an nkey seed (SU...)")
	}
	if prefix != nkeys.PrefixByteServer {
		return nil, fmt.Errorf("an nkey seed of another kind than a server key (prefix %v)", prefix)
	}
	if origin == "" {
		origin = DefaultOrigin
	}
	return NewSigner(origin, seed)
}

// Origin returns the key's name: the origin line of the notes it signs.
func (s *Signer) Origin() string { return s.note.Name() }

// VerifierKey returns the public key in the note verifier form,
// <origin>+<hash>+<base64 key>: what auditors pin (verify --key) and
// note.NewVerifier reads.
func (s *Signer) VerifierKey() string { return s.vkey }

// PrivateKey returns the key in the note signer form,
// PRIVATE+KEY+<origin>+<hash>+<base64 key>: keep it secret.
func (s *Signer) PrivateKey() string {
	_, hash, _ := splitVerifierKey(s.vkey)
	return fmt.Sprintf("PRIVATE+KEY+%s+%s+%s", s.Origin(), hash, base64.StdEncoding.EncodeToString(append([]byte{1}, s.seed...)))
}

// NKey returns the same public key as an nkey (N...): the key the old JSON
// checkpoints name, which also trusts the notes of this signer.
func (s *Signer) NKey() string {
	pub, _ := nkeys.Encode(nkeys.PrefixByteServer, s.pub)
	return string(pub)
}

// LegacyKeyPair returns the key as an nkey key pair, to sign checkpoints
// in the old JSON form (SignLegacy).
func (s *Signer) LegacyKeyPair() (nkeys.KeyPair, error) {
	return nkeys.FromRawSeed(nkeys.PrefixByteServer, s.seed)
}

// validName is the rule of note key names: non-empty, no space, no '+'.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "+ \t\n\r\v\f\u0085\u00a0")
}

func splitVerifierKey(vkey string) (name, hash, key64 string) {
	name, rest, _ := strings.Cut(vkey, "+")
	hash, key64, _ = strings.Cut(rest, "+")
	return name, hash, key64
}

// TrustedKey is a public key an auditor trusts for checkpoints, given in
// either form: a note verifier key (name+hash+base64), which trusts notes
// signed under that name and old checkpoints of the same ed25519 key; or
// an nkey (N...), which trusts old checkpoints of that key and notes it
// signed under their own origin.
type TrustedKey struct {
	Text string
	Name string // the verifier key's name; empty for an nkey
	Pub  ed25519.PublicKey
}

// ParseTrustedKey reads a trusted key in either form.
func ParseTrustedKey(s string) (TrustedKey, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "+") {
		if _, err := note.NewVerifier(s); err != nil {
			return TrustedKey{}, fmt.Errorf("key %q is not a note verifier key (name+hash+base64 key): %w", s, err)
		}
		name, _, key64 := splitVerifierKey(s)
		key, _ := base64.StdEncoding.DecodeString(key64)
		return TrustedKey{Text: s, Name: name, Pub: ed25519.PublicKey(key[1:])}, nil
	}
	raw, err := nkeys.Decode(nkeys.PrefixByteServer, []byte(s))
	if err != nil {
		return TrustedKey{}, fmt.Errorf("key %q is neither a note verifier key (name+hash+base64 key) nor a public nkey (N...): %w", s, err)
	}
	return TrustedKey{Text: s, Pub: ed25519.PublicKey(raw)}, nil
}

// ParseTrustedKeys reads each key with ParseTrustedKey.
func ParseTrustedKeys(keys []string) ([]TrustedKey, error) {
	out := make([]TrustedKey, 0, len(keys))
	for _, k := range keys {
		t, err := ParseTrustedKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// trustedVerifiers finds, for a note of origin, the verifier of a
// signature line among the trusted keys: a verifier key by its name and
// hash; an nkey only under the name origin.
type trustedVerifiers struct {
	keys   []TrustedKey
	origin string
}

func (t trustedVerifiers) Verifier(name string, hash uint32) (note.Verifier, error) {
	for _, k := range t.keys {
		if k.Name != "" && k.Name != name || k.Name == "" && name != t.origin {
			continue
		}
		vkey, err := note.NewEd25519VerifierKey(name, k.Pub)
		if err != nil {
			continue
		}
		v, err := note.NewVerifier(vkey)
		if err == nil && v.KeyHash() == hash {
			return v, nil
		}
	}
	return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
}
