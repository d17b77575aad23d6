package models_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// figuresOf counts, the slow way, the figures of the hazards whose found_on
// lies in [from, to] and that keep says to count.
func figuresOf(t *testing.T, s *models.Store, from, to models.Date, keep func(h *models.Hazard) bool) models.Figures {
	t.Helper()
	var list []models.Hazard
	if err := s.DB.Find(&list).Error; err != nil {
		t.Fatal(err)
	}
	today := models.DateOf(s.Now(), s.Loc)
	var f models.Figures
	for i := range list {
		h := &list[i]
		if h.FoundOn.Before(from) || h.FoundOn.After(to) || !keep(h) || !h.State.Found() {
			continue
		}
		f.Found++
		if h.State == models.StatePendingReview || h.State == models.StateClosed {
			f.Rectified++
		}
		if h.State == models.StateClosed {
			f.Closed++
		}
		if h.Overdue(today) {
			f.Overdue++
		}
	}
	return f
}

// Hazards found over four months, reported through both numbering paths
// (some fixed on the spot, 立查立改) and taken through every kind of change (assign to another county's unit,
// accept, submit, reject, pass, list, extension, withdraw): the summaries,
// read from the pre-aggregated counts, equal the figures counted hazard by
// hazard for periods of days, whole months and both, and the check finds
// nothing to report.
func TestCountsFollowEveryChange(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		maojian, zhangwan, gasco := unitID(t, s, "maojian"), unitID(t, s, "zhangwan"), unitID(t, s, "gasco")
		rng := rand.New(rand.NewPCG(7, 8))
		sectors := []string{"燃气", "消防", "建设", ""}
		var nums []models.Number
		for i := range 40 {
			found := models.NewDate(2023, 1, 1).AddDays(rng.IntN(110))
			in := models.HazardInput{Title: fmt.Sprintf("隐患%d", i), Sector: sectors[i%len(sectors)], InspectionDate: found}
			switch i % 3 {
			case 0:
				in.RegionID = maojian
			case 1:
				in.RegionID = zhangwan
			}
			if i%4 == 0 {
				in.UnitID, in.Deadline = gasco, found.AddDays(10+rng.IntN(30))
			}
			var h *models.Hazard
			err := s.InTx(ctx, func(tx *models.Tx) error {
				if i%2 == 1 {
					tx.DeferNumbers()
				}
				a, err := tx.Actor("zhangsan")
				if err != nil {
					return err
				}
				if i%5 == 2 { // 立查立改: reported and rectified at once
					h, _, _, err = tx.CreateFixedOnSpot(a, in, "已当场清理")
					return err
				}
				h, _, err = tx.CreateHazard(a, in)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			nums = append(nums, h.Num())
		}
		for i, n := range nums {
			clock.Set(day2023(4, 10))
			step := func(who string, action models.Action, c models.Change) {
				if _, err := act(s, who, n, action, c); err != nil {
					t.Fatalf("%s %s: %v", n, action, err)
				}
			}
			if i%5 == 2 { // fixed on the spot: waiting for review; some passed
				if i%3 == 0 {
					step("zhaoliu", models.ActPass, models.Change{})
				}
				continue
			}
			switch i % 7 {
			case 1: // assigned to the gas company, rectified, closed
				step("zhaoliu", models.ActAssign, models.Change{UnitID: gasco, Deadline: models.NewDate(2023, 4, 30)})
				step("lisi", models.ActAccept, models.Change{})
				step("lisi", models.ActSubmit, models.Change{Note: "已更换"})
				clock.Add(36 * 3600e9)
				step("zhaoliu", models.ActPass, models.Change{})
			case 2: // sent back once, then waiting for review
				step("zhaoliu", models.ActAssign, models.Change{UnitID: gasco, Deadline: models.NewDate(2023, 4, 20)})
				step("lisi", models.ActSubmit, models.Change{Note: "已整改"})
				step("zhaoliu", models.ActReject, models.Change{Note: "仍有隐患"})
				step("lisi", models.ActSubmit, models.Change{Note: "再次整改"})
			case 3:
				step("zhaoliu", models.ActWithdraw, models.Change{Note: "重复上报"})
			case 4: // listed, extended
				step("zhaoliu", models.ActAssign, models.Change{UnitID: gasco, Deadline: models.NewDate(2023, 4, 12)})
				step("zhaoliu", models.ActList, models.Change{Colour: models.ColourRed})
				step("lisi", models.ActRequestExtend, models.Change{Deadline: models.NewDate(2023, 5, 20), Note: "设备到货晚"})
				step("zhaoliu", models.ActApproveExtend, models.Change{})
			}
		}
		all := func(*models.Hazard) bool { return true }
		// Days pass (deadlines with them), and the clock may even go back:
		// the first summary of each day moves the counts to it.
		for _, day := range []time.Time{day2023(4, 11), day2023(5, 30), day2023(3, 2), day2023(4, 25)} {
			clock.Set(day)
			var got models.Figures
			if err := s.InTx(ctx, func(tx *models.Tx) error {
				var err error
				got, err = tx.Summary(models.SummaryFilter{})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if want := figuresOf(t, s, models.Date{}, models.NewDate(9999, 12, 31), all); got != want {
				t.Errorf("on %s: summary %+v, counted %+v", day.Format("01-02"), got, want)
			}
			if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
				t.Fatalf("check on %s: %v %v", day.Format("01-02"), diffs, err)
			}
		}
		in := func(id *uint) func(h *models.Hazard) bool {
			return func(h *models.Hazard) bool { return h.RegionID != nil && *h.RegionID == *id }
		}
		for _, p := range []struct{ name, from, to string }{
			{"days within a month", "2023-02-03", "2023-02-20"},
			{"whole months", "2023-01-01", "2023-03-31"},
			{"days, months and days", "2023-01-17", "2023-04-09"},
			{"a year", "2023-01-01", "2023-12-31"},
		} {
			from, _ := models.ParseDate(p.from)
			to, _ := models.ParseDate(p.to)
			f := models.SummaryFilter{From: from, To: to}
			var got models.Figures
			var byRegion []models.SummaryRow
			var scoped models.Figures
			err := s.InTx(ctx, func(tx *models.Tx) error {
				var err error
				if got, err = tx.Summary(f); err != nil {
					return err
				}
				if byRegion, err = tx.SummaryBy(f, models.ByRegion); err != nil {
					return err
				}
				sf := f
				sf.RegionID = zhangwan
				scoped, err = tx.Summary(sf)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := figuresOf(t, s, from, to, all); got != want {
				t.Errorf("%s: summary %+v, counted %+v", p.name, got, want)
			}
			if want := figuresOf(t, s, from, to, in(zhangwan)); scoped != want {
				t.Errorf("%s: 张湾 %+v, counted %+v", p.name, scoped, want)
			}
			for _, r := range byRegion {
				if r.Name == "茅箭区" {
					if want := figuresOf(t, s, from, to, in(maojian)); r.Figures != want {
						t.Errorf("%s: 茅箭 row %+v, counted %+v", p.name, r.Figures, want)
					}
				}
			}
			// A viewer's scope: its region, unit or committee lies in it.
			// Each grouping reads another level (region and unit for a
			// county by region or unit, every column by sector or for the
			// gas committee's scope), and each must give the same total.
			for _, code := range []string{"maojian", "zhangwan", "zwh_gas", "gasco"} {
				var scope *models.Unit
				var ids []uint
				totals := map[string]models.Figures{}
				err := s.InTx(ctx, func(tx *models.Tx) error {
					var err error
					if scope, err = tx.FindUnitByCode(code); err != nil {
						return err
					}
					if ids, err = tx.SubtreeIDs(scope); err != nil {
						return err
					}
					sf := f
					sf.Scope = scope
					if totals["summary"], err = tx.Summary(sf); err != nil {
						return err
					}
					for _, by := range []models.Grouping{models.ByRegion, models.BySector, models.ByUnit} {
						if totals[string(by)], _, err = tx.SummaryAndBy(sf, by); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				inScope := func(h *models.Hazard) bool {
					for _, p := range []*uint{h.RegionID, h.UnitID, h.CommitteeID} {
						if p != nil && slices.Contains(ids, *p) {
							return true
						}
					}
					return false
				}
				want := figuresOf(t, s, from, to, inScope)
				for k, got := range totals {
					if got != want {
						t.Errorf("%s, scope %s, %s: %+v, counted %+v", p.name, code, k, got, want)
					}
				}
			}
		}
		// CountHazards answers from the counts what they can answer; the
		// list it counts says the same.
		var scope *models.Unit
		if err := s.InTx(ctx, func(tx *models.Tx) error {
			var err error
			scope, err = tx.FindUnitByCode("maojian")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		from, to := models.NewDate(2023, 1, 17), models.NewDate(2023, 4, 9)
		for i, f := range []models.HazardFilter{
			{},
			{Scope: scope},
			{Scope: scope, Ledger: true, From: from, To: to},
			{Scope: scope, States: []models.State{models.StateRectifying}, Overdue: true},
			{Overdue: true},
			{RegionID: zhangwan, Sector: "燃气"},
			{UnitIDs: []uint{*gasco}, States: []models.State{models.StatePendingReview, models.StateClosed}},
			{States: []models.State{models.StateWithdrawn}, From: from},
			{Colour: models.ColourRed}, // from the hazards
		} {
			var n int64
			var list []models.Hazard
			err := s.InTx(ctx, func(tx *models.Tx) error {
				var err error
				if n, err = tx.CountHazards(f); err != nil {
					return err
				}
				list, err = tx.FindHazards(f)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(list)) || (i == 0 && n != 40) {
				t.Errorf("filter %d %+v: CountHazards %d, the list has %d", i, f, n, len(list))
			}
		}
	})
}

// A count row changed behind the ledger's back, one deleted and one added
// out of nothing are each reported by the check with what the hazards say,
// in the rolled-up levels too; a rebuild makes the check clean again.
func TestCheckCountsReportsACorruptedRow(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		in := gasLeak(s, t)
		report(t, s, "zhangsan", in)
		report(t, s, "zhangsan", in)
		in.InspectionDate = models.NewDate(2023, 2, 14)
		report(t, s, "zhangsan", in)
		if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("fresh ledger: %v %v", diffs, err)
		}
		for _, q := range []string{
			"UPDATE hazard_counts SET n = n + 5 WHERE agg = 0 AND grain = 'd' AND period = '2023-03-01'",
			"DELETE FROM hazard_counts WHERE agg = 0 AND grain = 'm' AND period = '2023-02-01'",
			"INSERT INTO hazard_counts (agg, grain, period, region_id, sector, state, unit_id, committee_id, campaign_id, n) VALUES (0, 'd', '2023-05-05', 0, '消防', 'closed', 0, 0, 0, 1)",
			"UPDATE hazard_counts SET n = n + 9 WHERE agg = 2 AND grain = 'm' AND period = '2023-03-01'",
			"DELETE FROM hazard_counts WHERE agg = 1 AND grain = 'd' AND period = '2023-02-14'",
		} {
			if err := s.DB.Exec(q).Error; err != nil {
				t.Fatal(err)
			}
		}
		diffs, err := s.CheckCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var text []string
		for _, d := range diffs {
			text = append(text, d.String())
		}
		got := strings.Join(text, "\n")
		if len(diffs) != 5 ||
			!strings.Contains(got, "level 0 d 2023-03-01") || !strings.Contains(got, "stored 7 (closed 0, 0s), hazards say 2") ||
			!strings.Contains(got, "level 0 m 2023-02-01") || !strings.Contains(got, "stored 0 (closed 0, 0s), hazards say 1") ||
			!strings.Contains(got, "level 0 d 2023-05-05") || !strings.Contains(got, "stored 1 (closed 0, 0s), hazards say 0") ||
			!strings.Contains(got, "level 2 m 2023-03-01") || !strings.Contains(got, "stored 11 (closed 0, 0s), hazards say 2") ||
			!strings.Contains(got, "level 1 d 2023-02-14") {
			t.Fatalf("check reported:\n%s", got)
		}
		if err := s.RebuildCounts(ctx); err != nil {
			t.Fatal(err)
		}
		if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("after rebuild: %v %v", diffs, err)
		}
	})
}

// A bulk move of hazards between units (what a unit merge does) followed by
// RecountUnits for both units leaves the counts exact.
func TestRecountUnitsAfterABulkMove(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		gasco, maojian := unitID(t, s, "gasco"), unitID(t, s, "maojian")
		in := gasLeak(s, t)
		in.UnitID, in.Deadline = gasco, models.NewDate(2023, 3, 20)
		for range 3 {
			report(t, s, "zhangsan", in)
		}
		err := s.InTx(ctx, func(tx *models.Tx) error {
			if err := tx.DB.Exec("UPDATE hazards SET unit_id = ? WHERE unit_id = ?", *maojian, *gasco).Error; err != nil {
				return err
			}
			return tx.RecountUnits(*gasco, *maojian)
		})
		if err != nil {
			t.Fatal(err)
		}
		if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("after the move: %v %v", diffs, err)
		}
		for agg := range 2 { // every column; region and unit
			var n int64
			s.DB.Raw("SELECT COALESCE(SUM(n), 0) FROM hazard_counts WHERE agg = ? AND grain = 'd' AND unit_id = ?", agg, *maojian).Scan(&n)
			if n != 3 {
				t.Fatalf("level %d: the receiving unit counts %d hazards, want 3", agg, n)
			}
		}
	})
}
