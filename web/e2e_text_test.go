package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The reading view and the diff view in Chromium: from the act's page to
// its whole text, across versions, changing the day in place, then to the
// comparison with the previous version, whose words removed and added are
// marked; both read on a phone without scrolling sideways.
func TestTextInChromium(t *testing.T) {
	if !fileExists(chromium) {
		t.Skipf("end-to-end test skipped: %s is missing; install Debian's chromium package (apt-get install -y chromium) to run it", chromium)
	}
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	art := artifacts(t)
	s := mustSite(t)
	recordNotaries(t, s)
	b := browser(t, ctx)

	actURL := s.url + "/ui/act?" + url.Values{"act": {string(notaries)}, "as_of": {"2011-02-15"}}.Encode()
	step(t, b, "open the Law on Notaries' page", chromedp.Navigate(actURL), chromedp.WaitVisible(chromedp.CSS(`a[data-read-text]`)))
	step(t, b, "follow the link to the whole text", chromedp.Click(chromedp.CSS(`a[data-read-text]`)),
		chromedp.WaitVisible(chromedp.ID("p-chp_1__art_2__para_1")))
	const para1 = `document.querySelector('#p-chp_1__art_2__para_1 p.words').textContent`
	if got := eval[string](t, b, para1); !strings.Contains(got, "the Chamber of Notaries") {
		t.Errorf("paragraph 1 of article 2 on 2011-02-15 reads %q, want the Chamber of Notaries", got)
	}
	if got := eval[string](t, b, `document.querySelector('#p-chp_1__art_3 .repealed-note').textContent`); got != "Repealed" {
		t.Errorf("article 3 shows %q, want Repealed", got)
	}
	if got := eval[string](t, b, `document.querySelector('#p-chp_1__art_2__para_1 aside.notes').textContent`); !strings.Contains(got, "Words substituted with effect from 2011-02-01 by /akn/kz/act/2011-01-15/310, art_1") {
		t.Errorf("the note of paragraph 1 says %q", got)
	}
	// A note's mark leads to the note.
	step(t, b, "follow note F1", chromedp.Click(chromedp.CSS(`sup.fn a[href="#note-F1"]`)))
	if got := eval[string](t, b, `location.hash`); got != "#note-F1" {
		t.Errorf("after following F1 the page is at %q, want #note-F1", got)
	}
	if got := eval[string](t, b, `document.querySelector('[data-version]').dataset.version`); got != "2011-02-01" {
		t.Errorf("the version shown on 2011-02-15 is %q, want 2011-02-01", got)
	}
	screenshot(t, b, art, "text-01-2011-02-15.png")

	// The previous version: the text as it read before the amendment.
	step(t, b, "go to the previous version", chromedp.Click(chromedp.CSS(`a[rel=prev]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-version="2011-01-01"]`)))
	if got := eval[string](t, b, para1); !strings.Contains(got, "the Ministry of Justice") {
		t.Errorf("paragraph 1 of article 2 in the version of 2011-01-01 reads %q, want the Ministry of Justice", got)
	}
	if eval[bool](t, b, `!!document.getElementById('p-chp_1__art_2-1')`) {
		t.Error("article 2-1, inserted from 2011-02-01, is in the version of 2011-01-01")
	}

	// Changing the day in place: before commencement, every provision is
	// prospective.
	eval[bool](t, b, `window.__sameDocument = true`)
	step(t, b, "set the day to 2010-12-15", chromedp.SetValue(chromedp.ID("as_of"), "2010-12-15"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('as_of').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitUntil(t, b, "article 1 is prospective on 2010-12-15", `document.getElementById('p-chp_1__art_1').dataset.status === 'prospective' && location.search.includes('as_of=2010-12-15')`)
	if !eval[bool](t, b, `window.__sameDocument === true`) {
		t.Error("the page reloaded: the text should change in place")
	}

	// On 2011-06-01 the panel lists the amendment recorded without changes.
	step(t, b, "set the day to 2011-06-01", chromedp.SetValue(chromedp.ID("as_of"), "2011-06-01"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('as_of').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitUntil(t, b, "the panel lists the outstanding change", `!!document.querySelector('#changes ul.outstanding') && document.querySelector('#changes').textContent.includes('/akn/kz/act/2011-02-20/320')`)
	screenshot(t, b, art, "text-02-2011-06-01.png")

	// The comparison with the previous version, from the version of
	// 2011-02-01.
	step(t, b, "open the version of 2011-02-01", chromedp.Navigate(s.url+"/ui/text?"+url.Values{"act": {string(notaries)}, "as_of": {"2011-02-01"}}.Encode()),
		chromedp.WaitVisible(chromedp.CSS(`a[data-compare]`)))
	step(t, b, "compare with the previous version", chromedp.Click(chromedp.CSS(`a[data-compare]`)),
		chromedp.WaitVisible(chromedp.ID("d-chp_1__art_2__para_1")))
	const words = `document.querySelector('#d-chp_1__art_2__para_1 p.words')`
	if got := eval[string](t, b, words+`.querySelector('del').textContent`); got != "Ministry " {
		t.Errorf("the first words removed are %q, want %q", got, "Ministry ")
	}
	if got := eval[string](t, b, words+`.querySelector('ins').textContent`); got != "Chamber " {
		t.Errorf("the first words added are %q, want %q", got, "Chamber ")
	}
	// Struck through and underlined, as a reader expects.
	if got := eval[string](t, b, `getComputedStyle(`+words+`.querySelector('del')).textDecorationLine`); got != "line-through" {
		t.Errorf("words removed are decorated %q, want line-through", got)
	}
	if got := eval[string](t, b, `getComputedStyle(`+words+`.querySelector('ins')).textDecorationLine`); got != "underline" {
		t.Errorf("words added are decorated %q, want underline", got)
	}
	if got := eval[string](t, b, `document.querySelector('#d-chp_1__art_3').dataset.change`); got != "repealed" {
		t.Errorf("article 3 is %q in the diff, want repealed", got)
	}
	if got := eval[string](t, b, `document.querySelector('#d-chp_1__art_2__para_1 aside.notes').textContent`); !strings.Contains(got, "/akn/kz/act/2011-01-15/310") {
		t.Errorf("the change of paragraph 1 is not credited to its instrument: %q", got)
	}
	screenshot(t, b, art, "text-03-diff.png")

	// On a phone, neither page scrolls sideways.
	step(t, b, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	if w := eval[int](t, b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("on a 390px wide phone the diff is %dpx wide: it should not scroll sideways", w)
	}
	viewport(t, b, art, "text-04-phone-diff.png")
	step(t, b, "open the text on a phone", chromedp.Navigate(s.url+"/ui/text?"+url.Values{"act": {string(notaries)}, "as_of": {"2011-06-01"}}.Encode()),
		chromedp.WaitVisible(chromedp.ID("p-chp_1")))
	if w := eval[int](t, b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("on a 390px wide phone the text is %dpx wide: it should not scroll sideways", w)
	}
	eval[bool](t, b, `document.getElementById('text').scrollIntoView(), true`)
	viewport(t, b, art, "text-05-phone-text.png")
}
