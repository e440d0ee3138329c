package apiclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// generated is the committed output of the go:generate directive in doc.go.
const generated = "client.gen.go"

// TestGeneratedClientIsCurrent runs the directive of doc.go, with its
// output sent to a temporary file, and compares the bytes with the
// committed client.gen.go: a change of httpapi/openapi.yaml (or of the
// generator's version in go.mod) that is not followed by `go generate
// ./httpapi/apiclient` fails here, so that the client cannot drift from the
// document the server serves.
func TestGeneratedClientIsCurrent(t *testing.T) {
	args := directive(t)
	// The generator is a tool of the module (go.mod's tool block): if the
	// go command cannot build it here, there is nothing to compare.
	if out, err := exec.Command("go", "tool", "-n", "oapi-codegen").CombinedOutput(); err != nil {
		t.Skipf("cannot run the generator (go tool -n oapi-codegen: %v): %s", err, out)
	}
	o := slices.Index(args, "-o")
	if o < 0 || o+1 >= len(args) || args[o+1] != generated {
		t.Fatalf("the go:generate directive %q does not write -o %s", args, generated)
	}
	tmp := filepath.Join(t.TempDir(), generated)
	args[o+1] = tmp
	cmd := exec.Command(args[0], args[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	got, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what the generator makes from ../openapi.yaml now (%d bytes, the generator %d, first difference at line %d): run go generate ./httpapi/apiclient and commit the result",
			generated, len(want), len(got), firstDiffLine(want, got))
	}
}

// directive returns the command of doc.go's go:generate line, as words.
func directive(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(src)) {
		if rest, ok := strings.CutPrefix(line, "//go:generate "); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatal("doc.go has no go:generate directive")
	return nil
}

// firstDiffLine returns the 1-based line at which a and b first differ.
func firstDiffLine(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return bytes.Count(a[:i], []byte("\n")) + 1
}
