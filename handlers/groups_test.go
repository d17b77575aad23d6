package handlers

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/notify"
	"hazardbot/bot/wecom"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// groupEnv is env with the WeCom side real: the fake WeCom API (group
// robots and app chats included) behind the real client and group sender.
type groupEnv struct {
	*env
	fake   *wecomtest.Fake
	worker *notify.Worker
	n      *notify.Notifier
}

func newGroupEnv(t *testing.T, s *models.Store) *groupEnv {
	t.Helper()
	e := newEnv(t, s)
	fake := wecomtest.NewFake(wecomtest.FakeOptions{CorpID: "wwcorp", Secret: "s3cret", AgentID: agentID, Now: e.clock.Now,
		RobotKeys: map[string]bool{"robot-maojian": true}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := wecom.NewClient(wecom.Config{CorpID: "wwcorp", Secret: "s3cret", AgentID: agentID, APIBase: srv.URL},
		wecom.NewMemoryTokens(), wecom.WithHTTPClient(srv.Client()), wecom.WithClock(e.clock.Now), wecom.WithAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	w := notify.NewWorker(s, bot.Channels{WeCom: c, Groups: wecom.NewGroups(c, s, s)}, notify.WorkerOptions{Owner: "g", PerUserPerMinute: 30, Batch: 50})
	cfg := config.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &groupEnv{env: e, fake: fake, worker: w, n: notify.New(s, cfg, bot.DirFiles{Dir: t.TempDir()}, nil)}
}

func (e *groupEnv) deliver() {
	e.t.Helper()
	for range 20 {
		n, err := e.worker.RunOnce(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *groupEnv) group(to string) []wecomtest.FakeMessage {
	var out []wecomtest.FakeMessage
	for _, m := range e.fake.Sent() {
		if len(m.To) == 1 && m.To[0] == to {
			out = append(out, m)
		}
	}
	return out
}

func TestWeComGroupPushes(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newGroupEnv(t, s)
		e.admin("POST", "/api/v1/units/maojian/group", map[string]string{"webhook_key": "robot-maojian"}, 200, nil)
		e.admin("POST", "/api/v1/units/zhangwan/group", map[string]string{"chat_id": "chat-zhangwan"}, 200, nil)
		if status, code := e.errorCode("POST", "/api/v1/units/maojian/group", map[string]string{"webhook_key": "a", "chat_id": "b"}); status != 400 || code == "" {
			t.Fatalf("both targets: %d %s", status, code)
		}
		b := e.admin("GET", "/api/v1/outbox", nil, 200, nil)
		if strings.Contains(string(b), "robot-maojian") {
			t.Fatal("the webhook key is in the outbox")
		}

		e.say("zhangsan", "g-1", oneShotReport) // 茅箭区, deadline 3月10日
		e.say("zhangsan", "g-2", "确认")
		e.deliver()

		t.Run("the county group gets its overdue list in the morning", func(t *testing.T) {
			e.clock.Set(time.Date(2023, 3, 13, 8, 30, 0, 0, modelstest.Shanghai)) // Monday
			if _, err := e.n.GroupOverdue(ctx, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.deliver()
			got := e.group("robot:robot-maojian")
			if len(got) != 1 || got[0].MsgType != "markdown" {
				t.Fatalf("robot got %+v", got)
			}
			mustContain(t, "overdue list", got[0].Text, "逾期隐患", "YH2023-0001", "逾期3天", "十堰市某燃气有限公司（示例）")
			if len(e.group("chat:chat-zhangwan")) != 0 {
				t.Fatal("张湾区, with nothing overdue, got a list")
			}
			// The job run twice the same day queues nothing new.
			if r, err := e.n.GroupOverdue(ctx, e.clock.Now()); err != nil || r.Queued != 0 {
				t.Fatalf("second run queued %d, %v", r.Queued, err)
			}
		})

		t.Run("the weekly 通报 with the ranking goes to every group", func(t *testing.T) {
			if _, err := e.n.GroupWeekly(ctx, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.deliver()
			for _, to := range []string{"robot:robot-maojian", "chat:chat-zhangwan"} {
				var weekly []wecomtest.FakeMessage
				for _, m := range e.group(to) {
					if strings.Contains(m.Text, "每周通报") {
						weekly = append(weekly, m)
					}
				}
				if len(weekly) != 1 || strings.Contains(weekly[0].Text, "附件") {
					t.Fatalf("%s weekly: %+v", to, weekly)
				}
			}
		})

		t.Run("a red-listed hazard is pushed to its county's group", func(t *testing.T) {
			mustContain(t, "list", e.say("wangwu", "g-red", "挂牌 1 红").Text, "已挂牌")
			e.deliver()
			var red int
			for _, m := range e.group("robot:robot-maojian") {
				if strings.Contains(m.Text, "挂牌督办") && strings.Contains(m.Text, "YH2023-0001") {
					red++
				}
			}
			if red != 1 {
				t.Fatalf("red-list pushes %d", red)
			}
		})

		t.Run("a robot gets at most 20 a minute; the rest wait and arrive", func(t *testing.T) {
			before := len(e.group("robot:robot-maojian"))
			err := s.InTx(ctx, func(tx *models.Tx) error {
				for i := range 25 {
					body, _ := json.Marshal(bot.Outgoing{Kind: bot.OutMarkdown, Text: fmt.Sprintf("第%d条", i), ToUsers: []string{bot.GroupRecipient("maojian")}})
					if _, err := tx.Enqueue(models.OutboxItem{Key: fmt.Sprintf("burst|%d", i), Recipients: []string{bot.GroupRecipient("maojian")}, Kind: "markdown", Body: string(body)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Add(2 * time.Minute) // a fresh minute for the robot
			e.deliver()
			sent := len(e.group("robot:robot-maojian")) - before
			if sent != wecom.RobotPerMinute {
				t.Fatalf("sent %d in the first minute, want %d", sent, wecom.RobotPerMinute)
			}
			posts := 0
			for _, r := range e.fake.Requests() {
				if strings.HasSuffix(r.Path, "webhook/send") {
					posts++
				}
			}
			if posts != len(e.group("robot:robot-maojian")) {
				t.Fatalf("%d robot posts for %d accepted: the sender ran into the robot's limit", posts, len(e.group("robot:robot-maojian")))
			}
			var pending int64
			s.DB.Table("outbox").Where("state = ?", models.OutboxPending).Count(&pending)
			if pending != 5 {
				t.Fatalf("%d pending, want the 5 held", pending)
			}
			e.clock.Add(61 * time.Second)
			e.deliver()
			if sent := len(e.group("robot:robot-maojian")) - before; sent != 25 {
				t.Fatalf("sent %d after the minute, want 25", sent)
			}
			var failed int64
			s.DB.Table("outbox").Where("state = ?", models.OutboxFailed).Count(&failed)
			if failed != 0 {
				t.Fatalf("%d failed", failed)
			}
		})
	})
}
