package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress is the progress bar of a long command (import, rebuild, verify,
// backup, restore) on standard error. It is drawn only when that is a
// terminal, it counts events (or bytes, for NewByteProgress), its clock
// starts when it is made, and it reaches 100% only in Done: a command calls
// Done when it has succeeded and Abandon otherwise (deferred, Abandon after
// Done does nothing), so that a failure never follows a full bar.
//
// The rate the finished bar shows is the count given to Done divided by the
// time since NewProgress: a summary line that divides the same count by the
// time from just after NewProgress to just after Done agrees with it.
//
// When nothing is drawn the methods only count. They may be called from
// several goroutines.
type Progress struct {
	mu    sync.Mutex
	pb    *progressbar.ProgressBar // nil: nothing is drawn
	w     io.Writer
	total int64 // what 100% is, or -1 when unknown
	n     int64 // counted so far
	ended bool  // Done or Abandon was called
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewProgress returns a bar of total events (-1 when not known yet) named
// what ("importing"), drawn on w when w is a terminal and quiet is false.
func NewProgress(w io.Writer, quiet bool, what string, total int64) *Progress {
	return newProgress(w, !quiet && IsTerminal(w), what, total, false)
}

// NewByteProgress is NewProgress for a count of bytes, for the commands
// whose protocol reports no events (backup and restore move a snapshot).
func NewByteProgress(w io.Writer, quiet bool, what string, total int64) *Progress {
	return newProgress(w, !quiet && IsTerminal(w), what, total, true)
}

func newProgress(w io.Writer, draw bool, what string, total int64, bytes bool) *Progress {
	if total <= 0 {
		total = -1
	}
	p := &Progress{w: w, total: total}
	if !draw {
		return p
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionThrottle(100 * time.Millisecond),
		// Drawn at once, which starts the bar's clock now rather than at
		// the first count.
		progressbar.OptionSetRenderBlankState(true),
	}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"))
	}
	p.pb = progressbar.NewOptions64(total, opts...)
	return p
}

// Add counts n more.
func (p *Progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += n
	p.show()
}

// Set sets the count to n.
func (p *Progress) Set(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = n
	p.show()
}

// SetTotal sets what 100% is, when it is known only once the work has
// begun (the size of a snapshot).
func (p *Progress) SetTotal(total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if total <= 0 || total == p.total {
		return
	}
	p.total = total
	if p.pb != nil && !p.ended {
		p.pb.ChangeMax64(total)
		p.show()
	}
}

// show draws the count, short of 100% until Done. Called with p.mu held.
func (p *Progress) show() {
	if p.pb == nil || p.ended {
		return
	}
	n := p.n
	if p.total > 0 && n >= p.total {
		n = p.total - 1
	}
	p.pb.Set64(n)
}

// Done draws the bar full, at the count reached (which becomes its total)
// and the rate over the whole time since NewProgress, and ends its line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	if p.pb == nil {
		return
	}
	if p.n <= 0 {
		p.clear()
		return
	}
	p.pb.ChangeMax64(p.n)
	p.pb.Finish()
	fmt.Fprintln(p.w)
}

// Abandon erases the bar, if Done has not drawn it full, so that the
// error that follows starts its own line.
func (p *Progress) Abandon() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	if p.pb != nil {
		p.clear()
	}
}

func (p *Progress) clear() {
	p.pb.Exit() // no drawing after this
	p.pb.Clear()
}
