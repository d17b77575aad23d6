package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hazardbot/bot"
	"hazardbot/models"
)

// Kinds of group push.
const (
	KindGroupOverdue = "group_overdue" // a unit group's morning list of overdue hazards
	KindGroupWeekly  = "group_weekly"  // a unit group's weekly 通报 with the ranking
)

// maxGroupList bounds the overdue hazards read for one group's list.
const maxGroupList = 300

// GroupOverdue queues, for every unit with a WeCom group, the list of
// overdue hazards in its scope (none: nothing is sent). With
// reminders.working_days_only nothing is sent on a weekend or public
// holiday; the first working day after it lists what is overdue then.
func (n *Notifier) GroupOverdue(ctx context.Context, now time.Time) (SweepResult, error) {
	today := n.day(now)
	if n.restDay(today, "group overdue lists") {
		return SweepResult{RestDay: true}, nil
	}
	var msgs []message
	hazards := 0
	err := n.store.InTx(ctx, func(tx *models.Tx) error {
		msgs, hazards = nil, 0
		units, err := tx.GroupUnits()
		if err != nil {
			return err
		}
		for i := range units {
			u := &units[i]
			list, err := tx.FindHazards(models.HazardFilter{Scope: u, Overdue: true, Limit: maxGroupList})
			if err != nil {
				return err
			}
			if len(list) == 0 {
				continue
			}
			hazards += len(list)
			var ids []uint
			for _, h := range list {
				if h.UnitID != nil {
					ids = append(ids, *h.UnitID)
				}
			}
			names, err := tx.UnitsByID(ids...)
			if err != nil {
				return err
			}
			lines := make([]string, 0, len(list))
			for _, h := range list {
				unit := "未交办"
				if h.UnitID != nil && names[*h.UnitID] != nil {
					unit = names[*h.UnitID].Name
				}
				lines = append(lines, fmt.Sprintf("- %s %s（%s，逾期%d天）", h.Number, h.Title, unit, h.Deadline.DaysUntil(today)))
			}
			head := fmt.Sprintf("**【逾期隐患】%s · %s 共%d个**", today.Chinese(), u.ShortName(), len(list))
			text := fitLines(head, lines, "请责任单位抓紧整改，督办员跟进督办。")
			to := bot.GroupRecipient(u.Code)
			msgs = append(msgs, message{key: key(KindGroupOverdue, today.String(), to), user: to, out: bot.Outgoing{Kind: bot.OutMarkdown, Text: text}})
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("notify: group overdue lists: %w", err)
	}
	res, err := n.queue(ctx, "group overdue lists", today, msgs, now)
	res.Hazards = hazards
	return res, err
}

// GroupWeekly queues the weekly 通报 (the leaders' weekly text, ranking
// included, without the ledger file) to every unit with a WeCom group. Like
// the leaders' weekly digest it waits for a working day (the scheduler runs
// it on the first working day of the week).
func (n *Notifier) GroupWeekly(ctx context.Context, now time.Time) (SweepResult, error) {
	today := n.day(now)
	if n.restDay(today, "group weekly") {
		return SweepResult{RestDay: true}, nil
	}
	week := isoWeek(now.In(n.loc))
	var msgs []message
	err := n.store.InTx(ctx, func(tx *models.Tx) error {
		msgs = nil
		units, err := tx.GroupUnits()
		if err != nil {
			return err
		}
		camp, err := tx.CampaignOn(today)
		if err != nil {
			return err
		}
		for i := range units {
			u := &units[i]
			text, _, _, err := n.weeklyText(tx, u, today, camp)
			if err != nil {
				return err
			}
			// A group gets no file: the ledger goes to leaders in person.
			text = strings.TrimSpace(strings.TrimSuffix(text, "整改台账见随后的附件。"))
			to := bot.GroupRecipient(u.Code)
			msgs = append(msgs, message{key: key(KindGroupWeekly, week, to), user: to, out: bot.Outgoing{Kind: bot.OutMarkdown, Text: text}})
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("notify: group weekly %s: %w", week, err)
	}
	return n.queue(ctx, "group weekly", today, msgs, now)
}
