package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hazardbot/models"
)

var (
	// 2023-03-15, 2023/3/15, 2023.3.15 (or 2023.3.15.), 2023年3月15日 (or
	// 号), optionally followed by a time as Excel writes date-times into
	// CSV (2023/3/15 0:00).
	textDate = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号.]?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$`)
	// 20230315
	compactDate = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	// 3月6日, 3月6号, 3.6, 3/6: a day of the sheet's year.
	monthDayDate = regexp.MustCompile(`^(\d{1,2})\s*[./月]\s*(\d{1,2})\s*[日号]?$`)
	// An Excel serial day number, possibly with a time fraction.
	serialDate = regexp.MustCompile(`^\d{1,6}(?:\.\d+)?$`)
)

// Serial days accepted as dates: 2000-01-01 to 2099-12-31. A bare number
// outside this span is much more likely a typo than a hazard from 1950.
const (
	minSerial = 36526
	maxSerial = 73050
	// serial1904 is how many days later Excel's 1904 date system starts.
	serial1904 = 1462
)

// monthDay is a date written without its year (3月6日); the zero value
// means none.
type monthDay struct{ month, day int }

func (md monthDay) ok() bool { return md.month != 0 }

// in places the day in year y, or says why it cannot be.
func (md monthDay) in(y int) (models.Date, string) {
	if !models.ValidDate(y, time.Month(md.month), md.day) {
		return models.Date{}, fmt.Sprintf("没有%d年%d月%d日这一天，请检查日期", y, md.month, md.day)
	}
	return models.Date{Year: y, Month: time.Month(md.month), Day: md.day}, ""
}

// beforeWord ends a deadline written as 2023年3月31日前: that day.
var beforeWord = regexp.MustCompile(`\s*(?:之前|以前|前)$`)

// noDayWords are what clerks write in 整改时限 instead of a day, by how
// the cell starts, with the day to write instead.
var noDayWords = []struct {
	starts []string
	hint   string
}{
	{[]string{"长期", "持续"}, "请写最终完成整改的日期，如 2023-12-31"},
	{[]string{"立行立改", "立即", "立查立改", "即知即改", "即查即改", "当场", "现场整改"}, "当场整改的请写检查当天的日期"},
	{[]string{"已"}, "请写原定的整改时限，整改情况写在备注里"},
}

// parseLedgerDate reads a ledger cell's date as parseCellDate does, and
// also a day without its year (3月6日, 3.6), which comes back as md for the
// caller to place in the sheet's year; "…前" is that day. Words that name
// no day (长期, 立行立改, 已整改) are refused saying which day to write.
func parseLedgerDate(s string, date1904 bool) (d models.Date, md monthDay, msg string) {
	n := strings.TrimSpace(models.Narrow(s))
	for _, w := range noDayWords {
		for _, start := range w.starts {
			if strings.HasPrefix(n, start) {
				return d, md, fmt.Sprintf("“%s”不是日期：%s", clipRunes(n, 21), w.hint)
			}
		}
	}
	if t := beforeWord.ReplaceAllString(n, ""); t != n && t != "" {
		if d, md, msg := parseLedgerDate(t, date1904); msg == "" {
			return d, md, ""
		}
	}
	if m := monthDayDate.FindStringSubmatch(n); m != nil {
		mo, _ := strconv.Atoi(m[1])
		day, _ := strconv.Atoi(m[2])
		// 2月29日 exists in some years; check against a leap year.
		if mo < 1 || mo > 12 || !models.ValidDate(2024, time.Month(mo), day) {
			return d, md, fmt.Sprintf("没有%d月%d日这一天，请检查日期", mo, day)
		}
		return d, monthDay{mo, day}, ""
	}
	d, msg = parseCellDate(s, date1904)
	return d, md, msg
}

// parseCellDate reads a date as it comes out of a ledger cell. An empty cell
// is the zero Date; a problem comes back as a Chinese message for the user.
func parseCellDate(s string, date1904 bool) (models.Date, string) {
	s = strings.TrimSpace(models.Narrow(s))
	if s == "" {
		return models.Date{}, ""
	}
	if m := textDate.FindStringSubmatch(s); m != nil {
		return checkedDate(m[1], m[2], m[3])
	}
	if m := compactDate.FindStringSubmatch(s); m != nil {
		return checkedDate(m[1], m[2], m[3])
	}
	if serialDate.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil {
			n := int(math.Floor(f))
			if date1904 {
				n += serial1904
			}
			if n >= minSerial && n <= maxSerial {
				t := excelEpoch.AddDate(0, 0, n)
				return models.DateOf(t, time.UTC), ""
			}
		}
	}
	return models.Date{}, fmt.Sprintf("“%s”不是日期，请写成 2023-03-15、2023年3月15日 或 3月15日", clipRunes(s, 21))
}

func checkedDate(ys, ms, ds string) (models.Date, string) {
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	if y < 1900 || y > 2999 {
		return models.Date{}, fmt.Sprintf("年份%d不对，请检查日期", y)
	}
	if !models.ValidDate(y, time.Month(m), d) {
		return models.Date{}, fmt.Sprintf("没有%d年%d月%d日这一天，请检查日期", y, m, d)
	}
	return models.Date{Year: y, Month: time.Month(m), Day: d}, ""
}
