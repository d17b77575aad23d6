package models_test

import (
	"math"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// rankingLedger builds a small ledger whose 考核排名 exercises every tie
// break. All hazards are reported on 1 March; each close-out happens a known
// number of days later; the clock ends on 10 March.
//
//	unit      hazards                                   rate  overdue  avg days
//	zhangwan  closed after 1 day, open                  1/2   0        1
//	zw_ajj    closed after 4 days, open                 1/2   0        4
//	gasco     closed after 2 days, overdue since 3-8    1/2   1        2
//	maojian   open                                      0/1   0        —
//	(none)    reported in 茅箭区, not assigned; one withdrawn
func rankingLedger(t *testing.T, s *models.Store) {
	t.Helper()
	clock := setup(t, s)
	boss := actor(t, s, "zhaoliu") // city supervisor: may do everything anywhere
	create := func(unit string, deadline models.Date) models.Number {
		t.Helper()
		in := models.HazardInput{Title: "隐患", Description: "内容", Deadline: deadline}
		if unit != "" {
			in.UnitID = unitID(t, s, unit)
		} else {
			in.RegionID = unitID(t, s, "maojian")
		}
		var n models.Number
		if err := s.InTx(ctx, func(tx *models.Tx) error {
			h, _, err := tx.CreateHazard(boss, in)
			if err == nil {
				n = h.Num()
			}
			return err
		}); err != nil {
			t.Fatalf("create in %s: %v", unit, err)
		}
		return n
	}
	act := func(n models.Number, a models.Action, note string) {
		t.Helper()
		if err := s.InTx(ctx, func(tx *models.Tx) error {
			_, err := tx.Transition(boss, n, a, models.Change{Note: note})
			return err
		}); err != nil {
			t.Fatalf("%s %s: %v", a, n, err)
		}
	}
	late := models.NewDate(2023, 3, 31)
	closeAfter := map[models.Number]int{
		create("zhangwan", late): 1,
		create("zw_ajj", late):   4,
		create("gasco", late):    2,
	}
	create("zhangwan", late)
	create("zw_ajj", late)
	create("gasco", models.NewDate(2023, 3, 8))
	create("maojian", late)
	create("", models.Date{})
	act(create("", models.Date{}), models.ActWithdraw, "重复上报")
	start := clock.Now()
	for n := range closeAfter {
		act(n, models.ActSubmit, "已整改")
	}
	for day := 1; day <= 4; day++ {
		clock.Set(start.Add(time.Duration(day) * 24 * time.Hour))
		for n, d := range closeAfter {
			if d == day {
				act(n, models.ActPass, "")
			}
		}
	}
	clock.Set(day2023(3, 10))
}

func TestRanking(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		rankingLedger(t, s)
		type want struct {
			key                    string
			found, closed, overdue int64
			avg                    float64 // -1: none closed
		}
		cases := []struct {
			name  string
			f     func() models.SummaryFilter
			by    models.Grouping
			wants []want
		}{
			{"units by rate then overdue then speed", func() models.SummaryFilter { return models.SummaryFilter{} }, models.ByUnit, []want{
				{"zhangwan", 2, 1, 0, 1}, {"zw_ajj", 2, 1, 0, 4}, {"gasco", 2, 1, 1, 2}, {"maojian", 1, 0, 0, -1},
			}},
			{"regions count unassigned hazards, not withdrawn ones", func() models.SummaryFilter { return models.SummaryFilter{} }, models.ByRegion, []want{
				{"zhangwan", 4, 2, 0, 2.5}, {"maojian", 4, 1, 1, 2},
			}},
			{"a county scope ranks only its county", func() models.SummaryFilter {
				var scope *models.Unit
				s.InTx(ctx, func(tx *models.Tx) error { scope, _ = tx.FindUnitByCode("maojian"); return nil })
				return models.SummaryFilter{Scope: scope}
			}, models.ByRegion, []want{{"maojian", 4, 1, 1, 2}}},
			{"a period with nothing found still lists every region, last", func() models.SummaryFilter {
				return models.SummaryFilter{From: models.NewDate(2022, 1, 1), To: models.NewDate(2022, 12, 31)}
			}, models.ByRegion, []want{{"maojian", 0, 0, 0, -1}, {"zhangwan", 0, 0, 0, -1}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var got []models.RankRow
				f := c.f()
				if err := s.InTx(ctx, func(tx *models.Tx) error {
					var err error
					got, err = tx.Ranking(f, c.by)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(c.wants) {
					t.Fatalf("got %d rows %+v, want %d", len(got), got, len(c.wants))
				}
				for i, w := range c.wants {
					g := got[i]
					if g.Rank != i+1 || g.Key != w.key || g.Found != w.found || g.Closed != w.closed || g.Overdue != w.overdue {
						t.Errorf("row %d = rank %d %s found %d closed %d overdue %d, want %s %d %d %d", i, g.Rank, g.Key, g.Found, g.Closed, g.Overdue, w.key, w.found, w.closed, w.overdue)
					}
					switch {
					case w.avg < 0 && g.AvgDays != nil:
						t.Errorf("%s avg days = %v, want none", g.Key, *g.AvgDays)
					case w.avg >= 0 && (g.AvgDays == nil || math.Abs(*g.AvgDays-w.avg) > 1e-3):
						t.Errorf("%s avg days = %v, want %v", g.Key, g.AvgDays, w.avg)
					}
					if w.found > 0 && math.Abs(g.Rate-float64(w.closed)/float64(w.found)) > 1e-9 {
						t.Errorf("%s rate = %v", g.Key, g.Rate)
					}
				}
			})
		}
		t.Run("grouping by sector is refused", func(t *testing.T) {
			err := s.InTx(ctx, func(tx *models.Tx) error {
				_, err := tx.Ranking(models.SummaryFilter{}, models.BySector)
				return err
			})
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("err = %v, want invalid", err)
			}
		})
	})
}
