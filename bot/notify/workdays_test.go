package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

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
