package wecom

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hazardbot/bot/wecom/wecomtest"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
)

// WeCom's official sample vectors (the WXBizMsgCrypt samples).
const (
	sampleToken  = "QDG6eK"
	sampleAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	sampleCorpID = "wx5823bf96d3bd56c7"

	verifySignature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	verifyTimestamp = "1409659589"
	verifyNonce     = "263014780"
	verifyEchostr   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	verifyAnswer    = "1616140317555161061"

	receiveSignature = "477715d11cdb4164915debcba66cb864d751f3e6"
	receiveTimestamp = "1409659813"
	receiveNonce     = "1372623149"
	receiveEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)

func receiveBody(encrypt string) []byte {
	return []byte("<xml><ToUserName><![CDATA[" + sampleCorpID + "]]></ToUserName><Encrypt><![CDATA[" +
		encrypt + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>")
}

func sampleCrypto(t testing.TB) *Crypto {
	t.Helper()
	c, err := NewCrypto(sampleToken, sampleAESKey, sampleCorpID)
	if err != nil {
		t.Fatalf("NewCrypto: %v", err)
	}
	return c
}

// changeOne returns s with the character at i replaced by a different one
// of the same alphabet, so only the value changes, not the shape.
func changeOne(s string, i int) string {
	b := []byte(s)
	switch {
	case b[i] >= '0' && b[i] < '9', b[i] >= 'a' && b[i] < 'z', b[i] >= 'A' && b[i] < 'Z':
		b[i]++
	default:
		b[i] = 'A'
	}
	return string(b)
}

// noSecret fails if err's text contains the token or the AES key.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, secret := range []string{sampleToken, sampleAESKey} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q leaks a secret", err)
		}
	}
}

func TestNewCrypto(t *testing.T) {
	tests := []struct {
		name, token, key, corp string
		wantErr                string // substring; "" means success
	}{
		{"official sample", sampleToken, sampleAESKey, sampleCorpID, ""},
		{"empty token", "", sampleAESKey, sampleCorpID, "Token"},
		{"empty corp id", sampleToken, sampleAESKey, "", "CorpID"},
		{"key one character short", sampleToken, sampleAESKey[:42], sampleCorpID, "EncodingAESKey must be 43 characters, got 42"},
		{"key with padding", sampleToken, sampleAESKey[:42] + "=", sampleCorpID, "EncodingAESKey"},
		{"key not base64", sampleToken, "!" + sampleAESKey[1:], sampleCorpID, "EncodingAESKey is not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCrypto(tt.token, tt.key, tt.corp)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("NewCrypto = %v, %v; want a Crypto", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewCrypto error = %v; want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), sampleAESKey[1:20]) {
				t.Errorf("error %q prints the key", err)
			}
		})
	}
}

func TestCryptoPrintsNoSecret(t *testing.T) {
	c := sampleCrypto(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, sampleToken) || strings.Contains(out, sampleAESKey) || !strings.Contains(out, sampleCorpID) {
			t.Errorf("Sprintf(%q) = %q; want the corp id and no secret", verb, out)
		}
	}
}

func TestVerifyURL(t *testing.T) {
	c := sampleCrypto(t)
	other, err := NewCrypto(sampleToken, sampleAESKey, "wx5823bf96d3bd56c8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                    string
		c                       *Crypto
		sig, ts, nonce, echostr string
		want                    string
		wantErr                 error
	}{
		{"official sample", c, verifySignature, verifyTimestamp, verifyNonce, verifyEchostr, verifyAnswer, nil},
		{"signature changed", c, changeOne(verifySignature, 7), verifyTimestamp, verifyNonce, verifyEchostr, "", ErrBadSignature},
		{"signature upper case", c, strings.ToUpper(verifySignature), verifyTimestamp, verifyNonce, verifyEchostr, "", ErrBadSignature},
		{"signature empty", c, "", verifyTimestamp, verifyNonce, verifyEchostr, "", ErrBadSignature},
		{"timestamp changed", c, verifySignature, changeOne(verifyTimestamp, 9), verifyNonce, verifyEchostr, "", ErrBadSignature},
		{"nonce changed", c, verifySignature, verifyTimestamp, changeOne(verifyNonce, 0), verifyEchostr, "", ErrBadSignature},
		{"echostr changed", c, verifySignature, verifyTimestamp, verifyNonce, changeOne(verifyEchostr, 10), "", ErrBadSignature},
		{"echostr empty", c, verifySignature, verifyTimestamp, verifyNonce, "", "", ErrBadRequest},
		{"other corp", other, verifySignature, verifyTimestamp, verifyNonce, verifyEchostr, "", ErrWrongCorp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.VerifyURL(tt.sig, tt.ts, tt.nonce, tt.echostr)
			noSecret(t, err)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("VerifyURL error = %v; want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("VerifyURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestOpenOfficialSample(t *testing.T) {
	c := sampleCrypto(t)
	m, err := c.Open(receiveSignature, receiveTimestamp, receiveNonce, receiveBody(receiveEncrypt))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := bot.Message{
		ID: "4561255354251345929", UserID: "mycreate", AgentID: 218,
		Kind: bot.KindText, Time: time.Unix(1409659813, 0).UTC(), Text: "hello",
	}
	if !sameMessage(m, want) {
		t.Fatalf("Open = %+v\nwant   %+v", m, want)
	}
}

func TestOpenRejectsChangedSample(t *testing.T) {
	c := sampleCrypto(t)
	other, err := NewCrypto(sampleToken, sampleAESKey, "wx5823bf96d3bd56c8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		c              *Crypto
		sig, ts, nonce string
		encrypt        string
		wantErr        error
	}{
		{"signature changed", c, changeOne(receiveSignature, 0), receiveTimestamp, receiveNonce, receiveEncrypt, ErrBadSignature},
		{"signature truncated", c, receiveSignature[:39], receiveTimestamp, receiveNonce, receiveEncrypt, ErrBadSignature},
		{"timestamp changed", c, receiveSignature, changeOne(receiveTimestamp, 9), receiveNonce, receiveEncrypt, ErrBadSignature},
		{"nonce changed", c, receiveSignature, receiveTimestamp, changeOne(receiveNonce, 3), receiveEncrypt, ErrBadSignature},
		{"ciphertext changed", c, receiveSignature, receiveTimestamp, receiveNonce, changeOne(receiveEncrypt, 100), ErrBadSignature},
		{"other corp", other, receiveSignature, receiveTimestamp, receiveNonce, receiveEncrypt, ErrWrongCorp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Open(tt.sig, tt.ts, tt.nonce, receiveBody(tt.encrypt))
			noSecret(t, err)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open error = %v; want %v", err, tt.wantErr)
			}
			if errors.Is(err, ErrBadSignature) == errors.Is(err, ErrBadRequest) {
				t.Fatalf("Open error %v must be exactly one of bad signature / bad request", err)
			}
		})
	}
}

// encryptRaw CBC-encrypts pt as it stands (no padding, no framing) so tests
// can build plaintexts no honest sender would.
func encryptRaw(c *Crypto, pt []byte) string {
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(ct, pt)
	return base64.StdEncoding.EncodeToString(ct)
}

// frame builds random|len|msg|corp with a chosen length field, padded
// with pad bytes of value padByte.
func frame(msgLen uint32, msg, corp string, pad int, padByte byte) []byte {
	b := make([]byte, 20, 20+len(msg)+len(corp)+pad)
	binary.BigEndian.PutUint32(b[16:20], msgLen)
	b = append(b, msg...)
	b = append(b, corp...)
	for range pad {
		b = append(b, padByte)
	}
	return b
}

// padTo32 returns how many pad bytes bring n to a multiple of 32 (1..32).
func padTo32(n int) int { return 32 - n%32 }

func TestOpenCraftedCiphertext(t *testing.T) {
	c := sampleCrypto(t)
	msg := "<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>"
	n := 20 + len(msg) + len(sampleCorpID)
	p := padTo32(n)
	good := frame(uint32(len(msg)), msg, sampleCorpID, p, byte(p))
	withLast := func(b []byte, v byte) []byte {
		b = append([]byte(nil), b...)
		b[len(b)-1] = v
		return b
	}
	// The last byte claims p bytes of padding, but the others are 7.
	badPad := withLast(frame(uint32(len(msg)), msg, sampleCorpID, p, 7), byte(p))

	tests := []struct {
		name    string
		encrypt string
		wantErr error
	}{
		{"well formed control", encryptRaw(c, good), nil},
		{"not base64", "%%%not-base64%%%", ErrBadCiphertext},
		{"one byte", base64.StdEncoding.EncodeToString([]byte{1}), ErrBadCiphertext},
		{"length not a multiple of 16", base64.StdEncoding.EncodeToString(make([]byte, 40)), ErrBadCiphertext},
		{"pad byte zero", encryptRaw(c, withLast(good, 0)), ErrBadCiphertext},
		{"pad byte 33", encryptRaw(c, withLast(good, 33)), ErrBadCiphertext},
		{"pad byte 255", encryptRaw(c, withLast(good, 255)), ErrBadCiphertext},
		{"pad bytes disagree", encryptRaw(c, badPad), ErrBadCiphertext},
		{"pad longer than plaintext", encryptRaw(c, append(make([]byte, 15), 32)), ErrBadCiphertext},
		{"plaintext shorter than header", encryptRaw(c, append(make([]byte, 15), 1)), ErrBadCiphertext},
		{"inner length larger than plaintext", encryptRaw(c, frame(uint32(len(msg)+len(sampleCorpID)+1), msg, sampleCorpID, p, byte(p))), ErrBadCiphertext},
		{"inner length max uint32", encryptRaw(c, frame(0xFFFFFFFF, msg, sampleCorpID, p, byte(p))), ErrBadCiphertext},
		{"inner length swallows corp id", encryptRaw(c, frame(uint32(len(msg)+len(sampleCorpID)), msg, sampleCorpID, p, byte(p))), ErrWrongCorp},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := receiveBody(tt.encrypt)
			sig := c.signature("1", "n", tt.encrypt)
			_, err := c.Open(sig, "1", "n", body)
			noSecret(t, err)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrBadRequest) {
				t.Fatalf("Open error = %v; want %v (a bad request)", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "<xml>") {
				t.Errorf("error %q shows decrypted text", err)
			}
		})
	}
}

func TestSealOpenReplyRoundTrip(t *testing.T) {
	c := sampleCrypto(t)
	now := time.Unix(1678843800, 0) // 2023-03-15 09:30 Asia/Shanghai
	tests := []struct {
		name    string
		reply   bot.Reply
		msgType string
		want    bot.Reply
	}{
		{"text", bot.Reply{Text: "已受理，编号 YH2023-0012。"}, "text", bot.Reply{Text: "已受理，编号 YH2023-0012。"}},
		{"text with CDATA terminator", bot.Reply{Text: "a]]>b<c>&d"}, "text", bot.Reply{Text: "a]]>b<c>&d"}},
		{"multi-line text", bot.Reply{Text: "第一行\n第二行"}, "text", bot.Reply{Text: "第一行\n第二行"}},
		{"button update", bot.Reply{ButtonText: "已接收"}, "update_button", bot.Reply{ButtonText: "已接收"}},
		{"button wins over text", bot.Reply{Text: "忽略", ButtonText: "已通过（李四）"}, "update_button", bot.Reply{ButtonText: "已通过（李四）"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := c.Seal(tt.reply, "zhangsan", 1000002, now, "nonce42")
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			for _, part := range []string{"<Encrypt><![CDATA[", "<MsgSignature><![CDATA[", "<TimeStamp>1678843800</TimeStamp>", "<Nonce><![CDATA[nonce42]]></Nonce>"} {
				if !strings.Contains(string(body), part) {
					t.Errorf("sealed body %s lacks %s", body, part)
				}
			}
			inner, err := sealer(t, c).OpenReply(body)
			if err != nil {
				t.Fatalf("OpenReply: %v", err)
			}
			for _, part := range []string{
				"<ToUserName><![CDATA[zhangsan]]></ToUserName>",
				"<FromUserName><![CDATA[" + sampleCorpID + "]]></FromUserName>",
				"<CreateTime>1678843800</CreateTime>",
				"<MsgType><![CDATA[" + tt.msgType + "]]></MsgType>",
				"<AgentID>1000002</AgentID>",
			} {
				if !strings.Contains(string(inner), part) {
					t.Errorf("reply plaintext %s lacks %s", inner, part)
				}
			}
			if tt.msgType == "update_button" && !strings.Contains(string(inner), "<Button><ReplaceName><![CDATA[") {
				t.Errorf("update_button plaintext %s lacks <Button><ReplaceName>", inner)
			}
			got, err := wecomtest.DecodeReply(inner)
			if err != nil || got != tt.want {
				t.Fatalf("DecodeReply = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestSealTwiceDiffers(t *testing.T) {
	// The 16-byte random prefix must make equal replies encrypt differently.
	c := sampleCrypto(t)
	now := time.Unix(1678843800, 0)
	a, err1 := c.Seal(bot.Reply{Text: "好"}, "u", 1, now, "n")
	b, err2 := c.Seal(bot.Reply{Text: "好"}, "u", 1, now, "n")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if string(a) == string(b) {
		t.Fatal("two seals of the same reply are identical: random prefix missing")
	}
}

func TestSealEdgeCases(t *testing.T) {
	c := sampleCrypto(t)
	now := time.Unix(1678843800, 0)
	if body, err := c.Seal(bot.Reply{}, "u", 1, now, "n"); body != nil || err != nil {
		t.Errorf("Seal(empty) = %q, %v; want nil, nil", body, err)
	}
	if _, err := c.Seal(bot.Reply{Text: "x"}, "", 1, now, "n"); err == nil {
		t.Error("Seal with no recipient succeeded")
	}
	if _, err := c.Seal(bot.Reply{Text: "x"}, "u", 1, now, ""); err == nil {
		t.Error("Seal with empty nonce succeeded")
	}
}

func TestOpenReplyRejects(t *testing.T) {
	c := sampleCrypto(t)
	other, err := NewCrypto(sampleToken, sampleAESKey, "wwother")
	if err != nil {
		t.Fatal(err)
	}
	body, err := c.Seal(bot.Reply{Text: "好"}, "u", 1, time.Unix(1678843800, 0), "n")
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(body), "<TimeStamp>1678843800", "<TimeStamp>1678843801", 1)
	tests := []struct {
		name    string
		c       *Crypto
		body    string
		wantErr string
	}{
		{"timestamp changed", c, tampered, "signature"},
		{"other corp", other, string(body), "sealed for"},
		{"empty", c, "", "reply"},
		{"no Encrypt", c, "<xml><MsgSignature>x</MsgSignature></xml>", "no Encrypt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sealer(t, tt.c).OpenReply([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("OpenReply error = %v; want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeReplyRejectsOtherTypes(t *testing.T) {
	_, err := wecomtest.DecodeReply([]byte("<xml><MsgType>image</MsgType></xml>"))
	if err == nil || !strings.Contains(err.Error(), "image") {
		t.Fatalf("wecomtest.DecodeReply(image) error = %v; want one naming the type", err)
	}
}

// sealer returns the WeCom side of c's callback settings.
func sealer(t testing.TB, c *Crypto) *wecomtest.Sealer {
	t.Helper()
	s, err := wecomtest.NewSealer(c.token, strings.TrimRight(base64.StdEncoding.EncodeToString(c.key), "="), c.corpID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
