package handlers

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
	"hazardbot/models"
)

// maxCallbackBody caps a callback's body. WeCom's largest callbacks (a
// template card event with answers) are a few kilobytes; 64 KiB leaves
// room and keeps a flood of large bodies from costing memory.
const maxCallbackBody = 64 << 10

// callbackKind labels a callback in the metrics: its message type, and for
// events the event name too.
func callbackKind(m bot.Message) string {
	if m.Kind == bot.KindEvent {
		return "event:" + m.Event
	}
	return string(m.Kind)
}

// openFailure maps a wecom callback error to its status and metric outcome.
// A signed callback that is refused (stale, or for another app) is 403:
// it is well formed, and WeCom has no business sending it.
func openFailure(err error) (int, string) {
	switch {
	case errors.Is(err, wecom.ErrBadSignature):
		return http.StatusForbidden, "bad_signature"
	case errors.Is(err, wecom.ErrStale):
		return http.StatusForbidden, "stale"
	case errors.Is(err, wecom.ErrWrongAgent):
		return http.StatusForbidden, "wrong_agent"
	}
	return http.StatusBadRequest, "bad_request"
}

// readCallback reads a callback's body within maxCallbackBody. A body that
// is too large or cut short is answered here (413 or 400, counted under
// kind) and ok is false.
func (s *Server) readCallback(c *gin.Context, kind string, start time.Time) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCallbackBody))
	if err != nil {
		status, outcome := http.StatusBadRequest, "bad_request"
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status, outcome = http.StatusRequestEntityTooLarge, "too_large"
		}
		s.d.Metrics.ObserveCallback(kind, outcome, time.Since(start))
		c.String(status, http.StatusText(status))
		return nil, false
	}
	return body, true
}

// refuse answers a callback that failed verification (openFailure's
// status) and counts it under kind; it touched nothing.
func (s *Server) refuse(c *gin.Context, kind string, err error, start time.Time) {
	status, outcome := openFailure(err)
	s.d.Metrics.ObserveCallback(kind, outcome, time.Since(start))
	c.String(status, http.StatusText(status))
}

// callbackVerify answers WeCom's URL verification with the decrypted echostr.
func (s *Server) callbackVerify(c *gin.Context) {
	start := time.Now()
	if s.d.Crypto == nil {
		c.String(http.StatusServiceUnavailable, "wecom callback not configured")
		return
	}
	q := c.Request.URL.Query()
	echo, err := s.d.Crypto.VerifyURL(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
	if err != nil {
		s.refuse(c, "verify_url", err, start)
		return
	}
	s.d.Metrics.ObserveCallback("verify_url", "ok", time.Since(start))
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(echo))
}

// callbackReceive takes one message: verify and decrypt, let the bot
// handle it (deduplicated by message id in the database), and answer with
// the sealed passive reply. A request that fails verification, or that
// wecom.Admit refuses (outside the time window, another app), touches
// nothing. An internal error is logged once and answered with the generic
// message, so the user knows, and WeCom does not retry into the same fault.
func (s *Server) callbackReceive(c *gin.Context) {
	start := time.Now()
	if s.d.Crypto == nil {
		c.String(http.StatusServiceUnavailable, "wecom callback not configured")
		return
	}
	body, ok := s.readCallback(c, "unknown", start)
	if !ok {
		return
	}
	q := c.Request.URL.Query()
	nonce := q.Get("nonce")
	msg, err := s.d.Crypto.Open(q.Get("msg_signature"), q.Get("timestamp"), nonce, body)
	if err == nil {
		err = wecom.Admit(msg, q.Get("timestamp"), s.d.Store.Now(), s.d.Config.WeCom.CallbackWindow, s.d.AgentID)
		if err != nil {
			s.log.Warn("callback refused", "user", msg.UserID, "err", err)
		}
	}
	if err != nil {
		s.refuse(c, "unknown", err, start)
		return
	}
	kind, outcome := callbackKind(msg), "ok"
	reply, err := s.d.Bot.Handle(c.Request.Context(), msg)
	if err != nil {
		s.log.Error("callback failed", "kind", kind, "user", msg.UserID, "err", err)
		reply, outcome = bot.Reply{Text: models.InternalMessage}, "handler_error"
	}
	if nonce == "" {
		nonce = "hazardbot" // Seal needs one; WeCom always sends it
	}
	out, err := s.d.Crypto.Seal(reply, msg.UserID, s.d.AgentID, s.d.Store.Now(), nonce)
	if err != nil {
		s.log.Error("callback reply not sealed", "kind", kind, "err", err)
		s.d.Metrics.ObserveCallback(kind, "seal_error", time.Since(start))
		c.Status(http.StatusInternalServerError)
		return
	}
	s.d.Metrics.ObserveCallback(kind, outcome, time.Since(start))
	if out == nil {
		c.Status(http.StatusOK) // nothing to say: WeCom wants an empty 200
		return
	}
	c.Data(http.StatusOK, "application/xml; charset=utf-8", out)
}
