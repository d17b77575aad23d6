package bot

import (
	"fmt"
	"strings"

	"hazardbot/bot/command"
	"hazardbot/bot/report"
	"hazardbot/models"
)

// query shows where one hazard stands.
func (c *turn) query(n models.Number) error {
	h, err := c.tx.FindHazardByNumber(n)
	if err != nil {
		return err
	}
	ok, err := c.tx.CanSee(c.actor, h)
	if err != nil {
		return err
	}
	if !ok {
		return models.Errorf(models.EForbidden, "你无权查看 %s：它不在你单位的管辖范围内，也不是你上报的", h.Number)
	}
	events, err := c.tx.Events(h.ID, 3)
	if err != nil {
		return err
	}
	before, after, err := c.tx.Photos(h.ID)
	if err != nil {
		return err
	}
	today := c.b.today()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", h.Number, h.Title)
	fmt.Fprintf(&b, "状态：%s", models.StateName(h.State))
	if d := h.OverdueDays(today); d > 0 {
		fmt.Fprintf(&b, "（逾期%d天）", d)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "区域：%s\n", c.b.where(c.tx, h))
	fmt.Fprintf(&b, "责任单位：%s\n", c.b.unitName(c.tx, h))
	if !h.Deadline.IsZero() {
		fmt.Fprintf(&b, "整改时限：%s", h.Deadline.Chinese())
		if h.State.Open() && !h.Overdue(today) {
			fmt.Fprintf(&b, "（还剩%d天）", today.DaysUntil(h.Deadline))
		}
		b.WriteString("\n")
	}
	if h.Measures != "" {
		fmt.Fprintf(&b, "整改措施：%s\n", clip(h.Measures, 100))
	}
	if h.Rectification != "" {
		fmt.Fprintf(&b, "整改情况：%s\n", clip(h.Rectification, 100))
	}
	if !h.ExtensionTo.IsZero() {
		fmt.Fprintf(&b, "延期申请：至%s，待批准\n", h.ExtensionTo.Chinese())
	}
	if h.Colour != models.ColourNone {
		fmt.Fprintf(&b, "督办：%s（%s）\n", c.b.colourText(h.Colour), models.LevelName(h.Level))
	}
	fmt.Fprintf(&b, "照片：整改前%d张，整改后%d张\n", before, after)
	b.WriteString("最近动态：\n")
	for _, e := range events {
		t := e.CreatedAt.In(c.b.loc())
		line := fmt.Sprintf("· %d月%d日 %02d:%02d %s %s", t.Month(), t.Day(), t.Hour(), t.Minute(), e.ActorName, models.ActionName(e.Action))
		if e.ActorName == "" {
			line = fmt.Sprintf("· %d月%d日 %02d:%02d %s %s", t.Month(), t.Day(), t.Hour(), t.Minute(), e.ActorID, models.ActionName(e.Action))
		}
		if e.Via != "" {
			line += "（" + e.Via + "）"
		}
		if e.Note != "" {
			line += "：" + clip(e.Note, 40)
		}
		b.WriteString(line + "\n")
	}
	c.reply.Text = strings.TrimRight(b.String(), "\n")
	return nil
}

// mine lists the user's open items: assigned to their unit, awaiting their
// review or decision, and their own reports.
func (c *turn) mine() error {
	today := c.b.today()
	var b strings.Builder
	section := func(title string, f models.HazardFilter) error {
		f.Limit = 8
		list, err := c.tx.FindHazards(f)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		total, err := c.tx.CountHazards(f)
		if err != nil {
			return err
		}
		b.WriteString(listSection(title, list, total, today, 8))
		return nil
	}
	a := c.actor
	lists, err := todoLists(c.tx, a)
	if err != nil {
		return err
	}
	for _, l := range lists {
		if err := section(l.Title, l.Filter); err != nil {
			return err
		}
	}
	if a.Has(models.RoleSupervisor) {
		units, err := c.tx.UnverifiedUnits(a.Unit)
		if err != nil {
			return err
		}
		b.WriteString(unverifiedSection(units))
	}
	if n, err := c.tx.DraftPhotos(a.UserID); err == nil && n > 0 {
		fmt.Fprintf(&b, "待提交照片：%d张\n", n)
	}
	if c.dlg != nil && c.dlg.Flow == flowReport {
		fmt.Fprintf(&b, "未提交草稿：%s（回复“继续”）\n", c.dlg.Draft.brief())
	}
	if b.Len() == 0 {
		c.say("你目前没有待办事项。")
		return nil
	}
	c.reply.Text = strings.TrimRight(b.String(), "\n")
	return nil
}

// stats answers 统计 with the 情况小结 sentence for the user's scope and a
// breakdown with overdue counts and the rectification rate.
func (c *turn) stats(cmd command.Command) error {
	if !c.actor.Known() {
		return models.Errorf(models.EForbidden, "%s", msgNeedDirectory)
	}
	sp, err := c.span(cmd.PeriodText, cmd.Filters)
	if err != nil {
		return err
	}
	period, f, scopeName, by := sp.Period, sp.Filter, sp.Name, sp.By
	total, err := c.tx.Summary(f)
	if err != nil {
		return err
	}
	rows, err := c.tx.SummaryBy(f, by)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(report.SummarySentence(period.From, period.To, scopeName, total))
	b.WriteString("\n")
	head := "按区域"
	if by == models.BySector {
		head = "按行业"
	}
	fmt.Fprintf(&b, "%s：\n", head)
	shown := 0
	for _, r := range rows {
		if r.Found == 0 && r.Overdue == 0 {
			continue
		}
		b.WriteString(report.BreakdownLine(r) + "\n")
		shown++
	}
	if shown == 0 {
		b.WriteString("（本期没有隐患）\n")
	}
	c.reply.Text = strings.TrimRight(b.String(), "\n")
	return nil
}
