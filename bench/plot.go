package bench

import (
	"fmt"
	"io"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// series is one line of a panel.
type series struct {
	name string
	xys  plotter.XYs
}

// WritePlot draws four panels as a PNG: HTTP appends/s and their p99
// latency against the number of clients (at the largest stream size), and
// rates and latencies against the stream's size.
func WritePlot(w io.Writer, r *Report) error {
	panels := [][]*plot.Plot{{nil, nil}, {nil, nil}}
	var err error
	if panels[0][0], err = panel("HTTP appends against clients", "clients", "events/s (log)", r.httpSeries(func(l Load) float64 { return l.Rate }), true); err != nil {
		return err
	}
	if panels[0][1], err = panel("HTTP append latency (p99) against clients", "clients", "ms (log)", r.httpSeries(func(l Load) float64 { return msf(l.P99) }), true); err != nil {
		return err
	}
	if panels[1][0], err = panel("Rates against the stream's size", "events in the stream (log)", "events/s (log)", r.rateSeries(), true); err != nil {
		return err
	}
	if panels[1][1], err = panel("Latency (p50) against the stream's size", "events in the stream (log)", "ms (log)", r.latSeries(), true); err != nil {
		return err
	}
	img := vgimg.NewWith(vgimg.UseWH(40*vg.Centimeter, 30*vg.Centimeter), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Centimeter, PadY: vg.Centimeter, PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2, PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2}
	canvases := plot.Align(panels, tiles, dc)
	for i := range panels {
		for j := range panels[i] {
			panels[i][j].Draw(canvases[i][j])
		}
	}
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// panel draws series as lines with points; an axis is logarithmic when
// log is set and its values are positive and spread.
func panel(title, x, y string, ss []series, log bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Legend.Top = true
	var args []any
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		var pts plotter.XYs
		for _, pt := range s.xys {
			if pt.X > 0 && pt.Y > 0 && !math.IsInf(pt.Y, 0) && !math.IsNaN(pt.Y) {
				pts = append(pts, pt)
				xmin, xmax, ymin, ymax = min(xmin, pt.X), max(xmax, pt.X), min(ymin, pt.Y), max(ymax, pt.Y)
			}
		}
		if len(pts) > 0 {
			args = append(args, s.name, pts)
		}
	}
	if len(args) == 0 {
		p.Title.Text += " (not measured)"
		return p, nil
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return nil, err
	}
	if log && xmax > xmin {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if log && ymax > ymin {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	return p, nil
}

func msf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// largest is the largest scale measured.
func (r *Report) largest() int {
	n := 0
	for _, x := range r.Results {
		n = max(n, x.Scale)
	}
	return n
}

func (r *Report) httpSeries(f func(Load) float64) []series {
	var ss []series
	top := r.largest()
	for _, x := range r.Results {
		if x.Scale != top || len(x.HTTP) == 0 {
			continue
		}
		raw := series{name: "raw, sync " + syncName(x.Always)}
		led := series{name: "ledger HTTP, sync " + syncName(x.Always)}
		for _, h := range x.HTTP {
			raw.xys = append(raw.xys, plotter.XY{X: float64(h.Clients), Y: f(h.Raw)})
			led.xys = append(led.xys, plotter.XY{X: float64(h.Clients), Y: f(h.Ledger)})
		}
		ss = append(ss, raw, led)
	}
	return ss
}

// bySync builds one series per sync mode from the results that have a
// value (ok false: none).
func (r *Report) bySync(name string, f func(Result) (float64, bool)) []series {
	var ss []series
	for _, always := range []bool{true, false} {
		s := series{name: fmt.Sprintf("%s, sync %s", name, syncName(always))}
		for _, x := range r.Results {
			if x.Always != always {
				continue
			}
			if y, ok := f(x); ok {
				s.xys = append(s.xys, plotter.XY{X: float64(x.Scale), Y: y})
			}
		}
		if len(s.xys) > 0 {
			ss = append(ss, s)
		}
	}
	return ss
}

func (r *Report) rateSeries() []series {
	var ss []series
	ss = append(ss, r.bySync("ledger import", func(x Result) (float64, bool) {
		return ifSet(x.Bulk != nil, func() float64 { return x.Bulk.Ledger })
	})...)
	ss = append(ss, r.bySync("raw batches", func(x Result) (float64, bool) { return ifSet(x.Bulk != nil, func() float64 { return x.Bulk.Raw }) })...)
	ss = append(ss, r.bySync("rebuild", func(x Result) (float64, bool) {
		return ifSet(x.Rebuild != nil, func() float64 { return x.Rebuild.Fold })
	})...)
	ss = append(ss, r.bySync("projector catch-up", func(x Result) (float64, bool) {
		return ifSet(x.Rebuild != nil, func() float64 { return x.Rebuild.Projector })
	})...)
	ss = append(ss, r.bySync("ledger single append", func(x Result) (float64, bool) {
		return ifSet(x.Single != nil, func() float64 { return x.Single.Ledger })
	})...)
	return ss
}

func (r *Report) latSeries() []series {
	var ss []series
	ss = append(ss, r.bySync("State", func(x Result) (float64, bool) {
		return ifSet(x.Query != nil, func() float64 { return msf(x.Query.State.P50) })
	})...)
	ss = append(ss, r.bySync("List", func(x Result) (float64, bool) {
		return ifSet(x.Query != nil, func() float64 { return msf(x.Query.List.P50) })
	})...)
	ss = append(ss, r.bySync("append to view", func(x Result) (float64, bool) {
		return ifSet(x.View != nil, func() float64 { return msf(x.View.Ledger.P50) })
	})...)
	ss = append(ss, r.bySync("raw publish to delivery", func(x Result) (float64, bool) {
		return ifSet(x.View != nil, func() float64 { return msf(x.View.Raw.P50) })
	})...)
	return ss
}

func ifSet(ok bool, f func() float64) (float64, bool) {
	if !ok {
		return 0, false
	}
	return f(), true
}
