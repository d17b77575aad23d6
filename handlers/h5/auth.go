package h5

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hazardbot/bot/wecom"
	"hazardbot/models"
)

// stateTTL bounds a sign-in round trip through WeCom.
const stateTTL = 10 * time.Minute

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext returns where to go after sign-in: a path under /h5/ on this
// site, never another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/h5/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/h5/"
	}
	if strings.HasPrefix(next, "/h5/login") || strings.HasPrefix(next, "/h5/oauth") {
		return "/h5/"
	}
	return next
}

func randomState() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Login starts a sign-in: GET /h5/login?next=…. Inside WeCom it sends the
// browser to WeCom's web authorisation with a fresh random state, which it
// also keeps in a signed cookie, so only this browser can finish the
// sign-in; in demo mode on a demo database it shows the demo users to pick
// from, and on any other database says why nobody can sign in.
func (p *Pages) Login(c *gin.Context) {
	next := safeNext(c.Query("next"))
	demo, err := p.demoSignIn(c.Request.Context())
	if err != nil {
		p.fail(c, err)
		return
	}
	if demo {
		c.Redirect(http.StatusFound, "/h5/demo?next="+url.QueryEscape(next))
		return
	}
	if p.demo() {
		p.page(c, http.StatusServiceUnavailable, "error", errorView{Title: "暂不能登录",
			Message: "服务器没有配置企业微信（HAZARDBOT_WECOM_*），无法通过企业微信登录；演示登录只在演示数据库上提供。请联系管理员。"})
		return
	}
	cfg := p.d.Config
	if cfg.PublicURL == "" || p.d.OAuth == nil {
		p.page(c, http.StatusServiceUnavailable, "error", errorView{Title: "暂不能登录",
			Message: "服务器没有配置公开地址（public_url / HAZARDBOT_PUBLIC_URL），无法通过企业微信登录，请联系管理员。"})
		return
	}
	state := randomState()
	signed, err := p.sign(c.Request.Context(), state+"|"+next)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.setCookie(c, stateCookie, signed, stateTTL)
	// WeCom wants the parameters in this order and the fragment at the end.
	u := cfg.WeCom.OAuthBase + "/connect/oauth2/authorize?appid=" + url.QueryEscape(cfg.WeCom.CorpID) +
		"&redirect_uri=" + url.QueryEscape(cfg.PublicURL+"/h5/oauth") +
		"&response_type=code&scope=snsapi_base&state=" + state +
		"&agentid=" + strconv.Itoa(cfg.WeCom.AgentID) + "#wechat_redirect"
	c.Redirect(http.StatusFound, u)
}

// OAuth finishes a sign-in: GET /h5/oauth?code=…&state=…, where WeCom sends
// the browser back. The state must be the one this browser's cookie holds
// (the cookie is then spent); the code is exchanged through the WeCom API
// client, which refuses a code used before; the userid must be in the
// directory.
func (p *Pages) OAuth(c *gin.Context) {
	ctx := c.Request.Context()
	if p.d.OAuth == nil || p.demo() {
		p.NotFound(c)
		return
	}
	refuse := func(msg string) {
		p.page(c, http.StatusBadRequest, "error", errorView{Title: "登录失败", Message: msg, Link: "/h5/"})
	}
	raw, _ := c.Cookie(stateCookie)
	p.setCookie(c, stateCookie, "", 0)
	val, ok := p.unsign(ctx, raw)
	state, next, _ := strings.Cut(val, "|")
	if !ok || state == "" || !hmac.Equal([]byte(state), []byte(c.Query("state"))) {
		refuse("登录校验未通过（链接已用过、已过期或不是从本页发起），请重新打开应用。")
		return
	}
	code := c.Query("code")
	if code == "" {
		refuse("企业微信没有返回登录码，请重新打开应用。")
		return
	}
	userid, err := p.d.OAuth.UserIDByCode(ctx, code)
	if err != nil {
		var ae *wecom.APIError
		if errors.As(err, &ae) && ae.Permanent() {
			p.log.Warn("h5 sign-in refused by WeCom", "errcode", ae.Code)
			refuse("登录码无效或已使用，请重新打开应用。")
			return
		}
		p.log.Error("h5 sign-in: getuserinfo failed", "err", err)
		p.page(c, http.StatusBadGateway, "error", errorView{Title: "登录失败", Message: "暂时连不上企业微信，请稍后再试。", Link: "/h5/"})
		return
	}
	p.startSession(c, userid, next)
}

// startSession signs userid in, if the directory knows them, and goes on to next.
func (p *Pages) startSession(c *gin.Context, userid, next string) {
	ctx := c.Request.Context()
	a, err := p.d.Store.Reads(ctx).Actor(userid)
	if err != nil {
		p.fail(c, err)
		return
	}
	if !a.Known() {
		p.log.Info("h5 sign-in of a user the directory does not know", "userid", userid)
		p.page(c, http.StatusForbidden, "error", errorView{Title: "无权访问",
			Message: "通讯录里没有你的账号（" + userid + "），请联系安委办管理员添加后再打开。"})
		return
	}
	token, _, err := p.d.Store.CreateSession(ctx, userid, SessionTTL)
	if err != nil {
		p.fail(c, err)
		return
	}
	signed, err := p.sign(ctx, token)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.setCookie(c, sessionCookie, signed, SessionTTL)
	c.Redirect(http.StatusFound, safeNext(next))
}

// demoView lists the demo users.
type demoView struct {
	Next  string
	Users []demoUser
}

type demoUser struct {
	UserID, Name, Unit, Roles string
}

func (demoView) title() (string, string) { return "演示登录", "" }

// demoOnly answers 404 and returns false unless the demo sign-in is
// offered (demoSignIn).
func (p *Pages) demoOnly(c *gin.Context) bool {
	demo, err := p.demoSignIn(c.Request.Context())
	if err != nil {
		p.fail(c, err)
		return false
	}
	if !demo {
		p.NotFound(c)
		return false
	}
	return true
}

// DemoList shows the directory's users to sign in as: GET /h5/demo, demo
// mode on a demo database only (404 otherwise).
func (p *Pages) DemoList(c *gin.Context) {
	if !p.demoOnly(c) {
		return
	}
	tx := p.d.Store.Reads(c.Request.Context())
	users, err := tx.Users()
	if err != nil {
		p.fail(c, err)
		return
	}
	v := demoView{Next: safeNext(c.Query("next"))}
	for _, u := range users {
		if !u.Active {
			continue
		}
		du := demoUser{UserID: u.UserID, Name: u.Name}
		if un, err := tx.FindUnit(u.UnitID); err == nil {
			du.Unit = un.ShortName()
		}
		var roles []string
		for _, r := range u.Roles.List() {
			roles = append(roles, models.RoleName(r))
		}
		du.Roles = strings.Join(roles, "、")
		v.Users = append(v.Users, du)
	}
	p.page(c, http.StatusOK, "demo", v)
}

// DemoLogin signs in as ?user= without WeCom: GET /h5/demo-login, demo mode
// on a demo database only (404 otherwise).
func (p *Pages) DemoLogin(c *gin.Context) {
	if !p.demoOnly(c) {
		return
	}
	p.startSession(c, c.Query("user"), c.Query("next"))
}

// Logout ends the session: POST /h5/logout.
func (p *Pages) Logout(c *gin.Context) {
	if raw, err := c.Cookie(sessionCookie); err == nil {
		if token, ok := p.unsign(c.Request.Context(), raw); ok {
			if err := p.d.Store.DeleteSession(c.Request.Context(), token); err != nil {
				p.fail(c, err)
				return
			}
		}
	}
	p.setCookie(c, sessionCookie, "", 0)
	c.Redirect(http.StatusSeeOther, "/h5/")
}
