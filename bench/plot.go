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

// WritePlot draws six panels as a PNG: HTTP appends/s and their p99
// latency against the number of clients (at the largest stream size), and
// against the stream's size: write rates, replay rates, query latencies and
// append-to-view latencies.
func WritePlot(w io.Writer, r *Report) error {
	specs := []struct {
		title, x, y string
		ss          []series
	}{
		{"HTTP appends against clients", "clients (log)", "appends/s (log)", r.httpSeries(func(l Load) float64 { return l.Rate })},
		{"HTTP append latency (p99) against clients", "clients (log)", "ms (log)", r.httpSeries(func(l Load) float64 { return msf(l.P99) })},
		{"Writes against the stream's size", "events in the stream (log)", "events/s (log)", r.writeSeries()},
		{"Replays of the whole stream against its size", "events in the stream (log)", "events/s (log)", r.replaySeries()},
		{"As-of queries (p50) against the stream's size", "events in the stream (log)", "ms (log)", r.querySeries()},
		{"Append to view (p50) against the stream's size", "events in the stream (log)", "ms (log)", r.viewSeries()},
	}
	const cols = 2
	rows := (len(specs) + cols - 1) / cols
	panels := make([][]*plot.Plot, rows)
	for i, sp := range specs {
		p, err := panel(sp.title, sp.x, sp.y, sp.ss)
		if err != nil {
			return err
		}
		panels[i/cols] = append(panels[i/cols], p)
	}
	img := vgimg.NewWith(vgimg.UseWH(40*vg.Centimeter, 16*vg.Centimeter*vg.Length(rows)), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Centimeter, PadY: vg.Centimeter, PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2, PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2}
	canvases := plot.Align(panels, tiles, dc)
	for i := range panels {
		for j := range panels[i] {
			panels[i][j].Draw(canvases[i][j])
		}
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// panel draws series as lines with points; an axis is logarithmic when
// its values are spread (they are all positive: others are left out).
func panel(title, x, y string, ss []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
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
	if xmax > xmin {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if ymax > ymin {
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

// of adds the series of one figure, per sync mode, from the results
// that have it.
func (r *Report) of(ss []series, name string, has func(Result) bool, f func(Result) float64) []series {
	return append(ss, r.bySync(name, func(x Result) (float64, bool) {
		if !has(x) {
			return 0, false
		}
		return f(x), true
	})...)
}

func (r *Report) writeSeries() []series {
	bulk := func(x Result) bool { return x.Bulk != nil }
	single := func(x Result) bool { return x.Single != nil }
	var ss []series
	ss = r.of(ss, "ledger import", bulk, func(x Result) float64 { return x.Bulk.Ledger })
	ss = r.of(ss, "raw batches", bulk, func(x Result) float64 { return x.Bulk.Raw })
	ss = r.of(ss, "ledger single append", single, func(x Result) float64 { return x.Single.Ledger })
	ss = r.of(ss, "raw single publish", single, func(x Result) float64 { return x.Single.Raw })
	return ss
}

func (r *Report) replaySeries() []series {
	has := func(x Result) bool { return x.Rebuild != nil }
	var ss []series
	ss = r.of(ss, "raw replay (bare consumer)", has, func(x Result) float64 { return x.Rebuild.Bare })
	ss = r.of(ss, "raw replay (ReadRaw)", has, func(x Result) float64 { return x.Rebuild.Replay })
	ss = r.of(ss, "rebuild", has, func(x Result) float64 { return x.Rebuild.Fold })
	ss = r.of(ss, "projector catch-up", has, func(x Result) float64 { return x.Rebuild.Projector })
	ss = r.of(ss, "verify", has, func(x Result) float64 { return x.Rebuild.Verify })
	return ss
}

func (r *Report) querySeries() []series {
	has := func(x Result) bool { return x.Query != nil }
	var ss []series
	ss = r.of(ss, "State", has, func(x Result) float64 { return msf(x.Query.State.P50) })
	ss = r.of(ss, "raw direct get", has, func(x Result) float64 { return msf(x.Query.RawGet.P50) })
	ss = r.of(ss, "List", has, func(x Result) float64 { return msf(x.Query.List.P50) })
	ss = r.of(ss, "raw subject listing", has, func(x Result) float64 { return msf(x.Query.RawList.P50) })
	return ss
}

func (r *Report) viewSeries() []series {
	has := func(x Result) bool { return x.View != nil }
	var ss []series
	ss = r.of(ss, "append to view", has, func(x Result) float64 { return msf(x.View.Ledger.P50) })
	ss = r.of(ss, "HTTP append", has, func(x Result) float64 { return msf(x.View.Ack.P50) })
	ss = r.of(ss, "raw publish to delivery", has, func(x Result) float64 { return msf(x.View.Raw.P50) })
	return ss
}
