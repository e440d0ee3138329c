package byhand_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// docSection is the walkthrough in docs/VERIFY.md whose commands
// TestCheckByHand runs as written.
const docSection = "### Checking a checkpoint with standard tools\n"

// docCommands returns the sh blocks of the walkthrough, in order, as one
// script.
func docCommands(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/VERIFY.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), docSection)
	if !ok {
		t.Fatalf("docs/VERIFY.md has no section %q", strings.TrimSpace(docSection))
	}
	section, _, _ = strings.Cut(section, "\n### ")
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)\n```sh\n(.*?)\n```\n").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) < 6 {
		t.Fatalf("the walkthrough has %d sh blocks, want the script's and the steps' (6 or more)", len(blocks))
	}
	return strings.Join(blocks, "\n")
}

// docDir makes a directory as a reader's would be: HOME holds the log's
// verifier key where ledger serve writes it; the directory the witness's
// key (witness1.vkey), the note of an earlier checkpoint (kept.note), a
// proof as 'projector proof' writes it (proof.json) and the repository's
// examples. It returns the directory and the environment to run in.
func (f *fixture) docDir(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	examples, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	id, err := events.ParseID(event27)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Prove(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var proof bytes.Buffer
	if err := json.NewEncoder(&proof).Encode(p); err != nil { // as runProof writes it
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		".config/lexledger/checkpoint.nk.pub": f.logKey + "\n",
		"witness1.vkey":                       f.witKey + "\n",
		"kept.note":                           f.first.Note,
		"proof.json":                          proof.String(),
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(examples, filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"HOME=" + dir}
}

// runDocCommands runs the walkthrough's commands in a reader's directory,
// the ledger at f.url instead of 127.0.0.1:8080.
func (f *fixture) runDocCommands(t *testing.T) (string, int) {
	t.Helper()
	dir, env := f.docDir(t)
	script := strings.ReplaceAll(docCommands(t), "http://127.0.0.1:8080", f.url)
	return runIn(t, dir, env, "bash", "-e", "-o", "pipefail", "-c", script)
}

// checkCommands returns every command line of check.sh that README.md,
// examples/README.md, docs/VERIFY.md and docs/WITNESS.md give, in code
// blocks or inline, with its continuation lines.
func checkCommands(t *testing.T) []string {
	t.Helper()
	re := regexp.MustCompile("examples/byhand/check\\.sh (?:[^\n`\\\\]|\\\\\n)*")
	var out []string
	for _, name := range []string{"../../README.md", "../README.md", "../../docs/VERIFY.md", "../../docs/WITNESS.md"} {
		doc, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllString(string(doc), -1) {
			if strings.Contains(m, "--key") {
				out = append(out, m)
			}
		}
	}
	return out
}
