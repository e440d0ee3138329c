package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
)

func TestParseDate(t *testing.T) {
	cases := []struct {
		in        string
		want      events.Date
		precision events.Precision
	}{
		{"2009-12-04", events.Date{Year: 2009, Month: time.December, Day: 4}, events.Day},
		{"2009-12", events.Date{Year: 2009, Month: time.December}, events.Month},
		{"2009", events.Date{Year: 2009}, events.Year},
		{"1000", events.Date{Year: 1000}, events.Year},
		{"2999-12-31", events.Date{Year: 2999, Month: time.December, Day: 31}, events.Day},
		{"2008-02-29", events.Date{Year: 2008, Month: time.February, Day: 29}, events.Day},
		{"2000-02-29", events.Date{Year: 2000, Month: time.February, Day: 29}, events.Day},
		{"2400-02-29", events.Date{Year: 2400, Month: time.February, Day: 29}, events.Day},
		{"2009-01-31", events.Date{Year: 2009, Month: time.January, Day: 31}, events.Day},
		{"2009-04-30", events.Date{Year: 2009, Month: time.April, Day: 30}, events.Day},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := events.ParseDate(c.in)
			if err != nil {
				t.Fatalf("ParseDate(%q) = %v, want %+v", c.in, err, c.want)
			}
			if got != c.want {
				t.Errorf("ParseDate(%q) = %+v, want %+v", c.in, got, c.want)
			}
			if got.Precision() != c.precision {
				t.Errorf("ParseDate(%q).Precision() = %s, want %s", c.in, got.Precision(), c.precision)
			}
			if got.String() != c.in {
				t.Errorf("ParseDate(%q).String() = %q, want the input", c.in, got)
			}
			if got.IsZero() {
				t.Errorf("ParseDate(%q).IsZero() = true, want false", c.in)
			}
		})
	}
}

func TestParseDateRejects(t *testing.T) {
	reasons := []struct{ in, reason string }{
		{"2009-1-1", "it has the wrong length"},
		{"", "it has the wrong length"},
		{"20a9", "the year is not four digits"},
		{"0000", "the year must be between 1000 and 2999"},
		{"9999", "the year must be between 1000 and 2999"},
		{"2009-13-01", "the month must be 01 to 12"},
		{"2009/12/01", "the month must be 01 to 12"},
		{"2009-02-29", "February 2009 has no day 29"},
		{"1900-02-29", "February 1900 has no day 29"},
		{"2009-12-32", "December 2009 has no day 32"},
		{"2009-12/01", "December 2009 has no day 01"},
	}
	for _, r := range reasons {
		t.Run(r.in+" because "+r.reason, func(t *testing.T) {
			_, err := events.ParseDate(r.in)
			mustCode(t, "ParseDate("+r.in+")", err, events.CodeInvalid, r.reason, "write YYYY-MM-DD, or YYYY-MM or YYYY")
		})
	}
	for _, d := range impossibleDates {
		t.Run(d, func(t *testing.T) {
			got, err := events.ParseDate(d)
			if err == nil {
				t.Fatalf("ParseDate(%q) = %s, want it rejected", d, got)
			}
			if !got.IsZero() {
				t.Errorf("ParseDate(%q) returned %+v with its error, want the zero Date", d, got)
			}
		})
	}
}

func TestLeapYears(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"2008-02-29", true},  // divisible by 4
		{"2009-02-29", false}, // not divisible by 4
		{"2000-02-29", true},  // divisible by 400
		{"1900-02-29", false}, // divisible by 100, not by 400
		{"2100-02-29", false},
		{"1600-02-29", true},
		{"2009-02-28", true},
		{"2008-02-30", false},
	} {
		_, err := events.ParseDate(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseDate(%q) = %v, want accepted=%v", c.in, err, c.ok)
		}
	}
}

func TestMustDate(t *testing.T) {
	if got := events.MustDate("2009-12"); got.String() != "2009-12" {
		t.Errorf("MustDate(2009-12) = %s, want 2009-12", got)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("MustDate(2009-02-29) did not panic, want a panic")
		}
	}()
	events.MustDate("2009-02-29")
}

func TestZeroDate(t *testing.T) {
	var d events.Date
	if !d.IsZero() || d.String() != "" {
		t.Errorf("the zero Date has IsZero %v and String %q, want true and \"\"", d.IsZero(), d)
	}
	for p, want := range map[events.Precision]string{events.Day: "day", events.Month: "month", events.Year: "year"} {
		if p.String() != want {
			t.Errorf("Precision(%d).String() = %q, want %q", p, p, want)
		}
	}
}

// dayOf is the day number of y-m-d computed independently of package
// events: days since 0001-01-01.
func dayOf(y int, m time.Month, d int) events.DayNum {
	const secondsPerDay = 86400
	return events.DayNum((time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) / secondsPerDay)
}

func TestDayNumbers(t *testing.T) {
	for _, c := range []struct{ in string }{{"1000-01-01"}, {"2009-12-04"}, {"2000-02-29"}, {"2999-12-31"}} {
		d := events.MustDate(c.in)
		if got, want := d.Earliest(), dayOf(d.Year, d.Month, d.Day); got != want {
			t.Errorf("MustDate(%s).Earliest() = %d, want %d days since 0001-01-01", c.in, got, want)
		}
	}
	// Every day from 1000 to 2999 maps to its own number and back.
	prev := events.DayNum(-1)
	for day := time.Date(events.MinYear, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() <= events.MaxYear; day = day.AddDate(0, 0, 1) {
		d := events.Date{Year: day.Year(), Month: day.Month(), Day: day.Day()}
		n := d.Earliest()
		if n != prev+1 && prev != -1 {
			t.Fatalf("%s has day number %d, want %d (the day after %d)", d, n, prev+1, prev)
		}
		if back := n.Date(); back != d {
			t.Fatalf("DayNum(%d).Date() = %s, want %s", n, back, d)
		}
		prev = n
	}
}

func TestDayNumDate(t *testing.T) {
	if got := events.DayNum(0).Date(); got.String() != "0001-01-01" {
		t.Errorf("DayNum(0).Date() = %s, want 0001-01-01", got)
	}
	if got := dayOf(2009, time.December, 4).Date(); got.String() != "2009-12-04" {
		t.Errorf("DayNum(2009-12-04).Date() = %s, want 2009-12-04", got)
	}
}

func TestEarliestLatest(t *testing.T) {
	for _, c := range []struct{ in, earliest, latest string }{
		{"2009-12-04", "2009-12-04", "2009-12-04"},
		{"2009-12", "2009-12-01", "2009-12-31"},
		{"2009", "2009-01-01", "2009-12-31"},
		{"2008-02", "2008-02-01", "2008-02-29"},
		{"2009-02", "2009-02-01", "2009-02-28"},
		{"1900-02", "1900-02-01", "1900-02-28"},
		{"2000-02", "2000-02-01", "2000-02-29"},
		{"2009-04", "2009-04-01", "2009-04-30"},
	} {
		d := events.MustDate(c.in)
		if got := d.Earliest().Date().String(); got != c.earliest {
			t.Errorf("MustDate(%s).Earliest() = %s, want %s", c.in, got, c.earliest)
		}
		if got := d.Latest().Date().String(); got != c.latest {
			t.Errorf("MustDate(%s).Latest() = %s, want %s", c.in, got, c.latest)
		}
	}
}

func TestBefore(t *testing.T) {
	for _, c := range []struct {
		d, e   string
		before bool
	}{
		{"2009-12-03", "2009-12-04", true},
		{"2009-12-04", "2009-12-04", false},
		{"2009-12-05", "2009-12-04", false},
		{"2009-12-31", "2010-01-01", true},
		{"2009", "2010", true},
		{"2009", "2009", false},
		{"2010", "2009", false},
		{"2009-11", "2009-12", true},
		{"2009-12", "2009-12", false},
		// Uncertain overlaps are not "before", in either direction.
		{"2009-12", "2009-12-04", false},
		{"2009-12-04", "2009-12", false},
		{"2009", "2009-06-01", false},
		{"2009-06-01", "2009", false},
		{"2009", "2009-06", false},
		{"2009-06", "2009", false},
		// Certain orders across precisions.
		{"2009-11", "2009-12-01", true},
		{"2009-11-30", "2009-12", true},
		{"2009-12-31", "2010", true},
		{"2009", "2010-01-01", true},
		{"2009-12", "2010", true},
		{"2010", "2010-01-01", false},
		{"2008-02", "2008-03-01", true},
		{"2008-02-29", "2008-03", true},
	} {
		d, e := events.MustDate(c.d), events.MustDate(c.e)
		if got := d.Before(e); got != c.before {
			t.Errorf("%s.Before(%s) = %v, want %v", c.d, c.e, got, c.before)
		}
	}
}

func TestDateJSON(t *testing.T) {
	type holder struct {
		D events.Date `json:"d"`
		Z events.Date `json:"z,omitzero"`
	}
	for _, s := range []string{"2009-12-04", "2009-12", "2009"} {
		var h holder
		if err := json.Unmarshal([]byte(`{"d":"`+s+`"}`), &h); err != nil {
			t.Fatalf("json.Unmarshal(%s) = %v", s, err)
		}
		out, err := json.Marshal(h)
		if err != nil || string(out) != `{"d":"`+s+`"}` {
			t.Errorf("json.Marshal(%s) = %s, %v; want {\"d\":%q} with the zero date omitted", s, out, err, s)
		}
	}
	var h holder
	h.D = events.MustDate("2009")
	err := json.Unmarshal([]byte(`{"d":"2009-02-29"}`), &h)
	if events.ErrorCode(err) != events.CodeInvalid || h.D.String() != "2009" {
		t.Errorf("json.Unmarshal(2009-02-29) = %v leaving %s, want CodeInvalid and the value untouched", err, h.D)
	}
}
