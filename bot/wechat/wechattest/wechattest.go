// Package wechattest is a fake WeChat Official Account for tests and demo
// mode: an in-process API (token, customer-service and template messages,
// media) and the follower's side of the callback (signing, encrypting,
// reading the passive reply). A configured server never reaches it.
package wechattest

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// Sent is one message the fake API accepted.
type Sent struct {
	Kind       string // "custom", "image" (customer-service image) or "template"
	OpenID     string
	Text       string            // custom: the text
	MediaID    string            // image: the uploaded media
	Image      []byte            // image: the uploaded file's bytes
	Data       map[string]string // template: field → value
	TemplateID string            // template
	URL        string            // template: the link it opens
	At         time.Time
}

// Fake is an Official Account API. Safe for concurrent use.
type Fake struct {
	AppID, Secret string

	mu     sync.Mutex
	sent   []Sent
	tokens int
	tok    string
	fail   map[string][]int // call → errcodes to answer, in turn
	closed map[string]bool  // openids whose 48 h window WeChat says is closed
	media  map[string][]byte
	// uploads are the temporary media uploaded (media/upload), by id.
	uploads   map[string][]byte
	templates map[string][]string // defined templates → their fields
	srv       *httptest.Server
	subs      map[int]func(Sent)
	nsub      int
}

// NewFake returns a fake API for app id and secret.
func NewFake(appID, secret string) *Fake {
	return &Fake{AppID: appID, Secret: secret, fail: map[string][]int{}, closed: map[string]bool{}, media: map[string][]byte{},
		uploads: map[string][]byte{}, templates: map[string][]string{}}
}

// DefineTemplate adds a template with exactly these fields to the account,
// as its template library would: a template message naming a defined
// template must fill every field with a non-empty value and no other (else
// 47003, as WeChat answers). Templates never defined are taken as they come.
func (f *Fake) DefineTemplate(id string, fields ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.templates[id] = fields
}

// Uploads counts the temporary media uploaded so far.
func (f *Fake) Uploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

// Start serves the fake on a local test server and returns its base URL
// (the client's api_base). Close stops it.
func (f *Fake) Start() string {
	f.srv = httptest.NewServer(f)
	return f.srv.URL
}

// Close stops the server Start started.
func (f *Fake) Close() {
	if f.srv != nil {
		f.srv.Close()
	}
}

// Transport serves requests in-process, whatever their host (demo mode).
func (f *Fake) Transport() http.RoundTripper { return handlerTransport{f} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// FailNext makes the next calls of call ("message/custom/send",
// "message/template/send", "token", "media/get") answer these errcodes,
// one per call.
func (f *Fake) FailNext(call string, codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[call] = append(f.fail[call], codes...)
}

// CloseWindow makes customer-service messages to openid fail with 45015,
// as WeChat does 48 hours after the follower last wrote.
func (f *Fake) CloseWindow(openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed[openid] = true
}

// PutMedia makes media id downloadable.
func (f *Fake) PutMedia(id string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = data
}

// Subscribe calls fn with every message the fake accepts from now on,
// outside its lock (the terminal chat prints them); cancel stops it.
func (f *Fake) Subscribe(fn func(Sent)) (cancel func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[int]func(Sent){}
	}
	f.nsub++
	id := f.nsub
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

// accepted records s and tells the subscribers; f.mu is held on entry and
// on return.
func (f *Fake) accepted(s Sent) {
	f.sent = append(f.sent, s)
	subs := make([]func(Sent), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	defer f.mu.Lock()
	for _, fn := range subs {
		fn(s)
	}
}

// Sent returns what was sent so far.
func (f *Fake) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

// SentTo returns what openid received.
func (f *Fake) SentTo(openid string) []Sent {
	var out []Sent
	for _, s := range f.Sent() {
		if s.OpenID == openid {
			out = append(out, s)
		}
	}
	return out
}

// Tokens counts the access tokens issued.
func (f *Fake) Tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens
}

// ExpireToken makes the current token invalid (the next call gets 42001).
func (f *Fake) ExpireToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tok = ""
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := strings.TrimPrefix(r.URL.Path, "/cgi-bin/")
	answer := func(code int, msg string, extra map[string]any) {
		out := map[string]any{"errcode": code, "errmsg": msg}
		for k, v := range extra {
			out[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if codes := f.fail[call]; len(codes) > 0 {
		f.fail[call] = codes[1:]
		answer(codes[0], "fake failure", nil)
		return
	}
	q := r.URL.Query()
	if call == "token" {
		if q.Get("appid") != f.AppID || q.Get("secret") != f.Secret {
			answer(40125, "invalid appsecret", nil)
			return
		}
		f.tokens++
		f.tok = fmt.Sprintf("tok-%d", f.tokens)
		answer(0, "ok", map[string]any{"access_token": f.tok, "expires_in": 7200})
		return
	}
	if f.tok == "" || q.Get("access_token") != f.tok {
		answer(42001, "access_token expired", nil)
		return
	}
	switch call {
	case "message/custom/send":
		var m message.CustomerMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.ToUser == "" || (m.Text == nil && m.Image == nil) {
			answer(47001, "data format error", nil)
			return
		}
		if f.closed[m.ToUser] {
			answer(45015, "response out of time limit", nil)
			return
		}
		if m.Image != nil {
			data, ok := f.uploads[m.Image.MediaID]
			if m.Msgtype != message.MsgTypeImage || !ok {
				answer(40007, "invalid media_id", nil)
				return
			}
			f.accepted(Sent{Kind: "image", OpenID: m.ToUser, MediaID: m.Image.MediaID, Image: data, At: time.Now()})
			answer(0, "ok", nil)
			return
		}
		f.accepted(Sent{Kind: "custom", OpenID: m.ToUser, Text: m.Text.Content, At: time.Now()})
		answer(0, "ok", nil)
	case "media/upload":
		// Temporary media: multipart/form-data with the file in "media".
		if q.Get("type") != "image" {
			answer(40004, "invalid media type", nil)
			return
		}
		file, hdr, err := r.FormFile("media")
		if err != nil {
			answer(41005, "media data missing", nil)
			return
		}
		defer file.Close()
		data, err := io.ReadAll(io.LimitReader(file, 10<<20+1))
		if err != nil || len(data) == 0 || len(data) > 10<<20 || hdr.Filename == "" {
			answer(40005, "invalid file type or size", nil)
			return
		}
		id := fmt.Sprintf("media-%d", len(f.uploads)+1)
		f.uploads[id] = data
		answer(0, "", map[string]any{"type": "image", "media_id": id, "created_at": time.Now().Unix()})
	case "message/template/send":
		var m message.TemplateMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.ToUser == "" || m.TemplateID == "" {
			answer(47001, "data format error", nil)
			return
		}
		data := map[string]string{}
		for k, v := range m.Data {
			data[k] = v.Value
		}
		if fields, ok := f.templates[m.TemplateID]; ok {
			for _, k := range fields {
				if strings.TrimSpace(data[k]) == "" {
					answer(47003, "argument invalid! data."+k+".value empty", nil)
					return
				}
			}
			for k := range data {
				if !slices.Contains(fields, k) {
					answer(47003, "argument invalid! data."+k+" not in template", nil)
					return
				}
			}
		}
		f.accepted(Sent{Kind: "template", OpenID: m.ToUser, Data: data, TemplateID: m.TemplateID, URL: m.URL, At: time.Now()})
		answer(0, "ok", map[string]any{"msgid": len(f.sent)})
	case "media/get":
		data, ok := f.media[q.Get("media_id")]
		if !ok {
			answer(40007, "invalid media_id", nil)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(data)
	default:
		answer(40004, "unknown api", nil)
	}
}

// Account is the follower's side of one account's callback: it signs and
// encrypts as WeChat does.
type Account struct {
	AppID, Token, AESKey string
	// Original is the account's original id (gh_…), the ToUserName.
	Original string
}

// Message is what a follower sends, in the callback's plaintext form.
type Message struct {
	OpenID  string
	Kind    string // text, image, location, event, voice
	Text    string
	MediaID string
	PicURL  string
	Lat     float64
	Lng     float64
	Label   string
	Event   string // subscribe, unsubscribe, CLICK
	Key     string
	MsgID   int64
	Time    time.Time
}

// XML renders m as WeChat's plaintext callback XML.
func (a Account) XML(m Message) []byte {
	type cdata struct {
		Text string `xml:",cdata"`
	}
	x := struct {
		XMLName      xml.Name `xml:"xml"`
		ToUserName   cdata
		FromUserName cdata
		CreateTime   int64
		MsgType      cdata
		Content      *cdata
		PicUrl       *cdata
		MediaId      *cdata
		LocationX    string `xml:"Location_X,omitempty"`
		LocationY    string `xml:"Location_Y,omitempty"`
		Scale        string `xml:",omitempty"`
		Label        *cdata
		Event        *cdata
		EventKey     *cdata
		MsgId        string `xml:",omitempty"`
	}{ToUserName: cdata{a.Original}, FromUserName: cdata{m.OpenID}, CreateTime: m.Time.Unix(), MsgType: cdata{m.Kind}}
	switch m.Kind {
	case "text":
		x.Content = &cdata{m.Text}
	case "image":
		x.PicUrl, x.MediaId = &cdata{m.PicURL}, &cdata{m.MediaID}
	case "voice":
		x.MediaId = &cdata{m.MediaID}
	case "location":
		x.LocationX, x.LocationY = strconv.FormatFloat(m.Lat, 'f', -1, 64), strconv.FormatFloat(m.Lng, 'f', -1, 64)
		x.Scale, x.Label = "15", &cdata{m.Label}
	case "event":
		x.Event, x.EventKey = &cdata{m.Event}, &cdata{m.Key}
	}
	if m.Kind != "event" && m.MsgID != 0 {
		x.MsgId = strconv.FormatInt(m.MsgID, 10)
	}
	out, err := xml.Marshal(x)
	if err != nil {
		panic("wechattest: " + err.Error())
	}
	return out
}

// Post returns the query and body WeChat would POST for plaintext inner:
// encrypted (safe mode) when the account has an AES key, else plain.
func (a Account) Post(inner []byte, now time.Time, nonce string) (url.Values, []byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {util.Signature(a.Token, ts, nonce)}, "openid": {"x"}}
	if a.AESKey == "" {
		return q, inner
	}
	// Sealed with silenceper's util, not with bot/wecom's Crypto, so that
	// the tests check one implementation against the other.
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	encBytes, err := util.EncryptMsg(random, inner, a.AppID, a.AESKey)
	if err != nil {
		panic("wechattest: " + err.Error())
	}
	enc := string(encBytes)
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", util.Signature(a.Token, ts, nonce, enc))
	body, _ := xml.Marshal(message.EncryptedXMLMsg{ToUserName: a.Original, EncryptedMsg: enc})
	return q, body
}

// ReadReply opens a passive reply (decrypting it in safe mode) and returns
// its text ("" for an empty or "success" body).
func (a Account) ReadReply(body []byte) (string, error) {
	s := strings.TrimSpace(string(body))
	if s == "" || s == "success" {
		return "", nil
	}
	inner := body
	if a.AESKey != "" {
		var env message.ResponseEncryptedXMLMsg
		if err := xml.Unmarshal(body, &env); err != nil {
			return "", err
		}
		if util.Signature(a.Token, strconv.FormatInt(env.Timestamp, 10), env.Nonce, env.EncryptedMsg) != env.MsgSignature {
			return "", fmt.Errorf("wechattest: reply signature mismatch")
		}
		var err error
		if _, inner, err = util.DecryptMsg(a.AppID, env.EncryptedMsg, a.AESKey); err != nil {
			return "", err
		}
	}
	var t struct {
		MsgType string
		Content string
	}
	if err := xml.Unmarshal(inner, &t); err != nil {
		return "", err
	}
	if t.MsgType != "text" {
		return "", fmt.Errorf("wechattest: reply MsgType %q", t.MsgType)
	}
	return t.Content, nil
}
