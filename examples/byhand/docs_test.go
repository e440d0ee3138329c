package byhand_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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

// runDocCommands runs the walkthrough's commands in a new directory, as a
// reader would: HOME holds the log's verifier key where ledger serve writes
// it, the directory the witness's key (witness1.vkey), the note of an
// earlier checkpoint (kept.note) and the repository's examples; the ledger
// is at url instead of 127.0.0.1:8080.
func (f *fixture) runDocCommands(t *testing.T) (string, int) {
	t.Helper()
	dir := t.TempDir()
	examples, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		".config/lexledger/checkpoint.nk.pub": f.logKey + "\n",
		"witness1.vkey":                       f.witKey + "\n",
		"kept.note":                           f.first.Note,
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
	script := strings.ReplaceAll(docCommands(t), "http://127.0.0.1:8080", f.url)
	return runIn(t, dir, []string{"HOME=" + dir}, "bash", "-e", "-o", "pipefail", "-c", script)
}
