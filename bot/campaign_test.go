package bot_test

import (
	"strings"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestCampaignReportsInChat(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s) // 1 March 2023: the plan is due 3月2日
		// A bare 报送 records the earliest report owed: February's monthly
		// update, a day late; the plan is named.
		c.expect("wangwu", "报送", "已登记：茅箭区 已报送《2023年安全生产春季攻势》月报动态更新（2月28日截止，逾期1天）")
		c.expect("wangwu", "报送 工作方案", "已登记：茅箭区 已报送《2023年安全生产春季攻势》工作方案报送市安委办（3月2日截止）")
		c.expect("wangwu", "报送 工作方案", "已于3月1日登记过")
		c.expect("fengshier", "报送 春季攻势 方案", "已登记：", "工作方案报送市安委办")
		// Contacts and inspectors cannot record a unit's report.
		c.expect("lisi", "报送", "只有督办员、领导和管理员")
		c.expect("wangwu", "报送 年终总结", "没有“年终总结”这项材料", "月报动态更新")
		c.expect("wangwu", "报送 秋季行动", "没有“秋季行动”这项材料")

		got := c.expect("sunqi", "报送情况", "《2023年安全生产春季攻势》报送情况", "月报动态更新（2月28日截止，已过1天）：已报送1个", "工作方案报送市安委办（3月2日截止，还剩1天）：已报送2个，未报送17个")
		if strings.Contains(got, "茅箭区、") || !strings.Contains(got, "张湾区") {
			t.Fatalf("missing list wrong:\n%s", got)
		}
		// A county's leader sees their county only.
		c.expect("zhouba", "报送情况", "已报送1个，全部报送")
		c.expect("lisi", "报送情况", "只有督办员、领导和管理员")

		// Late: on 3月6日 the plan is four days overdue and still owed.
		c.clock.Set(time.Date(2023, 3, 6, 10, 0, 0, 0, modelstest.Shanghai))
		c.expect("zhengshiyi", "报送 方案", "张湾区 已报送", "工作方案报送市安委办（3月2日截止，逾期4天）")
		// The next 报送 of 茅箭区 is the monthly update due 3月28日.
		c.expect("wangwu", "报送", "月报动态更新（3月28日截止）")
	})
}
