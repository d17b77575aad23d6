package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"hazardbot/models"
)

// MaxText is WeCom's limit for a text message, in bytes.
const MaxText = 2048

// item is one hazard line of a reminder.
type item struct {
	id       uint
	number   string
	title    string
	unit     string // responsible unit, "" when not yet assigned
	deadline models.Date
	left     int // days until the deadline; negative when overdue
	colour   models.Colour
}

// Headers and footers of the scheduled messages. They live here, next to
// the code that lays them out, so the wording is reviewed in one place.
const (
	remindHead   = "【整改时限提醒】以下%d条隐患临近或超过整改时限："
	remindFoot   = "整改完成后发送“整改 编号 措施”（先发照片）；需要延期发送“延期 编号 日期 理由”。"
	nagHead      = "【请接收交办】以下%d条隐患已交办给你单位，还没有接收："
	nagFoot      = "请点交办消息里的“接收”，或发送“接收 编号”。接收后仍按时限提醒。"
	escalateHead = "【逾期督办】以下%d条隐患已逾期，请督促责任单位整改："
	escalateFoot = "查看进展发送“查询 编号”。"
)

// when says how the deadline stands: 还剩3天, 今天到期, 逾期2天.
func when(left int) string {
	switch {
	case left > 0:
		return fmt.Sprintf("还剩%d天", left)
	case left == 0:
		return "今天到期"
	}
	return fmt.Sprintf("逾期%d天", -left)
}

// line renders one numbered item in two lines: what, then who and when.
func (it item) line(i int) string {
	title := it.title
	if utf8.RuneCountInString(title) > 40 {
		title = string([]rune(title)[:39]) + "…"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d. %s %s\n   ", i, it.number, title)
	if c := models.ColourName(it.colour); c != "" {
		b.WriteString(c + "牌｜")
	}
	if it.unit != "" {
		b.WriteString(it.unit)
	} else {
		b.WriteString("待交办")
	}
	fmt.Fprintf(&b, "｜时限%s｜%s", it.deadline.Short(), when(it.left))
	return b.String()
}

// listText lays out a head, the numbered items and a foot, keeping the whole
// within MaxText bytes: items that do not fit are counted in "另有N条…".
func listText(head string, items []item, foot string) string {
	head = fmt.Sprintf(head, len(items))
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.line(i + 1)
	}
	return fitLines(head, lines, foot)
}

// fitLines joins head, lines and foot; when that is over MaxText it keeps
// as many leading lines as fit beside a "另有N条…" line.
func fitLines(head string, lines []string, foot string) string {
	size := len(head) + len(foot) + 2
	for _, l := range lines {
		size += len(l) + 1
	}
	if size <= MaxText {
		return head + "\n" + strings.Join(lines, "\n") + "\n" + foot
	}
	used := len(head) + len(foot) + 2
	keep := 0
	for keep < len(lines) {
		more := fmt.Sprintf("另有%d条…", len(lines)-keep-1)
		if used+len(lines[keep])+1+len(more)+1 > MaxText {
			break
		}
		used += len(lines[keep]) + 1
		keep++
	}
	out := head + "\n"
	if keep > 0 {
		out += strings.Join(lines[:keep], "\n") + "\n"
	}
	return out + fmt.Sprintf("另有%d条…", len(lines)-keep) + "\n" + foot
}
