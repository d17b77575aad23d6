package bot_test

import (
	"strings"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// unitOf loads the responsible unit of a hazard.
func (c *chat) unitOf(h *models.Hazard) *models.Unit {
	c.t.Helper()
	if h.UnitID == nil {
		c.t.Fatalf("hazard %s has no unit", h.Number)
	}
	var u *models.Unit
	if err := c.s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		u, err = tx.FindUnit(*h.UnitID)
		return err
	}); err != nil {
		c.t.Fatal(err)
	}
	return u
}

// TestReportNamingAnUnknownEnterprise: an inspector names the restaurant he
// just inspected; it is not in the directory, so it is created, unverified,
// under the county, and the hazard is assigned to it at once.
func TestReportNamingAnUnknownEnterprise(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报\n隐患：后厨燃气软管老化\n内容：灶台燃气软管开裂，未装报警器\n区域：茅箭区\n行业：燃气\n单位：人民南路饭店\n时限：3月10日",
			"请核对", "责任单位：人民南路饭店（通讯录里没有，将新建，待核实）")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001", "已交办人民南路饭店")
		h := c.hazard("1")
		u := c.unitOf(h)
		if h.State != models.StateRectifying || !u.Unverified || u.Kind != models.KindEnterprise || u.Name != "人民南路饭店" {
			t.Fatalf("hazard %+v, unit %+v", h, u)
		}
		if h.RegionID == nil || h.InspectionDate != models.NewDate(2023, 3, 1) {
			t.Fatalf("hazard region %v, inspection date %v; want 茅箭区 and the report day", h.RegionID, h.InspectionDate)
		}
		// Named again, by another inspector, it is the same unit.
		c.expect("zhangsan", "上报\n隐患：消防通道堵塞\n内容：后门堆放杂物\n区域：茅箭区\n行业：消防\n单位：人民南路饭店 \n时限：3月12日", "请核对")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0002")
		if got := c.unitOf(c.hazard("2")); got.ID != u.ID {
			t.Fatalf("second report made another unit %+v", got)
		}
		// The county supervisor sees it among 我的.
		c.expect("wangwu", "我的", "新增单位待核实（1个）", "人民南路饭店（企业）")
		c.expect("zhengshiyi", "我的") // another county's supervisor does not
		if got := c.say("zhengshiyi", "我的"); strings.Contains(got, "人民南路饭店") {
			t.Fatalf("张湾区 supervisor sees 茅箭区's new unit: %s", got)
		}

		// 交办 to a department nobody typed in, with the measures required.
		c.expect("zhangsan", "上报\n隐患：人行道占道经营\n内容：摊位占用盲道\n区域：茅箭区\n行业：其他\n单位：待定\n时限：3月20日", "请核对")
		c.expect("zhangsan", "确认", "YH2023-0003")
		c.expect("wangwu", "交办 3 茅箭区城市管理执法局 3月20日 清理占道摊位并设置隔离桩", "已交办 YH2023-0003")
		h3 := c.hazard("3")
		if u3 := c.unitOf(h3); !u3.Unverified || u3.Kind != models.KindDepartment || h3.Measures != "清理占道摊位并设置隔离桩" {
			t.Fatalf("assigned hazard %+v to unit %+v", h3, u3)
		}
		// The unit's submission is 整改情况; 整改措施 stays.
		c.expect("wangwu", "整改 3 已完成", "YH2023-0003")
		h3 = c.hazard("3")
		if h3.Measures != "清理占道摊位并设置隔离桩" || h3.Rectification != "已完成" {
			t.Fatalf("after submission measures %q rectification %q", h3.Measures, h3.Rectification)
		}
		c.expect("wangwu", "查询 3", "整改措施：清理占道摊位并设置隔离桩", "整改情况：已完成")

		// Close names are suggested once; the same name again is a new unit.
		c.expect("zhangsan", "上报\n隐患：配电箱未接地\n内容：配电箱无接地线\n区域：茅箭区\n行业：工贸\n单位：应急局\n时限：3月20日",
			"通讯录里没有责任单位“应急局”，最接近的是", "茅箭区应急管理局")
		c.expect("zhangsan", "应急局", "请核对", "应急局（通讯录里没有，将新建，待核实）")
	})
}

// TestAssignReplyNamesTheUnit: a supervisor types the unit the way he says
// it. The confirmation names the unit the hazard went to, and says so when
// the name matched nothing and a new unverified unit was made, so that a
// slip is seen at once rather than in next week's ledger.
func TestAssignReplyNamesTheUnit(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报\n隐患：消防通道堵塞\n内容：楼道堆放杂物\n区域：茅箭区\n行业：消防\n单位：待定\n时限：3月20日", "请核对")
		c.expect("zhangsan", "确认", "YH2023-0001")
		c.expect("wangwu", "交办 1 茅箭区应急管理局 3月20日", "已交办 YH2023-0001，整改时限2023年3月20日", "责任单位茅箭区应急管理局")
		got := c.expect("wangwu", "交办 1 茅箭应急站 3月20日", "已交办 YH2023-0001", "茅箭应急站", "通讯录里没有，已新建", "待管理员核实")
		if strings.Contains(got, "已通知责任单位茅箭区应急管理局") {
			t.Fatalf("reply names the old unit: %s", got)
		}
	})
}

// TestDateAnsweredToTheUnitQuestionIsNoUnit: asked for the responsible
// unit, the officer types the deadline. A date is never a unit: with no
// deadline yet it becomes the deadline and the unit is asked again; with
// one, the unit is asked again saying a name is needed.
func TestDateAnsweredToTheUnitQuestionIsNoUnit(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "配电箱未接地", "请填写隐患内容")
		c.expect("zhangsan", "配电箱外壳无接地线", "请填写县市区")
		c.expect("zhangsan", "茅箭区", "请填写行业领域")
		c.expect("zhangsan", "工贸", "请填写检查的企业或场所")
		c.expect("zhangsan", "跳过", "是否已当场整改")
		c.expect("zhangsan", "否", "请填写责任单位")
		c.expect("zhangsan", "应急局", "最接近的是", "茅箭区应急管理局")
		c.expect("zhangsan", "15天", "整改时限：2023年3月16日", "请填写责任单位")
		for _, date := range []string{"下周五", "3月31日", "15天"} {
			got := c.expect("zhangsan", date, "是日期", "请填写责任单位")
			if strings.Contains(got, "请核对") {
				t.Fatalf("%s taken as the unit: %s", date, got)
			}
		}
		c.expect("zhangsan", "修改 单位 3月31日", "是日期", "请填写责任单位")
		c.expect("zhangsan", "茅箭区应急管理局", "请核对", "责任单位：茅箭区应急管理局", "整改时限：2023年3月16日")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001")
		if got := c.say("wangwu", "我的"); strings.Contains(got, "新增单位待核实") {
			t.Fatalf("a date became a unit: %s", got)
		}
	})
}

// TestDateAsUnitBesideADeadlineLine: a one-shot report whose 单位 line is a
// date and whose 时限 line is another is told the unit is missing.
func TestDateAsUnitBesideADeadlineLine(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		got := c.expect("zhangsan", "上报\n隐患：配电箱未接地\n内容：配电箱无接地线\n区域：茅箭区\n行业：工贸\n单位：15天\n时限：3月31日",
			"“15天”是日期", "请填写责任单位")
		if strings.Contains(got, "3月16日") {
			t.Fatalf("15天 became the deadline: %s", got)
		}
		c.expect("zhangsan", "待定", "请核对", "整改时限：2023年3月31日")
	})
}

// TestCountyAfterCityNameInChat: 区域 and 单位 written with the city's name
// first (十堰市茅箭区) find the county and its department in chat, by the
// rule the import and the API match names by.
func TestCountyAfterCityNameInChat(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.say("wangwu", "上报\n隐患：消防通道堵塞\n内容：楼道堆放杂物\n区域：十堰市茅箭区\n行业：消防\n单位：十堰市茅箭区应急管理局\n时限：3月20日")
		c.expect("wangwu", "确认", "YH2023-0001")
		h := c.hazard("YH2023-0001")
		if u := c.unitOf(h); u.Code != "maojian_yjj" || h.RegionID == nil {
			t.Fatalf("hazard = %+v, unit %s", h, u.Code)
		}
		var region *models.Unit
		s.InTx(ctx, func(tx *models.Tx) error {
			var err error
			region, err = tx.FindUnit(*h.RegionID)
			return err
		})
		if region == nil || region.Code != "maojian" {
			t.Errorf("region = %+v", region)
		}
	})
}
