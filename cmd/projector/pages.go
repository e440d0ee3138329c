package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/lexledger/lexledger/projections"
)

// pageFlags are the flags of a command that prints a paged list: it
// follows the answers' next_cursor to the end, printing each page as it
// comes, unless --limit stops it earlier.
type pageFlags struct {
	limit, size *int
}

func addPageFlags(fs *flag.FlagSet) pageFlags {
	return pageFlags{
		limit: fs.Int("limit", 0, "print at most this many; 0: all of them, a page at a time"),
		size:  fs.Int("page-size", projections.MaxLimit, fmt.Sprintf("how many to ask for in one request, 1 to %d", projections.MaxLimit)),
	}
}

func (pf pageFlags) check() error {
	if *pf.limit < 0 {
		return fmt.Errorf("--limit %d: give how many to print, or 0 for all", *pf.limit)
	}
	if *pf.size < 1 || *pf.size > projections.MaxLimit {
		return fmt.Errorf("--page-size %d: give from 1 to %d", *pf.size, projections.MaxLimit)
	}
	return nil
}

// eachPage asks path with v a page after another, and calls fn with each
// answer; fn returns how many items the page held and its next_cursor.
// It stops after the last page (no next_cursor) or once --limit items
// came. The first page is asked with getList: asked as known before the
// ledger began, empty is true and fn is not called.
func eachPage[P any](ctx context.Context, q queryFlags, pf pageFlags, path string, v url.Values, fn func(p *P) (n int, next string, err error)) (empty bool, err error) {
	got, cursor := 0, ""
	for first := true; ; first = false {
		size := *pf.size
		if *pf.limit > 0 {
			size = min(size, *pf.limit-got)
		}
		v.Set("limit", strconv.Itoa(size))
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		var p P
		if first {
			if empty, err := getList(ctx, q, path, v, &p); err != nil || empty {
				return empty, err
			}
		} else if err := get(ctx, q, path, v, &p); err != nil {
			return false, err
		}
		n, next, err := fn(&p)
		if err != nil {
			return false, err
		}
		got += n
		if cursor = next; cursor == "" || (*pf.limit > 0 && got >= *pf.limit) {
			return false, nil
		}
	}
}

// jsonList writes {"KEY": [ITEM, ...]} as printJSON writes it, an item at
// a time, so that a long list is printed as its pages come.
type jsonList struct {
	w   io.Writer
	key string
	n   int
}

func (l *jsonList) add(v any) error {
	b, err := json.MarshalIndent(v, "    ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n    "
	if l.n == 0 {
		sep = fmt.Sprintf("{\n  %q: [\n    ", l.key)
	}
	l.n++
	_, err = fmt.Fprintf(l.w, "%s%s", sep, b)
	return err
}

// close ends the list; an empty list is written whole.
func (l *jsonList) close() error {
	if l.n == 0 {
		_, err := fmt.Fprintf(l.w, "{\n  %q: []\n}\n", l.key)
		return err
	}
	_, err := io.WriteString(l.w, "\n  ]\n}\n")
	return err
}

// stoppedEarly is the line after a list that --limit cut: how many of how
// many were printed.
func stoppedEarly(w io.Writer, printed, total int) {
	if printed < total {
		fmt.Fprintf(w, "\n(the first %d of %d: --limit 0 prints all)\n", printed, total)
	}
}
