package wecom

// Why this client calls the endpoints itself and uses silenceper/wechat only
// for its request and response structs:
//
// silenceper/wechat/v2 (v2.1.10) hard-codes https://qyapi.weixin.qq.com in
// every URL and sends through the process-wide util.DefaultHTTPClient. Its
// calls take no context (message.Send, material.GetTempFile, UserGet …), so
// neither a deadline nor a cancellation reaches them; GetTempFile reads a
// whole file into memory; its errors quote the request URI, which carries
// the access_token (and, for gettoken, the corpsecret); and its token cache
// is its own, which cannot take part in TokenStore's cross-replica lock.
// A RoundTripper that rewrites the host would fix the host alone, and only
// by setting a global that every other user of the library shares.
// So the few endpoints hazardbot needs are called here with net/http, under
// a per-call timeout, and the URL is built in one place (Client.endpoint),
// which is what makes APIBase (HAZARDBOT_WECOM_API_BASE) move every call.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/addresslist"
	"github.com/silenceper/wechat/v2/work/material"
	"github.com/silenceper/wechat/v2/work/message"

	"hazardbot/bot"
)

// DefaultAPIBase is WeCom's public API host. Private deployments (such as
// government WeCom) and tests use their own.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// DefaultTimeout bounds one HTTP request to WeCom when Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// maxMediaSize is WeCom's limit for a temporary file (20 MB); an upload is
// held in memory so that it can be retried.
const maxMediaSize = 20 << 20

// tokenMargin is how long before WeCom expires a token it is refreshed, so
// that a call never starts with a token about to die.
const tokenMargin = 5 * time.Minute

// Config is what the client needs to reach one WeCom application.
type Config struct {
	CorpID  string
	AgentID int64
	Secret  string
	// APIBase replaces https://qyapi.weixin.qq.com for every call.
	APIBase string
	// Timeout bounds each HTTP request; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Client calls the WeCom API for one application. It implements bot.Sender
// and is safe for concurrent use.
type Client struct {
	files    bot.Files // where Outgoing.File is read (WithFiles); nil: file messages fail
	cfg      Config
	base     string
	key      string
	tokens   TokenStore
	http     *http.Client
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
	metrics  *Metrics
	attempts int
}

var _ bot.Sender = (*Client)(nil)

// Option changes how NewClient builds a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (e.g. an httptest server's). Its own
// Timeout is left alone; Config.Timeout applies on top.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithClock sets the clock used for token expiry.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithSleep sets how the client waits between retries; it must return
// ctx's error if ctx ends first.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithLogger sets the logger for retries and partial failures.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithMetrics sets where calls and refreshes are counted.
func WithMetrics(m *Metrics) Option { return func(c *Client) { c.metrics = m } }

// WithFiles makes file and image messages read Outgoing.File from files
// (a directory, or the database when replicas share no directory; main
// decides). Without it such messages fail: there is no default store.
func WithFiles(files bot.Files) Option { return func(c *Client) { c.files = files } }

// WithAttempts sets how many times a call failing with a transient error
// (-1, 45009, 45033, HTTP 5xx, network) is tried in all; default 3.
func WithAttempts(n int) Option { return func(c *Client) { c.attempts = n } }

// NewClient returns a client for cfg that keeps its access token in tokens
// (nil means a fresh MemoryTokens).
func NewClient(cfg Config, tokens TokenStore, opts ...Option) (*Client, error) {
	if cfg.CorpID == "" || cfg.Secret == "" {
		return nil, errors.New("wecom: corp id and secret are required")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	u, err := url.Parse(cfg.APIBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("wecom: API base %q must be an http(s) URL without a query", cfg.APIBase)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if tokens == nil {
		tokens = NewMemoryTokens()
	}
	c := &Client{
		cfg:      cfg,
		base:     strings.TrimRight(cfg.APIBase, "/"),
		key:      cfg.CorpID + "/" + strconv.FormatInt(cfg.AgentID, 10),
		tokens:   tokens,
		http:     &http.Client{},
		now:      time.Now,
		sleep:    sleepCtx,
		log:      slog.Default(),
		attempts: 3,
	}
	for _, o := range opts {
		o(c)
	}
	if c.attempts < 1 {
		c.attempts = 1
	}
	return c, nil
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// endpoint is the one place a WeCom URL is made, so APIBase moves every call.
func (c *Client) endpoint(p string, q url.Values) string {
	return c.base + "/cgi-bin/" + p + "?" + q.Encode()
}

// ---- errors ----

// APIError is an errcode returned by WeCom (or a send that reached nobody).
// It never holds the access token or the secret.
type APIError struct {
	Code int
	Msg  string
	Call string // e.g. "message/send"
	// InvalidUsers are the recipients WeCom rejected (message/send's
	// invaliduser); the other recipients did get the message.
	InvalidUsers []string
}

// Error codes the client treats specially.
const (
	CodeSystemBusy     = -1    // 系统繁忙: retried
	CodeInvalidSecret  = 40001 // invalid credential: token refreshed once
	CodeInvalidToken   = 40014 // invalid access_token: token refreshed once
	CodeTokenExpired   = 42001 // access_token expired: token refreshed once
	CodeInvalidUser    = 40031 // invalid userid list; used for invaliduser
	CodeAPIFreqLimit   = 45009 // API call frequency limit: retried
	CodeAPIConcurrency = 45033 // too many concurrent calls: retried
	CodeNoRecipient    = 81013 // user & party & tag all invalid
	CodeUserNotFound   = 60111 // userid not found
)

// permanentCodes are errcodes a retry of the same request cannot fix.
var permanentCodes = map[int]bool{
	CodeNoRecipient:      true,
	CodeInvalidUser:      true,
	CodeUserNotFound:     true,
	CodeInvalidOAuthCode: true,
	40003:                true, // invalid userid
	40008:                true, // invalid message type
	40058:                true, // invalid parameter
	44004:                true, // empty content
	45002:                true, // content too long
	93000:                true, // invalid group robot webhook key
	93004:                true, // group robot disabled
}

// Error names the call and the errcode; it holds no credential.
func (e *APIError) Error() string {
	s := fmt.Sprintf("wecom: %s: errcode %d", e.Call, e.Code)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if len(e.InvalidUsers) > 0 {
		s += " (invalid users: " + strings.Join(e.InvalidUsers, ",") + ")"
	}
	return s
}

// Permanent reports whether retrying the same request is useless: no
// recipient in the app's range (81013), an invalid user, a malformed message.
func (e *APIError) Permanent() bool { return permanentCodes[e.Code] }

func (e *APIError) retryable() bool {
	return e.Code == CodeSystemBusy || e.Code == CodeAPIFreqLimit || e.Code == CodeAPIConcurrency
}

func (e *APIError) tokenInvalid() bool {
	return e.Code == CodeInvalidSecret || e.Code == CodeInvalidToken || e.Code == CodeTokenExpired
}

// StatusError is a non-200 HTTP answer from the API host.
type StatusError struct {
	Call   string
	Status int
}

// Error names the call and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("wecom: %s: HTTP %d", e.Call, e.Status)
}

// MessageError says an Outgoing cannot be sent as it stands (missing field,
// missing file); it is permanent.
type MessageError struct{ Reason string }

// Error says what is wrong with the message.
func (e *MessageError) Error() string { return "wecom: bad message: " + e.Reason }

// Permanent is always true: the same message will fail the same way.
func (e *MessageError) Permanent() bool { return true }

// streamError marks a failure after part of a body was written out: the
// call must not be retried, the writer already holds some bytes.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

// scrubURL hides the access token and the secret in a URL.
func scrubURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(url hidden)"
	}
	q := u.Query()
	for _, k := range []string{"access_token", "corpsecret", "key"} { // key: a group robot's webhook key
		if q.Has(k) {
			q.Set(k, "REDACTED")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// scrub rebuilds a *url.Error so its URL carries no credential; net/http
// puts the full request URL in every transport error.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: scrubURL(ue.URL), Err: ue.Err}
	}
	return err
}

// ---- the call loop ----

// request describes one API call; body is rebuilt for every attempt.
type request struct {
	call   string // path under /cgi-bin/, also the metrics label
	method string
	query  url.Values
	body   func() (io.Reader, string, error) // nil for GET
	auth   bool                              // needs access_token
	// handle reads a 200 response; it returns *APIError for an errcode.
	handle func(*http.Response) error
}

// do runs r with a token, refreshing the token once if WeCom rejects it and
// retrying transient failures with exponential backoff and jitter.
func (c *Client) do(ctx context.Context, r request) error {
	var tok string
	if r.auth {
		var err error
		if tok, err = c.token(ctx); err != nil {
			return err
		}
	}
	refreshed := false
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, r, tok)
		if err == nil {
			return nil
		}
		var ae *APIError
		if r.auth && !refreshed && errors.As(err, &ae) && ae.tokenInvalid() {
			refreshed = true
			c.log.Warn("wecom: access token rejected, refreshing", "call", r.call, "errcode", ae.Code)
			stale := tok
			if tok, err = c.tokens.Refresh(ctx, c.key, stale, c.now(), c.fetchToken); err != nil {
				return err
			}
			attempt-- // the retry after a refresh is not a transient retry
			continue
		}
		if attempt >= c.attempts || !c.transient(ctx, err) {
			return err
		}
		d := backoff(attempt)
		c.log.Warn("wecom: call failed, retrying", "call", r.call, "attempt", attempt, "wait", d, "err", err)
		if serr := c.sleep(ctx, d); serr != nil {
			return err
		}
	}
}

// transient reports whether err may pass on a later attempt.
func (c *Client) transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.retryable()
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	var stream *streamError
	if errors.As(err, &stream) {
		return false
	}
	// Transport errors: timeouts, resets, refused connections.
	var ue *url.Error
	return errors.As(err, &ue)
}

// backoff is the wait before retry n (1-based): 200ms, 400ms, 800ms …
// capped at 5s, with up to half of it random so replicas do not retry in step.
func backoff(n int) time.Duration {
	d := 200 * time.Millisecond << min(n-1, 5)
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d/2+1)
}

// once makes one HTTP attempt of r under the per-request timeout.
func (c *Client) once(ctx context.Context, r request, tok string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	if r.auth {
		q.Set("access_token", tok)
	}
	var body io.Reader
	ctype := ""
	if r.body != nil {
		var err error
		if body, ctype, err = r.body(); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.endpoint(r.call, q), body)
	if err != nil {
		return scrub(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.metrics.apiCall(r.call, "network")
		return scrub(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.metrics.apiCall(r.call, "http_"+strconv.Itoa(resp.StatusCode))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return &StatusError{Call: r.call, Status: resp.StatusCode}
	}
	err = r.handle(resp)
	var ae *APIError
	switch {
	case err == nil:
		c.metrics.apiCode(r.call, 0)
	case errors.As(err, &ae):
		c.metrics.apiCode(r.call, ae.Code)
		ae.Msg = c.hide(ae.Msg, tok)
	default:
		c.metrics.apiCall(r.call, "network")
		err = scrub(err)
	}
	return err
}

// hide removes credentials from text WeCom sent back, in case an errmsg
// ever echoes the request.
func (c *Client) hide(s, tok string) string {
	if tok != "" {
		s = strings.ReplaceAll(s, tok, "REDACTED")
	}
	return strings.ReplaceAll(s, c.cfg.Secret, "REDACTED")
}

// decodeJSON returns a handler that decodes the body into out (whose
// embedded util.CommonError carries the errcode) and turns an errcode into
// an *APIError.
func decodeJSON(call string, out any, common func() *util.CommonError) func(*http.Response) error {
	return func(resp *http.Response) error {
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
			return fmt.Errorf("wecom: %s: decode response: %w", call, err)
		}
		if ce := common(); ce.ErrCode != 0 {
			return &APIError{Code: int(ce.ErrCode), Msg: ce.ErrMsg, Call: call}
		}
		return nil
	}
}

// ---- access token ----

// token returns a valid access token, fetching one if the store has none.
func (c *Client) token(ctx context.Context) (string, error) {
	tok, ok, err := c.tokens.Token(ctx, c.key, c.now())
	if err != nil {
		return "", fmt.Errorf("wecom: read token: %w", err)
	}
	if ok {
		return tok, nil
	}
	return c.tokens.Refresh(ctx, c.key, "", c.now(), c.fetchToken)
}

// fetchToken calls gettoken. The ttl it returns ends tokenMargin before
// WeCom's expiry, so the store refreshes early.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var res credential.ResAccessToken
	err := c.do(ctx, request{
		call:   "gettoken",
		method: http.MethodGet,
		query:  url.Values{"corpid": {c.cfg.CorpID}, "corpsecret": {c.cfg.Secret}},
		handle: decodeJSON("gettoken", &res, func() *util.CommonError { return &res.CommonError }),
	})
	c.metrics.tokenRefresh(err == nil)
	if err != nil {
		return "", 0, err
	}
	if res.AccessToken == "" {
		return "", 0, &APIError{Msg: "empty access_token", Call: "gettoken"}
	}
	life := time.Duration(res.ExpiresIn) * time.Second
	ttl := life - tokenMargin
	if ttl < life/2 {
		ttl = life / 2
	}
	return res.AccessToken, ttl, nil
}

// ---- message/send ----

// The wire shapes of the messages hazardbot sends. The common envelope is
// silenceper's; the bodies it lacks (markdown, textcard, file,
// button_interaction card, update_template_card) follow WeCom's docs:
// https://developer.work.weixin.qq.com/document/path/90236 and /94888.
type (
	sendText struct {
		*message.SendRequestCommon
		Text message.TextField `json:"text"`
	}
	sendMarkdown struct {
		*message.SendRequestCommon
		Markdown message.TextField `json:"markdown"`
	}
	sendTextCard struct {
		*message.SendRequestCommon
		TextCard textCard `json:"textcard"`
	}
	textCard struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		URL         string `json:"url"`
		BtnTxt      string `json:"btntxt,omitempty"`
	}
	sendFile struct {
		*message.SendRequestCommon
		File message.ImageField `json:"file"` // {"media_id": …}
	}
	sendImage struct {
		*message.SendRequestCommon
		Image message.ImageField `json:"image"`
	}
	sendCard struct {
		*message.SendRequestCommon
		TemplateCard templateCard `json:"template_card"`
	}
	templateCard struct {
		CardType              string        `json:"card_type"`
		MainTitle             cardTitle     `json:"main_title"`
		SubTitleText          string        `json:"sub_title_text,omitempty"`
		HorizontalContentList []cardContent `json:"horizontal_content_list,omitempty"`
		TaskID                string        `json:"task_id"`
		ButtonList            []cardButton  `json:"button_list"`
		ReplaceText           string        `json:"replace_text,omitempty"`
		JumpList              []cardJump    `json:"jump_list,omitempty"`
		CardAction            *cardAction   `json:"card_action,omitempty"`
	}
	// cardJump is a link line of a card (type 1: open url).
	cardJump struct {
		Type  int    `json:"type"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
	// cardAction is where a tap on the card body leads (type 1: open url).
	cardAction struct {
		Type int    `json:"type"`
		URL  string `json:"url"`
	}
	cardTitle struct {
		Title string `json:"title"`
		Desc  string `json:"desc,omitempty"`
	}
	cardContent struct {
		KeyName string `json:"keyname"`
		Value   string `json:"value"`
	}
	cardButton struct {
		Text  string `json:"text"`
		Style int    `json:"style,omitempty"`
		Key   string `json:"key"`
	}
	updateCard struct {
		UserIDs      []string      `json:"userids,omitempty"`
		AtAll        int           `json:"atall,omitempty"`
		AgentID      int64         `json:"agentid"`
		ResponseCode string        `json:"response_code"`
		Button       *updateButton `json:"button,omitempty"`
		TemplateCard *templateCard `json:"template_card,omitempty"`
	}
	updateButton struct {
		ReplaceName string `json:"replace_name"`
	}
	updateResponse struct {
		util.CommonError
		InvalidUser []string `json:"invaliduser"`
	}
)

// Card limits from WeCom's docs.
const (
	maxCardFields  = 6
	maxCardButtons = 6
)

// Send delivers m through the API at once. WeCom's limit of 30 messages a
// minute to one member is kept by the one limiter every message passes
// before it gets here: the outbox's, shared by all replicas in the
// database (models.Store.ReserveSends, setting outbox.per_user_per_minute).
// An error is permanent (bot.IsPermanent) when
// the message can never go through as it is: no recipient in the app's
// range, an invalid user, a malformed message. A call that timed out is
// retried and may then reach the user twice: delivery is at least once,
// like the outbox's.
func (c *Client) Send(ctx context.Context, m bot.Outgoing) error {
	users := dedupe(m.ToUsers)
	if m.Kind == bot.OutCardUpdate {
		return c.updateCard(ctx, m, users)
	}
	if len(users) == 0 {
		return &MessageError{Reason: "no recipient"}
	}
	common := &message.SendRequestCommon{
		ToUser:  strings.Join(users, "|"),
		AgentID: strconv.FormatInt(c.cfg.AgentID, 10),
	}
	var body any
	switch m.Kind {
	case bot.OutText:
		common.MsgType = "text"
		body = sendText{common, message.TextField{Content: m.Text}}
	case bot.OutMarkdown:
		common.MsgType = "markdown"
		body = sendMarkdown{common, message.TextField{Content: m.Text}}
	case bot.OutTextCard:
		if m.Title == "" || m.URL == "" {
			return &MessageError{Reason: "textcard needs a title and a url"}
		}
		common.MsgType = "textcard"
		body = sendTextCard{common, textCard{Title: m.Title, Description: m.Description, URL: m.URL}}
	case bot.OutCard:
		card, err := buildCard(m)
		if err != nil {
			return err
		}
		common.MsgType = "template_card"
		body = sendCard{common, card}
	case bot.OutFile:
		id, err := c.uploadFile(ctx, m)
		if err != nil {
			return err
		}
		common.MsgType = "file"
		body = sendFile{common, message.ImageField{MediaID: id}}
	case bot.OutImage:
		id, err := c.uploadFile(ctx, m)
		if err != nil {
			return err
		}
		common.MsgType = "image"
		body = sendImage{common, message.ImageField{MediaID: id}}
	default:
		return &MessageError{Reason: fmt.Sprintf("unknown kind %q", m.Kind)}
	}

	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("wecom: encode message: %w", err)
	}
	var res message.SendResponse
	err = c.do(ctx, request{
		call:   "message/send",
		method: http.MethodPost,
		body:   jsonBody(raw),
		auth:   true,
		handle: decodeJSON("message/send", &res, func() *util.CommonError { return &res.CommonError }),
	})
	var ae *APIError
	if errors.As(err, &ae) && res.InvalidUser != "" {
		ae.InvalidUsers = strings.Split(res.InvalidUser, "|")
	}
	if err != nil {
		return err
	}
	if res.InvalidUser != "" {
		invalid := strings.Split(res.InvalidUser, "|")
		c.log.Warn("wecom: message not delivered to some users", "invalid", invalid, "recipients", len(users))
		// The others got it; a retry would repeat it to them, so this is
		// reported as permanent either way.
		return &APIError{Code: CodeInvalidUser, Msg: "invaliduser", Call: "message/send", InvalidUsers: invalid}
	}
	return nil
}

// buildCard turns m's Card into a button_interaction template card.
func buildCard(m bot.Outgoing) (templateCard, error) {
	if m.Card == nil {
		return templateCard{}, &MessageError{Reason: "template_card without card"}
	}
	cd := m.Card
	title, desc := cd.Title, cd.Description
	if title == "" {
		title = m.Title
	}
	if desc == "" {
		desc = m.Description
	}
	switch {
	case title == "":
		return templateCard{}, &MessageError{Reason: "card needs a title"}
	case cd.TaskID == "":
		return templateCard{}, &MessageError{Reason: "card needs a task_id"}
	case len(cd.Buttons) == 0 || len(cd.Buttons) > maxCardButtons:
		return templateCard{}, &MessageError{Reason: fmt.Sprintf("card needs 1 to %d buttons, has %d", maxCardButtons, len(cd.Buttons))}
	case len(cd.Fields) > maxCardFields:
		return templateCard{}, &MessageError{Reason: fmt.Sprintf("card has %d fields, at most %d", len(cd.Fields), maxCardFields)}
	}
	card := templateCard{
		CardType:     "button_interaction",
		MainTitle:    cardTitle{Title: title},
		SubTitleText: desc,
		TaskID:       cd.TaskID,
	}
	for _, f := range cd.Fields {
		card.HorizontalContentList = append(card.HorizontalContentList, cardContent{KeyName: f.Key, Value: f.Value})
	}
	for _, b := range cd.Buttons {
		card.ButtonList = append(card.ButtonList, cardButton{Text: b.Text, Style: b.Style, Key: b.Key})
	}
	if cd.URL != "" {
		// A tap on the card, or on its link line, opens the hazard's page.
		title := cd.LinkTitle
		if title == "" {
			title = "查看详情"
		}
		card.CardAction = &cardAction{Type: 1, URL: cd.URL}
		card.JumpList = []cardJump{{Type: 1, Title: title, URL: cd.URL}}
	}
	return card, nil
}

// updateCard changes a card already sent: its buttons become one greyed-out
// text (Card.Done), or the whole card is replaced. With no ToUsers it
// changes the card for everyone who received it.
func (c *Client) updateCard(ctx context.Context, m bot.Outgoing, users []string) error {
	if m.ResponseCode == "" {
		return &MessageError{Reason: "card update needs a response_code"}
	}
	if m.Card == nil {
		return &MessageError{Reason: "card update without card"}
	}
	u := updateCard{UserIDs: users, AgentID: c.cfg.AgentID, ResponseCode: m.ResponseCode}
	if len(users) == 0 {
		u.AtAll = 1
	}
	if m.Card.Done != "" {
		u.Button = &updateButton{ReplaceName: m.Card.Done}
	} else {
		card, err := buildCard(m)
		if err != nil {
			return err
		}
		u.TemplateCard = &card
	}
	raw, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("wecom: encode card update: %w", err)
	}
	var res updateResponse
	err = c.do(ctx, request{
		call:   "message/update_template_card",
		method: http.MethodPost,
		body:   jsonBody(raw),
		auth:   true,
		handle: decodeJSON("message/update_template_card", &res, func() *util.CommonError { return &res.CommonError }),
	})
	if err != nil {
		return err
	}
	if len(res.InvalidUser) > 0 {
		return &APIError{Code: CodeInvalidUser, Msg: "invaliduser", Call: "message/update_template_card", InvalidUsers: res.InvalidUser}
	}
	return nil
}

func jsonBody(raw []byte) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		return bytes.NewReader(raw), "application/json; charset=utf-8", nil
	}
}

// dedupe drops empty and repeated user IDs, keeping order.
func dedupe(users []string) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// ---- media ----

// uploadFile uploads m.File from the files as temporary media: an "image"
// for an image message, a "file" otherwise.
func (c *Client) uploadFile(ctx context.Context, m bot.Outgoing) (string, error) {
	files := c.files
	if files == nil {
		return "", errors.New("wecom: no file store for file messages (WithFiles)")
	}
	f, _, err := files.Open(ctx, m.File)
	if bot.FileMissing(err) {
		// A file that is not there (or cannot be in the storage) will not
		// appear by retrying.
		return "", &MessageError{Reason: fmt.Sprintf("file %q: %v", m.File, err)}
	}
	if err != nil {
		return "", fmt.Errorf("wecom: open %q: %w", m.File, err)
	}
	defer f.Close()
	name := m.FileName
	if name == "" {
		name = path.Base(m.File)
	}
	kind := "file"
	if m.Kind == bot.OutImage {
		kind = "image"
	}
	return c.UploadMedia(ctx, kind, name, f)
}

// UploadMedia uploads r as temporary media of kind image, voice, video or
// file, named name, and returns its media_id (valid for 3 days). The content
// is held in memory (at most 20 MB) so that a failed attempt can be retried.
func (c *Client) UploadMedia(ctx context.Context, kind, name string, r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMediaSize+1))
	if err != nil {
		return "", fmt.Errorf("wecom: read media: %w", err)
	}
	if len(data) > maxMediaSize {
		return "", &MessageError{Reason: fmt.Sprintf("media %q is over 20 MB", name)}
	}
	if len(data) <= 5 {
		// WeCom rejects media of 5 bytes or less.
		return "", &MessageError{Reason: fmt.Sprintf("media %q is too small", name)}
	}
	var res material.UploadTempFileResponse
	err = c.do(ctx, request{
		call:   "media/upload",
		method: http.MethodPost,
		query:  url.Values{"type": {kind}},
		body:   multipartBody(name, data),
		auth:   true,
		handle: decodeJSON("media/upload", &res, func() *util.CommonError { return &res.CommonError }),
	})
	if err != nil {
		return "", err
	}
	if res.MediaID == "" {
		return "", &APIError{Msg: "no media_id in answer", Call: "media/upload"}
	}
	return res.MediaID, nil
}

// multipartBody builds WeCom's upload form: one part named "media" with the
// filename and filelength WeCom's docs show.
func multipartBody(name string, data []byte) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`,
			strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name), len(data)))
		h.Set("Content-Type", "application/octet-stream")
		part, err := w.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		if _, err := part.Write(data); err != nil {
			return nil, "", err
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return &buf, w.FormDataContentType(), nil
	}
}

// DownloadMedia streams temporary media mediaID (e.g. a photo a user sent)
// into w and returns its content type. Temporary media expire after 3
// days, so callers store it right away. A JSON body is WeCom's error
// answer, never media, and is returned as an *APIError. A failure after
// some bytes were written is not retried.
func (c *Client) DownloadMedia(ctx context.Context, mediaID string, w io.Writer) (string, error) {
	var ctype string
	err := c.do(ctx, request{
		call:   "media/get",
		method: http.MethodGet,
		query:  url.Values{"media_id": {mediaID}},
		auth:   true,
		handle: func(resp *http.Response) error {
			ctype = resp.Header.Get("Content-Type")
			mt, _, _ := mime.ParseMediaType(ctype)
			if mt == "application/json" || mt == "text/plain" {
				var ce util.CommonError
				if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ce); err != nil {
					return fmt.Errorf("wecom: media/get: decode error answer: %w", err)
				}
				if ce.ErrCode == 0 {
					return &APIError{Msg: "JSON answer instead of media", Call: "media/get"}
				}
				return &APIError{Code: int(ce.ErrCode), Msg: ce.ErrMsg, Call: "media/get"}
			}
			if _, err := io.Copy(w, resp.Body); err != nil {
				return &streamError{fmt.Errorf("wecom: media/get: copy: %w", err)}
			}
			return nil
		},
	})
	if err != nil {
		return "", err
	}
	return ctype, nil
}

// ---- directory ----

// GetUser returns the display name of userID (user/get).
func (c *Client) GetUser(ctx context.Context, userID string) (string, error) {
	var res addresslist.UserGetResponse
	err := c.do(ctx, request{
		call:   "user/get",
		method: http.MethodGet,
		query:  url.Values{"userid": {userID}},
		auth:   true,
		handle: decodeJSON("user/get", &res, func() *util.CommonError { return &res.CommonError }),
	})
	if err != nil {
		return "", err
	}
	return res.Name, nil
}

// ---- web sign-in ----

// CodeInvalidOAuthCode is getuserinfo's answer to a code that is unknown,
// expired (after five minutes) or already used.
const CodeInvalidOAuthCode = 40029

// UserIDByCode exchanges the code of a web-OAuth redirect (the H5 pages'
// sign-in) for the member's userid, through auth/getuserinfo with the same
// base, token handling and retries as every other call. WeCom accepts a
// code once; someone who is not a member of the corp gets an openid and no
// userid, which is an *APIError here too.
func (c *Client) UserIDByCode(ctx context.Context, code string) (string, error) {
	var res struct {
		util.CommonError
		UserID string `json:"userid"`
		OpenID string `json:"openid"`
	}
	err := c.do(ctx, request{
		call:   "auth/getuserinfo",
		method: http.MethodGet,
		query:  url.Values{"code": {code}},
		auth:   true,
		handle: decodeJSON("auth/getuserinfo", &res, func() *util.CommonError { return &res.CommonError }),
	})
	if err != nil {
		return "", err
	}
	if res.UserID == "" {
		return "", &APIError{Code: CodeUserNotFound, Msg: "not a member of the corp (openid only)", Call: "auth/getuserinfo"}
	}
	return res.UserID, nil
}
