package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lexledger/lexledger/auth"
)

// The web interface of `ledger serve --auth`, in Chromium: a page asks
// for a token, the auditor signs in once, the page then reads and listens
// live (its cookie goes with page loads, fetches and the event stream),
// and an event a clerk records shows the clerk's name.
func TestSignInInChromium(t *testing.T) {
	if !fileExists(chromium) {
		t.Skipf("end-to-end test skipped: %s is missing; install Debian's chromium package (apt-get install -y chromium) to run it", chromium)
	}
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	t.Setenv("LEDGER_TOKEN", "")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	art := artifacts(t)

	tokens := filepath.Join(t.TempDir(), "tokens.json")
	f, _ := auth.ReadOrNew(tokens)
	ada, _ := f.Add("ada", auth.Auditor, time.Now())
	alice, _ := f.Add("alice", auth.Clerk, time.Now())
	if err := f.Write(tokens); err != nil {
		t.Fatal(err)
	}
	srv := startLedger(t, ctx, art, "--auth", tokens)
	out, err := exec.CommandContext(ctx, srv.bin, "import", "--server", srv.base, "--token", alice, "--quiet", seedPath).CombinedOutput()
	if err != nil {
		t.Fatalf("ledger import as the clerk: %v\n%s", err, out)
	}
	authed := func(method, path, token, body string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, method, srv.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		var pos struct {
			LastSeq uint64 `json:"last_seq"`
		}
		resp := authed("GET", "/v1/projection", ada, "")
		json.NewDecoder(resp.Body).Decode(&pos)
		resp.Body.Close()
		if pos.LastSeq >= seedEvents {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the projector applied %d events of the seed within 30s, want %d", pos.LastSeq, seedEvents)
		}
		time.Sleep(50 * time.Millisecond)
	}

	b := browser(t, ctx)
	actURL := srv.base + "/ui/act?" + url.Values{"act": {string(criminalCode)}, "as_of": {"2009-06-30"}}.Encode()
	step(t, b, "open the Criminal Code's page without a token", chromedp.Navigate(actURL), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	screenshot(t, b, art, "auth-01-sign-in.png")
	step(t, b, "sign in with a wrong token", chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "lex_wrong"),
		chromedp.Submit(chromedp.CSS(`input[name=token]`)), chromedp.WaitVisible(chromedp.CSS(`[role=alert]`)))
	step(t, b, "sign in as the auditor", chromedp.SendKeys(chromedp.CSS(`input[name=token]`), ada),
		chromedp.Submit(chromedp.CSS(`input[name=token]`)), chromedp.WaitVisible(chromedp.ID("prov-art_49")))
	if got := eval[string](t, b, `location.pathname + location.search`); !strings.HasPrefix(got, "/ui/act?") {
		t.Errorf("after signing in the browser is at %q, want back on the act's page", got)
	}
	if got := eval[string](t, b, `document.cookie`); got != "" {
		t.Errorf("the page's script can read the cookie %q: it should be HttpOnly", got)
	}
	waitUntil(t, b, "the script listens to live events", `document.body.dataset.listening === 'true'`)
	if got := eval[string](t, b, art49Status); got != "suspended" {
		t.Fatalf("art_49 on 2009-06-30 shows %q, want suspended", got)
	}
	step(t, b, "set 'as of' to 2009-08-01", chromedp.SetValue(chromedp.ID("as_of"), "2009-08-01"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('as_of').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitUntil(t, b, "art_49 on 2009-08-01 is in force (a fetch with the cookie)", art49Status+` === 'in_force'`)

	id := "01KZE2E0000000000000000002"
	body := fmt.Sprintf(`{"event": {"id": %q, "act": %q, "type": "corrigendum", "date": "2009-07-20", "provisions": ["art_49"],
		"body": {"gazette": "Kazakhstanskaya Pravda", "texts": {"art_49": "corrected"}, "note": "sign-in test"}}}`, id, criminalCode)
	resp := authed("POST", "/v1/events", alice, body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/events as the clerk: %d, want 201", resp.StatusCode)
	}
	waitUntil(t, b, "the clerk's event appears live (the event stream with the cookie)", `!!document.getElementById('ev-`+id+`')`)
	if got := eval[string](t, b, `document.querySelector('#ev-`+id+` [data-label="Recorded by"]').textContent`); got != "alice@http" {
		t.Errorf("the new event's recorder shows %q, want alice@http", got)
	}
	screenshot(t, b, art, "auth-02-signed-in.png")

	step(t, b, "sign out", chromedp.Navigate(srv.base+"/ui/logout"), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	step(t, b, "open the page again", chromedp.Navigate(actURL), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
}
