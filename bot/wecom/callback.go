package wecom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"hazardbot/bot"
)

// MaxCallbackBody is the largest callback body Open accepts. WeCom's
// callbacks are a few kilobytes (a text message is at most 2048 bytes);
// the HTTP layer should cap its reader at this size too
// (http.MaxBytesReader) so a huge body is never read into memory.
const MaxCallbackBody = 256 << 10

// maxXMLDepth bounds element nesting. WeCom's deepest payload is
// xml>SelectedItems>SelectedItem>OptionIds>OptionId (5); anything much
// deeper is an attack on the parser, not a message.
const maxXMLDepth = 16

// Open verifies and decrypts one POSTed callback and parses it into a
// bot.Message. msgSignature, timestamp and nonce are the query parameters
// msg_signature, timestamp and nonce; body is the request body.
//
// Unknown MsgTypes and events come back as a Message with Kind and Event
// as sent and no error, so the bot can ignore them; only a bad signature
// (ErrBadSignature) or a malformed request (ErrBadRequest) is an error.
func (c *Crypto) Open(msgSignature, timestamp, nonce string, body []byte) (bot.Message, error) {
	if len(body) > MaxCallbackBody {
		return bot.Message{}, fmt.Errorf("%w: body larger than %d bytes", ErrBadRequest, MaxCallbackBody)
	}
	var env struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName string
		AgentID    string
		Encrypt    string
	}
	if err := decodeXML(body, &env); err != nil {
		return bot.Message{}, err
	}
	if env.Encrypt == "" {
		return bot.Message{}, fmt.Errorf("%w: no Encrypt element", ErrBadRequest)
	}
	if err := c.verify(msgSignature, timestamp, nonce, env.Encrypt); err != nil {
		return bot.Message{}, err
	}
	// The envelope's ToUserName and AgentID are not covered by the
	// signature; only the encrypted copy inside is trusted.
	inner, err := c.decrypt(env.Encrypt)
	if err != nil {
		return bot.Message{}, err
	}
	return DecodeInbound(inner)
}

// Admit decides whether a message Open returned may be handled: its inner
// AgentID must be agentID, and both the request's timestamp query parameter
// and the message's CreateTime must lie within window of now, either way.
// The signature covers the timestamp and the encrypted CreateTime, so a
// request captured on the way (a proxy log, a leaked capture) cannot be
// posted again once the window has passed; within the window the handled
// message's dedupe row answers it. The error wraps ErrStale or
// ErrWrongAgent and never quotes the payload.
func Admit(m bot.Message, timestamp string, now time.Time, window time.Duration, agentID int64) error {
	if m.AgentID != agentID {
		return fmt.Errorf("%w (AgentID %d)", ErrWrongAgent, m.AgentID)
	}
	return Fresh(timestamp, m.Time, now, window)
}

// Fresh is the callback time window, shared by every callback (WeCom's and
// the WeChat Official Account's): the request's signed timestamp and the
// message's CreateTime (zero: not checked) must both lie within window of
// now, either way. The error wraps ErrStale.
func Fresh(timestamp string, created, now time.Time, window time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp is not a number", ErrBadRequest)
	}
	for _, f := range []struct {
		name string
		at   time.Time
	}{{"timestamp", time.Unix(ts, 0)}, {"CreateTime", created}} {
		if f.at.IsZero() {
			continue
		}
		if d := now.Sub(f.at); d > window || d < -window {
			return fmt.Errorf("%w: %s is %s from now", ErrStale, f.name, d.Round(time.Second))
		}
	}
	return nil
}

// Seal renders reply as the encrypted passive reply to user toUser, ready
// to be written as the callback's response body (Content-Type text/xml).
// The plaintext is a text message, or — when reply.ButtonText is set, as
// the answer to a template_card_event — WeCom's update_button message,
// which replaces the clicked card's buttons for that user; reply.Text is
// then not sent. An empty reply seals to nil: answer with an empty body.
// now and nonce are the reply's TimeStamp and Nonce (the request's nonce
// is fine to reuse).
func (c *Crypto) Seal(reply bot.Reply, toUser string, agentID int64, now time.Time, nonce string) ([]byte, error) {
	if reply.Empty() {
		return nil, nil
	}
	if toUser == "" {
		return nil, errors.New("wecom: seal reply: no recipient")
	}
	if nonce == "" {
		return nil, errors.New("wecom: seal reply: empty nonce")
	}
	r := replyXML{
		ToUserName:   cdata{toUser},
		FromUserName: cdata{c.corpID},
		CreateTime:   now.Unix(),
		AgentID:      agentID,
	}
	if reply.ButtonText != "" {
		r.MsgType = cdata{"update_button"}
		r.Button = &replyButton{ReplaceName: cdata{reply.ButtonText}}
	} else {
		r.MsgType = cdata{"text"}
		r.Content = &cdata{reply.Text}
	}
	inner, err := xml.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("wecom: seal reply: %w", err)
	}
	encrypted := c.encrypt(inner)
	ts := strconv.FormatInt(now.Unix(), 10)
	out, err := xml.Marshal(replyEnvelope{
		Encrypt:      cdata{encrypted},
		MsgSignature: cdata{c.signature(ts, nonce, encrypted)},
		TimeStamp:    now.Unix(),
		Nonce:        cdata{nonce},
	})
	if err != nil {
		return nil, fmt.Errorf("wecom: seal reply: %w", err)
	}
	return out, nil
}

// inboundXML is the decrypted plaintext of a callback: one flat element
// set shared by every message and event type (WeCom's 接收消息 and 事件格式).
type inboundXML struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string
	FromUserName string
	CreateTime   int64
	MsgType      string
	AgentID      int64
	MsgId        string

	Content      string // text
	PicUrl       string // image, link
	MediaId      string // image, voice, video
	Format       string // voice
	ThumbMediaId string // video

	LocationX float64 `xml:"Location_X"` // location: latitude
	LocationY float64 `xml:"Location_Y"` // location: longitude
	Scale     int
	Label     string

	Title       string // link
	Description string
	Url         string

	Event     string
	EventKey  string
	Latitude  float64 // LOCATION event
	Longitude float64
	Precision float64

	TaskId        string // template_card_event
	CardType      string
	ResponseCode  string
	SelectedItems []struct {
		QuestionKey string
		OptionIds   []string `xml:"OptionIds>OptionId"`
	} `xml:"SelectedItems>SelectedItem"`
}

// DecodeInbound parses the decrypted plaintext of a callback into a
// bot.Message. Open calls it after verifying and decrypting; it is
// exported for code that already holds plaintext (tests, the fake API).
//
// The Message's ID is the dedupe key: MsgId for messages; for events
// FromUserName|CreateTime|Event|EventKey, plus |TaskId for card events,
// because WeCom resends an event with the same CreateTime when it retries.
func DecodeInbound(inner []byte) (bot.Message, error) {
	var x inboundXML
	if err := decodeXML(inner, &x); err != nil {
		return bot.Message{}, err
	}
	switch {
	case x.FromUserName == "":
		return bot.Message{}, fmt.Errorf("%w: no FromUserName", ErrBadRequest)
	case x.MsgType == "":
		return bot.Message{}, fmt.Errorf("%w: no MsgType", ErrBadRequest)
	case x.CreateTime <= 0:
		return bot.Message{}, fmt.Errorf("%w: no CreateTime", ErrBadRequest)
	}
	for _, f := range []float64{x.LocationX, x.LocationY, x.Latitude, x.Longitude} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return bot.Message{}, fmt.Errorf("%w: coordinate is not a number", ErrBadRequest)
		}
	}
	m := bot.Message{
		UserID:  x.FromUserName,
		AgentID: x.AgentID,
		Kind:    bot.Kind(x.MsgType),
		Time:    time.Unix(x.CreateTime, 0).UTC(),
	}
	created := strconv.FormatInt(x.CreateTime, 10)
	switch m.Kind {
	case bot.KindText:
		m.Text = x.Content
	case bot.KindImage:
		m.MediaID, m.PicURL = x.MediaId, x.PicUrl
	case bot.KindVoice:
		m.MediaID, m.Format = x.MediaId, x.Format
	case bot.KindVideo:
		m.MediaID, m.ThumbID = x.MediaId, x.ThumbMediaId
	case bot.KindLocation:
		m.Lat, m.Lng, m.Scale, m.Label = x.LocationX, x.LocationY, x.Scale, x.Label
	case bot.KindLink:
		m.Title, m.Description, m.URL, m.PicURL = x.Title, x.Description, x.Url, x.PicUrl
	case bot.KindEvent:
		m.Event, m.EventKey = x.Event, x.EventKey
		m.ID = x.FromUserName + "|" + created + "|" + x.Event + "|" + x.EventKey
		switch x.Event {
		case bot.EventLocation:
			m.Lat, m.Lng = x.Latitude, x.Longitude
		case bot.EventTemplateCard:
			m.TaskID, m.CardType, m.ResponseCode = x.TaskId, x.CardType, x.ResponseCode
			m.ID += "|" + x.TaskId
			for _, s := range x.SelectedItems {
				m.Selected = append(m.Selected, bot.SelectedItem{QuestionKey: s.QuestionKey, OptionIDs: s.OptionIds})
			}
		}
		return m, nil
	}
	m.ID = x.MsgId
	if m.ID == "" {
		// Every WeCom message carries a MsgId; should one not, the sender
		// and second still dedupe a retry.
		m.ID = x.FromUserName + "|" + created + "|" + x.MsgType
	}
	return m, nil
}

// cdata marshals as <Name><![CDATA[...]]></Name>, WeCom's own style.
// encoding/xml splits a "]]>" inside the text, so any text is safe.
type cdata struct {
	Text string `xml:",cdata"`
}

// MarshalXML writes text with a carriage return as escaped character data
// instead: a parser turns a raw CR inside CDATA into LF, while &#xD;
// survives, so what is encoded decodes back unchanged.
func (c cdata) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if strings.ContainsRune(c.Text, '\r') {
		return e.EncodeElement(c.Text, start)
	}
	type plain cdata // without this method, so no recursion
	return e.EncodeElement(plain(c), start)
}

// replyXML is the plaintext of a passive reply (被动回复消息格式).
// AgentID is not in WeCom's reply format but is in its official sample
// replies, and WeCom ignores it; it tells a reader which app answered.
type replyXML struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata
	FromUserName cdata
	CreateTime   int64
	MsgType      cdata
	Content      *cdata
	Button       *replyButton
	AgentID      int64 `xml:",omitempty"`
}

type replyButton struct {
	ReplaceName cdata
}

// replyEnvelope is the encrypted passive reply body.
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata
	MsgSignature cdata
	TimeStamp    int64
	Nonce        cdata
}

// decodeXML unmarshals b into v after refusing document type and entity
// declarations and with nesting bounded. encoding/xml never expands
// external or custom entities, but a DOCTYPE has no place in a WeCom
// payload, so it is rejected outright rather than trusted to be inert.
func decodeXML(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return fmt.Errorf("%w: empty XML", ErrBadRequest)
	}
	if hasDTD(b) {
		return fmt.Errorf("%w: XML with DOCTYPE or ENTITY", ErrBadRequest)
	}
	d := xml.NewTokenDecoder(&guardedTokens{d: xml.NewDecoder(bytes.NewReader(b))})
	if err := d.Decode(v); err != nil {
		var guard guardError
		if errors.As(err, &guard) {
			return fmt.Errorf("%w: %s", ErrBadRequest, string(guard))
		}
		// encoding/xml's errors quote bits of the input, which may be a
		// decrypted message; say only that the XML was bad.
		return fmt.Errorf("%w: invalid XML", ErrBadRequest)
	}
	return nil
}

// hasDTD reports whether b declares a DOCTYPE or an ENTITY, in any letter
// case, outside CDATA sections and comments (where the same letters are
// just text a user typed).
func hasDTD(b []byte) bool {
	for {
		i := bytes.Index(b, []byte("<!"))
		if i < 0 {
			return false
		}
		b = b[i+2:]
		switch {
		case bytes.HasPrefix(b, []byte("[CDATA[")):
			end := bytes.Index(b, []byte("]]>"))
			if end < 0 {
				return false // unterminated: the parser rejects it
			}
			b = b[end+3:]
		case bytes.HasPrefix(b, []byte("--")):
			end := bytes.Index(b[2:], []byte("-->"))
			if end < 0 {
				return false
			}
			b = b[2+end+3:]
		case hasPrefixFold(b, "DOCTYPE"), hasPrefixFold(b, "ENTITY"):
			return true
		}
	}
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

// guardError is an error raised by guardedTokens, safe to show.
type guardError string

func (e guardError) Error() string { return string(e) }

// guardedTokens feeds a decoder's raw tokens on, failing on any directive
// (<!DOCTYPE ...>, <!ENTITY ...> and the like, however spelled) and on
// nesting deeper than maxXMLDepth. The outer decoder built on it still
// checks that start and end elements match.
type guardedTokens struct {
	d     *xml.Decoder
	depth int
}

func (g *guardedTokens) Token() (xml.Token, error) {
	t, err := g.d.RawToken()
	switch t.(type) {
	case xml.StartElement:
		g.depth++
		if g.depth > maxXMLDepth {
			return nil, guardError("XML nested too deeply")
		}
	case xml.EndElement:
		g.depth--
	case xml.Directive:
		return nil, guardError("XML directive")
	}
	return t, err
}
