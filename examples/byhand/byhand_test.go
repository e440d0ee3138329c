package byhand_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/witness"
)

// Seed events: the first leaf, and one in the middle.
const (
	firstEvent = "01KZSEED000000000000000001"
	event27    = "01KZSEED000000000000000027"
)

// check.sh checks, with standard tools only, a checkpoint signed by the
// log's key and cosigned by a real witness, inclusion proofs of the first,
// a middle and the last leaf, and consistency with an earlier checkpoint;
// and it fails, naming the step, on each kind of forgery.
func TestCheckByHand(t *testing.T) {
	needTools(t)
	f := mustFixture(t)
	old := []string{"--old-size", strconv.FormatUint(f.first.TreeSize, 10), "--old-root", f.first.Root.String()}
	// Clipped, so that each append(all, …) below makes a slice of its own.
	all := slices.Clip(append([]string{"--key", f.logKey, "--witness-key", f.witKey,
		"--event", firstEvent, "--event", event27, "--event", f.amended.String()}, old...))

	t.Run("OK", func(t *testing.T) {
		out, code := check(t, append(all, f.url)...)
		if code != 0 {
			t.Fatalf("check.sh exited %d on a genuine ledger:\n%s", code, out)
		}
		for _, want := range []string{
			"(a) checkpoint", "tree size 45, root " + f.latest.Root.String(),
			"(b) cosignature of witness witness.test/w1",
			"(c) inclusion of event " + firstEvent, "fold leaf 0 to the root of the tree of 45 events",
			"(c) inclusion of event " + event27, "sequence 27 = leaf index 26 + 1",
			"fold leaf 44 to the root of the tree of 45 events",
			"(d) consistency of the tree of 44 events with the checkpoint's 45",
			"all checks passed",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output does not say %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "FAIL") {
			t.Errorf("the output says FAIL:\n%s", out)
		}
	})

	// The old root in base64, as the note's third line gives it, and an old
	// size that is a power of two (RFC 9162 2.1.4.2 step 2).
	t.Run("OK old tree as in a note, and of 32 events", func(t *testing.T) {
		b64 := base64.StdEncoding.EncodeToString(f.first.Root[:])
		out, code := check(t, "--key", f.logKey, "--old-size", "44", "--old-root", b64, f.url)
		if code != 0 {
			t.Fatalf("check.sh exited %d with the old root in base64:\n%s", code, out)
		}
		c32, err := f.svc.Consistent(32, 45)
		if err != nil {
			t.Fatal(err)
		}
		out, code = check(t, "--key", f.logKey, "--old-size", "32", "--old-root", c32.OldRoot.String(), f.url)
		if code != 0 || !strings.Contains(out, "remembered root "+c32.OldRoot.String()+" at size 32") {
			t.Fatalf("check.sh exited %d from a tree of 32 events:\n%s", code, out)
		}
		out, code = check(t, "--key", f.logKey, "--old-size", "45", "--old-root", f.latest.Root.String(), f.url)
		if code != 0 || !strings.Contains(out, "proof's 0 hash(es) fold to the remembered root "+f.latest.Root.String()+" at size 45") {
			t.Fatalf("check.sh exited %d from the same tree:\n%s", code, out)
		}
	})

	// Offline: the note and a proof from files, as 'projector proof' and
	// GET /v1/checkpoint?format=note give them.
	t.Run("OK offline", func(t *testing.T) {
		dir := t.TempDir()
		note, proof := filepath.Join(dir, "checkpoint.note"), filepath.Join(dir, "proof.json")
		mustGet(t, f.url+"/v1/checkpoint?format=note", note)
		mustGet(t, f.url+"/v1/proof?event="+event27, proof)
		out, code := check(t, "--key", f.logKey, "--witness-key", f.witKey, "--note", note, "--proof", proof)
		if code != 0 || !strings.Contains(out, "(c) inclusion: "+proof) || !strings.Contains(out, "all checks passed") {
			t.Fatalf("check.sh exited %d offline:\n%s", code, out)
		}
	})

	// The commands of docs/VERIFY.md, as written.
	t.Run("OK docs/VERIFY.md by hand", func(t *testing.T) {
		out, code := f.runDocCommands(t)
		if code != 0 {
			t.Fatalf("the walkthrough's commands exited %d:\n%s", code, out)
		}
		for _, want := range []string{
			"all checks passed", // check.sh
			"an ed25519 key", "key hash ok", "signed with this key", "of the log the key names",
			"tree size 45, root " + f.latest.Root.String(),
			"witness key hash ok", "cosigned with this key",
			"the hash is the last field", "event hash ok", "leaf hash ok", "sequence = leaf index + 1",
			"the proof is of the checkpoint checked in step 1", "the event is in the tree of 45 events",
			"old root at size 44: " + f.first.Root.String(), "new root at size 45: " + f.latest.Root.String(),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the walkthrough does not print %q:\n%s", want, out)
			}
		}
		if n := strings.Count(out, "Signature Verified Successfully"); n != 2 {
			t.Errorf("openssl verified %d signatures, want 2 (the log's and the witness's):\n%s", n, out)
		}
	})

	// Every check.sh command of the docs and the README, as written.
	t.Run("OK every documented check.sh command", func(t *testing.T) {
		cmds := checkCommands(t)
		if len(cmds) < 5 {
			t.Fatalf("found %d check.sh commands in the READMEs, docs/VERIFY.md and docs/WITNESS.md, want 5 or more: %q", len(cmds), cmds)
		}
		dir, env := f.docDir(t)
		for _, c := range cmds {
			out, code := runIn(t, dir, env, "bash", "-c", strings.ReplaceAll(c, "http://127.0.0.1:8080", f.url))
			if code != 0 || !strings.HasSuffix(out, "all checks passed") {
				t.Errorf("%s\nexited %d:\n%s", c, code, out)
			}
		}
	})

	other, err := audit.GenerateSigner(audit.DefaultOrigin) // the same origin, another key
	if err != nil {
		t.Fatal(err)
	}
	_, otherWitness, err := witness.GenerateKey(rand.Reader, "witness.test/w1") // the same name, another key
	if err != nil {
		t.Fatal(err)
	}
	notePath, proof27 := "/v1/checkpoint?format=note", "/v1/proof?event="+event27
	latestRoot := "\n" + base64.StdEncoding.EncodeToString(f.latest.Root[:]) + "\n"
	firstRoot := "\n" + base64.StdEncoding.EncodeToString(f.first.Root[:]) + "\n"
	for _, tc := range []struct {
		name string
		args func() []string
		want string // the failure's first line starts so
	}{
		{"another log key", func() []string { return replaceArg(all, f.logKey, other.VerifierKey(), f.url) },
			"FAIL (a) checkpoint: no signature line \"— lexledger.example/LEX\" starts with the key hash"},
		{"another log's key", func() []string {
			s, err := audit.GenerateSigner("laws.example.gov/ledger")
			if err != nil {
				t.Fatal(err)
			}
			return replaceArg(all, f.logKey, s.VerifierKey(), f.url)
		}, "FAIL (a) checkpoint: the checkpoint is of origin \"lexledger.example/LEX\", the key is named \"laws.example.gov/ledger\""},
		{"a tampered root", func() []string {
			return append(all, f.tampering(t, notePath, replace(latestRoot, firstRoot)))
		}, "FAIL (a) checkpoint: the ed25519 signature does not verify"},
		{"a tampered size", func() []string {
			return append(all, f.tampering(t, notePath, replace("\n45\n", "\n46\n")))
		}, "FAIL (a) checkpoint: the ed25519 signature does not verify"},
		{"a witness that did not cosign", func() []string { return replaceArg(all, f.witKey, otherWitness, f.url) },
			"FAIL (b) cosignature of witness.test/w1: no signature line \"— witness.test/w1\" starts with its key hash"},
		{"a tampered cosignature time", func() []string {
			return append(all, f.tampering(t, notePath, func(b []byte) []byte { return editCosignatureTime(t, b) }))
		}, "FAIL (b) cosignature of witness.test/w1: the ed25519 cosignature does not verify"},
		{"an edited proof sequence", func() []string {
			return append(all, f.tampering(t, proof27, replace(`,"sequence":27,`, `,"sequence":28,`)))
		}, "FAIL (c) inclusion of " + event27 + ": the proof says the event is at sequence 28, but its leaf index 26"},
		{"the proof of another event", func() []string {
			first := mustGetBody(t, f.url+"/v1/proof?event="+firstEvent)
			return append(all, f.tampering(t, proof27, func([]byte) []byte { return first }))
		}, "FAIL (c) inclusion of " + event27 + ": the proof is of event " + firstEvent + ", not " + event27},
		{"a proof in an altered checkpoint", func() []string {
			esc := func(s string) string { return strings.ReplaceAll(s, "\n", `\n`) } // as in the JSON string
			return append(all, f.tampering(t, proof27, replace(esc(latestRoot), esc(firstRoot))))
		}, "FAIL (c) inclusion of " + event27 + ": the ed25519 signature does not verify over the note's text"},
		{"an edited event", func() []string {
			return append(all, f.tampering(t, proof27, replace(`"type":"`, `"type":"x`)))
		}, "FAIL (c) inclusion of " + event27 + ": the event's content hashes to"},
		{"an edited audit path", func() []string {
			return append(all, f.tampering(t, proof27, func(b []byte) []byte {
				i := strings.Index(string(b), `"path":["`) + len(`"path":["`)
				return append(append(b[:i:i], flip(string(b[i:i+64]))...), b[i+64:]...)
			}))
		}, "FAIL (c) inclusion of " + event27 + ": the audit path folds leaf 26 to"},
		{"a wrong old root", func() []string { return append(replaceArg(all, f.first.Root.String(), f.latest.Root.String()), f.url) },
			"FAIL (d) consistency: consistency from size 44 to 45: the proof folds to old root " + f.first.Root.String() + ", not the remembered " + f.latest.Root.String()},
		{"a wrong old size", func() []string { return append(replaceArg(all, "44", "43"), f.url) },
			"FAIL (d) consistency: consistency from size 43 to 45: the proof folds to old root"},
		{"an old tree larger than the checkpoint", func() []string { return append(replaceArg(all, "44", "46"), f.url) },
			"FAIL (d) consistency: the checkpoint's tree of 45 events is smaller than the remembered 46"},
	} {
		t.Run("Err "+tc.name, func(t *testing.T) {
			out, code := check(t, tc.args()...)
			if code != 1 {
				t.Fatalf("check.sh exited %d, want 1:\n%s", code, out)
			}
			last := out[strings.LastIndex(out, "\n")+1:]
			if !strings.HasPrefix(last, tc.want) {
				t.Fatalf("check.sh ended with\n\t%s\nwant\n\t%s…\nall its output:\n%s", last, tc.want, out)
			}
			if strings.Contains(out, "all checks passed") {
				t.Fatalf("check.sh failed, yet says all checks passed:\n%s", out)
			}
		})
	}
}

// replaceArg returns args with each old replaced by new, and extra appended.
func replaceArg(args []string, old, new string, extra ...string) []string {
	out := make([]string, 0, len(args)+len(extra))
	for _, a := range args {
		if a == old {
			a = new
		}
		out = append(out, a)
	}
	return append(out, extra...)
}

// editCosignatureTime adds a second to the timestamp of the witness's
// cosignature line in a note.
func editCosignatureTime(t *testing.T, note []byte) []byte {
	t.Helper()
	re := regexp.MustCompile(`(?m)^— witness\.test/w1 (\S+)$`)
	m := re.FindSubmatchIndex(note)
	if m == nil {
		t.Errorf("no cosignature in the note:\n%s", note)
		return note
	}
	raw, err := base64.StdEncoding.DecodeString(string(note[m[2]:m[3]]))
	if err != nil || len(raw) != 76 {
		t.Errorf("the cosignature %q is not 76 bytes of base64 (%v)", note[m[2]:m[3]], err)
		return note
	}
	raw[11]++
	out := append([]byte{}, note[:m[2]]...)
	out = append(out, base64.StdEncoding.EncodeToString(raw)...)
	return append(out, note[m[3]:]...)
}

// mustGet writes the body of GET url to file.
func mustGet(t *testing.T, url, file string) {
	t.Helper()
	if err := os.WriteFile(file, mustGetBody(t, url), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mustGetBody returns the body of GET url, which must answer 200.
func mustGetBody(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s (%v)", url, resp.Status, body, err)
	}
	return body
}

// The consistency check of proofs.py accepts the proofs of package merkle
// between trees of up to 33 leaves, refuses each with a proof hash or the
// old root altered, and refuses the cases that cannot hold.
func TestProofsPyAgreesWithMerkle(t *testing.T) {
	needTools(t)
	// The interpreter itself, not a launcher (pyenv's shims take 100 ms).
	out, code := run(t, "python3", "-c", "import sys; print(sys.executable)")
	if code != 0 {
		t.Fatalf("python3: %s", out)
	}
	python := out
	var tree merkle.Tree
	for i := range 33 {
		tree.Append(merkle.LeafHash(fmt.Appendf(nil, "leaf %d", i)))
	}
	for _, n := range []uint64{1, 2, 3, 7, 8, 12, 17, 33} {
		seen := map[uint64]bool{}
		for _, m := range []uint64{0, 1, 2, 4, n / 2, n - 1, n} {
			if m > n || seen[m] {
				continue
			}
			seen[m] = true
			proof, err := tree.ConsistencyProof(m, n)
			if err != nil {
				t.Fatal(err)
			}
			oldRoot, _ := tree.RootAt(m)
			newRoot, _ := tree.RootAt(n)
			args := []string{"proofs.py", "consistency", fmt.Sprint(m), fmt.Sprint(n), oldRoot.String(), newRoot.String()}
			for _, h := range proof {
				args = append(args, h.String())
			}
			if out, code := run(t, python, args...); code != 0 {
				t.Errorf("proofs.py refuses the proof from %d to %d (exit %d): %s", m, n, code, out)
			}
			if m == 0 || m == n {
				continue // nothing but the roots to alter; the rest below
			}
			bad := slices.Clone(args)
			bad[6] = flip(bad[6])
			if out, code := run(t, python, bad...); code != 1 {
				t.Errorf("proofs.py: from %d to %d with the first proof hash altered: exit %d, want 1: %s", m, n, code, out)
			}
			bad = slices.Clone(args)
			bad[4] = flip(bad[4])
			if out, code := run(t, python, bad...); code != 1 {
				t.Errorf("proofs.py: from %d to %d with the old root altered: exit %d, want 1: %s", m, n, code, out)
			}
		}
	}
	empty, _ := tree.RootAt(0)
	for _, c := range [][]string{
		{"3", "3", empty.String(), empty.String()[:63] + "0"},      // m == n, other roots
		{"4", "3", empty.String(), empty.String()},                 // the old tree larger
		{"0", "5", flip(empty.String()), empty.String()},           // from 0, not the empty root
		{"2", "3", empty.String(), empty.String()},                 // an empty proof
		{"3", "3", empty.String(), empty.String(), empty.String()}, // m == n with a hash
	} {
		if out, code := run(t, python, append([]string{"proofs.py", "consistency"}, c...)...); code != 1 {
			t.Errorf("proofs.py consistency %v: exit %d, want 1: %s", c, code, out)
		}
	}
}

// flip changes the first hex digit of h.
func flip(h string) string {
	if h[0] == '0' {
		return "1" + h[1:]
	}
	return "0" + h[1:]
}
