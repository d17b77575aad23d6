package wechat

// Why this client calls the endpoints itself and uses silenceper/wechat
// only for its request structs (message.CustomerMessage,
// message.TemplateMessage) and util.CommonError: officialaccount hard-codes
// https://api.weixin.qq.com in every URL, takes no context, keeps its own
// token cache (which cannot join the cross-replica lock of
// wecom.TokenStore), and its errors quote URLs that carry the access token.
// wechat.api_base (HAZARDBOT_WECHAT_API_BASE) must move every call, tests
// and demo mode point it at a fake, so the URL is built in one place here.

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
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
	"hazardbot/models"
)

// DefaultAPIBase is the Official Account API host.
const DefaultAPIBase = "https://api.weixin.qq.com"

// ServiceWindow is how long after a follower's last message the account
// may write to them by customer-service message; after it only a template
// message reaches them.
const ServiceWindow = 48 * time.Hour

// Config is what the client needs to reach one Official Account.
type Config struct {
	AppID, AppSecret string
	APIBase          string // default DefaultAPIBase
	// TemplateID is the template message used outside ServiceWindow for a
	// topic Templates does not name. Its fields are first, keyword1,
	// keyword2 and remark (the classic 通知/待办 template); without one,
	// such a message fails for good.
	TemplateID string
	// Templates maps a message's topic (bot.Outgoing.Topic) to the
	// account's template for it (config wechat.templates).
	Templates map[string]Template
	Timeout   time.Duration // per request; default 10 s
}

// Template is one template message of the account: its id and, for each
// of its fields, the value that fills it (config.WeChatTemplateValues).
type Template struct {
	ID     string
	Fields map[string]string
}

// LastSeen tells when a follower last wrote (zero: never) and whether they
// still follow the account. models.Store implements it.
type LastSeen interface {
	WeChatLastSeen(openid string) (time.Time, error)
	WeChatFollowing(openid string) (bool, error)
}

// Client calls the Official Account API. It implements bot.Sender for
// followers (recipients models.WeChatUserID(openid)) and bot.Downloader for
// the media they send.
type Client struct {
	cfg      Config
	http     *http.Client
	tokens   wecom.TokenStore
	seen     LastSeen
	now      func() time.Time
	log      *slog.Logger
	attempts int
	sleep    func(context.Context, time.Duration) error
	files    bot.Files // where an image message's file is read (WithFiles)
}

// Option changes how NewClient builds a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (e.g. a fake's).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithClock sets the clock for token expiry and the service window.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithLogger sets where retries are logged.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithFiles makes image messages read their photo (Outgoing.File) from
// files; without it an image to a follower fails for good.
func WithFiles(files bot.Files) Option { return func(c *Client) { c.files = files } }

// WithSleep sets how the client waits between retries (tests: no wait).
func WithSleep(s func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = s }
}

// NewClient returns a client for cfg keeping its token in tokens (shared by
// replicas) and reading followers' last messages from seen.
func NewClient(cfg Config, tokens wecom.TokenStore, seen LastSeen, opts ...Option) (*Client, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("wechat: client needs app_id and app_secret")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	c := &Client{cfg: cfg, http: &http.Client{}, tokens: tokens, seen: seen, now: time.Now,
		log: slog.New(slog.DiscardHandler), attempts: 3, sleep: sleepCtx}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// APIError is an errcode the Official Account API returned. It never holds
// the token or the secret.
type APIError struct {
	Call string
	Code int
	Msg  string
}

// Error codes handled specially.
const (
	codeBusy            = -1
	codeInvalidToken    = 40001
	codeBadToken        = 40014
	codeTokenExpired    = 42001
	codeOutOfWindow     = 45015 // 回复时间超过限制: the 48 h window closed
	codeTooManyReplies  = 45047 // 客服接口下行条数超过上限
	codeAPIQuota        = 45009
	codeBadOpenID       = 40003
	codeNotFollower     = 43004
	codeBlocked         = 43019
	codeBadTemplate     = 40037
	codeBadFormat       = 47001
	codeTemplateLimited = 45028 // template daily quota
)

var permanentCodes = map[int]bool{codeBadOpenID: true, codeNotFollower: true, codeBlocked: true, codeBadTemplate: true, codeBadFormat: true}

// Ended reports whether the error says the follower left the account
// (43004), which ends the message rather than failing it (bot.Ended).
func (e *APIError) Ended() bool { return e.Code == codeNotFollower }

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat: %s: errcode %d: %s", e.Call, e.Code, e.Msg)
}

// Permanent reports whether the same request can never succeed (the
// follower left, the openid or template is wrong, the body is malformed).
func (e *APIError) Permanent() bool { return permanentCodes[e.Code] }

func (e *APIError) tokenInvalid() bool {
	return e.Code == codeInvalidToken || e.Code == codeBadToken || e.Code == codeTokenExpired
}

// window reports whether the error says the customer-service window is
// closed, so a template message must go instead.
func (e *APIError) window() bool { return e.Code == codeOutOfWindow || e.Code == codeTooManyReplies }

// permanentErr marks an error no retry fixes.
type permanentErr struct{ error }

func (permanentErr) Permanent() bool { return true }

// ---- calls ----

func (c *Client) endpoint(p string, q url.Values) string {
	return c.cfg.APIBase + "/cgi-bin/" + p + "?" + q.Encode()
}

// call makes one API call with the access token, refreshing it once when
// WeChat rejects it and retrying busy answers and network errors.
func (c *Client) call(ctx context.Context, name, method string, q url.Values, body []byte, handle func(*http.Response) error) error {
	return c.callAs(ctx, name, method, q, body, "application/json; charset=utf-8", handle)
}

// callAs is call with a body of the given content type (a media upload's
// multipart form).
func (c *Client) callAs(ctx context.Context, name, method string, q url.Values, body []byte, ctype string, handle func(*http.Response) error) error {
	tok, err := c.token(ctx)
	if err != nil {
		return err
	}
	refreshed := false
	for attempt := 1; ; attempt++ {
		err = c.once(ctx, name, method, q, tok, body, ctype, handle)
		if err == nil {
			return nil
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.tokenInvalid() && !refreshed {
			refreshed = true
			if tok, err = c.tokens.Refresh(ctx, c.tokenKey(), tok, c.now(), c.fetchToken); err != nil {
				return err
			}
			attempt--
			continue
		}
		if attempt >= c.attempts || !transient(ctx, err) {
			return err
		}
		d := 200 * time.Millisecond << (attempt - 1)
		d = d/2 + rand.N(d/2+1)
		c.log.Warn("wechat: call failed, retrying", "call", name, "attempt", attempt, "err", err)
		if serr := c.sleep(ctx, d); serr != nil {
			return err
		}
	}
}

func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code == codeBusy
	}
	var ue *url.Error
	return errors.As(err, &ue) || errors.Is(err, errServer)
}

var errServer = errors.New("wechat: server error")

func (c *Client) once(ctx context.Context, name, method string, q url.Values, tok string, body []byte, ctype string, handle func(*http.Response) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	qq := url.Values{}
	for k, v := range q {
		qq[k] = v
	}
	if tok != "" {
		qq.Set("access_token", tok)
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(name, qq), r)
	if err != nil {
		return fmt.Errorf("wechat: %s: bad request", name)
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The url.Error quotes the URL with the token: keep only its kind.
		var ue *url.Error
		if errors.As(err, &ue) {
			return &url.Error{Op: ue.Op, URL: c.cfg.APIBase + "/cgi-bin/" + name, Err: ue.Err}
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%w: %s: HTTP %d", errServer, name, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return permanentErr{fmt.Errorf("wechat: %s: HTTP %d", name, resp.StatusCode)}
	}
	err = handle(resp)
	var ae *APIError
	if errors.As(err, &ae) {
		ae.Msg = strings.ReplaceAll(strings.ReplaceAll(ae.Msg, tok, "REDACTED"), c.cfg.AppSecret, "REDACTED")
	}
	return err
}

func decodeJSON(name string, out any, common func() *util.CommonError) func(*http.Response) error {
	return func(resp *http.Response) error {
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
			return fmt.Errorf("wechat: %s: decode response: %w", name, err)
		}
		if ce := common(); ce.ErrCode != 0 {
			return &APIError{Call: name, Code: int(ce.ErrCode), Msg: ce.ErrMsg}
		}
		return nil
	}
}

// ---- access token ----

func (c *Client) tokenKey() string { return "wechat:" + c.cfg.AppID }

func (c *Client) token(ctx context.Context) (string, error) {
	tok, ok, err := c.tokens.Token(ctx, c.tokenKey(), c.now())
	if err != nil {
		return "", fmt.Errorf("wechat: read token: %w", err)
	}
	if ok {
		return tok, nil
	}
	return c.tokens.Refresh(ctx, c.tokenKey(), "", c.now(), c.fetchToken)
}

// fetchToken asks for a new access token; it lives 7200 s, and is renewed
// five minutes early.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var out struct {
		util.CommonError
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {c.cfg.AppID}, "secret": {c.cfg.AppSecret}}
	var err error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		err = c.once(ctx, "token", http.MethodGet, q, "", nil, "", decodeJSON("token", &out, func() *util.CommonError { return &out.CommonError }))
		if err == nil || !transient(ctx, err) {
			break
		}
	}
	if err != nil {
		return "", 0, err
	}
	if out.AccessToken == "" {
		return "", 0, errors.New("wechat: token: empty access_token")
	}
	ttl := time.Duration(out.ExpiresIn)*time.Second - 5*time.Minute
	if ttl < time.Minute {
		ttl = time.Minute
	}
	return out.AccessToken, ttl, nil
}

// ---- sending ----

// Send delivers m to each WeChat follower in m.ToUsers as text: by
// customer-service message while the follower's 48-hour window is open,
// else (or when WeChat says the window closed) by the configured template
// message.
func (c *Client) Send(ctx context.Context, m bot.Outgoing) error {
	if m.Kind == bot.OutImage {
		return c.sendImages(ctx, m)
	}
	body := bot.PlainText(m)
	if body == "" {
		return nil // a card update: nothing to show on WeChat
	}
	return c.eachFollower(m.ToUsers, func(openid string) error {
		err := c.sendText(ctx, openid, m, body)
		var ae *APIError
		if errors.As(err, &ae) && ae.Ended() {
			return &bot.Ended{Reason: ae.Error()}
		}
		return err
	})
}

// eachFollower calls send for each follower in users (one named twice in a
// row once) and joins what failed. A recipient who is not a WeChat follower
// fails for good and one who left the account ends, neither with a call to
// WeChat; the others are sent to all the same.
func (c *Client) eachFollower(users []string, send func(openid string) error) error {
	var errs []error
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u] {
			continue // one message a follower, however often named
		}
		seen[u] = true
		openid := models.OpenID(u)
		if openid == "" {
			errs = append(errs, permanentErr{fmt.Errorf("wechat: %q is not a WeChat follower", u)})
			continue
		}
		following, err := c.seen.WeChatFollowing(openid)
		if err == nil && !following {
			err = &bot.Ended{Reason: "unfollowed the account"}
		}
		if err == nil {
			err = send(openid)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// errOutsideWindow ends an image to a follower whose 48-hour window is
// closed: a template message cannot carry an image. The count line that
// goes with every set of photos (by template, then) says how many there
// are and where to see them.
var errOutsideWindow = &bot.Ended{Reason: "the follower's 48-hour window is closed and a template message cannot carry an image; the photo count line says where to see it"}

// sendImages sends the photo m.File (resolved by the outbox worker) to each
// follower in m.ToUsers: uploaded as temporary media (media/upload), then
// a customer-service image message, while the follower's window is open.
func (c *Client) sendImages(ctx context.Context, m bot.Outgoing) error {
	if m.File == "" {
		return permanentErr{errors.New("wechat: image message without a file")}
	}
	if c.files == nil {
		return permanentErr{errors.New("wechat: no file store for image messages (WithFiles)")}
	}
	return c.eachFollower(m.ToUsers, func(openid string) error { return c.sendImage(ctx, openid, m.File) })
}

func (c *Client) sendImage(ctx context.Context, openid, file string) error {
	how, err := c.Channel(openid)
	if err != nil {
		return err
	}
	if how != "custom" {
		return errOutsideWindow
	}
	mediaID, err := c.upload(ctx, file)
	if err != nil {
		return err
	}
	body, err := json.Marshal(message.NewCustomerImgMessage(openid, mediaID))
	if err != nil {
		return permanentErr{err}
	}
	var out util.CommonError
	err = c.call(ctx, "message/custom/send", http.MethodPost, nil, body, decodeJSON("message/custom/send", &out, func() *util.CommonError { return &out }))
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.window():
		return errOutsideWindow
	case errors.As(err, &ae) && ae.Ended():
		return &bot.Ended{Reason: ae.Error()}
	}
	return err
}

// maxImage is the Official Account's limit on a temporary image.
const maxImage = 10 << 20

// upload makes the stored photo file a temporary image (valid three days)
// and returns its media id. WeChat takes JPEG, PNG, GIF and BMP images
// of up to 10 MB; anything else can never be sent as an image.
func (c *Client) upload(ctx context.Context, file string) (string, error) {
	f, ctype, err := c.files.Open(ctx, file)
	if err != nil {
		if models.ErrorCode(err) == models.ENotFound {
			return "", permanentErr{fmt.Errorf("wechat: photo file %s: %w", file, err)}
		}
		return "", err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxImage+1))
	f.Close()
	if err != nil {
		return "", err
	}
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/bmp": ".bmp"}
	mt, _, _ := mime.ParseMediaType(ctype)
	if ext[mt] == "" || len(data) > maxImage {
		return "", permanentErr{fmt.Errorf("wechat: photo %s (%s, %d bytes) is not an image WeChat takes (JPEG/PNG/GIF/BMP up to 10 MB)", file, mt, len(data))}
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreatePart(textproto.MIMEHeader{
		"Content-Disposition": {fmt.Sprintf(`form-data; name="media"; filename="photo%s"`, ext[mt])},
		"Content-Type":        {mt},
	})
	if err != nil {
		return "", permanentErr{err}
	}
	if _, err := part.Write(data); err != nil {
		return "", permanentErr{err}
	}
	if err := w.Close(); err != nil {
		return "", permanentErr{err}
	}
	var out struct {
		util.CommonError
		MediaID string `json:"media_id"`
	}
	err = c.callAs(ctx, "media/upload", http.MethodPost, url.Values{"type": {"image"}}, buf.Bytes(), w.FormDataContentType(),
		decodeJSON("media/upload", &out, func() *util.CommonError { return &out.CommonError }))
	if err != nil {
		return "", err
	}
	if out.MediaID == "" {
		return "", errors.New("wechat: media/upload: no media_id in the answer")
	}
	return out.MediaID, nil
}

// Channel names the way a message to openid goes now: "custom" or
// "template".
func (c *Client) Channel(openid string) (string, error) {
	last, err := c.seen.WeChatLastSeen(openid)
	if err != nil {
		return "", err
	}
	if !last.IsZero() && c.now().Sub(last) < ServiceWindow {
		return "custom", nil
	}
	return "template", nil
}

// sendText sends text to openid by customer-service message inside the
// window, else (or when WeChat says it closed) by template message.
func (c *Client) sendText(ctx context.Context, openid string, m bot.Outgoing, text string) error {
	how, err := c.Channel(openid)
	if err != nil {
		return err
	}
	if how == "custom" {
		err = c.custom(ctx, openid, text)
		var ae *APIError
		if !errors.As(err, &ae) || !ae.window() {
			return err
		}
		c.log.Info("wechat: service window closed, sending a template message", "errcode", ae.Code)
	}
	return c.template(ctx, openid, m, text)
}

func (c *Client) custom(ctx context.Context, openid, text string) error {
	body, err := json.Marshal(message.NewCustomerTextMessage(openid, text))
	if err != nil {
		return permanentErr{err}
	}
	var out util.CommonError
	return c.call(ctx, "message/custom/send", http.MethodPost, nil, body, decodeJSON("message/custom/send", &out, func() *util.CommonError { return &out }))
}

// moreHint says where a follower sees more than a template shows.
const moreHint = "详情请在公众号内回复“我的”查看。"

// template sends text (the plain form of m) to openid as the template
// message configured for m's topic, its fields filled from the message's
// values; else as the default template (first: the first line, keyword1:
// the second, keyword2: the time, remark: the rest).
func (c *Client) template(ctx context.Context, openid string, m bot.Outgoing, text string) error {
	now := c.now().In(shanghai).Format("2006-01-02 15:04")
	lines := strings.Split(text, "\n")
	data := map[string]*message.TemplateDataItem{}
	if t, ok := c.cfg.Templates[m.Topic]; ok {
		values := map[string]string{"title": lines[0], "detail": strings.Join(lines[1:], "\n"), "text": text, "time": now, "hint": moreHint}
		for k, v := range m.Values {
			values[k] = v
		}
		for field, name := range t.Fields {
			v := values[name]
			if strings.TrimSpace(v) == "" {
				v = "—" // WeChat refuses an empty field
			}
			data[field] = &message.TemplateDataItem{Value: v}
		}
		return c.sendTemplate(ctx, message.TemplateMessage{ToUser: openid, TemplateID: t.ID, URL: linkOf(m), Data: data})
	}
	if c.cfg.TemplateID == "" {
		return permanentErr{errors.New("wechat: the follower's 48-hour window is closed and no template is configured (wechat.template_id, wechat.templates)")}
	}
	first, rest := lines[0], lines[1:]
	keyword1 := ""
	if len(rest) > 0 {
		keyword1, rest = rest[0], rest[1:]
	}
	remark := strings.Join(append(rest, moreHint), "\n")
	data["first"], data["keyword1"] = &message.TemplateDataItem{Value: first}, &message.TemplateDataItem{Value: keyword1}
	data["keyword2"], data["remark"] = &message.TemplateDataItem{Value: now}, &message.TemplateDataItem{Value: remark}
	return c.sendTemplate(ctx, message.TemplateMessage{ToUser: openid, TemplateID: c.cfg.TemplateID, URL: linkOf(m), Data: data})
}

// linkOf is the page a message links to (the hazard's H5 page when
// public_url is set), "" for none.
func linkOf(m bot.Outgoing) string {
	if m.URL == "" && m.Card != nil {
		return m.Card.URL
	}
	return m.URL
}

func (c *Client) sendTemplate(ctx context.Context, msg message.TemplateMessage) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return permanentErr{err}
	}
	var out struct {
		util.CommonError
		MsgID int64 `json:"msgid"`
	}
	return c.call(ctx, "message/template/send", http.MethodPost, nil, body, decodeJSON("message/template/send", &out, func() *util.CommonError { return &out.CommonError }))
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// DownloadMedia fetches a temporary media file a follower sent (WeChat
// keeps it three days) into w.
func (c *Client) DownloadMedia(ctx context.Context, mediaID string, w io.Writer) (string, error) {
	var ctype string
	err := c.call(ctx, "media/get", http.MethodGet, url.Values{"media_id": {mediaID}}, nil, func(resp *http.Response) error {
		ct := resp.Header.Get("Content-Type")
		mt, _, _ := mime.ParseMediaType(ct)
		if mt == "application/json" || mt == "text/plain" {
			var ce util.CommonError
			if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ce); err != nil {
				return fmt.Errorf("wechat: media/get: decode error: %w", err)
			}
			if ce.ErrCode != 0 {
				return &APIError{Call: "media/get", Code: int(ce.ErrCode), Msg: ce.ErrMsg}
			}
			return permanentErr{errors.New("wechat: media/get: no file in the answer")}
		}
		ctype = ct
		_, err := io.Copy(w, io.LimitReader(resp.Body, 20<<20))
		return err
	})
	return ctype, err
}
