package models

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// CampaignReport records that a unit handed in one report a campaign
// requires (its plan, a monthly update, the summary) for one due date.
type CampaignReport struct {
	ID         uint      `json:"id" gorm:"primaryKey"`
	CampaignID uint      `json:"campaign_id"`
	UnitID     uint      `json:"unit_id"`
	Deadline   string    `json:"deadline" gorm:"size:64"` // the deadline's name, e.g. 月度进展
	Due        Date      `json:"due" gorm:"column:due_on"`
	ReporterID string    `json:"reporter_id" gorm:"size:64"`
	Note       string    `json:"note" gorm:"size:500"`
	CreatedAt  time.Time `json:"created_at"`
}

// ReportGraceDays is how long after its due date a campaign report is
// still the one a unit owes (a late report is still recorded against it)
// and the one 报送情况 shows.
const ReportGraceDays = 7

// Due is one due date of one of a campaign's report deadlines.
type Due struct {
	Deadline CampaignDeadline
	Day      Date
}

// DueDates are the due dates of d within [from, to]: its date, or its day
// of every month (the last day of a shorter month) while the campaign runs.
func (c *Campaign) DueDates(d CampaignDeadline, from, to Date) []Date {
	if !d.Date.IsZero() {
		if d.Date.Before(from) || d.Date.After(to) {
			return nil
		}
		return []Date{d.Date}
	}
	if d.MonthlyDay <= 0 {
		return nil
	}
	var out []Date
	for m := NewDate(from.Year, from.Month, 1); !m.After(to); m = NewDate(m.Year, m.Month+1, 1) {
		last := NewDate(m.Year, m.Month+1, 1).AddDays(-1)
		day := NewDate(m.Year, m.Month, min(d.MonthlyDay, last.Day))
		if day.Before(from) || day.After(to) || day.Before(c.Start) || (!c.End.IsZero() && day.After(c.End)) {
			continue
		}
		out = append(out, day)
	}
	return out
}

// Dues lists the campaign's due dates within [from, to], earliest first,
// of the deadlines whose name holds material ("" for all).
func (c *Campaign) Dues(from, to Date, material string) []Due {
	var out []Due
	for _, d := range c.DeadlineList() {
		if material != "" && !strings.Contains(d.Name, material) && !strings.Contains(material, d.Name) {
			continue
		}
		for _, day := range c.DueDates(d, from, to) {
			out = append(out, Due{d, day})
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Day.Before(out[j-1].Day); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// FindCampaign finds a campaign by its code or (part of) its name; ""
// means the campaign running today, or else the latest.
func (tx *Tx) FindCampaign(words string) (*Campaign, error) {
	words = strings.TrimSpace(words)
	if words == "" {
		c, err := tx.CampaignOn(tx.Today())
		if err != nil || c != nil {
			return c, err
		}
		list, err := tx.Campaigns()
		if err != nil || len(list) == 0 {
			if err == nil {
				err = Errorf(ENotFound, "还没有设置专项行动")
			}
			return nil, err
		}
		return &list[0], nil
	}
	list, err := tx.Campaigns()
	if err != nil {
		return nil, err
	}
	w := strings.ToLower(Narrow(words))
	for i := range list { // newest first
		c := &list[i]
		if strings.EqualFold(c.Code, w) || strings.Contains(c.Name, w) || strings.Contains(w, c.Name) {
			return c, nil
		}
	}
	return nil, Errorf(ENotFound, "没有找到专项行动“%s”", words)
}

// CampaignOwers are the units that owe a campaign's reports: every county
// and special committee.
func (tx *Tx) CampaignOwers() ([]Unit, error) {
	return tx.Units(KindRegion, KindSpecialCommittee)
}

// OwingUnit is the unit whose campaign reports a user hands in: their own
// county or special committee, or the one above their unit.
func (tx *Tx) OwingUnit(a *Actor) (*Unit, error) {
	if !a.Known() {
		return nil, Errorf(EForbidden, "你还不在通讯录中，不能报送材料")
	}
	for u := a.Unit; u != nil; {
		if u.Kind == KindRegion || u.Kind == KindSpecialCommittee {
			return u, nil
		}
		if u.ParentID == nil {
			break
		}
		p, err := tx.FindUnit(*u.ParentID)
		if err != nil {
			return nil, err
		}
		u = p
	}
	return nil, Errorf(EInvalid, "报送登记的是县市区或专委会的材料，%s不是报送单位，请由县市区或专委会督办员发送", a.Unit.ShortName())
}

// RecordCampaignReport records that unit handed in the campaign report due
// on due.Day; recording it twice changes nothing and says so (new false).
func (tx *Tx) RecordCampaignReport(a *Actor, c *Campaign, unit *Unit, due Due, note string) (*CampaignReport, bool, error) {
	var old CampaignReport
	err := tx.DB.Where("campaign_id = ? AND unit_id = ? AND deadline = ? AND due_on = ?", c.ID, unit.ID, due.Deadline.Name, due.Day).Take(&old).Error
	if err == nil {
		return &old, false, nil
	}
	if err != gorm.ErrRecordNotFound {
		return nil, false, fmt.Errorf("models: campaign report: %w", err)
	}
	if len([]rune(note)) > 500 {
		note = string([]rune(note)[:500])
	}
	r := &CampaignReport{CampaignID: c.ID, UnitID: unit.ID, Deadline: due.Deadline.Name, Due: due.Day,
		ReporterID: a.UserID, Note: note, CreatedAt: tx.Now().UTC()}
	err = tx.DB.Create(r).Error
	if isDuplicate(err) {
		return r, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("models: record campaign report: %w", err)
	}
	return r, true, nil
}

// CampaignReported returns the units that handed in the report due on
// due.Day.
func (tx *Tx) CampaignReported(c *Campaign, due Due) (map[uint]bool, error) {
	var ids []uint
	err := tx.DB.Model(&CampaignReport{}).Where("campaign_id = ? AND deadline = ? AND due_on = ?", c.ID, due.Deadline.Name, due.Day).Pluck("unit_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: campaign reports: %w", err)
	}
	out := make(map[uint]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
