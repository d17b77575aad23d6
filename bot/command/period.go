package command

import (
	"regexp"
	"strings"
	"time"

	"hazardbot/calendar"
	"hazardbot/models"
)

// Period is the span a 统计 covers, both ends included.
type Period struct {
	From, To models.Date
	// Label names the span in a reply: "本周", "上月", "2023年2月1日至3月15日",
	// or the campaign's own label.
	Label string
}

// periodExamples ends every period error.
const periodExamples = "例如：今日、本周、本月、活动、2月1日至3月15日"

// periodWords are the named spans; each computes From and To from today.
var periodWords = map[string]func(today models.Date) Period{
	"今日":  func(t models.Date) Period { return Period{t, t, "今日"} },
	"今天":  func(t models.Date) Period { return Period{t, t, "今日"} },
	"昨日":  func(t models.Date) Period { y := t.AddDays(-1); return Period{y, y, "昨日"} },
	"昨天":  func(t models.Date) Period { y := t.AddDays(-1); return Period{y, y, "昨日"} },
	"本周":  func(t models.Date) Period { return Period{monday(t), t, "本周"} },
	"这周":  func(t models.Date) Period { return Period{monday(t), t, "本周"} },
	"本星期": func(t models.Date) Period { return Period{monday(t), t, "本周"} },
	"上周": func(t models.Date) Period {
		m := monday(t).AddDays(-7)
		return Period{m, m.AddDays(6), "上周"}
	},
	"本月":  thisMonth,
	"这个月": thisMonth,
	"当月":  thisMonth,
	"上月":  lastMonth,
	"上个月": lastMonth,
	"今年": func(t models.Date) Period {
		return Period{models.Date{Year: t.Year, Month: 1, Day: 1}, t, "今年"}
	},
}

// campaignWords name the configured campaign's span.
var campaignWords = []string{"活动", "本次活动", "活动期间", "专项行动", "行动期间"}

func thisMonth(t models.Date) Period {
	return Period{models.Date{Year: t.Year, Month: t.Month, Day: 1}, t, "本月"}
}

func lastMonth(t models.Date) Period {
	first := addMonths(models.Date{Year: t.Year, Month: t.Month, Day: 1}, -1)
	return Period{first, addMonths(first, 1).AddDays(-1), "上月"}
}

func monday(t models.Date) models.Date { return t.AddDays(-((int(t.Weekday()) + 6) % 7)) }

var reRecent = regexp.MustCompile(`^(?:最?近)(\d{1,4})(?:天|日)$`)

// rangeSeps split "A至B"; "-" is tried last and at every position, since it
// also sits inside 2023-03-15.
var rangeSeps = []string{"至", "到", "~", "—", "–", "－", "-"}

// ParsePeriod reads the span of a 统计: 今日/今天, 昨天, 本周 (Monday to
// today), 上周 (Monday to Sunday), 本月 (the 1st to today), 上月, 今年, 近7天,
// 活动 (the campaign's span; an error when campaign is nil), a single date
// (that day), or a range "A至B", "A到B", "A~B", "A-B" whose ends are any
// ParseDate form ("2月1日至3月15日", "3月1日至15日", "2月1日至今"). A year-less
// right end takes the left end's year. Empty s means the campaign when one
// is given, else the last 30 days (近30天): never the few days of a month
// just begun, which on the 1st would show a leader nothing at all.
func ParsePeriod(s string, now time.Time, loc *time.Location, campaign *Period) (Period, error) {
	today := models.DateOf(now, loc)
	c := compact(s)
	if c == "" {
		if campaign != nil {
			return campaignPeriod(campaign), nil
		}
		return Period{today.AddDays(-29), today, "近30天"}, nil
	}
	if f, ok := periodWords[c]; ok {
		return f(today), nil
	}
	for _, w := range campaignWords {
		if c == w {
			if campaign == nil {
				return Period{}, models.Errorf(models.EInvalid, "还没有设置活动起止日期，请直接写日期，例如：统计 2月1日至3月15日")
			}
			return campaignPeriod(campaign), nil
		}
	}
	if m := reRecent.FindStringSubmatch(c); m != nil {
		n := max(atoi(m[1]), 1)
		from := today.AddDays(1 - n)
		if !models.ValidDate(from.Year, from.Month, from.Day) {
			return Period{}, models.Errorf(models.EInvalid, "“%s”太长了，%s", strings.TrimSpace(s), periodExamples)
		}
		return Period{from, today, "近" + m[1] + "天"}, nil
	}
	if d, recognized, err := parseDate(c, asOf(today, today)); err == nil {
		return Period{d, d, d.Chinese()}, nil
	} else if recognized {
		return Period{}, err
	}
	var firstErr error
	for _, sep := range rangeSeps {
		for i := 0; i < len(c); {
			j := strings.Index(c[i:], sep)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(sep)
			left, right := c[:at], c[at+len(sep):]
			if left == "" || right == "" {
				continue
			}
			p, err := rangePeriod(left, right, today)
			if err == nil {
				return p, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		return Period{}, firstErr
	}
	return Period{}, models.Errorf(models.EInvalid, "看不懂统计时间“%s”，%s", strings.TrimSpace(s), periodExamples)
}

// rangePeriod reads both ends of "A至B". The right end is read with the left
// end as anchor, so "3月1日至15日" stays in March and "2022年12月1日至12月31日"
// stays in 2022.
func rangePeriod(left, right string, today models.Date) (Period, error) {
	from, _, err := parseDate(left, asOf(today, today))
	if err != nil {
		return Period{}, err
	}
	var to models.Date
	switch right {
	case "今", "今天", "今日", "现在", "目前":
		to = today
	default:
		to, _, err = parseDate(right, asOf(today, from))
		if err != nil {
			return Period{}, err
		}
	}
	if to.Before(from) {
		return Period{}, models.Errorf(models.EInvalid, "开始日期%s晚于结束日期%s，%s", from.Short(), to.Short(), periodExamples)
	}
	return Period{from, to, rangeLabel(from, to)}, nil
}

// rangeLabel writes a span the way the 情况小结 does: 2023年2月1日至3月15日.
func rangeLabel(from, to models.Date) string {
	if from.Year == to.Year {
		return from.Chinese() + "至" + to.Short()
	}
	return from.Chinese() + "至" + to.Chinese()
}

func campaignPeriod(c *Period) Period {
	p := *c
	if p.Label == "" {
		p.Label = "活动期间"
	}
	return p
}

// periodPrefix returns the longest span word (本周, 活动, ...) s starts
// with; Parse uses it to split a glued "本周茅箭区".
func periodPrefix(s string) (word string, ok bool) {
	best := ""
	for w := range periodWords {
		if strings.HasPrefix(s, w) && len(w) > len(best) {
			best = w
		}
	}
	for _, w := range campaignWords {
		if strings.HasPrefix(s, w) && len(w) > len(best) {
			best = w
		}
	}
	return best, best != ""
}

// asOf reads dates of a span as given (past days stay past), year-less ones
// in anchor's year.
func asOf(today, anchor models.Date) reading {
	return reading{today: today, anchor: anchor, base: today, mode: asGiven, cal: calendar.Official()}
}
