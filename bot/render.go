package bot

import (
	"fmt"
	"strings"

	"hazardbot/bot/command"
	"hazardbot/models"
)

// maxText is WeCom's limit for a text message, in bytes.
const maxText = 2048

// The bot's fixed sentences. Short and concrete: they are read on a phone.
const (
	msgUnknown          = "没看懂这条消息。发送“帮助”查看可用命令，发送“上报”登记隐患。"
	msgNoVoice          = "暂不支持语音和视频，请用文字描述，照片直接发送即可。"
	msgNoDraft          = "当前没有正在填写的上报。发送“上报”开始登记隐患。"
	msgCancelled        = "已取消本次上报，草稿和照片已丢弃。"
	msgReportStart      = "开始登记隐患，随时可发照片和位置，发送“取消”放弃。\n"
	msgAsk              = "请填写%s，例如：%s"
	msgAskChoice        = "请填写%s，可选：%s"
	msgUnknownFields    = "没认出这些项目：%s（可用：隐患、内容、区域、行业、企业、单位、措施、时限、检查日期、备注）"
	msgConfirmHow       = "回复“确认”提交，“修改 项目 新内容”修改（例如：修改 时限 3月31日），“取消”放弃。"
	msgEditHow          = "要修改哪一项？例如：修改 时限 3月31日、修改 单位 茅箭区应急管理局"
	msgNothingToSkip    = "现在没有可以跳过的项目。"
	msgCannotSkip       = "“%s”是必填项，不能跳过。"
	msgDraftKept        = "你有一份未提交的上报草稿%s，回复“继续”接着填写，回复“取消”放弃。"
	msgPastedIntoDraft  = "已填入上报草稿%s。"
	msgPastedReplaced   = "%s原为“%s”"
	msgDraftExists      = "你还有一份未提交的上报草稿%s。回复“继续”接着填写；再发一次“上报”将放弃它重新开始。"
	msgPhotoDraft       = "已收到照片（本次上报共%d张）。"
	msgPhotoPending     = "已收到照片（待提交%d张）。发送“上报”登记隐患，或“整改 编号 做了什么”提交整改，照片会一并附上。"
	msgPhotoDraftFull   = "这份上报已有%d张照片，最多%d张，这张没有保存。请发“确认”提交，或发“取消”重新开始。"
	msgPhotoPendingFull = "待提交的照片已有%d张，最多%d张，这张没有保存。请先发“上报”登记隐患或“整改 编号 做了什么”提交整改。"
	msgTooFast          = "发送太频繁，请稍后再试"
	msgOutOfScope       = "所填单位（%s）不在您的辖区，已转%s督办员交办。"
	msgLocationNoDraft  = "已收到位置。请先发送“上报”，再发送位置，它会记入隐患。"
	msgLocationSaved    = "已记录位置：%s"
	msgAskRejectReason  = "请回复退回 %s 的理由（一句话即可），发送“取消”放弃退回。"
	msgUnitSuggest      = "通讯录里没有责任单位“%s”，最接近的是：%s。是其中之一请回复完整名称；是新单位请再发一次“%s”，将新建并待管理员核实。"
	msgUnitIsDate       = "“%s”是日期，不是单位。责任单位请填写单位名称，不清楚写“待定”；改时限请发“修改 时限 新日期”。"
	msgUnitDateTaken    = "已记为整改时限：%s。"
	msgAssignedNewUnit  = "已交办 %s，整改时限%s。责任单位“%s”通讯录里没有，已新建，待管理员核实；如写错了，请用完整名称重新交办。"
	msgAskEnterprise    = "请填写检查的企业或场所，例如：人民南路饭店；没有请回复“跳过”"
	msgNeedDirectory    = "你还不在通讯录中，只能上报隐患和查询自己上报的隐患。请联系安委办管理员登记。"
)

// welcome greets a user who opens the app.
func welcome(a *models.Actor) string {
	name := ""
	if a.Name != "" {
		name = a.Name + "，"
	}
	return name + "你好！这里是重点隐患整改台账。发送“上报”登记隐患，“查询 编号”查看进度，“帮助”查看全部命令。"
}

// greeting answers 你好 and 在吗: who the bot is and the few commands
// that get a person started, for their roles.
func greeting(a *models.Actor) string {
	var b strings.Builder
	if a.Name != "" {
		b.WriteString(a.Name + "，")
	}
	b.WriteString("你好！我是重点隐患整改台账助手，常用：\n")
	b.WriteString("· 上报 —— 登记隐患，可先发照片\n")
	b.WriteString("· 查询 12 或 查询 燃气 —— 查进度、按关键词找\n")
	b.WriteString("· 我的 —— 我的待办\n")
	if a.Known() {
		b.WriteString("· 统计 本周 —— 本周情况小结\n")
	}
	b.WriteString("发送“帮助”查看全部命令。")
	return b.String()
}

// helpText lists the commands this user may use.
func helpText(a *models.Actor) string {
	var b strings.Builder
	b.WriteString("可用命令：\n")
	line := func(s string) { b.WriteString("· " + s + "\n") }
	line("上报 —— 按提示登记隐患，可附照片和位置")
	line("查询 编号 或 关键词 —— 例如：查询 12、查询 燃气")
	line("我的 —— 我的待办和上报")
	line("照片 编号 —— 看整改前后的照片")
	if a.Known() {
		line("统计 [时间] [区域或行业] —— 例如：统计 本周")
		line("排名 [时间] —— 考核排名")
	}
	if mayRecordReports(a) {
		line("报送 [材料] —— 登记本单位已报送专项行动材料；报送情况 —— 谁还没报")
	}
	if mayPullLedger(a) {
		line("台账 [时间] [区域或行业] —— 发来 Excel 台账")
	}
	if a.Has(models.RoleContact) {
		line("接收 编号")
		line("整改 编号 做了什么 —— 先发整改后的照片，再发这一句")
		line("延期 编号 新时限 理由")
	}
	if a.Has(models.RoleSupervisor) {
		line("交办 编号 单位 时限")
		line("复查 编号 通过 / 复查 编号 退回 理由")
		line("挂牌 编号 红/黄/蓝")
		line("同意延期 编号")
		line("撤销 编号 理由")
	}
	if !a.Known() {
		b.WriteString(msgNeedDirectory)
	}
	return strings.TrimRight(b.String(), "\n")
}

// summaryText shows a complete draft for confirmation.
func summaryText(d *draft, photos int64) string {
	var b strings.Builder
	b.WriteString("请核对：\n")
	for _, f := range command.Fields {
		if d.has(f) {
			fmt.Fprintf(&b, "%s：%s\n", command.FieldName(f), d.value(f))
		}
	}
	if photos > 0 {
		fmt.Fprintf(&b, "照片：%d张\n", photos)
	}
	b.WriteString(msgConfirmHow)
	return b.String()
}

// reportDone tells the reporter their hazard is on the ledger. notice, when
// not empty, says why the unit they named was not given the work
// (reportNotice).
func reportDone(h *models.Hazard, d *draft, photos int64, notice string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "已登记，编号 %s。\n%s", h.Number, h.Title)
	if photos > 0 {
		fmt.Fprintf(&b, "（照片%d张）", photos)
	}
	if h.State == models.StateRectifying {
		fmt.Fprintf(&b, "\n已交办%s，整改时限%s。", d.Unit, h.Deadline.Chinese())
	} else if notice != "" {
		b.WriteString("\n" + notice)
	} else if d.UnitID != 0 {
		fmt.Fprintf(&b, "\n已通知督办员，所填责任单位（%s）由督办员核实后交办。", d.Unit)
	} else {
		b.WriteString("\n已通知督办员交办。")
	}
	fmt.Fprintf(&b, "\n查询进度：查询 %d", h.Seq)
	return b.String()
}

// fitText cuts a reply to WeCom's 2,048-byte limit at a line break and says
// how many lines were left out.
func fitText(s string) string {
	if len(s) <= maxText {
		return s
	}
	lines := strings.Split(s, "\n")
	for keep := len(lines) - 1; keep > 0; keep-- {
		out := strings.Join(lines[:keep], "\n") + fmt.Sprintf("\n……另有%d行未显示", len(lines)-keep)
		if len(out) <= maxText {
			return out
		}
	}
	// One enormous line: cut it at a character boundary.
	return models.Truncate(s, maxText, "……")
}

// hazardLine is one hazard in a list: number, title, and where it stands.
func hazardLine(h *models.Hazard, today models.Date) string {
	s := fmt.Sprintf("%s %s【%s】", h.Number, h.Title, models.StateName(h.State))
	if d := h.OverdueDays(today); d > 0 {
		s += fmt.Sprintf(" 逾期%d天", d)
	} else if h.State.Open() && !h.Deadline.IsZero() {
		s += " 时限" + h.Deadline.Short()
	}
	return s
}

// listSection renders a titled list, cut to max items with a count of the rest.
func listSection(title string, list []models.Hazard, total int64, today models.Date, max int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s（%d）：\n", title, total)
	for i := range list {
		if i == max {
			break
		}
		b.WriteString(hazardLine(&list[i], today) + "\n")
	}
	if shown := min(int64(len(list)), int64(max)); total > shown {
		fmt.Fprintf(&b, "……另有%d条\n", total-shown)
	}
	return b.String()
}

// colourText names a hazard's supervision colour as configured.
func (b *Bot) colourText(c models.Colour) string {
	if c == models.ColourNone {
		return ""
	}
	if b.cfg != nil {
		if col, ok := b.cfg.Supervision.Colours[string(c)]; ok && col.Name != "" {
			return col.Name
		}
	}
	return models.ColourName(c) + "色"
}

// unverifiedSection lists the units created for names the directory did
// not have, for the supervisor to have confirmed or merged by the admin.
func unverifiedSection(units []models.Unit) string {
	if len(units) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "新增单位待核实（%d个）：\n", len(units))
	for i, u := range units {
		if i == 8 {
			fmt.Fprintf(&b, "……等%d个，请管理员核实或合并\n", len(units))
			break
		}
		fmt.Fprintf(&b, "· %s（%s）\n", u.Name, u.Kind.Chinese())
	}
	return b.String()
}
