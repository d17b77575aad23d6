package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"hazardbot/bot"
	"hazardbot/models"
)

// CampaignLeadDays is how many days before a campaign report deadline the
// first reminder goes; the second goes on the day.
const CampaignLeadDays = 3

// CampaignReminders queues, for the day of now, reminders of campaign
// report deadlines to the supervisors of each region and special committee
// (the units that owe the reports) that has not yet handed the report in
// (报送): CampaignLeadDays before and on the day. With
// reminders.working_days_only a reminder that would fall on a weekend or
// holiday goes out on the last working day before it, never after the
// deadline: a summary due on Saturday 6月10日 is reminded on Friday 6月9日,
// and the 3-day reminder of 3月28日 (Saturday 3月25日) on Friday 3月24日.
// A monthly deadline counts
// while its campaign runs; a dated one (such as the final summary, due
// after the campaign ends) once the campaign has started.
func (n *Notifier) CampaignReminders(ctx context.Context, now time.Time) (SweepResult, error) {
	today := n.day(now)
	if n.restDay(today, "campaign reminders") {
		return SweepResult{RestDay: true}, nil
	}
	ahead := n.restDaysAfter(today)
	var msgs []message
	err := n.store.InTx(ctx, func(tx *models.Tx) error {
		msgs = nil
		camps, err := tx.Campaigns()
		if err != nil {
			return err
		}
		type item struct {
			camp *models.Campaign
			due  models.Due
			done map[uint]bool
		}
		var items []item
		for i := len(camps) - 1; i >= 0; i-- { // oldest first
			c := &camps[i]
			if c.Start.After(today) {
				continue
			}
			for _, due := range c.Dues(today, today.AddDays(CampaignLeadDays+ahead), "") {
				if !remindedToday(today.DaysUntil(due.Day), ahead, CampaignLeadDays, 0) {
					continue
				}
				done, err := tx.CampaignReported(c, due)
				if err != nil {
					return err
				}
				items = append(items, item{c, due, done})
			}
		}
		if len(items) == 0 {
			return nil
		}
		dir, err := loadDirectory(tx, models.RoleSupervisor)
		if err != nil {
			return err
		}
		owers, err := tx.CampaignOwers()
		if err != nil {
			return err
		}
		for _, u := range owers {
			var lines []string
			var last *models.Campaign
			for _, it := range items {
				if it.done[u.ID] {
					continue
				}
				if it.camp != last {
					lines = append(lines, "《"+it.camp.Name+"》")
					last = it.camp
				}
				lines = append(lines, fmt.Sprintf("· %s：%s截止，%s", it.due.Deadline.Name, it.due.Day.Short(), when(today.DaysUntil(it.due.Day))))
			}
			if len(lines) == 0 {
				continue
			}
			text := fitLines("【报送提醒】以下材料即将到期，请按时报送市安委办：", lines, "报送后请发“报送 材料名”登记，例如：报送 月报，登记后不再提醒。")
			for _, user := range dir.users(models.RoleSupervisor, u.ID) {
				msgs = append(msgs, message{key: key(KindCampaign, today.String(), user), user: user, out: bot.Outgoing{Kind: bot.OutText, Text: text}})
			}
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("notify: campaign reminders: %w", err)
	}
	return n.queue(ctx, "campaign reminders", today, msgs, now)
}

// remindedToday reports whether something due in left days (negative:
// overdue) is reminded today, when reminders go out at the given days
// before the due day (0: on the day): on one of those days, or on one of the
// ahead rest days right after today, whose reminders go out today.
func remindedToday(left, ahead int, before ...int) bool {
	for k := 0; k <= ahead; k++ {
		if slices.Contains(before, left-k) {
			return true
		}
	}
	return false
}
