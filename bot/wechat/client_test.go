package wechat

import (
	"bytes"
	"context"
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

	t.Run("an unfollowed user (43004) is a permanent failure", func(t *testing.T) {
		f.FailNext("message/custom/send", 43004)
		err := c.Send(context.Background(), bot.Outgoing{Kind: bot.OutText, Text: "x", ToUsers: []string{"wx:recent"}})
		if err == nil || !bot.IsPermanent(err) {
			t.Fatalf("err = %v, want permanent", err)
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
