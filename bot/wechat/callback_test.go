package wechat

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"hazardbot/bot"
	"hazardbot/bot/wechat/wechattest"
	"hazardbot/bot/wecom"
)

// The Official Account's published encrypt/decrypt samples (WXBizMsgCrypt,
// 消息加解密说明): the Java sample's fixed-random ciphertexts under AppId
// wxb11529c136998cb6, and the Python sample's signed callback under AppId
// wx2c2769f8efd9abc2, both with EncodingAESKey abcdef…ABCDEFG.
const (
	sampleKey      = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	javaToken      = "pamtest"
	javaAppID      = "wxb11529c136998cb6"
	javaCipher     = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	javaPlain      = "我是中文abcd123"
	pyToken        = "spamtest"
	pyAppID        = "wx2c2769f8efd9abc2"
	pyTimestamp    = "1409735669"
	pyNonce        = "1320562132"
	pyMsgSignature = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	pyBody         = `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>`
)

// window is the callback time window (wecom.callback_window's default).
const window = time.Hour

func mustCallback(t *testing.T, token, key, app string) *Callback {
	t.Helper()
	c, err := NewCallback(token, key, app)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOfficialSamples(t *testing.T) {
	t.Run("the Java sample's ciphertext decrypts under its app id", func(t *testing.T) {
		c := mustCallback(t, javaToken, sampleKey, javaAppID)
		got, err := c.aes.Decrypt(javaCipher)
		if err != nil || string(got) != javaPlain {
			t.Fatalf("decrypt = %q, %v; want %q", got, err, javaPlain)
		}
	})
	t.Run("the Java sample's ciphertext is refused under another app id", func(t *testing.T) {
		c := mustCallback(t, javaToken, sampleKey, "wxsomeotherapp0000")
		if _, err := c.aes.Decrypt(javaCipher); !errors.Is(err, wecom.ErrWrongCorp) {
			t.Fatalf("err = %v, want the wrong-receiver error", err)
		}
	})
	t.Run("the Python sample's callback opens in safe mode", func(t *testing.T) {
		c := mustCallback(t, pyToken, sampleKey, pyAppID)
		q := Query{Timestamp: pyTimestamp, Nonce: pyNonce, EncryptType: "aes", MsgSignature: pyMsgSignature}
		in, err := c.Open(q, []byte(pyBody), time.Unix(1409735669+3, 0), window)
		if err != nil {
			t.Fatal(err)
		}
		m := in.Msg
		if m.UserID != "wx:oyORnuP8q7ou2gfYjqLzSIWZf0rs" || m.Kind != bot.KindText || m.Text != "abcdteT" ||
			m.ID != "wx:6054768590064713728" || in.Account != "gh_10f6c3c3ac5a" || !in.Safe {
			t.Fatalf("opened %+v", in)
		}
	})
	t.Run("the Python sample replayed a day later is refused", func(t *testing.T) {
		c := mustCallback(t, pyToken, sampleKey, pyAppID)
		q := Query{Timestamp: pyTimestamp, Nonce: pyNonce, EncryptType: "aes", MsgSignature: pyMsgSignature}
		_, err := c.Open(q, []byte(pyBody), time.Unix(1409735669+86400, 0), window)
		if !errors.Is(err, wecom.ErrStale) {
			t.Fatalf("err = %v, want a refusal", err)
		}
	})
}

func TestVerifyURL(t *testing.T) {
	c := mustCallback(t, javaToken, "", javaAppID)
	now := time.Unix(1409304348, 0)
	// The plain signature: SHA-1 of the sorted token, timestamp and nonce.
	sig := util.Signature("pamtest", "1409304348", "xxxxxx")
	good := Query{Signature: sig, Timestamp: "1409304348", Nonce: "xxxxxx", EchoStr: "5837397520665436492"}
	if got, err := c.VerifyURL(good, now, window); err != nil || got != good.EchoStr {
		t.Fatalf("VerifyURL = %q, %v", got, err)
	}
	forged := good
	forged.Signature = strings.Repeat("0", 40)
	if _, err := c.VerifyURL(forged, now, window); !errors.Is(err, wecom.ErrBadSignature) {
		t.Fatalf("forged: %v", err)
	}
	if _, err := c.VerifyURL(good, now.Add(2*time.Hour), window); !errors.Is(err, wecom.ErrStale) {
		t.Fatalf("stale: %v", err)
	}
	noEcho := good
	noEcho.EchoStr = ""
	if _, err := c.VerifyURL(noEcho, now, window); !errors.Is(err, wecom.ErrBadRequest) {
		t.Fatalf("no echostr: %v", err)
	}
}

func query(v url.Values) Query {
	return Query{Signature: v.Get("signature"), Timestamp: v.Get("timestamp"), Nonce: v.Get("nonce"),
		EncryptType: v.Get("encrypt_type"), MsgSignature: v.Get("msg_signature")}
}

func TestOpenAndSeal(t *testing.T) {
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	safe := wechattest.Account{AppID: "wxhazarddemo000001", Token: "tok123", AESKey: sampleKey, Original: "gh_hazard"}
	plain := safe
	plain.AESKey = ""
	text := wechattest.Message{OpenID: "oGasStation01", Kind: "text", Text: "接收 12", MsgID: 42, Time: now}

	for _, acc := range []wechattest.Account{safe, plain} {
		name := map[bool]string{true: "safe mode", false: "plain mode"}[acc.AESKey != ""]
		t.Run(name+": a message round-trips and the reply is readable", func(t *testing.T) {
			c := mustCallback(t, acc.Token, acc.AESKey, acc.AppID)
			q, body := acc.Post(acc.XML(text), now, "nonce1")
			in, err := c.Open(query(q), body, now.Add(2*time.Second), window)
			if err != nil {
				t.Fatal(err)
			}
			if in.Msg.UserID != "wx:oGasStation01" || in.Msg.Text != "接收 12" || in.Msg.ID != "wx:42" || in.Safe != (acc.AESKey != "") {
				t.Fatalf("opened %+v", in)
			}
			out, err := c.Seal(bot.Reply{Text: "已接收 YH2023-0012"}, in, now, "nonce1")
			if err != nil {
				t.Fatal(err)
			}
			if acc.AESKey != "" && bytes.Contains(out, []byte("YH2023")) {
				t.Fatal("safe-mode reply is in the clear")
			}
			got, err := acc.ReadReply(out)
			if err != nil || got != "已接收 YH2023-0012" {
				t.Fatalf("reply %q, %v", got, err)
			}
		})
	}

	t.Run("an image's media id is marked as WeChat's", func(t *testing.T) {
		c := mustCallback(t, safe.Token, safe.AESKey, safe.AppID)
		q, body := safe.Post(safe.XML(wechattest.Message{OpenID: "o1", Kind: "image", MediaID: "m-1", PicURL: "http://p", MsgID: 7, Time: now}), now, "n")
		in, err := c.Open(query(q), body, now, window)
		if err != nil || in.Msg.Kind != bot.KindImage || in.Msg.MediaID != "wx:m-1" {
			t.Fatalf("opened %+v, %v", in.Msg, err)
		}
	})

	c := mustCallback(t, safe.Token, safe.AESKey, safe.AppID)
	q, body := safe.Post(safe.XML(text), now, "nonce2")
	foreign := safe
	foreign.AppID = "wxsomeoneelse00001"
	fq, fbody := foreign.Post(foreign.XML(text), now, "nonce3")
	pq, pbody := plain.Post(plain.XML(text), now, "nonce4")
	forged := url.Values{}
	for k, v := range q {
		forged[k] = v
	}
	forged.Set("msg_signature", strings.Repeat("a", 40))
	for _, tc := range []struct {
		name string
		q    url.Values
		body []byte
		now  time.Time
		want error
	}{
		{"forged signature", forged, body, now, wecom.ErrBadSignature},
		{"another app's payload", fq, fbody, now, wecom.ErrWrongCorp},
		{"replayed two hours later", q, body, now.Add(2 * time.Hour), wecom.ErrStale},
		{"from two hours in the future", q, body, now.Add(-2 * time.Hour), wecom.ErrStale},
		{"plain request to a safe-mode account", pq, pbody, now, wecom.ErrBadRequest},
		{"DOCTYPE", q, append([]byte(`<!DOCTYPE xml [<!ENTITY x "y">]>`), body...), now, wecom.ErrBadRequest},
		{"oversized", q, append(bytes.Repeat([]byte(" "), MaxCallbackBody), body...), now, wecom.ErrBadRequest},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			if _, err := c.Open(query(tc.q), tc.body, tc.now, window); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}

	t.Run("a plain DOCTYPE body is refused in plain mode too", func(t *testing.T) {
		pc := mustCallback(t, plain.Token, "", plain.AppID)
		evil := []byte(`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><ToUserName>a</ToUserName><FromUserName>&x;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>`)
		if _, err := pc.Open(query(pq), evil, now, window); !errors.Is(err, wecom.ErrBadRequest) {
			t.Fatalf("err = %v", err)
		}
	})
}
