package wechat

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wechat/wechattest"
	"hazardbot/bot/wecom"
)

// seen is a follower's last message time, as the database would say.
type seen map[string]time.Time

func (s seen) WeChatLastSeen(openid string) (time.Time, error) { return s[openid], nil }

func (s seen) WeChatFollowing(string) (bool, error) { return true, nil }

func newClient(t *testing.T, last seen, now time.Time, template string) (*Client, *wechattest.Fake) {
	t.Helper()
	f := wechattest.NewFake("wxhazarddemo000001", "secret-1")
	base := f.Start()
	t.Cleanup(f.Close)
	c, err := NewClient(Config{AppID: f.AppID, AppSecret: f.Secret, APIBase: base, TemplateID: template},
		wecom.NewMemoryTokens(), last, WithClock(func() time.Time { return now }),
		WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func TestSendChoosesCustomerServiceOrTemplate(t *testing.T) {
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	last := seen{"recent": now.Add(-47 * time.Hour), "stale": now.Add(-49 * time.Hour)}
	c, f := newClient(t, last, now, "tmpl-1")
	assign := bot.Outgoing{Kind: bot.OutCard, Card: &bot.Card{Title: "隐患整改交办 YH2023-0012", Description: "加油站消防通道堵塞",
		Fields:  []bot.CardPair{{Key: "整改时限", Value: "2023年3月15日"}},
		Buttons: []bot.Button{{Text: "接收", Key: "accept:YH2023-0012"}}}}

	for _, tc := range []struct{ openid, want string }{
		{"recent", "custom"}, {"stale", "template"}, {"never", "template"},
	} {
		t.Run(tc.openid+" gets a "+tc.want+" message", func(t *testing.T) {
			m := assign
			m.ToUsers = []string{"wx:" + tc.openid}
			if err := c.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := f.SentTo(tc.openid)
			if len(got) != 1 || got[0].Kind != tc.want {
				t.Fatalf("sent %+v", got)
			}
			all := got[0].Text + got[0].Data["first"] + got[0].Data["keyword1"] + got[0].Data["remark"]
			if !strings.Contains(all, "YH2023-0012") || !strings.Contains(all, "接收 YH2023-0012") {
				t.Fatalf("message %+v lacks the number or the command", got[0])
			}
		})
	}

	t.Run("a closed window (45015) falls back to the template", func(t *testing.T) {
		last["closedearly"] = now.Add(-time.Hour)
		f.CloseWindow("closedearly")
		if err := c.Send(context.Background(), bot.Outgoing{Kind: bot.OutText, Text: "提醒", ToUsers: []string{"wx:closedearly"}}); err != nil {
			t.Fatal(err)
		}
		if got := f.SentTo("closedearly"); len(got) != 1 || got[0].Kind != "template" {
			t.Fatalf("sent %+v", got)
		}
	})

	t.Run("an expired token is refreshed once and the send goes through", func(t *testing.T) {
		tokens := f.Tokens()
		f.ExpireToken()
		if err := c.Send(context.Background(), bot.Outgoing{Kind: bot.OutText, Text: "再次提醒", ToUsers: []string{"wx:recent"}}); err != nil {
			t.Fatal(err)
		}
		if f.Tokens() != tokens+1 {
			t.Fatalf("tokens %d → %d", tokens, f.Tokens())
		}
	})

	t.Run("an unfollowed user (43004) ends the message", func(t *testing.T) {
		f.FailNext("message/custom/send", 43004)
		err := c.Send(context.Background(), bot.Outgoing{Kind: bot.OutText, Text: "x", ToUsers: []string{"wx:recent"}})
		if err == nil || !bot.IsPermanent(err) || !bot.IsEnded(err) {
			t.Fatalf("err = %v, want ended", err)
		}
	})

	t.Run("a busy answer (-1) is retried, a quota (45009) is left to the outbox", func(t *testing.T) {
		f.FailNext("message/custom/send", -1)
		if err := c.Send(context.Background(), bot.Outgoing{Kind: bot.OutText, Text: "y", ToUsers: []string{"wx:recent"}}); err != nil {
			t.Fatalf("busy then ok: %v", err)
		}
		f.FailNext("message/custom/send", 45009)
		err := c.Send(context.Background(), bot.Outgoing{Kind: bot.OutText, Text: "z", ToUsers: []string{"wx:recent"}})
		if err == nil || bot.IsPermanent(err) {
			t.Fatalf("quota: err = %v, want a retryable error", err)
		}
	})

	t.Run("no template id set: outside the window it fails for good", func(t *testing.T) {
		c2, _ := newClient(t, last, now, "")
		err := c2.Send(context.Background(), bot.Outgoing{Kind: bot.OutText, Text: "x", ToUsers: []string{"wx:stale"}})
		if err == nil || !bot.IsPermanent(err) || !strings.Contains(err.Error(), "template_id") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("a card update has nothing to send on WeChat", func(t *testing.T) {
		before := len(f.Sent())
		if err := c.Send(context.Background(), bot.Outgoing{Kind: bot.OutCardUpdate, ToUsers: []string{"wx:recent"}}); err != nil || len(f.Sent()) != before {
			t.Fatalf("err %v, sent %d → %d", err, before, len(f.Sent()))
		}
	})
}

// A kind of message with a template of its own (wechat.templates) fills
// that template's fields from the message's values, as the account's
// template library defines them; a topic without one takes the default
// template; a value the message lacks is "—", never empty.
func TestConfiguredTemplates(t *testing.T) {
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	f := wechattest.NewFake("wxhazarddemo000001", "secret-1")
	base := f.Start()
	t.Cleanup(f.Close)
	f.DefineTemplate("T-hazard", "first", "keyword1", "keyword2", "keyword3", "keyword4", "remark")
	f.DefineTemplate("T-result", "thing1", "character_string2", "phrase3", "time4")
	f.DefineTemplate("T-default", "first", "keyword1", "keyword2", "remark")
	cfg := Config{AppID: f.AppID, AppSecret: f.Secret, APIBase: base, TemplateID: "T-default", Templates: map[string]Template{
		bot.TopicAssignment: {ID: "T-hazard", Fields: map[string]string{"first": "title", "keyword1": "number", "keyword2": "hazard",
			"keyword3": "unit", "keyword4": "deadline", "remark": "hint"}},
		bot.TopicTipOutcome: {ID: "T-result", Fields: map[string]string{"thing1": "title", "character_string2": "number", "phrase3": "state", "time4": "time"}},
		bot.TopicClosed:     {ID: "T-hazard", Fields: map[string]string{"first": "title", "keyword1": "number", "keyword2": "hazard", "keyword3": "unit", "keyword4": "photos", "remark": "detail"}},
	}}
	c, err := NewClient(cfg, wecom.NewMemoryTokens(), seen{}, WithClock(func() time.Time { return now }),
		WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	send := func(m bot.Outgoing) wechattest.Sent {
		t.Helper()
		m.ToUsers = []string{"wx:o1"}
		before := len(f.SentTo("o1"))
		if err := c.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		got := f.SentTo("o1")
		if len(got) != before+1 || got[before].Kind != "template" {
			t.Fatalf("sent %+v", got)
		}
		return got[before]
	}
	values := map[string]string{"number": "YH2023-0012", "hazard": "加油站消防通道堵塞", "unit": "张湾区某加油站（示例）", "deadline": "2023年3月15日", "state": "整改中"}

	got := send(bot.Outgoing{Kind: bot.OutCard, Topic: bot.TopicAssignment, Values: values, Card: &bot.Card{Title: "隐患整改交办 YH2023-0012",
		Description: "加油站消防通道堵塞", URL: "https://hz.example.gov.cn/h5/hazards/YH2023-0012"}})
	want := map[string]string{"first": "隐患整改交办 YH2023-0012", "keyword1": "YH2023-0012", "keyword2": "加油站消防通道堵塞",
		"keyword3": "张湾区某加油站（示例）", "keyword4": "2023年3月15日", "remark": "详情请在公众号内回复“我的”查看。"}
	if got.TemplateID != "T-hazard" || !maps.Equal(got.Data, want) || got.URL != "https://hz.example.gov.cn/h5/hazards/YH2023-0012" {
		t.Fatalf("assignment template %s %v %q", got.TemplateID, got.Data, got.URL)
	}

	got = send(bot.Outgoing{Kind: bot.OutText, Text: "您反映的问题（受理号 JB2023-0007）经核实不属实。", Topic: bot.TopicTipOutcome,
		Values: map[string]string{"number": "JB2023-0007", "state": "不属实"}})
	want = map[string]string{"thing1": "您反映的问题（受理号 JB2023-0007）经核实不属实。", "character_string2": "JB2023-0007", "phrase3": "不属实", "time4": "2023-03-01 18:00"}
	if got.TemplateID != "T-result" || !maps.Equal(got.Data, want) {
		t.Fatalf("tip outcome template %s %v", got.TemplateID, got.Data)
	}

	got = send(bot.Outgoing{Kind: bot.OutText, Text: "YH2023-0012 复查通过，已销号。", Topic: bot.TopicClosed, Values: values})
	if got.Data["keyword4"] != "—" || got.Data["remark"] != "—" {
		t.Fatalf("missing values: %v", got.Data)
	}

	got = send(bot.Outgoing{Kind: bot.OutText, Text: "YH2023-0012 延期已批准\n整改时限改为2023年3月31日。", Topic: "", Values: values})
	if got.TemplateID != "T-default" || got.Data["first"] != "YH2023-0012 延期已批准" || got.Data["keyword1"] != "整改时限改为2023年3月31日。" {
		t.Fatalf("default template %s %v", got.TemplateID, got.Data)
	}
}

func TestDownloadMedia(t *testing.T) {
	c, f := newClient(t, seen{}, time.Now(), "")
	f.PutMedia("m-1", []byte("\xff\xd8 jpeg"))
	var b bytes.Buffer
	ct, err := c.DownloadMedia(context.Background(), "m-1", &b)
	if err != nil || ct != "image/jpeg" || b.String() != "\xff\xd8 jpeg" {
		t.Fatalf("download: %q %q %v", ct, b.String(), err)
	}
	if _, err := c.DownloadMedia(context.Background(), "gone", &b); err == nil {
		t.Fatal("a missing media id downloaded")
	}
}

// A photo goes to a follower as temporary media (media/upload) and a
// customer-service image while their window is open; outside it (or when
// WeChat says it closed) the image ends, since a template cannot carry
// one; a format WeChat does not take fails for good.
func TestSendImages(t *testing.T) {
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	last := seen{"recent": now.Add(-time.Hour), "closing": now.Add(-time.Hour), "stale": now.Add(-49 * time.Hour)}
	f := wechattest.NewFake("wxhazarddemo000001", "secret-1")
	base := f.Start()
	t.Cleanup(f.Close)
	files := bot.DirFiles{Dir: t.TempDir()}
	jpeg := []byte("\xff\xd8\xff\xe0 after photo")
	for name, data := range map[string][]byte{"photos/2023/03/1.jpg": jpeg, "photos/2023/03/2.heic": []byte("\x00\x00\x00\x18ftypheic")} {
		ctype := "image/jpeg"
		if strings.HasSuffix(name, ".heic") {
			ctype = "image/heic"
		}
		if _, err := files.Put(context.Background(), name, ctype, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := NewClient(Config{AppID: f.AppID, AppSecret: f.Secret, APIBase: base, TemplateID: "tmpl-1"}, wecom.NewMemoryTokens(), last,
		WithClock(func() time.Time { return now }), WithFiles(files), WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	img := func(to, file string) error {
		return c.Send(context.Background(), bot.Outgoing{Kind: bot.OutImage, Photo: 1, File: file, ToUsers: []string{"wx:" + to}})
	}

	if err := img("recent", "photos/2023/03/1.jpg"); err != nil {
		t.Fatal(err)
	}
	got := f.SentTo("recent")
	if len(got) != 1 || got[0].Kind != "image" || !bytes.Equal(got[0].Image, jpeg) || f.Uploads() != 1 {
		t.Fatalf("sent %+v, %d uploads", got, f.Uploads())
	}

	if err := img("stale", "photos/2023/03/1.jpg"); !bot.IsEnded(err) || len(f.SentTo("stale")) != 0 || f.Uploads() != 1 {
		t.Fatalf("outside the window: %v, sent %+v, %d uploads", err, f.SentTo("stale"), f.Uploads())
	}

	f.CloseWindow("closing")
	if err := img("closing", "photos/2023/03/1.jpg"); !bot.IsEnded(err) || len(f.SentTo("closing")) != 0 {
		t.Fatalf("window closed by WeChat (45015): %v, sent %+v", err, f.SentTo("closing"))
	}

	if err := img("recent", "photos/2023/03/2.heic"); err == nil || !bot.IsPermanent(err) || bot.IsEnded(err) || !strings.Contains(err.Error(), "not an image WeChat takes") {
		t.Fatalf("a HEIC photo: %v", err)
	}

	f.FailNext("media/upload", -1)
	if err := img("recent", "photos/2023/03/1.jpg"); err != nil {
		t.Fatalf("a busy upload is retried: %v", err)
	}
	if len(f.SentTo("recent")) != 2 {
		t.Fatalf("sent %+v", f.SentTo("recent"))
	}
}

// following is seen with followers who have since left the account.
type following struct {
	seen
	left map[string]bool
}

func (f following) WeChatFollowing(openid string) (bool, error) { return !f.left[openid], nil }

// Text and photos go to their recipients alike: a follower named twice in
// a row gets one message; a recipient who is not a WeChat follower fails for
// good, and one who left the account ends without a call to WeChat; the
// others still get theirs.
func TestSendToEachFollower(t *testing.T) {
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	last := following{seen{"recent": now.Add(-time.Hour), "gone": now.Add(-time.Hour)}, map[string]bool{"gone": true}}
	files := bot.DirFiles{Dir: t.TempDir()}
	if _, err := files.Put(context.Background(), "photos/2023/03/1.jpg", "image/jpeg", strings.NewReader("\xff\xd8\xff\xe0 photo")); err != nil {
		t.Fatal(err)
	}
	to := []string{"wx:recent", "wx:recent", "zhangsan", "wx:gone", "wx:recent"}
	for _, tc := range []struct {
		kind string
		m    bot.Outgoing
	}{
		{"text", bot.Outgoing{Kind: bot.OutText, Text: "提醒", ToUsers: to}},
		{"image", bot.Outgoing{Kind: bot.OutImage, Photo: 1, File: "photos/2023/03/1.jpg", ToUsers: to}},
	} {
		t.Run(tc.kind+" to a follower, a WeCom user and one who left", func(t *testing.T) {
			f := wechattest.NewFake("wxhazarddemo000001", "secret-1")
			base := f.Start()
			t.Cleanup(f.Close)
			c, err := NewClient(Config{AppID: f.AppID, AppSecret: f.Secret, APIBase: base, TemplateID: "tmpl-1"}, wecom.NewMemoryTokens(), last,
				WithClock(func() time.Time { return now }), WithFiles(files), WithSleep(func(context.Context, time.Duration) error { return nil }))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Send(context.Background(), tc.m)
			if err == nil || !bot.IsPermanent(err) || !bot.IsEnded(err) || !strings.Contains(err.Error(), `"zhangsan" is not a WeChat follower`) {
				t.Fatalf("err = %v, want zhangsan failed for good and gone ended", err)
			}
			if got := f.SentTo("recent"); len(got) != 1 || got[0].Kind != map[string]string{"text": "custom", "image": "image"}[tc.kind] {
				t.Fatalf("sent to recent %+v, want one %s message", got, tc.kind)
			}
			if len(f.Sent()) != 1 || f.Uploads() > 1 {
				t.Fatalf("sent %+v (%d uploads), want only recent's", f.Sent(), f.Uploads())
			}
		})
	}
}
