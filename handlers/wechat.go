package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"hazardbot/bot"
	"hazardbot/bot/wechat"
	"hazardbot/models"
)

func wechatQuery(c *gin.Context) wechat.Query {
	q := c.Request.URL.Query()
	return wechat.Query{Signature: q.Get("signature"), Timestamp: q.Get("timestamp"), Nonce: q.Get("nonce"),
		EchoStr: q.Get("echostr"), EncryptType: q.Get("encrypt_type"), MsgSignature: q.Get("msg_signature")}
}

// wechatVerify answers the Official Account's check of the server address.
func (s *Server) wechatVerify(c *gin.Context) {
	start := time.Now()
	if s.d.WeChat == nil {
		c.String(http.StatusServiceUnavailable, "wechat callback not configured")
		return
	}
	echo, err := s.d.WeChat.VerifyURL(wechatQuery(c), s.d.Store.Now(), s.d.Config.WeCom.CallbackWindow)
	if err != nil {
		s.refuse(c, "wechat_verify_url", err, start)
		return
	}
	s.d.Metrics.ObserveCallback("wechat_verify_url", "ok", time.Since(start))
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(echo))
}

// wechatReceive takes one message from a follower, exactly as the WeCom
// callback does: verify (signature, the same time window as WeCom's, app
// id), let the bot
// handle it in one transaction (deduplicated by message id), answer with
// the passive reply, encrypted when the request was.
func (s *Server) wechatReceive(c *gin.Context) {
	start := time.Now()
	if s.d.WeChat == nil {
		c.String(http.StatusServiceUnavailable, "wechat callback not configured")
		return
	}
	body, ok := s.readCallback(c, "wechat", start)
	if !ok {
		return
	}
	q := wechatQuery(c)
	in, err := s.d.WeChat.Open(q, body, s.d.Store.Now(), s.d.Config.WeCom.CallbackWindow)
	if err != nil {
		s.refuse(c, "wechat", err, start)
		return
	}
	kind, outcome := "wechat_"+callbackKind(in.Msg), "ok"
	reply, err := s.d.Bot.Handle(c.Request.Context(), in.Msg)
	if err != nil {
		s.log.Error("wechat callback failed", "kind", kind, "err", err)
		reply, outcome = bot.Reply{Text: models.InternalMessage}, "handler_error"
	}
	out, err := s.d.WeChat.Seal(reply, in, s.d.Store.Now(), q.Nonce)
	if err != nil {
		s.log.Error("wechat reply not sealed", "kind", kind, "err", err)
		s.d.Metrics.ObserveCallback(kind, "seal_error", time.Since(start))
		c.Status(http.StatusInternalServerError)
		return
	}
	s.d.Metrics.ObserveCallback(kind, outcome, time.Since(start))
	if out == nil {
		c.String(http.StatusOK, "success") // nothing to say: WeChat wants "success" or empty
		return
	}
	c.Data(http.StatusOK, "application/xml; charset=utf-8", out)
}

// bindCode: POST /api/v1/units/{code}/bind-code issues a binding code, as
// 绑定码 does in chat (with actor, under that supervisor's rules).
func (s *Server) bindCode(c *gin.Context) {
	var in struct {
		Actor string `json:"actor"`
	}
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &in); err != nil {
			s.fail(c, err)
			return
		}
	}
	respond(s, c, func(tx *models.Tx) (*models.BindCode, error) { return s.d.Bot.BindCode(tx, in.Actor, c.Param("code")) })
}

// setUnitGroup: POST /api/v1/units/{code}/group names where the unit's
// group pushes go.
func (s *Server) setUnitGroup(c *gin.Context) {
	var in struct {
		WebhookKey string `json:"webhook_key"`
		ChatID     string `json:"chat_id"`
	}
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	respond(s, c, func(tx *models.Tx) (*models.Unit, error) {
		return tx.SetUnitGroup(c.Param("code"), in.WebhookKey, in.ChatID)
	})
}
