package report

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"hazardbot/models"
)

// Charts for the H5 pages, drawn here as inline SVG from the very figures
// 统计 and the 情况小结 print (models.Figures), so that a chart and a sentence
// cannot disagree. They are sized for a 375 px phone screen: text at 12 px,
// no zooming needed, and they scale down with the page (viewBox).

// ChartSeries names the four figures in the order the charts draw them,
// with the colour of each.
var ChartSeries = []struct{ Name, Colour string }{
	{"发现", "#2f6fd6"},
	{"已整改完成", "#f0a020"},
	{"已销号", "#2e9e5b"},
	{"逾期", "#d64545"},
}

func seriesValues(f models.Figures) [4]int64 {
	return [4]int64{f.Found, f.Rectified, f.Closed, f.Overdue}
}

// chartWidth is the drawing's width in CSS pixels: a 375 px screen less margins.
const chartWidth = 343

// FiguresChart draws rows (by county, unit or sector) as grouped horizontal
// bars, one group per row with its four figures, each bar labelled with its
// number. Rows with nothing found and nothing overdue are left out; with none
// left it draws a one-line note instead. title is the accessible name.
func FiguresChart(title string, rows []models.SummaryRow) string {
	var shown []models.SummaryRow
	var top int64
	for _, r := range rows {
		if r.Found == 0 && r.Overdue == 0 {
			continue
		}
		shown = append(shown, r)
		for _, v := range seriesValues(r.Figures) {
			top = max(top, v)
		}
	}
	var b strings.Builder
	const (
		legendH = 24
		labelW  = 76 // room for 5 Chinese characters at 12 px
		barH    = 8
		gap     = 2
		groupH  = 4*(barH+gap) + 12
		numW    = 34 // room for the number after the longest bar
	)
	if len(shown) == 0 {
		fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d 40" width="%d" height="40" role="img" aria-label="%s">`, chartWidth, chartWidth, esc(title))
		b.WriteString(`<text x="0" y="24" font-size="13" fill="#666">本期没有隐患</text></svg>`)
		return b.String()
	}
	height := legendH + len(shown)*groupH
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartWidth, height, chartWidth, height, esc(title))
	legend(&b)
	barMax := float64(chartWidth - labelW - numW)
	for i, r := range shown {
		y0 := legendH + i*groupH
		fmt.Fprintf(&b, `<g class="row" data-name="%s">`, esc(r.Name))
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="12" fill="#222">%s</text>`, y0+groupH/2+2, esc(clipRunes(r.Name, 6)))
		for j, v := range seriesValues(r.Figures) {
			y := y0 + j*(barH+gap)
			w := 0.0
			if top > 0 {
				w = barMax * float64(v) / float64(top)
			}
			if v > 0 && w < 1 {
				w = 1
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%d" fill="%s" data-series="%s" data-value="%d"/>`,
				labelW, y, fmtFloat(w), barH, ChartSeries[j].Colour, ChartSeries[j].Name, v)
			fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="10" fill="#444">%d</text>`, fmtFloat(float64(labelW)+w+3), y+barH, v)
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// TrendChart draws the weeks' figures as four lines, one point a week,
// labelled by each week's Monday (3/6), with the latest values written at
// the right end.
func TrendChart(title string, weeks []models.WeekFigures) string {
	var b strings.Builder
	const (
		legendH = 24
		left    = 28
		right   = 30
		plotH   = 130
		axisH   = 20
	)
	height := legendH + plotH + axisH
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartWidth, height, chartWidth, height, esc(title))
	legend(&b)
	var top int64
	for _, w := range weeks {
		for _, v := range seriesValues(w.Figures) {
			top = max(top, v)
		}
	}
	top = niceCeil(top)
	plotW := float64(chartWidth - left - right)
	y := func(v int64) float64 { return float64(legendH) + plotH - plotH*float64(v)/float64(top) }
	x := func(i int) float64 {
		if len(weeks) < 2 {
			return float64(left) + plotW/2
		}
		return float64(left) + plotW*float64(i)/float64(len(weeks)-1)
	}
	// Grid: 0, half and top.
	for _, v := range []int64{0, top / 2, top} {
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e3e3e3"/>`, left, fmtFloat(y(v)), chartWidth-right, fmtFloat(y(v)))
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="10" fill="#888" text-anchor="end">%d</text>`, left-4, fmtFloat(y(v)+3), v)
	}
	for i, w := range weeks {
		if len(weeks) > 6 && i%2 == 1 && i != len(weeks)-1 {
			continue // every other label, so they do not collide
		}
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="10" fill="#666" text-anchor="middle">%d/%d</text>`,
			fmtFloat(x(i)), legendH+plotH+15, int(w.Monday.Month), w.Monday.Day)
	}
	for j, s := range ChartSeries {
		var pts []string
		for i, w := range weeks {
			pts = append(pts, fmtFloat(x(i))+","+fmtFloat(y(seriesValues(w.Figures)[j])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s" data-series="%s"/>`, s.Colour, strings.Join(pts, " "), s.Name)
		for i, w := range weeks {
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5" fill="%s" data-series="%s" data-week="%s" data-value="%d"/>`,
				fmtFloat(x(i)), fmtFloat(y(seriesValues(w.Figures)[j])), s.Colour, s.Name, w.Monday, seriesValues(w.Figures)[j])
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// legend writes the four series' swatches across the top.
func legend(b *strings.Builder) {
	x := 0
	for _, s := range ChartSeries {
		fmt.Fprintf(b, `<rect x="%d" y="4" width="10" height="10" fill="%s"/><text x="%d" y="13" font-size="12" fill="#333">%s</text>`, x, s.Colour, x+13, s.Name)
		x += 13 + 12*len([]rune(s.Name)) + 12
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1), so
// the axis reads in round numbers.
func niceCeil(v int64) int64 {
	if v <= 1 {
		return 1
	}
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func esc(s string) string { return html.EscapeString(s) }

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
