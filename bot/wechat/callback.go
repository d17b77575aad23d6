// Package wechat is hazardbot's only code that speaks the WeChat Official
// Account (公众号): it verifies and opens the callbacks WeChat posts, in
// plain and in safe mode, seals the passive replies, and calls the Official
// Account API for customer-service and template messages and for the
// photos followers send. Everything above it sees only bot.Message,
// bot.Reply and bot.Outgoing, with a follower's openid as the user id
// models.WeChatUserID(openid).
//
// The message crypto is WeCom's (WXBizMsgCrypt with the app id as receive
// id), so it is bot/wecom's Crypto; the message shapes are silenceper's
// officialaccount/message types. silenceper's own server (officialaccount/
// server) is not used: it reads the request itself, has no timestamp window,
// no body cap and no DOCTYPE refusal, and answers inside its own handler,
// where hazardbot must answer after one database transaction.
package wechat

import (
	"crypto/subtle"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
	"hazardbot/models"
)

// MaxCallbackBody is the largest callback body accepted, as for WeCom.
const MaxCallbackBody = wecom.MaxCallbackBody

// Callback verifies and opens one Official Account's callbacks. Its
// String hides the token and key.
type Callback struct {
	token string
	appID string
	aes   *wecom.Crypto // nil: plain mode only (no EncodingAESKey set)
}

// NewCallback checks the callback settings. aesKey may be empty (plain
// mode); when it is set, only safe-mode (encrypted) callbacks are accepted,
// because a plain callback's signature does not cover its body.
func NewCallback(token, aesKey, appID string) (*Callback, error) {
	if token == "" {
		return nil, fmt.Errorf("wechat: callback Token is empty")
	}
	if appID == "" {
		return nil, fmt.Errorf("wechat: AppID is empty")
	}
	c := &Callback{token: token, appID: appID}
	if aesKey != "" {
		aes, err := wecom.NewCrypto(token, aesKey, appID)
		if err != nil {
			return nil, fmt.Errorf("wechat: %w", err)
		}
		c.aes = aes
	}
	return c, nil
}

// AppID is the account's app id.
func (c *Callback) AppID() string { return c.appID }

// Safe reports whether the account runs in safe mode.
func (c *Callback) Safe() bool { return c.aes != nil }

// String describes c without its secrets.
func (c *Callback) String() string { return "wechat.Callback{app: " + c.appID + "}" }

// GoString hides the secrets from %#v as well.
func (c *Callback) GoString() string { return c.String() }

// Query is the callback's query string.
type Query struct {
	Signature    string // signature: over token, timestamp, nonce
	Timestamp    string
	Nonce        string
	EchoStr      string // URL verification only
	EncryptType  string // "aes" in safe mode
	MsgSignature string // msg_signature: over token, timestamp, nonce, Encrypt
}

// verifyPlain checks the plain signature (token, timestamp and nonce, no
// payload) in constant time.
func (c *Callback) verifyPlain(q Query) error {
	want := util.Signature(c.token, q.Timestamp, q.Nonce)
	if subtle.ConstantTimeCompare([]byte(q.Signature), []byte(want)) != 1 {
		return wecom.ErrBadSignature
	}
	return nil
}

// VerifyURL answers WeChat's GET check of the server address: the echostr
// comes back as it is when the plain signature matches and the timestamp
// is fresh.
func (c *Callback) VerifyURL(q Query, now time.Time, window time.Duration) (string, error) {
	if q.EchoStr == "" {
		return "", fmt.Errorf("%w: echostr is empty", wecom.ErrBadRequest)
	}
	if err := c.verifyPlain(q); err != nil {
		return "", err
	}
	if err := wecom.Fresh(q.Timestamp, time.Time{}, now, window); err != nil {
		return "", err
	}
	return q.EchoStr, nil
}

// Inbound is an opened callback: the message, and what sealing the reply
// needs.
type Inbound struct {
	Msg bot.Message
	// Account is the account's original id (gh_…), the reply's sender.
	Account string
	OpenID  string
	// Safe says the request was encrypted, so the reply must be too.
	Safe bool
}

// Open verifies one POSTed callback and parses it. Refused: a bad or
// missing signature, a timestamp or CreateTime outside window of now (the
// WeCom callback's window, wecom.Fresh), a plain request to an account in
// safe mode, a payload for another app id, an oversized body, a DOCTYPE.
// Errors wrap wecom.ErrBadSignature or wecom.ErrBadRequest (wecom.ErrStale
// for the window).
func (c *Callback) Open(q Query, body []byte, now time.Time, window time.Duration) (Inbound, error) {
	if len(body) > MaxCallbackBody {
		return Inbound{}, fmt.Errorf("%w: body larger than %d bytes", wecom.ErrBadRequest, MaxCallbackBody)
	}
	var inner []byte
	safe := q.EncryptType == "aes"
	switch {
	case safe && c.aes == nil:
		return Inbound{}, fmt.Errorf("%w: encrypted callback but no aes_key configured", wecom.ErrBadRequest)
	case !safe && c.aes != nil:
		return Inbound{}, fmt.Errorf("%w: plain callback to an account in safe mode", wecom.ErrBadRequest)
	case safe:
		var env message.EncryptedXMLMsg
		if err := wecom.DecodeXML(body, &env); err != nil {
			return Inbound{}, err
		}
		if env.EncryptedMsg == "" {
			return Inbound{}, fmt.Errorf("%w: no Encrypt element", wecom.ErrBadRequest)
		}
		if err := c.aes.Verify(q.MsgSignature, q.Timestamp, q.Nonce, env.EncryptedMsg); err != nil {
			return Inbound{}, err
		}
		var err error
		if inner, err = c.aes.Decrypt(env.EncryptedMsg); err != nil {
			return Inbound{}, err
		}
	default:
		if err := c.verifyPlain(q); err != nil {
			return Inbound{}, err
		}
		inner = body
	}
	in, err := Decode(inner)
	if err != nil {
		return Inbound{}, err
	}
	if err := wecom.Fresh(q.Timestamp, in.Msg.Time, now, window); err != nil {
		return Inbound{}, err
	}
	in.Safe = safe
	return in, nil
}

// Decode parses a callback's plaintext XML (silenceper's MixMessage) into
// a bot.Message. The user id is models.WeChatUserID(openid); media ids get
// the same prefix so the photo fetcher asks WeChat, not WeCom, for them;
// message ids too, so they can never meet a WeCom MsgId in the dedupe
// table.
func Decode(inner []byte) (Inbound, error) {
	var x message.MixMessage
	if err := wecom.DecodeXML(inner, &x); err != nil {
		return Inbound{}, err
	}
	openid, account := string(x.FromUserName), string(x.ToUserName)
	switch {
	case openid == "":
		return Inbound{}, fmt.Errorf("%w: no FromUserName", wecom.ErrBadRequest)
	case x.MsgType == "":
		return Inbound{}, fmt.Errorf("%w: no MsgType", wecom.ErrBadRequest)
	case x.CreateTime <= 0:
		return Inbound{}, fmt.Errorf("%w: no CreateTime", wecom.ErrBadRequest)
	}
	for _, f := range []float64{x.LocationX, x.LocationY} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Inbound{}, fmt.Errorf("%w: coordinate is not a number", wecom.ErrBadRequest)
		}
	}
	user := models.WeChatUserID(openid)
	created := strconv.FormatInt(x.CreateTime, 10)
	m := bot.Message{UserID: user, Kind: bot.Kind(x.MsgType), Time: time.Unix(x.CreateTime, 0).UTC()}
	media := func(id string) string {
		if id == "" {
			return ""
		}
		return models.WeChatPrefix + id
	}
	switch x.MsgType {
	case message.MsgTypeText:
		m.Text = x.Content
	case message.MsgTypeImage:
		m.MediaID, m.PicURL = media(x.MediaID), x.PicURL
	case message.MsgTypeVoice:
		m.MediaID, m.Format = media(x.MediaID), x.Format
		if x.Recognition != "" {
			// Speech recognition on: treat the words as typed.
			m.Kind, m.Text = bot.KindText, x.Recognition
		}
	case message.MsgTypeVideo, message.MsgTypeShortVideo:
		m.Kind, m.MediaID, m.ThumbID = bot.KindVideo, media(x.MediaID), media(x.ThumbMediaID)
	case message.MsgTypeLocation:
		m.Lat, m.Lng, m.Scale, m.Label = x.LocationX, x.LocationY, int(x.Scale), x.Label
	case message.MsgTypeLink:
		m.Title, m.Description, m.URL = x.Title, x.Description, x.URL
	case message.MsgTypeEvent:
		m.Event, m.EventKey = string(x.Event), x.EventKey
		switch x.Event {
		case message.EventSubscribe:
			m.Event = bot.EventSubscribe
		case message.EventUnsubscribe:
			m.Event = bot.EventUnsubscribe
		case message.EventClick:
			m.Event = bot.EventClick
		}
		m.ID = user + "|" + created + "|" + string(x.Event) + "|" + x.EventKey
		return Inbound{Msg: m, Account: account, OpenID: openid}, nil
	}
	if x.MsgID != 0 {
		m.ID = models.WeChatPrefix + strconv.FormatInt(x.MsgID, 10)
	} else {
		m.ID = user + "|" + created + "|" + string(x.MsgType)
	}
	return Inbound{Msg: m, Account: account, OpenID: openid}, nil
}

// Seal renders reply as the passive reply to in: a text message from the
// account to the follower, encrypted when the request was. An empty reply
// seals to nil (answer "success"). A card's ButtonText has no WeChat
// equivalent and is sent as text.
func (c *Callback) Seal(reply bot.Reply, in Inbound, now time.Time, nonce string) ([]byte, error) {
	content := reply.Text
	if content == "" {
		content = reply.ButtonText
	}
	if content == "" {
		return nil, nil
	}
	txt := message.NewText(content)
	txt.SetToUserName(message.CDATA(in.OpenID))
	txt.SetFromUserName(message.CDATA(in.Account))
	txt.SetCreateTime(now.Unix())
	txt.SetMsgType(message.MsgTypeText)
	plain, err := xml.Marshal(txt)
	if err != nil {
		return nil, fmt.Errorf("wechat: seal reply: %w", err)
	}
	if !in.Safe {
		return plain, nil
	}
	if c.aes == nil {
		return nil, fmt.Errorf("wechat: seal reply: safe mode without aes_key")
	}
	if nonce == "" {
		nonce = "hazardbot"
	}
	enc := c.aes.Encrypt(plain)
	ts := now.Unix()
	out, err := xml.Marshal(message.ResponseEncryptedXMLMsg{
		EncryptedMsg: enc,
		MsgSignature: c.aes.Signature(strconv.FormatInt(ts, 10), nonce, enc),
		Timestamp:    ts,
		Nonce:        nonce,
	})
	if err != nil {
		return nil, fmt.Errorf("wechat: seal reply: %w", err)
	}
	return out, nil
}
