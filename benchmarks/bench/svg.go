package bench

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Chart is a simple line chart, rendered as a standalone SVG.
type Chart struct {
	Title          string
	XLabel, YLabel string
	Series         []Series
	// Markers are vertical dashed lines (a fault, a restart...).
	Markers []Marker
	// Width and Height in pixels (800, and 280 plus the title, axis and
	// legend).
	Width, Height int
}

// Series is one line: points (X[i], Y[i]) joined in order.
type Series struct {
	Name string
	X, Y []float64
	// Dashed draws a dashed line; Color, when Dashed, is the index of the
	// series whose colour it shares (a part of that series).
	Dashed bool
	Color  int
}

// color is series i's stroke colour.
func (c Chart) color(i int) string {
	s := c.Series[i]
	if s.Dashed && s.Color >= 0 && s.Color < i {
		i = s.Color
	}
	return palette[i%len(palette)]
}

func dash(s Series) string {
	if s.Dashed {
		return ` stroke-dasharray="6,3"`
	}
	return ""
}

// Marker is a labelled vertical line at X.
type Marker struct {
	X     float64
	Label string
}

// palette gives series distinct colours that survive a grey-scale print.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// SVG renders the chart.
func (c Chart) SVG() string {
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 800
	}
	const left, right, top = 70, 20, 40
	// Room under the plot for the axis label and the legend: two entries
	// a row when the names fit in half the width (about 7 px a letter).
	perRow := 2
	for _, s := range c.Series {
		if 30+7*len(s.Name) > (w-left-right)/2 {
			perRow = 1
		}
	}
	bottom := 62 + 16*((len(c.Series)+perRow-1)/perRow)
	if h <= 0 {
		// A plot area of 280 px whatever the legend takes.
		h = top + 280 + bottom
	}
	pw, ph := float64(w-left-right), float64(h-top-bottom)

	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymax := 0.0
	for _, s := range c.Series {
		for i := range min(len(s.X), len(s.Y)) {
			xmin, xmax = math.Min(xmin, s.X[i]), math.Max(xmax, s.X[i])
			ymax = math.Max(ymax, s.Y[i])
		}
	}
	for _, m := range c.Markers {
		xmin, xmax = math.Min(xmin, m.X), math.Max(xmax, m.X)
	}
	if math.IsInf(xmin, 1) {
		xmin, xmax = 0, 1
	}
	if xmax == xmin {
		xmax = xmin + 1
	}
	xticks := niceTicks(xmin, xmax, 10)
	xmin, xmax = math.Min(xmin, xticks[0]), math.Max(xmax, xticks[len(xticks)-1])
	// Some headroom, so that a line at the maximum stays off the frame.
	yticks := niceTicks(0, math.Max(ymax*1.05, 1), 5)
	ytop := yticks[len(yticks)-1]
	px := func(x float64) float64 { return left + (x-xmin)/(xmax-xmin)*pw }
	py := func(y float64) float64 { return top + ph - y/ytop*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" text-anchor="middle" font-size="15">%s</text>`+"\n", w/2, esc(c.Title))
	// Grid and ticks.
	for _, t := range yticks {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#ddd"/>`+"\n", left, f1(y), w-right, f1(y))
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", left-6, f1(y+4), esc(tickLabel(t)))
	}
	for _, t := range xticks {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%s" stroke="#eee"/>`+"\n", f1(x), top, f1(x), f1(top+ph))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", f1(x), f1(top+ph+16), esc(tickLabel(t)))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%s" fill="none" stroke="#333"/>`+"\n", left, top, f1(pw), f1(ph))
	fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", f1(left+pw/2), f1(top+ph+34), esc(c.XLabel))
	fmt.Fprintf(&b, `<text x="16" y="%s" text-anchor="middle" transform="rotate(-90 16 %s)">%s</text>`+"\n", f1(top+ph/2), f1(top+ph/2), esc(c.YLabel))
	// Markers.
	for _, m := range c.Markers {
		x := px(m.X)
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%s" stroke="#555" stroke-dasharray="5,4"/>`+"\n", f1(x), top, f1(x), f1(top+ph))
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="11" fill="#555">%s</text>`+"\n", f1(x+3), top+12, esc(m.Label))
	}
	// Lines.
	for i, s := range c.Series {
		color := c.color(i)
		var pts []string
		for j := range min(len(s.X), len(s.Y)) {
			pts = append(pts, f1(px(s.X[j]))+","+f1(py(s.Y[j])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"><title>%s</title></polyline>`+"\n",
			color, dash(s), strings.Join(pts, " "), esc(s.Name))
	}
	// Legend, under the x-axis label.
	for i, s := range c.Series {
		lx := float64(left) + float64(i%perRow)*pw/2
		ly := float64(h-bottom+52) + float64(i/perRow)*16
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"%s/>`+"\n", f1(lx), f1(ly-4), f1(lx+24), f1(ly-4), c.color(i), dash(s))
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s</text>`+"\n", f1(lx+30), f1(ly), esc(s.Name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	span := hi - lo
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return []float64{lo, lo + 1}
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	first := math.Floor(lo/step) * step
	var ticks []float64
	for t := first; t <= hi+step*1e-9 || len(ticks) < 2; t += step {
		ticks = append(ticks, math.Round(t/step)*step)
		if len(ticks) > 100 {
			break
		}
	}
	if ticks[len(ticks)-1] < hi {
		ticks = append(ticks, ticks[len(ticks)-1]+step)
	}
	return ticks
}

func tickLabel(v float64) string {
	switch {
	case math.Abs(v) >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case math.Abs(v) >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// esc escapes text for XML character data and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
