package wecomtest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"hazardbot/bot"
)

// Sealer is the WeCom side of a callback: it encrypts and signs inbound
// messages as WeCom does and opens the passive replies the server sends
// back. Tests, the load program, the soak and the terminal chat use it.
//
// It is written apart from wecom.Crypto, on silenceper's helpers, so the
// two implementations check each other: a callback the server opens was
// sealed by code that is not the server's own.
type Sealer struct {
	token, corpID string
	key           []byte
}

// NewSealer returns a Sealer for an app's callback settings.
func NewSealer(token, encodingAESKey, corpID string) (*Sealer, error) {
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wecomtest: EncodingAESKey is not valid base64 of 32 bytes")
	}
	return &Sealer{token: token, corpID: corpID, key: key}, nil
}

// CorpID returns the corp the sealer speaks for.
func (s *Sealer) CorpID() string { return s.corpID }

// Signature is WeCom's msg_signature over timestamp, nonce and payload.
func (s *Sealer) Signature(timestamp, nonce, payload string) string {
	parts := []string{s.token, timestamp, nonce, payload}
	slices.Sort(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Encrypt returns WeCom's base64 ciphertext of msg for this corp.
func (s *Sealer) Encrypt(msg []byte) string {
	var random [16]byte
	_, _ = rand.Read(random[:])
	return base64.StdEncoding.EncodeToString(util.AESEncryptMsg(random[:], msg, s.corpID, s.key))
}

// SealInbound encrypts innerXML exactly as WeCom would and returns the
// POST body and the msg_signature to send with timestamp now.Unix() and
// nonce.
func (s *Sealer) SealInbound(innerXML []byte, now time.Time, nonce string) (body []byte, msgSignature string, err error) {
	// The envelope repeats the AgentID; take it from the inner XML when
	// there is one (best effort: a fuzzed plaintext need not be XML).
	var agent struct {
		AgentID string
	}
	_ = xml.Unmarshal(innerXML, &agent)
	encrypted := s.Encrypt(innerXML)
	body, err = xml.Marshal(inboundEnvelope{
		ToUserName: cdata{s.corpID},
		Encrypt:    cdata{encrypted},
		AgentID:    cdata{agent.AgentID},
	})
	if err != nil {
		return nil, "", fmt.Errorf("wecomtest: seal inbound: %w", err)
	}
	return body, s.Signature(strconv.FormatInt(now.Unix(), 10), nonce, encrypted), nil
}

// OpenReply verifies and decrypts a passive reply body and returns its
// inner plaintext XML (see DecodeReply).
func (s *Sealer) OpenReply(body []byte) ([]byte, error) {
	var env struct {
		XMLName      xml.Name `xml:"xml"`
		Encrypt      string
		MsgSignature string
		TimeStamp    string
		Nonce        string
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("wecomtest: reply: %w", err)
	}
	if env.Encrypt == "" {
		return nil, errors.New("wecomtest: reply has no Encrypt element")
	}
	if env.MsgSignature != s.Signature(env.TimeStamp, env.Nonce, env.Encrypt) {
		return nil, errors.New("wecomtest: reply signature does not match")
	}
	ct, err := base64.StdEncoding.DecodeString(env.Encrypt)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: reply: %w", err)
	}
	_, msg, receiver, err := util.AESDecryptMsg(ct, s.key)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: reply: %w", err)
	}
	if string(receiver) != s.corpID {
		return nil, fmt.Errorf("wecomtest: reply sealed for %q, not %q", receiver, s.corpID)
	}
	return msg, nil
}

// DecodeReply reads the plaintext of a passive reply (as OpenReply returns
// it) back into a bot.Reply: a text message sets Text, an update_button
// message sets ButtonText.
func DecodeReply(inner []byte) (bot.Reply, error) {
	var r struct {
		XMLName xml.Name `xml:"xml"`
		MsgType string
		Content string
		Button  struct{ ReplaceName string }
	}
	if err := xml.Unmarshal(inner, &r); err != nil {
		return bot.Reply{}, fmt.Errorf("wecomtest: reply: %w", err)
	}
	switch r.MsgType {
	case "text":
		return bot.Reply{Text: r.Content}, nil
	case "update_button":
		return bot.Reply{ButtonText: r.Button.ReplaceName}, nil
	}
	return bot.Reply{}, fmt.Errorf("wecomtest: reply MsgType %q", r.MsgType)
}
