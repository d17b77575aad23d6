package notify

import (
	"context"
	"fmt"
	"time"

	"hazardbot/bot"
	"hazardbot/models"
)

// CampaignLeadDays is how many days before a campaign report deadline the
// first reminder goes; the second goes on the day.
const CampaignLeadDays = 3

// CampaignReminders queues, for the day of now, reminders of campaign
// report deadlines to the supervisors of every region and special committee
// (the units that owe the reports): CampaignLeadDays before and on the day.
// A monthly deadline counts while its campaign runs; a dated one (such as
// the final summary, due after the campaign ends) once the campaign has
// started.
func (n *Notifier) CampaignReminders(ctx context.Context, now time.Time) (SweepResult, error) {
	today := n.day(now)
	if n.restDay(today, "campaign reminders") {
		return SweepResult{RestDay: true}, nil
	}
	var msgs []message
	err := n.store.InTx(ctx, func(tx *models.Tx) error {
		msgs = nil
		camps, err := tx.Campaigns()
		if err != nil {
			return err
		}
		var lines []string
		for i := len(camps) - 1; i >= 0; i-- { // oldest first
			c := &camps[i]
			if c.Start.After(today) {
				continue
			}
			var due []string
			for _, d := range c.DeadlineList() {
				for _, day := range dueDays(c, d, today) {
					if left := today.DaysUntil(day); left == 0 || left == CampaignLeadDays {
						due = append(due, fmt.Sprintf("· %s：%s截止，%s", d.Name, day.Short(), when(left)))
					}
				}
			}
			if len(due) > 0 {
				lines = append(lines, "《"+c.Name+"》")
				lines = append(lines, due...)
			}
		}
		if len(lines) == 0 {
			return nil
		}
		dir, err := loadDirectory(tx, models.RoleSupervisor)
		if err != nil {
			return err
		}
		units, err := tx.Units(models.KindRegion, models.KindSpecialCommittee)
		if err != nil {
			return err
		}
		ids := make([]uint, len(units))
		for i, u := range units {
			ids[i] = u.ID
		}
		text := fitLines("【报送提醒】以下材料即将到期，请按时报送市安委办：", lines, "已报送的请忽略。")
		for _, u := range dir.users(models.RoleSupervisor, ids...) {
			msgs = append(msgs, message{key: key(KindCampaign, today.String(), u), user: u, out: bot.Outgoing{Kind: bot.OutText, Text: text}})
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("notify: campaign reminders: %w", err)
	}
	return n.queue(ctx, "campaign reminders", today, msgs, now)
}

// dueDays are the due dates of d that a reminder on today may concern: its
// date, or this month's and next month's day (the last day of a shorter
// month) within the campaign.
func dueDays(c *models.Campaign, d models.CampaignDeadline, today models.Date) []models.Date {
	if !d.Date.IsZero() {
		return []models.Date{d.Date}
	}
	if d.MonthlyDay <= 0 {
		return nil
	}
	var out []models.Date
	for k := range 2 {
		first := models.NewDate(today.Year, today.Month+time.Month(k), 1)
		last := first.AddDays(31)
		last = models.NewDate(last.Year, last.Month, 1).AddDays(-1)
		day := models.NewDate(first.Year, first.Month, min(d.MonthlyDay, last.Day))
		if day.Before(c.Start) || (!c.End.IsZero() && day.After(c.End)) {
			continue
		}
		out = append(out, day)
	}
	return out
}
