package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"hazardbot/models"
)

// wellFormed parses an SVG as XML, so a chart never breaks the page.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
	}
}

func TestFiguresChart(t *testing.T) {
	rows := []models.SummaryRow{
		{Key: "maojian", Name: "茅箭区", Figures: models.Figures{Found: 12, Rectified: 8, Closed: 5, Overdue: 2}},
		{Key: "zhangwan", Name: "张湾区", Figures: models.Figures{}},
		{Key: "x", Name: `<b>"武当山"&特区</b>`, Figures: models.Figures{Found: 3, Overdue: 1}},
	}
	svg := FiguresChart("全市按县市区", rows)
	wellFormed(t, svg)
	for _, want := range []string{
		`data-series="发现" data-value="12"`, `data-series="已整改完成" data-value="8"`,
		`data-series="已销号" data-value="5"`, `data-series="逾期" data-value="2"`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %s", want)
		}
	}
	if strings.Contains(svg, "张湾区") {
		t.Error("a row with nothing found or overdue is drawn")
	}
	if strings.Contains(svg, "<b>") {
		t.Error("a unit's name is not escaped")
	}
	// The longest bar is the largest figure; others are in proportion.
	if !strings.Contains(svg, `width="233.0" height="8" fill="#2f6fd6" data-series="发现" data-value="12"`) ||
		!strings.Contains(svg, `width="97.1" height="8" fill="#2e9e5b" data-series="已销号" data-value="5"`) {
		t.Errorf("bars are not in proportion:\n%s", svg)
	}
	empty := FiguresChart("空", rows[1:2])
	wellFormed(t, empty)
	if !strings.Contains(empty, "本期没有隐患") {
		t.Error("an empty chart does not say so")
	}
}

func TestTrendChart(t *testing.T) {
	var weeks []models.WeekFigures
	for i := range 8 {
		weeks = append(weeks, models.WeekFigures{Monday: models.NewDate(2023, 2, 6).AddDays(7 * i), Figures: models.Figures{Found: int64(i * 3), Closed: int64(i)}})
	}
	svg := TrendChart("趋势", weeks)
	wellFormed(t, svg)
	if n := strings.Count(svg, "<polyline"); n != 4 {
		t.Errorf("%d lines, want 4", n)
	}
	if n := strings.Count(svg, "<circle"); n != 32 {
		t.Errorf("%d points, want 32", n)
	}
	if !strings.Contains(svg, `data-week="2023-03-27" data-value="21"`) {
		t.Error("the last week's found is not 21")
	}
	// 21 rounds the axis up to 50.
	if !strings.Contains(svg, `text-anchor="end">50<`) {
		t.Error("the axis does not top at 50")
	}
	for v, want := range map[int64]int64{0: 1, 1: 1, 3: 5, 10: 10, 11: 20, 21: 50, 501: 1000} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", v, got, want)
		}
	}
}
