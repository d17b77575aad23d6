package handlers

import (
	"log/slog"
	"strings"
	"testing"

	"hazardbot/bot"
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
