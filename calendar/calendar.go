// Package calendar knows which days are working days in mainland China: the
// official public holidays (放假) and the weekend days worked in exchange
// (调休上班), as the State Council's notice for each year sets them. The
// notices for 2023–2026 ship embedded; later years come from a file of the
// same shape (config key calendar.file) without a release.
//
// A year no notice covers falls back to Monday to Friday.
package calendar

import (
	_ "embed"
	"fmt"
	"os"
	"sort"
	"sync"

	"time"

	"gopkg.in/yaml.v3"
)

// Day is a calendar day. It has the shape of Day, which converts
// to it and back directly; the package stands apart from models so that
// config can load it.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Day) time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

func dayOf(t time.Time) Day { y, m, dd := t.Date(); return Day{y, m, dd} }

// AddDays returns the day n days after d.
func (d Day) AddDays(n int) Day { return dayOf(d.time().AddDate(0, 0, n)) }

// After reports whether d is later than o.
func (d Day) After(o Day) bool { return d.time().After(o.time()) }

// String formats d as 2024-10-01.
func (d Day) String() string { return d.time().Format("2006-01-02") }

func parseDay(s string) (Day, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Day{}, err
	}
	return dayOf(t), nil
}

//go:embed holidays.yaml
var official []byte

// Calendar answers whether a day is a working day. The zero value is not
// usable; use Official or Load.
type Calendar struct {
	off   map[Day]string // holiday name by day
	on    map[Day]bool   // 调休 working weekend days
	years map[int]string // the source of each covered year
}

// file is the shape of holidays.yaml and of a configured calendar file.
type file struct {
	Years []struct {
		Year     int    `yaml:"year"`
		Source   string `yaml:"source"`
		Holidays []struct {
			Name string `yaml:"name"`
			From string `yaml:"from"`
			To   string `yaml:"to"`
		} `yaml:"holidays"`
		Workdays []string `yaml:"workdays"`
	} `yaml:"years"`
}

// Official returns the calendar of the embedded notices (2023–2026).
func Official() *Calendar { return officialCalendar() }

// officialCalendar parses the embedded file once; a Calendar is never
// changed after parse, so every caller may share it.
var officialCalendar = sync.OnceValue(func() *Calendar {
	c, err := parse(official, nil, "embedded holidays.yaml")
	if err != nil {
		panic(err.Error()) // the embedded file is checked by the tests
	}
	return c
})

// Load returns the official calendar with the years in the file at path
// added; a year in the file replaces the embedded one. An empty path means
// the official calendar alone.
func Load(path string) (*Calendar, error) {
	c := Official()
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("calendar: read calendar.file: %w", err)
	}
	return parse(data, c, path)
}

// parse reads a calendar file over base (nil for an empty calendar).
func parse(data []byte, base *Calendar, name string) (*Calendar, error) {
	var f file
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("calendar: %s: %w", name, err)
	}
	c := &Calendar{off: map[Day]string{}, on: map[Day]bool{}, years: map[int]string{}}
	replaced := map[int]bool{}
	for _, y := range f.Years {
		replaced[y.Year] = true
	}
	if base != nil {
		// Keep the base's days except those of a year the file replaces. A
		// holiday run such as 元旦 2022-12-31..2023-01-02 belongs to its
		// notice's year, which base records per day below.
		for d, n := range base.off {
			if !replaced[base.noticeOf(d)] {
				c.off[d] = n
			}
		}
		for d := range base.on {
			if !replaced[base.noticeOf(d)] {
				c.on[d] = true
			}
		}
		for y, s := range base.years {
			if !replaced[y] {
				c.years[y] = s
			}
		}
	}
	day := func(s string, year int) (Day, error) {
		d, err := parseDay(s)
		if err != nil {
			return d, fmt.Errorf("calendar: %s: year %d: bad date %q (want 2024-10-01)", name, year, s)
		}
		if d.Year < year-1 || d.Year > year {
			return d, fmt.Errorf("calendar: %s: year %d: date %s is outside the year", name, year, s)
		}
		return d, nil
	}
	for _, y := range f.Years {
		if y.Year < 2000 || y.Year > 2999 {
			return nil, fmt.Errorf("calendar: %s: bad year %d", name, y.Year)
		}
		c.years[y.Year] = y.Source
		for _, h := range y.Holidays {
			from, err := day(h.From, y.Year)
			if err != nil {
				return nil, err
			}
			to, err := day(h.To, y.Year)
			if err != nil {
				return nil, err
			}
			if from.After(to) || to.After(from.AddDays(31)) {
				return nil, fmt.Errorf("calendar: %s: year %d: holiday %s runs from %s to %s", name, y.Year, h.Name, h.From, h.To)
			}
			for d := from; !d.After(to); d = d.AddDays(1) {
				c.off[d] = h.Name
			}
		}
		for _, s := range y.Workdays {
			d, err := day(s, y.Year)
			if err != nil {
				return nil, err
			}
			if _, clash := c.off[d]; clash {
				return nil, fmt.Errorf("calendar: %s: %s is both a holiday and a working day", name, s)
			}
			c.on[d] = true
		}
	}
	return c, nil
}

// noticeOf is the notice year a listed day belongs to: its own year, except a
// holiday run that starts in late December for the next New Year.
func (c *Calendar) noticeOf(d Day) int {
	if d.Month == 12 && d.Day >= 29 {
		if n, ok := c.off[d]; ok && n == c.off[Day{Year: d.Year + 1, Month: 1, Day: 1}] {
			return d.Year + 1
		}
	}
	return d.Year
}

// IsWorkday reports whether d is a working day: a 调休 working day, or a
// Monday to Friday that is no public holiday.
func (c *Calendar) IsWorkday(d Day) bool {
	if c.on[d] {
		return true
	}
	if _, ok := c.off[d]; ok {
		return false
	}
	wd := d.time().Weekday()
	return wd != 0 && wd != 6
}

// Holiday names the public holiday d falls in ("国庆节"), or "".
func (c *Calendar) Holiday(d Day) string { return c.off[d] }

// AddWorkdays returns the n-th working day after d (d itself not counted):
// ten working days from a Friday before National Day skip the whole
// holiday and count the 调休 Saturday. n ≤ 0 returns d.
func (c *Calendar) AddWorkdays(d Day, n int) Day {
	for n > 0 {
		d = d.AddDays(1)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// Covers reports whether a notice for year is known; without one, only
// weekends are days off.
func (c *Calendar) Covers(year int) bool {
	_, ok := c.years[year]
	return ok
}

// Years lists the covered years with the source of each, in order.
func (c *Calendar) Years() []string {
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	out := make([]string, len(ys))
	for i, y := range ys {
		out[i] = fmt.Sprintf("%d：%s", y, c.years[y])
	}
	return out
}
