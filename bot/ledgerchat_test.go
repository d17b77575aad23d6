package bot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/bot/report"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// twoCounties files two hazards in 茅箭区 (one closed) and one in 张湾区,
// the way officers type them.
func twoCounties(c *chat) {
	c.t.Helper()
	c.assignedGas("液化气钢瓶违规存放")
	c.expect("zhangsan", "上报\n隐患：消防通道堵塞\n内容：人民南路商铺后门堆放杂物\n区域：茅箭\n行业：消防\n单位：待定\n时限：3月31日", "请核对")
	c.expect("zhangsan", "确认", "已登记")
	c.expect("wushi", "上报\n隐患：应急通道堵塞\n内容：车城路仓库通道被货物占用\n区域：张湾区\n行业：工贸\n单位：待定\n时限：3.20", "请核对")
	c.expect("wushi", "确认", "已登记")
	c.expect("lisi", "整改 1 已将钢瓶清出地下室", "已提交")
	c.expect("wangwu", "复查 1 通过", "已销号")
}

func TestLedgerInChatIsTheOfficialFile(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		twoCounties(c)
		c.expect("wangwu", "台账", "茅箭区", "的台账（2条）", "Excel")
		files := c.to("wangwu")
		last := files[len(files)-1]
		if last.Kind != bot.OutFile || !strings.HasSuffix(last.FileName, ".xlsx") || !strings.Contains(last.FileName, "茅箭区") {
			t.Fatalf("wangwu got %+v, want the ledger as a file message", last)
		}
		f, err := os.Open(filepath.Join(c.files.Dir, filepath.FromSlash(last.File)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := report.ReadLedger(f, last.FileName)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != 0 || len(res.Rows) != 2 {
			t.Fatalf("ledger read back: %d rows, errors %v", len(res.Rows), res.Errors)
		}
		if r := res.Rows[0]; r.Number != "YH2023-0001" || r.Title != "液化气钢瓶违规存放" || r.Unit != "十堰市某燃气有限公司（示例）" || r.County != "茅箭区" {
			t.Fatalf("first row %+v", r)
		}
		if r := res.Rows[1]; r.Number != "YH2023-0002" || r.Deadline != models.NewDate(2023, 3, 31) {
			t.Fatalf("second row %+v", r)
		}
		// The city's supervisor narrows to a sector; a leader may ask too.
		c.expect("zhaoliu", "台账 工贸", "十堰市工贸行业", "（1条）")
		c.expect("sunqi", "导出台账 本月 张湾区", "张湾区", "（1条）")
		c.expect("sunqi", "台账 上月", "没有隐患")
		// Committee staff get it; a unit's contact or a stranger does not.
		c.expect("zhangsan", "台账", "茅箭区", "（2条）")
		for _, u := range []string{"lisi", "qianjiu", "stranger"} {
			n := len(c.to(u))
			c.expect(u, "台账", "台账只发给督办员、领导和安委办工作人员")
			if len(c.to(u)) != n {
				t.Fatalf("%s was refused but got a message", u)
			}
		}
		c.expect("wangwu", "台账 火星区", "没有找到区域或行业“火星区”")
	})
}

func TestRankingInChat(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		twoCounties(c)
		got := c.expect("sunqi", "排名", "【考核排名】", "各县市区",
			"1. 茅箭区：整改率50% 发现2 整改1 销号1 逾期0 平均0.0天销号",
			"2. 张湾区：整改率0% 发现1 整改0 销号0 逾期0")
		if strings.Contains(got, "郧阳区") {
			t.Fatalf("a county that found nothing is ranked:\n%s", got)
		}
		// Inside a county the ranking is by responsible unit.
		c.expect("wangwu", "考核排名 本月", "茅箭区各责任单位", "1. 十堰市某燃气有限公司（示例）：整改率100% 发现1")
		c.expect("sunqi", "排名 上月", "本期没有发现隐患")
		c.expect("sunqi", "排名 13月5日", "13月5日")
	})
}
