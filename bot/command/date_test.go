package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hazardbot/models"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// wednesday is 2023-03-15, a Wednesday, at 10:00 in Shanghai: the middle of
// the spring offensive the seed document describes.
var wednesday = time.Date(2023, 3, 15, 10, 0, 0, 0, shanghai)

func day(y int, m time.Month, d int) models.Date { return models.Date{Year: y, Month: m, Day: d} }

func TestParseDate(t *testing.T) {
	cases := []struct {
		name, in string
		want     models.Date
	}{
		{"iso short", "2023-3-15", day(2023, 3, 15)},
		{"iso", "2023-03-15", day(2023, 3, 15)},
		{"slashes", "2023/3/15", day(2023, 3, 15)},
		{"dots", "2023.3.15", day(2023, 3, 15)},
		{"chinese full", "2023年3月15日", day(2023, 3, 15)},
		{"chinese full with hao", "2023年3月15号", day(2023, 3, 15)},
		{"two-digit year", "23年3月15日", day(2023, 3, 15)},
		{"compact digits", "20230315", day(2023, 3, 15)},
		{"full-width", "２０２３－０３－１５", day(2023, 3, 15)},
		{"spaces inside", " 3 月 15 日 ", day(2023, 3, 15)},
		{"chinese space", "3月\u300015日", day(2023, 3, 15)},
		{"month day ri", "3月15日", day(2023, 3, 15)},
		{"month day hao", "3月15号", day(2023, 3, 15)},
		{"month day no suffix", "3月15", day(2023, 3, 15)},
		{"month-day dash", "3-15", day(2023, 3, 15)},
		{"month/day slash", "3/15", day(2023, 3, 15)},
		{"month.day dot", "3.15", day(2023, 3, 15)},
		{"past year-less stays this year", "1月10日", day(2023, 1, 10)},
		{"day of this month ri", "15日", day(2023, 3, 15)},
		{"day of this month hao", "20号", day(2023, 3, 20)},
		{"past day of month stays this month", "10号", day(2023, 3, 10)},
		{"today", "今天", day(2023, 3, 15)},
		{"today formal", "今日", day(2023, 3, 15)},
		{"tomorrow", "明天", day(2023, 3, 16)},
		{"day after tomorrow", "后天", day(2023, 3, 17)},
		{"three days on", "大后天", day(2023, 3, 18)},
		{"yesterday", "昨天", day(2023, 3, 14)},
		{"day before yesterday", "前天", day(2023, 3, 13)},
		{"next friday", "下周五", day(2023, 3, 24)},
		{"next week's monday", "下周一", day(2023, 3, 20)},
		{"next week sunday", "下周日", day(2023, 3, 26)},
		{"week after next", "下下周一", day(2023, 3, 27)},
		{"this friday ben", "本周五", day(2023, 3, 17)},
		{"this friday zhe", "这周五", day(2023, 3, 17)},
		{"bare friday", "周五", day(2023, 3, 17)},
		{"xingqi", "星期五", day(2023, 3, 17)},
		{"libai", "礼拜五", day(2023, 3, 17)},
		{"weekday digit", "周5", day(2023, 3, 17)},
		{"sunday tian", "星期天", day(2023, 3, 19)},
		{"sunday ri", "周日", day(2023, 3, 19)},
		{"past monday of this week stays", "周一", day(2023, 3, 13)},
		{"last friday", "上周五", day(2023, 3, 10)},
		{"today's weekday", "周三", day(2023, 3, 15)},
		{"n days", "15天", day(2023, 3, 30)},
		{"within n days", "15天内", day(2023, 3, 30)},
		{"after n days", "15天后", day(2023, 3, 30)},
		{"within n ri", "15日内", day(2023, 3, 30)},
		{"chinese n days", "十五天", day(2023, 3, 30)},
		{"n days ago", "3天前", day(2023, 3, 12)},
		{"one week", "一周", day(2023, 3, 22)},
		{"two weeks", "两周", day(2023, 3, 29)},
		{"two weeks within", "2个星期内", day(2023, 3, 29)},
		{"one month", "1个月", day(2023, 4, 15)},
		{"one month chinese", "一个月内", day(2023, 4, 15)},
		{"half a month", "半个月", day(2023, 3, 30)},
		{"month end", "月底", day(2023, 3, 31)},
		{"this month end", "本月底", day(2023, 3, 31)},
		{"month end mo", "月末", day(2023, 3, 31)},
		{"next month end", "下月底", day(2023, 4, 30)},
		{"next month day", "下月5号", day(2023, 4, 5)},
		{"year end", "年底", day(2023, 12, 31)},
		{"this year end", "今年年底", day(2023, 12, 31)},
		{"chinese month day", "三月十五日", day(2023, 3, 15)},
		{"chinese twenties", "三月二十三日", day(2023, 3, 23)},
		{"chinese thirty-one", "三月三十一日", day(2023, 3, 31)},
		{"chinese year", "二〇二三年三月十五日", day(2023, 3, 15)},
		{"chinese november", "十一月一日", day(2023, 11, 1)},
		{"trailing qian", "3月20日前", day(2023, 3, 20)},
		{"trailing zhiqian", "3月20日之前", day(2023, 3, 20)},
		{"leading jiezhi", "截止3月20日", day(2023, 3, 20)},
		{"bracket remark", "3月17日（周五）", day(2023, 3, 17)},
		{"leap day", "2024-02-29", day(2024, 2, 29)},
		{"april end", "4月底", day(2023, 4, 30)},
		{"past month end stays", "2月底", day(2023, 2, 28)},
		{"month end before", "5月底前", day(2023, 5, 31)},
		{"ten working days", "10个工作日", day(2023, 3, 29)},
		{"trailing full stop", "3月20日。", day(2023, 3, 20)},
		{"trailing comma", "3月20日，", day(2023, 3, 20)},
		{"trailing exclamation", "15天！", day(2023, 3, 30)},
		{"before and full stop", "3月20日前。", day(2023, 3, 20)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDate(c.in, wednesday, shanghai)
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Fatalf("ParseDate(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

func TestParseDeadline(t *testing.T) {
	dec20 := time.Date(2023, 12, 20, 9, 0, 0, 0, shanghai)
	jan31 := time.Date(2023, 1, 31, 9, 0, 0, 0, shanghai)
	// 23:30 UTC on the 14th is already the 15th in Shanghai.
	lateUTC := time.Date(2023, 3, 14, 23, 30, 0, 0, time.UTC)
	// Before the holidays of the seed's year and the next.
	sep27 := time.Date(2023, 9, 27, 9, 0, 0, 0, shanghai)    // Wednesday before 2023 National Day
	jan19 := time.Date(2023, 1, 19, 9, 0, 0, 0, shanghai)    // Thursday before 2023 Spring Festival
	feb7 := time.Date(2024, 2, 7, 9, 0, 0, 0, shanghai)      // Wednesday before 2024 Spring Festival
	sep26y24 := time.Date(2024, 9, 26, 9, 0, 0, 0, shanghai) // Thursday before 2024 National Day
	cases := []struct {
		name string
		now  time.Time
		in   string
		want models.Date
	}{
		{"future year-less stays", wednesday, "3月31日", day(2023, 3, 31)},
		{"today is not past", wednesday, "3月15日", day(2023, 3, 15)},
		{"future day of month stays", wednesday, "20号", day(2023, 3, 20)},
		{"bare past weekday is the coming one", wednesday, "周一", day(2023, 3, 20)},
		{"coming friday", wednesday, "周五", day(2023, 3, 17)},
		{"next friday", wednesday, "下周五", day(2023, 3, 24)},
		{"next monday", wednesday, "下周一", day(2023, 3, 20)},
		{"n days", wednesday, "15天", day(2023, 3, 30)},
		{"n days within", wednesday, "15天内", day(2023, 3, 30)},
		{"month end", wednesday, "月底", day(2023, 3, 31)},
		{"month end before", wednesday, "月底前", day(2023, 3, 31)},
		{"april end", wednesday, "4月底", day(2023, 4, 30)},
		{"may end before", wednesday, "5月底前", day(2023, 5, 31)},
		{"february end", wednesday, "2024年2月29日", day(2024, 2, 29)},
		{"june end mo", wednesday, "6月末", day(2023, 6, 30)},
		{"june end fen", wednesday, "6月份底", day(2023, 6, 30)},
		{"chinese month end", wednesday, "四月底前", day(2023, 4, 30)},
		{"this month end as a number", wednesday, "3月底", day(2023, 3, 31)},
		{"year end", wednesday, "年底", day(2023, 12, 31)},
		{"year end before", wednesday, "年底前", day(2023, 12, 31)},
		{"dot date", wednesday, "4.15", day(2023, 4, 15)},
		{"ten working days", wednesday, "10个工作日", day(2023, 3, 29)},
		{"ten working days within", wednesday, "10个工作日内", day(2023, 3, 29)},
		{"working days without ge", wednesday, "5工作日", day(2023, 3, 22)},
		{"chinese working days", wednesday, "十个工作日内", day(2023, 3, 29)},
		{"working days over 2023 National Day", sep27, "3个工作日", day(2023, 10, 8)},
		{"ten working days over 2023 National Day", sep27, "10个工作日", day(2023, 10, 17)},
		{"calendar days over 2023 National Day", sep27, "10天", day(2023, 10, 7)},
		{"working days over 2023 Spring Festival", jan19, "2个工作日", day(2023, 1, 28)},
		{"five working days over 2023 Spring Festival", jan19, "5个工作日内", day(2023, 1, 31)},
		{"working days over 2024 Spring Festival", feb7, "3个工作日", day(2024, 2, 18)},
		{"working days over 2024 National Day", sep26y24, "5个工作日", day(2024, 10, 9)},
		{"december: next month end", dec20, "下月底", day(2024, 1, 31)},
		{"december: next monday", dec20, "下周一", day(2023, 12, 25)},
		{"december: two weeks cross year", dec20, "两周", day(2024, 1, 3)},
		{"december: 1月底 is next year's once asked", dec20, "2024年1月31日", day(2024, 1, 31)},
		{"january 31 plus a month clamps", jan31, "1个月", day(2023, 2, 28)},
		{"day in loc not UTC", lateUTC, "今天", day(2023, 3, 15)},
		{"leap day next year", wednesday, "2月29日", day(2024, 2, 29)},
		{"middle ten days ends on the 20th", wednesday, "3月中旬", day(2023, 3, 20)},
		{"first ten days ends on the 10th", wednesday, "4月上旬", day(2023, 4, 10)},
		{"last ten days is the month end", wednesday, "3月下旬", day(2023, 3, 31)},
		{"last ten days of april", wednesday, "四月下旬", day(2023, 4, 30)},
		{"middle of next month", wednesday, "下月中旬", day(2023, 4, 20)},
		{"first ten days of next month", wednesday, "下个月上旬前", day(2023, 4, 10)},
		{"last ten days of this month", wednesday, "本月下旬", day(2023, 3, 31)},
		{"december: middle of next month", dec20, "下月中旬", day(2024, 1, 20)},
		{"end of a named year", wednesday, "2026年底", day(2026, 12, 31)},
		{"end of a named year mo", wednesday, "2026年末前", day(2026, 12, 31)},
		{"from today on n days", wednesday, "即日起15天", day(2023, 3, 30)},
		{"from today on within n days", wednesday, "自即日起15日内", day(2023, 3, 30)},
		{"from today on working days", wednesday, "即日起10个工作日内", day(2023, 3, 29)},
		{"before a day, done", wednesday, "4月30日前完成", day(2023, 4, 30)},
		{"within n days, done", wednesday, "15天内完成", day(2023, 3, 30)},
		{"rectified by month end", wednesday, "月底前整改完成", day(2023, 3, 31)},
		{"before work ends tomorrow", wednesday, "明天下班前", day(2023, 3, 16)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDeadline(c.in, c.now, shanghai, nil)
			if err != nil {
				t.Fatalf("ParseDeadline(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Fatalf("ParseDeadline(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

// A deadline in the past is never moved silently: the error says which day
// was probably meant, so the bot can ask.
func TestParseDeadlinePast(t *testing.T) {
	mar20 := time.Date(2023, 3, 20, 9, 0, 0, 0, shanghai) // Monday
	dec20 := time.Date(2023, 12, 20, 9, 0, 0, 0, shanghai)
	cases := []struct {
		name     string
		now      time.Time
		in       string
		date     models.Date
		next     models.Date
		question string
	}{
		{"year-less past day asks for next year", mar20, "3月15日", day(2023, 3, 15), day(2024, 3, 15),
			"3月15日已经过去，是指明年3月15日吗？回复 是 或重新输入"},
		{"dotted past day", mar20, "3.15", day(2023, 3, 15), day(2024, 3, 15), "是指明年3月15日吗"},
		{"yesterday's date", mar20, "3-19", day(2023, 3, 19), day(2024, 3, 19), "3月19日已经过去"},
		{"past day of month asks for next month", mar20, "10号", day(2023, 3, 10), day(2023, 4, 10),
			"3月10日已经过去，是指4月10日吗？回复 是 或重新输入"},
		{"past month end asks for next year", mar20, "2月底", day(2023, 2, 28), day(2024, 2, 29), "是指2024年2月29日吗"},
		{"past month end before", mar20, "1月底前", day(2023, 1, 31), day(2024, 1, 31), "是指明年1月31日吗"},
		{"ben zhou past", time.Date(2023, 3, 15, 9, 0, 0, 0, shanghai), "本周一", day(2023, 3, 13), day(2023, 3, 20), "是指3月20日吗"},
		{"december: january", dec20, "1月5日", day(2023, 1, 5), day(2024, 1, 5), "是指明年1月5日吗"},
		{"december: day of month into january", dec20, "5号", day(2023, 12, 5), day(2024, 1, 5), "是指2024年1月5日吗"},
		{"explicit year is not asked", mar20, "2023-01-10", day(2023, 1, 10), models.Date{}, "2023年1月10日已经过去了"},
		{"days ago is not asked", mar20, "3天前", day(2023, 3, 17), models.Date{}, "已经过去了"},
		{"yesterday is not asked", mar20, "昨天", day(2023, 3, 19), models.Date{}, "已经过去了"},
		{"past ten days ask for next year", mar20, "3月上旬", day(2023, 3, 10), day(2024, 3, 10), "3月10日已经过去，是指明年3月10日吗"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDeadline(c.in, c.now, shanghai, nil)
			var past *PastError
			if !errors.As(err, &past) {
				t.Fatalf("ParseDeadline(%q) = %v, %v; want a PastError", c.in, got, err)
			}
			if !got.IsZero() {
				t.Errorf("ParseDeadline(%q) returned %v with its error", c.in, got)
			}
			if past.Date != c.date || past.Next != c.next {
				t.Errorf("ParseDeadline(%q): past %v next %v, want %v and %v", c.in, past.Date, past.Next, c.date, c.next)
			}
			if q := past.Question(); !strings.Contains(q, c.question) {
				t.Errorf("question %q, want it to contain %q", q, c.question)
			}
			if models.ErrorCode(err) != models.EInvalid {
				t.Errorf("code %q, want invalid", models.ErrorCode(err))
			}
		})
	}
}

// An extension counts its relative forms from the current deadline.
func TestParseDeadlineFrom(t *testing.T) {
	deadline := day(2023, 3, 31)
	cases := []struct {
		name string
		base models.Date
		in   string
		want models.Date
	}{
		{"fifteen days from the deadline", deadline, "15天", day(2023, 4, 15)},
		{"two weeks from the deadline", deadline, "两周", day(2023, 4, 14)},
		{"a month from the deadline", deadline, "1个月", day(2023, 4, 30)},
		{"ten working days from the deadline over 清明", deadline, "10个工作日", day(2023, 4, 17)},
		{"ten working days over 2024 National Day", day(2024, 9, 27), "10个工作日", day(2024, 10, 16)},
		{"ten working days over 2023 National Day", day(2023, 9, 28), "10个工作日", day(2023, 10, 18)},
		{"named days do not move", deadline, "4月20日", day(2023, 4, 20)},
		{"month end does not move", deadline, "4月底", day(2023, 4, 30)},
		{"zero base is today", models.Date{}, "15天", day(2023, 3, 30)},
		{"from today on counts from today", deadline, "即日起15天", day(2023, 3, 30)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDeadlineFrom(c.in, c.base, wednesday, shanghai, nil)
			if err != nil {
				t.Fatalf("ParseDeadlineFrom(%q, %v): %v", c.in, c.base, err)
			}
			if got != c.want {
				t.Fatalf("ParseDeadlineFrom(%q, %v) = %v, want %v", c.in, c.base, got, c.want)
			}
		})
	}
	// An overdue deadline plus a few days can still lie in the past.
	_, err := ParseDeadlineFrom("3天", day(2023, 3, 1), wednesday, shanghai, nil)
	var past *PastError
	if !errors.As(err, &past) || !past.Next.IsZero() {
		t.Fatalf("3天 from an old deadline: %v, want a PastError without a question", err)
	}
}

func TestParseDateErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"february 30", "2月30日", "“2月30日”不是有效日期，例如：3月15日、2023-03-15、15天"},
		{"month 13", "13月1日", "“13月1日”不是有效日期，例如：3月15日、2023-03-15、15天"},
		{"not a leap year", "2023-02-29", "“2023-02-29”不是有效日期"},
		{"april 31", "4月31日", "“4月31日”不是有效日期"},
		{"day 32", "32号", "“32号”不是有效日期"},
		{"day zero", "3月0日", "“3月0日”不是有效日期"},
		{"month zero", "2023-00-10", "“2023-00-10”不是有效日期"},
		{"year out of range", "1800-01-01", "“1800-01-01”不是有效日期"},
		{"words", "等通知", "看不懂日期“等通知”，例如：3月15日、2023-03-15、15天"},
		{"next week without a day", "下周", "看不懂日期“下周”"},
		{"empty", "  ", "请写日期，例如：3月15日、2023-03-15、15天"},
		{"three numbers without year", "3-15-1", "看不懂日期"},
	}
	for _, c := range cases {
		for _, f := range []struct {
			name  string
			parse func(string, time.Time, *time.Location) (models.Date, error)
		}{{"ParseDate", ParseDate}, {"ParseDeadline", func(s string, now time.Time, loc *time.Location) (models.Date, error) {
			return ParseDeadline(s, now, loc, nil)
		}}} {
			t.Run(c.name+" "+f.name, func(t *testing.T) {
				d, err := f.parse(c.in, wednesday, shanghai)
				if err == nil {
					t.Fatalf("%s(%q) = %v, want an error", f.name, c.in, d)
				}
				if models.ErrorCode(err) != models.EInvalid {
					t.Fatalf("%s(%q) error code = %q, want invalid", f.name, c.in, models.ErrorCode(err))
				}
				if msg := models.ErrorMessage(err); !strings.Contains(msg, c.want) {
					t.Fatalf("%s(%q) message = %q, want it to contain %q", f.name, c.in, msg, c.want)
				}
				if !d.IsZero() {
					t.Fatalf("%s(%q) returned %v with its error", f.name, c.in, d)
				}
			})
		}
	}
}

func TestChineseDigits(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"十", "10"}, {"十五", "15"}, {"二十", "20"}, {"二十三", "23"}, {"三十一", "31"},
		{"一百零五", "105"}, {"二〇二三", "2023"}, {"两周", "2周"}, {"星期一", "星期1"}, {"今天", "今天"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := chineseDigits(c.in); got != c.want {
				t.Fatalf("chineseDigits(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestIsDate(t *testing.T) {
	for _, s := range []string{"15天", "3月31日", "下周五", "月底", "2月30日", "1月10日", "10个工作日", "3月31日前"} {
		if !IsDate(s, wednesday, shanghai) {
			t.Errorf("IsDate(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"茅箭区应急管理局", "应急局", "人民南路饭店", "待定", "十堰市某燃气有限公司（示例）", ""} {
		if IsDate(s, wednesday, shanghai) {
			t.Errorf("IsDate(%q) = true, want false", s)
		}
	}
}

// Words that name no day are refused saying what to write instead.
func TestParseDeadlineVague(t *testing.T) {
	cases := []struct{ in, want string }{
		{"立即", "“立即”没有具体日期，请写整改时限，例如：今天、明天、3天"},
		{"尽快", "“尽快”没有具体日期"},
		{"马上。", "“马上”没有具体日期"},
		{"3月", "“3月”是一整个月，请写到哪天，例如：3月底、3月中旬、3月31日"},
		{"四月份", "“4月份”是一整个月，请写到哪天，例如：4月底"},
	}
	for _, c := range cases {
		d, err := ParseDeadline(c.in, wednesday, shanghai, nil)
		if err == nil || models.ErrorCode(err) != models.EInvalid {
			t.Fatalf("ParseDeadline(%q) = %v, %v; want an invalid error", c.in, d, err)
		}
		if msg := models.ErrorMessage(err); !strings.Contains(msg, c.want) {
			t.Errorf("ParseDeadline(%q) message %q, want it to contain %q", c.in, msg, c.want)
		}
		if !IsDate(c.in, wednesday, shanghai) {
			t.Errorf("IsDate(%q) = false: a deadline answer is no name", c.in)
		}
	}
	// Read as a span, or as an inspection day, these forms are not days.
	for _, s := range []string{"3月中旬", "3月"} {
		if d, err := ParseDate(s, wednesday, shanghai); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", s, d)
		}
	}
}
