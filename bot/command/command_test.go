package command

import (
	"reflect"
	"strings"
	"testing"

	"hazardbot/models"
)

func no(seq int) models.Number { return models.Number{Year: 2023, Seq: seq} }

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Command
	}{
		// help
		{"help", "帮助", Command{Name: Help}},
		{"help question mark", "?", Command{Name: Help}},
		{"help full-width question mark", "？", Command{Name: Help}},
		{"help english any case", "Help", Command{Name: Help}},
		{"help menu", "菜单", Command{Name: Help}},
		{"help with trailing punctuation", "帮助？", Command{Name: Help}},
		{"help with topic", "帮助 交办", Command{Name: Help, Text: "交办"}},
		{"help slash", "/help", Command{Name: Help}},

		// report
		{"guided report", "上报", Command{Name: Report, Fields: map[Field]string{}}},
		{"report alias baogao", "报告", Command{Name: Report, Fields: map[Field]string{}}},
		{"report alias xinzeng", "新增", Command{Name: Report, Fields: map[Field]string{}}},
		{"report english", "report", Command{Name: Report, Fields: map[Field]string{}}},
		{"one-shot report", "上报\n隐患：消防通道堵塞\n单位：茅箭区应急管理局\n时限：3月31日", Command{Name: Report,
			Fields: map[Field]string{FieldTitle: "消防通道堵塞", FieldUnit: "茅箭区应急管理局", FieldDeadline: "3月31日"}}},
		{"one-shot report first field on command line", "上报 隐患：消防通道堵塞\n区域：茅箭区", Command{Name: Report,
			Fields: map[Field]string{FieldTitle: "消防通道堵塞", FieldRegion: "茅箭区"}}},
		{"one-shot report glued to first field", "上报隐患：消防通道堵塞", Command{Name: Report,
			Fields: map[Field]string{FieldTitle: "消防通道堵塞"}}},
		{"report with free title", "上报 XX加油站卸油区无静电接地\n区域：茅箭区", Command{Name: Report,
			Fields: map[Field]string{FieldTitle: "XX加油站卸油区无静电接地", FieldRegion: "茅箭区"}}},
		{"report free title and title field", "上报 你好\n隐患：A", Command{Name: Report,
			Fields: map[Field]string{FieldTitle: "A"}, Unknown: []string{"你好"}}},
		{"report unknown field", "上报\n隐患：A\n联系人：张三", Command{Name: Report,
			Fields: map[Field]string{FieldTitle: "A"}, Unknown: []string{"联系人：张三"}}},

		// query
		{"query full number", "查询 YH2023-0012", Command{Name: Query, Number: no(12)}},
		{"query short alias", "查 12", Command{Name: Query, Number: no(12)}},
		{"query english", "query #12", Command{Name: Query, Number: no(12)}},
		{"query colon", "查询：12", Command{Name: Query, Number: no(12)}},
		{"query half-width colon no space", "查询:12", Command{Name: Query, Number: no(12)}},
		{"query glued", "查询12", Command{Name: Query, Number: no(12)}},
		{"query glued full number", "查询YH2022-0007", Command{Name: Query, Number: models.Number{Year: 2022, Seq: 7}}},
		{"query full-width digits", "查询　１２", Command{Name: Query, Number: no(12)}},
		{"query lower case yh", "查询 yh2023-12", Command{Name: Query, Number: no(12)}},
		{"query di hao", "查询 第12号", Command{Name: Query, Number: no(12)}},
		{"query prefix typed apart", "查询 YH 2023-0012", Command{Name: Query, Number: no(12)}},
		{"query hash typed apart", "查询 # 12", Command{Name: Query, Number: no(12)}},
		{"assign prefix apart and number glued to unit", "交办 YH 12茅箭区", Command{Name: Assign, Number: no(12), Units: []string{"茅箭区"}}},
		{"assign number glued to unit with hao", "交办 第12号茅箭区", Command{Name: Assign, Number: no(12), Units: []string{"茅箭区"}}},
		{"query extra words ignored", "查询 12 进度", Command{Name: Query, Number: no(12)}},
		{"query trailing full stop", "查询 12。", Command{Name: Query, Number: no(12)}},
		{"bare full number", "YH2023-0012", Command{Name: Query, Implicit: true, Number: no(12)}},
		{"bare number", "12", Command{Name: Query, Implicit: true, Number: no(12)}},
		{"bare hash number", "#12", Command{Name: Query, Implicit: true, Number: no(12)}},
		{"bare number with spaces", "  ＃１２  ", Command{Name: Query, Implicit: true, Number: no(12)}},

		// mine
		{"mine", "我的", Command{Name: Mine}},
		{"todo", "待办", Command{Name: Mine}},
		{"mine english", "mine", Command{Name: Mine}},
		{"todo english", "TODO", Command{Name: Mine}},
		{"my todo", "我的待办", Command{Name: Mine}},

		// stats
		{"stats default", "统计", Command{Name: Stats}},
		{"stats today", "统计 今日", Command{Name: Stats, PeriodText: "今日"}},
		{"stats this week region", "统计 本周 茅箭区", Command{Name: Stats, PeriodText: "本周", Filters: []string{"茅箭区"}}},
		{"stats glued period", "统计本月", Command{Name: Stats, PeriodText: "本月"}},
		{"stats period glued to region", "统计 本周茅箭区", Command{Name: Stats, PeriodText: "本周", Filters: []string{"茅箭区"}}},
		{"stats campaign", "统计 活动", Command{Name: Stats, PeriodText: "活动"}},
		{"stats range", "统计 2月1日至3月15日", Command{Name: Stats, PeriodText: "2月1日至3月15日"}},
		{"stats spaced range and sector", "统计 2月1日 至 3月15日 燃气", Command{Name: Stats, PeriodText: "2月1日至3月15日", Filters: []string{"燃气"}}},
		{"stats dash range", "统计 2023-02-01-2023-03-15", Command{Name: Stats, PeriodText: "2023-02-01-2023-03-15"}},
		{"stats only a region", "统计 张湾区", Command{Name: Stats, Filters: []string{"张湾区"}}},
		{"stats region and sector", "统计 上月 张湾区 消防", Command{Name: Stats, PeriodText: "上月", Filters: []string{"张湾区", "消防"}}},
		{"stats english", "stats 本周", Command{Name: Stats, PeriodText: "本周"}},

		// assign
		{"assign", "交办 12 茅箭区应急管理局", Command{Name: Assign, Number: no(12), Units: []string{"茅箭区应急管理局"}}},
		{"assign with deadline", "交办 12 茅箭区应急管理局 3月31日", Command{Name: Assign, Number: no(12),
			Units: []string{"茅箭区应急管理局"}, Date: day(2023, 3, 31), DateText: "3月31日"}},
		{"assign two units and relative deadline", "交办 YH2023-0012 茅箭区应急管理局、茅箭区消防救援大队 15天", Command{Name: Assign, Number: no(12),
			Units: []string{"茅箭区应急管理局", "茅箭区消防救援大队"}, Date: day(2023, 3, 30), DateText: "15天"}},
		{"assign deadline word", "交办 12 茅箭区应急管理局 时限：月底", Command{Name: Assign, Number: no(12),
			Units: []string{"茅箭区应急管理局"}, Date: day(2023, 3, 31), DateText: "月底"}},
		{"assign past year-less deadline is left for the bot to ask", "交办 12 某局 1月10日", Command{Name: Assign, Number: no(12),
			Units: []string{"某局"}, DateText: "1月10日"}},
		{"query by keyword", "查询 燃气", Command{Name: Query, Text: "燃气"}},
		{"query by two words", "查询：人民南路，液化气", Command{Name: Query, Text: "人民南路 液化气"}},
		{"query ascii word", "查询 abc", Command{Name: Query, Text: "abc"}},
		{"glued word is not a search", "查询一下", Command{}},
		{"bare hao", "12号", Command{Name: Query, Implicit: true, Number: no(12)}},
		{"bare di hao", "第12号", Command{Name: Query, Implicit: true, Number: no(12)}},
		{"bare di", "第12", Command{Name: Query, Implicit: true, Number: no(12)}},
		{"bare chinese numeral", "第十二号", Command{Name: Query, Implicit: true, Number: no(12)}},
		{"bare circled number", "③", Command{Name: Query, Implicit: true, Number: no(3)}},
		{"emoji after the word", "上报😀", Command{Name: Report, Fields: map[Field]string{}}},
		{"emoji before the word", "😀上报", Command{Name: Report, Fields: map[Field]string{}}},
		{"emoji on both sides", "👉 上报 👍", Command{Name: Report, Fields: map[Field]string{}}},
		{"emoji with skin tone and selector", "👍🏻❤️我的", Command{Name: Mine}},
		{"emoji between word and number", "查询🔍12", Command{Name: Query, Number: no(12)}},
		{"emoji after an answer", "好的👌", Command{Name: Confirm}},
		{"emoji in a title stays", "上报 燃气泄漏🔥", Command{Name: Report, Fields: map[Field]string{FieldTitle: "燃气泄漏🔥"}}},
		{"number then close out", "12 销号", Command{Name: Review, Implicit: true, Number: no(12), Pass: true}},
		{"hao then close out", "12号 销号。", Command{Name: Review, Implicit: true, Number: no(12), Pass: true}},
		{"full number glued to close out", "YH2023-0012销号", Command{Name: Review, Implicit: true, Number: no(12), Pass: true}},
		{"query chinese numeral", "查询 十二号", Command{Name: Query, Number: no(12)}},
		{"query chinese numeral alone", "查询 二十三", Command{Name: Query, Number: no(23)}},
		{"accept chinese numeral", "接收 第三号", Command{Name: Accept, Number: no(3)}},
		{"assign chinese numeral", "交办 一号 茅箭区应急管理局", Command{Name: Assign, Number: no(1), Units: []string{"茅箭区应急管理局"}}},
		{"assign circled", "交办 ⑫，某局", Command{Name: Assign, Number: no(12), Units: []string{"某局"}}},
		{"query a place starting with a numeral is a search", "查询 十堰", Command{Name: Query, Text: "十堰"}},
		{"greeting", "你好", Command{Name: Greet}},
		{"greeting with punctuation", "您好！", Command{Name: Greet}},
		{"greeting zai ma", "在吗？", Command{Name: Greet}},
		{"greeting hi", "Hi", Command{Name: Greet}},
		{"more", "更多", Command{Name: More}},
		{"assign in working days", "交办 12 某局 10个工作日内", Command{Name: Assign, Number: no(12),
			Units: []string{"某局"}, Date: day(2023, 3, 29), DateText: "10个工作日内"}},
		{"assign month end", "交办 12 某局 4月底前", Command{Name: Assign, Number: no(12),
			Units: []string{"某局"}, Date: day(2023, 4, 30), DateText: "4月底前"}},
		{"extend in days", "延期 12 15天 设备未到货", Command{Name: Extend, Number: no(12),
			Date: day(2023, 3, 30), DateText: "15天", Text: "设备未到货"}},
		{"extend past date is left for the bot to ask", "延期 12 3月1日 设备未到货", Command{Name: Extend, Number: no(12),
			DateText: "3月1日", Text: "设备未到货"}},
		{"assign glued", "交办12茅箭区应急管理局", Command{Name: Assign, Number: no(12), Units: []string{"茅箭区应急管理局"}}},
		{"assign lines", "交办 12\n茅箭区应急管理局\n下周五", Command{Name: Assign, Number: no(12),
			Units: []string{"茅箭区应急管理局"}, Date: day(2023, 3, 24), DateText: "下周五"}},
		{"assign english", "assign 12 maojian", Command{Name: Assign, Number: no(12), Units: []string{"maojian"}}},

		// accept
		{"accept", "接收 12", Command{Name: Accept, Number: no(12)}},
		{"accept alias", "签收 #12", Command{Name: Accept, Number: no(12)}},
		{"accept english", "accept 12", Command{Name: Accept, Number: no(12)}},

		// rectify
		{"rectify", "整改 12 已清理消防通道", Command{Name: Rectify, Number: no(12), Text: "已清理消防通道"}},
		{"rectify keeps typed punctuation and lines", "整改 12 已清理消防通道，设置警示标志\n并落实专人巡查。", Command{Name: Rectify, Number: no(12),
			Text: "已清理消防通道，设置警示标志\n并落实专人巡查。"}},
		{"rectify measures on next line", "整改 12\n已清理", Command{Name: Rectify, Number: no(12), Text: "已清理"}},
		{"rectify glued", "整改12已清理", Command{Name: Rectify, Number: no(12), Text: "已清理"}},
		{"submit for close-out", "申请销号 12 已整改完毕", Command{Name: Rectify, Number: no(12), Text: "已整改完毕"}},

		// review
		{"review pass", "复查 12 通过", Command{Name: Review, Number: no(12), Pass: true}},
		{"review pass ok", "复查 12 OK", Command{Name: Review, Number: no(12), Pass: true}},
		{"review reject", "复查 12 退回 照片看不清", Command{Name: Review, Number: no(12), Text: "照片看不清"}},
		{"review reject glued reason", "复查 12 退回照片看不清", Command{Name: Review, Number: no(12), Text: "照片看不清"}},
		{"review not passed", "复查 12 不通过，接地桩未检测", Command{Name: Review, Number: no(12), Text: "接地桩未检测"}},
		{"review reason over lines", "复查 12 退回\n照片看不清\n请补拍", Command{Name: Review, Number: no(12), Text: "照片看不清\n请补拍"}},
		{"close out", "销号 12", Command{Name: Review, Number: no(12), Pass: true}},
		{"close out glued", "销号12", Command{Name: Review, Number: no(12), Pass: true}},
		{"review pass word", "复查通过 12", Command{Name: Review, Number: no(12), Pass: true}},
		{"review pass with full stop", "复查 12号 通过。", Command{Name: Review, Number: no(12), Pass: true}},
		{"close out with full stop", "销号 12 。", Command{Name: Review, Number: no(12), Pass: true}},
		{"send back word", "退回 12 措施不具体", Command{Name: Review, Number: no(12), Text: "措施不具体"}},

		// list
		{"list red", "挂牌 12 红", Command{Name: List, Number: no(12), Colour: models.ColourRed}},
		{"list yellow long", "挂牌 12 黄色", Command{Name: List, Number: no(12), Colour: models.ColourYellow}},
		{"list blue english", "挂牌 12 Blue", Command{Name: List, Number: no(12), Colour: models.ColourBlue}},
		{"list glued", "挂牌12红", Command{Name: List, Number: no(12), Colour: models.ColourRed}},
		{"list supervise", "挂牌督办 YH2023-0012 红牌", Command{Name: List, Number: no(12), Colour: models.ColourRed}},
		{"list red card", "挂牌 12 红牌", Command{Name: List, Number: no(12), Colour: models.ColourRed}},
		{"list red supervision", "挂牌 12 红色督办", Command{Name: List, Number: no(12), Colour: models.ColourRed}},
		{"list yellow listing", "挂牌 12 黄色挂牌。", Command{Name: List, Number: no(12), Colour: models.ColourYellow}},
		{"list blue supervision glued", "挂牌12蓝色督办", Command{Name: List, Number: no(12), Colour: models.ColourBlue}},

		// extend
		{"extend", "延期 12 4月15日 设备未到货", Command{Name: Extend, Number: no(12), Date: day(2023, 4, 15), DateText: "4月15日", Text: "设备未到货"}},
		{"extend relative", "延期 12 15天 设备未到货", Command{Name: Extend, Number: no(12), Date: day(2023, 3, 30), DateText: "15天", Text: "设备未到货"}},
		{"extend reason with commas", "申请延期 12 月底 厂家停产，需另行采购", Command{Name: Extend, Number: no(12), Date: day(2023, 3, 31), DateText: "月底", Text: "厂家停产，需另行采购"}},
		{"approve extension", "同意延期 12", Command{Name: ApproveExtension, Number: no(12)}},
		{"approve extension alias", "批准延期 YH2023-0012", Command{Name: ApproveExtension, Number: no(12)}},

		// withdraw
		{"withdraw", "撤销 12 重复上报", Command{Name: Withdraw, Number: no(12), Text: "重复上报"}},
		{"withdraw english", "withdraw 12 duplicate", Command{Name: Withdraw, Number: no(12), Text: "duplicate"}},

		// dialogue
		{"confirm", "确认", Command{Name: Confirm}},
		{"confirm shi", "是", Command{Name: Confirm}},
		{"confirm hao", "好", Command{Name: Confirm}},
		{"confirm haode with punctuation", "好的！", Command{Name: Confirm}},
		{"confirm ok", "OK", Command{Name: Confirm}},
		{"confirm y", "y", Command{Name: Confirm}},
		{"edit", "修改", Command{Name: Edit}},
		{"edit field", "修改 时限", Command{Name: Edit, Field: FieldDeadline}},
		{"edit field and value", "修改 时限 3月31日", Command{Name: Edit, Field: FieldDeadline, Text: "3月31日"}},
		{"edit glued", "修改时限", Command{Name: Edit, Field: FieldDeadline}},
		{"edit glued value", "改单位茅箭区应急管理局", Command{Name: Edit, Field: FieldUnit, Text: "茅箭区应急管理局"}},
		{"edit colon", "修改：责任单位", Command{Name: Edit, Field: FieldUnit}},
		{"cancel", "取消", Command{Name: Cancel}},
		{"cancel suanle", "算了", Command{Name: Cancel}},
		{"cancel english", "Cancel", Command{Name: Cancel}},
		{"resume", "继续", Command{Name: Resume}},
		{"skip", "跳过", Command{Name: Skip}},
		{"skip english", "skip", Command{Name: Skip}},

		// not commands
		{"empty", "", Command{}},
		{"spaces", " \u3000\n ", Command{}},
		{"sentence", "消防通道被杂物堵塞", Command{}},
		{"sentence starting like report", "上报时间是昨天", Command{}},
		{"sentence starting like query", "查一下昨天的", Command{}},
		{"sentence starting like mine", "我的天", Command{}},
		{"sentence starting like stats", "统计一下", Command{}},
		{"sentence starting like edit", "改成明天", Command{}},
		{"yes inside a sentence", "是这样的", Command{}},
		{"english word starting with help", "helpful", Command{}},
		{"date is not a number", "3月15日", Command{}},
		{"iso date is not a number", "2023-3-15", Command{}},
		{"field line", "隐患：消防通道堵塞", Command{}},
		{"query glued to other text", "查12号楼", Command{}},
		{"number then pass is no command", "12号 通过", Command{}},
		{"number then agree is no command", "12 同意", Command{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in, wednesday, shanghai)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Parse(%q) =\n %+v\nwant\n %+v", c.in, got, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Name
		msgs []string // each must appear in the message
	}{
		{"query without number", "查询", Query, []string{"缺少隐患编号", "例如：查询 12、查询 燃气"}},
		{"assign without unit", "交办 12", Assign, []string{"请写明责任单位", "例如：交办 12 茅箭区应急管理局 3月31日"}},
		{"assign only a deadline", "交办 12 3月31日", Assign, []string{"请写明责任单位"}},
		{"assign impossible deadline", "交办 12 某局 2月30日", Assign, []string{"“2月30日”不是有效日期"}},
		{"assign bad deadline after word", "交办 12 某局 时限 尽快", Assign, []string{"“尽快”没有具体日期，请写整改时限"}},
		{"assign without number", "交办 茅箭区", Assign, []string{"隐患编号“茅箭区”不对"}},
		{"accept without number", "接收", Accept, []string{"缺少隐患编号", "接收 12"}},
		{"rectify without measures", "整改 12", Rectify, []string{"请写明整改措施", "例如：整改 12"}},
		{"review without verdict", "复查 12", Review, []string{"请写明“通过”或“退回”"}},
		{"review unknown verdict", "复查 12 还行", Review, []string{"请写明“通过”或“退回”"}},
		{"review reject without reason", "复查 12 退回", Review, []string{"请写明退回理由"}},
		{"review reject with only a full stop", "复查 12 退回。", Review, []string{"请写明退回理由"}},
		{"withdraw with only punctuation", "撤销 12 ，。", Withdraw, []string{"请写明撤销理由"}},
		{"rectify with only a full stop", "整改 12 。", Rectify, []string{"请写明整改措施"}},
		{"send back without reason", "退回 12", Review, []string{"请写明退回理由"}},
		{"close out without number", "销号", Review, []string{"缺少隐患编号", "复查 编号 通过"}},
		{"list without colour", "挂牌 12", List, []string{"请写明挂牌颜色", "挂牌 12 红"}},
		{"list bad colour", "挂牌 12 绿", List, []string{"挂牌颜色“绿”不对"}},
		{"list extra words", "挂牌 12 红 立即", List, []string{"多余的字"}},
		{"extend without date", "延期 12", Extend, []string{"请写明延期到哪天"}},
		{"extend bad date", "延期 12 2月30日 等设备", Extend, []string{"“2月30日”不是有效日期", "延期 12 4月15日"}},
		{"extend without reason", "延期 12 4月15日", Extend, []string{"请写明延期理由"}},
		{"approve without number", "同意延期", ApproveExtension, []string{"缺少隐患编号"}},
		{"withdraw without reason", "撤销 12", Withdraw, []string{"请写明撤销理由", "撤销 12 重复上报"}},
		{"stats impossible date", "统计 2月30日", Stats, []string{"“2月30日”不是有效日期"}},
		{"stats backwards range", "统计 3月15日至3月1日", Stats, []string{"晚于"}},
		{"edit unknown field", "修改 电话", Edit, []string{"没有“电话”这一项", "整改时限"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in, wednesday, shanghai)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", c.in, got)
			}
			if got.Name != c.want {
				t.Errorf("Parse(%q) name = %q, want %q", c.in, got.Name, c.want)
			}
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("Parse(%q) error = %v, want invalid", c.in, err)
			}
			msg := models.ErrorMessage(err)
			for _, m := range c.msgs {
				if !strings.Contains(msg, m) {
					t.Errorf("Parse(%q) message = %q, want it to contain %q", c.in, msg, m)
				}
			}
		})
	}
}

func TestUsageForEveryCommand(t *testing.T) {
	for _, n := range words {
		if n == reviewPass || n == reviewReject {
			continue
		}
		if Usage(n) == "" {
			t.Errorf("command %q has no usage", n)
		}
	}
	for _, n := range answers {
		if Usage(n) == "" {
			t.Errorf("answer %q has no usage", n)
		}
	}
}
