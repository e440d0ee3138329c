package projections

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Paging of lists in identifier order, or in stream order (an act's
// history, SeqKey), by limit and cursor, shared by the query API, the
// ledger's API and the web interface.
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
	if err != nil || len(b) < 2 || (b[0] != 'a' && b[0] != 'b') || !validKey(string(b[1:])) {
		return Cursor{}, BadParam(name, v, "give the cursor of a page's next or previous link as it was, or leave it out for the first page")
	}
	return Cursor{Key: string(b[1:]), Before: b[0] == 'b'}, nil
}

// seqKeyPrefix begins the key of an item of a list in stream order.
const seqKeyPrefix = "seq:"

// SeqKey is the key of an item of a list in stream order (an act's
// history): its stream sequence, zero-padded so that the keys sort as the
// sequences do. A cursor of such a key names a position in the stream,
// which stays correct while events are appended.
func SeqKey(seq uint64) string { return fmt.Sprintf("%s%020d", seqKeyPrefix, seq) }

// OfSeq reports whether c names a position in stream order (SeqKey)
// rather than an act.
func (c Cursor) OfSeq() bool { return strings.HasPrefix(c.Key, seqKeyPrefix) }

// validKey reports whether k is a key a cursor may name: an act's
// identifier, or a stream sequence (SeqKey). A cursor of the page after
// the last names the last key and a NUL byte; that is valid too.
func validKey(k string) bool {
	if strings.HasPrefix(k, "/akn/") {
		return true
	}
	d, ok := strings.CutPrefix(strings.TrimSuffix(k, "\x00"), seqKeyPrefix)
	if !ok || len(d) != 20 {
		return false
	}
	_, err := strconv.ParseUint(d, 10, 64)
	return err == nil
}

// CheckCursor refuses a cursor of the other kind of list than the one
// asked (seq: a list in stream order; otherwise a list of acts), such as
// the cursor of an act's history given to the list of acts; name is its
// parameter.
func CheckCursor(name string, c Cursor, seq bool) error {
	if c.IsZero() || c.OfSeq() == seq {
		return nil
	}
	return BadParam(name, c.String(), "this cursor is of another list: give the next_cursor of this list's previous page as it was, or leave it out for the first page")
}

// ParseLimit reads a page's size, limit=, from 1 to MaxLimit; empty is 0
// (the list's default). A refusal is an *events.Error of code invalid
// that names the parameter.
func ParseLimit(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, BadParam("limit", v, fmt.Sprintf("give how many a page holds, from 1 to %d", MaxLimit))
	}
	return n, nil
}

// Page is one page of a list: its items, where it starts, and the cursors
// of the pages before and after it (zero when there is none).
type Page[T any] struct {
	Items      []T
	Start      int // the index of Items[0] in the whole list; -1 when not counted (ListPage)
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
