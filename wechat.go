package main

import (
	"net/http"
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
	cfg := wechat.Config{AppID: wc.AppID, AppSecret: wc.AppSecret, APIBase: wc.APIBase, TemplateID: wc.TemplateID}
	token, aesKey := wc.Token, wc.AESKey
	opts := []wechat.Option{wechat.WithLogger(a.log), wechat.WithClock(a.store.Now)}
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
