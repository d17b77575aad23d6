package bot

import (
	"context"
	"fmt"
	"strings"

	"hazardbot/models"
)

// The sentences of 报送 and 报送情况.
const (
	msgReportRecorded = "已登记：%s 已报送《%s》%s（%s截止%s）。登记后不再提醒这一项。"
	msgReportAgain    = "%s 的《%s》%s（%s截止）已于%s登记过，无需重复报送。"
	msgReportNoneDue  = "《%s》%s没有待报送的材料了。"
	msgReportRefused  = "只有督办员、领导和管理员可以登记报送和查看报送情况。"
	msgReportNoSuch   = "《%s》没有“%s”这项材料，可报送：%s"
)

// CampaignReportResult is what recording a campaign report did.
type CampaignReportResult struct {
	Report *models.CampaignReport `json:"report"`
	New    bool                   `json:"new"` // false: it was recorded before
	Text   string                 `json:"text"`
}

// RecordCampaignReport records, on behalf of userid, that unitCode (the
// user's own county or special committee when "") handed in a report of
// campaign (its code or name; "" the running one) — the earliest due one
// it has not yet handed in, of the deadlines whose name holds material.
// The admin API comes here; chat's 报送 runs the same steps.
func (b *Bot) RecordCampaignReport(ctx context.Context, userid, campaign, material, unitCode, note string) (*CampaignReportResult, error) {
	var res *CampaignReportResult
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		a, err := tx.Actor(userid)
		if err != nil {
			return err
		}
		var unit *models.Unit
		if unitCode != "" {
			if unit, err = tx.FindUnitByCode(unitCode); err != nil {
				return err
			}
			if unit.Kind != models.KindRegion && unit.Kind != models.KindSpecialCommittee {
				return models.Errorf(models.EInvalid, "报送登记的是县市区或专委会的材料，%s不是", unit.Name)
			}
			if !a.Known() || !a.Unit.Contains(unit) {
				return models.Errorf(models.EForbidden, "%s不在你单位的管辖范围内", unit.Name)
			}
		}
		res, err = b.recordReport(tx, a, campaign, material, unit, note)
		return err
	})
	return res, err
}

func mayRecordReports(a *models.Actor) bool {
	return a.Has(models.RoleSupervisor) || a.Has(models.RoleLeader) || a.Has(models.RoleAdmin)
}

func (b *Bot) recordReport(tx *models.Tx, a *models.Actor, campaign, material string, unit *models.Unit, note string) (*CampaignReportResult, error) {
	if !mayRecordReports(a) {
		return nil, models.Errorf(models.EForbidden, "%s", msgReportRefused)
	}
	c, err := tx.FindCampaign(campaign)
	if err != nil {
		return nil, err
	}
	if unit == nil {
		if unit, err = tx.OwingUnit(a); err != nil {
			return nil, err
		}
	}
	today := b.today()
	far := today.AddDays(400)
	if material != "" && len(c.Dues(c.Start, far, material)) == 0 {
		var names []string
		for _, d := range c.DeadlineList() {
			names = append(names, d.Name)
		}
		return nil, models.Errorf(models.EInvalid, msgReportNoSuch, c.Name, material, strings.Join(names, "、"))
	}
	// The report owed now: due at most a week ago, or within a month.
	dues := c.Dues(today.AddDays(-models.ReportGraceDays), today.AddDays(31), material)
	if len(dues) == 0 && material != "" {
		dues = c.Dues(c.Start, far, material) // a one-off handed in late, or early
	}
	var last *models.Due
	for _, due := range dues {
		done, err := tx.CampaignReported(c, due)
		if err != nil {
			return nil, err
		}
		if done[unit.ID] {
			last = &due
			continue
		}
		r, _, err := tx.RecordCampaignReport(a, c, unit, due, note)
		if err != nil {
			return nil, err
		}
		late := ""
		if d := due.Day.DaysUntil(today); d > 0 {
			late = fmt.Sprintf("，逾期%d天", d)
		}
		return &CampaignReportResult{Report: r, New: true,
			Text: fmt.Sprintf(msgReportRecorded, unit.ShortName(), c.Name, due.Deadline.Name, due.Day.Short(), late)}, nil
	}
	if last != nil {
		r, _, err := tx.RecordCampaignReport(a, c, unit, *last, note)
		if err != nil {
			return nil, err
		}
		at := r.CreatedAt.In(b.loc())
		return &CampaignReportResult{Report: r, Text: fmt.Sprintf(msgReportAgain, unit.ShortName(), c.Name, last.Deadline.Name,
			last.Day.Short(), fmt.Sprintf("%d月%d日", at.Month(), at.Day()))}, nil
	}
	return nil, models.Errorf(models.EInvalid, msgReportNoneDue, c.Name, unit.ShortName())
}

// campaignReport answers 报送 [活动] [材料].
func (c *turn) campaignReport(words string) error {
	camp, material := splitCampaignWords(c.tx, words)
	r, err := c.b.recordReport(c.tx, c.actor, camp, material, nil, "")
	if err != nil {
		return err
	}
	c.say("%s", r.Text)
	return nil
}

// splitCampaignWords reads "[活动] [材料]": the first word names a campaign
// when one is called so; the rest is the material.
func splitCampaignWords(tx *models.Tx, words string) (campaign, material string) {
	f := strings.Fields(words)
	if len(f) == 0 {
		return "", ""
	}
	if _, err := tx.FindCampaign(f[0]); err == nil {
		return f[0], strings.Join(f[1:], "")
	}
	return "", strings.Join(f, "")
}

// campaignStatus answers 报送情况 [活动]: for the report due now (and the
// next one when it is close), who in the asker's scope has handed it in
// and who has not.
func (c *turn) campaignStatus(words string) error {
	if !mayRecordReports(c.actor) {
		return models.Errorf(models.EForbidden, "%s", msgReportRefused)
	}
	camp, material := splitCampaignWords(c.tx, words)
	cp, err := c.tx.FindCampaign(camp)
	if err != nil {
		return err
	}
	owers, err := c.tx.CampaignOwers()
	if err != nil {
		return err
	}
	var mine []models.Unit
	for _, u := range owers {
		if c.tx.CityWide(c.actor.Unit) || c.actor.Unit.Contains(&u) {
			mine = append(mine, u)
		}
	}
	today := c.b.today()
	dues := cp.Dues(today.AddDays(-models.ReportGraceDays), today.AddDays(400), material)
	if len(dues) > 2 {
		dues = dues[:2]
	}
	if len(dues) == 2 && dues[1].Day.After(today.AddDays(14)) {
		dues = dues[:1]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "《%s》报送情况：\n", cp.Name)
	if len(dues) == 0 {
		b.WriteString("近期没有需要报送的材料。")
	}
	for _, due := range dues {
		done, err := c.tx.CampaignReported(cp, due)
		if err != nil {
			return err
		}
		var missing []string
		n := 0
		for _, u := range mine {
			if done[u.ID] {
				n++
			} else {
				missing = append(missing, u.ShortName())
			}
		}
		when := "今天截止"
		switch d := today.DaysUntil(due.Day); {
		case d > 0:
			when = fmt.Sprintf("还剩%d天", d)
		case d < 0:
			when = fmt.Sprintf("已过%d天", -d)
		}
		fmt.Fprintf(&b, "%s（%s截止，%s）：已报送%d个", due.Deadline.Name, due.Day.Short(), when, n)
		if len(missing) == 0 {
			b.WriteString("，全部报送。\n")
		} else {
			fmt.Fprintf(&b, "，未报送%d个：%s\n", len(missing), strings.Join(missing, "、"))
		}
	}
	c.reply.Text = strings.TrimRight(b.String(), "\n")
	return nil
}
