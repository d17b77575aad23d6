package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// fileGas puts twelve gas hazards on 茅箭区's ledger, assigned to the gas
// company, and one on 张湾区's.
func fileGas(c *chat) {
	c.t.Helper()
	for i := 1; i <= 12; i++ {
		c.expect("zhangsan", fmt.Sprintf("上报\n隐患：液化气钢瓶违规存放%d\n内容：地下室存放钢瓶\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n位置：人民南路%d号\n时限：3月31日", i, i), "请核对")
		if got := c.confirmNew("zhangsan"); !strings.Contains(got, fmt.Sprintf("YH2023-%04d", i)) {
			c.t.Fatalf("report %d: %s", i, got)
		}
	}
	c.expect("wushi", "上报\n隐患：加气站燃气泄漏\n内容：加气机接口漏气\n区域：张湾区\n行业：燃气\n单位：待定\n时限：3月31日", "请核对")
	c.expect("wushi", "确认", "YH2023-0013")
}

func TestSearchByKeywordWithinScopeAndMore(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		fileGas(c)

		// The county supervisor finds his county's twelve, newest first,
		// ten at a time; 张湾区's is not his to see.
		got := c.expect("wangwu", "查询 燃气", "含“燃气”的隐患共12条", "YH2023-0012 液化气钢瓶违规存放12", "…共12条，发“更多”")
		if strings.Contains(got, "YH2023-0013") || strings.Contains(got, "加气站") || strings.Contains(got, "YH2023-0002 ") {
			t.Fatalf("first page:\n%s", got)
		}
		if strings.Index(got, "YH2023-0012") > strings.Index(got, "YH2023-0003") {
			t.Fatalf("not newest first:\n%s", got)
		}
		// 更多 works on another replica: a second bot on the same database.
		c.b = bot.New(s, chatConfig(), nil)
		got = c.expect("wangwu", "更多", "YH2023-0002", "YH2023-0001")
		if strings.Contains(got, "YH2023-0003") || strings.Contains(got, "更多") {
			t.Fatalf("second page:\n%s", got)
		}
		c.expect("wangwu", "更多", "没有更多了")

		// 张湾区's supervisor sees only his.
		got = c.expect("zhengshiyi", "查询 燃气", "共1条", "YH2023-0013 加气站燃气泄漏")
		if strings.Contains(got, "液化气") || strings.Contains(got, "更多") {
			t.Fatalf("another county's hazards shown:\n%s", got)
		}
		// By location, by two words, and nothing found.
		c.expect("wangwu", "查询 人民南路", "共12条")
		got = c.expect("wangwu", "查询 人民南路 7号", "共1条", "YH2023-0007")
		if strings.Contains(got, "YH2023-0012") {
			t.Fatalf("two words matched too much:\n%s", got)
		}
		c.expect("wangwu", "查询 煤矿", "没有找到含“煤矿”的隐患")
		// A wildcard is a character, not a pattern.
		c.expect("wangwu", "查询 %", "没有找到含“%”的隐患")
		// The reporter finds his own reports; a stranger finds nothing.
		c.expect("wushi", "查询 加气站", "共1条", "YH2023-0013")
		c.expect("stranger", "查询 燃气", "没有找到")
		// The unit contact finds what was assigned to his company.
		c.expect("lisi", "查询 钢瓶", "共12条")
	})
}

func TestNumberAloneAndGreetings(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		fileGas(c)
		for _, text := range []string{"12", "12号", "第12号", "#12", "查询 第12号"} {
			c.expect("wangwu", text, "YH2023-0012 液化气钢瓶违规存放12", "状态：整改中")
		}
		for _, text := range []string{"你好", "您好！", "在吗？", "hi"} {
			got := c.expect("wangwu", text, "王五，你好！", "上报", "查询 12 或 查询 燃气", "帮助")
			if strings.Contains(got, "没看懂") {
				t.Fatalf("%q: %s", text, got)
			}
		}
		c.expect("stranger", "你好", "你好！", "上报")
		// A greeting in the middle of a report reminds of the draft.
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "燃气灶无熄火保护", "请填写隐患内容")
		c.expect("zhangsan", "你好", "你好！", "未提交的上报草稿“燃气灶无熄火保护”")
	})
}

func TestBreakdownReadsAsWords(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		fileGas(c)
		got := c.expect("sunqi", "统计 本月", "茅箭区：发现12 整改0 销号0 逾期0 整改率0%", "张湾区：发现1 整改0 销号0 逾期0")
		for _, l := range strings.Split(got, "\n") {
			if strings.Count(l, "/") >= 3 {
				t.Fatalf("a breakdown in slashes: %q", l)
			}
		}
	})
}
