package eventlog_test

import (
	"strings"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

func TestParseScopeRefusesBadPatterns(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		why      string
	}{
		{[]string{""}, "empty"},
		{[]string{"KZ.>"}, "the country"},
		{[]string{"kz.Act.>"}, "must be *, >"},
		{[]string{"kaz.>"}, "the country"},
		{[]string{"kz.>.act"}, "> may only be the last"},
		{[]string{"kz.act"}, "matches no act"},
		{[]string{"kz.act.2009.1.2.3"}, "at most 5"},
		{[]string{"kz.act/code.>"}, "must be *, >"},
		{[]string{"kz.>", "kz.act.>"}, "overlap"},
		{[]string{"*.act.>", "kz.*.>"}, "overlap"},
	} {
		_, err := eventlog.ParseScope(tc.patterns...)
		if err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParseScope(%q) = %v, want an error saying %q", tc.patterns, err, tc.why)
		}
	}
}

func TestScopeCovers(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		act      events.ActID
		want     bool
	}{
		{nil, "/akn/kz/act/2009-12-04/216", true},
		{[]string{"kz.>"}, "/akn/kz/act/2009-12-04/216", true},
		{[]string{"kz.>"}, "/akn/kz/act/code/1997-07-16/167", true},
		{[]string{"kz.>"}, "/akn/ru/act/2009-12-04/216", false},
		{[]string{"kz.>"}, "/akn/kz-ala/act/2009-12-04/216", false},
		{[]string{"ru.>", "kz.act.code.>"}, "/akn/kz/act/code/1997-07-16/167", true},
		{[]string{"ru.>", "kz.act.code.>"}, "/akn/kz/act/2009-12-04/216", false},
		{[]string{"*.act.*.*"}, "/akn/kz/act/2009-12-04/216", true},
		{[]string{"*.act.*.*"}, "/akn/kz/act/code/1997-07-16/167", false},
	} {
		sc, err := eventlog.ParseScope(tc.patterns...)
		if err != nil {
			t.Fatal(err)
		}
		if got := sc.Covers(tc.act); got != tc.want {
			t.Errorf("scope %s covers %s: %t, want %t", sc, tc.act, got, tc.want)
		}
	}
}

func TestScopeKeyIgnoresOrder(t *testing.T) {
	a, _ := eventlog.ParseScope("kz.>", "ru.>")
	b, _ := eventlog.ParseScope("ru.>", "kz.>")
	c, _ := eventlog.ParseScope("kz.>")
	if !a.Same(b) || a.Key() != b.Key() || a.Same(c) || (eventlog.Scope{}).Key() != "" {
		t.Errorf("keys: %q %q %q; want the first two equal, the third different, the whole ledger's empty", a.Key(), b.Key(), c.Key())
	}
	if !a.Overlaps(c) || b.Overlaps(mustParse(t, "uz.>")) {
		t.Errorf("kz.>,ru.> overlaps kz.> and not uz.>: got %t, %t", a.Overlaps(c), b.Overlaps(mustParse(t, "uz.>")))
	}
}

func mustParse(t *testing.T, p ...string) eventlog.Scope {
	t.Helper()
	sc, err := eventlog.ParseScope(p...)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
