package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/models"
)

// chat runs an in-process bot (demo WeCom) and lets the person at the
// terminal talk to it as a WeCom user, through the real callback handler.
func chat(ctx context.Context, getenv func(string) string, stdout io.Writer, stdin io.Reader, args []string) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stdout)
	as := fs.String("as", "zhangsan", "the WeCom userid to chat as (see config/directory.shiyan.yaml)")
	wechatAs := fs.String("wechat", "", "chat as this WeChat follower (any openid) through the demo Official Account")
	fs.Usage = func() { fmt.Fprint(stdout, commandHelp["chat"]) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, _, err := loadConfig(getenv, io.Discard)
	if err != nil {
		return err
	}
	// The terminal chat talks to an in-process fake WeCom API and runs its
	// own sender: against a real database that sender would claim real
	// outbox rows and "send" them to the fake. So it runs only in demo mode
	// on a demo database.
	if !cfg.DemoMode() {
		return errors.New(msgChatConfigured)
	}
	if err := demoDatabase(ctx, cfg); err != nil {
		return err
	}
	cfg.Outbox.Poll = 200 * time.Millisecond
	// Logs go to a file: a warning printed between two chat lines reads as
	// if the bot had said it.
	logPath := filepath.Join(cfg.Storage.Dir, "chat.log")
	if err := os.MkdirAll(cfg.Storage.Dir, 0o755); err != nil {
		return err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("chat: log file: %w", err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := a.httpServer("", nil)
	go srv.Serve(ln)
	defer srv.Close()
	bg, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	if _, err := a.startBackground(bg, &wg, false); err != nil {
		return err
	}
	defer func() { stop(); wg.Wait() }() // the background stops before the database closes

	t := &terminal{a: a, base: "http://" + ln.Addr().String() + "/wecom/callback", out: stdout}
	t.user.Store(*as)
	if *wechatAs != "" {
		*as = models.WeChatUserID(*wechatAs)
		t.user.Store(*as)
	}
	cancel := a.fake.Subscribe(t.pushed)
	defer cancel()
	if a.wechatFake != nil {
		defer a.wechatFake.Subscribe(t.pushedWeChat)()
	}
	fmt.Fprintf(stdout, "以 %s 的身份与隐患台账机器人对话。发送“帮助”查看命令，/as 用户 切换身份，/quit 退出。日志写入 %s。\n", *as, logPath)
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64*1024), 64*1024)
	// Lines ending in "\" continue on the next line, for one-shot reports.
	var pending []string
	for {
		if len(pending) > 0 {
			t.print("…")
		} else {
			t.prompt()
		}
		if !in.Scan() {
			break
		}
		line := in.Text()
		if strings.HasSuffix(line, `\`) {
			pending = append(pending, strings.TrimSuffix(line, `\`))
			continue
		}
		line = strings.Join(append(pending, line), "\n")
		pending = nil
		if strings.TrimSpace(line) == "/quit" {
			break
		}
		if err := t.handle(ctx, line); err != nil {
			fmt.Fprintln(stdout, "!", err)
		}
	}
	stop()
	wg.Wait()
	return nil
}

// msgChatConfigured refuses the terminal chat on a configured server.
const msgChatConfigured = `终端对话只用于演示：已配置企业微信（HAZARDBOT_WECOM_*），拒绝启动，以免它的发送程序替真实待发消息“发送”到假的企业微信。
请不带企业微信配置、用一个演示数据库运行，例如：
  HAZARDBOT_DB_DRIVER=sqlite HAZARDBOT_DB_DSN=demo.db hazardbot chat --as zhangsan
The terminal chat is for the demo only: WeCom is configured, so it refuses to start (its sender would
mark real outbox messages as sent to its in-process fake). Run it without WeCom settings on a demo database, e.g.
  HAZARDBOT_DB_DRIVER=sqlite HAZARDBOT_DB_DSN=demo.db hazardbot chat --as zhangsan`

// msgChatNotDemo refuses the terminal chat on a database demo mode did not seed.
const msgChatNotDemo = `终端对话只用于演示数据库：配置的数据库（%s）已有数据，但不是演示模式建立的，拒绝启动，以免它的发送程序把真实待发消息当作已发送。
请换一个新的演示数据库运行（首次运行会自动载入十堰演示通讯录），例如：
  HAZARDBOT_DB_DRIVER=sqlite HAZARDBOT_DB_DSN=demo.db hazardbot chat --as zhangsan
The terminal chat runs only on a demo database: the configured database (%s) holds data that demo mode
did not create, so it refuses to start (its sender would mark real outbox messages as sent). Point it at a
new database, which it seeds with the Shiyan demo directory, e.g.
  HAZARDBOT_DB_DRIVER=sqlite HAZARDBOT_DB_DSN=demo.db hazardbot chat --as zhangsan`

// demoDatabase refuses a database that demo mode did not create.
func demoDatabase(ctx context.Context, cfg *config.Config) error {
	s, err := openStore(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	var ok bool
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		ok, err = tx.IsDemo()
		return err
	}); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf(msgChatNotDemo, cfg.DB.Driver, cfg.DB.Driver)
	}
	return nil
}

type terminal struct {
	a    *app
	base string
	out  io.Writer
	mu   sync.Mutex
	user atomic.Value
	seq  atomic.Int64
	// shown are the pushes already printed, so that /as does not print
	// them again.
	shown map[string]bool
}

func (t *terminal) prompt() {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, "%s> ", t.user.Load())
}

func (t *terminal) print(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(t.out, s)
}

// pushed prints a message the bot sent through the API to the current
// user, once.
func (t *terminal) pushed(m wecomtest.FakeMessage) {
	user := t.user.Load().(string)
	if !m.AtAll && !slices.Contains(m.To, user) {
		return
	}
	key := fmt.Sprintf("%s|%s|%d|%s", m.MsgID, m.MsgType, m.Time.UnixNano(), m.ResponseCode)
	t.mu.Lock()
	if t.shown == nil {
		t.shown = map[string]bool{}
	}
	seen := t.shown[key]
	t.shown[key] = true
	t.mu.Unlock()
	if seen {
		return
	}
	t.print(renderPush(m))
}

// renderPush writes a pushed message as the phone would show it; a field
// the message does not carry is left out, never printed as <nil>.
func renderPush(m wecomtest.FakeMessage) string {
	str := func(v any) string {
		if s, ok := v.(string); ok {
			return strings.TrimSpace(s)
		}
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n【推送 %s】", m.MsgType)
	card, isCard := m.Body["template_card"].(map[string]any)
	if !isCard {
		b.WriteString(m.Text)
		return b.String()
	}
	if d, ok := card["main_title"].(map[string]any); ok {
		b.WriteString(str(d["title"]))
		if desc := str(d["desc"]); desc != "" {
			b.WriteString("\n  " + desc)
		}
	} else {
		b.WriteString(m.Text)
	}
	if sub := str(card["sub_title_text"]); sub != "" {
		b.WriteString("\n  " + sub)
	}
	if list, ok := card["horizontal_content_list"].([]any); ok {
		for _, it := range list {
			if kv, ok := it.(map[string]any); ok && str(kv["keyname"]) != "" {
				fmt.Fprintf(&b, "\n  %s：%s", str(kv["keyname"]), str(kv["value"]))
			}
		}
	}
	if list, ok := card["button_list"].([]any); ok {
		for _, it := range list {
			if btn, ok := it.(map[string]any); ok && str(btn["key"]) != "" {
				fmt.Fprintf(&b, "\n  [%s] 点击：/click %s", str(btn["text"]), str(btn["key"]))
			}
		}
	}
	return b.String()
}

// handle turns one typed line into a WeCom callback and prints the reply.
func (t *terminal) handle(ctx context.Context, line string) error {
	user := t.user.Load().(string)
	m := bot.Message{UserID: user, AgentID: 1000002, Time: time.Now(), ID: strconv.FormatInt(time.Now().UnixNano()+t.seq.Add(1), 10)}
	fields := strings.Fields(line)
	if models.IsWeChatUser(user) && (len(fields) == 0 || fields[0] != "/as") {
		return t.handleWeChat(ctx, user, line)
	}
	switch {
	case len(fields) == 0:
		return nil
	case fields[0] == "/as" && len(fields) == 2:
		t.user.Store(fields[1])
		// Show what was pushed to that user while someone else was typing.
		for _, m := range t.a.fake.SentTo(fields[1]) {
			t.pushed(m)
		}
		t.showWeChat(fields[1])
		return nil
	case fields[0] == "/photo" && len(fields) == 2:
		data, err := os.ReadFile(fields[1])
		if err != nil {
			return err
		}
		id := fmt.Sprintf("demo-media-%d", t.seq.Add(1))
		t.a.fake.AddMedia(id, "image/jpeg", data)
		m.Kind, m.MediaID, m.PicURL = bot.KindImage, id, "file://"+filepath.Base(fields[1])
	case fields[0] == "/location" && len(fields) >= 3:
		lat, err1 := strconv.ParseFloat(fields[1], 64)
		lng, err2 := strconv.ParseFloat(fields[2], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("用法：/location 32.63 110.79 [地址]")
		}
		m.Kind, m.Lat, m.Lng, m.Label = bot.KindLocation, lat, lng, strings.Join(fields[3:], " ")
	case fields[0] == "/click" && len(fields) == 2:
		m.Kind, m.Event, m.EventKey, m.TaskID, m.CardType = bot.KindEvent, bot.EventTemplateCard, fields[1], "terminal", "button_interaction"
		m.ID = ""
	default:
		m.Kind, m.Text = bot.KindText, line
	}
	reply, err := t.post(ctx, m)
	if err != nil {
		return err
	}
	if reply.ButtonText != "" {
		t.print("【卡片】" + reply.ButtonText)
	}
	if reply.Text != "" {
		t.print(reply.Text)
	}
	return nil
}

// post seals m exactly as WeCom would, posts it to the callback and opens
// the passive reply.
func (t *terminal) post(ctx context.Context, m bot.Message) (bot.Reply, error) {
	c := t.a.sealer
	inner := wecomtest.EncodeInbound(m, c.CorpID())
	nonce := strconv.FormatInt(t.seq.Add(1), 10)
	now := time.Now()
	body, sig, err := c.SealInbound(inner, now, nonce)
	if err != nil {
		return bot.Reply{}, err
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(now.Unix(), 10)}, "nonce": {nonce}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return bot.Reply{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return bot.Reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return bot.Reply{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return bot.Reply{}, fmt.Errorf("callback answered %s: %s", resp.Status, data)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return bot.Reply{}, nil
	}
	plain, err := c.OpenReply(data)
	if err != nil {
		return bot.Reply{}, err
	}
	return wecomtest.DecodeReply(plain)
}
