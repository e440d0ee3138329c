package examples_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// background is the mark of a note whose event holds a value the seed does
// not give: the note says what it is and where it comes from.
const background = "background, not in the seed"

// seedText is the seed document (testdata/seed.txt), with its typographic
// quotes and apostrophes made plain, for matching.
func seedText(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("’", "'", "«", `"`, "»", `"`, "“", `"`, "”", `"`).Replace(string(data))
}

// seedSays reports whether the seed writes d, at d's precision: "December
// 4, 2009", "December 2003", "2002".
func seedSays(seed string, d events.Date) bool {
	switch d.Precision() {
	case events.Day:
		return strings.Contains(seed, fmt.Sprintf("%s %d, %d", d.Month, d.Day, d.Year))
	case events.Month:
		return strings.Contains(seed, fmt.Sprintf("%s %d", d.Month, d.Year))
	}
	return strings.Contains(seed, strconv.Itoa(d.Year))
}

// TestSeedClaimsOnlyWhatTheSeedSays holds every event to its seed item or
// its background mark: each date (and the date in an act's identifier, on
// its first event), each provision and each title is what the seed says,
// at the precision it says it, or the note marks the event as background
// and says where the value comes from. An amendment that names neither
// provisions nor text is unspecified, not a change of the whole act.
func TestSeedClaimsOnlyWhatTheSeedSays(t *testing.T) {
	seed := seedText(t)
	lines := readSeed(t)
	seen := map[events.ActID]bool{}
	for _, l := range lines {
		e := l.event
		marked := strings.Contains(e.Body.Note, background)
		claim := func(what string, ok bool) {
			if !ok && !marked {
				t.Errorf("line %d (%s %s): %s is not in the seed, and the note does not mark it %q", l.n, e.Type, e.Act, what, background)
			}
		}
		for _, d := range []events.Date{e.Date, e.EffectiveFrom, e.EffectiveTo} {
			if !d.IsZero() {
				claim("the date "+d.String(), seedSays(seed, d))
			}
		}
		if !seen[e.Act] {
			seen[e.Act] = true
			tokens := e.Act.Tokens()
			if d, err := events.ParseDate(tokens[len(tokens)-2]); err == nil {
				claim("the identifier's date "+d.String(), seedSays(seed, d))
			}
		}
		eids := append([]string(nil), e.Provisions...)
		for eid := range e.Body.Texts {
			eids = append(eids, eid)
		}
		for _, eid := range eids {
			n, ok := strings.CutPrefix(eid, "art_")
			claim("the provision "+eid, ok && strings.Contains(seed, "Article "+n+" "))
		}
		if title := e.Body.Title; title != "" {
			claim("the title "+strconv.Quote(title), strings.Contains(strings.ToLower(seed), strings.ToLower(title)) || strings.HasSuffix(title, "(not named in the seed)"))
		}
		if e.Type == events.Amended && len(e.Provisions) == 0 && len(e.Body.Texts) == 0 && e.Body.Effect != events.Unspecified {
			t.Errorf("line %d: an amendment of %s with no provisions and no text is recorded as %s of the whole act; the seed says no more than that it changes the act: use unspecified", l.n, e.Act, e.Body.Effect)
		}
	}
}

// TestSeedDatesKeepTheirPrecision: the month or the year the seed gives is
// recorded as such, not as an invented day.
func TestSeedDatesKeepTheirPrecision(t *testing.T) {
	for _, c := range []struct {
		date string
		want bool
	}{
		{"2009-12-04", true}, {"2003-12", true}, {"2002", true},
		{"2003-12-01", false}, {"2013-01-01", false}, {"2013", false},
	} {
		if got := seedSays(seedText(t), events.MustDate(c.date)); got != c.want {
			t.Errorf("seedSays(%s) = %v, want %v", c.date, got, c.want)
		}
	}
}
