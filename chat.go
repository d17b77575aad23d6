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
)

// chat runs an in-process bot (demo WeCom) and lets the person at the
// terminal talk to it as a WeCom user, through the real callback handler.
func chat(ctx context.Context, getenv func(string) string, stdout io.Writer, stdin io.Reader, args []string) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stdout)
	as := fs.String("as", "zhangsan", "the WeCom userid to chat as (see config/directory.shiyan.yaml)")
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
	// The terminal chat always uses the fake WeCom API, so nothing real is
	// sent; it shares the configured database with `serve`.
	cfg.WeCom = config.WeCom{APIBase: cfg.WeCom.APIBase}
	cfg.Outbox.Poll = 200 * time.Millisecond
	logLevel := slog.LevelWarn
	if cfg.Log.Level == "debug" {
		logLevel = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))
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
	a.startBackground(bg, &wg, false)

	t := &terminal{a: a, base: "http://" + ln.Addr().String() + "/wecom/callback", out: stdout}
	t.user.Store(*as)
	cancel := a.fake.Subscribe(t.pushed)
	defer cancel()
	fmt.Fprintf(stdout, "以 %s 的身份与隐患台账机器人对话。发送“帮助”查看命令，/quit 退出。\n", *as)
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

type terminal struct {
	a    *app
	base string
	out  io.Writer
	mu   sync.Mutex
	user atomic.Value
	seq  atomic.Int64
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

// pushed prints a message the bot sent through the API to the current user.
func (t *terminal) pushed(m wecomtest.FakeMessage) {
	user := t.user.Load().(string)
	if !m.AtAll && !slices.Contains(m.To, user) {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n【推送 %s】%s", m.MsgType, m.Text)
	if card, ok := m.Body["template_card"].(map[string]any); ok {
		if d, ok := card["main_title"].(map[string]any); ok {
			fmt.Fprintf(&b, "\n  %v", d["desc"])
		}
		if list, ok := card["horizontal_content_list"].([]any); ok {
			for _, it := range list {
				if kv, ok := it.(map[string]any); ok {
					fmt.Fprintf(&b, "\n  %v：%v", kv["keyname"], kv["value"])
				}
			}
		}
		if list, ok := card["button_list"].([]any); ok {
			for _, it := range list {
				if btn, ok := it.(map[string]any); ok {
					fmt.Fprintf(&b, "\n  [%v] 点击：/click %v", btn["text"], btn["key"])
				}
			}
		}
	}
	t.print(b.String())
}

// handle turns one typed line into a WeCom callback and prints the reply.
func (t *terminal) handle(ctx context.Context, line string) error {
	user := t.user.Load().(string)
	m := bot.Message{UserID: user, AgentID: 1000002, Time: time.Now(), ID: strconv.FormatInt(time.Now().UnixNano()+t.seq.Add(1), 10)}
	fields := strings.Fields(line)
	switch {
	case len(fields) == 0:
		return nil
	case fields[0] == "/as" && len(fields) == 2:
		t.user.Store(fields[1])
		// Show what was pushed to that user while someone else was typing.
		for _, m := range t.a.fake.SentTo(fields[1]) {
			t.pushed(m)
		}
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
