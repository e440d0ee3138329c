package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// refugeesAKN is the sample's export of the Law on Refugees.
var refugeesAKN = filepath.Join("..", "..", "akn", "testdata", "refugees-2010-01-01.xml")

// amendedAKN is a document of another source: an act with its text, its
// generation and an amendment by another act.
const amendedAKN = `<?xml version="1.0" encoding="UTF-8"?>
<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0">
  <act name="law">
    <meta>
      <identification source="#source">
        <FRBRWork>
          <FRBRthis value="/akn/kz/act/2009-12-22/akn-1/!main"/>
          <FRBRuri value="/akn/kz/act/2009-12-22/akn-1"/>
          <FRBRdate date="2009-12-22" name="Generation"/>
          <FRBRauthor href="#parliament"/>
          <FRBRcountry value="kz"/>
        </FRBRWork>
      </identification>
      <lifecycle source="#source">
        <eventRef eId="e1" date="2009-12-22" source="#original" type="generation"/>
        <eventRef eId="e2" date="2011-01-01" source="#amending" type="amendment"/>
      </lifecycle>
      <analysis source="#source">
        <passiveModifications>
          <textualMod eId="pm1" type="substitution">
            <source href="#amending"/>
            <destination href="#art_1"/>
            <force period="#p2"/>
          </textualMod>
        </passiveModifications>
      </analysis>
      <temporalData source="#source">
        <temporalGroup eId="p1"><timeInterval start="#e1" refersTo="#inForce"/></temporalGroup>
        <temporalGroup eId="p2"><timeInterval start="#e2" refersTo="#inForce"/></temporalGroup>
      </temporalData>
      <references source="#source">
        <original eId="original" href="/akn/kz/act/2009-12-22/akn-1/eng@" showAs="Law on Mediation"/>
        <passiveRef eId="amending" href="/akn/kz/act/2010-12-01/akn-2" showAs="Law of 2010"/>
        <TLCConcept eId="inForce" href="/ontology/concept/inForce" showAs="In force"/>
      </references>
    </meta>
    <preface><p><docTitle>Law on Mediation</docTitle></p></preface>
    <body>
      <article eId="art_1" period="#p1">
        <num>1</num>
        <heading>Mediation</heading>
        <paragraph eId="art_1__para_1"><num>1</num><content><p>Parties may settle by mediation.</p></content></paragraph>
      </article>
    </body>
  </act>
</akomaNtoso>
`

func writeDoc(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ledger import-akn records a document's events through the API, once:
// importing it again finds them in the ledger. A document it cannot read,
// or whose events the ledger refuses, records nothing and says why.
func TestImportAKNThroughTheAPI(t *testing.T) {
	s := startServe(t, t.TempDir())
	events := func() uint64 { return count(t, s.natsURL, s.login(t, natsauth.RoleAdmin)...) }

	out := mustLedgerCmd(t, "import-akn", "--server", s.base, "--quiet", refugeesAKN)
	if !strings.Contains(out, "imported 2 events of /akn/kz/act/2009-12-04/216") || !strings.Contains(out, "2 recorded, 0 already in the ledger") {
		t.Errorf("the first import says %q", out)
	}
	out = mustLedgerCmd(t, "import-akn", "--server", s.base, "--quiet", refugeesAKN)
	if !strings.Contains(out, "0 recorded, 2 already in the ledger") {
		t.Errorf("the second import says %q", out)
	}
	amended := writeDoc(t, "amended.xml", amendedAKN)
	out = mustLedgerCmd(t, "import-akn", "--server", s.base, "--quiet", amended)
	if !strings.Contains(out, "imported 3 events of /akn/kz/act/2009-12-22/akn-1") {
		t.Errorf("the import of the amended act says %q", out)
	}
	if n := events(); n != 5 {
		t.Fatalf("the stream holds %d events, want 5", n)
	}
	hist := mustLedgerCmd(t, "history", "--server", s.base, "/akn/kz/act/2009-12-22/akn-1")
	for _, want := range []string{"adopted", "commenced", "amended", "provisions=art_1"} {
		if !strings.Contains(hist, want) {
			t.Errorf("the history of the imported act does not show %q:\n%s", want, hist)
		}
	}

	t.Run("Malformed", func(t *testing.T) {
		bad := strings.Replace(amendedAKN, `<p>Parties may settle by mediation.</p>`, `<table eId="art_1__para_1__table_1"><tr><td><p>x</p></td></tr></table>`, 1)
		bad = strings.ReplaceAll(bad, "akn-1", "akn-bad")
		_, errOut, err := ledgerCmd(t, "import-akn", "--server", s.base, "--quiet", writeDoc(t, "bad.xml", bad))
		if err == nil {
			t.Fatal("a document with a table was imported")
		}
		if !strings.Contains(err.Error()+errOut, "line 42") || !strings.Contains(err.Error()+errOut, "nothing was recorded") {
			t.Errorf("the error does not name the line and say nothing was recorded: %v\n%s", err, errOut)
		}
		if n := events(); n != 5 {
			t.Errorf("the stream holds %d events, want 5", n)
		}
	})

	t.Run("RefusedByTheLedger", func(t *testing.T) {
		// The same act under another title: its adoption is a second one.
		data, err := os.ReadFile(refugeesAKN)
		if err != nil {
			t.Fatal(err)
		}
		retitled := strings.Replace(string(data), "<docTitle>Law of the Republic of Kazakhstan on Refugees</docTitle>", "<docTitle>Refugees Law</docTitle>", 1)
		_, errOut, err := ledgerCmd(t, "import-akn", "--server", s.base, "--quiet", writeDoc(t, "retitled.xml", retitled))
		if err == nil {
			t.Fatal("a second adoption of the act was imported")
		}
		if !strings.Contains(errOut, "event 1, adopted of 2009-12-04 (akn: eventRef evt_") || !strings.Contains(errOut, "nothing of events 1-2 was written") {
			t.Errorf("the error does not name the event, its element and the batch:\n%s", errOut)
		}
		if n := events(); n != 5 {
			t.Errorf("the stream holds %d events, want 5", n)
		}
	})
}

// With --nats-url the events go straight to the stream; --dry-run shows
// them and records nothing.
func TestImportAKNStraightToNATS(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	out := mustLedgerCmd(t, "import-akn", "--nats-url", env.Server.ClientURL(), "--dry-run", refugeesAKN)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"type":"adopted"`) {
		t.Errorf("--dry-run writes %q", out)
	}
	if n, _ := env.Store.Msgs(t.Context()); n != 0 {
		t.Errorf("--dry-run recorded %d events", n)
	}
	out = mustLedgerCmd(t, "import-akn", "--nats-url", env.Server.ClientURL(), "--quiet", refugeesAKN)
	if !strings.Contains(out, "2 recorded") {
		t.Errorf("the import says %q", out)
	}
	if n, _ := env.Store.Msgs(t.Context()); n != 2 {
		t.Errorf("the stream holds %d events, want 2", n)
	}
}
