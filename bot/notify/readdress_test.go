package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestWorkerLeavesOutTheDeactivated: messages queued for someone who is no
// longer an active user when their turn comes — wangwu, 茅箭区's supervisor,
// deactivated while a review card and a reminder waited — do not reach
// him. The review card goes to whoever now supervises the hazard's county;
// a reminder that was only his is marked failed with the reason (never
// silently sent); a digest he shared with 周八 still reaches 周八; a userid
// the directory never knew (an unknown reporter) still gets his answer.
func TestWorkerLeavesOutTheDeactivated(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 3, 15, 10, 0))
		h := e.report("燃气管道锈蚀", "gasco", "maojian", models.NewDate(2023, 3, 31))
		e.act("lisi", h, models.ActSubmit, models.Change{Note: "已更换"})
		var submit uint
		e.tx(func(tx *models.Tx) error {
			evs, err := tx.Events(h.ID, 0)
			for _, ev := range evs {
				if ev.Action == models.ActSubmit {
					submit = ev.ID
				}
			}
			return err
		})
		e.tx(func(tx *models.Tx) error {
			if _, err := tx.SaveUser(models.UserSpec{UserID: "xiaowang", Name: "小王", Unit: "maojian", Roles: []string{"supervisor"}}); err != nil {
				return err
			}
			// Deactivated behind the outbox's back, as a replica with a
			// stale directory might queue for him afterwards.
			return tx.DB.Exec("UPDATE users SET active = ? WHERE userid = ?", false, "wangwu").Error
		})
		queue := func(key, text string, users ...string) {
			body, _ := json.Marshal(bot.Outgoing{Kind: bot.OutText, ToUsers: users, Text: text})
			e.tx(func(tx *models.Tx) error {
				_, err := tx.Enqueue(models.OutboxItem{Key: key, Recipients: users, Kind: "text", Body: string(body)})
				return err
			})
		}
		review := fmt.Sprintf("ev|%d|reviewers", submit)
		queue(review, "整改待复查", "wangwu")
		queue("remind|2023-03-15|wangwu", "时限提醒", "wangwu")
		queue("digest|2023-03-15|maojian", "日报", "wangwu", "zhouba")
		queue("ev|1|reporter", "你上报的隐患已交办", "stranger01")

		fake, client := wecomAPI(t, time.Second, "")
		m := NewMetrics(nil)
		w := NewWorker(s, client, WorkerOptions{Backoff: noBackoff, Metrics: m})
		drain(t, s, 5, w)
		got := map[string][]string{}
		for _, msg := range fake.Sent() {
			got[msg.Text] = msg.To
			if slices.Contains(msg.To, "wangwu") {
				t.Errorf("%q reached deactivated wangwu", msg.Text)
			}
		}
		if to := got["整改待复查"]; !slices.Equal(to, []string{"xiaowang"}) {
			t.Errorf("review card went to %v, want the county's supervisor now, xiaowang", to)
		}
		if to := got["日报"]; !slices.Equal(to, []string{"zhouba"}) {
			t.Errorf("digest went to %v, want zhouba only", to)
		}
		if to := got["你上报的隐患已交办"]; !slices.Equal(to, []string{"stranger01"}) {
			t.Errorf("a stranger's answer went to %v", to)
		}
		if _, ok := got["时限提醒"]; ok {
			t.Errorf("a reminder for nobody was sent")
		}
		r := e.row("remind|2023-03-15|wangwu")
		if r.State != models.OutboxFailed || !strings.Contains(r.LastError, "停用") {
			t.Errorf("reminder for nobody: %s %q, want failed saying why", r.State, r.LastError)
		}
		if r := e.row(review); r.State != models.OutboxSent || r.Recipients != "xiaowang" {
			t.Errorf("review row %s to %q", r.State, r.Recipients)
		}
		if got := counter(m.messages.WithLabelValues("text", "failed")); got != 1 {
			t.Errorf("failed counter %v, want 1", got)
		}
	})
}
