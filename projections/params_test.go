package projections_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// The query parameters of the API and the web interface: what is accepted,
// read as what, and what is refused with which message.
func TestParseParams(t *testing.T) {
	today := events.MustDate("2026-12-02")
	at := func(s string) *time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return &t
	}
	for _, c := range []struct {
		name  string
		query string
		want  projections.Params // when refusal is empty
		// refusal is a phrase of the message of an invalid parameter.
		refusal string
	}{
		{"Nothing", "", projections.Params{AsOf: today, Wait: projections.DefaultWait, Page: 1}, ""},
		{"AsOf", "as_of=2009-06-15", projections.Params{AsOf: events.MustDate("2009-06-15"), Wait: projections.DefaultWait, Page: 1}, ""},
		{"AsOfMonth", "as_of=2009-06", projections.Params{}, `as_of="2009-06" is not valid: give a day as YYYY-MM-DD`},
		{"AsOfImpossible", "as_of=2009-02-30", projections.Params{}, `as_of="2009-02-30" is not valid`},
		{"KnownAtRFC3339", "known_at=2009-06-15T10:00:00Z", projections.Params{AsOf: today, KnownAt: at("2009-06-15T10:00:00Z"), Wait: projections.DefaultWait, Page: 1}, ""},
		{"KnownAtWithAZone", "known_at=2009-06-15T12:00:00%2B02:00", projections.Params{AsOf: today, KnownAt: at("2009-06-15T10:00:00Z"), Wait: projections.DefaultWait, Page: 1}, ""},
		{"KnownAtNanoseconds", "known_at=2009-06-15T10:00:00.123456789Z", projections.Params{AsOf: today, KnownAt: at("2009-06-15T10:00:00.123456789Z"), Wait: projections.DefaultWait, Page: 1}, ""},
		{"KnownAtMinutesNoZone", "known_at=2009-06-15T10:00", projections.Params{AsOf: today, KnownAt: at("2009-06-15T10:00:00Z"), Wait: projections.DefaultWait, Page: 1}, ""},
		{"KnownAtSecondsNoZone", "known_at=2009-06-15T10:00:05.5", projections.Params{AsOf: today, KnownAt: at("2009-06-15T10:00:05.5Z"), Wait: projections.DefaultWait, Page: 1}, ""},
		{"KnownAtDay", "known_at=2009-06-15", projections.Params{AsOf: today, KnownAt: at("2009-06-15T23:59:59.999999999Z"), Wait: projections.DefaultWait, Page: 1}, ""},
		{"KnownAtGarbage", "known_at=yesterday", projections.Params{}, `known_at="yesterday" is not valid: give a record time`},
		{"KnownAtSpace", "known_at=2009-06-15+10:00", projections.Params{}, `known_at="2009-06-15 10:00" is not valid`},
		{"KnownAtMonth", "known_at=2009-06", projections.Params{}, `known_at="2009-06" is not valid`},
		{"Filter", "country=za-cpt&kind=law&status=in_force", projections.Params{AsOf: today, Filter: projections.Filter{Country: "za-cpt", Kind: "law", Status: projections.InForce}, Wait: projections.DefaultWait, Page: 1}, ""},
		{"CountryUpperCase", "country=KZ", projections.Params{}, `country="KZ" is not valid: give a jurisdiction code`},
		{"CountryTooLong", "country=" + strings.Repeat("k", 17), projections.Params{}, "jurisdiction code"},
		{"UnknownKind", "kind=bogus", projections.Params{}, `kind="bogus" is not valid: give an act kind`},
		{"UnknownStatus", "status=alive", projections.Params{}, `status="alive" is not valid: give one of [not_adopted`},
		{"MinSeqAndWait", "min_seq=12&wait=2s", projections.Params{AsOf: today, MinSeq: 12, Wait: 2 * time.Second, Page: 1}, ""},
		{"MinSeqNotANumber", "min_seq=x", projections.Params{}, `min_seq="x" is not valid`},
		{"WaitTooLong", "min_seq=1&wait=31s", projections.Params{}, `wait="31s" is not valid: give a duration up to 30s`},
		{"WaitNegative", "wait=-1s", projections.Params{}, `wait="-1s" is not valid`},
		{"Page", "page=3", projections.Params{AsOf: today, Wait: projections.DefaultWait, Page: 3}, ""},
		{"PageZero", "page=0", projections.Params{}, `page="0" is not valid: give a page number from 1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := projections.ParseParams(q, today)
			if c.refusal != "" {
				var e *events.Error
				if !errors.As(err, &e) || e.Code != events.CodeInvalid || !strings.Contains(e.Message, c.refusal) {
					t.Fatalf("%s is refused with %v, want an invalid error that says %q", c.query, err, c.refusal)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s is refused: %v", c.query, err)
			}
			if got.AsOf != c.want.AsOf || got.Filter != c.want.Filter || got.MinSeq != c.want.MinSeq || got.Wait != c.want.Wait || got.Page != c.want.Page {
				t.Errorf("%s reads as %+v, want %+v", c.query, got, c.want)
			}
			if (got.KnownAt == nil) != (c.want.KnownAt == nil) || got.KnownAt != nil && !got.KnownAt.Equal(*c.want.KnownAt) {
				t.Errorf("%s: known_at reads as %v, want %v", c.query, got.KnownAt, c.want.KnownAt)
			}
		})
	}
}
