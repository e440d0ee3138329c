package projections

// pageCut cuts PageOf's page from a list given one item at a time, in key
// order, keeping only the page's items: a query that must count the whole
// list (SelectPage, DiffPage) counts it without holding it (issue 15).
// Its page, its Start and its cursors are PageOf's over the same items.
type pageCut[T any] struct {
	c     Cursor
	limit int
	key   func(T) string

	n    int  // the items given
	at   int  // the items before the cursor: key <= c.Key, or key < c.Key Before
	past bool // an item after the cursor has been given
	last T    // the last item given before the cursor (not Before)

	// After a cursor: the page, the first limit items after it. Before
	// it: a ring of the last limit items before it, whose oldest is
	// items[head] once it is full, then, when fewer than limit items are
	// before it (the first page, whole), the items after it up to limit.
	items []T
	head  int
}

func newPageCut[T any](key func(T) string, c Cursor, limit int) *pageCut[T] {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &pageCut[T]{c: c, limit: limit, key: key}
}

// add gives the next item of the list, and how its key compares with the
// cursor's (as strings.Compare; any when the cursor is zero), which the
// caller may know without reading the key.
func (pc *pageCut[T]) add(x T, cmp int) {
	pc.n++
	if !pc.past {
		if pc.c.IsZero() {
			cmp = 1
		}
		switch {
		case pc.c.Before && cmp < 0:
			pc.at++
			if len(pc.items) < pc.limit {
				pc.items = append(pc.items, x)
			} else {
				pc.items[pc.head] = x
				pc.head = (pc.head + 1) % pc.limit
			}
			return
		case !pc.c.Before && cmp <= 0:
			pc.at++
			pc.last = x
			return
		}
		pc.past = true
	}
	if len(pc.items) < pc.limit { // Before: the ring is not full, the first page
		pc.items = append(pc.items, x)
	}
}

// page returns the page of the items given.
func (pc *pageCut[T]) page() Page[T] {
	items := pc.items
	if pc.head != 0 { // the ring, oldest first
		items = append(pc.items[pc.head:len(pc.items):len(pc.items)], pc.items[:pc.head]...)
	}
	start := pc.at
	if pc.c.Before {
		start = max(pc.at-pc.limit, 0)
	}
	if items == nil {
		items = []T{}
	}
	end := start + len(items)
	pg := Page[T]{Items: items, Start: start}
	switch {
	case start > 0 && start < pc.n:
		pg.Prev = Cursor{Key: pc.key(items[0]), Before: true}
	case start > 0: // past the end: the page before it is the last
		pg.Prev = Cursor{Key: pc.key(pc.last) + "\x00", Before: true}
	}
	if end < pc.n {
		pg.Next = Cursor{Key: pc.key(items[len(items)-1])}
	}
	return pg
}
