package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Signature types of C2SP signed-note keys: a note key (golang.org/x/mod's
// note.GenerateKey) is Ed25519, type 0x01; a cosignature/v1 verifier key
// is the same Ed25519 public key under type 0x04.
const (
	algEd25519       = 0x01
	algCosignatureV1 = 0x04
)

// cosignatureHeader starts the message a cosignature/v1 signs.
const cosignatureHeader = "cosignature/v1\n"

// GenerateKey returns a new witness key named name: skey is a note signer
// key (PRIVATE+KEY+name+hash+base64, as note.GenerateKey writes it) to
// keep secret, vkey the cosignature/v1 verifier key (name+hash+base64 of
// 0x04 and the public key) that logs and their clients configure.
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	if !validKeyName(name) {
		return "", "", fmt.Errorf("witness key name %q: want a non-empty name without spaces or '+', such as witness.example.org/w1", name)
	}
	skey, _, err = note.GenerateKey(rand, name)
	if err != nil {
		return "", "", err
	}
	c, err := NewCosigner(skey, nil)
	if err != nil {
		return "", "", err
	}
	return skey, c.VerifierKey(), nil
}

// Cosigner makes cosignature/v1 signatures. It implements note.Signer, so
// note.Sign(&note.Note{Text: checkpoint}, cosigner) cosigns a checkpoint.
type Cosigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	now  func() time.Time
}

var _ note.Signer = (*Cosigner)(nil)

// NewCosigner returns the cosigner of the Ed25519 note signer key skey
// (as GenerateKey or note.GenerateKey write it). now gives the
// cosignatures' time; nil means time.Now.
func NewCosigner(skey string, now func() time.Time) (*Cosigner, error) {
	name, key, err := parseKey(skey, "PRIVATE+KEY+", algEd25519, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("witness signing key: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	priv := ed25519.NewKeyFromSeed(key)
	pub := priv.Public().(ed25519.PublicKey)
	return &Cosigner{name: name, hash: cosignatureKeyHash(name, pub), priv: priv, now: now}, nil
}

// Name returns the witness's key name.
func (c *Cosigner) Name() string { return c.name }

// KeyHash returns the cosignature/v1 key hash,
// SHA-256(name || "\n" || 0x04 || public key)[:4].
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// Sign returns the timestamped signature of the checkpoint text msg: the
// time in seconds (8 bytes, big-endian) and the Ed25519 signature of
// "cosignature/v1\ntime <seconds>\n" followed by msg.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := c.now().Unix()
	if t < 0 {
		return nil, fmt.Errorf("cosign at %v: the clock is before 1970", c.now())
	}
	sig := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(sig, uint64(t))
	return append(sig, ed25519.Sign(c.priv, cosignedMessage(uint64(t), msg))...), nil
}

// VerifierKey returns the cosignature/v1 verifier key.
func (c *Cosigner) VerifierKey() string {
	pub := c.priv.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...)))
}

// NoteVerifierKey returns the Ed25519 note verifier key (type 0x01) of
// the same public key, as note.GenerateKey prints it: what tools that
// derive the cosignature/v1 key themselves are given.
func (c *Cosigner) NoteVerifierKey() string {
	key := append([]byte{algEd25519}, c.priv.Public().(ed25519.PublicKey)...)
	return fmt.Sprintf("%s+%08x+%s", c.name, noteKeyHash(c.name, key), base64.StdEncoding.EncodeToString(key))
}

func cosignedMessage(t uint64, text []byte) []byte {
	m := make([]byte, 0, len(cosignatureHeader)+32+len(text))
	m = append(m, cosignatureHeader...)
	m = append(m, "time "...)
	m = strconv.AppendUint(m, t, 10)
	m = append(m, '\n')
	return append(m, text...)
}

func cosignatureKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// cosignatureVerifier checks cosignature/v1 signatures; it implements
// note.Verifier.
type cosignatureVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// NewCosignatureVerifier returns a note.Verifier of the cosignature/v1
// verifier key vkey (name+hash+base64 of 0x04 and a 32-byte Ed25519
// public key), for note.Open.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, key, err := parseKey(vkey, "", algCosignatureV1, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("witness verifier key: %w", err)
	}
	return &cosignatureVerifier{name: name, hash: cosignatureKeyHash(name, key), pub: key}, nil
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.hash }
func (v *cosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > math.MaxInt64 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(t, msg), sig[8:])
}

// parseKey parses a note key, prefix name+hash+base64(alg || key), checks
// that the hash is the one of its type and returns the name and the key
// material.
func parseKey(s, prefix string, alg byte, size int) (name string, key []byte, err error) {
	what := "verifier key (name+hash+base64)"
	if prefix != "" {
		what = "signer key (" + prefix + "name+hash+base64)"
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), prefix)
	if !ok {
		return "", nil, fmt.Errorf("not a note %s", what)
	}
	name, rest, ok1 := strings.Cut(rest, "+")
	hex, b64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !validKeyName(name) || len(hex) != 8 {
		return "", nil, fmt.Errorf("%q is not a note %s", clip(s), what)
	}
	hash, err1 := strconv.ParseUint(hex, 16, 32)
	raw, err2 := base64.StdEncoding.DecodeString(b64)
	if err1 != nil || err2 != nil || len(raw) == 0 {
		return "", nil, fmt.Errorf("%q is not a note %s", clip(s), what)
	}
	if raw[0] != alg {
		return "", nil, fmt.Errorf("key %s has signature type 0x%02x, want 0x%02x (%s)", name, raw[0], alg, algName(alg))
	}
	key = raw[1:]
	if len(key) != size {
		return "", nil, fmt.Errorf("key %s holds %d bytes of key, want %d", name, len(key), size)
	}
	var want uint32
	switch {
	case alg == algCosignatureV1:
		want = cosignatureKeyHash(name, key)
	case prefix == "":
		want = noteKeyHash(name, raw)
	default: // a signer key's hash is the one of its public key
		pub := ed25519.NewKeyFromSeed(key).Public().(ed25519.PublicKey)
		want = noteKeyHash(name, append([]byte{alg}, pub...))
	}
	if uint32(hash) != want {
		return "", nil, fmt.Errorf("key %s: its hash %08x does not match its name and key (want %08x): the key was altered or mistyped", name, hash, want)
	}
	return name, key, nil
}

func noteKeyHash(name string, typedKey []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n'})
	h.Write(typedKey)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func algName(alg byte) string {
	if alg == algCosignatureV1 {
		return "an Ed25519 cosignature/v1 key, as 'ledger witness init' prints"
	}
	return "an Ed25519 note key"
}

func validKeyName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "+ \t\n") && strings.IndexFunc(name, func(r rune) bool { return r < 0x20 }) < 0
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// VerifyCosignature checks that checkpoint, a signed checkpoint note,
// carries a valid cosignature/v1 by the witness whose verifier key is
// vkey, among its own signature lines or the lines cosignatures (the body
// of a witness's 200 answer; nil when they are already in checkpoint). It
// returns the time the witness cosigned at. Signatures by other keys are
// ignored.
func VerifyCosignature(vkey string, checkpoint, cosignatures []byte) (time.Time, error) {
	v, err := NewCosignatureVerifier(vkey)
	if err != nil {
		return time.Time{}, err
	}
	msg := make([]byte, 0, len(checkpoint)+len(cosignatures))
	msg = append(append(msg, checkpoint...), cosignatures...)
	n, err := note.Open(msg, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return time.Time{}, fmt.Errorf("no cosignature by witness %s+%08x on this checkpoint", v.Name(), v.KeyHash())
	case errors.As(err, &invalid):
		return time.Time{}, fmt.Errorf("the cosignature by witness %s+%08x does not verify: the checkpoint or the cosignature was altered, or it is not a cosignature/v1", v.Name(), v.KeyHash())
	case err != nil:
		return time.Time{}, fmt.Errorf("checkpoint with cosignatures: %w", err)
	}
	if _, err := ParseCheckpoint(n.Text); err != nil {
		return time.Time{}, err
	}
	for _, s := range n.Sigs {
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		if err == nil && len(raw) >= 12 {
			return time.Unix(int64(binary.BigEndian.Uint64(raw[4:12])), 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("cosignature by witness %s: no timestamp", v.Name())
}

// Quorum checks that at least n of the witnesses whose verifier keys are
// vkeys cosigned checkpoint (a signed checkpoint note with the
// witnesses' signature lines appended). It returns the names of the
// witnesses whose cosignature verified; the error, when fewer than n did,
// names those that did not and why. Keys listed twice count once.
func Quorum(checkpoint []byte, vkeys []string, n int) ([]string, error) {
	if n < 1 || n > len(vkeys) {
		return nil, fmt.Errorf("quorum of %d out of %d witness keys: want between 1 and %d", n, len(vkeys), len(vkeys))
	}
	seen := make(map[string]bool)
	var signed, missing []string
	for _, vk := range vkeys {
		v, err := NewCosignatureVerifier(vk)
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, err := VerifyCosignature(vk, checkpoint, nil); err != nil {
			missing = append(missing, err.Error())
			continue
		}
		signed = append(signed, v.Name())
	}
	if len(signed) < n {
		return signed, fmt.Errorf("%d of the %d distinct witnesses cosigned the checkpoint, want %d: %s",
			len(signed), len(seen), n, strings.Join(missing, "; "))
	}
	return signed, nil
}

// signatureLines returns the signature lines that signing text with s
// gives, as a witness answers them.
func signatureLines(text string, s note.Signer) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		return nil, err
	}
	return bytes.TrimPrefix(signed, []byte(text+"\n")), nil
}
