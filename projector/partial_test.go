package projector_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
)

// mustScope parses patterns into a scope.
func mustScope(t *testing.T, patterns ...string) eventlog.Scope {
	t.Helper()
	sc, err := eventlog.ParseScope(patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// startPart runs a projector of scope over env's stream, with the feed,
// restoring its snapshot if restore is set.
func startPart(t *testing.T, env *natstest.Env, scope eventlog.Scope, restore bool) *running {
	t.Helper()
	return startPartWith(t, env, projector.Options{Scope: scope, Feed: true}, restore)
}

// startPartWith is startPart with opts, whose Scope is the part's.
func startPartWith(t *testing.T, env *natstest.Env, opts projector.Options, restore bool) *running {
	t.Helper()
	return startService(t, env.Store.Part(opts.Scope), env.Conn, opts, restore)
}

// loadJurisdictions records the seed (Kazakhstan) and, interleaved, n new
// laws in each of ru, uz and by, and returns the receipts.
func loadJurisdictions(t *testing.T, l *ledger.Ledger, n int) []ledger.Receipt {
	t.Helper()
	rs := loadSeed(t, l)
	for i := range n {
		for _, c := range []string{"ru", "uz", "by"} {
			act := events.ActID(fmt.Sprintf("/akn/%s/act/2011-05-01/%d", c, i))
			rs = append(rs, mustAppend(t, l, created(act, fmt.Sprintf("Law %d of %s", i, c))))
		}
	}
	return rs
}

// caughtUp waits, bounded, until the projector is ready and caught up.
func (r *running) caughtUp(t *testing.T) {
	t.Helper()
	ctx := testContext(t, 30*time.Second)
	for !r.svc.Ready() {
		select {
		case <-ctx.Done():
			t.Fatalf("the projector was not ready within 30s")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := r.svc.CaughtUp(ctx); err != nil {
		t.Fatalf("the projector did not catch up: %v", err)
	}
}

// answers is what a projector says of every act and of every
// jurisdiction's list, on one day.
func answers(r *running, countries []string) (states map[events.ActID]string, lists map[string]string) {
	states, lists = map[events.ActID]string{}, map[string]string{}
	q := projections.Query{AsOf: events.MustDate("2024-01-01")}
	r.svc.Read(func(p *projections.Projection) {
		for _, act := range p.Acts() {
			st, err := p.State(act, q)
			data, _ := json.Marshal(st)
			states[act] = fmt.Sprint(string(data), err)
		}
		for _, c := range countries {
			l, err := p.List(projections.Filter{Country: c}, q)
			data, _ := json.Marshal(l)
			lists[c] = fmt.Sprint(string(data), err)
		}
	})
	return states, lists
}

// Two projectors of disjoint parts of a stream of four jurisdictions each
// answer for their acts exactly as a projector of the whole ledger does,
// know none of the others', are ready once they applied their part's last
// event, refuse the tree's questions, and restore their own snapshot (not
// another part's) after a restart.
func TestPartialProjectorsAnswerForTheirPart(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	rs := loadJurisdictions(t, l, 10)
	last := rs[len(rs)-1].Seq

	full := startService(t, env.Store, env.Conn, projector.Options{}, false)
	full.waitFor(t, last)
	scopeA, scopeB := mustScope(t, "kz.>", "ru.>"), mustScope(t, "uz.>", "by.>")
	a, b := startPart(t, env, scopeA, false), startPart(t, env, scopeB, false)
	a.caughtUp(t)
	b.caughtUp(t)

	countries := []string{"kz", "ru", "uz", "by"}
	fullStates, fullLists := answers(full, countries)
	for _, part := range []struct {
		r     *running
		scope eventlog.Scope
	}{{a, scopeA}, {b, scopeB}} {
		states, lists := answers(part.r, countries)
		want := 0
		for act, st := range fullStates {
			if !part.scope.Covers(act) {
				if _, ok := states[act]; ok {
					t.Errorf("the projector of %s knows %s, outside its part", part.scope, act)
				}
				continue
			}
			want++
			if states[act] != st {
				t.Errorf("the projector of %s answers for %s\n%s\nwhere the whole ledger's answers\n%s", part.scope, act, states[act], st)
			}
		}
		if len(states) != want || want == 0 {
			t.Errorf("the projector of %s knows %d acts, want %d", part.scope, len(states), want)
		}
		for _, c := range countries {
			in := part.scope.Covers(events.ActID("/akn/" + c + "/act/2011-05-01/0"))
			if in && lists[c] != fullLists[c] {
				t.Errorf("the projector of %s lists %s as\n%s\nwant\n%s", part.scope, c, lists[c], fullLists[c])
			}
			if !in && lists[c] != "[]<nil>" {
				t.Errorf("the projector of %s lists %s, outside its part, as %s; want none", part.scope, c, lists[c])
			}
		}
		pos, err := part.r.svc.Position(testContext(t, 10*time.Second), false)
		if err != nil {
			t.Fatal(err)
		}
		if !pos.Ready || pos.Behind != 0 || !reflect.DeepEqual(pos.Scope, part.scope.Patterns()) {
			t.Errorf("the projector of %s stands at %+v; want ready, 0 behind, scope %v", part.scope, pos, part.scope.Patterns())
		}
		if _, err := part.r.svc.Checkpoint(context.Background()); codeOf(err) != events.CodeOutOfScope {
			t.Errorf("a partial projector asked for a checkpoint answers %v, want an out_of_scope refusal", err)
		}
		if _, err := part.r.svc.Prove(context.Background(), rs[0].ID); codeOf(err) != events.CodeOutOfScope {
			t.Errorf("a partial projector asked for a proof answers %v, want an out_of_scope refusal", err)
		}
	}
	if err := a.svc.CheckScope("/akn/uz/act/2011-05-01/0"); codeOf(err) != events.CodeOutOfScope || !strings.Contains(err.Error(), "kz.>,ru.>") {
		t.Errorf("the projector of kz and ru asked about an act of uz says %v; want out_of_scope naming its scope", err)
	}

	// A new event of one part: the other part's min_seq waits do not hang.
	r := mustAppend(t, l, created("/akn/uz/act/2011-05-01/new", "A new law of uz"))
	ctx := testContext(t, 10*time.Second)
	if _, err := a.svc.WaitFor(ctx, r.Seq); err != nil {
		t.Errorf("the projector of kz and ru waited for sequence %d, another part's: %v", r.Seq, err)
	}
	b.waitFor(t, r.Seq)

	// A restart restores the part's own snapshot, not another part's.
	_, evsA := a.position()
	if err := a.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v after its cancellation", err)
	}
	if err := b.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v after its cancellation", err)
	}
	again := startPart(t, env, scopeA, true)
	again.caughtUp(t)
	if _, evs := again.position(); evs != evsA {
		t.Errorf("after a restart the projector of %s holds %d events, want %d", scopeA, evs, evsA)
	}
	states, _ := answers(again, countries)
	for act, st := range states {
		if fullStates[act] != st {
			t.Errorf("after a restart the projector of %s answers for %s\n%s\nwant\n%s", scopeA, act, st, fullStates[act])
		}
	}
	// Scope patterns in another order are the same scope: same snapshot.
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	swapped := projector.New(env.Store.Part(mustScope(t, "ru.>", "kz.>")), views, projector.Options{Scope: mustScope(t, "ru.>", "kz.>")})
	if err := swapped.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	swapped.Read(func(p *projections.Projection) {
		if p.Events() != evsA {
			t.Errorf("the projector of ru.>,kz.> restored %d events, want kz.>,ru.>'s %d", p.Events(), evsA)
		}
	})
	other := projector.New(env.Store.Part(mustScope(t, "kz.>")), views, projector.Options{Scope: mustScope(t, "kz.>")})
	if err := other.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	other.Read(func(p *projections.Projection) {
		if p.Events() != 0 {
			t.Errorf("the projector of kz.> restored %d events of another scope's snapshot, want none", p.Events())
		}
	})
}

// A snapshot stored under a part's name that records another scope is not
// restored: the projector rebuilds from the stream.
func TestPartialSnapshotOfAnotherScopeIsNotRestored(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadJurisdictions(t, l, 2)
	scope := mustScope(t, "kz.>")
	first := startPart(t, env, scope, false)
	first.caughtUp(t)
	if err := first.stop(); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	ctx := testContext(t, 30*time.Second)
	name := projector.SnapshotName + "-part-" + scope.Key()
	rd, err := first.views.LoadSnapshot(ctx, name)
	if err != nil {
		t.Fatalf("the partial projector saved no snapshot %s: %v", name, err)
	}
	data, err := io.ReadAll(rd)
	rd.Close()
	if err != nil || !strings.HasPrefix(string(data), "lexledger-scope kz.>\n") {
		t.Fatalf("the snapshot opens with %.40q (%v), want the scope line lexledger-scope kz.>", data, err)
	}
	forged := strings.Replace(string(data), "lexledger-scope kz.>\n", "lexledger-scope ru.>\n", 1)
	if err := first.views.SaveSnapshot(ctx, name, 1, func(w io.Writer) error { _, err := io.WriteString(w, forged); return err }); err != nil {
		t.Fatal(err)
	}
	svc := projector.New(env.Store.Part(scope), first.views, projector.Options{Scope: scope})
	if err := svc.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	svc.Read(func(p *projections.Projection) {
		if p.Events() != 0 {
			t.Errorf("a snapshot recording scope ru.> was restored by the projector of kz.> (%d events)", p.Events())
		}
	})
}

// The query API of a partial projector refuses an act outside its part
// with 421 out_of_scope naming the part, answers for its own, and says
// its scope on every answer and in /v1/projection.
func TestPartialProjectorQueries(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadJurisdictions(t, l, 2)
	part := startPart(t, env, mustScope(t, "kz.>"), false)
	part.caughtUp(t)
	mux := http.NewServeMux()
	(&httpapi.Queries{Projector: part.svc}).Routes(mux)
	web.New(part.svc, web.Options{}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	get := func(path string) (int, http.Header, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}
	status, h, body := get("/v1/act?act=/akn/ru/act/2011-05-01/0&as_of=2024-01-01")
	if status != http.StatusMisdirectedRequest || !strings.Contains(body, `"out_of_scope"`) || !strings.Contains(body, "kz.>") {
		t.Errorf("an act outside the part answers %d %s; want 421 out_of_scope naming kz.>", status, body)
	}
	if status, _, body := get("/ui/act?act=/akn/ru/act/2011-05-01/0"); status != http.StatusMisdirectedRequest || !strings.Contains(body, "kz.&gt;") {
		t.Errorf("the web page of an act outside the part answers %d; want 421 naming kz.>: %.300s", status, body)
	}
	if h.Get(httpapi.HeaderScope) != "kz.>" {
		t.Errorf("the refusal's %s is %q, want kz.>", httpapi.HeaderScope, h.Get(httpapi.HeaderScope))
	}
	if status, _, body := get("/v1/act?act=" + string(refugees) + "&as_of=2024-01-01"); status != http.StatusOK {
		t.Errorf("an act of the part answers %d %s, want 200", status, body)
	}
	status, h, body = get("/v1/acts?as_of=2024-01-01")
	if status != http.StatusOK || h.Get(httpapi.HeaderScope) != "kz.>" || strings.Contains(body, "/akn/ru/") {
		t.Errorf("the list answers %d with %s %q: %.200s; want 200, kz.>, no act of ru", status, httpapi.HeaderScope, h.Get(httpapi.HeaderScope), body)
	}
	status, _, body = get("/v1/projection")
	if status != http.StatusOK || !strings.Contains(body, `"scope":["kz.>"]`) {
		t.Errorf("/v1/projection answers %d %s; want its scope", status, body)
	}
	if status, _, body := get("/v1/proof?event=" + events.NewID().String()); status != http.StatusMisdirectedRequest {
		t.Errorf("a proof asked of a partial projector answers %d %s, want 421", status, body)
	}
}

// A projector of part of the ledger refuses to sign checkpoints.
func TestPartialProjectorRefusesASigner(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	signer, err := audit.GenerateSigner("test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	views, err := natsjs.OpenViews(testContext(t, 10*time.Second), env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	scope := mustScope(t, "kz.>")
	svc := projector.New(env.Store.Part(scope), views, projector.Options{Scope: scope, Signer: signer})
	if err := svc.Run(testContext(t, 10*time.Second)); !errors.Is(err, projector.ErrPartialSigner) {
		t.Errorf("Run of a partial projector with a signer returned %v, want ErrPartialSigner", err)
	}
}

// codeOf is the code of the *events.Error in err's chain, if any.
func codeOf(err error) events.Code {
	var e *events.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
