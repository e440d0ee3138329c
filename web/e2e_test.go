package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromium is Debian's chromium package: apt-get install -y chromium.
const chromium = "/usr/bin/chromium"

// artifacts is the directory for screenshots and the server's log: $LEX_ARTIFACTS,
// or a temporary directory of the test.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LEX_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// goTool is the go command of the toolchain running the test: go test puts
// its own GOROOT/bin first on the test's PATH.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("end-to-end test skipped: no go command to build `ledger` with")
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freePort(t *testing.T) int { return testkit.FreePort(t) }

// ledgerServe is `ledger serve`, built from this module and run as a
// process of the test.
type ledgerServe struct {
	bin  string
	base string
}

// startLedger builds cmd/ledger, runs `ledger serve` on a fresh data
// directory and free ports, and waits until it is healthy. The process is
// interrupted (then killed, if it does not stop) when the test ends. extra
// are more flags of serve.
func startLedger(t *testing.T, ctx context.Context, art string, extra ...string) *ledgerServe {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ledger")
	build := exec.CommandContext(ctx, goTool(t), "build", "-o", bin, "github.com/lexledger/lexledger/cmd/ledger")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ledger: %v\n%s", err, out)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	log, err := os.Create(filepath.Join(art, "ledger-serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd := exec.Command(bin, append([]string{"serve", "--data", filepath.Join(t.TempDir(), "data"), "--http", httpAddr, "--nats-port", fmt.Sprint(freePort(t))}, extra...)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			t.Errorf("ledger serve did not stop within 20s of an interrupt: killed")
			cmd.Process.Kill()
			<-exited
		}
	})
	s := &ledgerServe{bin: bin, base: "http://" + httpAddr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("ledger serve exited before it was healthy (%v): see %s", err, log.Name())
		default:
		}
		if resp, err := client.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger serve was not healthy within 30s: see %s", log.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// importSeed loads the seed with `ledger import` and waits until the
// projector has applied it.
func (s *ledgerServe) importSeed(t *testing.T, ctx context.Context) {
	t.Helper()
	out, err := exec.CommandContext(ctx, s.bin, "import", "--server", s.base, "--quiet", seedPath).CombinedOutput()
	if err != nil {
		t.Fatalf("ledger import: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pos struct {
			LastSeq uint64 `json:"last_seq"`
		}
		if resp, err := client.Get(s.base + "/v1/projection"); err == nil {
			json.NewDecoder(resp.Body).Decode(&pos)
			resp.Body.Close()
		}
		if pos.LastSeq >= seedEvents {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the projector applied %d events of the seed within 30s, want %d", pos.LastSeq, seedEvents)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// browser starts headless Chromium with a fresh profile, for the test.
func browser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	bctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser, which lives as long as the context
	// of that run: ctx, not a step's shorter one.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return bctx
}

// step runs actions with a bound of its own.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitUntil waits until a JavaScript expression is true in the page.
func waitUntil(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#notice') ? document.querySelector('#notice').textContent : ''`))
		t.Fatalf("%s: not so within 15s (%v); the page's notice says %q", what, err, got)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves the whole page as a PNG artifact.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

// viewport saves what the window shows as a PNG artifact.
func viewport(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

const art49Status = `(document.querySelector('#prov-art_49 [data-status]') || {dataset: {}}).dataset.status`

// The acceptance test of the web interface: against a real `ledger serve`
// loaded with the seed, open the Criminal Code, move "as of" across July
// 2009 and see the death penalty (art_49) go from suspended to in force in
// place, then record an event through the API and see it appear without a
// reload; the page also reads without JavaScript and on a phone.
func TestEndToEndInChromium(t *testing.T) {
	if !fileExists(chromium) {
		t.Skipf("end-to-end test skipped: %s is missing; install Debian's chromium package (apt-get install -y chromium) to run it", chromium)
	}
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	art := artifacts(t)
	t.Logf("artifacts in %s", art)
	srv := startLedger(t, ctx, art)
	srv.importSeed(t, ctx)
	b := browser(t, ctx)

	actURL := srv.base + "/ui/act?" + url.Values{"act": {string(criminalCode)}, "as_of": {"2009-06-30"}}.Encode()
	step(t, b, "open the Criminal Code's page", chromedp.Navigate(actURL), chromedp.WaitVisible(chromedp.ID("prov-art_49")))
	waitUntil(t, b, "the script listens to live events", `document.body.dataset.listening === 'true'`)
	if got := eval[string](t, b, art49Status); got != "suspended" {
		t.Fatalf("art_49 on 2009-06-30 shows %q, want suspended: the moratorium runs to 2009-07", got)
	}
	screenshot(t, b, art, "01-act-2009-06-30.png")
	eval[bool](t, b, `window.__sameDocument = true`) // gone if the page reloads

	// Type the day as a person does, into the date control: July 1st 2009.
	step(t, b, "type 2009-07-01 into 'as of'", chromedp.SendKeys(chromedp.ID("as_of"), "07012009"))
	if got := eval[string](t, b, `document.getElementById('as_of').value`); got != "2009-07-01" {
		// The order of a date control's fields follows the browser's locale.
		t.Logf("typing 07012009 gave %q (another locale?): setting the value instead", got)
		step(t, b, "set 'as of' to 2009-07-01", chromedp.SetValue(chromedp.ID("as_of"), "2009-07-01"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('as_of').dispatchEvent(new Event('change', {bubbles: true}))`))
	}
	waitUntil(t, b, "art_49 on 2009-07-01 is in force", art49Status+` === 'in_force'`)
	waitUntil(t, b, "the URL says as_of=2009-07-01", `location.search.includes('as_of=2009-07-01')`)
	if !eval[bool](t, b, `window.__sameDocument === true`) {
		t.Fatal("the page reloaded: the status should change in place")
	}
	if !eval[bool](t, b, `!!document.querySelector('#status .uncertain')`) {
		t.Error("on 2009-07-01 the page does not say the status is uncertain: the lift is known only to the month")
	}
	if got := eval[string](t, b, `document.querySelector('#status [data-status]').dataset.status`); got != "in_force" {
		t.Errorf("the Code on 2009-07-01 shows %q, want in_force", got)
	}
	screenshot(t, b, art, "02-act-2009-07-01.png")

	// Either side of the month: certain answers.
	for _, c := range []struct{ day, want string }{{"2009-06-15", "suspended"}, {"2009-08-01", "in_force"}} {
		step(t, b, "set 'as of' to "+c.day, chromedp.SetValue(chromedp.ID("as_of"), c.day),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('as_of').dispatchEvent(new Event('change', {bubbles: true}))`))
		waitUntil(t, b, "art_49 on "+c.day+" is "+c.want, art49Status+` === '`+c.want+`' && location.search.includes('as_of=`+c.day+`')`)
		if eval[bool](t, b, `!!document.querySelector('#status .uncertain')`) {
			t.Errorf("on %s the page says the status is uncertain; only days of 2009-07 are", c.day)
		}
	}
	if !eval[bool](t, b, `window.__sameDocument === true`) {
		t.Fatal("the page reloaded while 'as of' changed")
	}

	// A clerk records a corrigendum of art_49 through the API: it appears in
	// the events table, and its text in the provision, without a reload.
	id := "01KZE2E0000000000000000001"
	const text = "The death penalty is abolished, save for terrorist acts that cause loss of human life and for crimes committed in wartime (corrected)."
	body := fmt.Sprintf(`{"event": {"id": %q, "act": %q, "type": "corrigendum", "date": "2009-07-20", "provisions": ["art_49"],
		"body": {"gazette": "Kazakhstanskaya Pravda", "texts": {"art_49": %q}, "note": "end-to-end test"}}}`, id, criminalCode, text)
	resp, err := client.Post(srv.base+"/v1/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var receipt struct {
		Seq uint64 `json:"sequence"`
	}
	json.NewDecoder(resp.Body).Decode(&receipt)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/events: %d, want 201", resp.StatusCode)
	}
	waitUntil(t, b, "the corrigendum appears in the events table", `!!document.getElementById('ev-`+id+`')`)
	if !eval[bool](t, b, `window.__sameDocument === true`) {
		t.Fatal("the page reloaded: the new event should arrive in place")
	}
	if got := eval[string](t, b, `document.querySelector('#ev-`+id+` [data-label="Recorded by"]').textContent`); got != "anonymous@http" {
		t.Errorf("the new event's recorder shows %q, want anonymous@http", got)
	}
	waitUntil(t, b, "art_49's text is the corrected one", `document.querySelector('#prov-art_49 blockquote').textContent.includes('(corrected)')`)
	if got := eval[string](t, b, `document.getElementById('notice').textContent`); !strings.Contains(got, "New event recorded: corrigendum") {
		t.Errorf("the notice says %q, want it to announce the new event", got)
	}
	if got := eval[string](t, b, `document.getElementById('seq').textContent`); got != fmt.Sprint(receipt.Seq) {
		t.Errorf("the page says it shows sequence %s, want %d", got, receipt.Seq)
	}
	screenshot(t, b, art, "03-live-corrigendum.png")

	// On a phone.
	step(t, b, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	if w := eval[int](t, b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("on a 390px wide phone the page is %dpx wide: it should not scroll sideways (only the chart and tables may)", w)
	}
	viewport(t, b, art, "04-phone-top.png")
	eval[bool](t, b, `document.getElementById('timeline').scrollIntoView(), true`)
	viewport(t, b, art, "04-phone-timeline.png")
	eval[bool](t, b, `document.getElementById('ev-`+id+`').scrollIntoView(), true`)
	viewport(t, b, art, "04-phone-events.png")
	step(t, b, "back to a desktop", chromedp.EmulateViewport(1280, 900))

	// Without JavaScript, the page reads the same and its form submits.
	nojs, cancelTab := chromedp.NewContext(b)
	defer cancelTab()
	if _, err := chromedp.Call(nojs, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	step(t, nojs, "open the page without JavaScript", chromedp.Navigate(actURL), chromedp.WaitVisible(chromedp.ID("prov-art_49")))
	if got := eval[string](t, nojs, art49Status); got != "suspended" {
		t.Errorf("without JavaScript, art_49 on 2009-06-30 shows %q, want suspended", got)
	}
	step(t, nojs, "submit 2009-08-01 without JavaScript",
		chromedp.SetValue(chromedp.ID("as_of"), "2009-08-01"),
		chromedp.Click(chromedp.CSS(`form.controls button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#prov-art_49 [data-status="in_force"]`)))
	if loc := eval[string](t, nojs, `location.search`); !strings.Contains(loc, "as_of=2009-08-01") {
		t.Errorf("without JavaScript the form led to %q, want a URL with as_of=2009-08-01", loc)
	}
	screenshot(t, nojs, art, "05-no-javascript.png")

	step(t, b, "open the home page", chromedp.Navigate(srv.base+"/?as_of=2010-01-01"), chromedp.WaitVisible(chromedp.ID("results")))
	screenshot(t, b, art, "06-browse.png")

	steadyStream(t, b, srv.base)
	screenshot(t, b, art, "07-jurisdiction-live.png")
}
