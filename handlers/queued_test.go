package handlers

import (
	"strings"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestDeactivateUserReroutesQueuedNotices: 王五, 茅箭区's supervisor, leaves
// while the review card of a rectification waits in the outbox, and 小王
// takes his place. Deactivating him hands the card to 小王 and says so; the
// assignment card still waiting for 李四, the gas company's only contact,
// has nobody to go to when he is deactivated: it is marked failed with the
// reason (visible in GET /api/v1/outbox?state=failed), never sent to him.
// A supervisor who stays but takes another role hands the card on the same
// way.
func TestDeactivateUserReroutesQueuedNotices(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		var h hazardOut
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "燃气管道锈蚀", "description": "内容",
			"region": "maojian", "unit": "demo_gas", "sector": "燃气", "deadline": "2023-03-31"}, 201, &h)
		e.admin("POST", "/api/v1/hazards/"+h.Number+"/transitions", map[string]any{"actor": "lisi", "action": "accept"}, 200, nil)
		e.admin("POST", "/api/v1/hazards/"+h.Number+"/transitions", map[string]any{"actor": "lisi", "action": "submit", "note": "已更换"}, 200, nil)
		e.admin("POST", "/api/v1/users", models.UserSpec{UserID: "xiaowang", Name: "小王", Unit: "maojian", Roles: []string{"supervisor"}}, 200, nil)

		type outbox struct {
			Items []models.OutboxMessage `json:"items"`
		}
		pendingFor := func(user string) []models.OutboxMessage {
			var o outbox
			e.admin("GET", "/api/v1/outbox?state=pending", nil, 200, &o)
			var out []models.OutboxMessage
			for _, m := range o.Items {
				if strings.Contains("|"+m.Recipients+"|", "|"+user+"|") {
					out = append(out, m)
				}
			}
			return out
		}
		if n := len(pendingFor("wangwu")); n != 1 {
			t.Fatalf("%d rows wait for wangwu, want the review card", n)
		}
		type deactivated struct {
			UserID string `json:"userid"`
			Active bool   `json:"active"`
			Queued struct {
				Rerouted int    `json:"rerouted"`
				Dropped  int    `json:"dropped"`
				Message  string `json:"message"`
			} `json:"queued_notices"`
		}
		var d deactivated
		e.admin("POST", "/api/v1/users/wangwu/deactivate", nil, 200, &d)
		if d.Active || d.Queued.Rerouted != 1 || d.Queued.Dropped != 0 || !strings.Contains(d.Queued.Message, "1") {
			t.Fatalf("deactivate wangwu: %+v, want the review card re-routed", d)
		}
		if n := len(pendingFor("wangwu")); n != 0 {
			t.Errorf("%d rows still wait for wangwu", n)
		}
		if rows := pendingFor("xiaowang"); len(rows) != 1 || rows[0].Kind != "template_card" || !strings.HasSuffix(rows[0].DedupeKey, "|reviewers") {
			t.Errorf("waiting for xiaowang: %+v, want the review card", rows)
		}

		// 小王 moves to leading and 小赵 supervises: the card follows the role.
		e.admin("POST", "/api/v1/users", models.UserSpec{UserID: "xiaozhao", Name: "小赵", Unit: "maojian", Roles: []string{"supervisor"}}, 200, nil)
		d = deactivated{}
		e.admin("POST", "/api/v1/users", models.UserSpec{UserID: "xiaowang", Name: "小王", Unit: "maojian", Roles: []string{"leader"}}, 200, &d)
		if !d.Active || d.Queued.Rerouted != 1 {
			t.Fatalf("xiaowang no longer a supervisor: %+v, want the review card re-routed", d)
		}
		if rows := pendingFor("xiaozhao"); len(rows) != 1 || len(pendingFor("xiaowang")) != 0 {
			t.Errorf("waiting for xiaozhao: %+v, want the review card and nothing for xiaowang", rows)
		}

		d = deactivated{}
		e.admin("POST", "/api/v1/users/lisi/deactivate", nil, 200, &d)
		if d.Queued.Rerouted != 0 || d.Queued.Dropped != 1 {
			t.Fatalf("deactivate lisi: %+v, want the assignment card dropped", d)
		}
		var failed outbox
		e.admin("GET", "/api/v1/outbox?state=failed", nil, 200, &failed)
		if len(failed.Items) != 1 || !strings.HasSuffix(failed.Items[0].DedupeKey, "|contacts") || !strings.Contains(failed.Items[0].LastError, "停用") {
			t.Fatalf("failed rows %+v, want the assignment card saying why", failed.Items)
		}
	})
}
