// Package report renders the ledger for people: the 情况小结 summary
// sentence used by chat, digests, the export and the API, and the official
// 重点隐患问题动态整改台账 spreadsheet, which it can also read back in.
// It knows nothing of the database or of WeCom; callers hand it rows and
// figures.
package report

import (
	"fmt"
	"strconv"

	"hazardbot/models"
)

// SummarySentence writes the 情况小结 sentence of the official ledger, in the
// seed's words, followed by the overdue count and the rectification rate:
//
//	情况小结：2023年2月23日至3月15日，茅箭区检查发现重点隐患问题12个，已整改完成8个，已销号5个，逾期2个，整改率41.7%。
//
// There is one implementation so that chat, digests, the export and the API
// never disagree. A zero from means "since the beginning" (截至…); when both
// are zero the period is left out. The rate is left out when nothing was
// found, because 0% would read as a failure.
func SummarySentence(from, to models.Date, scopeName string, f models.Figures) string {
	s := "情况小结："
	if p := PeriodText(from, to); p != "" {
		s += p + "，"
	}
	s += fmt.Sprintf("%s检查发现重点隐患问题%d个，已整改完成%d个，已销号%d个，逾期%d个",
		scopeName, f.Found, f.Rectified, f.Closed, f.Overdue)
	if f.Found > 0 {
		s += "，整改率" + FormatRate(f)
	}
	return s + "。"
}

// PeriodText writes a period the way the ledger does: 2023年2月23日至3月15日
// within one year, 2022年12月20日至2023年1月5日 across years, 2023年3月15日
// for a single day and 截至2023年3月15日 when from is zero.
func PeriodText(from, to models.Date) string {
	switch {
	case from.IsZero() && to.IsZero():
		return ""
	case from.IsZero():
		return "截至" + to.Chinese()
	case to.IsZero():
		return from.Chinese() + "以来"
	case from == to:
		return from.Chinese()
	case from.Year == to.Year:
		return from.Chinese() + "至" + to.Short()
	}
	return from.Chinese() + "至" + to.Chinese()
}

// FormatRate writes the rectification rate 整改率 (closed ÷ found) as a
// percentage with at most one decimal, "62.5%" or "100%", rounded half up in
// integers so that the same figures always print the same; "—" when nothing
// was found.
func FormatRate(f models.Figures) string {
	if f.Found <= 0 {
		return "—"
	}
	closed := max(f.Closed, 0)
	tenths := (closed*2000 + f.Found) / (2 * f.Found) // per mille, rounded half up
	s := strconv.FormatInt(tenths/10, 10)
	if d := tenths % 10; d != 0 {
		s += "." + strconv.FormatInt(d, 10)
	}
	return s + "%"
}

// BreakdownLine is one unit's (or sector's) figures in words, one line as
// a phone shows it: "茅箭区：发现12 整改8 销号5 逾期1 整改率41.7%".
func BreakdownLine(r models.SummaryRow) string {
	s := fmt.Sprintf("%s：发现%d 整改%d 销号%d 逾期%d", r.Name, r.Found, r.Rectified, r.Closed, r.Overdue)
	if r.Found > 0 {
		s += " 整改率" + FormatRate(r.Figures)
	}
	return s
}
