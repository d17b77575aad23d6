package wecomtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FakeOptions configures a Fake.
type FakeOptions struct {
	CorpID   string // gettoken checks these two
	Secret   string
	AgentID  int64         // message calls check it when not 0
	TokenTTL time.Duration // expires_in of issued tokens; default 2 hours
	// Now is the fake's clock for token expiry and records; default time.Now.
	Now func() time.Time
	// Users answers user/get (userid → name). When it is not empty, a
	// message recipient missing from it is invalid, as WeCom treats a member
	// outside the app's visible range.
	Users map[string]string
	// Keep bounds what the fake remembers: the last Keep requests and the
	// last Keep messages (default 10,000), so a demo left running for weeks
	// or a long soak does not grow without limit.
	Keep int
	// RobotKeys, when not empty, are the only group robot webhook keys
	// webhook/send accepts (others answer 93000).
	RobotKeys map[string]bool
}

// Fake is an in-memory WeCom API, an http.Handler for httptest.NewServer or
// for demo mode in process. It speaks WeCom's JSON for gettoken,
// message/send, message/update_template_card, media/upload, media/get,
// user/get, group robots' webhook/send (20 a minute per robot) and
// appchat/send, checks credentials and tokens, records every request, and can
// be told to fail.
type Fake struct {
	opts FakeOptions

	mu       sync.Mutex
	tokens   map[string]time.Time // access token → expiry
	issued   int
	users    map[string]string
	media    map[string]fakeMedia
	requests []FakeRequest
	sent     []FakeMessage
	faults   map[string][]fakeFault // by call, applied in order
	subs     map[int]func(FakeMessage)
	nextSub  int
	seq      int
	codes    map[string]fakeCode    // web-OAuth codes not yet used
	signedIn string                 // the member the fake WeCom client is signed in as
	robots   map[string][]time.Time // group robot key → recent messages
}

// fakeCode is a web-OAuth code: whose, and until when WeCom accepts it.
type fakeCode struct {
	userID  string
	expires time.Time
}

// OAuthCodeTTL is how long WeCom accepts a web-OAuth code.
const OAuthCodeTTL = 5 * time.Minute

// FakeRequest is one request the fake received. Body is the decoded JSON
// body (nil for GET and uploads); Query has access_token and corpsecret
// replaced by "REDACTED" so a dump of requests leaks nothing.
type FakeRequest struct {
	Method string
	Path   string // e.g. "/cgi-bin/message/send"
	Query  url.Values
	Body   map[string]any
	Time   time.Time
}

// FakeMessage is one message the fake accepted: a message/send, or a card
// update (MsgType "update_template_card").
type FakeMessage struct {
	To      []string // recipients; for an update, the userids (none with AtAll)
	AtAll   bool     // update for everyone who got the card
	MsgType string   // text, markdown, textcard, template_card, file, image, update_template_card
	// Text is the readable gist: the content of text and markdown, the
	// title of cards, the media's name for a file, replace_name of an update.
	Text         string
	ResponseCode string // given out for template_card; the one used by an update
	MsgID        string
	Body         map[string]any // the whole decoded JSON
	Time         time.Time
}

type fakeMedia struct {
	name, contentType string
	data              []byte
}

type fakeFault struct {
	code   int           // errcode to answer, when status is 0
	status int           // HTTP status to answer
	delay  time.Duration // wait before answering (a timeout, if long)
}

// NewFake returns a fake WeCom API.
func NewFake(opts FakeOptions) *Fake {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 2 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Keep <= 0 {
		opts.Keep = 10000
	}
	users := map[string]string{}
	maps.Copy(users, opts.Users)
	return &Fake{
		opts:   opts,
		tokens: map[string]time.Time{},
		users:  users,
		media:  map[string]fakeMedia{},
		faults: map[string][]fakeFault{},
		subs:   map[int]func(FakeMessage){},
		codes:  map[string]fakeCode{},
	}
}

// Transport returns a RoundTripper that serves every request in process,
// whatever its host, so demo mode needs no listening socket:
// WithHTTPClient(&http.Client{Transport: fake.Transport()}). Answers are
// buffered, which is fine for a demo.
func (f *Fake) Transport() http.RoundTripper {
	return fakeTransport{f}
}

type fakeTransport struct{ f *Fake }

func (t fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.f.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err // the caller gave up meanwhile (a Delay fault)
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// fakeCall normalises "message/send" or "/cgi-bin/message/send".
func fakeCall(p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, "/"), "cgi-bin/")
}

// FailNext makes the next n calls of call (e.g. "message/send" or
// "gettoken") answer errcode code instead of doing their work.
func (f *Fake) FailNext(call string, code, n int) {
	f.addFault(call, fakeFault{code: code}, n)
}

// FailHTTP makes the next n calls of call answer HTTP status.
func (f *Fake) FailHTTP(call string, status, n int) {
	f.addFault(call, fakeFault{status: status}, n)
}

// Delay makes the next n calls of call wait d before answering normally;
// a d beyond the client's timeout simulates a network timeout.
func (f *Fake) Delay(call string, d time.Duration, n int) {
	f.addFault(call, fakeFault{delay: d}, n)
}

func (f *Fake) addFault(call string, ft fakeFault, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := fakeCall(call)
	for range n {
		f.faults[c] = append(f.faults[c], ft)
	}
}

// ExpireTokens makes every token issued so far expired (42001).
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t := range f.tokens {
		f.tokens[t] = time.Time{}
	}
}

// TokensIssued counts successful gettoken calls.
func (f *Fake) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

// SetUser adds or renames a member of the directory.
func (f *Fake) SetUser(userID, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[userID] = name
}

// AddMedia registers media that media/get will serve.
func (f *Fake) AddMedia(id, contentType string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = fakeMedia{name: id, contentType: contentType, data: bytes.Clone(data)}
}

// Media returns uploaded or registered media by id.
func (f *Fake) Media(id string) (name string, data []byte, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.media[id]
	return m.name, bytes.Clone(m.data), ok
}

// Requests returns every request received, oldest first.
func (f *Fake) Requests() []FakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// Sent returns every accepted message and card update, oldest first.
func (f *Fake) Sent() []FakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// SentTo returns the accepted messages that reached user, including card
// updates addressed to everyone.
func (f *Fake) SentTo(user string) []FakeMessage {
	var out []FakeMessage
	for _, m := range f.Sent() {
		if m.AtAll || slices.Contains(m.To, user) {
			out = append(out, m)
		}
	}
	return out
}

// Subscribe calls fn with every message accepted from now on (in the
// handler's goroutine, after it is recorded), e.g. so the demo chat can
// print what is pushed to a user. The returned func unsubscribes.
func (f *Fake) Subscribe(fn func(FakeMessage)) (cancel func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

// fakeErrmsg is the text WeCom sends with the codes the fake produces.
var fakeErrmsg = map[int]string{
	-1:     "system busy",
	40001:  "invalid credential",
	40007:  "invalid media_id",
	40013:  "invalid corpid",
	40014:  "invalid access_token",
	40056:  "invalid agentid",
	41001:  "access_token missing",
	42001:  "access_token expired",
	44004:  "empty content",
	45009:  "reach max api daily quota limit",
	45033:  "api concurrent out of limit",
	60111:  "userid not found",
	81013:  "user & party & tag all invalid",
	301002: "not allow operate another agent with this accesstoken",
}

func writeErrcode(w http.ResponseWriter, code int) {
	msg := fakeErrmsg[code]
	if msg == "" {
		msg = "error"
	}
	if code == 0 {
		msg = "ok"
	}
	writeFakeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}

func writeFakeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers one API request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := fakeCall(r.URL.Path)
	var raw []byte
	if r.Method == http.MethodPost {
		var err error
		if raw, err = io.ReadAll(io.LimitReader(r.Body, MaxMediaSize+1<<20)); err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
	}
	ft, faulted := f.record(r, call, raw)
	if faulted {
		if ft.delay > 0 {
			t := time.NewTimer(ft.delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if ft.status != 0 {
			http.Error(w, http.StatusText(ft.status), ft.status)
			return
		}
		if ft.code != 0 {
			writeErrcode(w, ft.code)
			return
		}
	}

	if r.URL.Path == "/connect/oauth2/authorize" {
		f.authorize(w, r)
		return
	}
	if call == "gettoken" {
		f.getToken(w, r)
		return
	}
	if call == "webhook/send" { // a group robot: the key is its credential
		f.webhookSend(w, r, raw)
		return
	}
	if code := f.checkToken(r.URL.Query().Get("access_token")); code != 0 {
		writeErrcode(w, code)
		return
	}
	switch call {
	case "message/send":
		f.messageSend(w, raw)
	case "message/update_template_card":
		f.updateCard(w, raw)
	case "media/upload":
		f.mediaUpload(w, r, raw)
	case "media/get":
		f.mediaGet(w, r)
	case "user/get":
		f.userGet(w, r)
	case "auth/getuserinfo":
		f.getUserInfo(w, r)
	case "appchat/send":
		f.appchatSend(w, raw)
	default:
		http.NotFound(w, r)
	}
}

// record logs r and pops the next fault for call, if any.
func (f *Fake) record(r *http.Request, call string, raw []byte) (fakeFault, bool) {
	q := r.URL.Query()
	for _, k := range []string{"access_token", "corpsecret", "key"} {
		if q.Has(k) {
			q.Set(k, "REDACTED")
		}
	}
	var body map[string]any
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		_ = json.Unmarshal(raw, &body)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = keepLast(append(f.requests, FakeRequest{Method: r.Method, Path: r.URL.Path, Query: q, Body: body, Time: f.opts.Now()}), f.opts.Keep)
	if fs := f.faults[call]; len(fs) > 0 {
		f.faults[call] = fs[1:]
		return fs[0], true
	}
	return fakeFault{}, false
}

func (f *Fake) getToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("corpid") != f.opts.CorpID {
		writeErrcode(w, 40013)
		return
	}
	if q.Get("corpsecret") != f.opts.Secret {
		writeErrcode(w, 40001)
		return
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	f.mu.Lock()
	f.tokens[tok] = f.opts.Now().Add(f.opts.TokenTTL)
	f.issued++
	f.mu.Unlock()
	writeFakeJSON(w, map[string]any{
		"errcode": 0, "errmsg": "ok",
		"access_token": tok, "expires_in": int(f.opts.TokenTTL / time.Second),
	})
}

// checkToken returns the errcode for a bad token, or 0.
func (f *Fake) checkToken(tok string) int {
	if tok == "" {
		return 41001
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.tokens[tok]
	switch {
	case !ok:
		return 40014
	case !f.opts.Now().Before(exp):
		return 42001
	}
	return 0
}

// agentOK accepts agentid as a JSON number or string, as WeCom does.
func (f *Fake) agentOK(v any) bool {
	if f.opts.AgentID == 0 {
		return true
	}
	var s string
	switch a := v.(type) {
	case float64:
		s = strconv.FormatFloat(a, 'f', -1, 64)
	case string:
		s = a
	}
	return s == strconv.FormatInt(f.opts.AgentID, 10)
}

// agentBody decodes an agent API call's JSON body and checks its agentid,
// answering the error itself when either is wrong.
func (f *Fake) agentBody(w http.ResponseWriter, raw []byte) (map[string]any, bool) {
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		writeFakeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return nil, false
	}
	if !f.agentOK(body["agentid"]) {
		writeErrcode(w, 40056)
		return nil, false
	}
	return body, true
}

func (f *Fake) messageSend(w http.ResponseWriter, raw []byte) {
	body, ok := f.agentBody(w, raw)
	if !ok {
		return
	}
	msgType, _ := body["msgtype"].(string)
	text := ""
	switch msgType {
	case "text", "markdown":
		text, _ = dig(body, msgType, "content").(string)
		if text == "" {
			writeErrcode(w, 44004)
			return
		}
	case "textcard":
		text, _ = dig(body, "textcard", "title").(string)
	case "template_card":
		text, _ = dig(body, "template_card", "main_title", "title").(string)
	case "file", "image":
		id, _ := dig(body, msgType, "media_id").(string)
		f.mu.Lock()
		m, ok := f.media[id]
		f.mu.Unlock()
		if !ok {
			writeErrcode(w, 40007)
			return
		}
		text = m.name
	default:
		writeFakeJSON(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
		return
	}

	toUser, _ := body["touser"].(string)
	var valid, invalid []string
	f.mu.Lock()
	for _, u := range strings.Split(toUser, "|") {
		if u == "" {
			continue
		}
		if _, known := f.users[u]; len(f.users) > 0 && !known {
			invalid = append(invalid, strings.ToLower(u))
		} else {
			valid = append(valid, u)
		}
	}
	f.mu.Unlock()
	if len(valid) == 0 {
		writeFakeJSON(w, map[string]any{
			"errcode": 81013, "errmsg": fakeErrmsg[81013],
			"invaliduser": strings.Join(invalid, "|"), "invalidparty": "", "invalidtag": "",
		})
		return
	}
	msg := FakeMessage{To: valid, MsgType: msgType, Text: text, Body: body}
	if msgType == "template_card" {
		msg.ResponseCode = "rc-" + randHex(8)
	}
	msg = f.accept(msg)
	resp := map[string]any{
		"errcode": 0, "errmsg": "ok",
		"invaliduser": strings.Join(invalid, "|"), "invalidparty": "", "invalidtag": "",
		"unlicenseduser": "", "msgid": msg.MsgID,
	}
	if msg.ResponseCode != "" {
		resp["response_code"] = msg.ResponseCode
	}
	writeFakeJSON(w, resp)
}

func (f *Fake) updateCard(w http.ResponseWriter, raw []byte) {
	body, ok := f.agentBody(w, raw)
	if !ok {
		return
	}
	code, _ := body["response_code"].(string)
	if code == "" {
		writeFakeJSON(w, map[string]any{"errcode": 40058, "errmsg": "response_code missing"})
		return
	}
	var to []string
	if ids, ok := body["userids"].([]any); ok {
		for _, id := range ids {
			if s, ok := id.(string); ok {
				to = append(to, s)
			}
		}
	}
	atAll, _ := body["atall"].(float64)
	text, _ := dig(body, "button", "replace_name").(string)
	if text == "" {
		text, _ = dig(body, "template_card", "main_title", "title").(string)
	}
	f.accept(FakeMessage{To: to, AtAll: atAll == 1, MsgType: "update_template_card", Text: text, ResponseCode: code, Body: body})
	writeFakeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": []string{}})
}

// accept records m and tells the subscribers.
func (f *Fake) accept(m FakeMessage) FakeMessage {
	f.mu.Lock()
	f.seq++
	m.MsgID = fmt.Sprintf("fake-msg-%d", f.seq)
	m.Time = f.opts.Now()
	f.sent = keepLast(append(f.sent, m), f.opts.Keep)
	subs := slices.Collect(maps.Values(f.subs))
	f.mu.Unlock()
	for _, fn := range subs {
		fn(m)
	}
	return m
}

func (f *Fake) mediaUpload(w http.ResponseWriter, r *http.Request, raw []byte) {
	kind := r.URL.Query().Get("type")
	switch kind {
	case "image", "voice", "video", "file":
	default:
		writeFakeJSON(w, map[string]any{"errcode": 40004, "errmsg": "invalid media type"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err := r.ParseMultipartForm(MaxMediaSize + 1<<20); err != nil {
		writeFakeJSON(w, map[string]any{"errcode": 41005, "errmsg": "media data missing"})
		return
	}
	file, hdr, err := r.FormFile("media")
	if err != nil {
		writeFakeJSON(w, map[string]any{"errcode": 41005, "errmsg": "media data missing"})
		return
	}
	defer file.Close()
	data, _ := io.ReadAll(file)
	if len(data) <= 5 {
		writeFakeJSON(w, map[string]any{"errcode": 40006, "errmsg": "invalid media size"})
		return
	}
	ctype := mime.TypeByExtension(path.Ext(hdr.Filename))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	id := "fake-media-" + randHex(12)
	f.mu.Lock()
	f.media[id] = fakeMedia{name: hdr.Filename, contentType: ctype, data: data}
	now := f.opts.Now()
	f.mu.Unlock()
	writeFakeJSON(w, map[string]any{
		"errcode": 0, "errmsg": "", "type": kind, "media_id": id,
		"created_at": strconv.FormatInt(now.Unix(), 10),
	})
}

func (f *Fake) mediaGet(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	m, ok := f.media[r.URL.Query().Get("media_id")]
	f.mu.Unlock()
	if !ok {
		writeErrcode(w, 40007)
		return
	}
	w.Header().Set("Content-Type", m.contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	_, _ = w.Write(m.data)
}

func (f *Fake) userGet(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("userid")
	f.mu.Lock()
	name, ok := f.users[id]
	f.mu.Unlock()
	if !ok {
		writeErrcode(w, 60111)
		return
	}
	writeFakeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "userid": id, "name": name, "status": 1})
}

// dig walks nested JSON objects by key.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// MaxMediaSize is WeCom's limit for a temporary file (20 MB).
const MaxMediaSize = 20 << 20

// keepLast drops the oldest entries of list beyond max, reusing its array
// only while it is not much larger than max.
func keepLast[T any](list []T, max int) []T {
	if len(list) <= max {
		return list
	}
	return append([]T(nil), list[len(list)-max:]...)
}

// ---- web OAuth (the H5 pages' sign-in) ----

// SignIn makes userid the member the fake WeCom client is signed in as:
// the fake's authorize page issues codes for them. "" signs out.
func (f *Fake) SignIn(userid string) {
	f.mu.Lock()
	f.signedIn = userid
	f.mu.Unlock()
}

// IssueCode returns a fresh web-OAuth code for userid, as WeCom's authorize
// page gives one to the redirect: getuserinfo accepts it once, within
// OAuthCodeTTL.
func (f *Fake) IssueCode(userid string) string {
	code := randHex(16)
	f.mu.Lock()
	f.codes[code] = fakeCode{userID: userid, expires: f.opts.Now().Add(OAuthCodeTTL)}
	f.mu.Unlock()
	return code
}

// authorize plays WeCom's web authorisation page
// (/connect/oauth2/authorize): it checks the app's parameters and sends the
// browser back to redirect_uri with a code for the signed-in member and
// the state untouched. A browser nobody signed in gets 403.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := func(why string) { http.Error(w, "fake WeCom authorize: "+why, http.StatusBadRequest) }
	switch {
	case q.Get("appid") != f.opts.CorpID:
		bad("appid is not the corp id")
		return
	case q.Get("response_type") != "code":
		bad("response_type must be code")
		return
	case q.Get("scope") != "snsapi_base" && q.Get("scope") != "snsapi_privateinfo":
		bad("scope must be snsapi_base or snsapi_privateinfo")
		return
	case f.opts.AgentID != 0 && q.Get("agentid") != strconv.FormatInt(f.opts.AgentID, 10):
		bad("agentid is not the app's")
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (back.Scheme != "http" && back.Scheme != "https") || back.Host == "" {
		bad("redirect_uri must be an absolute http(s) URL")
		return
	}
	f.mu.Lock()
	user := f.signedIn
	f.mu.Unlock()
	if user == "" {
		http.Error(w, "fake WeCom authorize: nobody is signed in (Fake.SignIn)", http.StatusForbidden)
		return
	}
	bq := back.Query()
	bq.Set("code", f.IssueCode(user))
	if st := q.Get("state"); st != "" {
		bq.Set("state", st)
	}
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// getUserInfo answers auth/getuserinfo: the userid of a code, which is spent.
func (f *Fake) getUserInfo(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	f.mu.Lock()
	c, ok := f.codes[code]
	delete(f.codes, code)
	f.mu.Unlock()
	if code == "" || !ok || !f.opts.Now().Before(c.expires) {
		writeFakeJSON(w, map[string]any{"errcode": 40029, "errmsg": "invalid code"})
		return
	}
	writeFakeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "userid": c.userID, "user_ticket": randHex(8), "expires_in": 1800})
}
