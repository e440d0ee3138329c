package cli

import "io"

// NewProgressDrawn is NewProgress drawing on w whether or not it is a
// terminal, for the tests.
func NewProgressDrawn(w io.Writer, what string, total int64) *Progress {
	return newProgress(w, true, what, total, false)
}
