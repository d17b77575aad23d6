package wecom

import (
	"crypto/aes"
	"encoding/base64"
	"errors"
	"hazardbot/bot/wecom/wecomtest"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
)

// The fuzz targets sign what they build, so the fuzzer gets past the
// signature check into decryption and parsing, which is where crafted
// input could do harm. Seeds live in testdata/fuzz/<Target>/ as well as
// below. Run one with e.g.
//
//	go test -run x -fuzz FuzzOpen$ -fuzztime 30s ./bot/wecom/

const fuzzTimestamp = "1678000100"

var fuzzNow = time.Unix(1678000100, 0)

// checkOpened holds for every Open result: an error is a bad request (the
// signature was valid), and a Message has the fields the bot relies on.
func checkOpened(t *testing.T, m bot.Message, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrBadRequest) || errors.Is(err, ErrBadSignature) {
			t.Fatalf("signed input gave %v; want a bad request", err)
		}
		if strings.Contains(err.Error(), sampleToken) || strings.Contains(err.Error(), sampleAESKey) {
			t.Fatalf("error %q leaks a secret", err)
		}
		return
	}
	if m.UserID == "" || m.Kind == "" || m.ID == "" || m.Time.Unix() <= 0 {
		t.Fatalf("Open accepted a message without sender, kind, id or time: %+v", m)
	}
	if m.Kind == bot.KindEvent && !strings.HasPrefix(m.ID, m.UserID+"|") {
		t.Fatalf("event id %q does not start with the sender %q", m.ID, m.UserID)
	}
}

// FuzzOpen fuzzes the decrypted plaintext: whatever XML WeCom (or someone
// holding the token) might encrypt.
func FuzzOpen(f *testing.F) {
	for _, tc := range callbackCases {
		f.Add(readCallback(f, tc.file))
	}
	f.Add([]byte(billionLaughs))
	f.Add([]byte("<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>template_card_event</Event>" +
		"<SelectedItems><SelectedItem><OptionIds><OptionId>a</OptionId></OptionIds></SelectedItem></SelectedItems></xml>"))
	c := sampleCrypto(f)
	seal := sealer(f, c)
	f.Fuzz(func(t *testing.T, inner []byte) {
		body, sig, err := seal.SealInbound(inner, fuzzNow, "n")
		if err != nil {
			t.Fatalf("SealInbound: %v", err)
		}
		m, err := c.Open(sig, fuzzTimestamp, "n", body)
		checkOpened(t, m, err)
		// Open must agree with parsing the plaintext directly.
		direct, derr := DecodeInbound(inner)
		if (err == nil) != (derr == nil) || (err == nil && !sameMessage(m, direct)) {
			t.Fatalf("Open = %+v, %v but DecodeInbound = %+v, %v", m, err, direct, derr)
		}
	})
}

// FuzzOpenCiphertext fuzzes the raw ciphertext bytes (any length) that
// go, base64-encoded and signed, into the Encrypt element.
func FuzzOpenCiphertext(f *testing.F) {
	sample, err := base64.StdEncoding.DecodeString(receiveEncrypt)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add(sample[:len(sample)-16])
	f.Add(sample[:len(sample)-1])
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	c := sampleCrypto(f)
	f.Fuzz(func(t *testing.T, ct []byte) {
		enc := base64.StdEncoding.EncodeToString(ct)
		m, err := c.Open(c.signature(fuzzTimestamp, "n", enc), fuzzTimestamp, "n", receiveBody(enc))
		checkOpened(t, m, err)
	})
}

// FuzzOpenFrame fuzzes the framed plaintext before AES — random prefix,
// length field, message, receive id and padding — so every length and
// padding check sees crafted values. The frame is zero-extended to whole
// AES blocks and encrypted, as only a holder of the key could.
func FuzzOpenFrame(f *testing.F) {
	c := sampleCrypto(f)
	msg := readCallback(f, "text.xml")
	p := padTo32(20 + len(msg) + len(sampleCorpID))
	f.Add(frame(uint32(len(msg)), string(msg), sampleCorpID, p, byte(p)))
	f.Add(frame(0xFFFFFFFF, string(msg), sampleCorpID, p, byte(p)))
	f.Add(frame(uint32(len(msg)), string(msg), sampleCorpID, 0, 0))
	f.Add(frame(0, "", sampleCorpID, 32, 32))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, pt []byte) {
		if rem := len(pt) % aes.BlockSize; rem != 0 || len(pt) == 0 {
			pt = append(pt, make([]byte, aes.BlockSize-rem)...)
		}
		enc := encryptRaw(c, pt)
		m, err := c.Open(c.signature(fuzzTimestamp, "n", enc), fuzzTimestamp, "n", receiveBody(enc))
		checkOpened(t, m, err)
	})
}

// FuzzDecodeInbound fuzzes the plaintext XML parser on its own, and checks
// that whatever it accepts survives EncodeInbound unchanged in the fields
// that cannot be altered by XML's whitespace and character rules.
func FuzzDecodeInbound(f *testing.F) {
	for _, tc := range callbackCases {
		f.Add(readCallback(f, tc.file))
	}
	f.Add([]byte(billionLaughs))
	f.Add([]byte("<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>text</MsgType>" +
		"<Content><![CDATA[<!DOCTYPE x>]]></Content><!-- <!ENTITY --></xml>"))
	f.Fuzz(func(t *testing.T, inner []byte) {
		m, err := DecodeInbound(inner)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("DecodeInbound error %v is not a bad request", err)
			}
			return
		}
		if m.UserID == "" || m.Kind == "" || m.ID == "" {
			t.Fatalf("accepted a message without sender, kind or id: %+v", m)
		}
		again, err := DecodeInbound(wecomtest.EncodeInbound(m, sampleCorpID))
		if err != nil {
			// EncodeInbound writes text as given; XML forbids some
			// characters (e.g. control bytes a char reference let in), so a
			// re-parse may fail. That is the renderer's limit, not a parser
			// bug, as long as it fails cleanly.
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("re-decode error %v is not a bad request", err)
			}
			return
		}
		if again.Kind != m.Kind || again.Event != m.Event || again.AgentID != m.AgentID || !again.Time.Equal(m.Time) ||
			again.Lat != m.Lat || again.Lng != m.Lng || len(again.Selected) != len(m.Selected) {
			t.Fatalf("round trip changed the message:\n %+v\n %+v", m, again)
		}
	})
}
