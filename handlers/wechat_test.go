package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/notify"
	"hazardbot/bot/wechat"
	"hazardbot/bot/wechat/wechattest"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// wxEnv is env with the Official Account wired in: the real /wechat/callback
// in safe mode, a fake Official Account API behind the real client, and an
// outbox worker sending through bot.Channels.
type wxEnv struct {
	*env
	acc    wechattest.Account
	fake   *wechattest.Fake
	client *wechat.Client
	wecom  *recorder
	worker *notify.Worker
	msgID  int64
}

// recorder stands in for the WeCom API client: it records what the
// outbox hands to the WeCom channel.
type recorder struct {
	mu   sync.Mutex
	sent []bot.Outgoing
}

func (r *recorder) Send(_ context.Context, m bot.Outgoing) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) to(user string) []bot.Outgoing {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.Outgoing
	for _, m := range r.sent {
		for _, u := range m.ToUsers {
			if u == user {
				out = append(out, m)
			}
		}
	}
	return out
}

const wxAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

func newWxEnv(t *testing.T, s *models.Store) *wxEnv {
	t.Helper()
	acc := wechattest.Account{AppID: "wxhazarddemo000001", Token: "wxtoken", AESKey: wxAESKey, Original: "gh_hazard"}
	cb, err := wechat.NewCallback(acc.Token, acc.AESKey, acc.AppID)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, s, func(d *Deps) { d.WeChat = cb })
	fake := wechattest.NewFake(acc.AppID, "wxsecret")
	base := fake.Start()
	t.Cleanup(fake.Close)
	// The closed notice has a template of its own (wechat.templates), as
	// the account's library defines it; the rest take the default one.
	fake.DefineTemplate("tmpl-closed", "first", "keyword1", "keyword2", "keyword3", "keyword4", "remark")
	templates := map[string]wechat.Template{bot.TopicClosed: {ID: "tmpl-closed", Fields: map[string]string{
		"first": "title", "keyword1": "number", "keyword2": "hazard", "keyword3": "unit", "keyword4": "state", "remark": "hint"}}}
	client, err := wechat.NewClient(wechat.Config{AppID: acc.AppID, AppSecret: "wxsecret", APIBase: base, TemplateID: "tmpl-hazard", Templates: templates},
		models.Tokens{S: s}, s, wechat.WithClock(s.Now), wechat.WithSleep(func(context.Context, time.Duration) error { return nil }),
		wechat.WithFiles(bot.DirFiles{Dir: e.dir}))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w := notify.NewWorker(s, bot.Channels{WeCom: rec, WeChat: client}, notify.WorkerOptions{Owner: "test", PerUserPerMinute: 30})
	return &wxEnv{env: e, acc: acc, fake: fake, client: client, wecom: rec, worker: w}
}

// postWx sends a raw callback to /wechat/callback.
func (e *wxEnv) postWx(q url.Values, body []byte) (int, []byte) {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+"/wechat/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// wx sends m from a follower (at the env's clock) and returns the reply text.
func (e *wxEnv) wx(m wechattest.Message) string {
	e.t.Helper()
	e.msgID++
	if m.MsgID == 0 && m.Kind != "event" {
		m.MsgID = e.msgID
	}
	if m.Time.IsZero() {
		m.Time = e.clock.Now()
	}
	q, body := e.acc.Post(e.acc.XML(m), m.Time, fmt.Sprintf("wn%d", e.msgID))
	status, b := e.postWx(q, body)
	if status != http.StatusOK {
		e.t.Fatalf("wechat callback status %d: %s", status, b)
	}
	text, err := e.acc.ReadReply(b)
	if err != nil {
		e.t.Fatalf("reply: %v\n%s", err, b)
	}
	return text
}

func (e *wxEnv) wxSay(openid, text string) string {
	return e.wx(wechattest.Message{OpenID: openid, Kind: "text", Text: text})
}

// deliver runs the outbox worker until nothing is due.
func (e *wxEnv) deliver() {
	e.t.Helper()
	for range 20 {
		n, err := e.worker.RunOnce(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *wxEnv) sentTo(openid, containing string) []wechattest.Sent {
	var out []wechattest.Sent
	for _, s := range e.fake.SentTo(openid) {
		all := s.Text + s.Data["first"] + "\n" + s.Data["keyword1"] + "\n" + s.Data["remark"]
		if strings.Contains(all, containing) {
			out = append(out, s)
		}
	}
	return out
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: %q lacks %q", what, got, w)
		}
	}
}

var codeRE = regexp.MustCompile(`绑定码：(\d{6})`)

func (e *wxEnv) bindCode(unit string) string {
	e.t.Helper()
	r := e.say("wangwu", fmt.Sprintf("code-%d", e.seq.Add(1)), "绑定码 "+unit)
	m := codeRE.FindStringSubmatch(r.Text)
	if m == nil {
		e.t.Fatalf("绑定码 reply %q", r.Text)
	}
	return m[1]
}

func TestWeChatCallbackRefusals(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newWxEnv(t, s)
		now := e.clock.Now()
		msg := wechattest.Message{OpenID: "oEvil", Kind: "text", Text: "举报", MsgID: 99, Time: now}
		q, body := e.acc.Post(e.acc.XML(msg), now, "n1")
		forged := url.Values{}
		for k, v := range q {
			forged[k] = v
		}
		forged.Set("msg_signature", strings.Repeat("0", 40))
		foreign := e.acc
		foreign.AppID = "wxanotheraccount01"
		fq, fbody := foreign.Post(foreign.XML(msg), now, "n2")
		oldMsg := msg
		oldMsg.Time = now.Add(-2 * time.Hour)
		rq, rbody := e.acc.Post(e.acc.XML(oldMsg), oldMsg.Time, "n3")
		plain := e.acc
		plain.AESKey = ""
		pq, pbody := plain.Post(plain.XML(msg), now, "n4")
		inbound, dialogues := e.count("inbound"), e.count("dialogues")
		for _, c := range []struct {
			name   string
			q      url.Values
			body   []byte
			status int
		}{
			{"forged signature", forged, body, 403},
			{"another account's payload", fq, fbody, 400},
			{"a capture replayed two hours later", rq, rbody, 403},
			{"a plain callback to a safe-mode account", pq, pbody, 400},
			{"DOCTYPE", q, append([]byte(`<!DOCTYPE xml [<!ENTITY x "y">]>`), body...), 400},
			{"65 KiB body", q, append(bytes.Repeat([]byte(" "), 65<<10), body...), 413},
		} {
			t.Run(c.name+" is refused and writes nothing", func(t *testing.T) {
				status, _ := e.postWx(c.q, c.body)
				if status != c.status {
					t.Fatalf("status %d, want %d", status, c.status)
				}
				if e.count("inbound") != inbound || e.count("dialogues") != dialogues {
					t.Fatal("a refused callback wrote rows")
				}
			})
		}
		t.Run("URL verification echoes echostr for a good signature only", func(t *testing.T) {
			ts := fmt.Sprint(now.Unix())
			get := func(sig string) int {
				v := url.Values{"signature": {sig}, "timestamp": {ts}, "nonce": {"abc"}, "echostr": {"hello123"}}
				resp, err := http.Get(e.srv.URL + "/wechat/callback?" + v.Encode())
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode == 200 && string(b) != "hello123" {
					t.Fatalf("echo %q", b)
				}
				return resp.StatusCode
			}
			q, _ := e.acc.Post(nil, now, "abc")
			if s := get(q.Get("signature")); s != 200 {
				t.Fatalf("good signature: %d", s)
			}
			if s := get(strings.Repeat("1", 40)); s != 403 {
				t.Fatalf("forged signature: %d", s)
			}
		})
		t.Run("a retried message is answered once", func(t *testing.T) {
			first := e.wx(wechattest.Message{OpenID: "oRetry", Kind: "text", Text: "举报", MsgID: 500})
			again := e.wx(wechattest.Message{OpenID: "oRetry", Kind: "text", Text: "举报", MsgID: 500})
			if first != again || !strings.Contains(first, "描述") {
				t.Fatalf("first %q, again %q", first, again)
			}
		})
	})
}

func TestWeChatBinding(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newWxEnv(t, s)

		t.Run("the admin API issues codes, under a supervisor's rules when it names one", func(t *testing.T) {
			var bc models.BindCode
			e.admin("POST", "/api/v1/units/demo_gas/bind-code", map[string]string{"actor": "wangwu"}, 200, &bc)
			if len(bc.Code) != 6 || !bc.ExpiresAt.After(e.clock.Now().Add(71*time.Hour)) {
				t.Fatalf("code %+v", bc)
			}
			if status, _ := e.errorCode("POST", "/api/v1/units/demo_gas/bind-code", map[string]string{"actor": "zhangsan"}); status != 403 {
				t.Fatalf("an inspector's code: status %d", status)
			}
			mustContain(t, "API code binds", e.wxSay("oApiBound", "绑定 "+bc.Code), "绑定成功")
			mustContain(t, "unbind", e.wxSay("oApiBound", "解绑"), "已解除")
		})

		code := e.bindCode("十堰市某燃气有限公司（示例）")

		mustContain(t, "wrong code", e.wxSay("oGasMgr", "绑定 000000"), "不对")
		mustContain(t, "bind", e.wxSay("oGasMgr", "绑定 "+code+" 王经理"), "绑定成功", "十堰市某燃气有限公司（示例）")
		mustContain(t, "reused code", e.wxSay("oOther", "绑定 "+code), "已经用过")
		mustContain(t, "bind again", e.wxSay("oGasMgr", "绑定 "+code), "已绑定")

		t.Run("only a supervisor in scope gets a code", func(t *testing.T) {
			r := e.say("zhangsan", "code-inspector", "绑定码 十堰市某燃气有限公司（示例）")
			mustContain(t, "inspector", r.Text, "只有督办员")
			r = e.say("wangwu", "code-outside", "绑定码 张湾区某加油站（示例）")
			mustContain(t, "outside", r.Text, "不在你单位")
		})

		t.Run("a code expires after 72 hours", func(t *testing.T) {
			late := e.bindCode("茅箭区某商业综合体（示例）")
			e.clock.Add(72*time.Hour + time.Minute)
			mustContain(t, "expired", e.wxSay("oMall", "绑定"+late), "已过期")
			var n int64
			s.DB.Table("users").Where("userid = ?", "wx:oMall").Count(&n)
			if n != 0 {
				t.Fatal("an expired code bound someone")
			}
		})

		t.Run("a supervisor revokes, and the contact hears nothing more", func(t *testing.T) {
			mustContain(t, "revoke", e.say("wangwu", "revoke-1", "解绑 十堰市某燃气有限公司（示例）").Text, "已解除", "1 个")
			mustContain(t, "after revoke", e.wxSay("oGasMgr", "我的"), "举报", "绑定")
		})
	})
}

// TestWeChatEnterpriseLoop: the gas company's manager, on plain WeChat,
// receives the assignment, accepts, sends his after-photo and the
// rectification, the county supervisor closes it out in WeCom, and the
// manager is told — by template message, his 48 hours having passed.
func TestWeChatEnterpriseLoop(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newWxEnv(t, s)
		code := e.bindCode("十堰市某燃气有限公司（示例）")
		mustContain(t, "bind", e.wxSay("oGasMgr", "绑定 "+code+" 王经理"), "绑定成功")

		e.say("zhangsan", "rep-1", oneShotReport)
		mustContain(t, "report", e.say("zhangsan", "rep-2", "确认").Text, "YH2023-0001")
		e.deliver()

		got := e.sentTo("oGasMgr", "YH2023-0001")
		if len(got) != 1 || got[0].Kind != "custom" {
			t.Fatalf("assignment on WeChat: %+v", e.fake.SentTo("oGasMgr"))
		}
		mustContain(t, "assignment", got[0].Text, "隐患整改交办", "接收请回复：接收 YH2023-0001")
		if len(e.wecom.to("lisi")) != 1 {
			t.Fatalf("WeCom contact lisi got %d messages, want the card", len(e.wecom.to("lisi")))
		}
		for _, m := range e.wecom.sent {
			for _, u := range m.ToUsers {
				if models.IsWeChatUser(u) {
					t.Fatalf("a WeChat follower was handed to the WeCom channel: %+v", m)
				}
			}
		}

		t.Run("a deadline reminder reaches WeChat, by template once the 48 hours are over", func(t *testing.T) {
			e.clock.Set(time.Date(2023, 3, 7, 9, 0, 0, 0, modelstest.Shanghai)) // 3 days before 3月10日
			cfg := config.Default()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			if _, err := notify.New(s, cfg, bot.DirFiles{Dir: t.TempDir()}, nil).Reminders(ctx, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.deliver()
			got := e.sentTo("oGasMgr", "整改时限提醒")
			if len(got) != 1 || got[0].Kind != "template" {
				t.Fatalf("reminder on WeChat: %+v", e.fake.SentTo("oGasMgr"))
			}
			mustContain(t, "reminder", got[0].Data["keyword1"]+got[0].Data["remark"], "YH2023-0001", "还剩3天")
		})

		mustContain(t, "accept", e.wxSay("oGasMgr", "接收 1"), "已接收 YH2023-0001")
		mustContain(t, "extend", e.wxSay("oGasMgr", "延期 1 3月31日 回收单位排期到月底"), "已申请将 YH2023-0001 延期至")
		mustContain(t, "approve", e.say("wangwu", "ext-ok", "同意延期 1").Text, "已同意延期")
		e.deliver()
		if got := e.sentTo("oGasMgr", "延期已批准"); len(got) != 1 || got[0].Kind != "custom" {
			t.Fatalf("extension notice: %+v", e.fake.SentTo("oGasMgr"))
		}
		mustContain(t, "photo", e.wx(wechattest.Message{OpenID: "oGasMgr", Kind: "image", MediaID: "after-1", PicURL: "http://p/1"}), "已收到照片")
		e.fake.PutMedia("after-1", []byte("\xff\xd8 after photo"))
		mustContain(t, "rectify", e.wxSay("oGasMgr", "整改 1 钢瓶已全部清出地下室，设置了专用存放间"), "已提交 YH2023-0001", "照片1张")

		t.Run("the photo is fetched from the Official Account", func(t *testing.T) {
			b := bot.New(s, nil, nil)
			n, err := b.FetchPhotos(ctx, bot.Downloaders{WeChat: e.client}, bot.DirFiles{Dir: e.dir})
			if err != nil || n != 1 {
				t.Fatalf("fetched %d, %v", n, err)
			}
		})

		t.Run("on WeChat the contact stays in their lane", func(t *testing.T) {
			mustContain(t, "assign", e.wxSay("oGasMgr", "交办 1 茅箭区应急管理局 3月20日"), "公众号里可以用")
			mustContain(t, "stats", e.wxSay("oGasMgr", "统计"), "公众号里可以用")
			mustContain(t, "help", e.wxSay("oGasMgr", "帮助"), "十堰市某燃气有限公司（示例）", "整改 编号")
		})

		mustContain(t, "send back", e.say("wangwu", "rev-0", "复查 1 退回 照片看不清存放间").Text, "已退回")
		e.deliver()
		if got := e.sentTo("oGasMgr", "复查退回"); len(got) != 1 || !strings.Contains(got[0].Text, "照片看不清存放间") {
			t.Fatalf("send-back on WeChat: %+v", e.fake.SentTo("oGasMgr"))
		}
		e.wx(wechattest.Message{OpenID: "oGasMgr", Kind: "image", MediaID: "after-2", PicURL: "http://p/2"})
		mustContain(t, "resubmit", e.wxSay("oGasMgr", "整改 1 补拍了存放间照片"), "已提交 YH2023-0001")
		e.deliver()
		e.clock.Add(49 * time.Hour)
		mustContain(t, "review", e.say("wangwu", "rev-1", "复查 1 通过").Text, "已销号")
		e.deliver()
		closed := e.sentTo("oGasMgr", "已销号")
		if len(closed) != 1 || closed[0].Kind != "template" || closed[0].TemplateID != "tmpl-closed" || closed[0].Data["keyword1"] != "YH2023-0001" ||
			closed[0].Data["keyword3"] != "十堰市某燃气有限公司（示例）" || closed[0].Data["keyword4"] != "已销号" || closed[0].Data["keyword2"] != "液化气钢瓶违规存放" {
			t.Fatalf("closed notice: %+v", e.fake.SentTo("oGasMgr"))
		}
		h := e.hazard("YH2023-0001")
		if h.State != models.StateClosed {
			t.Fatalf("state %s", h.State)
		}

		t.Run("照片 on WeChat: the photos come as images while the window is open, and end after it", func(t *testing.T) {
			e.fake.PutMedia("after-2", []byte("\xff\xd8 second after photo"))
			mustContain(t, "ask", e.wxSay("oGasMgr", "照片 1"), "整改后2张", "随后发给你")
			e.deliver() // after-1 goes; after-2 is not fetched yet and waits
			var imgs []wechattest.Sent
			for _, m := range e.fake.SentTo("oGasMgr") {
				if m.Kind == "image" {
					imgs = append(imgs, m)
				}
			}
			if len(imgs) != 1 || string(imgs[0].Image) != "\xff\xd8 after photo" {
				t.Fatalf("images on WeChat: %+v", imgs)
			}
			mustContain(t, "count line", e.sentTo("oGasMgr", "整改后照片共2张")[0].Text, "照片 1")
			e.clock.Add(49 * time.Hour)
			b := bot.New(s, nil, nil)
			if _, err := b.FetchPhotos(ctx, bot.Downloaders{WeChat: e.client}, bot.DirFiles{Dir: e.dir}); err != nil {
				t.Fatal(err)
			}
			e.deliver()
			var row models.OutboxMessage
			if err := s.DB.Where("recipients = ? AND kind = ? AND state <> ?", "wx:oGasMgr", "image", models.OutboxSent).Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			if row.State != models.OutboxEnded || !strings.Contains(row.LastError, "48-hour window") {
				t.Fatalf("the late image: %s (%s)", row.State, row.LastError)
			}
			if n := e.fake.Uploads(); n != 1 {
				t.Fatalf("%d uploads", n)
			}
		})

		mustContain(t, "unbind", e.wxSay("oGasMgr", "解绑"), "已解除", "十堰市某燃气有限公司（示例）")
		mustContain(t, "after unbind", e.wxSay("oGasMgr", "查询 1"), "举报")
	})
}

// TestWeChatPublicTip: a citizen's photo of a blocked fire exit reaches
// the county supervisor as a tip to verify; the supervisor assigns it; the
// citizen hears the outcome and nothing else.
func TestWeChatPublicTip(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newWxEnv(t, s)
		citizen := "oCitizen1"
		e.wx(wechattest.Message{OpenID: citizen, Kind: "event", Event: "subscribe"})
		mustContain(t, "photo starts a tip", e.wx(wechattest.Message{OpenID: citizen, Kind: "image", MediaID: "fire-1", PicURL: "http://p/f"}), "已收到照片", "描述")
		mustContain(t, "too short", e.wxSay(citizen, "堵了"), "再具体")
		mustContain(t, "what", e.wxSay(citizen, "人民南路商场二楼消防通道被货物堵死，安全出口上锁"), "哪个县市区", "茅箭区")
		mustContain(t, "bad county", e.wxSay(citizen, "火星"), "没认出")
		where := e.wx(wechattest.Message{OpenID: citizen, Kind: "location", Lat: 32.64, Lng: 110.79, Label: "湖北省十堰市茅箭区人民南路"})
		mustContain(t, "location names the county", where, "已记录位置", "照片")
		receipt := e.wxSay(citizen, "提交")
		mustContain(t, "receipt", receipt, "受理号 JB2023-0001")
		if strings.Contains(receipt, "YH") {
			t.Fatalf("the receipt reveals the ledger number: %q", receipt)
		}

		h := e.hazard("YH2023-0001")
		if h.State != models.StateUnverified || h.RegionID == nil || h.Lat == nil {
			t.Fatalf("tip hazard %+v", h)
		}
		e.deliver()
		var notice string
		for _, m := range e.wecom.to("wangwu") {
			notice += m.Text
		}
		mustContain(t, "supervisor notice", notice, "群众举报待核实", "JB2023-0001", "消防通道", "照片1张")
		mustContain(t, "the supervisor's 我的 lists it to verify", e.say("wangwu", "tip-todo", "我的").Text, "待核实", "YH2023-0001")
		mustContain(t, "an unverified tip is not found yet", e.say("wangwu", "tip-stats", "统计").Text, "发现重点隐患问题0个")

		mustContain(t, "assign", e.say("wangwu", "tip-assign", "交办 1 茅箭区某商业综合体（示例） 3月10日").Text, "已交办")
		e.deliver()
		out := e.fake.SentTo(citizen)
		if len(out) != 1 {
			t.Fatalf("citizen got %+v", out)
		}
		mustContain(t, "outcome", out[0].Text, "JB2023-0001", "已交有关单位整改")
		for _, leak := range []string{"商业综合体", "YH2023", "王五"} {
			if strings.Contains(out[0].Text, leak) {
				t.Fatalf("the outcome leaks %q: %q", leak, out[0].Text)
			}
		}

		t.Run("a second tip closed as not true tells only that", func(t *testing.T) {
			e.clock.Add(time.Minute)
			e.wxSay(citizen, "举报")
			e.wxSay(citizen, "张湾区某小区楼道有人私拉电线给电动车充电")
			e.wxSay(citizen, "2")
			mustContain(t, "receipt 2", e.wxSay(citizen, "提交"), "JB2023-0002")
			mustContain(t, "not mine", e.say("wangwu", "tip-false-0", "不属实 JB2023-0002 现场核查未发现").Text, "不在你单位")
			e.deliver()
			before := len(e.fake.SentTo(citizen))
			mustContain(t, "close", e.say("zhaoliu", "tip-false", "不属实 JB2023-0002 现场核查未发现私拉电线").Text, "已核实办结", "不属实")
			e.deliver()
			got := e.fake.SentTo(citizen)
			if len(got) != before+1 {
				t.Fatalf("citizen messages %d → %d", before, len(got))
			}
			mustContain(t, "false outcome", got[len(got)-1].Text, "JB2023-0002", "不属实", "现场核查未发现私拉电线")
		})

		t.Run("querying the ledger from WeChat reveals nothing", func(t *testing.T) {
			for _, q := range []string{"查询 1", "YH2023-0001", "我的", "统计"} {
				r := e.wxSay("oStranger", q)
				if strings.Contains(r, "YH2023") || strings.Contains(r, "整改") || strings.Contains(r, "没有") {
					t.Fatalf("%s → %q", q, r)
				}
			}
		})

		t.Run("five tips a day", func(t *testing.T) {
			for i := range 3 {
				e.clock.Add(time.Minute) // a person types; the per-sender limit is 20 a minute
				e.wxSay(citizen, "举报")
				e.wxSay(citizen, fmt.Sprintf("第%d处：某饭店后厨液化气钢瓶无减压阀", i+3))
				e.wxSay(citizen, "1")
				mustContain(t, "tip", e.wxSay(citizen, "提交"), fmt.Sprintf("JB2023-000%d", i+3))
			}
			e.clock.Add(time.Minute)
			mustContain(t, "limit", e.wxSay(citizen, "举报"), "今天已经提交了5条")
			e.clock.Add(24 * time.Hour)
			mustContain(t, "next day", e.wxSay(citizen, "举报"), "描述")
		})

		t.Run("a shared location places the county by its coordinates", func(t *testing.T) {
			hiker := "oHiker"
			loc := func(lat, lng float64, label string) string {
				return e.wx(wechattest.Message{OpenID: hiker, Kind: "location", Lat: lat, Lng: lng, Label: label})
			}
			e.wxSay(hiker, "举报")
			e.wxSay(hiker, "山路边的小加油站油罐没有防雷接地")
			mustContain(t, "outside Shiyan is not guessed", loc(30.59, 114.30, "湖北省武汉市江汉区"), "不在十堰市", "哪个县市区")
			mustContain(t, "where two districts meet, ask", loc(32.633, 110.787, "某小区门口"), "茅箭区、张湾区交界", "哪个县市区")
			mustContain(t, "deep in 竹溪, the coordinates decide", loc(32.10, 109.50, "某村委会旁"), "已记录位置：某村委会旁（竹溪县）", "照片")
			receipt := e.wxSay(hiker, "提交")
			m := regexp.MustCompile(`JB2023-\d{4}`).FindString(receipt)
			if m == "" {
				t.Fatalf("no receipt: %q", receipt)
			}
			var region string
			if err := s.InTx(ctx, func(tx *models.Tx) error {
				tip, err := tx.FindTipByReceipt(m)
				if err != nil {
					return err
				}
				var h models.Hazard
				if err := tx.DB.First(&h, tip.HazardID).Error; err != nil {
					return err
				}
				u, err := tx.FindUnit(*h.RegionID)
				region = u.Name
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if region != "竹溪县安委会" {
				t.Fatalf("tip region %s", region)
			}
		})
	})
}

// TestWeChatUnfollowEndsTheBinding: the gas company's manager unfollows the
// account with an assignment still in the outbox. The unfollow is recorded,
// the unit's WeChat contacts shrink, the waiting message is marked ended
// and never sent, later notices leave him out, a tipster who left gets no
// outcome (ended at send time); following again and binding with a new
// code works.
func TestWeChatUnfollowEndsTheBinding(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newWxEnv(t, s)
		mustContain(t, "bind", e.wxSay("oGasMgr", "绑定 "+e.bindCode("十堰市某燃气有限公司（示例）")+" 王经理"), "绑定成功")
		e.say("zhangsan", "rep-1", oneShotReport)
		mustContain(t, "report", e.say("zhangsan", "rep-2", "确认").Text, "YH2023-0001")

		outbox := func(state string) int64 {
			var n int64
			if err := s.DB.Table("outbox").Where("recipients = ? AND state = ?", "wx:oGasMgr", state).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if outbox(models.OutboxPending) != 1 {
			t.Fatalf("the assignment is not waiting for the manager: %d", outbox(models.OutboxPending))
		}
		e.wx(wechattest.Message{OpenID: "oGasMgr", Kind: "event", Event: "unsubscribe"})
		if p, ended := outbox(models.OutboxPending), outbox(models.OutboxEnded); p != 0 || ended != 1 {
			t.Fatalf("after the unfollow: %d pending, %d ended", p, ended)
		}
		var unit *models.Unit
		if err := s.InTx(ctx, func(tx *models.Tx) error {
			var err error
			unit, err = tx.FindUnitByCode("demo_gas")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var evs []models.WeChatEvent
		if err := s.DB.Where("openid = ?", "oGasMgr").Order("id").Find(&evs).Error; err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Event != models.WeChatUnsubscribe || evs[0].UnitID == nil || *evs[0].UnitID != unit.ID {
			t.Fatalf("follow events %+v", evs)
		}
		contacts := func() int {
			var n int
			if err := s.InTx(ctx, func(tx *models.Tx) error {
				list, err := tx.WeChatContacts(unit.ID)
				n = len(list)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if contacts() != 0 {
			t.Fatal("the unit still lists the manager who left")
		}
		e.deliver()
		if got := e.fake.SentTo("oGasMgr"); len(got) != 0 {
			t.Fatalf("sent to a follower who left: %+v", got)
		}
		mustContain(t, "list", e.say("wangwu", "list-1", "挂牌 1 红").Text, "已挂牌")
		if n := outbox(models.OutboxPending); n != 0 {
			t.Fatalf("a later notice was queued for the manager who left: %d", n)
		}

		t.Run("a tipster who left gets no outcome, and it is not retried", func(t *testing.T) {
			e.wxSay("oGone", "举报")
			e.wxSay("oGone", "某小区地下车库消防栓没有水")
			e.wxSay("oGone", "1")
			mustContain(t, "receipt", e.wxSay("oGone", "提交"), "受理号")
			e.wx(wechattest.Message{OpenID: "oGone", Kind: "event", Event: "unsubscribe"})
			mustContain(t, "assign", e.say("wangwu", "tip-assign", "交办 2 茅箭区某商业综合体（示例） 3月20日").Text, "已交办")
			e.deliver()
			if got := e.fake.SentTo("oGone"); len(got) != 0 {
				t.Fatalf("outcome sent to a tipster who left: %+v", got)
			}
			var row models.OutboxMessage
			if err := s.DB.Where("recipients = ?", "wx:oGone").Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			if row.State != models.OutboxEnded || row.Attempts != 1 {
				t.Fatalf("the outcome row: %s after %d attempts (%s)", row.State, row.Attempts, row.LastError)
			}
		})

		mustContain(t, "follow again", e.wx(wechattest.Message{OpenID: "oGasMgr", Kind: "event", Event: "subscribe"}), "绑定")
		mustContain(t, "bind again", e.wxSay("oGasMgr", "绑定 "+e.bindCode("十堰市某燃气有限公司（示例）")), "绑定成功")
		if contacts() != 1 {
			t.Fatal("binding again did not make him a contact")
		}
		mustContain(t, "works again", e.wxSay("oGasMgr", "我的"), "YH2023-0001")
	})
}

// The admin API closes an unverified tip as chat does: action dismiss with
// an outcome and a reason, under the named supervisor's rules; the tipster
// is told the outcome.
func TestTipDismissedThroughTheAPI(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newWxEnv(t, s)
		e.wxSay("oCitizen", "举报")
		e.wxSay("oCitizen", "人民路某饭店后厨液化气钢瓶放在灶台下")
		e.wxSay("oCitizen", "1")
		mustContain(t, "receipt", e.wxSay("oCitizen", "提交"), "JB2023-0001")
		var list struct {
			Items []struct {
				Number string       `json:"number"`
				State  models.State `json:"state"`
			} `json:"items"`
		}
		e.admin("GET", "/api/v1/hazards?state=unverified", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].State != models.StateUnverified {
			t.Fatalf("unverified list %+v", list)
		}
		no := list.Items[0].Number
		path := "/api/v1/hazards/" + no + "/transitions"
		if status, code := e.errorCode("POST", path, map[string]any{"actor": "wangwu", "action": "dismiss", "note": "已约谈"}); status != 400 || code != models.EInvalid {
			t.Fatalf("no outcome: %d %s", status, code)
		}
		if status, code := e.errorCode("POST", path, map[string]any{"actor": "zhangsan", "action": "dismiss", "outcome": "已处理", "note": "已约谈"}); status != 403 || code != models.EForbidden {
			t.Fatalf("an inspector: %d %s", status, code)
		}
		e.admin("POST", path, map[string]any{"actor": "wangwu", "action": "dismiss", "outcome": "已处理", "note": "已约谈饭店负责人，钢瓶已移出"}, 200, nil)
		if h := e.hazard(no); h.State != models.StateWithdrawn {
			t.Fatalf("state %s", h.State)
		}
		e.deliver()
		got := e.fake.SentTo("oCitizen")
		if len(got) != 1 {
			t.Fatalf("tipster got %+v", got)
		}
		mustContain(t, "outcome", got[0].Text, "JB2023-0001", "已处理", "已约谈饭店负责人")
	})
}
