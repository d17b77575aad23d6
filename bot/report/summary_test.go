package report

import (
	"testing"

	"hazardbot/models"
)

func TestSummarySentence(t *testing.T) {
	for _, c := range []struct {
		name     string
		from, to models.Date
		scope    string
		f        models.Figures
		want     string
	}{
		{"seed wording within one year", date(2023, 2, 23), date(2023, 3, 15), "茅箭区",
			models.Figures{Found: 12, Rectified: 8, Closed: 5, Overdue: 2},
			"情况小结：2023年2月23日至3月15日，茅箭区检查发现重点隐患问题12个，已整改完成8个，已销号5个，逾期2个，整改率41.7%。"},
		{"across years both have years", date(2022, 12, 20), date(2023, 1, 5), "燃气专委会",
			models.Figures{Found: 8, Rectified: 6, Closed: 5},
			"情况小结：2022年12月20日至2023年1月5日，燃气专委会检查发现重点隐患问题8个，已整改完成6个，已销号5个，逾期0个，整改率62.5%。"},
		{"single day", date(2023, 3, 15), date(2023, 3, 15), "全市",
			models.Figures{Found: 1, Rectified: 1, Closed: 1},
			"情况小结：2023年3月15日，全市检查发现重点隐患问题1个，已整改完成1个，已销号1个，逾期0个，整改率100%。"},
		{"nothing found leaves the rate out", date(2023, 2, 23), date(2023, 3, 15), "张湾区",
			models.Figures{},
			"情况小结：2023年2月23日至3月15日，张湾区检查发现重点隐患问题0个，已整改完成0个，已销号0个，逾期0个。"},
		{"no start says up to", models.Date{}, date(2023, 3, 15), "茅箭区",
			models.Figures{Found: 3, Closed: 1},
			"情况小结：截至2023年3月15日，茅箭区检查发现重点隐患问题3个，已整改完成0个，已销号1个，逾期0个，整改率33.3%。"},
		{"no period at all", models.Date{}, models.Date{}, "茅箭区",
			models.Figures{Found: 3, Closed: 2},
			"情况小结：茅箭区检查发现重点隐患问题3个，已整改完成0个，已销号2个，逾期0个，整改率66.7%。"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := SummarySentence(c.from, c.to, c.scope, c.f); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	for _, c := range []struct {
		name          string
		found, closed int64
		want          string
	}{
		{"nothing found", 0, 0, "—"},
		{"exact half decimal", 8, 5, "62.5%"},
		{"all closed", 4, 4, "100%"},
		{"none closed", 4, 0, "0%"},
		{"rounds down", 3, 1, "33.3%"},
		{"rounds up", 3, 2, "66.7%"},
		{"rounds half up", 2000, 1, "0.1%"},
		{"tiny rate", 3000, 1, "0%"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := FormatRate(models.Figures{Found: c.found, Closed: c.closed}); got != c.want {
				t.Errorf("FormatRate(%d/%d) = %q, want %q", c.closed, c.found, got, c.want)
			}
		})
	}
}
