package bot_test

import (
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestFixedOnTheSpotGoesStraightToReview(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.photo("zhangsan", "fixed1")
		c.expect("zhangsan", "上报\n隐患：消防通道堵塞\n内容：人民南路商铺后门堆放杂物\n区域：茅箭区\n行业：消防\n当场整改：是，已督促商户清理杂物",
			"请核对", "当场整改：是：已督促商户清理杂物")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001（立查立改）", "附照片1张", "已提交督办员复查销号")
		h := c.hazard("1")
		if h.State != models.StatePendingReview || h.RectifiedAt == nil || h.Measures != "已督促商户清理杂物" || h.Deadline != models.NewDate(2023, 3, 1) {
			t.Fatalf("hazard %+v", h)
		}
		var actions []models.Action
		for _, e := range c.events(h) {
			actions = append([]models.Action{e.Action}, actions...)
		}
		if len(actions) != 2 || actions[0] != models.ActReport || actions[1] != models.ActSubmit {
			t.Fatalf("events %v, want report then submit", actions)
		}
		var fig models.Figures
		c.s.InTx(ctx, func(tx *models.Tx) (err error) {
			fig, err = tx.Summary(models.SummaryFilter{})
			return err
		})
		if fig.Found != 1 || fig.Rectified != 1 || fig.Closed != 0 {
			t.Fatalf("figures %+v: a hazard fixed on the spot counts as found and rectified", fig)
		}
		// The county supervisor gets the review card and the photo.
		got := c.to("wangwu")
		if len(got) < 2 || got[0].Kind != bot.OutCard || got[0].Card.Buttons[0].Key != "pass:YH2023-0001" || len(images(got)) != 1 {
			t.Fatalf("supervisor got %+v", got)
		}
		c.expect("wangwu", "复查 1 通过", "已销号")
	})
}

func TestFixedOnTheSpotAskedAtTheEnd(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "灭火器过期", "请填写隐患内容")
		c.expect("zhangsan", "超市二楼3具灭火器压力不足", "请填写县市区")
		c.expect("zhangsan", "茅箭", "请填写行业领域")
		c.expect("zhangsan", "消防", "请填写检查的企业或场所")
		c.expect("zhangsan", "某超市", "是否已当场整改")
		c.expect("zhangsan", "跳过", "请填写责任单位")
		c.expect("zhangsan", "待定", "请填写整改时限")
		c.expect("zhangsan", "3月5日", "请核对", "已当场整改（立查立改）的，回复：当场整改 做了什么")
		c.expect("zhangsan", "当场整改 已更换3具灭火器", "已登记，编号 YH2023-0001（立查立改）")
		if h := c.hazard("1"); h.State != models.StatePendingReview || h.Measures != "已更换3具灭火器" || h.Rectification != "已更换3具灭火器" || h.Enterprise != "某超市" {
			t.Fatalf("hazard %+v", h)
		}
		// 当场整改：是 without saying what was done asks for it.
		c.expect("zhangsan", "上报\n隐患：疏散指示灯损坏\n内容：超市一楼\n区域：茅箭区\n行业：消防\n当场整改：是", "请写明当场做了什么")
		c.expect("zhangsan", "已更换指示灯", "请核对", "当场整改：是：已更换指示灯")
		c.expect("zhangsan", "确认", "（立查立改）")
		// Someone not in the directory cannot file one.
		c.expect("stranger", "上报\n隐患：楼道堆放杂物\n内容：三楼\n区域：茅箭区\n行业：消防\n当场整改：是，已清理", "请核对")
		c.expect("stranger", "确认", "通讯录")
	})
}

func TestRepeatReportAsksToMerge(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		no := c.assignedGas("液化气钢瓶违规存放")
		c.photo("zhangsan", "again1")
		c.expect("zhangsan", "上报\n隐患：液化气钢瓶违规存放在地下室\n内容：地下室又发现2个钢瓶\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月20日", "请核对")
		c.expect("zhangsan", "确认", "可能与 "+no+"（液化气钢瓶违规存放）重复：回复 合并 补充到原隐患，或 继续 新建")
		// The question survives a restart.
		c.b = bot.New(c.s, config.Default(), nil, bot.WithFiles(c.files))
		c.expect("zhangsan", "好的", "请回复“合并”")
		c.expect("zhangsan", "合并", "已合并到 "+no, "照片1张", "已告知责任单位和督办员")
		h := c.hazard("1")
		evs := c.events(h)
		if evs[0].Action != models.ActSupplement || !strings.Contains(evs[0].Note, "地下室又发现2个钢瓶") {
			t.Fatalf("latest event %+v, want the supplement", evs[0])
		}
		if before := photoIDs(c, no, models.PhaseBefore); len(before) != 2 {
			t.Fatalf("photos as found = %d, want 2", len(before))
		}
		for _, u := range []string{"lisi", "wangwu"} {
			got := c.to(u)
			if last := got[len(got)-1]; !strings.Contains(last.Text, no+" 液化气钢瓶违规存放 收到补充上报（张三）") {
				t.Fatalf("%s got %+v", u, last)
			}
		}
		c.expect("zhangsan", "查询 2", "没有找到隐患")

		// 继续 files it as new.
		c.expect("zhangsan", "上报\n隐患：液化气钢瓶违规存放\n内容：另一处仓库\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月20日", "请核对")
		c.expect("zhangsan", "确认", "可能与 "+no)
		c.expect("zhangsan", "继续", "已登记，编号 YH2023-0002")

		// Another county, or another unit with a different problem, is not asked about.
		c.expect("wushi", "上报\n隐患：液化气钢瓶违规存放\n内容：张湾区某饭店\n区域：张湾区\n行业：燃气\n单位：待定\n时限：3月20日", "请核对")
		c.expect("wushi", "确认", "已登记，编号 YH2023-0003")
		c.expect("zhangsan", "上报\n隐患：配电箱未接地\n内容：同一公司\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月20日", "请核对")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0004")
	})
}

func TestRepeatReportNearbyAsks(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报\n隐患：消防通道堵塞\n内容：人民南路商铺后门堆放杂物\n区域：茅箭区\n行业：消防\n单位：待定\n时限：3月20日", "请核对")
		c.send(bot.Message{UserID: "zhangsan", Kind: bot.KindLocation, Lat: 32.63000, Lng: 110.79000, Label: "人民南路12号"})
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001")
		// 60 m away, worded differently, by another officer.
		c.expect("wangwu", "上报\n隐患：商铺后门杂物占道\n内容：后门通道被纸箱占用\n区域：茅箭区\n行业：消防\n单位：待定\n时限：3月20日", "请核对")
		c.send(bot.Message{UserID: "wangwu", Kind: bot.KindLocation, Lat: 32.63050, Lng: 110.79020, Label: "人民南路14号"})
		c.expect("wangwu", "确认", "可能与 YH2023-0001（消防通道堵塞）重复")
		c.expect("wangwu", "取消", "已取消")
		// 300 m away is another site.
		c.expect("wangwu", "上报\n隐患：商铺后门杂物占道\n内容：后门通道被纸箱占用\n区域：茅箭区\n行业：消防\n单位：待定\n时限：3月20日", "请核对")
		c.send(bot.Message{UserID: "wangwu", Kind: bot.KindLocation, Lat: 32.63270, Lng: 110.79000, Label: "人民北路"})
		c.expect("wangwu", "确认", "已登记，编号 YH2023-0002")
	})
}

// The guided 上报 asks, after the enterprise, whether the hazard was fixed on
// the spot: 是 files it as 立查立改 (no unit or deadline asked, the photos
// as after-photos, straight to review); 否 goes on to the unit; an unclear
// answer is asked again; the question survives a restart.
func TestFixedOnTheSpotAskedInTheGuidedReport(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "消防通道堵塞", "请填写隐患内容")
		c.expect("zhangsan", "商铺后门堆放杂物", "请填写县市区")
		c.expect("zhangsan", "茅箭", "请填写行业领域")
		c.expect("zhangsan", "消防", "请填写检查的企业或场所")
		c.expect("zhangsan", "某商铺", "是否已当场整改（立查立改）？回复 是 / 否")
		c.expect("zhangsan", "不太清楚", "请回复“是”或“否”")
		c.b = bot.New(c.s, chatConfig(), nil, bot.WithFiles(c.files))
		c.expect("zhangsan", "是", "请写明当场做了什么", "整改后的照片可直接发来")
		c.photo("zhangsan", "after1")
		got := c.expect("zhangsan", "已督促商户清理杂物", "请核对", "当场整改：是：已督促商户清理杂物", "照片：1张")
		if strings.Contains(got, "责任单位") || strings.Contains(got, "整改时限") {
			t.Fatalf("a hazard fixed on the spot was given a unit or deadline:\n%s", got)
		}
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001（立查立改）", "附照片1张", "已提交督办员复查销号")
		h := c.hazard("1")
		if h.State != models.StatePendingReview || h.Rectification != "已督促商户清理杂物" || h.Enterprise != "某商铺" {
			t.Fatalf("hazard %+v", h)
		}
		if after := photoIDs(c, "YH2023-0001", models.PhaseAfter); len(after) != 1 {
			t.Fatalf("after-photos %v, want the one sent", after)
		}
		if cards := c.to("wangwu"); len(cards) == 0 || cards[0].Kind != bot.OutCard || cards[0].Card.Buttons[0].Key != "pass:YH2023-0001" {
			t.Fatalf("the county supervisor got %+v", cards)
		}

		// 是 with what was done answers both at once.
		for _, m := range []string{"上报", "灭火器过期", "超市二楼", "茅箭", "消防", "跳过"} {
			c.say("zhangsan", m)
		}
		c.expect("zhangsan", "是，已更换3具灭火器", "请核对", "当场整改：是：已更换3具灭火器")
		c.expect("zhangsan", "确认", "YH2023-0002（立查立改）")

		// 否: the report goes on to the unit and the deadline, and is
		// filed for rectification; the summary does not offer 当场整改 again.
		for _, m := range []string{"上报", "配电箱未接地", "外壳无接地线", "茅箭", "工贸", "跳过"} {
			c.say("zhangsan", m)
		}
		c.expect("zhangsan", "否，商户不在场", "请填写责任单位")
		c.expect("zhangsan", "待定", "请填写整改时限")
		if got := c.expect("zhangsan", "3月20日", "请核对"); strings.Contains(got, "当场整改") {
			t.Fatalf("the summary offers 当场整改 after 否:\n%s", got)
		}
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0003")
		if h := c.hazard("3"); h.State != models.StateReported || h.Deadline != models.NewDate(2023, 3, 20) {
			t.Fatalf("hazard 3 %+v", h)
		}
	})
}
