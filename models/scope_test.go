package models_test

import (
	"strconv"
	"strings"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// An attacker outside the directory names a unit in a report: the report
// waits for the county's supervisor and assigns nothing.
func TestStrangersReportButAssignNothing(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		// lisi is deactivated: as good as a stranger.
		if err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.DeactivateUser("lisi"); return err }); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"mallory", "lisi"} {
			t.Run(who, func(t *testing.T) {
				in := gasLeak(s, t)
				in.RegionID = nil
				in.UnitID = unitID(t, s, "gasco")
				in.Deadline = models.NewDate(2023, 3, 20)
				h := report(t, s, who, in)
				if h.State != models.StateReported || h.UnitID != nil {
					t.Fatalf("state %s, unit %v: want reported (待交办) with no unit", h.State, h.UnitID)
				}
				if h.RegionID == nil || *h.RegionID != *unitID(t, s, "maojian") {
					t.Fatalf("region = %v, want the named unit's county, so its supervisor sees it", h.RegionID)
				}
				var evs []models.Event
				s.InTx(ctx, func(tx *models.Tx) error { evs, _ = tx.Events(h.ID, 0); return nil })
				if len(evs) != 1 || !strings.Contains(evs[0].Note, "十堰示例燃气有限公司") {
					t.Fatalf("events %+v: want one report event naming the unit the reporter gave", evs)
				}
				// The county supervisor then assigns it as usual.
				if _, err := act(s, "wangwu", h.Num(), models.ActAssign, models.Change{UnitID: unitID(t, s, "gasco")}); err != nil {
					t.Fatalf("the county supervisor assigns the stranger's report: %v", err)
				}
			})
		}
	})
}

// A user whose unit was deactivated is a stranger too.
func TestDeactivatedUnitMakesItsUsersStrangers(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		if a := actor(t, s, "zwsup"); !a.Has(models.RoleSupervisor) {
			t.Fatalf("zwsup before: %+v", a)
		}
		if err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.DeactivateUnit("zhangwan"); return err }); err != nil {
			t.Fatal(err)
		}
		if a := actor(t, s, "zwsup"); a.Known() || a.Has(models.RoleSupervisor) {
			t.Fatalf("zwsup of a deactivated unit still acts as %+v", a)
		}
	})
}

func TestAssignTargetMustLieInTheAssignersScope(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		h := report(t, s, "zhangsan", gasLeak(s, t)) // 茅箭, 燃气, 待交办
		change := func(code string) models.Change {
			return models.Change{UnitID: unitID(t, s, code), Deadline: models.NewDate(2023, 3, 31)}
		}
		// 茅箭's supervisor cannot hand 茅箭's hazard to 张湾's bureau
		// (which would give 张湾 the hazard and its ranking).
		_, err := act(s, "wangwu", h.Num(), models.ActAssign, change("zw_ajj"))
		if models.ErrorCode(err) != models.EForbidden || !strings.Contains(models.ErrorMessage(err), "张湾区应急管理局不在你单位（茅箭区）的管辖范围内") {
			t.Fatalf("county supervisor assigning outside the county: err = %v", err)
		}
		if got := reload(t, s, h); got.UnitID != nil || got.State != models.StateReported || got.Version != h.Version {
			t.Fatalf("a refused assignment changed the hazard: %+v", got)
		}
		if _, err := act(s, "wangwu", h.Num(), models.ActAssign, change("gasco")); err != nil {
			t.Fatalf("county supervisor assigning inside the county: %v", err)
		}
		// City-level roles are excepted: the city and the gas committee
		// reassign anywhere.
		for _, who := range []string{"zhaoliu", "gassup"} {
			if _, err := act(s, who, h.Num(), models.ActAssign, change("zw_ajj")); err != nil {
				t.Fatalf("%s assigning across counties: %v", who, err)
			}
		}
	})
}

func reload(t *testing.T, s *models.Store, h *models.Hazard) *models.Hazard {
	t.Helper()
	var got *models.Hazard
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		got, err = tx.FindHazardByNumber(h.Num())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// A careless admin renames a county without its parent, posts a county's
// file alone, or a file with several roots.
func TestCarelessDirectoryEditsNeverMakeACityWideUnit(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		h := report(t, s, "zhangsan", gasLeak(s, t)) // in 茅箭
		save := func(spec models.UnitSpec) (*models.Unit, error) {
			var u *models.Unit
			err := s.InTx(ctx, func(tx *models.Tx) error {
				var err error
				u, err = tx.SaveUnit(spec)
				return err
			})
			return u, err
		}
		// A rename that omits the parent keeps it.
		u, err := save(models.UnitSpec{Code: "zhangwan", Name: "张湾区安全生产委员会", Kind: models.KindRegion})
		if err != nil {
			t.Fatal(err)
		}
		if u.ParentID == nil || *u.ParentID != *unitID(t, s, "shiyan") || s.CityWide(u) {
			t.Fatalf("renamed 张湾: parent %v, city-wide %v", u.ParentID, s.CityWide(u))
		}
		if _, err := act(s, "zwsup", h.Num(), models.ActWithdraw, models.Change{Note: "x"}); models.ErrorCode(err) != models.EForbidden {
			t.Fatalf("张湾's supervisor after the rename acts on 茅箭's hazard: err = %v", err)
		}
		// A new unit of any kind but committee needs a parent.
		_, err = save(models.UnitSpec{Code: "newcounty", Name: "新县安委会", Kind: models.KindRegion})
		if models.ErrorCode(err) != models.EInvalid || !strings.Contains(models.ErrorMessage(err), "需要上级单位") {
			t.Fatalf("a parentless county: err = %v", err)
		}
		// A file of two counties side by side (no city above) is refused
		// whole; a file of one county updates it in place.
		two := models.DirectoryInput{Units: []models.UnitSpec{
			{Code: "maojian", Name: "茅箭区安委会", Kind: models.KindRegion},
			{Code: "zhangwan", Name: "张湾区安委会", Kind: models.KindRegion},
		}}
		err = s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(two); return err })
		if models.ErrorCode(err) != models.EInvalid || !strings.Contains(models.ErrorMessage(err), "2 个最上级单位") {
			t.Fatalf("two roots: err = %v", err)
		}
		if got := unitByCode(t, s, "zhangwan"); got.Name != "张湾区安全生产委员会" {
			t.Fatalf("a refused file changed 张湾: %+v", got)
		}
		one := models.DirectoryInput{Units: []models.UnitSpec{
			{Code: "zhangwan", Name: "张湾区安委会", Kind: models.KindRegion},
			{Code: "zw_town", Name: "花果街道", Kind: models.KindTown, Parent: "zhangwan"},
		}}
		if err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(one); return err }); err != nil {
			t.Fatalf("one county's file: %v", err)
		}
		if got := unitByCode(t, s, "zhangwan"); got.ParentID == nil || got.Name != "张湾区安委会" {
			t.Fatalf("张湾 after its own file: %+v", got)
		}
		// Two committees side by side are two cities: allowed.
		cities := models.DirectoryInput{Units: []models.UnitSpec{
			{Code: "shiyan", Name: "十堰市安委会", Kind: models.KindCommittee},
			{Code: "xiangyang", Name: "襄阳市安委会", Kind: models.KindCommittee},
		}}
		if err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(cities); return err }); err != nil {
			t.Fatalf("two committees: %v", err)
		}
	})
}

// A parentless unit left over from before (not a committee) has only its
// own subtree as scope.
func TestStrayRootIsNotCityWide(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		h := report(t, s, "zhangsan", gasLeak(s, t)) // in 茅箭
		if err := s.DB.Exec("UPDATE units SET parent_id = NULL, path = ? WHERE code = ?", "/"+uintStr(*unitID(t, s, "zhangwan"))+"/", "zhangwan").Error; err != nil {
			t.Fatal(err)
		}
		if _, err := act(s, "zwsup", h.Num(), models.ActList, models.Change{Colour: models.ColourRed}); models.ErrorCode(err) != models.EForbidden {
			t.Fatalf("a stray root's supervisor lists another county's hazard: err = %v", err)
		}
		if _, err := act(s, "zhaoliu", h.Num(), models.ActList, models.Change{Colour: models.ColourRed}); err != nil {
			t.Fatalf("the city committee: %v", err)
		}
	})
}

func unitByCode(t *testing.T, s *models.Store, code string) *models.Unit {
	t.Helper()
	var u *models.Unit
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		u, err = tx.FindUnitByCode(code)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

func uintStr(n uint) string { return strconv.FormatUint(uint64(n), 10) }

// A county that runs hazardbot on its own sets directory.top_kind: region.
// Its parentless county is then the whole scope (its supervisor sees and
// assigns everything, and answers when nobody else does), a parentless
// committee is the stray, and unit writes and directory files follow the
// setting, not the built-in committee.
func TestTopKindIsConfigurable(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		s.TopKind = models.KindRegion
		s.Now = modelstest.NewClock(day2023(3, 1)).Now
		county := models.DirectoryInput{
			Units: []models.UnitSpec{
				{Code: "maojian", Name: "茅箭区安委会", Kind: models.KindRegion},
				{Code: "gasco", Name: "十堰示例燃气有限公司", Kind: models.KindEnterprise, Parent: "maojian"},
				{Code: "mj_town", Name: "武当路街道办事处", Kind: models.KindTown, Parent: "maojian"},
				{Code: "mj_shop", Name: "示例商铺", Kind: models.KindEnterprise, Parent: "mj_town"},
			},
			Users: []models.UserSpec{
				{UserID: "wangwu", Name: "王五", Unit: "maojian", Roles: []string{"supervisor"}},
				{UserID: "townsup", Name: "街道督办", Unit: "mj_town", Roles: []string{"supervisor"}},
				{UserID: "zhangsan", Name: "张三", Unit: "mj_town", Roles: []string{"inspector"}},
			},
		}
		if err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(county); return err }); err != nil {
			t.Fatalf("a county's own directory under top_kind region: %v", err)
		}
		mj := unitByCode(t, s, "maojian")
		if !s.CityWide(mj) || s.CityWide(unitByCode(t, s, "mj_town")) {
			t.Fatal("under top_kind region the parentless county must be the whole scope, and only it")
		}
		var roots []models.Unit
		s.InTx(ctx, func(tx *models.Tx) error { roots, _ = tx.RootUnits(); return nil })
		if len(roots) != 1 || roots[0].Code != "maojian" {
			t.Fatalf("root units %+v, want the county", roots)
		}
		// The town's inspector reports in the town; the county's
		// supervisor (whole scope) assigns it to an enterprise outside
		// the town, which the town's supervisor could not.
		h := report(t, s, "zhangsan", models.HazardInput{Title: "燃气泄漏", Sector: "燃气"})
		change := models.Change{UnitID: unitID(t, s, "gasco"), Deadline: models.NewDate(2023, 3, 31)}
		if _, err := act(s, "townsup", h.Num(), models.ActAssign, change); models.ErrorCode(err) != models.EForbidden {
			t.Fatalf("the town's supervisor assigning outside the town: err = %v", err)
		}
		if _, err := act(s, "wangwu", h.Num(), models.ActAssign, change); err != nil {
			t.Fatalf("the county's supervisor, top of the tree: %v", err)
		}
		// Nobody supervises the hazard's own units: the top answers.
		var who models.Answerers
		assigned := reload(t, s, h)
		s.InTx(ctx, func(tx *models.Tx) error { who, _ = models.WhoAnswers(tx, assigned); return nil })
		if len(who.Supervisors) != 1 || who.Supervisors[0] != "wangwu" {
			t.Fatalf("who answers: %+v, want the county's supervisor", who)
		}
		// Unit writes: a parentless committee is now the one refused.
		err := s.InTx(ctx, func(tx *models.Tx) error {
			_, err := tx.SaveUnit(models.UnitSpec{Code: "city", Name: "十堰市安委会", Kind: models.KindCommittee})
			return err
		})
		if models.ErrorCode(err) != models.EInvalid || !strings.Contains(models.ErrorMessage(err), "只有县市区（region）可以没有上级") {
			t.Fatalf("a parentless committee under top_kind region: err = %v", err)
		}
		// A file of a county beside a committee is refused; two counties
		// side by side are two deployments' tops, as two cities are.
		mixed := models.DirectoryInput{Units: []models.UnitSpec{
			{Code: "maojian", Name: "茅箭区安委会", Kind: models.KindRegion},
			{Code: "city", Name: "十堰市安委会", Kind: models.KindCommittee},
		}}
		err = s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(mixed); return err })
		if models.ErrorCode(err) != models.EInvalid || !strings.Contains(models.ErrorMessage(err), "city 不是县市区（region）") {
			t.Fatalf("a committee beside the county: err = %v", err)
		}
		two := models.DirectoryInput{Units: []models.UnitSpec{
			{Code: "maojian", Name: "茅箭区安委会", Kind: models.KindRegion},
			{Code: "zhangwan", Name: "张湾区安委会", Kind: models.KindRegion},
		}}
		if err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(two); return err }); err != nil {
			t.Fatalf("two counties under top_kind region: %v", err)
		}
	})
}

// Naming a unit in a report is an implicit 交办, held to the scope rule 交办
// uses: 茅箭's inspector naming 张湾's bureau (by id, or a name the
// directory lacks under 张湾) assigns nothing and creates no unit; the
// report waits for 张湾's supervisor. A unit in scope, a city-level
// reporter and an import keep the unit.
func TestReportNamingAUnitOutsideTheScopeWaits(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		deadline := models.NewDate(2023, 3, 20)
		in := models.HazardInput{Title: "罐区无防火堤", Sector: "其他", UnitID: unitID(t, s, "zw_ajj"), Deadline: deadline}
		h := report(t, s, "zhangsan", in)
		if h.State != models.StateReported || h.UnitID != nil || h.NamedUnit != "张湾区应急管理局" {
			t.Fatalf("out of scope: state %s unit %v named %q, want 待交办, no unit, the unit named", h.State, h.UnitID, h.NamedUnit)
		}
		if h.RegionID == nil || *h.RegionID != *unitID(t, s, "zhangwan") {
			t.Fatalf("region %v, want the named unit's county", h.RegionID)
		}
		var who models.Answerers
		s.InTx(ctx, func(tx *models.Tx) error { who, _ = models.WhoAnswers(tx, h); return nil })
		if len(who.Supervisors) != 1 || who.Supervisors[0] != "zwsup" || len(who.SupervisorUnits) != 1 || who.SupervisorUnits[0] != *unitID(t, s, "zhangwan") {
			t.Fatalf("who answers: %+v, want 张湾's supervisor", who)
		}
		// The reporter still sees their report.
		if !canSee(t, s, "zhangsan", h) {
			t.Fatal("the reporter cannot see their report")
		}

		// A name the directory lacks, under a county outside the scope:
		// no unverified unit is created there.
		var before int64
		s.DB.Model(&models.Unit{}).Count(&before)
		h = report(t, s, "zhangsan", models.HazardInput{Title: "新企业隐患", RegionID: unitID(t, s, "zhangwan"), UnitName: "张湾某新建物流园", Deadline: deadline})
		var after int64
		s.DB.Model(&models.Unit{}).Count(&after)
		if h.State != models.StateReported || h.UnitID != nil || h.NamedUnit != "张湾某新建物流园" || after != before {
			t.Fatalf("an unknown name in another county: state %s unit %v named %q, units %d → %d", h.State, h.UnitID, h.NamedUnit, before, after)
		}

		for _, c := range []struct {
			name, who string
			in        models.HazardInput
		}{
			{"a unit in the reporter's scope", "zhangsan", models.HazardInput{Title: "燃气阀门锈蚀", Sector: "燃气", UnitID: unitID(t, s, "gasco"), Deadline: deadline}},
			{"a city-level reporter (a special committee)", "gassup", models.HazardInput{Title: "加油站静电接地", Sector: "燃气", UnitID: unitID(t, s, "zw_ajj"), Deadline: deadline}},
			{"the city's supervisor", "zhaoliu", models.HazardInput{Title: "仓库堆垛过高", UnitID: unitID(t, s, "zw_ajj"), Deadline: deadline}},
			// An import is an admin's record of assignments made before
			// (see prepareHazard): whoever imports, the unit stays.
			{"an import", "zhangsan", models.HazardInput{Title: "台账旧隐患", UnitID: unitID(t, s, "zw_ajj"), Deadline: deadline, State: models.StateRectifying}},
		} {
			t.Run(c.name, func(t *testing.T) {
				h := report(t, s, c.who, c.in)
				if h.State != models.StateRectifying || h.UnitID == nil || *h.UnitID != *c.in.UnitID || h.NamedUnit != "" {
					t.Fatalf("state %s unit %v named %q, want 整改中 with the unit", h.State, h.UnitID, h.NamedUnit)
				}
			})
		}
	})
}

func canSee(t *testing.T, s *models.Store, who string, h *models.Hazard) bool {
	t.Helper()
	var ok bool
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		a, err := tx.Actor(who)
		if err != nil {
			return err
		}
		ok, err = tx.CanSee(a, h)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ok
}
