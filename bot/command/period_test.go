package command

import (
	"strings"
	"testing"
	"time"

	"hazardbot/models"
)

func TestParsePeriod(t *testing.T) {
	campaign := &Period{From: day(2023, 2, 1), To: day(2023, 6, 10), Label: "春季攻势"}
	cases := []struct {
		name     string
		in       string
		campaign *Period
		want     Period
	}{
		{"default without campaign is the last 30 days", "", nil, Period{day(2023, 2, 14), day(2023, 3, 15), "近30天"}},
		{"default with campaign is the campaign", "", campaign, *campaign},
		{"today jinri", "今日", nil, Period{day(2023, 3, 15), day(2023, 3, 15), "今日"}},
		{"today jintian", "今天", nil, Period{day(2023, 3, 15), day(2023, 3, 15), "今日"}},
		{"yesterday", "昨天", nil, Period{day(2023, 3, 14), day(2023, 3, 14), "昨日"}},
		{"this week is monday to today", "本周", nil, Period{day(2023, 3, 13), day(2023, 3, 15), "本周"}},
		{"this week zhe", "这周", nil, Period{day(2023, 3, 13), day(2023, 3, 15), "本周"}},
		{"last week is monday to sunday", "上周", nil, Period{day(2023, 3, 6), day(2023, 3, 12), "上周"}},
		{"this month", "本月", nil, Period{day(2023, 3, 1), day(2023, 3, 15), "本月"}},
		{"last month", "上月", nil, Period{day(2023, 2, 1), day(2023, 2, 28), "上月"}},
		{"last month ge", "上个月", nil, Period{day(2023, 2, 1), day(2023, 2, 28), "上月"}},
		{"this year", "今年", nil, Period{day(2023, 1, 1), day(2023, 3, 15), "今年"}},
		{"recent seven days", "近7天", nil, Period{day(2023, 3, 9), day(2023, 3, 15), "近7天"}},
		{"campaign", "活动", campaign, *campaign},
		{"campaign without label", "活动", &Period{From: day(2023, 2, 1), To: day(2023, 6, 10)}, Period{day(2023, 2, 1), day(2023, 6, 10), "活动期间"}},
		{"range zhi", "2月1日至3月15日", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"range dao", "2月1日到3月15日", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"range tilde full-width", "2月1日～3月15日", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"range with spaces", "2月1日 至 3月15日", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"range of iso dates with dash", "2023-02-01-2023-03-15", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"range of short dates with dash", "2.1-3.15", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"right end day only stays in left month", "3月1日至15日", nil, Period{day(2023, 3, 1), day(2023, 3, 15), "2023年3月1日至3月15日"}},
		{"until now", "2月1日至今", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"right end takes left year", "2022年12月1日至12月31日", nil, Period{day(2022, 12, 1), day(2022, 12, 31), "2022年12月1日至12月31日"}},
		{"across years", "2022-12-01至2023-01-31", nil, Period{day(2022, 12, 1), day(2023, 1, 31), "2022年12月1日至2023年1月31日"}},
		{"chinese numerals", "二月一日至三月十五日", nil, Period{day(2023, 2, 1), day(2023, 3, 15), "2023年2月1日至3月15日"}},
		{"single day", "3月10日", nil, Period{day(2023, 3, 10), day(2023, 3, 10), "2023年3月10日"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParsePeriod(c.in, wednesday, shanghai, c.campaign)
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Fatalf("ParsePeriod(%q) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
}

func TestParsePeriodErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"campaign not configured", "活动", "还没有设置活动起止日期"},
		{"backwards range", "3月15日至3月1日", "开始日期3月15日晚于结束日期3月1日"},
		{"impossible end", "2月1日至2月30日", "“2月30日”不是有效日期"},
		{"impossible single day", "2月30日", "“2月30日”不是有效日期"},
		{"nonsense", "很久以前", "看不懂统计时间“很久以前”"},
		{"half a range", "2月1日至", "看不懂统计时间"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePeriod(c.in, wednesday, shanghai, nil)
			if err == nil {
				t.Fatalf("ParsePeriod(%q) = %+v, want an error", c.in, p)
			}
			if models.ErrorCode(err) != models.EInvalid || !strings.Contains(models.ErrorMessage(err), c.want) {
				t.Fatalf("ParsePeriod(%q) error = %v, want invalid containing %q", c.in, err, c.want)
			}
		})
	}
}

// TestLastMonthInJanuary is a regression found by FuzzParseDate: one month
// back from January was month 0 of the same year.
func TestLastMonthInJanuary(t *testing.T) {
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, shanghai)
	p, err := ParsePeriod("上月", now, shanghai, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Period{day(2023, 12, 1), day(2023, 12, 31), "上月"}); p != want {
		t.Fatalf("上月 on 2024-01-10 = %+v; want %+v", p, want)
	}
}

// On the first of a month, 统计 without a period still covers a month's
// work: the last 30 days, not the one day of the month begun.
func TestDefaultPeriodOnTheFirstOfAMonth(t *testing.T) {
	first := time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai)
	got, err := ParsePeriod("", first, shanghai, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Period{day(2026, 11, 2), day(2026, 12, 1), "近30天"}); got != want {
		t.Fatalf("default period on 12-01 = %+v, want %+v", got, want)
	}
}
