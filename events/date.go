package events

import (
	"fmt"
	"strconv"
	"time"
)

// Precision says how much of a Date is known. The seed often gives only a
// month ("December 2003") or a year ("in 2002"): the ledger keeps that rather
// than inventing a day.
type Precision uint8

// The precisions of a Date.
const (
	Day Precision = iota
	Month
	Year
)

func (p Precision) String() string {
	switch p {
	case Month:
		return "month"
	case Year:
		return "year"
	}
	return "day"
}

// Date is a civil date (no clock, no zone) known to the day, the month or the
// year. Its JSON and text form is YYYY-MM-DD, YYYY-MM or YYYY; the form is the
// precision. The zero Date is "no date".
type Date struct {
	Year  int
	Month time.Month // 0 when the precision is Year
	Day   int        // 0 unless the precision is Day
}

// Years accepted in dates. Legislation older than the year 1000 is not
// expected; a year past 2999 is a typing error.
const (
	MinYear = 1000
	MaxYear = 2999
)

// ParseDate parses YYYY-MM-DD, YYYY-MM or YYYY and checks the calendar: a
// 29 February outside a leap year is rejected.
func ParseDate(s string) (Date, error) {
	bad := func(why string) (Date, error) {
		return Date{}, Errorf(CodeInvalid, "date %q is not valid: %s; write YYYY-MM-DD, or YYYY-MM or YYYY when only the month or year is known", clip(s), why)
	}
	var d Date
	switch len(s) {
	case 4, 7, 10:
	default:
		return bad("it has the wrong length")
	}
	y, ok := digits(s[0:4])
	if !ok {
		return bad("the year is not four digits")
	}
	if y < MinYear || y > MaxYear {
		return bad(fmt.Sprintf("the year must be between %d and %d", MinYear, MaxYear))
	}
	d.Year = y
	if len(s) == 4 {
		return d, nil
	}
	m, ok := digits(s[5:7])
	if s[4] != '-' || !ok || m < 1 || m > 12 {
		return bad("the month must be 01 to 12")
	}
	d.Month = time.Month(m)
	if len(s) == 7 {
		return d, nil
	}
	day, ok := digits(s[8:10])
	if s[7] != '-' || !ok || day < 1 || day > daysIn(d.Year, d.Month) {
		return bad(fmt.Sprintf("%s %d has no day %s", d.Month, d.Year, s[8:10]))
	}
	d.Day = day
	return d, nil
}

// MustDate is ParseDate for constants in code and tests; it panics on error.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func digits(s string) (int, bool) {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d.Year == 0 }

// Precision returns how much of d is known.
func (d Date) Precision() Precision {
	switch {
	case d.Month == 0:
		return Year
	case d.Day == 0:
		return Month
	}
	return Day
}

// Earliest returns the first day d may stand for: the first of its month or
// year when the day or month is unknown.
func (d Date) Earliest() DayNum {
	m, day := d.Month, d.Day
	if m == 0 {
		m = time.January
	}
	if day == 0 {
		day = 1
	}
	return dayNumber(d.Year, m, day)
}

// Latest returns the last day d may stand for.
func (d Date) Latest() DayNum {
	switch d.Precision() {
	case Year:
		return dayNumber(d.Year, time.December, 31)
	case Month:
		return dayNumber(d.Year, d.Month, daysIn(d.Year, d.Month))
	}
	return dayNumber(d.Year, d.Month, d.Day)
}

// Before reports whether d is certainly before e: every day d may stand for
// precedes every day e may stand for. Uncertain overlaps are not "before".
func (d Date) Before(e Date) bool { return d.Latest() < e.Earliest() }

// String returns the date in its JSON form, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	return string(d.appendTo(b[:0]))
}

// appendTo appends YYYY, YYYY-MM or YYYY-MM-DD (years of four digits).
func (d Date) appendTo(b []byte) []byte {
	two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10%10), byte('0'+n%10)) }
	b = two(two(b, d.Year/100), d.Year%100)
	if d.Month == 0 {
		return b
	}
	b = two(append(b, '-'), int(d.Month))
	if d.Day == 0 {
		return b
	}
	return two(append(b, '-'), d.Day)
}

// valid reports whether d is a real date of a valid precision: what
// ParseDate would accept.
func (d Date) valid() bool {
	switch {
	case d.Year < MinYear || d.Year > MaxYear || d.Month < 0 || d.Month > 12 || d.Day < 0:
		return false
	case d.Month == 0:
		return d.Day == 0
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

// MarshalText encodes d as YYYY-MM-DD, YYYY-MM or YYYY.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses with ParseDate.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DayNum is a day number: days since 0001-01-01 in the proleptic Gregorian
// calendar. Valid-time arithmetic is done on day numbers.
type DayNum int32

var epoch = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)

func dayNumber(y int, m time.Month, d int) DayNum {
	// Not Time.Sub: a Duration saturates at about 292 years.
	return DayNum((time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - epoch.Unix()) / 86400)
}

// Date returns the day as a Date of day precision.
func (n DayNum) Date() Date {
	t := epoch.AddDate(0, 0, int(n))
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}
