package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

var ctx = context.Background()

// chat is a conversation harness: a bot on a real database seeded with the
// Shiyan directory, a clock at 10:00 on 1 March 2023, and helpers to speak
// as any user and read what the outbox would send.
type chat struct {
	t     *testing.T
	s     *models.Store
	b     *bot.Bot
	clock *modelstest.Clock
	seq   atomic.Int64
	files bot.DirFiles
}

func newChat(t *testing.T, s *models.Store) *chat {
	t.Helper()
	clock := modelstest.NewClock(time.Date(2023, 3, 1, 10, 0, 0, 0, modelstest.Shanghai))
	s.Now = clock.Now
	if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
		t.Fatal(err)
	}
	files := bot.DirFiles{Dir: t.TempDir()}
	return &chat{t: t, s: s, b: bot.New(s, chatConfig(), nil, bot.WithFiles(files)), clock: clock, files: files}
}

// chatConfig is the default configuration with the per-sender inbound
// limit lifted: the harness's clock stands still while a script types, so
// every message would fall in one minute. The limit itself is tested with
// the defaults (TestFloodingSenderIsLimitedAcrossReplicas).
func chatConfig() *config.Config {
	cfg := config.Default()
	cfg.Dialogue.PerSenderPerMinute = 1000
	return cfg
}

func (c *chat) send(m bot.Message) bot.Reply {
	c.t.Helper()
	if m.ID == "" {
		m.ID = fmt.Sprintf("msg-%d", c.seq.Add(1))
	}
	m.Time = c.clock.Now()
	r, err := c.b.Handle(ctx, m)
	if err != nil {
		c.t.Fatalf("%s: %v", m.UserID, err)
	}
	return r
}

// say sends text as user and returns the reply text.
func (c *chat) say(user, text string) string {
	c.t.Helper()
	return c.send(bot.Message{UserID: user, Kind: bot.KindText, Text: text}).Text
}

// expect sends text and fails unless the reply contains every want.
func (c *chat) expect(user, text string, want ...string) string {
	c.t.Helper()
	got := c.say(user, text)
	for _, w := range want {
		if !strings.Contains(got, w) {
			c.t.Fatalf("%s: %q\nreply: %s\nwant it to contain %q", user, text, got, w)
		}
	}
	return got
}

// confirmNew confirms a report as a new hazard, answering 继续 when the bot
// asks whether it repeats an open one, and returns the reply.
func (c *chat) confirmNew(user string) string {
	c.t.Helper()
	got := c.say(user, "确认")
	if strings.Contains(got, "重复：回复 合并") {
		got = c.say(user, "继续")
	}
	return got
}

func (c *chat) photo(user, media string) string {
	c.t.Helper()
	return c.send(bot.Message{UserID: user, Kind: bot.KindImage, MediaID: media, PicURL: "http://pic/" + media}).Text
}

func (c *chat) click(user, key, responseCode string) bot.Reply {
	c.t.Helper()
	return c.send(bot.Message{UserID: user, Kind: bot.KindEvent, Event: bot.EventTemplateCard, EventKey: key, ResponseCode: responseCode, TaskID: "t"})
}

// outbox returns the messages queued so far, decoded.
func (c *chat) outbox() []bot.Outgoing {
	c.t.Helper()
	var out []bot.Outgoing
	c.s.InTx(ctx, func(tx *models.Tx) error {
		rows, err := tx.FindOutbox(models.OutboxFilter{})
		if err != nil {
			c.t.Fatal(err)
		}
		for _, r := range rows {
			var m bot.Outgoing
			if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
				c.t.Fatal(err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out
}

// to returns the queued messages for user.
func (c *chat) to(user string) []bot.Outgoing {
	var out []bot.Outgoing
	for _, m := range c.outbox() {
		for _, u := range m.ToUsers {
			if u == user {
				out = append(out, m)
			}
		}
	}
	return out
}

func (c *chat) hazard(no string) *models.Hazard {
	c.t.Helper()
	n, _ := models.ParseNumber(no, 2023)
	var h *models.Hazard
	if err := c.s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		h, err = tx.FindHazardByNumber(n)
		return err
	}); err != nil {
		c.t.Fatal(err)
	}
	return h
}

func (c *chat) events(h *models.Hazard) []models.Event {
	var list []models.Event
	c.s.InTx(ctx, func(tx *models.Tx) error {
		list, _ = tx.Events(h.ID, 0)
		return nil
	})
	return list
}

func TestGuidedReportWithPhotoAndLocation(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报", "开始登记隐患", "请填写重点隐患")
		if got := c.photo("zhangsan", "m1"); !strings.Contains(got, "已收到照片（本次上报共1张）") {
			t.Fatalf("photo reply: %s", got)
		}
		c.send(bot.Message{UserID: "zhangsan", Kind: bot.KindLocation, Lat: 32.63, Lng: 110.79, Label: "人民南路12号"})
		c.expect("zhangsan", "燃气软管老化开裂", "请填写隐患内容")
		c.expect("zhangsan", "某餐馆后厨燃气软管老化，未装报警器", "请填写县市区", "茅箭区、张湾区")
		c.expect("zhangsan", "火星区", "没有找到县市区“火星区”", "请填写县市区")
		c.expect("zhangsan", "茅箭", "请填写行业领域", "燃气、非煤矿山")
		c.expect("zhangsan", "燃气", "请填写检查的企业或场所", "跳过")
		c.expect("zhangsan", "人民南路饭店", "是否已当场整改")
		c.expect("zhangsan", "否", "请填写责任单位")
		c.expect("zhangsan", "待定", "请填写整改时限")
		c.expect("zhangsan", "2月30日", "“2月30日”不是有效日期", "请填写整改时限")
		got := c.expect("zhangsan", "3月15日", "请核对", "重点隐患：燃气软管老化开裂", "县市区：茅箭区", "整改时限：2023年3月15日", "照片：1张", "位置：人民南路12号")
		_ = got
		c.expect("zhangsan", "修改 时限 3月20日", "已修改", "整改时限：2023年3月20日")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001", "（照片1张）", "已通知督办员交办")
		h := c.hazard("1")
		if h.State != models.StateReported || h.Location != "人民南路12号" || h.Lat == nil || h.Deadline != models.NewDate(2023, 3, 20) || h.Enterprise != "人民南路饭店" {
			t.Fatalf("hazard = %+v", h)
		}
		msgs := c.to("wangwu")
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "新上报隐患待交办：YH2023-0001") {
			t.Fatalf("the county supervisor was told: %+v", msgs)
		}
		if len(c.to("zhengshiyi")) != 0 {
			t.Fatal("another county's supervisor was told")
		}
		// The dialogue is over: a word that is no command gets a short hint.
		c.expect("zhangsan", "辛苦了", "没看懂这条消息")
	})
}

func TestFromReportToCloseOutEntirelyInChat(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.photo("zhangsan", "before1")
		c.expect("zhangsan", "上报\n隐患：液化气钢瓶违规存放\n内容：商场地下室存放液化气钢瓶3个\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月10日",
			"请核对", "责任单位：十堰市某燃气有限公司（示例）", "照片：1张")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001", "已交办十堰市某燃气有限公司（示例）")
		cards := c.to("lisi")
		if len(cards) != 1 || cards[0].Kind != bot.OutCard || cards[0].Card.Buttons[0].Key != "accept:YH2023-0001" {
			t.Fatalf("the unit contact got %+v, want an assignment card with 接收", cards)
		}
		// The contact clicks 接收; WeCom delivers the click twice.
		click := bot.Message{ID: "click-1", UserID: "lisi", Kind: bot.KindEvent, Event: bot.EventTemplateCard, EventKey: "accept:YH2023-0001", ResponseCode: "rc-1"}
		r1 := c.send(click)
		r2 := c.send(click)
		if r1.ButtonText != "已接收（李四）" || r1 != r2 {
			t.Fatalf("click replies %+v / %+v", r1, r2)
		}
		h := c.hazard("1")
		accepts := 0
		for _, e := range c.events(h) {
			if e.Action == models.ActAccept {
				accepts++
			}
		}
		if accepts != 1 || h.AcceptedAt == nil {
			t.Fatalf("accept events = %d", accepts)
		}
		c.photo("lisi", "after1")
		c.photo("lisi", "after2")
		c.expect("lisi", "整改 1 已将钢瓶清出地下室并设置警示", "已提交 YH2023-0001 的整改", "附照片2张")
		var last bot.Outgoing
		for _, m := range c.to("wangwu") {
			if m.Kind == bot.OutCard {
				last = m
			}
		}
		if last.Kind != bot.OutCard || len(last.Card.Buttons) != 2 || last.Card.Buttons[1].Key != "reject:YH2023-0001" {
			t.Fatalf("reviewer got %+v, want a card with 通过/退回", last)
		}
		// 退回 by button asks for the reason, then sends back.
		c.click("wangwu", "reject:YH2023-0001", "rc-2")
		c.expect("wangwu", "警示标志没有设置", "已退回 YH2023-0001")
		back := c.to("lisi")
		if !strings.Contains(back[len(back)-1].Text, "复查退回：警示标志没有设置") {
			t.Fatalf("contact told %+v", back[len(back)-1])
		}
		c.expect("lisi", "整改 YH2023-1 已设置警示标志", "等待复查")
		if r := c.click("wangwu", "pass:YH2023-0001", "rc-3"); r.ButtonText != "已通过（王五）" {
			t.Fatalf("pass click: %+v", r)
		}
		// A second reviewer clicking the same card learns it is done.
		if r := c.click("zhaoliu", "pass:YH2023-0001", "rc-3"); r.ButtonText != "已处理：已销号" || !strings.Contains(r.Text, "已销号") {
			t.Fatalf("late click: %+v", r)
		}
		h = c.hazard("1")
		if h.State != models.StateClosed {
			t.Fatalf("state = %s", h.State)
		}
		c.expect("zhangsan", "查询 1", "状态：已销号", "整改前1张，整改后2张", "复查通过，销号")
		var updates int
		for _, m := range c.outbox() {
			if m.Kind == bot.OutCardUpdate {
				updates++
			}
		}
		if updates != 2 {
			t.Fatalf("card updates queued = %d, want one per successful click", updates)
		}
	})
}

func TestBadInputNeverLosesTheDraft(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报\n隐患：消防通道堵塞\n内容：楼道堆放杂物\n区域：茅箭区\n行业：消防\n单位：应急局\n时限：13月1日",
			"“13月1日”不是有效日期", "通讯录里没有责任单位“应急局”，最接近的是", "茅箭区应急管理局", "张湾区应急管理局")
		c.expect("zhangsan", "茅箭区应急管理局", "请填写整改时限")
		c.expect("zhangsan", "昨天", "已经过去了", "请填写整改时限")
		c.expect("zhangsan", "15天", "请核对", "整改时限：2023年3月16日")
		// A role command in the middle is refused but the draft stays.
		c.expect("zhangsan", "复查 3 通过", "只有复查人员（督办员）可以复查销号")
		c.expect("zhangsan", "交办 3 茅箭区应急管理局", "只有督办员可以交办隐患")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001", "已交办茅箭区应急管理局")
		c.expect("wushi", "撤销 1 重复", "只有督办员可以撤销隐患")
		c.expect("zhengshiyi", "撤销 1 重复", "不在你单位（张湾区）的管辖范围内")
		c.expect("wangwu", "交办 1 3月20日", "请写明责任单位")
		c.expect("wangwu", "查询 99", "没有找到隐患 YH2023-0099")
		c.expect("wangwu", "挂牌 1 绿", "挂牌")
		c.expect("stranger", "查询 1", "你无权查看 YH2023-0001")
		c.expect("stranger", "统计", "你还不在通讯录中")
		if h := c.hazard("1"); h.Version != 0 {
			t.Fatalf("refused commands changed the hazard (version %d)", h.Version)
		}
	})
}

func TestDialogueSurvivesRestartAndIdleTimeout(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.say("zhangsan", "上报")
		c.say("zhangsan", "配电箱未接地")
		// A new process (or another replica) takes the next message.
		c.b = bot.New(s, chatConfig(), nil)
		c.expect("zhangsan", "配电箱外壳无接地线", "请填写县市区")
		c.clock.Add(45 * time.Minute)
		c.expect("zhangsan", "茅箭区", "未提交的上报草稿“配电箱未接地”", "继续")
		c.expect("zhangsan", "继续", "继续填写“配电箱未接地”", "请填写县市区")
		c.expect("zhangsan", "茅箭区", "请填写行业领域")
		c.expect("zhangsan", "查询 5", "没有找到隐患") // a command mid-dialogue keeps the draft
		c.expect("zhangsan", "工贸", "请填写检查的企业或场所")
		c.expect("zhangsan", "跳过", "是否已当场整改")
		c.expect("zhangsan", "取消", "已取消")
		c.expect("zhangsan", "确认", "当前没有正在填写的上报")
	})
}

func TestTwoOfficersReportAtTheSameMoment(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		report := "上报\n隐患：隐患%d\n内容：内容\n区域：张湾区\n行业：工贸\n单位：待定\n时限：3月31日"
		for _, u := range []string{"zhangsan", "wushi"} {
			c.say(u, fmt.Sprintf(report, 1))
		}
		var wg sync.WaitGroup
		replies := make([]string, 2)
		for i, u := range []string{"zhangsan", "wushi"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := c.b.Handle(ctx, bot.Message{ID: "confirm-" + u, UserID: u, Kind: bot.KindText, Text: "确认"})
				if err != nil {
					t.Error(err)
				}
				replies[i] = r.Text
			}()
		}
		wg.Wait()
		joined := strings.Join(replies, "\n")
		if !strings.Contains(joined, "YH2023-0001") || !strings.Contains(joined, "YH2023-0002") {
			t.Fatalf("replies: %v", replies)
		}
	})
}

func TestStatsSentence(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		for i := range 3 {
			c.say("zhangsan", fmt.Sprintf("上报\n隐患：隐患%d\n内容：内容\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月5日", i))
			c.confirmNew("zhangsan")
		}
		c.say("lisi", "整改 1 已整改")
		c.say("wangwu", "复查 1 通过")
		c.say("lisi", "整改 2 已整改")
		c.clock.Set(time.Date(2023, 3, 15, 9, 0, 0, 0, modelstest.Shanghai))
		c.expect("wangwu", "统计", "情况小结：2023年2月23日至3月15日，茅箭区检查发现重点隐患问题3个，已整改完成2个，已销号1个，逾期1个，整改率33.3%", "按行业", "燃气：发现3 整改2 销号1 逾期1 整改率33.3%")
		c.expect("sunqi", "统计 本月", "2023年3月1日至3月15日，十堰市检查发现重点隐患问题3个", "按区域", "茅箭区：发现3 整改2 销号1 逾期1 整改率33.3%")
		c.expect("sunqi", "统计 本周 张湾区", "张湾区检查发现重点隐患问题0个", "（本期没有隐患）")
		c.expect("sunqi", "统计 下个世纪", "没有找到区域或行业“下个世纪”")
	})
}

func TestMineListsOpenItemsByRole(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.say("zhangsan", "上报\n隐患：甲\n内容：x\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月20日")
		c.say("zhangsan", "确认")
		c.say("zhangsan", "上报\n隐患：乙\n内容：x\n区域：茅箭区\n行业：消防\n单位：待定\n时限：3月20日")
		c.say("zhangsan", "确认")
		c.expect("lisi", "我的", "待整改（1）", "YH2023-0001 甲【整改中】")
		c.expect("wangwu", "待办", "待交办（1）", "YH2023-0002 乙【待交办】")
		c.expect("zhangsan", "我的", "我上报的（未销号）（2）")
		c.expect("sunqi", "我的", "没有待办")
	})
}

func TestLongRepliesFitWeComLimit(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		long := strings.Repeat("很长的隐患描述", 200)
		c.say("zhangsan", "上报")
		c.say("zhangsan", "标题")
		got := c.say("zhangsan", long)
		if len(got) > 2048 {
			t.Fatalf("reply is %d bytes", len(got))
		}
	})
}

// 帮助 lists what this user may do: each role's own commands, and none of
// another role's.
func TestHelpListsTheCommandsOfTheUsersRoles(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		tests := []struct {
			user       string
			has, lacks []string
		}{
			{"zhangsan", []string{"上报 —— ", "统计 [时间]"}, []string{"交办 编号", "整改 编号", "你还不在通讯录中"}},
			{"lisi", []string{"接收 编号", "整改 编号 做了什么", "延期 编号 新时限 理由"}, []string{"交办 编号", "复查 编号"}},
			{"wangwu", []string{"交办 编号 单位 时限", "复查 编号 通过", "撤销 编号 理由"}, []string{"接收 编号", "你还不在通讯录中"}},
			{"stranger", []string{"上报 —— ", "你还不在通讯录中"}, []string{"统计 [时间]", "交办 编号", "接收 编号"}},
		}
		for _, tc := range tests {
			got := c.say(tc.user, "帮助")
			for _, w := range tc.has {
				if !strings.Contains(got, w) {
					t.Errorf("%s: 帮助 lacks %q:\n%s", tc.user, w, got)
				}
			}
			for _, w := range tc.lacks {
				if strings.Contains(got, w) {
					t.Errorf("%s: 帮助 offers %q, which is not theirs:\n%s", tc.user, w, got)
				}
			}
		}
	})
}

func TestIdleDraftIsKeptAndTheUserTold(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.say("zhangsan", "上报")
		c.say("zhangsan", "电梯维保过期")
		c.clock.Add(31 * time.Minute)
		for range 2 { // a second sweep (another replica) tells nobody again
			if _, err := c.b.SweepDrafts(ctx); err != nil {
				t.Fatal(err)
			}
		}
		msgs := c.to("zhangsan")
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "未提交的上报草稿“电梯维保过期”") {
			t.Fatalf("messages to the user: %+v", msgs)
		}
		c.expect("zhangsan", "继续", "继续填写“电梯维保过期”", "请填写隐患内容")
	})
}

func TestReadOnlyCommandsAreDedupedAcrossReplicas(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.say("zhangsan", "上报\n隐患：甲\n内容：x\n区域：茅箭区\n行业：燃气\n单位：待定\n时限：3月20日")
		c.say("zhangsan", "确认")
		query := bot.Message{ID: "q-1", UserID: "zhangsan", Kind: bot.KindText, Text: "查询 1", Time: c.clock.Now()}
		first, err := c.b.Handle(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		// The hazard changes, then WeCom retries the query on another
		// replica (no shared memory): the retry gets the first answer.
		c.say("wangwu", "挂牌 1 红")
		other := bot.New(s, chatConfig(), nil)
		again, err := other.Handle(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		if again != first || !strings.Contains(first.Text, "状态：待交办") || strings.Contains(first.Text, "督办") {
			t.Fatalf("first %q, retry %q", first.Text, again.Text)
		}
		if fresh := c.say("zhangsan", "查询 1"); !strings.Contains(fresh, "红色") {
			t.Fatalf("a new query should see the listing: %s", fresh)
		}
	})
}

// Many officers confirming at once share transactions (group commit): each
// still gets their own number, their photos go with their hazard, and the
// supervisors' notices name real numbers.
func TestManyOfficersConfirmAtOnce(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		const n = 24
		var in models.DirectoryInput
		for i := range n {
			in.Users = append(in.Users, models.UserSpec{UserID: fmt.Sprintf("insp%02d", i), Name: fmt.Sprintf("检查员%d", i), Unit: "maojian_wudanglu", Roles: []string{"inspector"}})
		}
		if err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(in); return err }); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			u := fmt.Sprintf("insp%02d", i)
			if i%3 == 0 {
				c.photo(u, fmt.Sprintf("m%d", i))
			}
			c.expect(u, fmt.Sprintf("上报\n隐患：楼道堆放杂物%d\n内容：楼道内堆放纸箱\n区域：茅箭区\n行业：消防\n单位：待定\n时限：3月31日", i), "请核对")
		}
		before := s.GroupStats()
		replies := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				u := fmt.Sprintf("insp%02d", i)
				r, err := c.b.Handle(ctx, bot.Message{ID: "confirm-" + u, UserID: u, Kind: bot.KindText, Text: "确认"})
				if err != nil {
					t.Error(err)
				}
				replies[i] = r.Text
			}()
		}
		close(start)
		wg.Wait()
		seen := map[string]bool{}
		number := regexp.MustCompile(`YH2023-\d{4}`)
		for i, r := range replies {
			num := number.FindString(r)
			if num == "" || seen[num] || strings.Contains(r, "~") {
				t.Fatalf("reply %d: %q (a number of its own expected)", i, r)
			}
			seen[num] = true
			var photos int64
			s.DB.Raw("SELECT COUNT(*) FROM attachments a JOIN hazards h ON h.id = a.hazard_id WHERE h.number = ?", num).Scan(&photos)
			if want := map[bool]int64{true: 1}[i%3 == 0]; photos != want {
				t.Errorf("%s has %d photos, want %d", num, photos, want)
			}
		}
		for _, m := range c.outbox() {
			if strings.Contains(m.Text, "~") || (strings.Contains(m.Text, "新上报隐患待交办") && !number.MatchString(m.Text)) {
				t.Errorf("notice names no real number: %q", m.Text)
			}
		}
		after := s.GroupStats()
		if groups, members := after.Groups-before.Groups, after.Members-before.Members; groups == 0 || members <= groups {
			t.Errorf("the confirmations did not share transactions: %+v → %+v", before, after)
		}
	})
}

// TestFieldLinesAfterSecondReportFillTheKeptDraft: an officer with a draft
// sends 上报 again, is told about the draft, and pastes the field lines
// of the report one at a time. Each line fills the draft (nothing typed
// is lost); a title that replaces the draft's says what it was.
func TestFieldLinesAfterSecondReportFillTheKeptDraft(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "配电箱未接地", "请填写隐患内容")
		c.expect("zhangsan", "上报", "未提交的上报草稿“配电箱未接地”")
		c.expect("zhangsan", "内容：配电箱外壳无接地线", "已填入上报草稿“配电箱未接地”", "请填写县市区")
		c.expect("zhangsan", "区域：茅箭区", "请填写行业领域")
		c.expect("zhangsan", "行业：工贸\n单位：待定\n时限：3月31日", "请填写检查的企业或场所")
		c.expect("zhangsan", "跳过", "是否已当场整改")
		c.expect("zhangsan", "否", "请核对", "隐患内容：配电箱外壳无接地线", "县市区：茅箭区", "整改时限：2023年3月31日")

		// Kept after the idle timeout, then 上报 again: a pasted title
		// replaces the draft's and the reply says what it was.
		c.clock.Add(45 * time.Minute)
		c.expect("zhangsan", "上报", "未提交的上报草稿“配电箱未接地”")
		c.expect("zhangsan", "隐患：配电房漏水", "已填入上报草稿“配电房漏水”", "重点隐患原为“配电箱未接地”", "请核对")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001")
		if h := c.hazard("1"); h.Title != "配电房漏水" || h.Description != "配电箱外壳无接地线" {
			t.Fatalf("hazard %q / %q", h.Title, h.Description)
		}

		// Text that is no field line still gets the hint.
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "楼梯间堆物", "请填写隐患内容")
		c.clock.Add(45 * time.Minute)
		c.expect("zhangsan", "一楼楼梯间", "未提交的上报草稿“楼梯间堆物”", "继续")
	})
}

// TestSupervisorWordsAsThePlanWritesThem: 挂牌 with 红色督办 and the
// number before 销号.
func TestSupervisorWordsAsThePlanWritesThem(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		no := c.assignedGas("液化气钢瓶违规存放")
		c.expect("wangwu", "挂牌 1 红色督办", "挂牌", no)
		if h := c.hazard("1"); h.Colour != models.ColourRed {
			t.Fatalf("colour %q", h.Colour)
		}
		c.expect("lisi", "整改 1 已将钢瓶清出地下室", "已提交")
		c.expect("wangwu", "1号 销号", "已销号")
	})
}

// TestEmojiAroundCommandWords: phones add emoji; the command is still read.
func TestEmojiAroundCommandWords(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "😀上报", "开始登记隐患", "请填写重点隐患")
		c.expect("zhangsan", "燃气泄漏🔥", "请填写隐患内容")
		c.expect("zhangsan", "取消👋", "已取消")
		c.expect("zhangsan", "上报😀", "开始登记隐患")
	})
}
