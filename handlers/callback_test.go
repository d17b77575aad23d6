package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

const oneShotReport = "上报\n隐患：液化气钢瓶违规存放\n内容：商场地下室存放液化气钢瓶3个\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月10日"

func TestCallbackURLVerification(t *testing.T) {
	e := newEnv(t, modelstest.Open(t, "sqlite"))
	official := url.Values{
		"msg_signature": {"5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"},
		"timestamp":     {"1409659589"},
		"nonce":         {"263014780"},
		"echostr":       {"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="},
	}
	forged := url.Values{}
	for k, v := range official {
		forged[k] = v
	}
	forged.Set("msg_signature", "0"+official.Get("msg_signature")[1:])
	noEcho := url.Values{"msg_signature": official["msg_signature"], "timestamp": official["timestamp"], "nonce": official["nonce"]}
	for _, c := range []struct {
		name   string
		q      url.Values
		status int
		body   string
	}{
		{"official vector answers the echostr", official, 200, "1616140317555161061"},
		{"forged signature is refused", forged, 403, ""},
		{"missing echostr is a bad request", noEcho, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.Get(e.srv.URL + "/wecom/callback?" + c.q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			if c.body != "" && (b.String() != c.body || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain")) {
				t.Fatalf("body %q (%s), want %q as text/plain", b.String(), resp.Header.Get("Content-Type"), c.body)
			}
		})
	}
}

func TestCallbackReceive(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)

		t.Run("a sealed text gets a sealed reply", func(t *testing.T) {
			r := e.say("zhangsan", "help-1", "帮助")
			if !strings.Contains(r.Text, "可用命令") {
				t.Fatalf("reply %q", r.Text)
			}
		})

		t.Run("an event with nothing to say gets an empty 200", func(t *testing.T) {
			q, body := e.seal(e.wecom, bot.Message{UserID: "zhangsan", Kind: bot.KindEvent, Event: bot.EventUnsubscribe})
			status, b := e.post(q, body)
			if status != 200 || len(b) != 0 {
				t.Fatalf("status %d body %q, want an empty 200", status, b)
			}
		})

		inbound := e.count("inbound")
		good, goodBody := e.seal(e.wecom, bot.Message{ID: "evil-1", UserID: "zhangsan", Kind: bot.KindText, Text: oneShotReport})
		forged, _ := url.ParseQuery(good)
		forged.Set("msg_signature", strings.Repeat("0", 40))
		otherCorp, otherBody := e.seal(sampleSealer(t, "wwsomeothercorp"), bot.Message{ID: "evil-2", UserID: "zhangsan", Kind: bot.KindText, Text: "帮助"})
		doctype := append([]byte(`<!DOCTYPE xml [<!ENTITY x "y">]>`), goodBody...)
		huge := append(bytes.Repeat([]byte(" "), 65<<10), goodBody...)
		for _, c := range []struct {
			name   string
			query  string
			body   []byte
			status int
		}{
			{"forged signature", forged.Encode(), goodBody, 403},
			{"payload for another corp", otherCorp, otherBody, 400},
			{"DOCTYPE", good, doctype, 400},
			{"65 KiB body", good, huge, 413},
			{"not XML", good, []byte("hello"), 400},
		} {
			t.Run(c.name+" is refused and writes nothing", func(t *testing.T) {
				status, _ := e.post(c.query, c.body)
				if status != c.status {
					t.Fatalf("status %d, want %d", status, c.status)
				}
				if n := e.count("inbound"); n != inbound {
					t.Fatalf("inbound rows %d → %d", inbound, n)
				}
			})
		}

		t.Run("a repeated MsgId gets the same reply and reports once", func(t *testing.T) {
			draft := e.say("zhangsan", "report-1", oneShotReport)
			if !strings.Contains(draft.Text, "确认") {
				t.Fatalf("draft reply %q", draft.Text)
			}
			q, body := e.seal(e.wecom, bot.Message{ID: "confirm-1", UserID: "zhangsan", Kind: bot.KindText, Text: "确认"})
			first := e.open(e.post(q, body))
			if !strings.Contains(first.Text, "YH2023-0001") {
				t.Fatalf("confirm reply %q", first.Text)
			}
			again := e.open(e.post(q, body))
			if again != first {
				t.Fatalf("retry reply %q, want %q", again.Text, first.Text)
			}
			if n := e.count("hazards"); n != 1 {
				t.Fatalf("%d hazards, want 1", n)
			}
		})

		t.Run("a command from outside the hazard's scope changes nothing", func(t *testing.T) {
			before := e.hazard("YH2023-0001")
			events := e.count("events")
			outbox := e.count("outbox")
			// 郑十一 supervises 张湾区; the hazard is 茅箭区's.
			for i, cmd := range []string{"撤销 1 重复上报", "挂牌 1 红", "交办 1 张湾区应急管理局 3月20日", "延期 1 4月30日 材料未到"} {
				r := e.say("zhengshiyi", "outsider-"+string(rune('a'+i)), cmd)
				if r.Text == "" || strings.Contains(r.Text, "已") {
					t.Errorf("%s: reply %q, want a refusal", cmd, r.Text)
				}
			}
			after := e.hazard("YH2023-0001")
			if after.State != before.State || after.Version != before.Version || after.Colour != before.Colour || *after.UnitID != *before.UnitID {
				t.Fatalf("hazard changed: %+v → %+v", before, after)
			}
			if e.count("events") != events || e.count("outbox") != outbox {
				t.Fatal("an outsider's command wrote events or notifications")
			}
		})

		t.Run("metrics count callbacks by type and outcome", func(t *testing.T) {
			status, b := e.api("GET", "/metrics", "", nil)
			if status != 200 {
				t.Fatalf("metrics status %d", status)
			}
			for _, want := range []string{
				`hazardbot_wecom_callbacks_total{outcome="ok",type="text"}`,
				`hazardbot_wecom_callbacks_total{outcome="bad_signature",type="unknown"} 1`,
				`hazardbot_wecom_callbacks_total{outcome="too_large",type="unknown"} 1`,
				`hazardbot_wecom_callback_duration_seconds_count{type="text"}`,
			} {
				if !strings.Contains(string(b), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	})
}

// TestCallbackInternalError: when the database fails, the user is told to
// try again (WeCom would otherwise retry into the same fault).
func TestCallbackInternalError(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	e := newEnv(t, s)
	s.Close()
	r := e.say("zhangsan", "down-1", "帮助")
	if r.Text != models.InternalMessage {
		t.Fatalf("reply %q, want %q", r.Text, models.InternalMessage)
	}
}

func TestHealth(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	e := newEnv(t, s)
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ok"},
	} {
		t.Run(c.path, func(t *testing.T) {
			status, b := e.api("GET", c.path, "", nil)
			if status != c.status || string(b) != c.body {
				t.Fatalf("%s = %d %q", c.path, status, b)
			}
		})
	}
	t.Run("readyz refuses an older schema", func(t *testing.T) {
		if err := s.DB.Exec("DELETE FROM schema_migrations").Error; err != nil {
			t.Fatal(err)
		}
		status, b := e.api("GET", "/readyz", "", nil)
		if status != 503 || !strings.Contains(string(b), "schema version 0") {
			t.Fatalf("readyz = %d %q", status, b)
		}
	})
	t.Run("readyz refuses a dead database; healthz stays up", func(t *testing.T) {
		s.Close()
		if status, _ := e.api("GET", "/readyz", "", nil); status != 503 {
			t.Fatalf("readyz = %d", status)
		}
		if status, _ := e.api("GET", "/healthz", "", nil); status != 200 {
			t.Fatalf("healthz = %d", status)
		}
	})
}
