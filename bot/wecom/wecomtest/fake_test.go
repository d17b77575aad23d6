package wecomtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGet calls the fake over HTTP and decodes its JSON answer.
func fakeGet(t *testing.T, srv *httptest.Server, p string, q url.Values) map[string]any {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + "/cgi-bin/" + p + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeFakeAnswer(t, resp)
}

func fakePost(t *testing.T, srv *httptest.Server, p, tok, body string) map[string]any {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/cgi-bin/"+p+"?access_token="+url.QueryEscape(tok), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeFakeAnswer(t, resp)
}

func decodeFakeAnswer(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q, want JSON", ct)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func errcodeOf(m map[string]any) int {
	f, _ := m["errcode"].(float64)
	return int(f)
}

func newFakeServer(t *testing.T, clock *fakeClock) (*Fake, *httptest.Server) {
	t.Helper()
	f := NewFake(FakeOptions{CorpID: "wwcorp", Secret: "sec", AgentID: 5, TokenTTL: time.Hour, Now: clock.Now,
		Users: map[string]string{"zhangsan": "张三", "lisi": "李四"}})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func fakeToken(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	res := fakeGet(t, srv, "gettoken", url.Values{"corpid": {"wwcorp"}, "corpsecret": {"sec"}})
	tok, _ := res["access_token"].(string)
	if errcodeOf(res) != 0 || tok == "" || res["expires_in"] != 3600.0 {
		t.Fatalf("gettoken = %v", res)
	}
	return tok
}

func TestFakeChecksCredentials(t *testing.T) {
	clock := newFakeClock()
	f, srv := newFakeServer(t, clock)
	tok := fakeToken(t, srv)
	tests := []struct {
		name string
		do   func() map[string]any
		want int
	}{
		{"wrong corp id", func() map[string]any {
			return fakeGet(t, srv, "gettoken", url.Values{"corpid": {"other"}, "corpsecret": {"sec"}})
		}, 40013},
		{"wrong secret", func() map[string]any {
			return fakeGet(t, srv, "gettoken", url.Values{"corpid": {"wwcorp"}, "corpsecret": {"nope"}})
		}, 40001},
		{"missing token", func() map[string]any { return fakeGet(t, srv, "user/get", url.Values{"userid": {"lisi"}}) }, 41001},
		{"unknown token", func() map[string]any {
			return fakeGet(t, srv, "user/get", url.Values{"access_token": {"forged"}, "userid": {"lisi"}})
		}, 40014},
		{"valid token", func() map[string]any {
			return fakeGet(t, srv, "user/get", url.Values{"access_token": {tok}, "userid": {"lisi"}})
		}, 0},
		{"wrong agent", func() map[string]any {
			return fakePost(t, srv, "message/send", tok, `{"touser":"lisi","msgtype":"text","agentid":6,"text":{"content":"x"}}`)
		}, 40056},
		{"token past its ttl", func() map[string]any {
			clock.Advance(time.Hour)
			defer clock.Advance(-time.Hour)
			return fakeGet(t, srv, "user/get", url.Values{"access_token": {tok}, "userid": {"lisi"}})
		}, 42001},
		{"token expired by the test", func() map[string]any {
			f.ExpireTokens()
			return fakeGet(t, srv, "user/get", url.Values{"access_token": {tok}, "userid": {"lisi"}})
		}, 42001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errcodeOf(tt.do()); got != tt.want {
				t.Errorf("errcode = %d, want %d", got, tt.want)
			}
		})
	}
	for _, r := range f.Requests() {
		if r.Query.Get("corpsecret") == "sec" || r.Query.Get("access_token") == tok {
			t.Errorf("recorded request %s keeps a credential: %v", r.Path, r.Query)
		}
	}
}

func TestFakeMessageSend(t *testing.T) {
	clock := newFakeClock()
	f, srv := newFakeServer(t, clock)
	tok := fakeToken(t, srv)

	var mu sync.Mutex
	var pushed []FakeMessage
	cancel := f.Subscribe(func(m FakeMessage) {
		mu.Lock()
		defer mu.Unlock()
		pushed = append(pushed, m)
	})

	res := fakePost(t, srv, "message/send", tok, `{"touser":"zhangsan|ghost","msgtype":"text","agentid":5,"text":{"content":"你好"}}`)
	if errcodeOf(res) != 0 || res["invaliduser"] != "ghost" || res["msgid"] == "" {
		t.Errorf("send to one known and one unknown = %v", res)
	}
	res = fakePost(t, srv, "message/send", tok, `{"touser":"lisi","msgtype":"template_card","agentid":"5","template_card":{"card_type":"button_interaction","main_title":{"title":"交办"},"task_id":"t1","button_list":[{"text":"接收","key":"k"}]}}`)
	rc, _ := res["response_code"].(string)
	if errcodeOf(res) != 0 || rc == "" {
		t.Errorf("card send = %v, want a response_code", res)
	}
	res = fakePost(t, srv, "message/update_template_card", tok, `{"atall":1,"agentid":5,"response_code":"`+rc+`","button":{"replace_name":"已接收"}}`)
	if errcodeOf(res) != 0 {
		t.Errorf("update = %v", res)
	}
	cases := []struct {
		name, body string
		want       int
	}{
		{"only unknown recipients", `{"touser":"ghost","msgtype":"text","agentid":5,"text":{"content":"x"}}`, 81013},
		{"empty text", `{"touser":"lisi","msgtype":"text","agentid":5,"text":{"content":""}}`, 44004},
		{"unknown msgtype", `{"touser":"lisi","msgtype":"fax","agentid":5}`, 40008},
		{"file with an unknown media", `{"touser":"lisi","msgtype":"file","agentid":5,"file":{"media_id":"nope"}}`, 40007},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := errcodeOf(fakePost(t, srv, "message/send", tok, c.body)); got != c.want {
				t.Errorf("errcode = %d, want %d", got, c.want)
			}
		})
	}
	cancel()
	_ = fakePost(t, srv, "message/send", tok, `{"touser":"lisi","msgtype":"text","agentid":5,"text":{"content":"after"}}`)

	if got := len(f.Sent()); got != 4 {
		t.Errorf("Sent() has %d, want 4", got)
	}
	toLisi := f.SentTo("lisi")
	if len(toLisi) != 3 || toLisi[0].MsgType != "template_card" || toLisi[1].MsgType != "update_template_card" ||
		toLisi[1].Text != "已接收" || toLisi[1].ResponseCode != rc || toLisi[2].Text != "after" {
		t.Errorf("SentTo(lisi) = %+v", toLisi)
	}
	if z := f.SentTo("zhangsan"); len(z) != 2 || z[0].Text != "你好" || len(z[0].To) != 1 {
		t.Errorf("SentTo(zhangsan) = %+v, want the text (without ghost) and the update for all", z)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pushed) != 3 {
		t.Errorf("subscriber got %d messages, want 3 (none after cancel)", len(pushed))
	}
}

func TestFakeFaults(t *testing.T) {
	clock := newFakeClock()
	f, srv := newFakeServer(t, clock)
	tok := fakeToken(t, srv)
	body := `{"touser":"lisi","msgtype":"text","agentid":5,"text":{"content":"x"}}`

	f.FailNext("/cgi-bin/message/send", 45009, 2)
	for i := range 2 {
		if got := errcodeOf(fakePost(t, srv, "message/send", tok, body)); got != 45009 {
			t.Errorf("call %d errcode = %d, want 45009", i+1, got)
		}
	}
	if got := errcodeOf(fakePost(t, srv, "message/send", tok, body)); got != 0 {
		t.Errorf("after the faults errcode = %d, want 0", got)
	}

	f.FailHTTP("user/get", 500, 1)
	resp, err := srv.Client().Get(srv.URL + "/cgi-bin/user/get?access_token=" + tok + "&userid=lisi")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Errorf("status = %d, want 500", resp.StatusCode)
	}

	f.Delay("user/get", 50*time.Millisecond, 1)
	began := time.Now()
	res := fakeGet(t, srv, "user/get", url.Values{"access_token": {tok}, "userid": {"lisi"}})
	if time.Since(began) < 50*time.Millisecond || res["name"] != "李四" {
		t.Errorf("delayed user/get = %v after %v", res, time.Since(began))
	}
	if n := len(f.Sent()); n != 1 {
		t.Errorf("Sent() = %d, want only the call that passed", n)
	}
}

func TestFakeMedia(t *testing.T) {
	clock := newFakeClock()
	f, srv := newFakeServer(t, clock)
	tok := fakeToken(t, srv)
	f.AddMedia("m1", "image/png", []byte("\x89PNG data"))
	resp, err := srv.Client().Get(srv.URL + "/cgi-bin/media/get?access_token=" + tok + "&media_id=m1")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || string(data) != "\x89PNG data" {
		t.Errorf("media/get = %q %q", resp.Header.Get("Content-Type"), data)
	}
	if got := errcodeOf(fakeGet(t, srv, "media/get", url.Values{"access_token": {tok}, "media_id": {"gone"}})); got != 40007 {
		t.Errorf("unknown media errcode = %d, want 40007", got)
	}
}

// fakeClock is a settable clock for token expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2023, 3, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestFakeRemembersOnlyTheLastMessages(t *testing.T) {
	f := NewFake(FakeOptions{CorpID: "wwcorp", Secret: "sec", TokenTTL: time.Hour, Keep: 3})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	tok := fakeToken(t, srv)
	for i := range 5 {
		body := `{"touser":"u` + strconv.Itoa(i) + `","msgtype":"text","agentid":0,"text":{"content":"第` + strconv.Itoa(i) + `条"}}`
		if res := fakePost(t, srv, "message/send", tok, body); errcodeOf(res) != 0 {
			t.Fatalf("send %d = %v", i, res)
		}
	}
	sent := f.Sent()
	if len(sent) != 3 || sent[0].Text != "第2条" || sent[2].Text != "第4条" {
		t.Fatalf("Sent() = %+v; want the last three (第2条…第4条)", sent)
	}
	if n := len(f.Requests()); n != 3 {
		t.Fatalf("Requests() holds %d; want 3", n)
	}
}
