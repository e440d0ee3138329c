package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// Acts of the seed (examples/seed.jsonl).
const (
	seedFile     = "../../examples/seed.jsonl"
	seedEvents   = 44
	criminalCode = "/akn/kz/act/code/1997-07-16/167"
	refugees     = "/akn/kz/act/2009-12-04/216"
)

func freeTCPPort(t *testing.T) int { return testkit.FreePort(t) }

type syncBuffer = testkit.SyncBuffer

// runCmd runs the projector command line in process.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	err = run(ctx, args, &out, &errb)
	return out.String(), errb.String(), err
}

// seededServer is what `ledger serve` runs for auditors, in process: an
// embedded JetStream with the seed recorded and a projector that has
// applied it, its queries on a real HTTP server.
func seededServer(t *testing.T) string {
	t.Helper()
	url, _ := serveEvents(t, testkit.ReadSeed(t, seedFile))
	return url
}

// serveEvents is seededServer of evs (at most 1,000); it returns the
// server's URL and the count of requests it answered.
func serveEvents(t *testing.T, evs []events.Event) (string, *atomic.Int64) {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	var cmds []ledger.Command
	for _, e := range evs {
		cmds = append(cmds, ledger.Command{Event: e})
	}
	rs, err := l.AppendAtomic(context.Background(), "seed@test", cmds)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	if _, err := svc.WaitFor(ctx, rs[len(rs)-1].Seq); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&httpapi.Queries{Projector: svc}).Routes(mux)
	var asked atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, &asked
}

// checkQueryCommands runs asof, show, timeline and diff against the
// projector at url, whose stream holds the seed.
func checkQueryCommands(t *testing.T, url string) {
	t.Run("AsOf", func(t *testing.T) {
		out, errs, err := runCmd(t, "asof", "2005-01-01", "--server", url, "--jurisdiction", "kz")
		if err != nil {
			t.Fatalf("asof: %v\n%s", err, errs)
		}
		if !strings.Contains(out, "STATUS") || !strings.Contains(out, "as the record stood now") {
			t.Errorf("asof prints no table:\n%s", out)
		}
		if line := lineWith(out, criminalCode); !strings.HasPrefix(line, "in_force ") || !strings.Contains(line, "Criminal Code") {
			t.Errorf("asof 2005-01-01: the Criminal Code's line is %q, want it in force:\n%s", line, out)
		}
		if line := lineWith(out, refugees); !strings.HasPrefix(line, "not_adopted") {
			t.Errorf("asof 2005-01-01: the Law on Refugees' line is %q, want not_adopted", line)
		}
		out, _, err = runCmd(t, "asof", "2005-01-01", "--server", url, "--status", "in_force")
		if err != nil || lineWith(out, refugees) != "" || lineWith(out, criminalCode) == "" {
			t.Errorf("asof --status in_force (%v):\n%s", err, out)
		}
	})
	t.Run("Show", func(t *testing.T) {
		out, errs, err := runCmd(t, "show", criminalCode, "--as-of", "2009-06-30", "--server", url)
		if err != nil {
			t.Fatalf("show: %v\n%s", err, errs)
		}
		if !strings.Contains(out, "Criminal Code") || !strings.Contains(out, "on 2009-06-30: in_force") {
			t.Errorf("show prints no status line:\n%s", out)
		}
		if line := lineWith(out, "art_49"); !strings.Contains(line, "suspended") {
			t.Errorf("show on 2009-06-30: art_49 reads %q, want suspended:\n%s", line, out)
		}
		if !strings.Contains(out, "amended by:") || !strings.Contains(out, "/akn/kz/act/2007-05/constitutional-reform") {
			t.Errorf("show lists no amendments:\n%s", out)
		}
		// The law of 2009-12-10 changes the three codes in ways the seed
		// does not detail: no claim on the whole act.
		out, errs, err = runCmd(t, "show", "/akn/kz/act/2009-12-10/judicial-system-improvement", "--as-of", "2010-06-30", "--server", url)
		if err != nil {
			t.Fatalf("show: %v\n%s", err, errs)
		}
		if line := lineWith(out, criminalCode); !strings.Contains(line, "changes not detailed") || strings.Contains(out, "whole act") {
			t.Errorf("show of the law of 2009-12-10: the Criminal Code reads %q, want changes not detailed and no whole act:\n%s", line, out)
		}
	})
	t.Run("Timeline", func(t *testing.T) {
		out, errs, err := runCmd(t, "timeline", criminalCode, "--server", url)
		if err != nil {
			t.Fatalf("timeline: %v\n%s", err, errs)
		}
		for _, want := range []string{"valid time:", "record:", "art_49:", "in_force", "suspended"} {
			if !strings.Contains(out, want) {
				t.Errorf("timeline prints no %q:\n%s", want, out)
			}
		}
		// As README.md shows it.
		want := "art_49: […, 1998-01-01) not_in_force; [1998-01-01, 2003-12) in_force; [2003-12, 2009-07) suspended; [2009-07, …) in_force"
		if line := lineWith(out, "art_49:"); line != want {
			t.Errorf("timeline's line of art_49 is\n%q, want\n%q", line, want)
		}
	})
	t.Run("KnownAtBeforeTheLedger", func(t *testing.T) {
		// The seed was recorded when the test ran: nothing was on record
		// in 2009. An empty answer that says so, not an error.
		for _, args := range [][]string{{"asof", "2010-01-01"}, {"diff", "2008-06-01", "2010-01-01"}} {
			out, errs, err := runCmd(t, append(args, "--known-at", "2009-01-01", "--server", url)...)
			if err != nil || !strings.HasPrefix(out, "0 acts ") || !strings.Contains(out, "nothing was on record at 2009-01-01") {
				t.Errorf("%v --known-at 2009-01-01: %v\n%s%s", args, err, out, errs)
			}
		}
		var acts map[string][]projections.ActState
		mustDecode(t, &acts, "asof", "2010-01-01", "--known-at", "2009-01-01", "--server", url, "--json")
		if got, ok := acts["acts"]; !ok || got == nil || len(got) != 0 {
			t.Errorf("asof --known-at 2009-01-01 --json: %v, want an empty list of acts", acts)
		}
		var diff map[string][]projections.Change
		mustDecode(t, &diff, "diff", "2008-06-01", "2010-01-01", "--known-at", "2009-01-01", "--server", url, "--json")
		if got, ok := diff["changes"]; !ok || got == nil || len(got) != 0 {
			t.Errorf("diff --known-at 2009-01-01 --json: %v, want an empty list of changes", diff)
		}
		// Other invalid questions are still errors.
		if _, _, err := runCmd(t, "asof", "2010-01-01", "--known-at", "garbage", "--server", url); err == nil {
			t.Error("asof --known-at garbage succeeded")
		}
	})
	t.Run("Diff", func(t *testing.T) {
		out, errs, err := runCmd(t, "diff", "2008-06-01", "2010-01-01", "--server", url)
		if err != nil {
			t.Fatalf("diff: %v\n%s", err, errs)
		}
		if !strings.Contains(out, "ACT") || !strings.Contains(lineWith(out, refugees), "in_force") {
			t.Errorf("diff does not show the Law on Refugees entering into force:\n%s", out)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		var acts struct {
			Acts []projections.ActState `json:"acts"`
		}
		mustDecode(t, &acts, "asof", "2005-01-01", "--server", url, "--json")
		found := false
		for _, a := range acts.Acts {
			found = found || (a.Act == criminalCode && a.Status == projections.InForce)
		}
		if !found || len(acts.Acts) < 20 {
			t.Errorf("asof --json: %d acts, the Criminal Code in force: %v", len(acts.Acts), found)
		}
		var s projections.ActState
		mustDecode(t, &s, "show", criminalCode, "--as-of", "2009-08-01", "--server", url, "--json")
		if s.Act != criminalCode || s.Status != projections.InForce || len(s.Provisions) == 0 {
			t.Errorf("show --json: %+v", s)
		}
		var tl projections.Timeline
		mustDecode(t, &tl, "timeline", criminalCode, "--server", url, "--json")
		if tl.Act != criminalCode || len(tl.Events) != 7 || len(tl.Intervals) == 0 {
			t.Errorf("timeline --json: %s with %d events and %d intervals, want the Criminal Code's 7 events", tl.Act, len(tl.Events), len(tl.Intervals))
		}
		var diff struct {
			Changes []projections.Change `json:"changes"`
		}
		mustDecode(t, &diff, "diff", "2008-06-01", "2010-01-01", "--server", url, "--json")
		found = false
		for _, c := range diff.Changes {
			found = found || (c.Act == refugees && c.EnteredForce)
		}
		if !found {
			t.Errorf("diff --json does not hold the Law on Refugees entering into force: %+v", diff.Changes)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			code events.Code
		}{
			{[]string{"asof", "2008-13-01"}, events.CodeInvalid},
			{[]string{"show", "/akn/kz/act/2099-01-01/none"}, events.CodeNotFound},
			{[]string{"asof", "2008-06-01", "--known-at", "garbage"}, events.CodeInvalid},
		} {
			_, _, err := runCmd(t, append(c.args, "--server", url)...)
			var e *events.Error
			if !errors.As(err, &e) || e.Code != c.code || e.Message == "" {
				t.Errorf("%v: %v, want an error %s with a message", c.args, err, c.code)
			}
		}
		for _, args := range [][]string{{"asof"}, {"show"}, {"timeline"}, {"diff", "2008-06-01"}, {"asof", "2005-01-01", "--bogus"}} {
			if _, _, err := runCmd(t, append(args, "--server", url)...); err == nil {
				t.Errorf("%v succeeded, want a usage error", args)
			}
		}
	})
}

func mustDecode(t *testing.T, v any, args ...string) {
	t.Helper()
	out, errs, err := runCmd(t, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v prints no JSON: %v\n%s", args, err, out)
	}
}

// lineWith returns the first line of out that contains s, trimmed.
func lineWith(out, s string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// The query commands print tables (and JSON) of a projector's answers.
func TestQueryCommands(t *testing.T) {
	checkQueryCommands(t, seededServer(t))
}

func TestUsage(t *testing.T) {
	out, _, err := runCmd(t, "help")
	if err != nil || !strings.Contains(out, "projector serve") {
		t.Errorf("help: %v\n%s", err, out)
	}
	if _, errs, err := runCmd(t); err == nil || !strings.Contains(errs, "Usage:") {
		t.Errorf("no command: %v, usage %q", err, errs)
	}
	if _, _, err := runCmd(t, "bogus"); err == nil {
		t.Error("an unknown command succeeded")
	}
}

// timeline prints an act's provisions in the same order every time, sorted:
// an act of two provisions (the seed has none: it gives no article numbers
// but art_18 and art_49, each of its own act).
func TestTimelinePrintsProvisionsInOrder(t *testing.T) {
	const act = "/akn/kz/act/2011-05-01/two-provisions"
	evs := []events.Event{
		{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2011-05-01"),
			Body: events.Body{Title: "Law of two provisions", Kind: events.Law, Texts: map[string]string{"sec_2": "two", "art_1": "one"}}},
		{ID: events.NewID(), Act: act, Type: events.Commenced, Date: events.MustDate("2011-05-01"),
			EffectiveFrom: events.MustDate("2011-06-01"), Provisions: []string{"sec_2"}},
		{ID: events.NewID(), Act: act, Type: events.Commenced, Date: events.MustDate("2011-05-01"),
			EffectiveFrom: events.MustDate("2011-07-01"), Provisions: []string{"art_1"}},
	}
	url, _ := serveEvents(t, evs)
	first, _, err := runCmd(t, "timeline", act, "--server", url)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(first, "art_1:"), strings.Index(first, "sec_2:")
	same := true
	for range 20 {
		out, _, err := runCmd(t, "timeline", act, "--server", url)
		if err != nil {
			t.Fatal(err)
		}
		same = same && out == first
	}
	if i < 0 || j < 0 || i > j || !same {
		t.Errorf("timeline of %s: art_1 at %d, sec_2 at %d, the same 20 times: %v; want art_1 first, every time:\n%s", act, i, j, same, first)
	}
}
