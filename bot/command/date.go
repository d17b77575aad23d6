package command

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hazardbot/calendar"
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
	// future reads a deadline: a bare weekday ("周五") is the coming one, and
	// a year-less day already past ("3月15日" typed on 3月20日) is reported
	// as past together with the day the person probably meant (next year's,
	// next month's, next week's), so that the bot can ask instead of guess.
	future
)

// PastError says a deadline as typed lies before today. Next is the day the
// person probably meant when the text named no year (or month, or week);
// it is zero when the text was explicit ("2023-01-10", "3天前") and there is
// nothing to ask. It unwraps to an invalid *models.Error, so a caller that
// does not ask back still refuses with a clear message.
type PastError struct {
	Date, Next models.Date
	// Label is how the next day is named in the question: "明年3月15日",
	// "4月10日", "下周一（3月20日）".
	Label string
}

func (e *PastError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the refusal for callers that do not ask back.
func (e *PastError) Unwrap() error {
	return models.Errorf(models.EInvalid, "%s已经过去了，请给一个今天或以后的日期", e.Date.Chinese())
}

// Question asks whether the person meant Next:
// "3月15日已经过去，是指明年3月15日吗？回复 是 或重新输入".
func (e *PastError) Question() string {
	if e.Next.IsZero() {
		return e.Unwrap().Error()
	}
	return fmt.Sprintf("%s已经过去，是指%s吗？回复 是 或重新输入", e.Date.Short(), e.Label)
}

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
	d, _, err := parseDate(s, reading{today: today, anchor: today, base: today, mode: asGiven, cal: calendar.Official()})
	return d, err
}

// ParseDeadline reads a deadline: every ParseDate form plus 4月底, 5月底前,
// 10个工作日, 10个工作日内 (working days from cal, the official holiday and
// 调休 calendar; nil means calendar.Official()). A bare weekday ("周五") is
// the coming one. A deadline before today is refused with a *PastError: when
// the text named no year ("1月10日" typed in March), no month ("10号" typed
// on the 15th) or said 本周 of a day already past, the error's Next is the
// day the person probably meant, for the caller to ask back; the date is
// never moved silently.
func ParseDeadline(s string, now time.Time, loc *time.Location, cal *calendar.Calendar) (models.Date, error) {
	today := models.DateOf(now, loc)
	return ParseDeadlineFrom(s, today, now, loc, cal)
}

// ParseDeadlineFrom reads a deadline like ParseDeadline, except that the
// relative forms (15天, 10个工作日, 两周, 1个月) count from base instead of
// today: an extension counts from the hazard's current deadline. Named days
// (明天, 周五, 月底, 3月15日) do not depend on base.
func ParseDeadlineFrom(s string, base models.Date, now time.Time, loc *time.Location, cal *calendar.Calendar) (models.Date, error) {
	today := models.DateOf(now, loc)
	if cal == nil {
		cal = calendar.Official()
	}
	if base.IsZero() {
		base = today
	}
	d, _, err := parseDate(s, reading{today: today, anchor: today, base: base, mode: future, cal: cal})
	return d, err
}

// IsDate reports whether s has the shape of a date or deadline as officers
// type them (3月31日, 15天, 下周五, 月底), real or not, past or not: such an
// answer is never a name, of a unit say.
func IsDate(s string, now time.Time, loc *time.Location) bool {
	today := models.DateOf(now, loc)
	_, recognized, _ := parseDate(s, reading{today: today, anchor: today, base: today, mode: future, cal: calendar.Official()})
	return recognized
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
	reNMonthEnd = regexp.MustCompile(`^(\d{1,2})月份?(?:底|末)$`)
	reWorkdays  = regexp.MustCompile(`^(\d{1,3})个?工作日(内|以内|之内|后|以后|之后)?$`)
	reNYearEnd  = regexp.MustCompile(`^(\d{4})年(?:底|末)$`)
	// reXun is a month's 上旬, 中旬 or 下旬, read as a deadline: its last
	// day (the 10th, the 20th, the month's end).
	reXun = regexp.MustCompile(`^(?:(\d{1,2})月份?|(本|这个?|当|下个?)月)(上|中|下)旬$`)
	// reBareMonth is a month named alone: no deadline, since any of its
	// days may be meant.
	reBareMonth = regexp.MustCompile(`^(\d{1,2})月份?$`)
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
	dateSuffixes = []string{"下班之前", "下班以前", "下班前", "之前", "以前", "为止", "截止", "前", "止"}
	// doneSuffixes end a deadline written as a sentence: "4月30日前完成".
	doneSuffixes = []string{"整改完成", "完成整改", "整改到位", "完成"}
	// fromToday start a deadline counted from today whatever the base:
	// "即日起15天" in an extension is not 15 days from the old deadline.
	fromToday = []string{"自即日起", "从即日起", "即日起", "自今日起", "从今日起", "自今天起", "从今天起", "今日起", "今天起"}
)

// vagueDeadlines name no day; a deadline written so is refused, saying
// what to write.
var vagueDeadlines = map[string]bool{
	"立即": true, "立刻": true, "马上": true, "即刻": true, "尽快": true, "尽早": true, "及时": true,
	"立行立改": true, "限期整改": true,
}

// vagueDeadline is the refusal of a deadline that names no single day
// (立即, 尽快, a bare 3月), or "" when s is not one.
func vagueDeadline(s string) string {
	if vagueDeadlines[s] {
		return fmt.Sprintf("“%s”没有具体日期，请写整改时限，例如：今天、明天、3天、10个工作日", s)
	}
	if m := reBareMonth.FindStringSubmatch(s); m != nil {
		if mon := atoi(m[1]); mon >= 1 && mon <= 12 {
			end := monthEnd(2023, time.Month(mon)).Day // 2月: 28 is the common case
			return fmt.Sprintf("“%s”是一整个月，请写到哪天，例如：%d月底、%d月中旬、%d月%d日", s, mon, mon, mon, end)
		}
	}
	return ""
}

// trimAround drops the words around a date that do not change it:
// "截止4月30日前完成" → "4月30日".
func trimAround(s string) string {
	for _, p := range datePrefixes {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	for _, p := range doneSuffixes {
		if strings.HasSuffix(s, p) {
			s = s[:len(s)-len(p)]
			break
		}
	}
	for _, p := range dateSuffixes {
		if strings.HasSuffix(s, p) {
			s = s[:len(s)-len(p)]
			break
		}
	}
	return s
}

// reading is what a date is read against. today resolves named days (明天,
// 周五); anchor supplies the year of a year-less date and the month of a
// day-only one (it is today, except for the right side of a range); base is
// where the relative forms (15天, 10个工作日) count from (today, except for
// an extension); cal says which days are working days.
type reading struct {
	today, anchor, base models.Date
	mode                dateMode
	cal                 *calendar.Calendar
}

// parseDate is the one date grammar. recognized reports that the text had
// the shape of a date even if it failed, so that callers scanning tokens can
// tell "2月30日" (a bad date) from "茅箭区" (no date at all). In future mode
// a day before today is a *PastError.
func parseDate(raw string, r reading) (d models.Date, recognized bool, err error) {
	shown := strings.TrimSpace(raw)
	// "3月15日。" ends a sentence on a phone keyboard; the full stop is no
	// part of the date.
	s := trimEndPunct(compact(raw))
	if s == "" {
		return models.Date{}, false, models.Errorf(models.EInvalid, "请写日期，%s", dateExamples)
	}
	s = reParen.ReplaceAllString(s, "")
	for _, p := range fromToday {
		if t := strings.TrimPrefix(s, p); t != s && t != "" {
			s, r.base = t, r.today
			break
		}
	}
	if r.mode == future {
		if msg := vagueDeadline(s); msg != "" {
			return models.Date{}, true, models.Errorf(models.EInvalid, "%s", msg)
		}
	}
	var next models.Date
	d, next, recognized, ok := dateForm(s, r)
	if !recognized {
		// Only strip the words around a date when the text is not a date as it
		// stands: "15天前" is three days' worth of meaning, "3月15日前" is not.
		if t := trimAround(s); t != s && t != "" {
			d, next, recognized, ok = dateForm(t, r)
		}
	}
	switch {
	case ok && r.mode == future && d.Before(r.today):
		pe := &PastError{Date: d}
		if !next.IsZero() && !next.Before(r.today) {
			pe.Next, pe.Label = next, next.Short()
			if next.Year != r.today.Year {
				pe.Label = next.Chinese()
				if next.Month == d.Month && next.Day == d.Day {
					pe.Label = "明年" + next.Short()
				}
			}
		}
		return models.Date{}, true, pe
	case ok:
		return d, true, nil
	case recognized:
		return models.Date{}, true, models.Errorf(models.EInvalid, "“%s”不是有效日期，%s", shown, dateExamples)
	}
	return models.Date{}, false, models.Errorf(models.EInvalid, "看不懂日期“%s”，%s", shown, dateExamples)
}

// dateForm tries each form in turn on compacted text. recognized means one
// form matched; ok means it also named a real day. next is, in future mode,
// the day meant if d is past and the text left the year, month or week
// open: next year's 3月15日, next month's 10号, next week's 本周一.
func dateForm(s string, r reading) (d, next models.Date, recognized, ok bool) {
	today, anchor := r.today, r.anchor
	valid := func(y, m, day int) (models.Date, models.Date, bool, bool) {
		if !models.ValidDate(y, time.Month(m), day) {
			return models.Date{}, models.Date{}, true, false
		}
		return models.Date{Year: y, Month: time.Month(m), Day: day}, models.Date{}, true, true
	}
	checked := func(d models.Date) (models.Date, models.Date, bool, bool) {
		return valid(d.Year, int(d.Month), d.Day)
	}
	// withNext sets next to later when d is a past deadline.
	withNext := func(d, nd models.Date, rec, ok bool, later models.Date) (models.Date, models.Date, bool, bool) {
		if ok && r.mode == future && d.Before(today) && models.ValidDate(later.Year, later.Month, later.Day) {
			nd = later
		}
		return d, nd, rec, ok
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
		d, nd, rec, ok := valid(anchor.Year, mon, day)
		later := models.Date{Year: anchor.Year + 1, Month: time.Month(mon), Day: day}
		if !ok && r.mode == future && mon == 2 && day == 29 {
			// 2月29日 in a year without one: the next leap year's, if it is next year.
			if models.ValidDate(anchor.Year+1, 2, 29) {
				return later, models.Date{}, true, true
			}
		}
		return withNext(d, nd, rec, ok, later)
	}
	if m := reD.FindStringSubmatch(s); m != nil {
		day := atoi(m[1])
		d, nd, rec, ok := valid(anchor.Year, int(anchor.Month), day)
		y, mon := anchor.Year, int(anchor.Month)+1
		if mon > 12 {
			y, mon = y+1, 1
		}
		return withNext(d, nd, rec, ok, models.Date{Year: y, Month: time.Month(mon), Day: day})
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
			return checked(today.AddDays(-n))
		}
		return checked(r.base.AddDays(n))
	}
	if m := reWorkdays.FindStringSubmatch(s); m != nil {
		n := atoi(m[1])
		if n == 0 {
			return models.Date{}, models.Date{}, true, false
		}
		return checked(models.Date(r.cal.AddWorkdays(calendar.Day(r.base), n)))
	}
	if m := reWeeks.FindStringSubmatch(s); m != nil {
		return checked(r.base.AddDays(7 * atoi(m[1])))
	}
	if m := reMonths.FindStringSubmatch(s); m != nil {
		return checked(addMonths(r.base, atoi(m[1])))
	}
	if reHalfMonth.MatchString(s) {
		return checked(r.base.AddDays(15))
	}
	if m := reWeekday.FindStringSubmatch(s); m != nil {
		d := weekday(today, m[1], m[2])
		later := d
		if m[1] == "" || strings.HasPrefix(m[1], "本") || strings.HasPrefix(m[1], "这") {
			later = d.AddDays(7)
			if m[1] == "" && r.mode == future && d.Before(today) {
				// A bare 周五 said on Saturday is the coming Friday.
				return checked(later)
			}
		}
		dd, nd, rec, ok := checked(d)
		return withNext(dd, nd, rec, ok, later)
	}
	if m := reMonthEnd.FindStringSubmatch(s); m != nil {
		first := models.Date{Year: today.Year, Month: today.Month, Day: 1}
		if strings.HasPrefix(m[1], "下") {
			first = addMonths(first, 1)
		}
		return checked(addMonths(first, 1).AddDays(-1))
	}
	if m := reNMonthEnd.FindStringSubmatch(s); m != nil {
		mon := atoi(m[1])
		if mon < 1 || mon > 12 {
			return models.Date{}, models.Date{}, true, false
		}
		end := monthEnd(anchor.Year, time.Month(mon))
		dd, nd, rec, ok := checked(end)
		return withNext(dd, nd, rec, ok, monthEnd(anchor.Year+1, time.Month(mon)))
	}
	if reYearEnd.MatchString(s) {
		return valid(today.Year, 12, 31)
	}
	if m := reNYearEnd.FindStringSubmatch(s); m != nil {
		return valid(atoi(m[1]), 12, 31)
	}
	if m := reXun.FindStringSubmatch(s); m != nil && r.mode == future {
		// Only a deadline has one reading (the last day); as a span or an
		// inspection day 中旬 is ten days.
		last := func(y int, mon time.Month) models.Date {
			switch m[3] {
			case "上":
				return models.Date{Year: y, Month: mon, Day: 10}
			case "中":
				return models.Date{Year: y, Month: mon, Day: 20}
			}
			return monthEnd(y, mon)
		}
		if m[1] == "" {
			first := models.Date{Year: today.Year, Month: today.Month, Day: 1}
			if strings.HasPrefix(m[2], "下") {
				first = addMonths(first, 1)
			}
			return checked(last(first.Year, first.Month))
		}
		mon := atoi(m[1])
		if mon < 1 || mon > 12 {
			return models.Date{}, models.Date{}, true, false
		}
		dd, nd, rec, ok := checked(last(anchor.Year, time.Month(mon)))
		return withNext(dd, nd, rec, ok, last(anchor.Year+1, time.Month(mon)))
	}
	return models.Date{}, models.Date{}, false, false
}

// monthEnd is the last day of month m of year y.
func monthEnd(y int, m time.Month) models.Date {
	return models.NewDate(y, m+1, 0)
}

// weekday resolves 周N with an optional 上/本/这/下/下下 in front. Weeks start
// on Monday, as on a Chinese calendar.
func weekday(today models.Date, which, day string) models.Date {
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
	return monday.AddDays(7*weeks + n - 1)
}

// addMonths moves d by n months, keeping the day but not past the month's
// end: one month after 1月31日 is 2月28日, not 3月3日.
func addMonths(d models.Date, n int) models.Date {
	m := int(d.Month) - 1 + n
	// Floor division: one month back from January is December of the year before.
	y := d.Year + m/12
	if m %= 12; m < 0 {
		m += 12
		y--
	}
	m++
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

// isInvisible reports characters that phones insert but nobody means —
// zero-width spaces and joiners, the byte-order mark, direction marks: the
// ones models.Visible drops from everything saved.
func isInvisible(r rune) bool { return models.IsInvisible(r) }
