package models_test

import (
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// fileTip files a public tip from a WeChat follower in region, as the bot
// does: a hazard with Tip set and its receipt.
func fileTip(t *testing.T, s *models.Store, openid string, region *uint, title string) (*models.Hazard, *models.Tip) {
	t.Helper()
	var h *models.Hazard
	var tip *models.Tip
	err := s.InTx(ctx, func(tx *models.Tx) error {
		a, err := tx.Actor(models.WeChatUserID(openid))
		if err != nil {
			return err
		}
		if h, _, err = tx.CreateHazard(a, models.HazardInput{Title: "群众举报：" + title, Description: title, RegionID: region, Tip: true}); err != nil {
			return err
		}
		tip, err = tx.CreateTip(a.UserID, h)
		return err
	})
	if err != nil {
		t.Fatalf("tip: %v", err)
	}
	return h, tip
}

// figures reads the summary, the 茅箭 row of the region breakdown and of the
// ranking, and the ledger's row count, all for the whole time.
func figures(t *testing.T, s *models.Store) (sum, region, rank models.Figures, ledger int64) {
	t.Helper()
	maojian := unitID(t, s, "maojian")
	err := s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		if sum, err = tx.Summary(models.SummaryFilter{}); err != nil {
			return err
		}
		rows, err := tx.SummaryBy(models.SummaryFilter{}, models.ByRegion)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Name == "茅箭区" {
				region = r.Figures
			}
		}
		ranks, err := tx.Ranking(models.SummaryFilter{RegionID: maojian}, models.ByRegion)
		if err != nil {
			return err
		}
		for _, r := range ranks {
			if r.Name == "茅箭区" {
				rank = r.Figures
			}
		}
		ledger, err = tx.CountHazards(models.HazardFilter{Ledger: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, region, rank, ledger
}

func checkCounts(t *testing.T, s *models.Store) {
	t.Helper()
	if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
		t.Fatalf("check-counts: %v %v", diffs, err)
	}
}

// A public tip waits as 待核实, its own state: no figure, ledger row or
// ranking counts it until a supervisor assigns it (then it counts like any
// report); one closed as 不属实 never counts. Only a supervisor in scope
// may close it, only with an outcome and a reason, and only while it is
// unverified; the pre-aggregated counts agree with the hazards throughout.
func TestTipIsUnverifiedUntilAssigned(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		maojian, gasco := unitID(t, s, "maojian"), unitID(t, s, "gasco")
		report(t, s, "zhangsan", gasLeak(s, t))
		h, tip := fileTip(t, s, "oCitizen", maojian, "商场消防通道被货物堵死")
		if h.State != models.StateUnverified || h.UnitID != nil || tip.Receipt() != "JB2023-0001" {
			t.Fatalf("tip hazard %s %v, receipt %s", h.State, h.UnitID, tip.Receipt())
		}
		one := models.Figures{Found: 1}
		if sum, region, rank, ledger := figures(t, s); sum != one || region != one || rank != one || ledger != 1 {
			t.Fatalf("with an unverified tip: summary %+v, region %+v, ranking %+v, ledger rows %d; want the one report only", sum, region, rank, ledger)
		}
		err := s.InTx(ctx, func(tx *models.Tx) error {
			sup, err := tx.Actor("wangwu")
			if err != nil {
				return err
			}
			list, err := tx.FindHazards(models.HazardFilter{Viewer: sup, States: []models.State{models.StateUnverified}})
			if err != nil {
				return err
			}
			if len(list) != 1 || list[0].ID != h.ID {
				t.Errorf("the supervisor's 待核实 list: %+v", list)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkCounts(t, s)

		refusals := []struct {
			name, who string
			action    models.Action
			c         models.Change
			code      string
		}{
			{"a contact may not dismiss", "lisi", models.ActDismiss, models.Change{Note: models.DismissNote(models.TipFalse, "无")}, models.EForbidden},
			{"another county may not dismiss", "zwsup", models.ActDismiss, models.Change{Note: models.DismissNote(models.TipFalse, "无")}, models.EForbidden},
			{"dismiss needs an outcome", "wangwu", models.ActDismiss, models.Change{Note: "现场没有"}, models.EInvalid},
			{"dismiss needs a reason", "wangwu", models.ActDismiss, models.Change{Note: models.DismissNote(models.TipHandled, " ")}, models.EInvalid},
			{"nothing to submit before 交办", "wangwu", models.ActSubmit, models.Change{Note: "已清理"}, models.EConflict},
			{"no listing before 交办", "wangwu", models.ActList, models.Change{Colour: models.ColourRed}, models.EConflict},
		}
		for _, r := range refusals {
			if _, err := act(s, r.who, h.Num(), r.action, r.c); models.ErrorCode(err) != r.code {
				t.Errorf("%s: %v, want %s", r.name, err, r.code)
			}
		}

		r, err := act(s, "wangwu", h.Num(), models.ActAssign, models.Change{UnitID: gasco, Deadline: models.NewDate(2023, 3, 20)})
		if err != nil {
			t.Fatal(err)
		}
		if r.From != models.StateUnverified || r.Hazard.State != models.StateRectifying || r.Event.FromState != models.StateUnverified {
			t.Fatalf("assign: %s → %s", r.From, r.Hazard.State)
		}
		two := models.Figures{Found: 2}
		if sum, region, rank, ledger := figures(t, s); sum != two || region != two || rank != two || ledger != 2 {
			t.Fatalf("after 交办: summary %+v, region %+v, ranking %+v, ledger rows %d; want both", sum, region, rank, ledger)
		}
		if _, err := act(s, "wangwu", h.Num(), models.ActDismiss, models.Change{Note: models.DismissNote(models.TipFalse, "迟了")}); models.ErrorCode(err) != models.EConflict {
			t.Fatalf("dismiss an assigned tip: %v", err)
		}

		h2, _ := fileTip(t, s, "oCitizen", maojian, "楼道私拉电线")
		r, err = act(s, "wangwu", h2.Num(), models.ActDismiss, models.Change{Note: models.DismissNote(models.TipFalse, "现场核查无此情况")})
		if err != nil {
			t.Fatal(err)
		}
		if out, why, ok := models.ParseDismissNote(r.Event.Note); r.Hazard.State != models.StateWithdrawn || !ok || out != models.TipFalse || why != "现场核查无此情况" {
			t.Fatalf("dismissed: %s, note %q", r.Hazard.State, r.Event.Note)
		}
		if sum, _, _, ledger := figures(t, s); sum != two || ledger != 2 {
			t.Fatalf("a tip closed as 不属实 counts: summary %+v, ledger rows %d", sum, ledger)
		}
		if _, err := act(s, "wangwu", h2.Num(), models.ActDismiss, models.Change{Note: models.DismissNote(models.TipHandled, "再来")}); models.ErrorCode(err) != models.EConflict {
			t.Fatalf("dismiss twice: %v", err)
		}
		checkCounts(t, s)
	})
}

// Tips filed before 待核实 was a state (待交办 hazards with a tips row) are
// moved to it by migration 73, the counts rebuilt to match; an assigned tip
// and an ordinary report stay as they were.
func TestMigrationMovesOldTipsToUnverified(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		maojian, gasco := unitID(t, s, "maojian"), unitID(t, s, "gasco")
		plain := report(t, s, "zhangsan", gasLeak(s, t))
		old, _ := fileTip(t, s, "oOld", maojian, "饭店后厨钢瓶无减压阀")
		assigned, _ := fileTip(t, s, "oOld", maojian, "加油站卸油口无静电接地")
		if _, err := act(s, "wangwu", assigned.Num(), models.ActAssign, models.Change{UnitID: gasco, Deadline: models.NewDate(2023, 3, 20)}); err != nil {
			t.Fatal(err)
		}
		// The old shape: a tip was a 待交办 hazard, counted as found.
		if err := s.DB.Exec("UPDATE hazards SET state = 'reported' WHERE id = ?", old.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.RebuildCounts(ctx); err != nil {
			t.Fatal(err)
		}
		if sum, _, _, _ := figures(t, s); sum.Found != 3 {
			t.Fatalf("old shape counts %+v", sum)
		}
		// 73 runs again, and 86 after it as on an old database (73 rebuilds
		// level 0 of the counts; 86 rolls levels 1 and 2 up from it).
		if err := s.DB.Exec("DELETE FROM schema_migrations WHERE version IN (73, 86)").Error; err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		want := map[uint]models.State{plain.ID: models.StateReported, old.ID: models.StateUnverified, assigned.ID: models.StateRectifying}
		for id, st := range want {
			var h models.Hazard
			if err := s.DB.First(&h, id).Error; err != nil {
				t.Fatal(err)
			}
			if h.State != st {
				t.Errorf("hazard %s: %s, want %s", h.Number, h.State, st)
			}
		}
		if sum, _, _, ledger := figures(t, s); sum.Found != 2 || ledger != 2 {
			t.Fatalf("after the migration: summary %+v, ledger rows %d", sum, ledger)
		}
		checkCounts(t, s)
	})
}
