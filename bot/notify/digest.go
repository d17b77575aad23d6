package notify

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/report"
	"hazardbot/calendar"
	"hazardbot/models"
)

// digestGroups returns the active members of the digest roles (config
// digests.roles) grouped by their unit, units in directory order, so that
// each unit's digest is computed once.
func (n *Notifier) digestGroups(tx *models.Tx) ([]*models.Unit, map[uint][]string, error) {
	var roles []models.Role
	for _, r := range n.cfg.Digests.Roles {
		roles = append(roles, models.Role(r))
	}
	if len(roles) == 0 {
		roles = []models.Role{models.RoleLeader}
	}
	dir, err := loadDirectory(tx, roles...)
	if err != nil {
		return nil, nil, err
	}
	byUnit := map[uint][]string{}
	for _, r := range roles {
		for id, users := range dir.byRole[r] {
			for _, u := range users {
				if !slices.Contains(byUnit[id], u) {
					byUnit[id] = append(byUnit[id], u)
				}
			}
		}
	}
	var units []*models.Unit
	for id := range byUnit {
		if u := dir.units[id]; u != nil && u.Active {
			units = append(units, u)
		}
	}
	sort.Slice(units, func(i, j int) bool { return units[i].ID < units[j].ID })
	return units, byUnit, nil
}

// DailyDigest queues each leader's daily digest for the day of now, scoped
// to the leader's unit: yesterday's new, rectified and closed hazards, what
// is overdue now, the units or regions with most overdue, and the 情况小结
// to date.
//
// With reminders.working_days_only it sends nothing on a weekend or public
// holiday, and the first working day after such days tells, in its one
// digest, everything since the last digest: a Monday's covers Friday to
// Sunday, 10月7日's after National Day covers 9月28日 to 10月6日 (no
// catch-up digest for each day missed).
func (n *Notifier) DailyDigest(ctx context.Context, now time.Time) (SweepResult, error) {
	today := n.day(now)
	if n.restDay(today, "daily digest") {
		return SweepResult{RestDay: true}, nil
	}
	yesterday := today.AddDays(-1)
	since := yesterday.AddDays(-n.restDaysBefore(today))
	var msgs []message
	err := n.store.InTx(ctx, func(tx *models.Tx) error {
		msgs = nil
		units, leaders, err := n.digestGroups(tx)
		if err != nil {
			return err
		}
		for _, u := range units {
			text, err := n.dailyText(tx, u, since, today)
			if err != nil {
				return err
			}
			for _, l := range leaders[u.ID] {
				msgs = append(msgs, message{key: key(KindDaily, today.String(), l), user: l, out: bot.Outgoing{Kind: bot.OutText, Text: text}})
			}
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("notify: daily digest of %s: %w", yesterday, err)
	}
	return n.queue(ctx, "daily digest", today, msgs, now)
}

// dailyText is u's daily digest on today, telling the days from since to
// yesterday.
func (n *Notifier) dailyText(tx *models.Tx, u *models.Unit, since, today models.Date) (string, error) {
	y := today.AddDays(-1)
	from, to := since.Time(n.loc), today.Time(n.loc)
	day, err := tx.Summary(models.SummaryFilter{Scope: u, From: since, To: y})
	if err != nil {
		return "", err
	}
	rectified, err := tx.CountBetween(u, models.MomentRectified, from, to)
	if err != nil {
		return "", err
	}
	closed, err := tx.CountBetween(u, models.MomentClosed, from, to)
	if err != nil {
		return "", err
	}
	total, err := tx.Summary(models.SummaryFilter{Scope: u, To: y})
	if err != nil {
		return "", err
	}
	worst, err := worstOverdue(tx, u)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "【每日简报】%s · %s\n", today.Short(), u.ShortName())
	if since == y {
		fmt.Fprintf(&b, "昨天（%s）", y.Short())
	} else {
		fmt.Fprintf(&b, "%s（上次简报以来）", report.PeriodText(since, y))
	}
	fmt.Fprintf(&b, "新发现%d个，整改完成%d个，销号%d个。\n", day.Found, rectified, closed)
	fmt.Fprintf(&b, "目前逾期%d个。", total.Overdue)
	if worst != "" {
		b.WriteString("逾期较多：" + worst + "。")
	}
	b.WriteString("\n" + report.SummarySentence(models.Date{}, y, u.ShortName(), total))
	b.WriteString(n.homeLink())
	return b.String(), nil
}

// worstOverdue names the three regions (for a city or committee scope) or
// responsible units (inside one county) with most overdue hazards.
func worstOverdue(tx *models.Tx, u *models.Unit) (string, error) {
	region, err := tx.RegionOf(u)
	if err != nil {
		return "", err
	}
	by := models.ByRegion
	if region != nil {
		by = models.ByUnit
	}
	rows, err := tx.SummaryBy(models.SummaryFilter{Scope: u}, by)
	if err != nil {
		return "", err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Overdue > rows[j].Overdue })
	var parts []string
	for _, r := range rows {
		if r.Overdue == 0 || len(parts) == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s%d个", r.Name, r.Overdue))
	}
	return strings.Join(parts, "、"), nil
}

// WeeklyDigest queues each leader's weekly digest for the ISO week of now,
// telling the week before it (Monday to Sunday): the 情况小结 of the running
// campaign to that Sunday, the change over that week, a per-region table,
// and the ledger .xlsx of the leader's scope, written under the storage
// directory and sent as a file message.
//
// With reminders.working_days_only it sends nothing on a weekend or public
// holiday; the scheduler then runs it on the first working day of the week
// (a 劳动节 Monday 5月1日 sends it on Thursday 5月4日), and the digest says
// it was put off and which week it tells.
func (n *Notifier) WeeklyDigest(ctx context.Context, now time.Time) (SweepResult, error) {
	today := n.day(now)
	if n.restDay(today, "weekly digest") {
		return SweepResult{RestDay: true}, nil
	}
	week := isoWeek(now.In(n.loc))
	var msgs []message
	var files []string
	err := n.store.InTx(ctx, func(tx *models.Tx) error {
		msgs, files = nil, nil
		units, leaders, err := n.digestGroups(tx)
		if err != nil {
			return err
		}
		camp, err := tx.CampaignOn(today)
		if err != nil {
			return err
		}
		for _, u := range units {
			text, meta, f, err := n.weeklyText(tx, u, today, camp)
			if err != nil {
				return err
			}
			rel := path.Join(bot.LedgerDir, fmt.Sprintf("%s-%s.xlsx", today, u.Code))
			if err := bot.PutLedger(tx, n.files, f, meta, rel); err != nil {
				return err
			}
			files = append(files, rel)
			name := report.FileName(today)
			for _, l := range leaders[u.ID] {
				msgs = append(msgs,
					message{key: key(KindWeekly, week, l), user: l, out: bot.Outgoing{Kind: bot.OutText, Text: text}},
					message{key: key(KindLedger, week, l), user: l, out: bot.Outgoing{Kind: bot.OutFile, File: rel, FileName: name}})
			}
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("notify: weekly digest %s: %w", week, err)
	}
	return n.queue(ctx, "weekly digest", today, msgs, now)
}

// weeklyText is u's weekly 通报 sent on today, telling the ISO week before
// today's.
func (n *Notifier) weeklyText(tx *models.Tx, u *models.Unit, today models.Date, camp *models.Campaign) (string, report.LedgerMeta, models.HazardFilter, error) {
	monday := today.AddDays(-((int(today.Weekday()) + 6) % 7))
	end := monday.AddDays(-1)
	weekStart := monday.AddDays(-7)
	var start models.Date
	title := ""
	if camp != nil {
		start, title = camp.Start, camp.Name
	}
	sf := models.SummaryFilter{Scope: u, From: start, To: end}
	meta, err := report.MetaFor(tx, u, start, end)
	if err != nil {
		return "", meta, models.HazardFilter{}, err
	}
	meta.FilledAt = today
	hf := models.HazardFilter{Scope: u, From: start, To: end}
	fail := func(err error) (string, report.LedgerMeta, models.HazardFilter, error) { return "", meta, hf, err }
	total, err := tx.Summary(sf)
	if err != nil {
		return fail(err)
	}
	week, err := tx.Summary(models.SummaryFilter{Scope: u, From: weekStart, To: end})
	if err != nil {
		return fail(err)
	}
	from, to := weekStart.Time(n.loc), monday.Time(n.loc)
	rectified, err := tx.CountBetween(u, models.MomentRectified, from, to)
	if err != nil {
		return fail(err)
	}
	closed, err := tx.CountBetween(u, models.MomentClosed, from, to)
	if err != nil {
		return fail(err)
	}
	rows, err := tx.SummaryBy(sf, models.ByRegion)
	if err != nil {
		return fail(err)
	}
	// Last week's rate, as it stood before the last seven days' finds and
	// close-outs.
	before := models.Figures{Found: total.Found - week.Found, Closed: max(total.Closed-closed, 0)}

	var b strings.Builder
	fmt.Fprintf(&b, "【每周通报】%s · %s\n", report.PeriodText(weekStart, end), u.ShortName())
	if put := n.putOff(monday, today); put != "" {
		b.WriteString(put + "\n")
	}
	if title != "" {
		b.WriteString(title + "\n")
	}
	b.WriteString(report.SummarySentence(start, end, u.ShortName(), total) + "\n")
	fmt.Fprintf(&b, "%s：新发现%d个，整改完成%d个，销号%d个；整改率%s→%s。\n",
		weekLabel(monday, today, weekStart, end), week.Found, rectified, closed, report.FormatRate(before), report.FormatRate(total))
	if len(rows) > 0 {
		b.WriteString("分区域：\n")
		for _, r := range rows {
			b.WriteString(report.BreakdownLine(r) + "\n")
		}
	}
	top, err := rankingText(tx, sf, u)
	if err != nil {
		return fail(err)
	}
	if top != "" {
		b.WriteString(top + "\n")
	}
	b.WriteString("整改台账见随后的附件。" + strings.TrimPrefix(n.homeLink(), "\n"))
	lines := strings.Split(b.String(), "\n")
	return fitLines(lines[0], lines[1:len(lines)-1], lines[len(lines)-1]), meta, hf, nil
}

// weekLabel names the week a weekly digest tells: 近7天 when it goes out
// on Monday, the dates when it was put off.
func weekLabel(monday, today, from, to models.Date) string {
	if today == monday {
		return "近7天"
	}
	return "上周（" + report.PeriodText(from, to) + "）"
}

// putOff says why a weekly digest comes after the Monday of its week: the
// holiday that took the days of this week before today ("" when today is
// the Monday, or the days before it were no public holiday).
func (n *Notifier) putOff(monday, today models.Date) string {
	cal := n.cfg.Workdays()
	y := today.AddDays(-1)
	if today == monday || y.Before(monday) {
		return ""
	}
	name := cal.Holiday(calendar.Day(y))
	if name == "" {
		return ""
	}
	first := y
	for d := y.AddDays(-1); !d.Before(monday) && !cal.IsWorkday(calendar.Day(d)); d = d.AddDays(-1) {
		first = d
	}
	days := y.Short()
	if first != y {
		days = first.Short() + "至" + days
	}
	return fmt.Sprintf("（%s%s放假，本周通报顺延至%s发送）", days, name, today.Short())
}

// queue enqueues a job's messages, delayed past quiet hours, and logs it.
func (n *Notifier) queue(ctx context.Context, what string, today models.Date, msgs []message, now time.Time) (SweepResult, error) {
	at := n.cfg.NextSendTime(now)
	if !at.Equal(now) {
		for i := range msgs {
			msgs[i].at = at
		}
	}
	res := SweepResult{Messages: len(msgs)}
	var err error
	res.Queued, err = n.enqueue(ctx, msgs)
	if err != nil {
		return res, fmt.Errorf("notify: %s: %w", what, err)
	}
	n.log.Info("notify: "+what, "day", today.String(), "messages", res.Messages, "queued", res.Queued)
	return res, nil
}

// isoWeek names the ISO week of t: 2023-W11.
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// rankingText names the top and bottom three of the 考核排名 over the
// digest's span: regions for a city or committee scope, responsible units
// inside one county. Only groups that found something are ranked; with
// fewer than two there is nothing to say.
func rankingText(tx *models.Tx, f models.SummaryFilter, u *models.Unit) (string, error) {
	region, err := tx.RegionOf(u)
	if err != nil {
		return "", err
	}
	by := models.ByRegion
	if region != nil {
		by = models.ByUnit
	}
	rows, err := tx.Ranking(f, by)
	if err != nil {
		return "", err
	}
	rows = slices.DeleteFunc(rows, func(r models.RankRow) bool { return r.Found == 0 })
	if len(rows) < 2 {
		return "", nil
	}
	name := func(r models.RankRow) string { return fmt.Sprintf("%s%s", r.Name, report.FormatRate(r.Figures)) }
	k := min(3, len(rows)/2)
	var top, bottom []string
	for _, r := range rows[:k] {
		top = append(top, name(r))
	}
	for _, r := range rows[len(rows)-k:] {
		bottom = append(bottom, name(r))
	}
	return fmt.Sprintf("考核排名（整改率）前%d：%s；后%d：%s。全部排名请发“排名”。", k, strings.Join(top, "、"), k, strings.Join(bottom, "、")), nil
}

// homeLink is a line linking the H5 首页, where the figures are charts, or ""
// when no public_url is set.
func (n *Notifier) homeLink() string {
	u := bot.PageURL(n.cfg, "/h5/")
	if u == "" {
		return ""
	}
	return "\n<a href=\"" + u + "\">打开首页看图表</a>"
}
