// Package h5 serves the ledger's pages inside the WeCom client (H5): 首页
// (what waits on me, my scope's figures as charts), 台账 (the filterable
// ledger and its .xlsx), and one page per hazard with its photos, timeline
// and the actions the viewer may take. People sign in with WeCom's web OAuth
// (or, in demo mode only, by picking a demo user). Sessions live in the
// database, so any replica accepts them.
//
// Handlers here only translate HTTP: every figure comes from bot/models the
// way chat gets it, every chart is drawn by bot/report from those figures,
// and every action goes through bot.Transition, as a chat command or a card
// click does. Templates and static files are embedded in the binary; the
// pages load nothing from anywhere else.
package h5

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CodeExchanger turns a web-OAuth code into a WeCom userid. bot/wecom's
// Client implements it with auth/getuserinfo.
type CodeExchanger interface {
	UserIDByCode(ctx context.Context, code string) (string, error)
}

// Deps is what the pages need; main wires it once.
type Deps struct {
	Store  *models.Store
	Bot    *bot.Bot
	Files  bot.Files // photos; nil: photos cannot be shown or uploaded
	Config *config.Config
	// OAuth exchanges sign-in codes; nil outside WeCom (demo mode signs in
	// by picking a demo user instead).
	OAuth CodeExchanger
	Log   *slog.Logger
}

// Pages serves the H5 pages. Its handlers are registered in handlers/router.go.
type Pages struct {
	d      Deps
	log    *slog.Logger
	tpl    map[string]*template.Template
	static map[string]staticFile

	keyMu sync.Mutex
	key   []byte // signs cookies; shared by replicas through the database
}

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 8 * time.Hour

// Cookie names. Both are scoped to /h5/.
const (
	sessionCookie = "hz_session"
	stateCookie   = "hz_oauth"
)

// New returns the pages over d. Store, Bot and Config are required.
func New(d Deps) *Pages {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	p := &Pages{d: d, log: d.Log}
	p.tpl = parseTemplates()
	p.static = loadStatic()
	return p
}

// demo reports whether the server runs without WeCom (demo mode), where
// nobody signs in through WeCom.
func (p *Pages) demo() bool { return p.d.Config.DemoMode() }

// demoSignIn reports whether picking a user to sign in as is offered: in
// demo mode, on a database demo mode seeded (models' IsDemo, the rule the
// terminal chat obeys). A real directory on a server started without WeCom
// settings — a secrets mount gone missing, a WeChat-only deployment — must
// not let anyone on the network sign in as anyone, its admins included.
func (p *Pages) demoSignIn(ctx context.Context) (bool, error) {
	if !p.demo() {
		return false, nil
	}
	return p.d.Store.Reads(ctx).IsDemo()
}

// secure reports whether cookies must be Secure: the public URL is https.
func (p *Pages) secure() bool { return strings.HasPrefix(p.d.Config.PublicURL, "https://") }

// signingKey returns the cookie signing key, read (or made) once from the database.
func (p *Pages) signingKey(ctx context.Context) ([]byte, error) {
	p.keyMu.Lock()
	defer p.keyMu.Unlock()
	if p.key != nil {
		return p.key, nil
	}
	k, err := p.d.Store.SharedKey(ctx, "h5_cookie")
	if err != nil {
		return nil, err
	}
	p.key = k
	return k, nil
}

// sign returns v with its MAC appended.
func (p *Pages) sign(ctx context.Context, v string) (string, error) {
	k, err := p.signingKey(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(v))
	return v + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// unsign returns the value of a signed string, or false when the MAC is wrong.
func (p *Pages) unsign(ctx context.Context, s string) (string, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", false
	}
	want, err := p.sign(ctx, s[:i])
	if err != nil {
		return "", false
	}
	return s[:i], hmac.Equal([]byte(want), []byte(s))
}

// setCookie writes a cookie for /h5/: HttpOnly, SameSite=Lax, Secure on https.
func (p *Pages) setCookie(c *gin.Context, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/h5/", HttpOnly: true, Secure: p.secure(), SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
	} else {
		ck.MaxAge = -1
	}
	http.SetCookie(c.Writer, ck)
}

// Headers sets the pages' security headers: a strict Content-Security-Policy
// (everything from this server, no inline script or style), no framing, no
// sniffing, no referrer leaving the site.
func (p *Pages) Headers(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// viewer is the signed-in person of a request.
type viewer struct {
	Actor   *models.Actor
	Session *models.Session
}

const viewerKey = "h5.viewer"

func viewerOf(c *gin.Context) *viewer { return c.MustGet(viewerKey).(*viewer) }

// Auth requires a live session. Without one, a GET goes to sign-in and
// comes back afterwards; anything else gets 401 with a link to sign in. A
// POST must also carry the session's CSRF token.
func (p *Pages) Auth(c *gin.Context) {
	ctx := c.Request.Context()
	var sess *models.Session
	if raw, err := c.Cookie(sessionCookie); err == nil {
		if token, ok := p.unsign(ctx, raw); ok {
			s, err := p.d.Store.FindSession(ctx, token)
			if err != nil && models.ErrorCode(err) != models.ENotFound {
				p.fail(c, err)
				return
			}
			sess = s
		}
	}
	if sess == nil {
		if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
			c.Redirect(http.StatusFound, "/h5/login?next="+urlQueryEscape(c.Request.URL.RequestURI()))
			c.Abort()
			return
		}
		p.page(c, http.StatusUnauthorized, "error", errorView{Title: "请重新登录", Message: "登录已失效，请重新打开页面。", Link: "/h5/"})
		c.Abort()
		return
	}
	a, err := p.d.Store.Reads(ctx).Actor(sess.UserID)
	if err != nil {
		p.fail(c, err)
		return
	}
	if !a.Known() {
		p.page(c, http.StatusForbidden, "error", errorView{Title: "无权访问", Message: "你的账号不在通讯录中或已停用，请联系安委办管理员。"})
		c.Abort()
		return
	}
	if c.Request.Method == http.MethodPost {
		got := c.Request.Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.PostForm("_csrf") // parses the (size-limited) form
		}
		if !hmac.Equal([]byte(got), []byte(sess.CSRF)) {
			p.page(c, http.StatusForbidden, "error", errorView{Title: "请求无效", Message: "页面已过期或请求来源不明，请返回刷新后重试。", Link: "/h5/"})
			c.Abort()
			return
		}
	}
	c.Set(viewerKey, &viewer{Actor: a, Session: sess})
	c.Next()
}

// errorView is the error page.
type errorView struct {
	Title, Message, Link string
}

// statusOf maps a models error code to an HTTP status.
var statusOf = map[string]int{
	models.EInvalid:   http.StatusBadRequest,
	models.ENotFound:  http.StatusNotFound,
	models.EForbidden: http.StatusForbidden,
	models.EConflict:  http.StatusConflict,
}

var titleOf = map[int]string{
	http.StatusBadRequest: "输入有误",
	http.StatusNotFound:   "没有找到",
	http.StatusForbidden:  "无权访问",
	http.StatusConflict:   "状态已变化",
}

// fail shows err as an error page: a domain error with its own message and
// status; anything else is logged here, once, and shown as the generic message.
func (p *Pages) fail(c *gin.Context, err error) {
	code := models.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		if errors.Is(err, context.Canceled) {
			c.Abort()
			return
		}
		p.log.Error("page failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
		status = http.StatusInternalServerError
	}
	title := titleOf[status]
	if title == "" {
		title = "出错了"
	}
	p.page(c, status, "error", errorView{Title: title, Message: models.ErrorMessage(err), Link: "/h5/"})
	c.Abort()
}

// NotFound answers an unknown /h5/ address with a page.
func (p *Pages) NotFound(c *gin.Context) {
	p.page(c, http.StatusNotFound, "error", errorView{Title: "没有找到", Message: "没有这个页面。", Link: "/h5/"})
}

// layout is what every page's frame needs.
type layout struct {
	Title string
	Nav   string // which tab is current: home, ledger
	Name  string // the viewer's name, "" before sign-in
	Unit  string
	CSRF  string
	CSS   string // versioned address of the stylesheet
	JS    string
	Body  any
}

// page renders the named template inside the layout.
func (p *Pages) page(c *gin.Context, status int, name string, body any) {
	t := p.tpl[name]
	l := layout{Body: body, CSS: p.staticURL("app.css"), JS: p.staticURL("app.js")}
	if v, ok := c.Get(viewerKey); ok {
		vw := v.(*viewer)
		l.Name, l.CSRF = vw.Actor.Display(), vw.Session.CSRF
		if vw.Actor.Unit != nil {
			l.Unit = vw.Actor.Unit.ShortName()
		}
	}
	if tv, ok := body.(interface{ title() (string, string) }); ok {
		l.Title, l.Nav = tv.title()
	}
	if ev, ok := body.(errorView); ok {
		l.Title = ev.Title
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	if err := t.ExecuteTemplate(c.Writer, "layout", l); err != nil {
		p.log.Error("render page", "page", name, "err", err)
	}
}

// templatePages are the pages; each is parsed with layout.html.
var templatePages = []string{"home", "ledger", "hazard", "error", "demo"}

func parseTemplates() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range templatePages {
		t := template.New("layout").Funcs(funcs)
		out[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

// staticFile is one embedded asset with its version (a content hash).
type staticFile struct {
	data    []byte
	ctype   string
	version string
}

func loadStatic() map[string]staticFile {
	out := map[string]staticFile{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err) // the embed is part of the binary
	}
	for _, e := range entries {
		data, _ := staticFS.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(data)
		ctype := "text/css; charset=utf-8"
		if strings.HasSuffix(e.Name(), ".js") {
			ctype = "text/javascript; charset=utf-8"
		}
		out[e.Name()] = staticFile{data: data, ctype: ctype, version: fmt.Sprintf("%x", sum[:6])}
	}
	return out
}

func (p *Pages) staticURL(name string) string {
	return "/h5/static/" + name + "?v=" + p.static[name].version
}

// Static serves an embedded asset; its address carries its version, so it
// may be cached for a year.
func (p *Pages) Static(c *gin.Context) {
	f, ok := p.static[strings.TrimPrefix(c.Param("name"), "/")]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, f.ctype, f.data)
}
