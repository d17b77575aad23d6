package notify

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"hazardbot/bot"
	"hazardbot/calendar"
	"hazardbot/models"
)

// Kinds of scheduled message; each is the first part of its dedupe key.
const (
	KindRemind   = "remind"   // deadline reminder to the responsible unit
	KindNag      = "nag"      // please accept an assignment
	KindEscalate = "escalate" // overdue, to supervisors and city leaders
	KindDaily    = "daily"    // leaders' daily digest
	KindWeekly   = "weekly"   // leaders' weekly digest text
	KindLedger   = "ledger"   // the weekly digest's .xlsx
	KindCampaign = "campaign" // campaign report deadline
)

// SweepResult says what one run of a job did.
type SweepResult struct {
	Hazards  int // hazards looked at
	Messages int // messages computed (one per recipient and kind)
	Queued   int // of which new in the outbox; a repeated run queues 0
	// RestDay is set when the job sent nothing because the day is a weekend
	// or public holiday (reminders.working_days_only).
	RestDay bool
}

// Reminders runs the deadline sweep for the day of now: reminders before
// the deadline, on the day and, while overdue, every few days by colour;
// escalation to region supervisors and city leaders; and nags for
// assignments not yet accepted. Each recipient gets at most one message per
// kind per day, listing all their items. During quiet hours the messages are
// queued for the end of the quiet window.
//
// With reminders.working_days_only (the default) nothing goes out on a
// weekend or public holiday, and the last working day before such days also
// sends what would have fallen due on them (a deadline on 10月3日 is
// reminded on 9月28日); days overdue still count calendar days.
func (n *Notifier) Reminders(ctx context.Context, now time.Time) (SweepResult, error) {
	var res SweepResult
	today := n.day(now)
	if n.restDay(today, "reminders") {
		return SweepResult{RestDay: true}, nil
	}
	ahead := n.restDaysAfter(today)
	rc := n.cfg.Reminders
	horizon := 0
	for _, d := range rc.BeforeDays {
		horizon = max(horizon, d)
	}
	buckets := map[string]*bucket{}
	add := func(kind, user string, it item) {
		k := key(kind, today.String(), user)
		b := buckets[k]
		if b == nil {
			b = &bucket{kind: kind, user: user, seen: map[uint]bool{}}
			buckets[k] = b
		}
		if !b.seen[it.id] {
			b.seen[it.id] = true
			b.items = append(b.items, it)
		}
	}
	err := n.store.InTx(ctx, func(tx *models.Tx) error {
		clear(buckets)
		res = SweepResult{}
		dir, err := loadDirectory(tx, models.RoleContact, models.RoleSupervisor, models.RoleLeader)
		if err != nil {
			return err
		}
		// Assignments waiting to be accepted; their assignment time comes
		// from the events, read once for all of them after the scan.
		unaccepted := map[uint]item{}
		unitOf := map[uint]uint{}
		f := models.HazardFilter{States: []models.State{models.StateReported, models.StateRectifying}}
		err = tx.EachHazard(f, 2000, func(h *models.Hazard) error {
			res.Hazards++
			if h.Deadline.IsZero() {
				return nil
			}
			it := item{id: h.ID, number: h.Number, title: h.Title, unit: dir.name(h.UnitID),
				deadline: h.Deadline, left: today.DaysUntil(h.Deadline), colour: h.Colour}
			if h.State == models.StateRectifying && h.UnitID != nil && h.AcceptedAt == nil && rc.AcceptNagHours > 0 {
				unaccepted[h.ID] = it
				unitOf[h.ID] = *h.UnitID
			}
			if !n.dueWithin(it, ahead) {
				return nil
			}
			// The responsible unit's contacts; a hazard not yet assigned
			// (or a unit with no contact) reminds those who assign.
			ans, err := models.WhoAnswers(dir, h)
			if err != nil {
				return err
			}
			var to []string
			if h.State == models.StateRectifying {
				to = ans.Contacts
			}
			if len(to) == 0 {
				to = ans.Supervisors
			}
			for _, u := range to {
				add(KindRemind, u, it)
			}
			if it.left >= 0 {
				return nil
			}
			over := -it.left
			if rc.EscalateRegionAfterDays > 0 && over >= rc.EscalateRegionAfterDays {
				for _, u := range ans.Supervisors {
					add(KindEscalate, u, it)
				}
			}
			if n.cfg.EscalatesToCity(colourCode(h.Colour)) || (rc.EscalateCityAfterDays > 0 && over >= rc.EscalateCityAfterDays) {
				for _, u := range dir.cityLeaders() {
					add(KindEscalate, u, it)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return n.nags(tx, dir, now, unaccepted, unitOf, add)
	})
	if err != nil {
		return res, fmt.Errorf("notify: reminders: %w", err)
	}
	msgs := n.render(buckets, now)
	res.Messages = len(msgs)
	res.Queued, err = n.enqueue(ctx, msgs)
	if err != nil {
		return res, fmt.Errorf("notify: reminders: %w", err)
	}
	n.log.Info("notify: reminders", "day", today.String(), "hazards", res.Hazards, "messages", res.Messages, "queued", res.Queued)
	return res, nil
}

// dueWithin reports whether the item is due today or on one of the ahead
// rest days that follow (whose reminders go out today).
func (n *Notifier) dueWithin(it item, ahead int) bool {
	for k := 0; k <= ahead; k++ {
		later := it
		later.left -= k
		if n.due(later) {
			return true
		}
	}
	return false
}

// restDay reports, and logs, that job sends nothing on day: a weekend or
// public holiday of the official calendar (调休 working weekends work)
// while reminders.working_days_only holds.
func (n *Notifier) restDay(day models.Date, job string) bool {
	if !n.cfg.Reminders.WorkingDaysOnly || n.cfg.Workdays().IsWorkday(calendar.Day(day)) {
		return false
	}
	n.log.Info("notify: not a working day, nothing sent", "job", job, "day", day.String(), "holiday", n.cfg.Workdays().Holiday(calendar.Day(day)))
	return true
}

// restDaysAfter counts the rest days right after day (0 unless
// reminders.working_days_only), at most a month.
func (n *Notifier) restDaysAfter(day models.Date) int {
	if !n.cfg.Reminders.WorkingDaysOnly {
		return 0
	}
	cal := n.cfg.Workdays()
	k := 0
	for d := calendar.Day(day).AddDays(1); !cal.IsWorkday(d) && k < 31; d = d.AddDays(1) {
		k++
	}
	return k
}

// restDaysBefore counts the rest days right before day (0 unless
// reminders.working_days_only), at most a month: what happened on them is
// told on day, the first working day after them.
func (n *Notifier) restDaysBefore(day models.Date) int {
	if !n.cfg.Reminders.WorkingDaysOnly {
		return 0
	}
	cal := n.cfg.Workdays()
	k := 0
	for d := calendar.Day(day).AddDays(-1); !cal.IsWorkday(d) && k < 31; d = d.AddDays(-1) {
		k++
	}
	return k
}

// due reports whether the item is reminded today: on a configured number of
// days before, on the day itself, and from the first overdue day every N
// days as its colour says (1, 1+N, 1+2N … days overdue).
func (n *Notifier) due(it item) bool {
	rc := n.cfg.Reminders
	switch {
	case it.left > 0:
		return slices.Contains(rc.BeforeDays, it.left)
	case it.left == 0:
		return rc.OnDay
	}
	every := max(n.cfg.OverdueEveryDays(colourCode(it.colour)), 1)
	return (-it.left-1)%every == 0
}

// colourCode is the config's name of a supervision colour.
func colourCode(c models.Colour) string {
	if c == models.ColourNone {
		return "none"
	}
	return string(c)
}

// nags adds an accept nag, to the unit's contacts, for every assignment
// still not accepted AcceptNagHours after it was made (the latest report
// or assign event). Accepting ends the nags; deadline reminders go on.
func (n *Notifier) nags(tx *models.Tx, dir *directory, now time.Time, unaccepted map[uint]item, unitOf map[uint]uint, add func(kind, user string, it item)) error {
	if len(unaccepted) == 0 {
		return nil
	}
	ids := make([]uint, 0, len(unaccepted))
	for id := range unaccepted {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	assigned, err := tx.AssignedAt(ids)
	if err != nil {
		return err
	}
	wait := time.Duration(n.cfg.Reminders.AcceptNagHours) * time.Hour
	for _, id := range ids {
		at, ok := assigned[id]
		if !ok || now.Sub(at) < wait {
			continue
		}
		for _, u := range dir.users(models.RoleContact, unitOf[id]) {
			add(KindNag, u, unaccepted[id])
		}
	}
	return nil
}

// bucket collects one recipient's items of one kind.
type bucket struct {
	kind, user string
	items      []item
	seen       map[uint]bool // a supervisor who is also a city leader gets an item once
}

// render turns the buckets into messages, most urgent item first, in a
// stable order so that two replicas compute the same rows.
func (n *Notifier) render(buckets map[string]*bucket, now time.Time) []message {
	at := n.cfg.NextSendTime(now)
	if at.Equal(now) {
		at = time.Time{}
	}
	keys := make([]string, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]message, 0, len(keys))
	for _, k := range keys {
		b := buckets[k]
		sort.SliceStable(b.items, func(i, j int) bool {
			if b.items[i].left != b.items[j].left {
				return b.items[i].left < b.items[j].left
			}
			return b.items[i].number < b.items[j].number
		})
		var text string
		switch b.kind {
		case KindRemind:
			text = listText(remindHead, b.items, remindFoot)
		case KindNag:
			text = listText(nagHead, b.items, nagFoot)
		case KindEscalate:
			text = listText(escalateHead, b.items, escalateFoot)
		}
		// A WeChat template shows the most urgent item (and how many more).
		first := b.items[0]
		number := first.number
		if len(b.items) > 1 {
			number = fmt.Sprintf("%s等%d条", first.number, len(b.items))
		}
		values := map[string]string{"number": number, "hazard": first.title, "unit": first.unit, "deadline": first.deadline.Chinese()}
		out = append(out, message{key: k, user: b.user, out: bot.Outgoing{Kind: bot.OutText, Text: text, Topic: bot.TopicReminder, Values: values}, at: at})
	}
	return out
}
