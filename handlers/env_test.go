package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

var ctx = context.Background()

// WeCom's official callback test settings (the WXBizMsgCrypt samples).
const (
	sampleToken  = "QDG6eK"
	sampleAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	sampleCorpID = "wx5823bf96d3bd56c7"
	adminToken   = "test-admin-token-0123456789"
	agentID      = 1000002
)

// env is the real router on a real database seeded with the Shiyan
// directory, with the clock at 10:00 on 1 March 2023.
type env struct {
	t      *testing.T
	s      *models.Store
	crypto *wecom.Crypto
	wecom  *wecomtest.Sealer // the WeCom side of crypto
	clock  *modelstest.Clock
	srv    *httptest.Server
	dir    string
	jobs   *fakeJobs
	seq    atomic.Int64
}

// fakeJobs records the jobs run by hand.
type fakeJobs struct {
	mu  sync.Mutex
	ran []string
}

func (f *fakeJobs) Names() []string { return []string{"reminders", "daily_digest"} }
func (f *fakeJobs) Run(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ran = append(f.ran, name)
	return nil
}

func sampleCrypto(t testing.TB, corp string) *wecom.Crypto {
	t.Helper()
	c, err := wecom.NewCrypto(sampleToken, sampleAESKey, corp)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sampleSealer is the WeCom side of sampleCrypto: what WeCom would send to
// the app of corp.
func sampleSealer(t testing.TB, corp string) *wecomtest.Sealer {
	t.Helper()
	s, err := wecomtest.NewSealer(sampleToken, sampleAESKey, corp)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newEnv(t *testing.T, s *models.Store, opts ...func(*Deps)) *env {
	t.Helper()
	clock := modelstest.NewClock(time.Date(2023, 3, 1, 10, 0, 0, 0, modelstest.Shanghai))
	s.Now = clock.Now
	if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.AdminToken = adminToken
	// The clock stands still while a script types: lift the per-sender
	// limit (bot's TestFloodingSenderIsLimitedAcrossReplicas tests it).
	cfg.Dialogue.PerSenderPerMinute = 1000
	reg := prometheus.NewRegistry()
	e := &env{t: t, s: s, crypto: sampleCrypto(t, sampleCorpID), wecom: sampleSealer(t, sampleCorpID), clock: clock, dir: t.TempDir(), jobs: &fakeJobs{}}
	d := Deps{Store: s, Bot: bot.New(s, cfg, nil), Crypto: e.crypto, AgentID: agentID, Metrics: wecom.NewMetrics(reg),
		Registry: reg, Config: cfg, Jobs: e.jobs, Files: bot.DirFiles{Dir: e.dir}}
	for _, o := range opts {
		o(&d)
	}
	e.srv = httptest.NewServer(New(d).Router())
	t.Cleanup(e.srv.Close)
	return e
}

// seal builds a WeCom callback POST for m, as WeCom would send it.
func (e *env) seal(c *wecomtest.Sealer, m bot.Message) (query string, body []byte) {
	e.t.Helper()
	if m.Time.IsZero() {
		m.Time = e.clock.Now()
	}
	m.AgentID = agentID
	nonce := fmt.Sprintf("n%d", e.seq.Add(1))
	body, sig, err := c.SealInbound(wecomtest.EncodeInbound(m, c.CorpID()), m.Time, nonce)
	if err != nil {
		e.t.Fatal(err)
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(m.Time.Unix(), 10)}, "nonce": {nonce}}
	return q.Encode(), body
}

// post sends a raw callback and returns the status and body.
func (e *env) post(query string, body []byte) (int, []byte) {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+"/wecom/callback?"+query, "text/xml", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// say sends text as user with message id msgID through the callback and
// returns the decrypted reply.
func (e *env) say(user, msgID, text string) bot.Reply {
	e.t.Helper()
	q, body := e.seal(e.wecom, bot.Message{ID: msgID, UserID: user, Kind: bot.KindText, Text: text})
	return e.open(e.post(q, body))
}

// open checks a callback answer and decrypts its reply.
func (e *env) open(status int, body []byte) bot.Reply {
	e.t.Helper()
	if status != http.StatusOK {
		e.t.Fatalf("callback status %d: %s", status, body)
	}
	if len(body) == 0 {
		return bot.Reply{}
	}
	inner, err := e.wecom.OpenReply(body)
	if err != nil {
		e.t.Fatalf("open reply: %v\n%s", err, body)
	}
	r, err := wecomtest.DecodeReply(inner)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// api calls the admin API with token ("" for none) and returns the status
// and body; body may be nil, []byte or anything JSON-encodable.
func (e *env) api(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// admin calls the API with the admin token, checks the status and decodes
// the answer into out (when not nil).
func (e *env) admin(method, path string, body any, want int, out any) []byte {
	e.t.Helper()
	status, b := e.api(method, path, adminToken, body)
	if status != want {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// errorCode calls the API and returns the status and the JSON error code.
func (e *env) errorCode(method, path string, body any) (int, string) {
	e.t.Helper()
	status, b := e.api(method, path, adminToken, body)
	var ae apiError
	_ = json.Unmarshal(b, &ae)
	if status >= 400 && ae.Message == "" {
		e.t.Errorf("%s %s: error without a message: %s", method, path, b)
	}
	return status, ae.Code
}

func (e *env) hazard(number string) *models.Hazard {
	e.t.Helper()
	var h *models.Hazard
	err := e.s.InTx(ctx, func(tx *models.Tx) error {
		n, err := models.ParseNumber(number, 2023)
		if err != nil {
			return err
		}
		h, err = tx.FindHazardByNumber(n)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// count returns how many rows a table holds.
func (e *env) count(table string) int64 {
	e.t.Helper()
	var n int64
	if err := e.s.DB.Table(table).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}
