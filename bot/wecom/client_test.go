package wecom

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"hazardbot/bot/wecom/wecomtest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hazardbot/bot"
	"hazardbot/models"
)

const (
	apiTestCorp   = "ww0123456789abcdef"
	apiTestSecret = "S3cr3t-corp-secret-do-not-leak"
	apiTestAgent  = 1000002
)

// apiClock is a fake clock whose Sleep moves time instead of waiting, and
// remembers every wait.
type apiClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newAPIClock() *apiClock {
	return &apiClock{t: time.Date(2023, 3, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))}
}

func (c *apiClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *apiClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *apiClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *apiClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// apiEnv is a fake WeCom API over httptest and a client pointed at it.
type apiEnv struct {
	fake   *wecomtest.Fake
	srv    *httptest.Server
	clock  *apiClock
	tokens *MemoryTokens
	client *Client
	logs   *bytes.Buffer
}

func newAPIEnv(t *testing.T, cfg Config, opts ...Option) *apiEnv {
	t.Helper()
	clock := newAPIClock()
	fake := wecomtest.NewFake(wecomtest.FakeOptions{CorpID: apiTestCorp, Secret: apiTestSecret, AgentID: apiTestAgent, Now: clock.Now})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	e := &apiEnv{fake: fake, srv: srv, clock: clock, tokens: NewMemoryTokens(), logs: &bytes.Buffer{}}
	e.client = e.newClient(t, cfg, e.tokens, opts...)
	return e
}

// newClient builds another client on the same fake, clock and log.
func (e *apiEnv) newClient(t *testing.T, cfg Config, tokens TokenStore, opts ...Option) *Client {
	t.Helper()
	if cfg.CorpID == "" {
		cfg.CorpID = apiTestCorp
	}
	if cfg.Secret == "" {
		cfg.Secret = apiTestSecret
	}
	if cfg.AgentID == 0 {
		cfg.AgentID = apiTestAgent
	}
	if cfg.APIBase == "" {
		cfg.APIBase = e.srv.URL
	}
	base := []Option{
		WithHTTPClient(e.srv.Client()),
		WithClock(e.clock.Now),
		WithSleep(e.clock.Sleep),
		WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, nil))),
	}
	c, err := NewClient(cfg, tokens, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// lockedWriter serialises log writes from concurrent handlers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// count returns how many requests the fake got for call.
func (e *apiEnv) count(call string) int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Path == "/cgi-bin/"+call {
			n++
		}
	}
	return n
}

func textTo(users ...string) bot.Outgoing {
	return bot.Outgoing{Kind: bot.OutText, ToUsers: users, Text: "YH2023-0012 已交办，请于3月20日前整改"}
}

func TestSendKinds(t *testing.T) {
	card := &bot.Card{
		TaskID:      "assign-YH2023-0012-1",
		Title:       "隐患交办 YH2023-0012",
		Description: "茅箭区某加油站储罐区消防器材缺失",
		Fields:      []bot.CardPair{{Key: "整改时限", Value: "3月20日"}, {Key: "督办", Value: "黄牌"}},
		Buttons:     []bot.Button{{Text: "接收", Key: "accept:12", Style: 1}, {Text: "退回", Key: "reject:12", Style: 3}},
	}
	tests := []struct {
		name string
		msg  bot.Outgoing
		want map[string]any // paths into the JSON body at the fake → value
		call string
	}{
		{
			name: "text to two users",
			msg:  bot.Outgoing{Kind: bot.OutText, ToUsers: []string{"zhangsan", "lisi", "zhangsan"}, Text: "你好"},
			call: "message/send",
			want: map[string]any{"msgtype": "text", "touser": "zhangsan|lisi", "agentid": "1000002", "text.content": "你好"},
		},
		{
			name: "markdown",
			msg:  bot.Outgoing{Kind: bot.OutMarkdown, ToUsers: []string{"zhangsan"}, Text: "**逾期** 3 项"},
			call: "message/send",
			want: map[string]any{"msgtype": "markdown", "markdown.content": "**逾期** 3 项"},
		},
		{
			name: "textcard",
			msg: bot.Outgoing{Kind: bot.OutTextCard, ToUsers: []string{"zhangsan"}, Title: "每日汇总",
				Description: "发现12个，已销号3个", URL: "https://example.org/d/1"},
			call: "message/send",
			want: map[string]any{"msgtype": "textcard", "textcard.title": "每日汇总",
				"textcard.description": "发现12个，已销号3个", "textcard.url": "https://example.org/d/1"},
		},
		{
			name: "button interaction card",
			msg:  bot.Outgoing{Kind: bot.OutCard, ToUsers: []string{"lisi"}, Card: card},
			call: "message/send",
			want: map[string]any{
				"msgtype":                                         "template_card",
				"template_card.card_type":                         "button_interaction",
				"template_card.main_title.title":                  "隐患交办 YH2023-0012",
				"template_card.sub_title_text":                    "茅箭区某加油站储罐区消防器材缺失",
				"template_card.task_id":                           "assign-YH2023-0012-1",
				"template_card.horizontal_content_list.0.keyname": "整改时限",
				"template_card.horizontal_content_list.1.value":   "黄牌",
				"template_card.button_list.0.text":                "接收",
				"template_card.button_list.0.key":                 "accept:12",
				"template_card.button_list.1.style":               3.0,
			},
		},
		{
			name: "card update greys out the buttons",
			msg: bot.Outgoing{Kind: bot.OutCardUpdate, ToUsers: []string{"lisi"}, ResponseCode: "rc-1",
				Card: &bot.Card{TaskID: "assign-YH2023-0012-1", Done: "已接收（李四）"}},
			call: "message/update_template_card",
			want: map[string]any{"userids.0": "lisi", "agentid": 1000002.0, "response_code": "rc-1",
				"button.replace_name": "已接收（李四）"},
		},
		{
			name: "card update with a new card for everyone",
			msg:  bot.Outgoing{Kind: bot.OutCardUpdate, ResponseCode: "rc-2", Card: card},
			call: "message/update_template_card",
			want: map[string]any{"atall": 1.0, "response_code": "rc-2",
				"template_card.card_type": "button_interaction", "template_card.button_list.1.key": "reject:12"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t, Config{})
			if err := e.client.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := e.fake.Sent()
			if len(sent) != 1 {
				t.Fatalf("fake accepted %d messages, want 1", len(sent))
			}
			var body map[string]any
			for _, r := range e.fake.Requests() {
				if r.Path == "/cgi-bin/"+tt.call {
					body = r.Body
				}
			}
			if body == nil {
				t.Fatalf("no %s request; requests: %+v", tt.call, e.fake.Requests())
			}
			for p, want := range tt.want {
				if got := jsonPath(body, p); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", p, got, want)
				}
			}
		})
	}
}

// jsonPath walks a decoded JSON value by dotted keys and array indexes.
func jsonPath(v any, p string) any {
	for _, k := range strings.Split(p, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, ch := range k {
				i = i*10 + int(ch-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestSendFileUploadsFromTheFileStore(t *testing.T) {
	root := t.TempDir()
	data := []byte("PK\x03\x04 fake xlsx bytes for the weekly ledger")
	if err := os.MkdirAll(filepath.Join(root, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "reports", "week11.xlsx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	e := newAPIEnv(t, Config{}, WithFiles(bot.DirFiles{Dir: root}))
	err := e.client.Send(context.Background(), bot.Outgoing{Kind: bot.OutFile, ToUsers: []string{"wangwu"},
		File: "reports/week11.xlsx", FileName: "重点隐患台账-第11周.xlsx"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := e.fake.Sent()
	if len(sent) != 1 || sent[0].MsgType != "file" {
		t.Fatalf("sent = %+v, want one file message", sent)
	}
	id, _ := jsonPath(sent[0].Body, "file.media_id").(string)
	name, got, ok := e.fake.Media(id)
	if !ok {
		t.Fatalf("media %q not uploaded", id)
	}
	if name != "重点隐患台账-第11周.xlsx" || !bytes.Equal(got, data) {
		t.Errorf("uploaded %q (%d bytes), want the ledger file (%d bytes)", name, len(got), len(data))
	}
	for _, r := range e.fake.Requests() {
		if r.Path == "/cgi-bin/media/upload" && r.Query.Get("type") != "file" {
			t.Errorf("upload type = %q, want file", r.Query.Get("type"))
		}
	}
}

func TestSendRejectsBadMessages(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(filepath.Dir(root), "outside.txt")
	_ = os.WriteFile(outside, []byte("not yours, not yours"), 0o644)
	t.Cleanup(func() { os.Remove(outside) })
	tests := []struct {
		name string
		msg  bot.Outgoing
	}{
		{"no recipient", bot.Outgoing{Kind: bot.OutText, Text: "hi"}},
		{"unknown kind", bot.Outgoing{Kind: "fax", ToUsers: []string{"a"}}},
		{"textcard without url", bot.Outgoing{Kind: bot.OutTextCard, ToUsers: []string{"a"}, Title: "t"}},
		{"card without task id", bot.Outgoing{Kind: bot.OutCard, ToUsers: []string{"a"},
			Card: &bot.Card{Title: "t", Buttons: []bot.Button{{Text: "ok", Key: "k"}}}}},
		{"card with seven buttons", bot.Outgoing{Kind: bot.OutCard, ToUsers: []string{"a"},
			Card: &bot.Card{TaskID: "t1", Title: "t", Buttons: make([]bot.Button, 7)}}},
		{"card update without response code", bot.Outgoing{Kind: bot.OutCardUpdate, Card: &bot.Card{Done: "已处理"}}},
		{"file outside the root", bot.Outgoing{Kind: bot.OutFile, ToUsers: []string{"a"}, File: "../outside.txt"}},
		{"missing file", bot.Outgoing{Kind: bot.OutFile, ToUsers: []string{"a"}, File: "nope.xlsx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t, Config{}, WithFiles(bot.DirFiles{Dir: root}))
			err := e.client.Send(context.Background(), tt.msg)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if !bot.IsPermanent(err) {
				t.Errorf("error %v is not permanent", err)
			}
			if n := len(e.fake.Requests()); n != 0 {
				t.Errorf("fake got %d requests, want none", n)
			}
		})
	}
}

// TestAPIBaseMovesEveryCall points the client at a "private deployment"
// under a path prefix and checks that every request, gettoken included,
// went there and nowhere else.
func TestAPIBaseMovesEveryCall(t *testing.T) {
	clock := newAPIClock()
	fake := wecomtest.NewFake(wecomtest.FakeOptions{CorpID: apiTestCorp, Secret: apiTestSecret, Now: clock.Now,
		Users: map[string]string{"zhangsan": "张三"}})
	fake.AddMedia("m1", "image/jpeg", []byte("\xff\xd8\xff jpeg bytes"))
	mux := http.NewServeMux()
	mux.Handle("/gov/", http.StripPrefix("/gov", fake))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var mu sync.Mutex
	var seen []string
	hc := srv.Client()
	inner := hc.Transport
	hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		seen = append(seen, r.URL.Scheme+"://"+r.URL.Host+r.URL.Path)
		mu.Unlock()
		return inner.RoundTrip(r)
	})
	c, err := NewClient(Config{CorpID: apiTestCorp, Secret: apiTestSecret, AgentID: 7, APIBase: srv.URL + "/gov/"},
		NewMemoryTokens(), WithHTTPClient(hc), WithClock(clock.Now), WithSleep(clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Send(ctx, textTo("zhangsan")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := c.UploadMedia(ctx, "image", "a.jpg", strings.NewReader("some image bytes")); err != nil {
		t.Fatalf("UploadMedia: %v", err)
	}
	if _, err := c.DownloadMedia(ctx, "m1", io.Discard); err != nil {
		t.Fatalf("DownloadMedia: %v", err)
	}
	if _, err := c.GetUser(ctx, "zhangsan"); err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if err := c.Send(ctx, bot.Outgoing{Kind: bot.OutCardUpdate, ResponseCode: "rc", Card: &bot.Card{Done: "已处理"}}); err != nil {
		t.Fatalf("card update: %v", err)
	}
	want := []string{"gettoken", "message/send", "media/upload", "media/get", "user/get", "message/update_template_card"}
	if len(seen) != len(want) {
		t.Fatalf("requests = %v, want %d", seen, len(want))
	}
	for i, w := range want {
		if seen[i] != srv.URL+"/gov/cgi-bin/"+w {
			t.Errorf("request %d went to %s, want %s", i, seen[i], srv.URL+"/gov/cgi-bin/"+w)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewClientRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no corp id", Config{Secret: apiTestSecret}},
		{"no secret", Config{CorpID: apiTestCorp}},
		{"api base without scheme", Config{CorpID: apiTestCorp, Secret: apiTestSecret, APIBase: "qyapi.example.gov.cn"}},
		{"api base ftp", Config{CorpID: apiTestCorp, Secret: apiTestSecret, APIBase: "ftp://x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(tt.cfg, nil)
			if err == nil {
				t.Fatal("NewClient succeeded, want an error")
			}
			if strings.Contains(err.Error(), apiTestSecret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

func TestTokenSharedBetweenClients(t *testing.T) {
	e := newAPIEnv(t, Config{})
	other := e.newClient(t, Config{}, e.tokens)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.client
			if i%2 == 1 {
				c = other
			}
			if err := c.Send(ctx, textTo("zhangsan")); err != nil {
				t.Errorf("Send: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := e.fake.TokensIssued(); n != 1 {
		t.Errorf("tokens fetched = %d, want 1 shared by both clients", n)
	}
	// A client with its own store fetches its own.
	alone := e.newClient(t, Config{}, NewMemoryTokens())
	if err := alone.Send(ctx, textTo("zhangsan")); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokensIssued(); n != 2 {
		t.Errorf("tokens fetched = %d, want 2", n)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	e := newAPIEnv(t, Config{})
	ctx := context.Background()
	if err := e.client.Send(ctx, textTo("a")); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour + 54*time.Minute) // 6 minutes left of 2 hours
	if err := e.client.Send(ctx, textTo("a")); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokensIssued(); n != 1 {
		t.Fatalf("tokens fetched = %d with 6 minutes left, want 1", n)
	}
	e.clock.Advance(2 * time.Minute) // 4 minutes left: inside the margin
	if err := e.client.Send(ctx, textTo("a")); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokensIssued(); n != 2 {
		t.Errorf("tokens fetched = %d with 4 minutes left, want 2", n)
	}
	if n := e.count("message/send"); n != 3 {
		t.Errorf("message/send calls = %d, want 3 (no rejected call)", n)
	}
}

func TestRejectedTokenRefreshedOnce(t *testing.T) {
	for _, code := range []int{CodeTokenExpired, CodeInvalidToken, CodeInvalidSecret} {
		t.Run("errcode "+strconv.Itoa(code)+" then success", func(t *testing.T) {
			e := newAPIEnv(t, Config{})
			ctx := context.Background()
			if err := e.client.Send(ctx, textTo("a")); err != nil {
				t.Fatal(err)
			}
			e.fake.FailNext("message/send", code, 1)
			if err := e.client.Send(ctx, textTo("a")); err != nil {
				t.Fatalf("Send after %d: %v", code, err)
			}
			if n := e.fake.TokensIssued(); n != 2 {
				t.Errorf("tokens fetched = %d, want 2", n)
			}
			if n := e.count("message/send"); n != 3 {
				t.Errorf("message/send calls = %d, want 3", n)
			}
			if len(e.clock.Sleeps()) != 0 {
				t.Errorf("slept %v, want no backoff for a token refresh", e.clock.Sleeps())
			}
		})
		t.Run("errcode "+strconv.Itoa(code)+" twice is returned", func(t *testing.T) {
			e := newAPIEnv(t, Config{})
			e.fake.FailNext("message/send", code, 2)
			err := e.client.Send(context.Background(), textTo("a"))
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != code {
				t.Fatalf("err = %v, want errcode %d", err, code)
			}
			if n := e.count("message/send"); n != 2 {
				t.Errorf("message/send calls = %d, want 2 (one retry)", n)
			}
		})
	}
	t.Run("token expired at the server", func(t *testing.T) {
		e := newAPIEnv(t, Config{})
		ctx := context.Background()
		if err := e.client.Send(ctx, textTo("a")); err != nil {
			t.Fatal(err)
		}
		e.fake.ExpireTokens()
		if err := e.client.Send(ctx, textTo("a")); err != nil {
			t.Fatalf("Send after expiry: %v", err)
		}
		if n := e.fake.TokensIssued(); n != 2 {
			t.Errorf("tokens fetched = %d, want 2", n)
		}
	})
}

func TestTransientErrorsRetried(t *testing.T) {
	tests := []struct {
		name   string
		inject func(f *wecomtest.Fake)
		tries  int
	}{
		{"system busy -1", func(f *wecomtest.Fake) { f.FailNext("message/send", CodeSystemBusy, 2) }, 3},
		{"frequency limit 45009", func(f *wecomtest.Fake) { f.FailNext("message/send", CodeAPIFreqLimit, 2) }, 3},
		{"concurrency limit 45033", func(f *wecomtest.Fake) { f.FailNext("message/send", CodeAPIConcurrency, 1) }, 2},
		{"HTTP 500", func(f *wecomtest.Fake) { f.FailHTTP("message/send", http.StatusInternalServerError, 2) }, 3},
		{"HTTP 502 from gettoken", func(f *wecomtest.Fake) { f.FailHTTP("gettoken", http.StatusBadGateway, 1) }, 1},
		{"timeout", func(f *wecomtest.Fake) { f.Delay("message/send", 10*time.Second, 1) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t, Config{Timeout: 100 * time.Millisecond})
			tt.inject(e.fake)
			if err := e.client.Send(context.Background(), textTo("a")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n := e.count("message/send"); n != tt.tries {
				t.Errorf("message/send calls = %d, want %d", n, tt.tries)
			}
			if len(e.fake.Sent()) != 1 {
				t.Errorf("fake accepted %d messages, want 1", len(e.fake.Sent()))
			}
			sleeps := e.clock.Sleeps()
			if len(sleeps) == 0 {
				t.Fatal("no backoff between attempts")
			}
			for i, d := range sleeps {
				lo, hi := backoffBounds(i + 1)
				if d < lo || d > hi {
					t.Errorf("backoff %d = %v, want within [%v, %v]", i+1, d, lo, hi)
				}
			}
		})
	}
}

// backoffBounds is what backoff(n) may return: half the base to all of it.
func backoffBounds(n int) (time.Duration, time.Duration) {
	d := min(200*time.Millisecond<<(n-1), 5*time.Second)
	return d / 2, d
}

func TestTransientErrorsGiveUp(t *testing.T) {
	e := newAPIEnv(t, Config{}, WithAttempts(3))
	e.fake.FailNext("message/send", CodeSystemBusy, 5)
	err := e.client.Send(context.Background(), textTo("a"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeSystemBusy {
		t.Fatalf("err = %v, want errcode -1", err)
	}
	if bot.IsPermanent(err) {
		t.Error("system busy reported as permanent; the outbox should try later")
	}
	if n := e.count("message/send"); n != 3 {
		t.Errorf("message/send calls = %d, want 3", n)
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	e := newAPIEnv(t, Config{})
	e.fake.FailNext("message/send", CodeSystemBusy, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancelAfterFirst := WithSleep(func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	})
	c := e.newClient(t, Config{}, e.tokens, cancelAfterFirst)
	if err := c.Send(ctx, textTo("a")); err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	if n := e.count("message/send"); n != 1 {
		t.Errorf("message/send calls = %d, want 1 (ctx cancelled during backoff)", n)
	}
}

func TestPermanentErrorsNotRetried(t *testing.T) {
	tests := []struct {
		name    string
		users   map[string]string
		inject  func(*wecomtest.Fake)
		to      []string
		code    int
		invalid []string
	}{
		{"81013 no recipient in range", nil, func(f *wecomtest.Fake) { f.FailNext("message/send", CodeNoRecipient, 1) }, []string{"a"}, CodeNoRecipient, nil},
		{"only recipient unknown", map[string]string{"zhangsan": "张三"}, nil, []string{"ghost"}, CodeNoRecipient, []string{"ghost"}},
		{"one of two recipients unknown", map[string]string{"zhangsan": "张三"}, nil, []string{"zhangsan", "Ghost"}, CodeInvalidUser, []string{"ghost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t, Config{})
			for id, name := range tt.users {
				e.fake.SetUser(id, name)
			}
			if tt.inject != nil {
				tt.inject(e.fake)
			}
			err := e.client.Send(context.Background(), textTo(tt.to...))
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tt.code {
				t.Fatalf("err = %v, want errcode %d", err, tt.code)
			}
			if !bot.IsPermanent(err) {
				t.Errorf("%v is not permanent", err)
			}
			if !reflect.DeepEqual(ae.InvalidUsers, tt.invalid) {
				t.Errorf("InvalidUsers = %v, want %v", ae.InvalidUsers, tt.invalid)
			}
			if n := e.count("message/send"); n != 1 {
				t.Errorf("message/send calls = %d, want 1", n)
			}
			if len(e.clock.Sleeps()) != 0 {
				t.Errorf("slept %v before giving up", e.clock.Sleeps())
			}
		})
	}
}

// TestErrorsHideCredentials makes calls fail in every way that carries a
// URL or a server message and checks neither the secret nor the token shows
// in the error or in the log.
func TestErrorsHideCredentials(t *testing.T) {
	const knownToken = "KNOWN-ACCESS-TOKEN-0123456789"
	tests := []struct {
		name  string
		setup func(t *testing.T, e *apiEnv) *Client
	}{
		{"gettoken against a closed server", func(t *testing.T, e *apiEnv) *Client {
			e.srv.Close()
			return e.client
		}},
		{"message/send against a closed server", func(t *testing.T, e *apiEnv) *Client {
			store := NewMemoryTokens()
			_, _ = store.Refresh(context.Background(), apiTestCorp+"/1000002", "", e.clock.Now(),
				func(context.Context) (string, time.Duration, error) { return knownToken, time.Hour, nil })
			c := e.newClient(t, Config{}, store)
			e.srv.Close()
			return c
		}},
		{"timeouts", func(t *testing.T, e *apiEnv) *Client {
			e.fake.Delay("message/send", 10*time.Second, 3)
			return e.newClient(t, Config{Timeout: 50 * time.Millisecond}, e.tokens)
		}},
		{"HTTP 500", func(t *testing.T, e *apiEnv) *Client {
			e.fake.FailHTTP("message/send", 500, 3)
			return e.client
		}},
		{"wrong secret", func(t *testing.T, e *apiEnv) *Client {
			return e.newClient(t, Config{Secret: apiTestSecret + "-old"}, NewMemoryTokens())
		}},
		{"rejected token twice", func(t *testing.T, e *apiEnv) *Client {
			e.fake.FailNext("message/send", CodeInvalidToken, 2)
			return e.client
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t, Config{})
			c := tt.setup(t, e)
			err := c.Send(context.Background(), textTo("a"))
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			secrets := []string{apiTestSecret, knownToken}
			if tok, ok, _ := e.tokens.Token(context.Background(), apiTestCorp+"/1000002", e.clock.Now()); ok {
				secrets = append(secrets, tok)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains a credential", err)
				}
				if strings.Contains(e.logs.String(), s) {
					t.Errorf("log contains a credential:\n%s", e.logs.String())
				}
			}
		})
	}
}

func TestDownloadMediaStreams(t *testing.T) {
	e := newAPIEnv(t, Config{})
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	e.fake.AddMedia("photo-1", "image/jpeg", data)
	w := &countingWriter{}
	ctype, err := e.client.DownloadMedia(context.Background(), "photo-1", w)
	if err != nil {
		t.Fatalf("DownloadMedia: %v", err)
	}
	if ctype != "image/jpeg" {
		t.Errorf("content type = %q, want image/jpeg", ctype)
	}
	if !bytes.Equal(w.buf.Bytes(), data) {
		t.Errorf("got %d bytes, not the %d uploaded", w.buf.Len(), len(data))
	}
	if w.writes < 2 {
		t.Errorf("1 MiB arrived in %d write, want it streamed in pieces", w.writes)
	}

	t.Run("unknown media is an API error", func(t *testing.T) {
		var buf bytes.Buffer
		_, err := e.client.DownloadMedia(context.Background(), "expired", &buf)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != 40007 {
			t.Fatalf("err = %v, want errcode 40007", err)
		}
		if buf.Len() != 0 {
			t.Errorf("wrote %q for an error answer", buf.String())
		}
	})
}

type countingWriter struct {
	buf    bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.buf.Write(p)
}

func TestUploadMedia(t *testing.T) {
	e := newAPIEnv(t, Config{})
	id, err := e.client.UploadMedia(context.Background(), "image", "现场.jpg", strings.NewReader("\xff\xd8\xff jpeg"))
	if err != nil {
		t.Fatalf("UploadMedia: %v", err)
	}
	name, data, ok := e.fake.Media(id)
	if !ok || name != "现场.jpg" || string(data) != "\xff\xd8\xff jpeg" {
		t.Errorf("fake holds %q %q %v", name, data, ok)
	}
	t.Run("too small", func(t *testing.T) {
		_, err := e.client.UploadMedia(context.Background(), "image", "x", strings.NewReader("abc"))
		if !bot.IsPermanent(err) {
			t.Errorf("err = %v, want permanent", err)
		}
	})
}

func TestGetUser(t *testing.T) {
	e := newAPIEnv(t, Config{})
	e.fake.SetUser("zhangsan", "张三")
	name, err := e.client.GetUser(context.Background(), "zhangsan")
	if err != nil || name != "张三" {
		t.Fatalf("GetUser = %q, %v; want 张三", name, err)
	}
	_, err = e.client.GetUser(context.Background(), "nobody")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeUserNotFound || !ae.Permanent() {
		t.Errorf("err = %v, want permanent 60111", err)
	}
}

// TestSendLeavesTheRateLimitToTheOutbox: the client sends at once, however
// many messages one member gets; the one per-member limit is the outbox's,
// shared by every replica (models.Store.ReserveSends), and a second one
// here would only hold a worker asleep while it holds its claimed rows.
func TestSendLeavesTheRateLimitToTheOutbox(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newAPIEnv(t, Config{}, WithMetrics(NewMetrics(reg)))
	ctx := context.Background()
	for range 40 {
		if err := e.client.Send(ctx, textTo("zhangsan")); err != nil {
			t.Fatal(err)
		}
	}
	if s := e.clock.Sleeps(); len(s) != 0 {
		t.Fatalf("the client slept %v: a second limiter", s)
	}
	if got := counterValue(t, reg, "hazardbot_wecom_api_calls_total", map[string]string{"call": "message/send", "errcode": "0"}); got != 40 {
		t.Errorf("message/send ok calls = %v, want 40", got)
	}
	if got := counterValue(t, reg, "hazardbot_wecom_token_refreshes_total", map[string]string{"outcome": "ok"}); got != 1 {
		t.Errorf("token refreshes = %v, want 1", got)
	}
}

// counterValue reads one counter from reg; labels must match exactly.
func counterValue(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestMetrics(t *testing.T) {
	t.Run("nil metrics record nothing and do not panic", func(t *testing.T) {
		var m *Metrics
		m.ObserveCallback("text", "ok", time.Millisecond)
		m.apiCode("message/send", 0)
		m.tokenRefresh(true)
	})
	t.Run("callbacks counted by type and outcome", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		m := NewMetrics(reg)
		m.ObserveCallback("text", "ok", 20*time.Millisecond)
		m.ObserveCallback("text", "ok", 30*time.Millisecond)
		m.ObserveCallback("event", "bad_signature", time.Millisecond)
		if got := counterValue(t, reg, "hazardbot_wecom_callbacks_total", map[string]string{"type": "text", "outcome": "ok"}); got != 2 {
			t.Errorf("text ok callbacks = %v, want 2", got)
		}
		if got := counterValue(t, reg, "hazardbot_wecom_callbacks_total", map[string]string{"type": "event", "outcome": "bad_signature"}); got != 1 {
			t.Errorf("bad signature callbacks = %v, want 1", got)
		}
	})
	t.Run("api errors counted by errcode", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		e := newAPIEnv(t, Config{}, WithMetrics(NewMetrics(reg)))
		e.fake.FailNext("message/send", CodeAPIFreqLimit, 1)
		e.fake.FailHTTP("message/send", 503, 1)
		if err := e.client.Send(context.Background(), textTo("a")); err != nil {
			t.Fatal(err)
		}
		for code, want := range map[string]float64{"45009": 1, "http_503": 1, "0": 1} {
			if got := counterValue(t, reg, "hazardbot_wecom_api_calls_total", map[string]string{"call": "message/send", "errcode": code}); got != want {
				t.Errorf("message/send errcode %s = %v, want %v", code, got, want)
			}
		}
	})
}

// TestErrmsgEchoingCredentialsIsCleaned covers a server (a proxy, a private
// deployment) whose errmsg repeats the request.
func TestErrmsgEchoingCredentialsIsCleaned(t *testing.T) {
	const tok = "ECHOED-TOKEN-abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/cgi-bin/gettoken" {
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"`+tok+`","expires_in":7200}`)
			return
		}
		_, _ = io.WriteString(w, `{"errcode":40058,"errmsg":"bad request `+r.URL.RawQuery+` secret=`+apiTestSecret+`"}`)
	}))
	defer srv.Close()
	c, err := NewClient(Config{CorpID: apiTestCorp, Secret: apiTestSecret, APIBase: srv.URL}, nil, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), textTo("a"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 40058 {
		t.Fatalf("err = %v, want errcode 40058", err)
	}
	if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), apiTestSecret) {
		t.Errorf("error %q contains a credential", err)
	}
}

// memFiles is a bot.Files in memory that can fail like a storage that does
// not answer.
type memFiles struct {
	data map[string][]byte
	down bool
}

func (m *memFiles) Put(ctx context.Context, name, ctype string, r io.Reader) (int64, error) {
	b, err := io.ReadAll(r)
	m.data[name] = b
	return int64(len(b)), err
}

func (m *memFiles) Open(ctx context.Context, name string) (io.ReadCloser, string, error) {
	if m.down {
		return nil, "", errors.New("storage down")
	}
	b, ok := m.data[name]
	if !ok {
		return nil, "", models.Errorf(models.ENotFound, "文件 %s 不存在", name)
	}
	return io.NopCloser(bytes.NewReader(b)), "", nil
}

func (m *memFiles) Delete(ctx context.Context, name string) error {
	if m.down {
		return errors.New("storage down")
	}
	delete(m.data, name)
	return nil
}

func TestSendFileUploadsFromFiles(t *testing.T) {
	files := &memFiles{data: map[string][]byte{"ledgers/w11.xlsx": []byte("PK ledger bytes")}}
	e := newAPIEnv(t, Config{}, WithFiles(files))
	ctx := context.Background()
	if err := e.client.Send(ctx, bot.Outgoing{Kind: bot.OutFile, ToUsers: []string{"wangwu"}, File: "ledgers/w11.xlsx"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	id, _ := jsonPath(e.fake.Sent()[0].Body, "file.media_id").(string)
	if _, got, ok := e.fake.Media(id); !ok || string(got) != "PK ledger bytes" {
		t.Fatalf("uploaded %q", got)
	}
	err := e.client.Send(ctx, bot.Outgoing{Kind: bot.OutFile, ToUsers: []string{"wangwu"}, File: "ledgers/none.xlsx"})
	if !bot.IsPermanent(err) {
		t.Fatalf("a missing file: err = %v, want permanent", err)
	}
	files.down = true
	err = e.client.Send(ctx, bot.Outgoing{Kind: bot.OutFile, ToUsers: []string{"wangwu"}, File: "ledgers/w11.xlsx"})
	if err == nil || bot.IsPermanent(err) {
		t.Fatalf("a storage that does not answer: err = %v, want a retryable error", err)
	}
}

func TestFakeTransportServesInProcess(t *testing.T) {
	clock := newAPIClock()
	f := wecomtest.NewFake(wecomtest.FakeOptions{CorpID: apiTestCorp, Secret: apiTestSecret, Now: clock.Now})
	c, err := NewClient(Config{CorpID: apiTestCorp, Secret: apiTestSecret, APIBase: "http://wecom.demo.invalid"}, nil,
		WithHTTPClient(&http.Client{Transport: f.Transport()}), WithClock(clock.Now), WithSleep(clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(t.Context(), textTo("zhangsan")); err != nil {
		t.Fatalf("Send through the in-process fake: %v", err)
	}
	if got := f.SentTo("zhangsan"); len(got) != 1 || got[0].MsgType != "text" {
		t.Errorf("SentTo(zhangsan) = %+v", got)
	}
}
