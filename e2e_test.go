package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/models"
)

// testConfig is the default configuration on a temporary SQLite database
// (name) and storage, changed by edit before it is validated.
func testConfig(t *testing.T, name string, edit func(*config.Config)) *config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB.DSN = filepath.Join(dir, name)
	cfg.Storage.Dir = filepath.Join(dir, "data")
	if edit != nil {
		edit(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// demoApp starts a whole process's worth of hazardbot in demo mode on a
// temporary SQLite database: the real router on a loopback port, outbox
// senders and the photo fetcher, talking to the fake WeCom API.
func demoApp(t *testing.T) (*app, *terminal) {
	t.Helper()
	cfg := testConfig(t, "e2e.db", func(c *config.Config) { c.Outbox.Poll = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.photoEvery = 50 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := a.httpServer("", nil)
	go srv.Serve(ln)
	var wg sync.WaitGroup
	if _, err := a.startBackground(ctx, &wg, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		a.close()
	})
	return a, &terminal{a: a, base: "http://" + ln.Addr().String() + "/wecom/callback", out: io.Discard}
}

// as sends one message as user through the sealed callback and returns the reply.
func (t *terminal) as(tb testing.TB, user string, m bot.Message) bot.Reply {
	tb.Helper()
	m.UserID, m.AgentID, m.Time = user, 1000002, time.Now()
	if m.ID == "" {
		m.ID = fmt.Sprintf("%d", time.Now().UnixNano()+t.seq.Add(1))
	}
	if m.Kind == "" {
		m.Kind = bot.KindText
	}
	r, err := t.post(context.Background(), m)
	if err != nil {
		tb.Fatalf("%s: %v", user, err)
	}
	return r
}

// waitPushed waits until the fake WeCom API has received a message to user
// satisfying ok.
func waitPushed(t *testing.T, f *wecomtest.Fake, user string, ok func(wecomtest.FakeMessage) bool) wecomtest.FakeMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range f.SentTo(user) {
			if ok(m) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no matching message reached %s; got %+v", user, f.SentTo(user))
	return wecomtest.FakeMessage{}
}

func buttonKeys(m wecomtest.FakeMessage) []string {
	var keys []string
	card, _ := m.Body["template_card"].(map[string]any)
	list, _ := card["button_list"].([]any)
	for _, b := range list {
		if btn, ok := b.(map[string]any); ok {
			keys = append(keys, fmt.Sprint(btn["key"]))
		}
	}
	return keys
}

func TestEndToEndFromReportToCloseOutThroughWeCom(t *testing.T) {
	a, term := demoApp(t)
	f := a.fake
	f.AddMedia("photo-1", "image/jpeg", []byte("\xff\xd8\xff\xe0 jpeg bytes"))
	year := models.DateOf(time.Now(), a.store.Loc).Year
	no := fmt.Sprintf("YH%d-0001", year)

	if r := term.as(t, "zhangsan", bot.Message{Kind: bot.KindImage, MediaID: "photo-1", PicURL: "http://x"}); !strings.Contains(r.Text, "已收到照片") {
		t.Fatalf("photo reply: %+v", r)
	}
	report := "上报\n隐患：液化气钢瓶违规存放\n内容：商场地下室存放钢瓶3个\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：15天"
	if r := term.as(t, "zhangsan", bot.Message{Text: report}); !strings.Contains(r.Text, "请核对") {
		t.Fatalf("report reply: %s", r.Text)
	}
	confirm := bot.Message{ID: "confirm-1", Text: "确认"}
	r1 := term.as(t, "zhangsan", confirm)
	r2 := term.as(t, "zhangsan", confirm) // WeCom's retry
	if !strings.Contains(r1.Text, "已登记，编号 "+no) || r1 != r2 {
		t.Fatalf("confirm replies: %q / %q", r1.Text, r2.Text)
	}

	card := waitPushed(t, f, "lisi", func(m wecomtest.FakeMessage) bool { return m.MsgType == "template_card" })
	if keys := buttonKeys(card); len(keys) != 1 || keys[0] != "accept:"+no {
		t.Fatalf("assignment card buttons %v", keys)
	}
	click := term.as(t, "lisi", bot.Message{Kind: bot.KindEvent, Event: bot.EventTemplateCard, EventKey: "accept:" + no, TaskID: "t1", ResponseCode: card.ResponseCode})
	if click.ButtonText != "已接收（李四）" {
		t.Fatalf("accept click: %+v", click)
	}
	waitPushed(t, f, "lisi", func(m wecomtest.FakeMessage) bool {
		return m.MsgType == "update_template_card" && m.Text == "已接收（李四）"
	})

	if r := term.as(t, "lisi", bot.Message{Text: "整改 1 已将钢瓶清出地下室"}); !strings.Contains(r.Text, "等待复查") {
		t.Fatalf("rectify reply: %s", r.Text)
	}
	review := waitPushed(t, f, "wangwu", func(m wecomtest.FakeMessage) bool { return m.MsgType == "template_card" })
	if keys := buttonKeys(review); len(keys) != 2 || keys[0] != "pass:"+no {
		t.Fatalf("review card buttons %v", keys)
	}
	if r := term.as(t, "wangwu", bot.Message{Kind: bot.KindEvent, Event: bot.EventTemplateCard, EventKey: "pass:" + no, TaskID: "t2", ResponseCode: review.ResponseCode}); r.ButtonText != "已通过（王五）" {
		t.Fatalf("pass click: %+v", r)
	}
	waitPushed(t, f, "zhangsan", func(m wecomtest.FakeMessage) bool { return strings.Contains(m.Text, "复查通过，已销号") })

	// The photo was fetched from WeCom into storage, and the query counts it.
	deadline := time.Now().Add(20 * time.Second)
	var stored string
	for time.Now().Before(deadline) && stored == "" {
		a.store.InTx(context.Background(), func(tx *models.Tx) error {
			h, _ := tx.FindHazardByNumber(models.Number{Year: year, Seq: 1})
			list, _ := tx.Attachments(h.ID)
			if len(list) == 1 {
				stored = list[0].Path
			}
			return nil
		})
		if stored == "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if stored == "" {
		t.Fatal("the photo was never fetched into storage")
	}
	data, err := os.ReadFile(filepath.Join(a.cfg.Storage.Dir, stored))
	if err != nil || !strings.Contains(string(data), "jpeg bytes") {
		t.Fatalf("stored photo %s: %q %v", stored, data, err)
	}
	if r := term.as(t, "zhangsan", bot.Message{Text: "查询 1"}); !strings.Contains(r.Text, "状态：已销号") || !strings.Contains(r.Text, "整改前1张") {
		t.Fatalf("query: %s", r.Text)
	}
}

func TestServeAnswersHealthAndStopsGracefully(t *testing.T) {
	dir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	e := env(map[string]string{"HAZARDBOT_ADDR": addr, "HAZARDBOT_DB_DSN": filepath.Join(dir, "s.db"), "HAZARDBOT_STORAGE_DIR": dir, "HAZARDBOT_LOG_LEVEL": "error"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"hazardbot"}, e, io.Discard) }()
	var ok bool
	// Up to 30 s: demo mode's first start adds the sample ledger before it
	// listens, which on a loaded machine takes a few seconds.
	for range 600 {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ok = true
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !ok {
		t.Fatal("serve never became ready")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
