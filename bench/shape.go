package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// The shapes of a generated book, by the names `ledger gen --shape` takes.
const (
	// ShapeSimple is Generate's load: acts of ten events each, all alike.
	ShapeSimple = "simple"
	// ShapeRealistic is GenerateRealistic's statute book: acts of 1 to
	// 1,000 events, amendments across acts, two centuries, several
	// jurisdictions.
	ShapeRealistic = "realistic"
)

// Shapes lists the shapes GenerateShape knows, the default first.
var Shapes = []string{ShapeSimple, ShapeRealistic}

// GenOptions say what GenerateShape writes.
type GenOptions struct {
	Shape  string // one of Shapes; ShapeSimple when empty
	Events int    // how many events
	Seed   uint64 // the realistic shape's seed: the same seed, the same book
	// Progress, when set, is called with the number of events written so
	// far, every few thousand events and once at the end.
	Progress func(done int)
}

// progressEvery is how often GenerateShape reports progress and looks at
// its context.
const progressEvery = 4096

// GenerateShape writes o.Events events of o.Shape as JSON Lines to w, one
// Write call per event. It stops with ctx's error when ctx ends, and with
// an error naming the known shapes for an unknown one.
func GenerateShape(ctx context.Context, w io.Writer, o GenOptions) error {
	switch o.Shape {
	case "", ShapeSimple:
		if err := Generate(&checked{ctx: ctx, w: w, progress: o.Progress}, o.Events); err != nil {
			return err
		}
		if o.Progress != nil {
			o.Progress(o.Events)
		}
		return nil
	case ShapeRealistic:
		return GenerateRealistic(ctx, w, o)
	}
	return fmt.Errorf("unknown shape %q: use %s", o.Shape, strings.Join(Shapes, " or "))
}

// checked is a writer that counts Generate's events (one a Write), reports
// progress and stops when its context ends.
type checked struct {
	ctx      context.Context
	w        io.Writer
	progress func(int)
	n        int
}

func (c *checked) Write(p []byte) (int, error) {
	c.n++
	if c.n%progressEvery == 0 {
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
		if c.progress != nil {
			c.progress(c.n)
		}
	}
	return c.w.Write(p)
}
