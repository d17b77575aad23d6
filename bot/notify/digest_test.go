package notify

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hazardbot/bot"
	"hazardbot/bot/report"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// digestLedger: two hazards in 茅箭区 (one closed yesterday), one in 张湾区
// overdue. zhouba leads 茅箭区, sunqi the city.
func digestLedger(t *testing.T, s *models.Store) (*env, []*models.Hazard) {
	e := newEnv(t, s, at(2023, 3, 6, 10, 0))
	a := e.report("液化气钢瓶露天存放", "gasco", "", models.NewDate(2023, 3, 20))
	b := e.report("燃气报警器失效", "gasco", "", models.NewDate(2023, 3, 20))
	c := e.report("应急通道堵塞", "zw_ajj", "", models.NewDate(2023, 3, 8))
	e.clock.Set(at(2023, 3, 12, 15, 0))
	e.act("lisi", a, models.ActSubmit, models.Change{Note: "已移入库房"})
	e.act("wangwu", a, models.ActPass, models.Change{})
	return e, []*models.Hazard{a, b, c}
}

func TestDailyDigest(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, hz := digestLedger(t, s)
		e.clock.Set(at(2023, 3, 13, 8, 30))
		// digests.roles: [leader] sends to leaders alone.
		e.cfg.Digests.Roles = []string{"leader"}
		res, err := e.n.DailyDigest(context.Background(), e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := e.keysOn("2023-03-13"); !slices.Equal(got, []string{"daily:sunqi", "daily:zhouba"}) || res.Queued != 2 {
			t.Fatalf("digests %v (queued %d)", got, res.Queued)
		}
		// The default adds supervisors, each with their own unit's digest.
		e.cfg.Digests.Roles = config.Default().Digests.Roles
		if _, err := e.n.DailyDigest(context.Background(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if got := e.keysOn("2023-03-13"); !slices.Contains(got, "daily:wangwu") || !slices.Contains(got, "daily:zwsup") || slices.Contains(got, "daily:lisi") {
			t.Fatalf("digests with supervisors %v", got)
		}
		if a, b := e.body(e.row("daily|2023-03-13|wangwu")).Text, e.body(e.row("daily|2023-03-13|zhouba")).Text; a != b {
			t.Fatalf("茅箭区's supervisor got\n%s\nits leader\n%s", a, b)
		}
		tests := []struct {
			leader      string
			want, never []string
		}{
			{"zhouba", []string{"【每日简报】3月13日 · 茅箭区", "整改完成1个，销号1个", "目前逾期0个", "茅箭区检查发现重点隐患问题2个"}, []string{"张湾区"}},
			{"sunqi", []string{"· 十堰市", "整改完成1个，销号1个", "目前逾期1个", "逾期较多：张湾区1个", "十堰市检查发现重点隐患问题3个"}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.leader, func(t *testing.T) {
				text := e.body(e.row("daily|2023-03-13|" + tc.leader)).Text
				for _, w := range tc.want {
					if !strings.Contains(text, w) {
						t.Errorf("lacks %q:\n%s", w, text)
					}
				}
				for _, w := range tc.never {
					if strings.Contains(text, w) {
						t.Errorf("has %q, outside the leader's scope:\n%s", w, text)
					}
				}
			})
		}
		_ = hz
	})
}

func TestWeeklyDigest(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, hz := digestLedger(t, s)
		e.clock.Set(at(2023, 3, 13, 9, 0)) // Monday of ISO week 11
		if _, err := e.n.WeeklyDigest(context.Background(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			leader, unit string
			text         []string
			numbers      []string
		}{
			{"wangwu", "maojian", []string{"茅箭区检查发现重点隐患问题2个"}, []string{hz[0].Number, hz[1].Number}},
			{"zhouba", "maojian", []string{"茅箭区检查发现重点隐患问题2个，已整改完成1个，已销号1个，逾期0个，整改率50%", "2023年安全生产春季攻势", "茅箭区：发现2 整改1 销号1 逾期0 整改率50%"},
				[]string{hz[0].Number, hz[1].Number}},
			{"sunqi", "shiyan", []string{"2023年2月23日至3月12日，十堰市检查发现重点隐患问题3个", "张湾区：发现1 整改0 销号0 逾期1 整改率0%", "近7天：新发现3个，整改完成1个，销号1个；整改率—→33.3%",
				"考核排名（整改率）前1：茅箭区50%；后1：张湾区0%"},
				[]string{hz[0].Number, hz[1].Number, hz[2].Number}},
		}
		for _, tc := range tests {
			t.Run(tc.leader, func(t *testing.T) {
				text := e.body(e.row("weekly|2023-W11|" + tc.leader)).Text
				for _, w := range tc.text {
					if !strings.Contains(text, w) {
						t.Errorf("lacks %q:\n%s", w, text)
					}
				}
				file := e.body(e.row("ledger|2023-W11|" + tc.leader))
				if file.Kind != bot.OutFile || file.FileName != "重点隐患问题动态整改台账-2023-03-13.xlsx" || file.File != "ledgers/2023-03-13-"+tc.unit+".xlsx" {
					t.Fatalf("file message %+v", file)
				}
				x, err := excelize.OpenFile(filepath.Join(e.cfg.Storage.Dir, file.File))
				if err != nil {
					t.Fatal(err)
				}
				defer x.Close()
				rows, err := x.GetRows(report.SheetName)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range rows {
					if len(r) > 9 && strings.HasPrefix(r[9], "YH2023-") {
						got = append(got, strings.SplitN(r[9], "\n", 2)[0])
					}
				}
				if !slices.Equal(got, tc.numbers) {
					t.Errorf("ledger rows %v, want %v", got, tc.numbers)
				}
			})
		}
	})
}

// TestCampaignReminders: the spring offensive's report deadlines (3月2日,
// the 28th of each month while it runs, 6月10日) remind the supervisors of
// every region and special committee three days before and on the day.
func TestCampaignReminders(t *testing.T) {
	owe := []string{"campaign:gassup", "campaign:wangwu", "campaign:zwsup"}
	tests := []struct {
		name string
		day  models.Date
		want []string
		text string
		// workdays turns reminders.working_days_only on: a reminder that
		// would fall on a rest day comes on the last working day before
		// it, never after the deadline.
		workdays bool
	}{
		{"three days before the plan", models.NewDate(2023, 2, 27), owe, "工作方案报送市安委办：3月2日截止，还剩3天", false},
		{"the plan's day", models.NewDate(2023, 3, 2), owe, "今天到期", false},
		{"one day before is quiet", models.NewDate(2023, 3, 1), nil, "", false},
		{"the monthly day in February", models.NewDate(2023, 2, 28), owe, "月报动态更新：2月28日截止，今天到期", false},
		{"monthly update", models.NewDate(2023, 4, 25), owe, "月报动态更新：4月28日截止", false},
		{"final summary after the campaign", models.NewDate(2023, 6, 7), owe, "工作总结报送市安委办：6月10日截止", false},
		{"no monthly update after the campaign", models.NewDate(2023, 6, 25), nil, "", false},
		{"before the campaign", models.NewDate(2023, 1, 25), nil, "", false},
		{"a Saturday deadline is reminded on the Friday", models.NewDate(2023, 6, 9), owe, "工作总结报送市安委办：6月10日截止，还剩1天", true},
		{"nothing on the Saturday deadline itself", models.NewDate(2023, 6, 10), nil, "", true},
		{"a Sunday monthly day is reminded on the Friday", models.NewDate(2023, 5, 26), owe, "月报动态更新：5月28日截止，还剩2天", true},
		{"the lead reminder on a Saturday comes on the Friday", models.NewDate(2023, 3, 24), owe, "月报动态更新：3月28日截止，还剩4天", true},
		{"not again on the working day after", models.NewDate(2023, 3, 27), nil, "", true},
		{"the lead day itself on a working day", models.NewDate(2023, 4, 25), owe, "月报动态更新：4月28日截止，还剩3天", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
				e := newEnv(t, s, at(2023, 1, 1, 9, 0))
				e.cfg.Reminders.WorkingDaysOnly = tc.workdays
				now := tc.day.Time(modelstest.Shanghai).Add(9 * time.Hour)
				e.clock.Set(now)
				if _, err := e.n.CampaignReminders(context.Background(), now); err != nil {
					t.Fatal(err)
				}
				got := e.keysOn(tc.day.String())
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				if tc.text != "" {
					if text := e.body(e.row("campaign|" + tc.day.String() + "|wangwu")).Text; !strings.Contains(text, tc.text) {
						t.Errorf("lacks %q:\n%s", tc.text, text)
					}
				}
			})
		})
	}
}

func TestScheduler(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 3, 13, 10, 0))
		ctx := context.Background()
		swept := 0
		sc, err := NewScheduler(e.n, SchedulerOptions{Owner: "a", DraftSweep: func(context.Context) error {
			swept++
			if swept == 2 {
				panic("boom")
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("catch up after a restart runs what is still due", func(t *testing.T) {
			// At 08:00 nothing of today is due yet (reminders 09:00, digest 08:30).
			if ran := sc.CatchUp(ctx, at(2023, 3, 13, 8, 0)); len(ran) != 0 {
				t.Errorf("ran %v at 08:00", ran)
			}
			want := []string{JobReminders, JobDailyDigest, JobWeeklyDigest, JobCampaignReminders, JobGroupOverdue, JobGroupWeekly}
			if ran := sc.CatchUp(ctx, at(2023, 3, 13, 10, 0)); !slices.Equal(ran, want) {
				t.Errorf("ran %v at 10:00, want %v", ran, want)
			}
			// Another replica starting later finds every slot taken.
			other, _ := NewScheduler(e.n, SchedulerOptions{Owner: "b"})
			if ran := other.CatchUp(ctx, at(2023, 3, 13, 11, 0)); len(ran) != 0 {
				t.Errorf("second replica ran %v", ran)
			}
			// On Tuesday the weekly digest is not due again.
			if ran := other.CatchUp(ctx, at(2023, 3, 14, 10, 0)); slices.Contains(ran, JobWeeklyDigest) || !slices.Contains(ran, JobDailyDigest) {
				t.Errorf("Tuesday ran %v", ran)
			}
		})
		t.Run("a slot runs once", func(t *testing.T) {
			ok1, err1 := sc.RunDue(ctx, JobReminders, at(2023, 3, 15, 9, 0))
			ok2, err2 := sc.RunDue(ctx, JobReminders, at(2023, 3, 15, 9, 0))
			if !ok1 || ok2 || err1 != nil || err2 != nil {
				t.Errorf("first %v %v, second %v %v", ok1, err1, ok2, err2)
			}
		})
		t.Run("by hand, with a panic recovered", func(t *testing.T) {
			if err := sc.Run(ctx, JobDraftSweep); err != nil || swept != 1 {
				t.Fatalf("draft sweep: %v, swept %d", err, swept)
			}
			e.clock.Add(time.Second)
			if err := sc.Run(ctx, JobDraftSweep); !errors.Is(err, errPanic) {
				t.Fatalf("panicking job returned %v", err)
			}
			if err := sc.Run(ctx, "nope"); models.ErrorCode(err) != models.ENotFound {
				t.Errorf("unknown job: %v", err)
			}
			last, err := s.LastJobRun(ctx, JobDraftSweep)
			if err != nil || last == nil || !strings.HasPrefix(last.Slot, JobDraftSweep+"|manual ") {
				t.Errorf("last draft sweep run %+v, %v", last, err)
			}
		})
		t.Run("bad cron spec names the key", func(t *testing.T) {
			e.cfg.Schedule.DailyDigest = "30 25 * * *"
			defer func() { e.cfg.Schedule.DailyDigest = "30 8 * * *" }()
			if _, err := NewScheduler(e.n, SchedulerOptions{}); err == nil || !strings.Contains(err.Error(), "daily_digest") {
				t.Errorf("err %v", err)
			}
		})
	})
}

// TestSchedulerStart starts the real gocron scheduler and stops it with
// its context.
func TestSchedulerStart(t *testing.T) {
	e := newEnv(t, modelstest.Open(t, "sqlite"), at(2023, 3, 13, 7, 0))
	sc, err := NewScheduler(e.n, SchedulerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := sc.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

func TestDigestsLinkHomePage(t *testing.T) {
	e, _ := digestLedger(t, modelstest.Open(t, "sqlite"))
	e.clock.Set(at(2023, 3, 13, 9, 0))
	if _, err := e.n.DailyDigest(context.Background(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if text := e.body(e.row("daily|2023-03-13|zhouba")).Text; strings.Contains(text, "<a href") {
		t.Errorf("a digest links pages with no public_url:\n%s", text)
	}
	e.cfg.PublicURL = "https://hazard.example.gov.cn"
	e.clock.Set(at(2023, 3, 14, 9, 0))
	if _, err := e.n.DailyDigest(context.Background(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.n.WeeklyDigest(context.Background(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	link := `<a href="https://hazard.example.gov.cn/h5/">打开首页看图表</a>`
	if text := e.body(e.row("daily|2023-03-14|zhouba")).Text; !strings.Contains(text, link) {
		t.Errorf("the daily digest does not link 首页:\n%s", text)
	}
	weekly := e.body(e.row("weekly|2023-W11|zhouba")).Text
	if !strings.Contains(weekly, link) {
		t.Errorf("the weekly digest does not link 首页:\n%s", weekly)
	}
}

// TestCampaignRemindersSkipWhoReported: a county that recorded its plan
// (报送) is not reminded of it; the others still are, and the county still
// is of what it owes.
func TestCampaignRemindersSkipWhoReported(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 2, 27, 9, 0))
		e.tx(func(tx *models.Tx) error {
			a, err := tx.Actor("wangwu")
			if err != nil {
				return err
			}
			c, err := tx.FindCampaign("spring2023")
			if err != nil {
				return err
			}
			dues := c.Dues(models.NewDate(2023, 3, 2), models.NewDate(2023, 3, 2), "工作方案")
			if len(dues) != 1 {
				t.Fatalf("dues %+v", dues)
			}
			_, isNew, err := tx.RecordCampaignReport(a, c, a.Unit, dues[0], "")
			if !isNew {
				t.Fatal("first record not new")
			}
			return err
		})
		if _, err := e.n.CampaignReminders(context.Background(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if got := e.keysOn("2023-02-27"); !slices.Equal(got, []string{"campaign:gassup", "campaign:zwsup"}) {
			t.Fatalf("reminded %v, want everyone but 茅箭区's supervisor", got)
		}
		text := e.body(e.row("campaign|2023-02-27|zwsup")).Text
		if !strings.Contains(text, "工作方案报送市安委办：3月2日截止") || strings.Contains(text, "请忽略") || !strings.Contains(text, "报送 月报") {
			t.Fatalf("reminder text:\n%s", text)
		}
	})
}
