package bot_test

import (
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// An attacker outside the directory sends a one-shot report naming a unit:
// the report waits for the county's supervisor, and no assignment card
// goes to anyone.
func TestStrangerCannotAssignByReporting(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("mallory", "上报\n隐患：虚假隐患\n内容：随便写的\n行业：燃气\n单位：茅箭区安委会\n时限：3月5日", "请核对", "责任单位：茅箭区安委会")
		c.expect("mallory", "确认", "已登记，编号 YH2023-0001", "由督办员核实后交办")
		h := c.hazard("1")
		if h.State != models.StateReported || h.UnitID != nil {
			t.Fatalf("stranger's report: state %s unit %v, want 待交办 with no unit", h.State, h.UnitID)
		}
		for _, m := range c.outbox() {
			if m.Kind == bot.OutCard {
				t.Fatalf("a card went out for a stranger's report: %+v", m)
			}
		}
		msgs := c.to("wangwu")
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "新上报隐患待交办：YH2023-0001") || !strings.Contains(msgs[0].Text, "上报人所指责任单位：茅箭区安委会") {
			t.Fatalf("茅箭's supervisor was told %+v", msgs)
		}
		if len(c.to("zhouba")) != 0 || len(c.to("zhengshiyi")) != 0 {
			t.Fatal("someone other than the county's supervisor was told")
		}
		// It does not count for the unit: 茅箭's ranking and mine see no
		// assigned item.
		c.expect("qianjiu", "我的", "没有待办")
		// The supervisor assigns it within the county; another county's
		// unit is refused.
		c.expect("wangwu", "交办 1 张湾区应急管理局 3月20日", "不在你单位（茅箭区）的管辖范围内")
		c.expect("wangwu", "交办 1 茅箭区应急管理局 3月20日", "已交办")
		if h := c.hazard("1"); h.State != models.StateRectifying {
			t.Fatalf("after assignment: %s", h.State)
		}
	})
}
