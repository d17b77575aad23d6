package notify

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// Around 2023 National Day (9月29日–10月6日 off, Saturday 10月7日 and Sunday
// 10月8日 worked): nothing is sent on the holiday, the 调休 weekend works,
// and what would fall due during the holiday is sent on 9月28日, the last
// working day before it.
func TestRemindersAndDigestsOnWorkingDaysOnly(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 9, 20, 10, 0))
		e.cfg.Reminders.WorkingDaysOnly = true
		// Due on 10月3日, in the holiday; and 10月10日, reminded 3 days
		// before on the 调休 Saturday.
		h1 := e.report("液化气钢瓶露天存放", "gasco", "", models.NewDate(2023, 10, 3))
		h2 := e.report("燃气报警器失效", "gasco", "", models.NewDate(2023, 10, 10))
		e.act("lisi", h1, models.ActAccept, models.Change{})
		e.act("lisi", h2, models.ActAccept, models.Change{})

		run := func(y int, m time.Month, d int) (SweepResult, SweepResult) {
			t.Helper()
			e.clock.Set(at(y, m, d, 9, 0))
			r, err := e.n.Reminders(context.Background(), e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			dd, err := e.n.DailyDigest(context.Background(), e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return r, dd
		}
		// 9月28日 (Thursday): the deadline of 10月3日 falls in the holiday:
		// its 3-day, 1-day, on-the-day and first overdue reminders come now.
		r, dd := run(2023, 9, 28)
		if r.RestDay || dd.RestDay {
			t.Fatal("9月28日 treated as a rest day")
		}
		if got := e.keysOn("2023-09-28"); !slices.Contains(got, "remind:lisi") || !slices.Contains(got, "daily:sunqi") {
			t.Fatalf("9月28日 sent %v", got)
		}
		if body := e.body(e.row("remind|2023-09-28|lisi")).Text; !strings.Contains(body, "液化气钢瓶露天存放") || strings.Contains(body, "燃气报警器失效") {
			t.Fatalf("9月28日 reminder:\n%s", body)
		}
		// The holiday, a weekday in it and its Sunday: nothing at all.
		for _, d := range []int{29, 30} {
			if r, dd := run(2023, 9, d); !r.RestDay || !dd.RestDay {
				t.Errorf("9月%d日 not a rest day", d)
			}
		}
		for d := 1; d <= 6; d++ {
			if r, dd := run(2023, 10, d); !r.RestDay || !dd.RestDay || r.Queued+dd.Queued != 0 {
				t.Errorf("10月%d日: %+v %+v", d, r, dd)
			}
		}
		for _, day := range []string{"2023-09-29", "2023-09-30", "2023-10-01", "2023-10-03", "2023-10-06"} {
			if got := e.keysOn(day); len(got) != 0 {
				t.Errorf("%s sent %v", day, got)
			}
		}
		// Saturday 10月7日 is a 调休 working day: the overdue hazard is
		// reminded (4 calendar days overdue) and so is the one due 10月10日.
		if r, _ := run(2023, 10, 7); r.RestDay {
			t.Fatal("the 调休 Saturday treated as a rest day")
		}
		body := e.body(e.row("remind|2023-10-07|lisi")).Text
		if !strings.Contains(body, "液化气钢瓶露天存放") || !strings.Contains(body, "逾期4天") || !strings.Contains(body, "燃气报警器失效") {
			t.Fatalf("10月7日 reminder:\n%s", body)
		}
		// Turned off, a holiday is a day like any other.
		e.cfg.Reminders.WorkingDaysOnly = false
		if r, _ := run(2023, 10, 2); r.RestDay || len(e.keysOn("2023-10-02")) == 0 {
			t.Fatalf("with working_days_only off, 10月2日: %+v %v", r, e.keysOn("2023-10-02"))
		}
	})
}

// A 劳动节 Monday (2023: 4月29日–5月3日 off) puts the weekly digest off to
// Thursday 5月4日, the first working day of the week: two replicas running
// the scheduler each morning send it once, telling 4月24日 to 4月30日 and
// saying why it is late; the group 通报 follows it. In a week whose Monday
// is a working day it goes out on Monday as before.
func TestWeeklyDigestOnFirstWorkingDayOfWeek(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 4, 20, 10, 0))
		e.cfg.Reminders.WorkingDaysOnly = true
		e.tx(func(tx *models.Tx) error { _, err := tx.SetUnitGroup("maojian", "robot-key", ""); return err })
		// One found in the week told, one in the holiday (the next week's).
		e.clock.Set(at(2023, 4, 25, 10, 0))
		e.report("液化气钢瓶露天存放", "gasco", "", models.NewDate(2023, 5, 20))
		e.clock.Set(at(2023, 5, 2, 10, 0))
		e.report("燃气报警器失效", "gasco", "", models.NewDate(2023, 5, 20))
		ctx := context.Background()
		replicas := twoReplicas(t, e)
		// gocron fires the weekly jobs every day at the weekly time of day.
		if j := replicas[0].find(JobWeeklyDigest); j.trigger != "0 9 * * *" {
			t.Fatalf("weekly digest triggered on %q", j.trigger)
		}
		ranOn := map[string]int{}
		for d := 1; d <= 7; d++ {
			now := at(2023, 5, d, 9, 0)
			e.clock.Set(now)
			for _, sc := range replicas {
				for _, name := range []string{JobWeeklyDigest, JobGroupWeekly} {
					ran, err := sc.RunDue(ctx, name, now)
					if err != nil {
						t.Fatal(err)
					}
					if ran {
						ranOn[fmt.Sprintf("%s 5月%d日", name, d)]++
					}
				}
			}
		}
		want := map[string]int{JobWeeklyDigest + " 5月4日": 1, JobGroupWeekly + " 5月4日": 1}
		if !maps.Equal(ranOn, want) {
			t.Fatalf("ran %v, want %v", ranOn, want)
		}
		if got := e.keysOn("2023-W18"); !slices.Contains(got, "weekly:sunqi") || !slices.Contains(got, "group_weekly:"+bot.GroupRecipient("maojian")) {
			t.Fatalf("week 18 sent %v", got)
		}
		for _, key := range []string{"weekly|2023-W18|sunqi", "group_weekly|2023-W18|" + bot.GroupRecipient("maojian")} {
			text := e.body(e.row(key)).Text
			for _, w := range []string{"【每周通报】2023年4月24日至4月30日", "（5月1日至5月3日劳动节放假，本周通报顺延至5月4日发送）", "上周（2023年4月24日至4月30日）：新发现1个", "检查发现重点隐患问题1个"} {
				if !strings.Contains(text, w) {
					t.Errorf("%s lacks %q:\n%s", key, w, text)
				}
			}
		}
		// The next week's Monday is a working day: Monday it is, as always.
		now := at(2023, 5, 8, 9, 0)
		e.clock.Set(now)
		if ran, err := replicas[1].RunDue(ctx, JobWeeklyDigest, now); !ran || err != nil {
			t.Fatalf("Monday 5月8日: ran %v, %v", ran, err)
		}
		if ran, _ := replicas[0].RunDue(ctx, JobWeeklyDigest, at(2023, 5, 9, 9, 0)); ran {
			t.Fatal("ran again on Tuesday 5月9日")
		}
		text := e.body(e.row("weekly|2023-W19|sunqi")).Text
		if !strings.Contains(text, "【每周通报】2023年5月1日至5月7日") || strings.Contains(text, "顺延") || !strings.Contains(text, "近7天：新发现1个") {
			t.Fatalf("week 19:\n%s", text)
		}
	})
}

// Across National Day 2023 (9月29日–10月6日 off, 10月7日 and 8日 worked),
// the scheduler's daily digest and group overdue list run on each working
// day only; the first working day after the holiday sends one digest that
// tells everything since the last one (9月28日 to 10月6日), not one per
// missed day.
func TestDailyDigestAcrossLongHoliday(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 9, 27, 10, 0))
		e.cfg.Reminders.WorkingDaysOnly = true
		e.cfg.Digests.Roles = []string{"leader"}
		e.tx(func(tx *models.Tx) error { _, err := tx.SetUnitGroup("maojian", "robot-key", ""); return err })
		e.clock.Set(at(2023, 9, 28, 15, 0))
		e.report("液化气钢瓶露天存放", "gasco", "", models.NewDate(2023, 9, 30))
		e.clock.Set(at(2023, 10, 2, 15, 0))
		e.report("燃气报警器失效", "gasco", "", models.NewDate(2023, 10, 20))
		ctx := context.Background()
		replicas := twoReplicas(t, e)
		daily := map[string]int{}
		group := map[string]int{}
		for d := at(2023, 9, 28, 8, 30); !d.After(at(2023, 10, 9, 8, 30)); d = d.AddDate(0, 0, 1) {
			e.clock.Set(d)
			for _, sc := range replicas {
				// A replica starting late catches up the same slot, once.
				sc.CatchUp(ctx, d.Add(time.Hour))
				if _, err := sc.RunDue(ctx, JobDailyDigest, d); err != nil {
					t.Fatal(err)
				}
				if _, err := sc.RunDue(ctx, JobGroupOverdue, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, m := range e.outbox() {
			p := strings.Split(m.DedupeKey, "|")
			switch p[0] {
			case KindDaily:
				daily[p[1]]++
			case KindGroupOverdue:
				group[p[1]]++
			}
		}
		// sunqi (city) and zhouba (茅箭区) lead; 10月9日 is a Monday.
		wantDaily := map[string]int{"2023-09-28": 2, "2023-10-07": 2, "2023-10-08": 2, "2023-10-09": 2}
		if !maps.Equal(daily, wantDaily) {
			t.Fatalf("daily digests by day %v, want %v", daily, wantDaily)
		}
		if want := map[string]int{"2023-10-07": 1, "2023-10-08": 1, "2023-10-09": 1}; !maps.Equal(group, want) {
			t.Fatalf("group overdue lists by day %v, want %v", group, want)
		}
		text := e.body(e.row("daily|2023-10-07|zhouba")).Text
		if !strings.Contains(text, "2023年9月28日至10月6日（上次简报以来）新发现2个") || !strings.Contains(text, "目前逾期1个") {
			t.Fatalf("10月7日's digest:\n%s", text)
		}
		if text := e.body(e.row("daily|2023-10-08|zhouba")).Text; !strings.Contains(text, "昨天（10月7日）新发现0个") {
			t.Fatalf("10月8日's digest:\n%s", text)
		}
	})
}

// twoReplicas is two schedulers over e's database, as two servers run.
func twoReplicas(t *testing.T, e *env) []*Scheduler {
	t.Helper()
	var out []*Scheduler
	for _, owner := range []string{"a", "b"} {
		sc, err := NewScheduler(e.n, SchedulerOptions{Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}
