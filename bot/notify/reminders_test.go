package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestReminderLife follows one hazard from its assignment on 1 March
// (deadline 10 March) to ten days overdue, sweeping every morning at 09:00:
// which day a message goes, of which kind, to whom. lisi is the gas
// company's contact, wangwu the 茅箭区 supervisor, sunqi the city leader.
func TestReminderLife(t *testing.T) {
	const (
		remind = "remind:lisi"
		nag    = "nag:lisi"
		region = "escalate:wangwu"
		city   = "escalate:sunqi"
	)
	tests := []struct {
		colour models.Colour
		want   map[int][]string // day of March → messages
	}{
		{models.ColourNone, map[int][]string{
			3: {nag}, 4: {nag}, // assigned 1 March 10:00; accepted 4 March at noon
			7: {remind}, 9: {remind}, 10: {remind}, // 3 days, 1 day, the day
			11: {remind}, 12: {remind}, // overdue, daily when not listed
			13: {region, remind}, 14: {region, remind}, 15: {region, remind}, 16: {region, remind},
			17: {city, region, remind}, 18: {city, region, remind}, 19: {city, region, remind}, 20: {city, region, remind},
		}},
		{models.ColourYellow, map[int][]string{
			3: {nag}, 4: {nag},
			7: {remind}, 9: {remind}, 10: {remind},
			11: {remind}, 13: {region, remind}, 15: {region, remind}, // every 2 days overdue
			17: {city, region, remind}, 19: {city, region, remind},
		}},
		{models.ColourRed, map[int][]string{
			3: {nag}, 4: {nag},
			7: {remind}, 9: {remind}, 10: {remind},
			11: {city, remind}, 12: {city, remind}, // red goes to the city at once
			13: {city, region, remind}, 14: {city, region, remind}, 15: {city, region, remind}, 16: {city, region, remind},
			17: {city, region, remind}, 18: {city, region, remind}, 19: {city, region, remind}, 20: {city, region, remind},
		}},
	}
	for _, tc := range tests {
		name := string(tc.colour)
		if name == "" {
			name = "not listed"
		}
		t.Run(name, func(t *testing.T) {
			modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
				e := newEnv(t, s, at(2023, 3, 1, 10, 0))
				h := e.report("液化气钢瓶露天存放", "gasco", "", models.NewDate(2023, 3, 10))
				if tc.colour != models.ColourNone {
					e.act("wangwu", h, models.ActList, models.Change{Colour: tc.colour})
				}
				for day := 2; day <= 20; day++ {
					e.clock.Set(at(2023, 3, day, 9, 0))
					res, err := e.n.Reminders(context.Background(), e.clock.Now())
					if err != nil {
						t.Fatal(err)
					}
					// A second replica (or a restart) sweeping again queues nothing.
					again, err := e.n.Reminders(context.Background(), e.clock.Now())
					if err != nil {
						t.Fatal(err)
					}
					if again.Queued != 0 || again.Messages != res.Messages {
						t.Errorf("3月%d日: second sweep queued %d of %d, want 0 of %d", day, again.Queued, again.Messages, res.Messages)
					}
					got := e.keysOn(models.NewDate(2023, 3, day).String())
					want := tc.want[day]
					if !slices.Equal(got, want) {
						t.Errorf("3月%d日: got %v, want %v", day, got, want)
					}
					if day == 4 {
						e.clock.Set(at(2023, 3, 4, 12, 0))
						e.act("lisi", h, models.ActAccept, models.Change{})
					}
				}
				// The texts say what and how late, in Chinese.
				for key, want := range map[string]string{
					"remind|2023-03-07|lisi":    "还剩3天",
					"remind|2023-03-10|lisi":    "今天到期",
					"remind|2023-03-19|lisi":    "逾期9天",
					"nag|2023-03-03|lisi":       "接收 编号",
					"escalate|2023-03-19|sunqi": "十堰示例燃气有限公司",
				} {
					text := e.body(e.row(key)).Text
					if !strings.Contains(text, want) || !strings.Contains(text, h.Number) {
						t.Errorf("%s: %q lacks %q or %s", key, text, want, h.Number)
					}
				}
			})
		})
	}
}

// TestReminderRecipients checks who is reminded of a hazard not yet
// assigned, and that one message lists all of a recipient's items.
func TestReminderRecipients(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 3, 1, 10, 0))
		a := e.report("未交办的隐患", "", "maojian", models.NewDate(2023, 3, 4))
		b := e.report("燃气报警器失效", "gasco", "", models.NewDate(2023, 3, 4))
		c := e.report("消防通道堵塞", "gasco", "", models.NewDate(2023, 3, 2))
		e.clock.Set(at(2023, 3, 1, 9, 30))
		if _, err := e.n.Reminders(context.Background(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		got := e.keysOn("2023-03-01")
		if want := []string{"remind:lisi", "remind:wangwu"}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		lisi := e.body(e.row("remind|2023-03-01|lisi")).Text
		if !strings.Contains(lisi, "2条") || !strings.Contains(lisi, b.Number) || !strings.Contains(lisi, c.Number) || strings.Contains(lisi, a.Number) {
			t.Errorf("lisi's reminder: %q", lisi)
		}
		// The nearest deadline comes first.
		if strings.Index(lisi, c.Number) > strings.Index(lisi, b.Number) {
			t.Errorf("items not by urgency: %q", lisi)
		}
		wangwu := e.body(e.row("remind|2023-03-01|wangwu")).Text
		if !strings.Contains(wangwu, a.Number) || !strings.Contains(wangwu, "待交办") {
			t.Errorf("wangwu's reminder: %q", wangwu)
		}
	})
}

// TestQuietHours: a sweep run at night queues its reminders for the end of
// the quiet window instead of dropping them.
func TestQuietHours(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"evening waits for the morning", at(2023, 3, 7, 22, 30), at(2023, 3, 8, 8, 0)},
		{"early morning waits until eight", at(2023, 3, 7, 6, 0), at(2023, 3, 7, 8, 0)},
		{"daytime goes at once", at(2023, 3, 7, 9, 0), at(2023, 3, 7, 9, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
				e := newEnv(t, s, at(2023, 3, 1, 10, 0))
				e.report("液化气钢瓶露天存放", "gasco", "", models.NewDate(2023, 3, 10))
				e.clock.Set(tc.now)
				if _, err := e.n.Reminders(context.Background(), tc.now); err != nil {
					t.Fatal(err)
				}
				m := e.row("remind|2023-03-07|lisi")
				if !m.NextAttemptAt.Equal(tc.want) {
					t.Errorf("due at %v, want %v", m.NextAttemptAt.In(modelstest.Shanghai), tc.want)
				}
				// Not claimable before then.
				got, err := s.ClaimOutbox(context.Background(), "w", 10, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				claimed := slices.ContainsFunc(got, func(c models.OutboxMessage) bool { return c.ID == m.ID })
				if wantNow := tc.now.Equal(tc.want); claimed != wantNow {
					t.Errorf("reminder claimable at %v = %v, want %v", tc.now, claimed, wantNow)
				}
			})
		})
	}
}

func TestListTextFits(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		more  bool
		title string
	}{
		{"a few fit whole", 3, false, "燃气管道腐蚀"},
		{"many are cut with a count", 200, true, "燃气管道腐蚀"},
		{"long titles are cut", 30, true, strings.Repeat("很长的标题", 30)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var items []item
			for i := range tc.n {
				items = append(items, item{id: uint(i + 1), number: fmt.Sprintf("YH2023-%04d", i+1), title: tc.title,
					unit: "十堰示例燃气有限公司", deadline: models.NewDate(2023, 3, 10), left: -2})
			}
			text := listText(remindHead, items, remindFoot)
			if len(text) > MaxText {
				t.Fatalf("%d bytes, over %d", len(text), MaxText)
			}
			if strings.Contains(text, "另有") != tc.more {
				t.Errorf("另有 shown = %v, want %v:\n%s", !tc.more, tc.more, text)
			}
			shown := strings.Count(text, "YH2023-")
			if tc.more && !strings.Contains(text, fmt.Sprintf("另有%d条…", tc.n-shown)) {
				t.Errorf("count of the rest wrong (%d shown):\n%s", shown, text)
			}
			if !strings.HasSuffix(text, remindFoot) || !strings.Contains(text, fmt.Sprintf("以下%d条", tc.n)) {
				t.Errorf("head or foot lost:\n%s", text)
			}
		})
	}
}
