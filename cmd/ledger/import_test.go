package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// lifeOf returns the JSON Lines of an act's first five steps, without ids
// (the import derives them from the lines).
func lifeOf(act string) []string {
	return []string{
		fmt.Sprintf(`{"act":%q,"type":"drafted","date":"2009-06-01","body":{"title":"Law on domestic violence prevention","kind":"law"}}`, act),
		fmt.Sprintf(`{"act":%q,"type":"adopted","date":"2009-11-20","body":{"chamber":"Parliament"}}`, act),
		fmt.Sprintf(`{"act":%q,"type":"signed","date":"2009-12-04","body":{"signatory":"President"}}`, act),
		fmt.Sprintf(`{"act":%q,"type":"published","date":"2009-12-10","body":{"gazette":"Kazakhstanskaya Pravda No. 277"}}`, act),
		fmt.Sprintf(`{"act":%q,"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`, act),
	}
}

func writeLines(t *testing.T, lines []string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func acts(prefix string, n int) []string {
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, lifeOf(fmt.Sprintf("/akn/kz/act/2009-12-22/%s-%d", prefix, i+1))...)
	}
	return lines
}

func TestImportThroughTheAPI(t *testing.T) {
	s := startServe(t, t.TempDir())
	good := writeLines(t, acts("ok", 5)) // 25 lines

	out := mustLedgerCmd(t, "import", "--server", s.base, "--quiet", "--batch", "10", good)
	if !strings.Contains(out, "25 events in 25 lines: 25 recorded, 0 already in the ledger") {
		t.Errorf("the first import says %q", out)
	}
	if n := count(t, s.natsURL, s.login(t, natsauth.RoleAdmin)...); n != 25 {
		t.Fatalf("the stream holds %d events, want 25", n)
	}

	out = mustLedgerCmd(t, "import", "--server", s.base, "--quiet", good)
	if !strings.Contains(out, "25 events in 25 lines: 0 recorded, 25 already in the ledger") {
		t.Errorf("the second import says %q", out)
	}
	if n := count(t, s.natsURL, s.login(t, natsauth.RoleAdmin)...); n != 25 {
		t.Errorf("the second import changed the stream to %d events", n)
	}

	t.Run("InvalidLine5", func(t *testing.T) {
		lines := acts("bad", 2) // 10 lines
		lines[4] = strings.Replace(lines[4], `"effective_from"`, `"colour":"red","effective_from"`, 1)
		_, errOut, err := ledgerCmd(t, "import", "--server", s.base, "--quiet", "--batch", "10", writeLines(t, lines))
		if err == nil {
			t.Fatal("an import with an invalid line succeeded")
		}
		if !strings.Contains(errOut, "line 5:") || !strings.Contains(errOut, "colour") {
			t.Errorf("the error does not name line 5 and the field:\n%s", errOut)
		}
		if n := count(t, s.natsURL, s.login(t, natsauth.RoleAdmin)...); n != 25 {
			t.Errorf("the stream holds %d events, want 25: part of the failed batch was written", n)
		}
	})

	t.Run("RuleBrokenOnLine7", func(t *testing.T) {
		lines := acts("rule", 2) // 10 lines: lines 6-10 are the second act
		// Line 7 signs the second act before line 8 adopts it.
		lines[6], lines[7] = lines[7], lines[6]
		_, errOut, err := ledgerCmd(t, "import", "--server", s.base, "--quiet", "--batch", "10", writeLines(t, lines))
		if err == nil {
			t.Fatal("an import that breaks a rule succeeded")
		}
		if !strings.Contains(errOut, "line 7:") || !strings.Contains(errOut, "signed") || !strings.Contains(errOut, "lines 1-10") {
			t.Errorf("the error does not name line 7, the step and the batch:\n%s", errOut)
		}
		if n := count(t, s.natsURL, s.login(t, natsauth.RoleAdmin)...); n != 25 {
			t.Errorf("the stream holds %d events, want 25", n)
		}
	})
}

func TestImportStraightToNATS(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	file := writeLines(t, acts("direct", 4))
	out := mustLedgerCmd(t, "import", "--nats-url", env.Server.ClientURL(), "--quiet", file)
	if !strings.Contains(out, "20 events in 20 lines: 20 recorded, 0 already in the ledger") {
		t.Errorf("the import says %q", out)
	}
	n, err := env.Store.Msgs(t.Context())
	if err != nil || n != 20 {
		t.Fatalf("the stream holds %d events (%v), want 20", n, err)
	}
	out = mustLedgerCmd(t, "import", "--nats-url", env.Server.ClientURL(), "--quiet", "--batch", "3", file)
	if !strings.Contains(out, "0 recorded, 20 already in the ledger") {
		t.Errorf("the second import says %q", out)
	}
	if n, _ := env.Store.Msgs(t.Context()); n != 20 {
		t.Errorf("the second import changed the stream to %d events", n)
	}
	// Standard input.
	var outBuf, errBuf syncBuffer
	in := strings.Join(acts("stdin", 1), "\n")
	if err := run(t.Context(), []string{"import", "--nats-url", env.Server.ClientURL(), "--quiet", "-"}, strings.NewReader(in), &outBuf, &errBuf); err != nil {
		t.Fatalf("import from standard input: %v\n%s", err, errBuf.String())
	}
	if n, _ := env.Store.Msgs(t.Context()); n != 25 {
		t.Errorf("after the import from standard input the stream holds %d events, want 25", n)
	}
}

// An import checks corrections the same with its acts' histories kept in
// memory (the default) and without (--history-cache 0): the good ones are
// recorded, a correction of an unknown event stops the import at its line.
func TestImportCorrectionsWithAndWithoutHistories(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	url := env.Server.ClientURL()
	for _, keep := range []string{"100000", "0"} {
		t.Run("history-cache="+keep, func(t *testing.T) {
			act := "/akn/kz/act/2009-12-22/fix-" + keep
			var lines []string
			var adopted string
			for i, l := range lifeOf(act) {
				id := events.NewID().String()
				if i == 1 {
					adopted = id
				}
				lines = append(lines, fmt.Sprintf(`{"id":%q,%s`, id, l[1:]))
			}
			for _, day := range []string{"21", "22", "23"} {
				lines = append(lines, fmt.Sprintf(`{"act":%q,"type":"record_corrected","date":"2010-01-%s","body":{"corrects":%q,"correction":{"date":"2009-11-%s"},"reason":"mistyped"}}`, act, day, adopted, day))
			}
			out := mustLedgerCmd(t, "import", "--nats-url", url, "--quiet", "--history-cache", keep, writeLines(t, lines))
			if !strings.Contains(out, "8 events in 8 lines: 8 recorded") {
				t.Errorf("the import says %q, want 8 recorded", out)
			}
			bad := []string{
				fmt.Sprintf(`{"act":%q,"type":"record_corrected","date":"2010-02-01","body":{"corrects":%q,"correction":{"date":"2009-11-24"},"reason":"mistyped"}}`, act, adopted),
				fmt.Sprintf(`{"act":%q,"type":"record_corrected","date":"2010-02-01","body":{"corrects":%q,"correction":{"date":"2009-11-25"},"reason":"mistyped"}}`, act, events.NewID()),
			}
			_, errOut, err := ledgerCmd(t, "import", "--nats-url", url, "--quiet", "--history-cache", keep, writeLines(t, bad))
			if err == nil || !strings.Contains(errOut, "line 2: cannot record 'record_corrected'") || !strings.Contains(errOut, "no event") {
				t.Errorf("importing a correction of an unknown event: %v, %q; want a refusal of line 2 naming no such event", err, errOut)
			}
		})
	}
	if n, _ := env.Store.Msgs(t.Context()); n != 16 {
		t.Errorf("the stream holds %d events, want 16 (nothing of the refused batches)", n)
	}
}

// An import with a cache of acts too small for any act (--act-cache 1)
// reads each act back before each batch: its events are recorded all the
// same, in their acts' order, and importing the file again finds every
// one of them already in the ledger.
func TestImportWithATinyActCache(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	url := env.Server.ClientURL()
	var lines []string
	for step := range 5 {
		for a := range 5 {
			l := lifeOf(fmt.Sprintf("/akn/kz/act/2009-12-23/tiny-%d", a+1))[step]
			lines = append(lines, fmt.Sprintf(`{"id":%q,%s`, events.NewID().String(), l[1:]))
		}
	}
	file := writeLines(t, lines)
	out := mustLedgerCmd(t, "import", "--nats-url", url, "--quiet", "--batch", "3", "--act-cache", "1", file)
	if !strings.Contains(out, "25 recorded, 0 already in the ledger") {
		t.Errorf("the import says %q, want 25 recorded", out)
	}
	out = mustLedgerCmd(t, "import", "--nats-url", url, "--quiet", "--batch", "3", "--act-cache", "1", file)
	if !strings.Contains(out, "0 recorded, 25 already in the ledger") {
		t.Errorf("the import again says %q, want 25 already in the ledger", out)
	}
	if n, _ := env.Store.Msgs(t.Context()); n != 25 {
		t.Errorf("the stream holds %d events, want 25", n)
	}
}
