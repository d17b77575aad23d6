package wecom

import (
	"errors"
	"hazardbot/bot/wecom/wecomtest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
)

// sameMessage compares Messages by value: Time by instant, and an empty
// Selected the same as a nil one.
func sameMessage(a, b bot.Message) bool {
	if !a.Time.Equal(b.Time) || len(a.Selected) != len(b.Selected) {
		return false
	}
	if len(a.Selected) > 0 && !reflect.DeepEqual(a.Selected, b.Selected) {
		return false
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	a.Selected, b.Selected = nil, nil
	return reflect.DeepEqual(a, b)
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// callbackCases are the captured plaintexts in testdata/callbacks and the
// Message each must become.
var callbackCases = []struct {
	file string
	want bot.Message
}{
	{"text.xml", bot.Message{ID: "4561255354251345929", UserID: "mycreate", AgentID: 218, Kind: bot.KindText, Time: unix(1409659813), Text: "hello"}},
	{"image.xml", bot.Message{ID: "7201000000000000001", UserID: "zhangsan", AgentID: 1000002, Kind: bot.KindImage, Time: unix(1678000001),
		MediaID: "1QxBa9YcPn2zH3ZKp7mR", PicURL: "https://wework.qpic.cn/wwpic/123456/0"}},
	{"voice.xml", bot.Message{ID: "7201000000000000002", UserID: "zhangsan", AgentID: 1000002, Kind: bot.KindVoice, Time: unix(1678000002),
		MediaID: "2VoiceMediaId", Format: "amr"}},
	{"video.xml", bot.Message{ID: "7201000000000000003", UserID: "zhangsan", AgentID: 1000002, Kind: bot.KindVideo, Time: unix(1678000003),
		MediaID: "3VideoMediaId", ThumbID: "3VideoThumbId"}},
	{"location.xml", bot.Message{ID: "7201000000000000004", UserID: "zhangsan", AgentID: 1000002, Kind: bot.KindLocation, Time: unix(1678000004),
		Lat: 32.629398, Lng: 110.798225, Scale: 15, Label: "湖北省十堰市茅箭区北京中路"}},
	{"link.xml", bot.Message{ID: "7201000000000000005", UserID: "zhangsan", AgentID: 1000002, Kind: bot.KindLink, Time: unix(1678000005),
		Title: "燃气安全检查通报", Description: "2023年春季攻势第一周", URL: "https://example.org/notice/1", PicURL: "https://example.org/notice/1.png"}},
	{"subscribe.xml", bot.Message{ID: "lisi|1678000006|subscribe|", UserID: "lisi", AgentID: 1000002, Kind: bot.KindEvent, Time: unix(1678000006),
		Event: bot.EventSubscribe}},
	{"unsubscribe.xml", bot.Message{ID: "lisi|1678000007|unsubscribe|", UserID: "lisi", AgentID: 1000002, Kind: bot.KindEvent, Time: unix(1678000007),
		Event: bot.EventUnsubscribe}},
	{"enter_agent.xml", bot.Message{ID: "lisi|1678000008|enter_agent|", UserID: "lisi", AgentID: 1000002, Kind: bot.KindEvent, Time: unix(1678000008),
		Event: bot.EventEnterAgent}},
	{"click.xml", bot.Message{ID: "lisi|1678000009|click|menu_mine", UserID: "lisi", AgentID: 1000002, Kind: bot.KindEvent, Time: unix(1678000009),
		Event: bot.EventClick, EventKey: "menu_mine"}},
	{"location_event.xml", bot.Message{ID: "lisi|1678000010|LOCATION|", UserID: "lisi", AgentID: 1000002, Kind: bot.KindEvent, Time: unix(1678000010),
		Event: bot.EventLocation, Lat: 32.6294, Lng: 110.7982}},
	{"template_card_button.xml", bot.Message{ID: "wangwu|1678000011|template_card_event|accept:YH2023-0012|assign-YH2023-0012-1",
		UserID: "wangwu", AgentID: 1000002, Kind: bot.KindEvent, Time: unix(1678000011), Event: bot.EventTemplateCard,
		EventKey: "accept:YH2023-0012", TaskID: "assign-YH2023-0012-1", CardType: "button_interaction", ResponseCode: "RfH3K0cyS4N_3bmh5xFvmA"}},
	{"template_card_vote.xml", bot.Message{ID: "wangwu|1678000012|template_card_event|submit|review-YH2023-0012-2",
		UserID: "wangwu", AgentID: 1000002, Kind: bot.KindEvent, Time: unix(1678000012), Event: bot.EventTemplateCard,
		EventKey: "submit", TaskID: "review-YH2023-0012-2", CardType: "multiple_interaction", ResponseCode: "Qw9_a0B1c2D3e4F5g6H7iA",
		Selected: []bot.SelectedItem{
			{QuestionKey: "verdict", OptionIDs: []string{"pass"}},
			{QuestionKey: "issues", OptionIDs: []string{"photo", "measures"}},
		}}},
	{"unknown_msgtype.xml", bot.Message{ID: "7201000000000000013", UserID: "zhangsan", AgentID: 1000002, Kind: "file", Time: unix(1678000013)}},
	{"unknown_event.xml", bot.Message{ID: "lisi|1678000014|view|https://example.org/", UserID: "lisi", AgentID: 1000002, Kind: bot.KindEvent,
		Time: unix(1678000014), Event: "view", EventKey: "https://example.org/"}},
}

func readCallback(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "callbacks", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCallbackFilesAllCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "callbacks", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, tc := range callbackCases {
		covered[tc.file] = true
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("testdata callback %s has no expected Message in callbackCases", f)
		}
	}
}

// TestOpenCapturedCallbacks seals each captured plaintext as WeCom would
// and checks Open returns the expected Message.
func TestOpenCapturedCallbacks(t *testing.T) {
	c := sampleCrypto(t)
	now := time.Unix(1678000100, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, tc := range callbackCases {
		t.Run(strings.TrimSuffix(tc.file, ".xml"), func(t *testing.T) {
			body, sig, err := sealer(t, c).SealInbound(readCallback(t, tc.file), now, "nonce1")
			if err != nil {
				t.Fatalf("SealInbound: %v", err)
			}
			got, err := c.Open(sig, ts, "nonce1", body)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !sameMessage(got, tc.want) {
				t.Fatalf("Open =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

// TestEncodeInboundRoundTrip renders each expected Message back to
// WeCom's XML and through the whole encrypted path.
func TestEncodeInboundRoundTrip(t *testing.T) {
	c := sampleCrypto(t)
	now := time.Unix(1678000100, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, tc := range callbackCases {
		t.Run(strings.TrimSuffix(tc.file, ".xml"), func(t *testing.T) {
			inner := wecomtest.EncodeInbound(tc.want, sampleCorpID)
			body, sig, err := sealer(t, c).SealInbound(inner, now, "n")
			if err != nil {
				t.Fatalf("SealInbound: %v", err)
			}
			if !strings.Contains(string(body), "<AgentID><![CDATA["+strconv.FormatInt(tc.want.AgentID, 10)+"]]></AgentID>") {
				t.Errorf("envelope %s does not repeat AgentID %d", body, tc.want.AgentID)
			}
			got, err := c.Open(sig, ts, "n", body)
			if err != nil {
				t.Fatalf("Open(%s): %v", inner, err)
			}
			if !sameMessage(got, tc.want) {
				t.Fatalf("round trip of\n %s\n= %+v\nwant\n %+v", inner, got, tc.want)
			}
		})
	}
}

func TestEncodeInboundEscapes(t *testing.T) {
	m := bot.Message{ID: "1", UserID: "u", Kind: bot.KindText, Time: unix(1678000000), Text: "a]]><b>&c</xml>"}
	got, err := DecodeInbound(wecomtest.EncodeInbound(m, sampleCorpID))
	if err != nil || got.Text != m.Text {
		t.Fatalf("DecodeInbound(wecomtest.EncodeInbound(%q)) = %q, %v", m.Text, got.Text, err)
	}
}

func TestDecodeInboundMessageWithoutMsgId(t *testing.T) {
	got, err := DecodeInbound([]byte("<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>"))
	if err != nil || got.ID != "u|5|text" {
		t.Fatalf("DecodeInbound = %+v, %v; want ID u|5|text", got, err)
	}
}

// TestDecodeInboundTextMentioningDoctype: a user may type "<!DOCTYPE" in
// chat; inside CDATA it is text, not a declaration.
func TestDecodeInboundTextMentioningDoctype(t *testing.T) {
	got, err := DecodeInbound([]byte("<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>text</MsgType>" +
		"<Content><![CDATA[<!DOCTYPE html> <!ENTITY x>]]></Content><!-- <!DOCTYPE --></xml>"))
	if err != nil || got.Text != "<!DOCTYPE html> <!ENTITY x>" {
		t.Fatalf("DecodeInbound = %q, %v", got.Text, err)
	}
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content></xml>`

func TestDecodeInboundRejects(t *testing.T) {
	head := "<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>text</MsgType>"
	tests := []struct {
		name, xml string
	}{
		{"empty", ""},
		{"blank", " \n\t"},
		{"not XML", "hello"},
		{"wrong root", "<json><FromUserName>u</FromUserName></json>"},
		{"unclosed", head + "<Content>x"},
		{"mismatched end tag", head + "<Content>x</Title></xml>"},
		{"billion laughs", billionLaughs},
		{"lower-case doctype", "<!doctype xml>" + head + "</xml>"},
		{"external entity", `<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + head + "<Content>&xxe;</Content></xml>"},
		{"entity without doctype", `<!EnTiTy x "y">` + head + "</xml>"},
		{"other directive", "<!ELEMENT xml ANY>" + head + "</xml>"},
		{"undefined entity", head + "<Content>&lol;</Content></xml>"},
		{"deeply nested", head + strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000) + "</xml>"},
		{"nested just past the limit", head + strings.Repeat("<a>", maxXMLDepth) + strings.Repeat("</a>", maxXMLDepth) + "</xml>"},
		{"no sender", "<xml><CreateTime>5</CreateTime><MsgType>text</MsgType></xml>"},
		{"no MsgType", "<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime></xml>"},
		{"no CreateTime", "<xml><FromUserName>u</FromUserName><MsgType>text</MsgType></xml>"},
		{"CreateTime not a number", "<xml><FromUserName>u</FromUserName><CreateTime>now</CreateTime><MsgType>text</MsgType></xml>"},
		{"AgentID not a number", head + "<AgentID>x</AgentID></xml>"},
		{"latitude NaN", "<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>location</MsgType><Location_X>NaN</Location_X></xml>"},
		{"longitude infinite", "<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>event</MsgType><Event>LOCATION</Event><Longitude>+Inf</Longitude></xml>"},
		{"foreign encoding", `<?xml version="1.0" encoding="GBK"?>` + head + "</xml>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeInbound([]byte(tt.xml))
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("DecodeInbound error = %v; want ErrBadRequest", err)
			}
			if strings.Contains(err.Error(), "/etc/passwd") || strings.Contains(err.Error(), "lol") {
				t.Errorf("error %q quotes the payload", err)
			}
		})
	}
}

func TestDecodeInboundDepthLimitAllowsWeComNesting(t *testing.T) {
	head := "<xml><FromUserName>u</FromUserName><CreateTime>5</CreateTime><MsgType>text</MsgType>"
	depth := maxXMLDepth - 1 // plus <xml> itself
	if _, err := DecodeInbound([]byte(head + strings.Repeat("<a>", depth) + strings.Repeat("</a>", depth) + "</xml>")); err != nil {
		t.Fatalf("nesting of %d under <xml> rejected: %v", depth, err)
	}
}

// TestOpenRejectsBadEnvelopes covers what fails before any decryption.
func TestOpenRejectsBadEnvelopes(t *testing.T) {
	c := sampleCrypto(t)
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"empty body", "", ErrBadRequest},
		{"not XML", "Encrypt=abc", ErrBadRequest},
		{"no Encrypt", "<xml><ToUserName>x</ToUserName></xml>", ErrBadRequest},
		{"doctype around the sample", `<!DOCTYPE xml [<!ENTITY e "x">]>` + string(receiveBody(receiveEncrypt)), ErrBadRequest},
		{"deeply nested", strings.Repeat("<xml>", 50000), ErrBadRequest},
		{"too large", "<xml><Encrypt>" + strings.Repeat("A", MaxCallbackBody) + "</Encrypt></xml>", ErrBadRequest},
		{"sample with another signature", string(receiveBody(receiveEncrypt)), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Open(changeOne(receiveSignature, 1), receiveTimestamp, receiveNonce, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open error = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

// TestOpenSignedGarbage: a correctly signed payload that decrypts to a
// broken plaintext is a bad request, whatever the plaintext is.
func TestOpenSignedGarbage(t *testing.T) {
	c := sampleCrypto(t)
	now := time.Unix(1678000100, 0)
	for _, inner := range []string{"", "not xml", billionLaughs, "<xml></xml>", strings.Repeat("<a>", 1000)} {
		body, sig, err := sealer(t, c).SealInbound([]byte(inner), now, "n")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Open(sig, "1678000100", "n", body); !errors.Is(err, ErrBadRequest) {
			t.Errorf("Open(sealed %.20q) error = %v; want ErrBadRequest", inner, err)
		}
	}
}

// BenchmarkOpen measures one typical callback: verify, decrypt and parse a
// text message.
func BenchmarkOpen(b *testing.B) {
	c := sampleCrypto(b)
	now := time.Unix(1678000100, 0)
	m := bot.Message{ID: "7201000000000000001", UserID: "zhangsan", AgentID: 1000002, Kind: bot.KindText, Time: now,
		Text: "上报\n隐患：液化气钢瓶露天存放\n区域：茅箭区\n行业：燃气\n企业：某某餐馆\n时限：2023-03-20"}
	body, sig, err := sealer(b, c).SealInbound(wecomtest.EncodeInbound(m, sampleCorpID), now, "nonce")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open(sig, "1678000100", "nonce", body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodeInboundKeepsCarriageReturn is a regression from
// FuzzDecodeInbound: a CR (sent as &#13;) came back as LF because CDATA
// cannot carry a raw CR through a parser.
func TestEncodeInboundKeepsCarriageReturn(t *testing.T) {
	m := bot.Message{ID: "1", UserID: "u", Kind: bot.KindText, Time: unix(5), Text: "第一行\r\n第二行\r"}
	got, err := DecodeInbound(wecomtest.EncodeInbound(m, sampleCorpID))
	if err != nil || got.Text != m.Text {
		t.Fatalf("round trip of %q = %q, %v", m.Text, got.Text, err)
	}
}
