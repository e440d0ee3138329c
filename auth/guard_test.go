package auth_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/auth"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
)

const refugees = "/akn/kz/act/2009-12-04/216"

// stack is what `ledger serve --auth` serves, in process: the clerks' API,
// the projector's queries and the web interface on one mux behind a
// Guard, over a real embedded JetStream server.
type stack struct {
	url     string
	env     *natstest.Env
	file    string            // the token file
	secrets map[string]string // name -> secret
}

// mustStack starts the stack with three tokens: alice the clerk, ada the
// auditor and root the admin.
func mustStack(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	env := natstest.MustStart(t, natstest.Options{})
	s := &stack{env: env, file: filepath.Join(t.TempDir(), "tokens.json"), secrets: map[string]string{}}
	f, _ := auth.ReadOrNew(s.file)
	for name, role := range map[string]auth.Role{"alice": auth.Clerk, "ada": auth.Auditor, "root": auth.Admin} {
		secret, err := f.Add(name, role, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s.secrets[name] = secret
	}
	if err := f.Write(s.file); err != nil {
		t.Fatal(err)
	}
	g, err := auth.NewGuard(s.file, nil)
	if err != nil {
		t.Fatal(err)
	}

	led := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	api := &httpapi.Server{Ledger: led, Stream: env.Store, Identify: auth.Identify,
		StreamAdmin: func(ctx context.Context) (httpapi.StreamStatus, error) {
			n, err := env.Store.Msgs(ctx)
			return httpapi.StreamStatus{Stream: env.Store.Config().Stream, Messages: n}, err
		}}
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	kp, _, err := projector.LoadOrCreateKey(filepath.Join(t.TempDir(), "checkpoint.nk"), "")
	if err != nil {
		t.Fatal(err)
	}
	proj := projector.New(env.Store, views, projector.Options{Signer: kp})
	if err := proj.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { proj.Run(ctx); close(done) }()
	ui := web.New(proj, web.Options{})

	mux := http.NewServeMux()
	api.Routes(mux)
	(&httpapi.Queries{Projector: proj}).Routes(mux)
	ui.Routes(mux)
	mux.HandleFunc("/", httpapi.NotFound)
	srv := httptest.NewServer(g.Handler(mux))
	srv.Config.RegisterOnShutdown(ui.Close)
	t.Cleanup(func() {
		ui.Close()
		srv.Close()
		cancel()
		<-done
		led.Close()
	})
	s.url = srv.URL
	return s
}

// answer is an HTTP answer, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) errorCode() string {
	var ej ledger.ErrorJSON
	json.Unmarshal([]byte(a.body), &ej)
	return string(ej.Error.Code)
}

// do sends a request with the named token ("" for none, or "!" + a raw
// secret).
func (s *stack) do(t *testing.T, method, path, who, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasPrefix(who, "!"):
		req.Header.Set("Authorization", "Bearer "+who[1:])
	case who != "":
		req.Header.Set("Authorization", "Bearer "+s.secrets[who])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func (s *stack) messages(t *testing.T) uint64 {
	t.Helper()
	n, err := s.env.Store.Msgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func record(typ, date, extra string) string {
	return fmt.Sprintf(`{"event":{"act":%q,"type":%q,"date":%q%s}}`, refugees, typ, date, extra)
}

var drafted = record("drafted", "2009-03", `,"body":{"title":"Law on Refugees","kind":"law"}`)

func TestGuard(t *testing.T) {
	s := mustStack(t)

	t.Run("PublicRoutesAndUnknownPaths", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/healthz", 200},
			{"GET", "/openapi.yaml", 200},
			{"GET", "/ui/static/style.css", 200},
			{"GET", "/v1/nothing-here", 404},
			{"POST", "/v1/acts", 404}, // a known path with another method answers as it did
		} {
			if a := s.do(t, c.method, c.path, "", ""); a.status != c.want {
				t.Errorf("%s %s without a token answered %d (%s), want %d", c.method, c.path, a.status, a.body, c.want)
			}
		}
	})

	t.Run("ErrUnauthenticated", func(t *testing.T) {
		before := s.messages(t)
		for _, who := range []string{"", "!lex_not-a-token", "!" + strings.ToUpper(s.secrets["root"])} {
			a := s.do(t, "POST", "/v1/events", who, drafted)
			if a.status != 401 || a.errorCode() != "unauthorized" || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("a request with token %q answered %d %q (WWW-Authenticate %q), want 401 unauthorized with a Bearer challenge",
					who, a.status, a.body, a.header.Get("WWW-Authenticate"))
			}
			if !strings.Contains(a.body, "ledger token add") {
				t.Errorf("the 401's message %s does not say what to do", a.body)
			}
		}
		for _, path := range []string{"/v1/history?act=" + refugees, "/v1/acts", "/v1/admin/stream", "/ui/act?act=" + refugees, "/ui/events"} {
			if a := s.do(t, "GET", path, "", ""); a.status != 401 {
				t.Errorf("GET %s without a token answered %d, want 401", path, a.status)
			}
		}
		if got := s.messages(t); got != before {
			t.Errorf("the stream holds %d events after refused requests, want %d", got, before)
		}
	})

	var seq uint64
	t.Run("ClerkRecordsUnderTheTokensName", func(t *testing.T) {
		a := s.do(t, "POST", "/v1/events", "alice", drafted)
		if a.status != 201 {
			t.Fatalf("alice the clerk recorded with %d %s, want 201", a.status, a.body)
		}
		var r ledger.Receipt
		json.Unmarshal([]byte(a.body), &r)
		seq = r.Seq
		a = s.do(t, "GET", "/v1/history?act="+refugees, "alice", "")
		var h ledger.HistoryJSON
		if err := json.Unmarshal([]byte(a.body), &h); err != nil || a.status != 200 || len(h.Events) != 1 {
			t.Fatalf("alice read the history with %d %s, want 200 and one event", a.status, a.body)
		}
		if got := h.Events[0].Event.RecordedBy; got != "alice@http" {
			t.Errorf("the event is recorded by %q, want alice@http", got)
		}
		// The body cannot name another recorder.
		a = s.do(t, "POST", "/v1/events", "alice", record("adopted", "2009-11", `,"recorded_by":"mallory@http"`))
		if a.status < 400 || !strings.Contains(a.body, "recorded_by") {
			t.Errorf("a body naming its recorder answered %d %s, want a refusal about recorded_by", a.status, a.body)
		}
	})

	t.Run("ClerkIsForbiddenAdminAndAuditRoutes", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/admin/stream"},
			{"GET", "/v1/acts"},
			{"POST", "/v1/checkpoints"},
			{"GET", "/v1/events"},
		} {
			a := s.do(t, c.method, c.path, "alice", "")
			if a.status != 403 || a.errorCode() != "forbidden" || !strings.Contains(a.body, "alice is a clerk") {
				t.Errorf("alice the clerk on %s %s got %d %s, want 403 forbidden naming her role", c.method, c.path, a.status, a.body)
			}
		}
	})

	t.Run("AuditorReadsButCannotRecord", func(t *testing.T) {
		before := s.messages(t)
		a := s.do(t, "POST", "/v1/events", "ada", record("adopted", "2009-11", ""))
		if a.status != 403 || a.errorCode() != "forbidden" {
			t.Errorf("ada the auditor recording got %d %s, want 403 forbidden", a.status, a.body)
		}
		if got := s.messages(t); got != before {
			t.Errorf("the stream holds %d events after the auditor's refused record, want %d", got, before)
		}
		for _, c := range []struct{ method, path string }{
			{"GET", fmt.Sprintf("/v1/acts?as_of=2010-01-01&min_seq=%d", seq)},
			{"GET", "/v1/act?act=" + refugees + "&as_of=2010-01-01"},
			{"GET", "/v1/timeline?act=" + refugees},
			{"GET", "/v1/diff?from=2009-01-01&to=2010-01-01"},
			{"GET", "/v1/history?act=" + refugees},
			{"GET", "/v1/events?from_seq=1"},
			{"GET", "/v1/audit?act=" + refugees},
			{"GET", "/v1/export?act=" + refugees + "&as_of=2010-01-01"},
			{"POST", "/v1/checkpoints"},
			{"GET", "/v1/checkpoint"},
		} {
			if a := s.do(t, c.method, c.path, "ada", ""); a.status != 200 {
				t.Errorf("ada the auditor on %s %s got %d %s, want 200", c.method, c.path, a.status, a.body)
			}
		}
		if a := s.do(t, "GET", "/v1/admin/stream", "ada", ""); a.status != 403 {
			t.Errorf("ada the auditor on the admin route got %d, want 403", a.status)
		}
	})

	t.Run("AdminDoesAll", func(t *testing.T) {
		a := s.do(t, "POST", "/v1/events", "root", record("adopted", "2009-11", ""))
		if a.status != 201 {
			t.Fatalf("root the admin recorded with %d %s, want 201", a.status, a.body)
		}
		a = s.do(t, "GET", "/v1/admin/stream", "root", "")
		var st httpapi.StreamStatus
		if err := json.Unmarshal([]byte(a.body), &st); err != nil || a.status != 200 || st.Messages != s.messages(t) || st.Stream != "LEX" {
			t.Errorf("root on GET /v1/admin/stream got %d %s, want 200 with the stream LEX and its %d messages", a.status, a.body, s.messages(t))
		}
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/acts?as_of=2010-01-01"},
			{"GET", "/v1/history?act=" + refugees},
			{"POST", "/v1/checkpoints"},
			{"GET", "/ui/act?act=" + refugees},
		} {
			if a := s.do(t, c.method, c.path, "root", ""); a.status != 200 {
				t.Errorf("root the admin on %s %s got %d %s, want 200", c.method, c.path, a.status, a.body)
			}
		}
	})

	t.Run("WebInterfaceSignsInWithACookie", func(t *testing.T) {
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("GET", s.url+"/ui/act?act="+refugees, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(page), `action="/ui/login"`) || !strings.Contains(string(page), `value="/ui/act?act=`+refugees+`"`) {
			t.Errorf("a browser without a token got %d, want 401 with the sign-in form that returns to the page:\n%s", resp.StatusCode, page)
		}

		login := func(secret, next string) *http.Response {
			resp, err := noRedirect.PostForm(s.url+"/ui/login", url.Values{"token": {secret}, "next": {next}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		if resp := login("lex_wrong", "/"); resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
			t.Errorf("signing in with a wrong token answered %d with cookies %v, want 401 and none", resp.StatusCode, resp.Cookies())
		}
		if resp := login(s.secrets["ada"], "//evil.example/"); resp.Header.Get("Location") != "/" {
			t.Errorf("a sign-in asked to go on to another site redirects to %q, want /", resp.Header.Get("Location"))
		}
		resp = login(s.secrets["ada"], "/ui/act?act="+refugees)
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/ui/act?act="+refugees {
			t.Fatalf("signing in answered %d to %q, want 303 back to the act's page", resp.StatusCode, resp.Header.Get("Location"))
		}
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == auth.CookieName {
				cookie = c
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
			t.Fatalf("the sign-in cookie is %+v, want an HttpOnly, SameSite=Strict %s", cookie, auth.CookieName)
		}
		withCookie := func(method, path string) *http.Response {
			req, _ := http.NewRequest(method, s.url+path, strings.NewReader(record("signed", "2009-12-04", "")))
			req.AddCookie(cookie)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		for _, path := range []string{"/", "/ui/act?act=" + refugees, "/v1/export?act=" + refugees + "&as_of=2010-01-01"} {
			resp := withCookie("GET", path)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET %s with the cookie answered %d, want 200", path, resp.StatusCode)
			}
		}
		// The live stream (EventSource sends cookies, not headers).
		resp = withCookie("GET", "/ui/events")
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(line, "retry:") {
			t.Errorf("GET /ui/events with the cookie answered %d %q, want 200 and a stream", resp.StatusCode, line)
		}
		// A cookie never authorises a change: another site could send it.
		resp = withCookie("POST", "/v1/checkpoints")
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("POST /v1/checkpoints with only the cookie answered %d, want 401", resp.StatusCode)
		}
	})

	t.Run("RevokedTokenStopsWorking", func(t *testing.T) {
		f, err := auth.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Revoke("alice"); err != nil {
			t.Fatal(err)
		}
		if err := f.Write(s.file); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * auth.ReloadEvery)
		for {
			a := s.do(t, "GET", "/v1/history?act="+refugees, "alice", "")
			if a.status == 401 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("alice's revoked token still answers %d after %s", a.status, 5*auth.ReloadEvery)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if a := s.do(t, "GET", "/v1/history?act="+refugees, "ada", ""); a.status != 200 {
			t.Errorf("ada's token answers %d after alice's was revoked, want 200", a.status)
		}
	})
}
