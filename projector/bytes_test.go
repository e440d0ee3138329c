package projector_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// The audit report's chain status is that of the stored bytes, checked as
// `projector verify` checks them, not of the projection: a message stored
// on an act's subject that is not a sound event of it (altered after
// sealing) is left out of the views, so the projection alone looks whole;
// the report says the chain failed, where, and the CSV carries it.
func TestReportChainStatusFromStoredBytes(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadSeed(t, l)
	r := startService(t, env.Store, env.Conn, projector.Options{}, false)
	r.waitFor(t, seedEvents)
	r.waitReady(t)

	rep, err := r.svc.Report(refugees)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.ChainOK || rep.ChainStatus != "verified" || rep.ChainCheckedTo != seedEvents || len(rep.ChainIssues) != 0 {
		t.Fatalf("report of a sound act: chain_ok %v, status %q, checked to %d, issues %q; want verified to %d",
			rep.ChainOK, rep.ChainStatus, rep.ChainCheckedTo, rep.ChainIssues, seedEvents)
	}

	// An event of the act, sealed, then its text altered in the stored
	// bytes: published as an operator with the stream's rights would.
	e := amendment(1)
	e.Act = refugees
	e.Provisions, e.Body.Texts = []string{"art_1"}, map[string]string{"art_1": "Article 1, as recorded."}
	rc := mustAppend(t, l, e)
	r.waitFor(t, rc.Seq)
	stored, err := env.Store.Load(testContext(t, time.Minute), refugees, rc.Seq-1)
	if err != nil || len(stored) == 0 {
		t.Fatalf("load the event just recorded: %v", err)
	}
	data, err := events.Encode(&stored[len(stored)-1].Event)
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Replace(data, []byte("as recorded"), []byte("as rewritten"), 1)
	if bytes.Equal(altered, data) {
		t.Fatal("the test's alteration changed nothing")
	}
	ack, err := env.Conn.Request(env.Store.Subject(refugees), altered, 5*time.Second)
	if err != nil || !strings.Contains(string(ack.Data), `"seq"`) {
		t.Fatalf("publish the altered bytes: %v %s", err, ack.Data)
	}
	bad := rc.Seq + 1
	r.waitFor(t, bad)

	rep, err = r.svc.Report(refugees)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ChainOK || rep.ChainStatus != "failed" || rep.ChainCheckedTo < bad {
		t.Errorf("report after altered bytes: chain_ok %v, status %q, checked to %d; want failed, checked to %d", rep.ChainOK, rep.ChainStatus, rep.ChainCheckedTo, bad)
	}
	if !strings.Contains(strings.Join(rep.ChainIssues, "\n"), "sequence "+strconv.FormatUint(bad, 10)+":") {
		t.Errorf("the report's chain issues do not name sequence %d: %q", bad, rep.ChainIssues)
	}
	var csv bytes.Buffer
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if !strings.HasSuffix(lines[0], ",chain_status") || !strings.HasSuffix(lines[1], ",failed") {
		t.Errorf("the CSV does not carry the chain status:\n%s", strings.Join(lines[:2], "\n"))
	}
	if other, _ := r.svc.Report(criminalCode); !other.ChainOK || other.ChainStatus != "verified" {
		t.Errorf("another act's report: chain_ok %v, status %q, issues %q; want verified", other.ChainOK, other.ChainStatus, other.ChainIssues)
	}
}
