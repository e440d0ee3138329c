package web_test

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// rules parses a style sheet into selector -> declarations.
func rules(t *testing.T) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	css := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(data), "")
	out := map[string]map[string]string{}
	for _, m := range regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`).FindAllStringSubmatch(css, -1) {
		decls := map[string]string{}
		for _, d := range strings.Split(m[2], ";") {
			if k, v, ok := strings.Cut(d, ":"); ok {
				decls[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		for _, sel := range strings.Split(m[1], ",") {
			sel = strings.TrimSpace(sel)
			if out[sel] == nil {
				out[sel] = map[string]string{}
			}
			for k, v := range decls {
				out[sel][k] = v
			}
		}
	}
	return out
}

// luminance is the relative luminance of #rrggbb (WCAG 2).
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Every text colour of the style sheet meets WCAG AA (4.5:1) on the
// backgrounds it is drawn on, and the focus ring and borders of controls
// meet 3:1.
func TestContrast(t *testing.T) {
	r := rules(t)
	root := r[":root"]
	v := func(name string) string {
		c := root[name]
		if c == "" {
			t.Fatalf(":root has no %s", name)
		}
		return c
	}
	text := []struct{ fg, bg, what string }{
		{v("--fg"), v("--bg"), "text"},
		{v("--muted"), v("--bg"), "muted text"},
		{v("--link"), v("--bg"), "links"},
		{v("--fg"), v("--panel"), "text in the form panel"},
		{v("--muted"), v("--panel"), "help text in the form panel and table heads"},
		{v("--link"), v("--panel"), "links on panels (the timeline table's summary)"},
		{v("--head-fg"), v("--head-bg"), "the header, and buttons"},
		{v("--alert-fg"), v("--alert-bg"), "error messages"},
		{r[".cursorlabel"]["fill"], v("--bg"), "the chart's 'as of' label"},
		{r[".mlabel"]["fill"], v("--bg"), "the chart's marker labels"},
		{v("--fg"), r[".uncertain"]["background"], "the uncertainty note"},
	}
	statuses := 0
	for sel, decls := range r {
		if c, ok := decls["--c"]; ok {
			statuses++
			text = append(text, struct{ fg, bg, what string }{v("--fg"), c, "status " + sel})
		}
	}
	if statuses < 10 {
		t.Errorf("found %d status colours, want one per act and provision status", statuses)
	}
	for _, c := range text {
		if got := contrast(t, c.fg, c.bg); got < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f:1, want at least 4.5:1", c.what, c.fg, c.bg, got)
		}
	}
	for _, c := range []struct{ fg, bg, what string }{
		{v("--focus"), v("--bg"), "the focus ring"},
		{regexp.MustCompile(`#[0-9a-f]{6}`).FindString(r["input"]["border"]), v("--bg"), "the borders of inputs"},
	} {
		if got := contrast(t, c.fg, c.bg); got < 3 {
			t.Errorf("%s: %s on %s has contrast %.2f:1, want at least 3:1", c.what, c.fg, c.bg, got)
		}
	}
	if !strings.Contains(r[":focus-visible"]["outline"], "var(--focus)") {
		t.Errorf("focus is not visible: :focus-visible has outline %q", r[":focus-visible"]["outline"])
	}
}
