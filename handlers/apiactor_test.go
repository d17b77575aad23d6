package handlers

import (
	"log/slog"
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestAPIActionsSayTheyCameThroughTheAPI: an admin who acts with actor=
// on the admin API writes events that say 经管理接口 and the token's
// name, unlike the same person's own chat; the access log names the token
// and never shows it.
func TestAPIActionsSayTheyCameThroughTheAPI(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		var logs syncBuffer
		e := newEnv(t, s, func(d *Deps) { d.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "燃气管道锈蚀", "description": "内容",
			"region": "maojian", "unit": "demo_gas", "sector": "燃气", "deadline": "2023-03-05"}, 201, nil)
		if r := e.say("wangwu", "list-1", "挂牌 1 红"); !strings.Contains(r.Text, "红") {
			t.Fatalf("挂牌 reply %q", r.Text)
		}
		e.admin("POST", "/api/v1/hazards/YH2023-0001/transitions", map[string]any{"actor": "lisi", "action": "accept"}, 200, nil)

		var events []models.Event
		if err := s.DB.Order("id").Find(&events).Error; err != nil {
			t.Fatal(err)
		}
		api := bot.APIVia("admin_token")
		want := []struct {
			actor string
			via   string
		}{{"zhangsan", api}, {"wangwu", ""}, {"lisi", api}}
		if len(events) != len(want) {
			t.Fatalf("%d events, want %d: %+v", len(events), len(want), events)
		}
		for i, w := range want {
			if events[i].ActorID != w.actor || events[i].Via != w.via {
				t.Errorf("event %d (%s) by %s via %q, want by %s via %q", i, events[i].Action, events[i].ActorID, events[i].Via, w.actor, w.via)
			}
		}

		t.Run("查询 shows which steps came through the API", func(t *testing.T) {
			r := e.say("wangwu", "query-1", "查询 1")
			if strings.Count(r.Text, "经管理接口（admin_token）") != 2 {
				t.Fatalf("查询 reply does not mark the two API steps:\n%s", r.Text)
			}
		})

		t.Run("the access log names the token, never its value", func(t *testing.T) {
			l := logs.String()
			if !strings.Contains(l, "path=/api/v1/hazards/YH2023-0001/transitions") || !strings.Contains(l, "token=admin_token") {
				t.Fatalf("access log lacks the token's name:\n%s", l)
			}
			if strings.Contains(l, adminToken) {
				t.Fatal("access log shows the admin token")
			}
			for line := range strings.Lines(l) {
				if strings.Contains(line, "path=/wecom/callback") && strings.Contains(line, "token=") {
					t.Fatalf("a chat request is logged with a token: %s", line)
				}
			}
		})
	})
}

// TestMetricsToken: with metrics_token set, /metrics answers only to it
// (not to nobody, a wrong token, or the admin token); without it, /metrics
// stays open for a scraper on a private network.
func TestMetricsToken(t *testing.T) {
	const metricsToken = "scrape-me-0123456789abcdef"
	e := newEnv(t, modelstest.Open(t, "sqlite"), func(d *Deps) {
		cfg := *d.Config
		cfg.MetricsToken = metricsToken
		d.Config = &cfg
	})
	open := newEnv(t, modelstest.Open(t, "sqlite"))
	for _, c := range []struct {
		name   string
		e      *env
		token  string
		status int
	}{
		{"no token", e, "", 401},
		{"a wrong token", e, metricsToken + "x", 401},
		{"the admin token", e, adminToken, 401},
		{"the metrics token", e, metricsToken, 200},
		{"no metrics_token configured", open, "", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, b := c.e.api("GET", "/metrics", c.token, nil)
			if status != c.status {
				t.Fatalf("/metrics = %d, want %d", status, c.status)
			}
			if got := strings.Contains(string(b), "hazardbot_wecom_callbacks_total") || strings.Contains(string(b), "# HELP"); got != (c.status == 200) {
				t.Fatalf("/metrics %d shows figures: %v\n%.200s", status, got, b)
			}
		})
	}
}

// TestNamedAdminTokens: with several named tokens, each request is told
// apart by the token it carried: its events say 经管理接口（<name>）, the
// access log carries the name and never a token; a token that is none of
// them (or one of them with a byte more or less) is refused and writes
// nothing; the named tokens work without admin_token.
func TestNamedAdminTokens(t *testing.T) {
	const cityToken, countyToken = "city-office-token-0001", "county-desk-token-0002"
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		var logs syncBuffer
		e := newEnv(t, s, func(d *Deps) {
			cfg := *d.Config
			cfg.AdminToken = ""
			cfg.AdminTokens = config.AdminTokens{{Name: "市应急局对接", Token: cityToken}, {Name: "茅箭区应急局", Token: countyToken}}
			d.Config = &cfg
			d.Log = slog.New(slog.NewTextHandler(&logs, nil))
		})
		for _, tok := range []string{"", adminToken, cityToken + "x", cityToken[:len(cityToken)-1], "Bearer " + countyToken} {
			if status, _ := e.api("POST", "/api/v1/hazards", tok, map[string]any{"actor": "zhangsan", "title": "冒充", "region": "maojian"}); status != 401 {
				t.Fatalf("token %q: %d, want 401", tok, status)
			}
		}
		if n := e.count("hazards"); n != 0 {
			t.Fatalf("refused requests wrote %d hazards", n)
		}
		report := map[string]any{"actor": "zhangsan", "title": "燃气管道锈蚀", "description": "内容", "region": "maojian", "unit": "demo_gas", "sector": "燃气", "deadline": "2023-03-05"}
		if status, b := e.api("POST", "/api/v1/hazards", cityToken, report); status != 201 {
			t.Fatalf("report with the city token: %d %s", status, b)
		}
		if status, b := e.api("POST", "/api/v1/hazards/YH2023-0001/transitions", countyToken, map[string]any{"actor": "lisi", "action": "accept"}); status != 200 {
			t.Fatalf("accept with the county token: %d %s", status, b)
		}
		var events []models.Event
		if err := s.DB.Order("id").Find(&events).Error; err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Via != "经管理接口（市应急局对接）" || events[1].Via != "经管理接口（茅箭区应急局）" {
			t.Fatalf("events %+v, want the report via 市应急局对接 and the accept via 茅箭区应急局", events)
		}
		l := logs.String()
		if !strings.Contains(l, "token=市应急局对接") || !strings.Contains(l, "token=茅箭区应急局") {
			t.Fatalf("access log lacks the tokens' names:\n%s", l)
		}
		if strings.Contains(l, cityToken) || strings.Contains(l, countyToken) {
			t.Fatal("access log shows a token")
		}
	})
}

// TestAPIReportOutsideTheReportersScope: through the API as in chat, a
// report naming a unit outside the reporter's scope waits for the
// supervisors who answer for it, and the answer says so.
func TestAPIReportOutsideTheReportersScope(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		var got struct {
			State  models.State `json:"state"`
			UnitID *uint        `json:"unit_id"`
			Notice string       `json:"notice"`
		}
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "加油站罐区无防火堤",
			"unit": "demo_station", "deadline": "2023-03-20"}, 201, &got)
		if got.State != models.StateReported || got.UnitID != nil || got.Notice != "所填单位（张湾区某加油站（示例））不在您的辖区，已转张湾区督办员交办。" {
			t.Fatalf("answer %+v, want 待交办 with no unit and the notice", got)
		}
		got.Notice = "" // absent from an answer with nothing to say
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "燃气阀门锈蚀",
			"unit": "demo_gas", "deadline": "2023-03-20"}, 201, &got)
		if got.State != models.StateRectifying || got.UnitID == nil || got.Notice != "" {
			t.Fatalf("in scope: %+v, want 整改中 with the unit and no notice", got)
		}
	})
}
