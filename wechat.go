package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wechat"
	"hazardbot/bot/wechat/wechattest"
	"hazardbot/bot/wecom"
	"hazardbot/models"
)

// setupWeChat wires the WeChat Official Account when it is configured, and
// a fake one in demo mode; otherwise there is no WeChat channel and
// /wechat/callback answers 503.
func (a *app) setupWeChat() error {
	wc := a.cfg.WeChat
	cfg := wechat.Config{AppID: wc.AppID, AppSecret: wc.AppSecret, APIBase: wc.APIBase, TemplateID: wc.TemplateID,
		Templates: map[string]wechat.Template{}}
	for kind, t := range wc.Templates {
		cfg.Templates[kind] = wechat.Template{ID: t.ID, Fields: t.Fields}
	}
	token, aesKey := wc.Token, wc.AESKey
	opts := []wechat.Option{wechat.WithLogger(a.log), wechat.WithClock(a.store.Now), wechat.WithFiles(a.files)}
	switch {
	case a.cfg.WeChatEnabled():
	case a.demo:
		cfg.AppID, cfg.AppSecret, cfg.TemplateID = "wxdemo0000000000", randomToken(), "demo-template"
		token, aesKey = randomToken(), randomAESKey()
		a.wechatFake = wechattest.NewFake(cfg.AppID, cfg.AppSecret)
		a.wechatAccount = wechattest.Account{AppID: cfg.AppID, Token: token, AESKey: aesKey, Original: "gh_demo"}
		opts = append(opts, wechat.WithHTTPClient(&http.Client{Transport: a.wechatFake.Transport(), Timeout: 10 * time.Second}))
	default:
		return nil
	}
	var err error
	if a.wechat, err = wechat.NewCallback(token, aesKey, cfg.AppID); err != nil {
		return err
	}
	a.wechatClient, err = wechat.NewClient(cfg, models.Tokens{S: a.store}, a.store, opts...)
	return err
}

// sender is the outbox's way out: every configured channel.
func (a *app) sender() bot.Sender {
	ch := bot.Channels{WeCom: a.client}
	if a.wechatClient != nil {
		ch.WeChat = a.wechatClient
	}
	ch.Groups = wecom.NewGroups(a.client, a.store, a.store)
	return ch
}

// downloader fetches photos from the channel they came in by.
func (a *app) downloader() bot.Downloader {
	d := bot.Downloaders{WeCom: a.client}
	if a.wechatClient != nil {
		d.WeChat = a.wechatClient
	}
	return d
}

// handleWeChat sends one typed line as the WeChat follower user (wx:OPENID)
// through the real /wechat/callback, sealed as WeChat would (safe mode in
// demo), and prints the passive reply. /photo FILE and /location LAT LNG
// work as for WeCom users.
func (t *terminal) handleWeChat(ctx context.Context, user, line string) error {
	if t.a.wechatFake == nil {
		return errors.New("公众号只在演示模式下可以在终端对话")
	}
	openid := models.OpenID(user)
	m := wechattest.Message{OpenID: openid, Kind: "text", Text: line, MsgID: time.Now().UnixNano() + t.seq.Add(1), Time: time.Now()}
	fields := strings.Fields(line)
	switch {
	case len(fields) == 0:
		return nil
	case fields[0] == "/photo" && len(fields) == 2:
		data, err := os.ReadFile(fields[1])
		if err != nil {
			return err
		}
		id := fmt.Sprintf("demo-wx-media-%d", t.seq.Add(1))
		t.a.wechatFake.PutMedia(id, data)
		m.Kind, m.MediaID, m.PicURL = "image", id, "file://"+filepath.Base(fields[1])
	case fields[0] == "/location" && len(fields) >= 3:
		lat, err1 := strconv.ParseFloat(fields[1], 64)
		lng, err2 := strconv.ParseFloat(fields[2], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("用法：/location 32.63 110.79 [地址]")
		}
		m.Kind, m.Lat, m.Lng, m.Label = "location", lat, lng, strings.Join(fields[3:], " ")
	case fields[0] == "/subscribe":
		m.Kind, m.Event, m.MsgID = "event", "subscribe", 0
	}
	acc := t.a.wechatAccount
	q, body := acc.Post(acc.XML(m), m.Time, strconv.FormatInt(t.seq.Add(1), 10))
	base := strings.TrimSuffix(t.base, "/wecom/callback") + "/wechat/callback"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("callback answered %s: %s", resp.Status, data)
	}
	text, err := acc.ReadReply(data)
	if err != nil {
		return err
	}
	if text != "" {
		t.print(text)
	}
	return nil
}

// pushedWeChat prints what the Official Account sent to the current
// follower.
func (t *terminal) pushedWeChat(s wechattest.Sent) {
	if t.user.Load().(string) != models.WeChatUserID(s.OpenID) {
		return
	}
	key := fmt.Sprintf("wx|%s|%s|%d", s.OpenID, s.Kind, s.At.UnixNano())
	t.mu.Lock()
	if t.shown == nil {
		t.shown = map[string]bool{}
	}
	seen := t.shown[key]
	t.shown[key] = true
	t.mu.Unlock()
	if !seen {
		t.print(renderWeChatPush(s))
	}
}

// showWeChat prints what was pushed to follower user while someone else
// was typing (after /as wx:OPENID).
func (t *terminal) showWeChat(user string) {
	if t.a.wechatFake == nil || !models.IsWeChatUser(user) {
		return
	}
	for _, s := range t.a.wechatFake.SentTo(models.OpenID(user)) {
		t.pushedWeChat(s)
	}
}

// renderWeChatPush writes a customer-service or template message as the
// follower's phone would show it.
func renderWeChatPush(s wechattest.Sent) string {
	switch s.Kind {
	case "custom":
		return "\n【公众号消息】" + s.Text
	case "image":
		return fmt.Sprintf("\n【公众号图片】（%d 字节）", len(s.Image))
	}
	var b strings.Builder
	b.WriteString("\n【公众号模板消息】" + s.Data["first"])
	for _, k := range []string{"keyword1", "keyword2", "remark"} {
		if v := strings.TrimSpace(s.Data[k]); v != "" {
			b.WriteString("\n  " + v)
		}
	}
	return b.String()
}
