package bot_test

import (
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// The chat clock stands at Wednesday 1 March 2023.

const oneShotGas = "上报\n隐患：液化气钢瓶违规存放\n内容：商场地下室存放液化气钢瓶3个\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n"

func TestPastDeadlineIsAskedInTheGuidedReport(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "燃气软管老化开裂", "请填写隐患内容")
		c.expect("zhangsan", "某餐馆后厨燃气软管老化", "请填写县市区")
		c.expect("zhangsan", "茅箭", "请填写行业领域")
		c.expect("zhangsan", "燃气", "请填写检查的企业或场所")
		c.expect("zhangsan", "跳过", "是否已当场整改")
		c.expect("zhangsan", "否", "请填写责任单位")
		c.expect("zhangsan", "待定", "请填写整改时限")
		c.expect("zhangsan", "2月15日", "2月15日已经过去，是指明年2月15日吗？回复 是 或重新输入")
		// The question survives a restart: a new bot on the same database
		// takes the answer.
		c.b = bot.New(s, chatConfig(), nil)
		c.expect("zhangsan", "是", "整改时限：2024年2月15日", "请核对", "整改时限：2024年2月15日")
		// Typed again instead of 是: the new answer counts.
		c.expect("zhangsan", "修改 时限 2.20", "2月20日已经过去，是指明年2月20日吗")
		c.expect("zhangsan", "4月底前", "请核对", "整改时限：2023年4月30日")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001")
		if h := c.hazard("1"); h.Deadline != models.NewDate(2023, 4, 30) {
			t.Fatalf("deadline %v", h.Deadline)
		}
	})
}

func TestPastDeadlineIsAskedInTheOneShotReport(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", oneShotGas+"时限：1.10", "1月10日已经过去，是指明年1月10日吗？回复 是 或重新输入")
		c.expect("zhangsan", "是", "请核对", "整改时限：2024年1月10日")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001")
		if h := c.hazard("1"); h.Deadline != models.NewDate(2024, 1, 10) {
			t.Fatalf("deadline %v", h.Deadline)
		}
		// Working days and month ends read in a one-shot report too.
		c.expect("zhangsan", oneShotGas+"时限：10个工作日内", "请核对", "整改时限：2023年3月15日")
		c.expect("zhangsan", "取消", "已取消")
		// An explicit past year is refused, not asked.
		c.expect("zhangsan", oneShotGas+"时限：2023-02-01", "2023年2月1日已经过去了", "请填写整改时限")
	})
}

func TestAssignAndExtendDates(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		for i := 0; i < 3; i++ {
			c.expect("zhangsan", "上报\n隐患：燃气管道锈蚀\n内容：某小区燃气立管锈蚀\n区域：茅箭区\n行业：燃气\n单位：待定\n时限：3月31日", "请核对")
			c.expect("zhangsan", "确认", "已登记")
		}
		// A past date on 交办 is asked back and the answer applies.
		c.expect("wangwu", "交办 1 十堰市某燃气有限公司（示例） 2月20日", "2月20日已经过去，是指明年2月20日吗？回复 是 或重新输入")
		if h := c.hazard("1"); h.State != models.StateReported {
			t.Fatalf("assigned before the date was confirmed: %v", h.State)
		}
		c.expect("wangwu", "是", "已交办 YH2023-0001，整改时限2024年2月20日")
		// Deadlines in working days and month ends.
		c.expect("wangwu", "交办 2 十堰市某燃气有限公司（示例） 3月底", "已交办 YH2023-0002，整改时限2023年3月31日")
		c.expect("wangwu", "交办 3 十堰市某燃气有限公司（示例） 3月31日", "已交办 YH2023-0003，整改时限2023年3月31日")

		// An extension counts from the current deadline, not from today.
		c.expect("lisi", "延期 2 15天 设备未到货", "已申请将 YH2023-0002 延期至2023年4月15日")
		// 3月31日 is a Friday; ten working days skip 清明 (4月5日).
		c.expect("lisi", "延期 3 10个工作日 设备未到货", "已申请将 YH2023-0003 延期至2023年4月17日")
		// A past date asks back; a date typed instead answers.
		c.expect("wangwu", "同意延期 3", "已同意延期")
		c.expect("lisi", "延期 3 2月28日 设备未到货", "2月28日已经过去，是指明年2月28日吗")
		c.expect("lisi", "5月10日", "已申请将 YH2023-0003 延期至2023年5月10日")
		// Something that is not a date is asked again, and 取消 ends it.
		c.expect("wangwu", "交办 1 十堰市某燃气有限公司（示例） 2月1日", "是指明年2月1日吗")
		c.expect("wangwu", "稍等", "请回复“是”，或重新输入日期")
		c.expect("wangwu", "取消", "已取消")
		c.expect("wangwu", "是", "当前没有正在填写的上报")
	})
}

func TestDateQuestionKeepsTheReportDraft(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报\n隐患：燃气管道锈蚀\n内容：某小区燃气立管锈蚀\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月31日", "请核对")
		c.expect("zhangsan", "确认", "已登记")
		c.expect("lisi", "上报", "请填写重点隐患")
		c.expect("lisi", "消防通道堵塞", "请填写隐患内容")
		c.expect("lisi", "延期 1 1月5日 材料未到", "1月5日已经过去，是指明年1月5日吗")
		c.expect("lisi", "是", "已申请将 YH2023-0001 延期至2024年1月5日", "未提交的上报草稿“消防通道堵塞”")
		c.expect("lisi", "继续", "继续填写“消防通道堵塞”", "请填写隐患内容")
	})
}

// A date question left idle past the dialogue timeout is asked again, not
// answered by a late 是.
func TestIdleDateQuestionIsAskedAgain(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", oneShotGas+"时限：2月10日", "2月10日已经过去，是指明年2月10日吗")
		c.clock.Add(2 * time.Hour)
		c.expect("zhangsan", "是", "继续填写", "2月10日已经过去，是指明年2月10日吗")
		c.expect("zhangsan", "是", "请核对", "整改时限：2024年2月10日")
	})
}

// TestDeadlinesAsWrittenInNotices: the forms of official notices read as
// their one day; words that name none are refused saying what to write.
func TestDeadlinesAsWrittenInNotices(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", oneShotGas+"时限：3月中旬", "请核对", "整改时限：2023年3月20日")
		c.expect("zhangsan", "修改 时限 自即日起15日内", "整改时限：2023年3月16日")
		c.expect("zhangsan", "修改 时限 4月30日前完成", "整改时限：2023年4月30日")
		c.expect("zhangsan", "修改 时限 立即", "“立即”没有具体日期，请写整改时限")
		c.expect("zhangsan", "修改 时限 3月", "“3月”是一整个月，请写到哪天")
		c.expect("zhangsan", "确认", "已登记", "整改时限2023年4月30日")
	})
}
