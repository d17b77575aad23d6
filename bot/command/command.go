// Package command turns what officers type on a phone into structured
// commands: the chat commands of DESIGN §3, the `字段：值` lines of a one-shot
// report, dates and deadlines as people write them, and the spans of a 统计.
// It is pure: no database, no WeCom, and the clock is passed in.
//
// It is tolerant on purpose: full- and half-width punctuation, extra and
// Chinese spaces, line breaks, a colon after the command word, loose hazard
// numbers and Chinese numerals are all accepted, because the text comes from
// phone keyboards in the field.
package command

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"hazardbot/calendar"
	"hazardbot/models"
)

// Name says which command a message is.
type Name string

// The commands. None means the text is not a command: the bot feeds it to the
// current dialogue or answers with a hint.
const (
	None             Name = ""
	Help             Name = "help"              // 帮助
	Report           Name = "report"            // 上报
	Query            Name = "query"             // 查询
	Mine             Name = "mine"              // 我的 / 待办
	Stats            Name = "stats"             // 统计
	Assign           Name = "assign"            // 交办
	Accept           Name = "accept"            // 接收
	Rectify          Name = "rectify"           // 整改 (submit for review)
	Review           Name = "review"            // 复查 通过/退回, 销号
	List             Name = "list"              // 挂牌
	Extend           Name = "extend"            // 延期
	ApproveExtension Name = "approve_extension" // 同意延期
	Withdraw         Name = "withdraw"          // 撤销
	Confirm          Name = "confirm"           // 确认
	Edit             Name = "edit"              // 修改
	Cancel           Name = "cancel"            // 取消
	Resume           Name = "resume"            // 继续
	Skip             Name = "skip"              // 跳过
	Photos           Name = "photos"            // 照片: a hazard's photos
	CampaignReport   Name = "campaign_report"   // 报送: a unit handed in a campaign report
	CampaignStatus   Name = "campaign_status"   // 报送情况: who has not
	Greet            Name = "greet"             // 你好, 在吗
	More             Name = "more"              // 更多: the next page of a long reply
	Ledger           Name = "ledger"            // 台账: the .xlsx of the asker's scope
	Ranking          Name = "ranking"           // 排名: 考核排名
)

// Command is one parsed message. Which arguments are set depends on Name; the
// rest are zero.
type Command struct {
	Name Name
	// Implicit is set when no command word was typed and the meaning was
	// inferred: a bare "12" is a Query. The bot should let a dialogue that is
	// waiting for an answer take such text first.
	Implicit bool

	// Number is the hazard of Query, Assign, Accept, Rectify, Review, List,
	// Extend, ApproveExtension and Withdraw.
	Number models.Number

	// Units are the responsible-unit words of Assign as typed, for the bot to
	// resolve against the directory.
	Units []string
	// Date is Assign's deadline and Extend's requested new deadline as read
	// from today with the official calendar (zero when not given, or when
	// the date lies in the past). DateText is the date as typed: the bot
	// reads it again with ParseDeadlineFrom, counting an extension's "15天"
	// from the current deadline and asking back about a past date.
	Date     models.Date
	DateText string

	// Text is the free text: Query's search words (space-separated; Number
	// is then zero), Rectify's measures, the reason of a Review
	// send-back, Extend and Withdraw, Edit's new value, Help's and Mine's
	// topic. Line breaks are kept.
	Text string
	// Pass is Review's verdict: true 通过 (close out), false 退回 (send back).
	Pass bool
	// Colour is List's supervision colour.
	Colour models.Colour

	// PeriodText is Stats' span as typed ("" when none); resolve it with
	// ParsePeriod, which needs the campaign. Parse has already checked that it
	// reads. Filters are the remaining words, each a region or a sector.
	PeriodText string
	Filters    []string

	// Field is Edit's field (empty when the user just said 修改).
	Field Field

	// Fields and Unknown are Report's one-shot fields (see ParseFields);
	// text on the command line that is not a field line is taken as the
	// title.
	Fields  map[Field]string
	Unknown []string
}

// words maps each command word, Chinese first, to its command. Matching is
// case-insensitive and longest first, so 同意延期 wins over 同意 and 复查通过
// over 复查.
var words = map[string]Name{
	"帮助": Help, "?": Help, "菜单": Help, "命令": Help, "help": Help, "menu": Help,

	"上报": Report, "报告": Report, "新增": Report, "上报隐患": Report, "report": Report, "new": Report,

	"查询": Query, "查": Query, "查看": Query, "query": Query,

	"我的": Mine, "待办": Mine, "待办事项": Mine, "我的待办": Mine, "我的任务": Mine, "我的隐患": Mine,
	"mine": Mine, "todo": Mine,

	"统计": Stats, "汇总": Stats, "小结": Stats, "情况小结": Stats, "stats": Stats, "summary": Stats,

	"交办": Assign, "指派": Assign, "分派": Assign, "assign": Assign,

	"接收": Accept, "签收": Accept, "受理": Accept, "accept": Accept,

	"整改": Rectify, "整改完成": Rectify, "提交整改": Rectify, "申请销号": Rectify,
	"rectify": Rectify, "submit": Rectify,

	"复查": Review, "review": Review,
	"销号": reviewPass, "复查通过": reviewPass, "close": reviewPass,
	"复查退回": reviewReject, "退回": reviewReject, "reject": reviewReject,

	"挂牌": List, "挂牌督办": List, "supervise": List, "flag": List,

	"延期": Extend, "申请延期": Extend, "extend": Extend,

	"同意延期": ApproveExtension, "批准延期": ApproveExtension, "准予延期": ApproveExtension,
	"approve": ApproveExtension,

	"撤销": Withdraw, "作废": Withdraw, "withdraw": Withdraw,

	"台账": Ledger, "导出台账": Ledger, "要台账": Ledger, "ledger": Ledger,
	"排名": Ranking, "考核排名": Ranking, "排行": Ranking, "ranking": Ranking,

	"报送": CampaignReport, "已报送": CampaignReport, "报送情况": CampaignStatus, "报送进度": CampaignStatus,

	"照片": Photos, "查看照片": Photos, "看照片": Photos, "photos": Photos, "photo": Photos,

	"修改": Edit, "改": Edit, "更改": Edit, "edit": Edit,
}

// reviewPass and reviewReject are Review with the verdict in the word itself.
const (
	reviewPass   Name = "review pass"
	reviewReject Name = "review reject"
)

// answers are the dialogue words; the whole message must be the word (a
// trailing 。 or ! aside), since "好" or "是" inside a sentence means nothing.
var answers = map[string]Name{
	"确认": Confirm, "确定": Confirm, "是": Confirm, "是的": Confirm, "好": Confirm, "好的": Confirm,
	"对": Confirm, "嗯": Confirm, "可以": Confirm, "没问题": Confirm, "提交": Confirm,
	"ok": Confirm, "okay": Confirm, "y": Confirm, "yes": Confirm, "confirm": Confirm,

	"取消": Cancel, "算了": Cancel, "不要了": Cancel, "放弃": Cancel, "退出": Cancel,
	"取消上报": Cancel, "cancel": Cancel, "quit": Cancel,

	"继续": Resume, "继续上报": Resume, "continue": Resume, "resume": Resume,

	"跳过": Skip, "略过": Skip, "不填": Skip, "skip": Skip,

	"你好": Greet, "您好": Greet, "你好啊": Greet, "您好啊": Greet, "在吗": Greet, "在不在": Greet,
	"在么": Greet, "在": Greet, "有人吗": Greet, "嗨": Greet, "哈喽": Greet, "早": Greet, "早上好": Greet,
	"上午好": Greet, "中午好": Greet, "下午好": Greet, "晚上好": Greet, "老师好": Greet, "领导好": Greet,
	"hi": Greet, "hello": Greet, "hey": Greet, "你好你好": Greet, "您好您好": Greet,

	"更多": More, "下一页": More, "下页": More, "还有吗": More, "继续看": More, "more": More, "next": More,
}

// sortedWords is words' keys, longest first.
var sortedWords = func() []string {
	ws := make([]string, 0, len(words))
	for w := range words {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool {
		if len(ws[i]) != len(ws[j]) {
			return len(ws[i]) > len(ws[j])
		}
		return ws[i] < ws[j]
	})
	return ws
}()

// usages are the syntax and an example of each command, shown after a
// malformed command and usable by the help text.
var usages = map[Name]string{
	Help:             "帮助",
	Report:           "上报（按提示逐项填写）；或 上报 后换行写“隐患：…”“单位：…”等",
	Query:            "查询 编号 或 关键词，例如：查询 12、查询 燃气、查询 人民南路",
	Mine:             "我的",
	Stats:            "统计 [时间] [区域或行业]，例如：统计 本周 茅箭区、统计 2月1日至3月15日",
	Assign:           "交办 编号 责任单位 [时限] [整改措施]，例如：交办 12 茅箭区应急管理局 3月31日 更换老化软管",
	Accept:           "接收 编号，例如：接收 12",
	Rectify:          "整改 编号 整改措施，例如：整改 12 已清理消防通道并设置警示标志",
	Review:           "复查 编号 通过，或 复查 编号 退回 理由，例如：复查 12 退回 照片看不清",
	List:             "挂牌 编号 红/黄/蓝，例如：挂牌 12 红",
	Extend:           "延期 编号 新时限 理由，例如：延期 12 4月15日 设备未到货；延期 12 10个工作日 设备未到货（从现时限算起）",
	ApproveExtension: "同意延期 编号，例如：同意延期 12",
	Withdraw:         "撤销 编号 理由，例如：撤销 12 重复上报",
	Confirm:          "确认",
	Edit:             "修改 项目 [新内容]，例如：修改 时限 3月31日",
	Cancel:           "取消",
	Resume:           "继续",
	Skip:             "跳过",
	Photos:           "照片 编号，例如：照片 12",
	CampaignReport:   "报送 [活动] [材料]，例如：报送、报送 月报、报送 春季攻势 工作方案",
	CampaignStatus:   "报送情况 [活动]",
	Greet:            "你好",
	More:             "更多",
	Ledger:           "台账 [时间] [区域或行业]，例如：台账、台账 本月 茅箭区、台账 燃气",
	Ranking:          "排名 [时间]，例如：排名、排名 本月",
}

// Usage is the syntax of a command with an example, in Chinese:
// "交办 编号 责任单位 [时限]，例如：交办 12 茅箭区应急管理局 3月31日".
func Usage(n Name) string { return usages[n] }

// Parse reads one text message. It returns Name None and no error when the
// text is not a command. When the command word is clear but its arguments
// are not, it returns the command's Name with an invalid *models.Error whose
// message says what is wrong and shows the expected form with an example.
// now and loc give this year for bare hazard numbers and the day for dates.
//
// A command word must be followed by a separator (space, colon, comma, line
// break) or nothing; glued to its arguments ("查询12", "挂牌12红") it counts
// only when the arguments read cleanly, so that a sentence that merely starts
// like a command ("上报时间是…") stays ordinary text.
func Parse(text string, now time.Time, loc *time.Location) (Command, error) {
	// Emoji before the command word ("😀上报") are no part of it.
	typed := strings.TrimLeftFunc(cleanText(text), func(r rune) bool { return isSymbol(r) || unicode.IsSpace(r) })
	typed = strings.TrimSpace(typed)
	s := strings.TrimPrefix(narrowText(typed), "/")
	if s == "" {
		return Command{}, nil
	}
	if n, ok := answers[strings.ToLower(strings.TrimRightFunc(trimEndPunct(s), isAnswerEnd))]; ok {
		return Command{Name: n}, nil
	}
	year := models.DateOf(now, loc).Year
	for _, w := range sortedWords {
		if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
			continue
		}
		rest := s[len(w):]
		// Emoji right after the word ("上报😀", "查询🔍12") separate it
		// from its arguments; an emoji inside them (a title) stays.
		afterSymbol := false
		if t := strings.TrimLeftFunc(rest, isSymbol); t != rest {
			rest, afterSymbol = t, true
		}
		if strings.TrimFunc(rest, isAnswerEnd) == "" {
			rest = "" // "帮助？", "我的。" and "上报 👍" are the bare word
		}
		glued := rest != "" && !startsWithSep(rest) && !afterSymbol
		if glued && isASCIIWord(w) {
			continue // "helpful" is not "help"
		}
		p := parser{name: words[w], rest: rest, typed: typed, glued: glued, year: year, now: now, loc: loc}
		c, err := p.parse()
		if err != nil && glued {
			return Command{}, nil
		}
		return c, err
	}
	if n, err := models.ParseNumber(bareNumber(numerals(trimEndPunct(s))), year); err == nil {
		return Command{Name: Query, Implicit: true, Number: n}, nil
	}
	if n, ok := closeOutFirst(s, year); ok {
		return Command{Name: Review, Implicit: true, Number: n, Pass: true}, nil
	}
	return Command{}, nil
}

// closeOutFirst reads "12 销号" and "12号 销号": the number before the
// verdict. Only 销号 is read so, since it means one thing; "12 通过" or
// "12 同意" may as well approve an extension (同意延期 12) and stays
// ordinary text. The command is Implicit, so that a dialogue waiting for
// an answer takes the text first, as it does a bare number.
func closeOutFirst(s string, year int) (models.Number, bool) {
	t, ok := strings.CutSuffix(trimEndPunct(s), "销号")
	if !ok {
		return models.Number{}, false
	}
	t = strings.TrimRightFunc(t, isSep)
	n, err := models.ParseNumber(bareNumber(numerals(t)), year)
	return n, err == nil
}

// isSymbol reports the characters people put around a command word that
// are neither letters, digits, CJK nor punctuation: emoji (with their skin
// tones, variation selectors, joiners and keycaps) and other symbols.
func isSymbol(r rune) bool {
	switch {
	case unicode.Is(unicode.So, r), unicode.Is(unicode.Sk, r):
		return true
	case r == '\u200d', r == '\u20e3', r >= '\ufe00' && r <= '\ufe0f', r >= 0x1f3fb && r <= 0x1f3ff:
		return true
	}
	return false
}

// isAnswerEnd reports what may follow a word that must stand alone ("好的。",
// "帮助？", "确认👍"): sentence punctuation, spaces and symbols.
func isAnswerEnd(r rune) bool {
	return strings.ContainsRune("?!~。.，, ？", r) || unicode.IsSpace(r) || isSymbol(r)
}

// bareNumber drops the 第 and 号 around a number typed alone: "第12号",
// "12号" → "12". A date answer ("15号") still reaches a dialogue waiting
// for one, since the query is Implicit.
func bareNumber(s string) string {
	t := strings.TrimSuffix(strings.TrimPrefix(s, "第"), "号")
	if t != "" && t[len(t)-1] >= '0' && t[len(t)-1] <= '9' {
		return t
	}
	return s
}

// reNumerals is a hazard number in Chinese numerals or circled: "第十二号", "③".
var reNumerals = regexp.MustCompile(`^第?(?:[零〇一二两三四五六七八九十百]+|[①-⑳])号?$`)

// numerals turns a hazard number written in Chinese numerals or circled
// into digits ("第十二号" → "第12号", "③" → "3"); any other text is
// returned as it is.
func numerals(s string) string {
	if !reNumerals.MatchString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '①' && r <= '⑳' {
			b.WriteString(strconv.Itoa(1 + int(r-'①')))
			continue
		}
		b.WriteRune(r)
	}
	return chineseDigits(b.String())
}

// parser holds one command's arguments while they are read.
type parser struct {
	name Name
	// rest is what is left to read, narrowed; typed is the whole message as
	// typed, from which free text is taken so that it keeps its full-width
	// punctuation.
	rest  string
	typed string
	glued bool
	year  int
	now   time.Time
	loc   *time.Location
}

func (p *parser) invalid(format string, args ...any) error {
	n := p.name
	switch n {
	case reviewPass, reviewReject:
		n = Review
	}
	return models.Errorf(models.EInvalid, "%s。格式：%s", fmt.Sprintf(format, args...), usages[n])
}

func (p *parser) parse() (Command, error) {
	c := Command{Name: p.name}
	if p.name == reviewPass || p.name == reviewReject {
		c.Name = Review
	}
	switch p.name {
	case Help, Mine:
		if p.glued {
			return c, p.invalid("多余的字")
		}
		c.Text = strings.TrimSpace(trimSep(p.rest))
		return c, nil
	case Report:
		return p.report(c)
	case CampaignReport, CampaignStatus:
		if p.glued {
			return c, p.invalid("多余的字")
		}
		c.Text = strings.TrimSpace(trimSep(p.rest))
		return c, nil
	case Stats, Ledger, Ranking:
		return p.stats(c)
	case Edit:
		return p.edit(c)
	}

	// Every other command names a hazard first; 查询 may instead name
	// words to search for.
	before := p.rest
	n, err := p.number()
	if err != nil && p.name == Query && !p.glued {
		p.rest = before
		if c.Text = strings.Join(strings.FieldsFunc(p.tail(), isSep), " "); c.Text != "" {
			return c, nil
		}
	}
	if err != nil {
		return c, err
	}
	c.Number = n
	switch p.name {
	case Query, Accept, ApproveExtension, Photos:
		if p.glued && strings.TrimSpace(trimSep(p.rest)) != "" {
			return c, p.invalid("编号后面有多余的字")
		}
		return c, nil
	case Assign:
		return p.assign(c)
	case Rectify:
		c.Text = p.tail()
		if c.Text == "" {
			return c, p.invalid("请写明整改措施")
		}
		return c, nil
	case Review, reviewPass, reviewReject:
		return p.review(c)
	case List:
		tok := trimEndPunct(p.token())
		col, ok := colourOf(tok)
		if !ok {
			if tok == "" {
				return c, p.invalid("请写明挂牌颜色：红、黄或蓝")
			}
			return c, p.invalid("挂牌颜色“%s”不对，应为红、黄或蓝", tok)
		}
		c.Colour = col
		if rest := p.tail(); rest != "" {
			return c, p.invalid("颜色后面有多余的字“%s”", rest)
		}
		return c, nil
	case Extend:
		tok := p.token()
		if tok == "" {
			return c, p.invalid("请写明延期到哪天")
		}
		// The bot reads the date again from the hazard's current deadline
		// and with the configured calendar; here it only has to read.
		d, err := ParseDeadline(tok, p.now, p.loc, nil)
		var past *PastError
		if err != nil && !errors.As(err, &past) {
			return c, p.invalid("%s", models.ErrorMessage(err))
		}
		c.Date, c.DateText = d, tok
		if c.Text = p.tail(); c.Text == "" {
			return c, p.invalid("请写明延期理由")
		}
		return c, nil
	case Withdraw:
		if c.Text = p.tail(); c.Text == "" {
			return c, p.invalid("请写明撤销理由")
		}
		return c, nil
	}
	return c, nil
}

// reNumberPrefix finds a hazard number at the start of a token glued to what
// follows: "12茅箭区", "YH2023-0012红", "第12号".
var reNumberPrefix = regexp.MustCompile(`^(?i)第?((?:#|no\.?)?(?:yh)?\d+(?:[-_—]\d+)?)号?`)

// number reads the hazard number that starts the arguments.
func (p *parser) number() (models.Number, error) {
	p.skipSep()
	before := p.rest // starts with the number's token
	tok := trimEndPunct(p.token())
	if t := numerals(tok); t != tok {
		// Read apart: the glued forms below cut tok by byte offsets.
		if n, err := models.ParseNumber(bareNumber(t), p.year); err == nil {
			return n, nil
		}
	}
	prefix := ""
	switch strings.ToUpper(tok) {
	case "YH", "#", "NO", "NO.", "第":
		// "YH 2023-0012": the prefix typed apart from the number.
		p.skipSep()
		prefix, before = tok, p.rest
		tok += trimEndPunct(p.token())
	}
	if tok == "" {
		return models.Number{}, p.invalid("缺少隐患编号")
	}
	if n, err := models.ParseNumber(tok, p.year); err == nil {
		return n, nil
	}
	// The number may be glued to the next argument: put the remainder back.
	if m := reNumberPrefix.FindStringSubmatchIndex(tok); m != nil && m[1] > len(prefix) {
		if n, err := models.ParseNumber(tok[m[2]:m[3]], p.year); err == nil {
			p.rest = before[m[1]-len(prefix):]
			return n, nil
		}
	}
	return models.Number{}, p.invalid("隐患编号“%s”不对，应为 YH%d-0012 或直接写序号 12", tok, p.year)
}

// colours maps the colour words of 挂牌.
var colours = map[string]models.Colour{
	"红": models.ColourRed, "红色": models.ColourRed, "红牌": models.ColourRed, "red": models.ColourRed,
	"黄": models.ColourYellow, "黄色": models.ColourYellow, "黄牌": models.ColourYellow, "yellow": models.ColourYellow,
	"蓝": models.ColourBlue, "蓝色": models.ColourBlue, "蓝牌": models.ColourBlue, "blue": models.ColourBlue,
}

// colourOf reads 挂牌's colour word: 红, 红色, 红牌, and 红色督办 or 红色挂牌
// as the plan writes them.
func colourOf(tok string) (models.Colour, bool) {
	t := strings.ToLower(tok)
	for _, suffix := range []string{"色督办", "色挂牌"} {
		if strings.HasSuffix(t, suffix) {
			t = strings.TrimSuffix(t, suffix) + "色"
			break
		}
	}
	c, ok := colours[t]
	return c, ok
}

// verdicts are Review's verdict words; true passes, false sends back.
var verdicts = map[string]bool{
	"通过": true, "同意": true, "合格": true, "销号": true, "同意销号": true, "通过销号": true, "pass": true, "ok": true,
	"退回": false, "不通过": false, "驳回": false, "不合格": false, "打回": false, "reject": false,
}

func (p *parser) review(c Command) (Command, error) {
	switch p.name {
	case reviewPass:
		c.Pass = true
		// Text after the number is a note on the close-out, but glued text
		// means this was not a command at all.
		if c.Text = p.tail(); p.glued && c.Text != "" {
			return c, p.invalid("编号后面有多余的字")
		}
		return c, nil
	case reviewReject:
		if c.Text = p.tail(); c.Text == "" {
			return c, p.invalid("请写明退回理由")
		}
		return c, nil
	}
	// The verdict may be glued to the reason: "退回照片看不清".
	p.skipSep()
	best := ""
	for v := range verdicts {
		if len(v) > len(best) && len(p.rest) >= len(v) && strings.EqualFold(p.rest[:len(v)], v) {
			best = v
		}
	}
	if best == "" {
		return c, p.invalid("请写明“通过”或“退回”")
	}
	c.Pass = verdicts[strings.ToLower(best)]
	p.rest = p.rest[len(best):]
	c.Text = p.tail()
	if !c.Pass && c.Text == "" {
		return c, p.invalid("请写明退回理由")
	}
	return c, nil
}

// deadlineWords may stand before an Assign deadline: "交办 12 茅箭区 时限 3月31日".
var deadlineWords = map[string]bool{"时限": true, "期限": true, "截止": true, "整改时限": true, "限": true}

func (p *parser) assign(c Command) (Command, error) {
	var toks []string
	for t := p.token(); t != ""; t = p.token() {
		toks = append(toks, t)
	}
	// 交办 12 单位 [时限] [措施…]: the first date after the unit ends the
	// units; what follows it is the 整改措施.
	today := models.DateOf(p.now, p.loc)
	for i := 0; i < len(toks); i++ {
		tok := trimEndPunct(toks[i])
		d, recognized, err := parseDate(tok, reading{today: today, anchor: today, base: today, mode: future, cal: calendar.Official()})
		var past *PastError
		last := i == len(toks)-1
		switch {
		case err == nil || errors.As(err, &past):
			// A past date is the bot's to ask about; Date stays zero.
			c.Date, c.DateText = d, tok
			c.Text = strings.TrimSpace(strings.Join(toks[i+1:], " "))
			toks = toks[:i]
			if len(toks) > 1 && deadlineWords[toks[len(toks)-1]] {
				toks = toks[:len(toks)-1]
			}
		case recognized && last:
			return c, p.invalid("%s", models.ErrorMessage(err))
		case last && i > 0 && deadlineWords[toks[i-1]]:
			return c, p.invalid("%s", models.ErrorMessage(err))
		default:
			continue
		}
		break
	}
	for _, t := range toks {
		if t = trimEndPunct(t); t == "" || deadlineWords[t] {
			continue
		}
		c.Units = append(c.Units, t)
	}
	if len(c.Units) == 0 {
		return c, p.invalid("请写明责任单位")
	}
	return c, nil
}

func (p *parser) stats(c Command) (Command, error) {
	var toks []string
	for t := p.token(); t != ""; t = p.token() {
		toks = append(toks, trimEndPunct(t))
	}
	dummy := &Period{Label: "活动"}
	reads := func(s string) (bool, error) {
		_, err := ParsePeriod(s, p.now, p.loc, dummy)
		return err == nil, err
	}
	// The longest run of leading words that reads as a span is the span:
	// "2月1日 至 3月15日 茅箭区".
	for k := min(len(toks), 5); k >= 1; k-- {
		cand := strings.Join(toks[:k], "")
		if ok, _ := reads(cand); ok {
			c.PeriodText = cand
			if k < len(toks) {
				c.Filters = toks[k:]
			}
			return c, nil
		}
	}
	if len(toks) == 0 {
		return c, nil
	}
	if w, ok := periodPrefix(toks[0]); ok {
		c.PeriodText = w
		c.Filters = append([]string{toks[0][len(w):]}, toks[1:]...)
		return c, nil
	}
	if looksLikePeriod(toks[0]) {
		_, err := reads(toks[0])
		return c, p.invalid("%s", models.ErrorMessage(err))
	}
	if p.glued {
		// "统计一下" is a sentence, not a 统计 of the region "一下".
		return c, p.invalid("看不懂统计时间")
	}
	c.Filters = toks
	return c, nil
}

// looksLikePeriod reports a word meant as a span even though it does not
// read as one: it starts with a digit, or holds a range word.
func looksLikePeriod(s string) bool {
	c := compact(s)
	if c == "" {
		return false
	}
	if c[0] >= '0' && c[0] <= '9' {
		return true
	}
	return strings.ContainsAny(c, "至到~")
}

func (p *parser) edit(c Command) (Command, error) {
	p.skipSep()
	if p.rest == "" {
		return c, nil
	}
	tok := p.token()
	if f, ok := LookupField(trimEndPunct(tok)); ok {
		c.Field = f
		c.Text = p.tail()
		return c, nil
	}
	// "修改时限3月31日": the field glued to the new value.
	key := labelKey(tok)
	best := ""
	for a := range fieldAliases {
		if len(a) > len(best) && strings.HasPrefix(key, a) {
			best = a
		}
	}
	if best != "" {
		c.Field = fieldAliases[best]
		i := strings.Index(strings.ToLower(tok), best)
		value := ""
		if i >= 0 {
			value = tok[i+len(best):]
		}
		c.Text = strings.TrimSpace(value + " " + p.tail())
		return c, nil
	}
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = FieldName(f)
	}
	return c, p.invalid("没有“%s”这一项，可以修改：%s", trimEndPunct(tok), strings.Join(names, "、"))
}

func (p *parser) report(c Command) (Command, error) {
	rest := typedSuffix(p.typed, trimSep(p.rest))
	first, more, _ := strings.Cut(rest, "\n")
	if p.glued && !isFieldLine(first) {
		return c, p.invalid("看不懂")
	}
	title := ""
	if strings.TrimSpace(first) != "" && !isFieldLine(first) {
		title, rest = strings.TrimSpace(first), more
	}
	c.Fields, c.Unknown = ParseFields(rest)
	if _, ok := c.Fields[FieldTitle]; !ok && title != "" {
		c.Fields[FieldTitle] = title
	} else if title != "" {
		c.Unknown = append([]string{title}, c.Unknown...)
	}
	return c, nil
}

// isSep reports the characters that separate arguments. Text has been
// narrowed, so a full-width colon or comma is already half-width.
func isSep(r rune) bool {
	switch r {
	case ' ', '\n', '\t', ':', ',', ';', '、', '，', '：', '；':
		return true
	}
	return false
}

func startsWithSep(s string) bool {
	for _, r := range s {
		return isSep(r)
	}
	return false
}

// skipSep drops separators before the next argument.
func (p *parser) skipSep() { p.rest = trimSep(p.rest) }

func trimSep(s string) string { return strings.TrimLeftFunc(s, isSep) }

// token takes the next argument, or "" when none is left.
func (p *parser) token() string {
	p.skipSep()
	i := strings.IndexFunc(p.rest, isSep)
	if i < 0 {
		i = len(p.rest)
	}
	t := p.rest[:i]
	p.rest = p.rest[i:]
	return t
}

// tail takes the rest of the text as one argument, as typed, line breaks
// kept.
func (p *parser) tail() string {
	t := strings.TrimSpace(typedSuffix(p.typed, trimSep(p.rest)))
	p.rest = ""
	if strings.Trim(t, "。.!！~，,；;、？? \n") == "" {
		return "" // "复查 12 通过。": the full stop is no note, and no reason
	}
	return t
}

// trimEndPunct drops the sentence punctuation people end a word with.
func trimEndPunct(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "。.!~,， ")
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
