package command

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"hazardbot/models"
)

// dateExamples ends every date error, so the officer sees at once what works.
const dateExamples = "例如：3月15日、2023-03-15、15天"

// dateMode says how year-less and weekday dates are placed.
type dateMode int

const (
	// asGiven places "3月15日" in the anchor's year and "周五" in this week,
	// even when that is already past: inspection dates lie in the past.
	asGiven dateMode = iota
	// future rolls a year-less day that is already past into next year (and a
	// past weekday or day of month into the next week or month): a deadline
	// is always ahead.
	future
)

// ParseDate reads a date as officers type it, for dates that may lie in the
// past such as the inspection date: a year-less "3月15日" is this year's
// (in loc) even when past, and "周五" is this week's Friday. It accepts
// 2023-3-15, 2023/3/15, 2023.3.15, 2023年3月15日, 20230315, 3月15日, 3月15号,
// 3-15, 3/15, 3.15, 15日/15号 (this month), 今天, 明天, 后天, 昨天, 前天,
// 下周五, 本周五, 周五, 星期五, 礼拜五, 15天 (today + 15), 15天内, 15天后,
// 3天前, 一周, 两周, 1个月, 半个月, 月底, 本月底, 下月底, 年底, and Chinese
// numerals (三月十五日, 十五天). A trailing 前/之前/为止 ("3月15日前") is
// ignored. The error is an invalid *models.Error whose message names the
// problem and gives examples.
func ParseDate(s string, now time.Time, loc *time.Location) (models.Date, error) {
	today := models.DateOf(now, loc)
	d, _, err := parseDate(s, today, today, asGiven)
	return d, err
}

// ParseDeadline reads a deadline like ParseDate but places it in the future:
// a year-less day already past this year means next year's ("1月10日" typed in
// March), "15号" already past this month means next month's, and "周五" or
// "本周五" already past this week means next week's. A date with an explicit
// year is taken as written, even if past; the caller decides whether a past
// deadline is acceptable.
func ParseDeadline(s string, now time.Time, loc *time.Location) (models.Date, error) {
	today := models.DateOf(now, loc)
	d, _, err := parseDate(s, today, today, future)
	return d, err
}

var (
	reYMD       = regexp.MustCompile(`^(\d{4}|\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$`)
	reCompact   = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	reMD        = regexp.MustCompile(`^(\d{1,2})[-/.月](\d{1,2})[日号]?$`)
	reD         = regexp.MustCompile(`^(\d{1,2})[日号]$`)
	reNextMD    = regexp.MustCompile(`^下个?月(\d{1,2})[日号]$`)
	reDays      = regexp.MustCompile(`^(\d{1,5})(?:天|日)(内|以内|之内|后|以后|之后|前|以前|之前)?$`)
	reWeeks     = regexp.MustCompile(`^(\d{1,4})个?(?:周|星期|礼拜)(内|以内|之内|后|以后|之后)?$`)
	reMonths    = regexp.MustCompile(`^(\d{1,3})个月(内|以内|之内|后|以后|之后)?$`)
	reHalfMonth = regexp.MustCompile(`^半个?月(内|以内|之内|后|以后|之后)?$`)
	reWeekday   = regexp.MustCompile(`^(下下个?|下个?|本|这个?|上个?)?(?:周|星期|礼拜)([1-7日天])$`)
	reMonthEnd  = regexp.MustCompile(`^(本|这个?|当|下个?)?月(?:底|末)$`)
	reYearEnd   = regexp.MustCompile(`^(?:(?:本|今|当)年?)?年(?:底|末)$`)
	// reParen drops a trailing remark in brackets: "3月15日(周五)".
	reParen = regexp.MustCompile(`\([^()]*\)$`)
)

// namedDays are the words for days near today, as offsets from today.
var namedDays = map[string]int{
	"今天": 0, "今日": 0, "当天": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3,
	"昨天": -1, "昨日": -1, "前天": -2,
}

// datePrefixes and dateSuffixes are the words around a date that do not change
// it: "截止3月15日前".
var (
	datePrefixes = []string{"截止到", "截止至", "截至", "截止", "限期", "于", "在"}
	dateSuffixes = []string{"之前", "以前", "为止", "截止", "前", "止"}
)

// parseDate is the one date grammar. today resolves relative words; anchor
// supplies the year of a year-less date and the month of a day-only one (it is
// today, except for the right side of a range). recognized reports that the
// text had the shape of a date even if it failed, so that callers scanning
// tokens can tell "2月30日" (a bad date) from "茅箭区" (no date at all).
func parseDate(raw string, today, anchor models.Date, mode dateMode) (d models.Date, recognized bool, err error) {
	shown := strings.TrimSpace(raw)
	s := compact(raw)
	if s == "" {
		return models.Date{}, false, models.Errorf(models.EInvalid, "请写日期，%s", dateExamples)
	}
	s = reParen.ReplaceAllString(s, "")
	d, recognized, ok := dateForm(s, today, anchor, mode)
	if !recognized {
		// Only strip the words around a date when the text is not a date as it
		// stands: "15天前" is three days' worth of meaning, "3月15日前" is not.
		t := s
		for _, p := range datePrefixes {
			if strings.HasPrefix(t, p) {
				t = t[len(p):]
				break
			}
		}
		for _, p := range dateSuffixes {
			if strings.HasSuffix(t, p) {
				t = t[:len(t)-len(p)]
				break
			}
		}
		if t != s && t != "" {
			d, recognized, ok = dateForm(t, today, anchor, mode)
		}
	}
	switch {
	case ok:
		return d, true, nil
	case recognized:
		return models.Date{}, true, models.Errorf(models.EInvalid, "“%s”不是有效日期，%s", shown, dateExamples)
	}
	return models.Date{}, false, models.Errorf(models.EInvalid, "看不懂日期“%s”，%s", shown, dateExamples)
}

// dateForm tries each form in turn on compacted text. recognized means one
// form matched; ok means it also named a real day.
func dateForm(s string, today, anchor models.Date, mode dateMode) (d models.Date, recognized, ok bool) {
	valid := func(y, m, day int) (models.Date, bool, bool) {
		if !models.ValidDate(y, time.Month(m), day) {
			return models.Date{}, true, false
		}
		return models.Date{Year: y, Month: time.Month(m), Day: day}, true, true
	}
	checked := func(d models.Date) (models.Date, bool, bool) {
		return valid(d.Year, int(d.Month), d.Day)
	}
	if n, ok := namedDays[s]; ok {
		return checked(today.AddDays(n))
	}
	if m := reYMD.FindStringSubmatch(s); m != nil {
		y := atoi(m[1])
		if len(m[1]) == 2 {
			y += 2000
		}
		return valid(y, atoi(m[2]), atoi(m[3]))
	}
	if m := reCompact.FindStringSubmatch(s); m != nil {
		return valid(atoi(m[1]), atoi(m[2]), atoi(m[3]))
	}
	if m := reMD.FindStringSubmatch(s); m != nil {
		mon, day := atoi(m[1]), atoi(m[2])
		y := anchor.Year
		if mode == future && (mon < int(today.Month) || mon == int(today.Month) && day < today.Day) {
			y++
		}
		return valid(y, mon, day)
	}
	if m := reD.FindStringSubmatch(s); m != nil {
		day := atoi(m[1])
		y, mon := anchor.Year, int(anchor.Month)
		if mode == future && day < today.Day {
			if mon++; mon > 12 {
				y, mon = y+1, 1
			}
		}
		return valid(y, mon, day)
	}
	if m := reNextMD.FindStringSubmatch(s); m != nil {
		y, mon := today.Year, int(today.Month)+1
		if mon > 12 {
			y, mon = y+1, 1
		}
		return valid(y, mon, atoi(m[1]))
	}
	if m := reDays.FindStringSubmatch(s); m != nil {
		n := atoi(m[1])
		if strings.HasSuffix(m[2], "前") {
			n = -n
		}
		return checked(today.AddDays(n))
	}
	if m := reWeeks.FindStringSubmatch(s); m != nil {
		return checked(today.AddDays(7 * atoi(m[1])))
	}
	if m := reMonths.FindStringSubmatch(s); m != nil {
		return checked(addMonths(today, atoi(m[1])))
	}
	if reHalfMonth.MatchString(s) {
		return checked(today.AddDays(15))
	}
	if m := reWeekday.FindStringSubmatch(s); m != nil {
		return checked(weekday(today, m[1], m[2], mode))
	}
	if m := reMonthEnd.FindStringSubmatch(s); m != nil {
		first := models.Date{Year: today.Year, Month: today.Month, Day: 1}
		if strings.HasPrefix(m[1], "下") {
			first = addMonths(first, 1)
		}
		return checked(addMonths(first, 1).AddDays(-1))
	}
	if reYearEnd.MatchString(s) {
		return valid(today.Year, 12, 31)
	}
	return models.Date{}, false, false
}

// weekday resolves 周N with an optional 上/本/这/下/下下 in front. Weeks start
// on Monday, as on a Chinese calendar.
func weekday(today models.Date, which, day string, mode dateMode) models.Date {
	n := 7
	if day != "日" && day != "天" {
		n = atoi(day)
	}
	monday := today.AddDays(-((int(today.Weekday()) + 6) % 7))
	weeks := 0
	switch {
	case strings.HasPrefix(which, "下下"):
		weeks = 2
	case strings.HasPrefix(which, "下"):
		weeks = 1
	case strings.HasPrefix(which, "上"):
		weeks = -1
	}
	d := monday.AddDays(7*weeks + n - 1)
	if mode == future && weeks == 0 && d.Before(today) {
		d = d.AddDays(7)
	}
	return d
}

// addMonths moves d by n months, keeping the day but not past the month's
// end: one month after 1月31日 is 2月28日, not 3月3日.
func addMonths(d models.Date, n int) models.Date {
	m := int(d.Month) - 1 + n
	y := d.Year + m/12
	m = m%12 + 1
	last := models.NewDate(y, time.Month(m)+1, 0).Day
	return models.Date{Year: y, Month: time.Month(m), Day: min(d.Day, last)}
}

// compact narrows s, drops every space and turns Chinese numerals into
// digits, so that the date forms see one spelling: "三月 十五日" → "3月15日".
func compact(s string) string {
	s = models.Narrow(s)
	s = strings.Map(func(r rune) rune {
		if r == ' ' || isInvisible(r) {
			return -1
		}
		return r
	}, s)
	return chineseDigits(s)
}

// atoi reads a run of ASCII digits the regular expressions have already
// checked and bounded.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// cnDigit maps the Chinese numerals to their values; 十 and 百 are handled
// apart because they multiply.
var cnDigit = map[rune]int{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
}

// chineseDigits replaces each run of Chinese numerals with Arabic digits:
// "十五" → "15", "二十三" → "23", "二〇二三" → "2023", "两" → "2".
func chineseDigits(s string) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		if len(run) > 0 {
			b.WriteString(cnNumber(run))
			run = run[:0]
		}
	}
	for _, r := range s {
		if _, ok := cnDigit[r]; ok || r == '十' || r == '百' {
			run = append(run, r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// cnNumber converts one run of numerals. Without 十 or 百 the run is read
// digit by digit, as years are written (二〇二三); with them it is read as a
// quantity (二十三).
func cnNumber(run []rune) string {
	positional := false
	for _, r := range run {
		if r == '十' || r == '百' {
			positional = true
		}
	}
	if !positional {
		var b strings.Builder
		for _, r := range run {
			b.WriteByte(byte('0' + cnDigit[r]))
		}
		return b.String()
	}
	total, cur := 0, 0
	for _, r := range run {
		switch r {
		case '十':
			total += max(cur, 1) * 10
			cur = 0
		case '百':
			total += max(cur, 1) * 100
			cur = 0
		default:
			cur = cnDigit[r]
		}
	}
	return strconv.Itoa(total + cur)
}

// isInvisible reports characters that phones insert but nobody means:
// zero-width spaces and joiners and the byte-order mark.
func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return false
}
