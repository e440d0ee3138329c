package projections

import (
	"encoding/base64"
	"strings"
)

// Paging of lists in identifier order (limit and cursor), shared by the
// query API and the web interface.
const (
	DefaultLimit = 100  // a page's size when limit is absent
	MaxLimit     = 1000 // the largest limit accepted
)

// Cursor is a position in a list sorted by a key (an act's identifier):
// the page of the items after Key, or, when Before, the page of the items
// before it. Its text form (String) is opaque to clients. A cursor names an
// item, not an offset, so that a page's links stay correct while acts are
// added: the page after act X starts after act X, wherever X now stands.
type Cursor struct {
	Key    string
	Before bool
}

// IsZero reports whether c is the first page's (no cursor).
func (c Cursor) IsZero() bool { return c.Key == "" }

// String is the cursor as a query parameter's value; "" for the zero
// cursor.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	dir := "a"
	if c.Before {
		dir = "b"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(dir + c.Key))
}

// ParseCursor reads the cursor of the parameter name, as String wrote it;
// empty is the first page. Anything else is refused with an *events.Error
// of code invalid.
func ParseCursor(name, v string) (Cursor, error) {
	if v == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < 2 || (b[0] != 'a' && b[0] != 'b') || !strings.HasPrefix(string(b[1:]), "/akn/") {
		return Cursor{}, BadParam(name, v, "give the cursor of a page's next or previous link as it was, or leave it out for the first page")
	}
	return Cursor{Key: string(b[1:]), Before: b[0] == 'b'}, nil
}

// Page is one page of a list: its items, where it starts, and the cursors
// of the pages before and after it (zero when there is none).
type Page[T any] struct {
	Items      []T
	Start      int // the index of Items[0] in the whole list
	Prev, Next Cursor
}

// PageOf cuts the page of c, of at most limit items, from items sorted by
// key (strictly increasing). A page before a key near the start is the
// first page, whole.
func PageOf[T any](items []T, key func(T) string, c Cursor, limit int) Page[T] {
	if limit <= 0 {
		limit = DefaultLimit
	}
	// i: the first item at or after c.Key.
	i := 0
	if !c.IsZero() {
		lo, hi := 0, len(items)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if key(items[m]) < c.Key {
				lo = m + 1
			} else {
				hi = m
			}
		}
		i = lo
	}
	var start, end int
	if c.Before {
		end, start = i, i-limit
		if start < 0 { // near the start: the first page, whole
			start, end = 0, min(limit, len(items))
		}
	} else {
		start = i
		if !c.IsZero() && start < len(items) && key(items[start]) == c.Key {
			start++
		}
		end = min(start+limit, len(items))
	}
	pg := Page[T]{Items: items[start:end], Start: start}
	switch {
	case start > 0 && start < len(items):
		pg.Prev = Cursor{Key: key(items[start]), Before: true}
	case start > 0: // past the end: the page before it is the last
		pg.Prev = Cursor{Key: key(items[start-1]) + "\x00", Before: true}
	}
	if end < len(items) {
		pg.Next = Cursor{Key: key(items[end-1])}
	}
	return pg
}
