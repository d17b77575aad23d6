package handlers

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// sealAt builds a callback POST for m as WeCom would have sent it at
// signed (the timestamp parameter and the message's CreateTime), from the
// app agent: what an attacker holds after capturing a real request.
func (e *env) sealAt(m bot.Message, signed time.Time, agent int64) (query string, body []byte) {
	e.t.Helper()
	m.Time, m.AgentID = signed, agent
	nonce := fmt.Sprintf("n%d", e.seq.Add(1))
	body, sig, err := e.wecom.SealInbound(wecomtest.EncodeInbound(m, e.wecom.CorpID()), signed, nonce)
	if err != nil {
		e.t.Fatal(err)
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(signed.Unix(), 10)}, "nonce": {nonce}}
	return q.Encode(), body
}

// effects counts every table a handled callback could write.
func (e *env) effects() string {
	return fmt.Sprintf("inbound=%d hazards=%d events=%d outbox=%d dialogues=%d",
		e.count("inbound"), e.count("hazards"), e.count("events"), e.count("outbox"), e.count("dialogues"))
}

// TestCallbackReplayIsRefused: an attacker who captured correctly signed
// callbacks posts them again later. Outside the window (default one hour)
// they are refused with 403 and change nothing, however long ago they were
// first handled and whether or not their dedupe row still exists.
func TestCallbackReplayIsRefused(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		start := e.clock.Now()
		report := bot.Message{ID: "7291000000000000001", UserID: "zhangsan", Kind: bot.KindText, Text: oneShotReport}
		confirm := bot.Message{ID: "7291000000000000002", UserID: "zhangsan", Kind: bot.KindText, Text: "确认"}
		rq, rbody := e.sealAt(report, start, agentID)
		cq, cbody := e.sealAt(confirm, start.Add(30*time.Second), agentID)
		if r := e.open(e.post(rq, rbody)); !strings.Contains(r.Text, "确认") {
			t.Fatalf("report reply %q", r.Text)
		}
		e.clock.Add(30 * time.Second)
		if r := e.open(e.post(cq, cbody)); !strings.Contains(r.Text, "YH2023-0001") {
			t.Fatalf("confirm reply %q", r.Text)
		}
		// A report signed two hours ago that never reached the server: no
		// dedupe row can stop it, only the window.
		unseen := bot.Message{ID: "7291000000000000003", UserID: "zhangsan", Kind: bot.KindText,
			Text: strings.Replace(oneShotReport, "液化气钢瓶违规存放", "消防通道堵塞", 1)}

		refused := func(t *testing.T, name, q string, body []byte) {
			t.Helper()
			before := e.effects()
			status, b := e.post(q, body)
			if status != 403 {
				t.Fatalf("%s: status %d (%s), want 403", name, status, b)
			}
			if after := e.effects(); after != before {
				t.Fatalf("%s changed the database: %s → %s", name, before, after)
			}
		}

		t.Run("within the window a replay is answered from the dedupe row", func(t *testing.T) {
			before := e.effects()
			if r := e.open(e.post(cq, cbody)); !strings.Contains(r.Text, "YH2023-0001") {
				t.Fatalf("replayed confirm reply %q", r.Text)
			}
			if after := e.effects(); after != before {
				t.Fatalf("a replay within the window wrote: %s → %s", before, after)
			}
		})

		e.clock.Add(2 * time.Hour)
		t.Run("two hours later the captured requests are refused", func(t *testing.T) {
			refused(t, "captured report", rq, rbody)
			refused(t, "captured confirm", cq, cbody)
			uq, ubody := e.sealAt(unseen, e.clock.Now().Add(-2*time.Hour), agentID)
			refused(t, "unseen report signed two hours ago", uq, ubody)
		})

		t.Run("a request signed two hours ahead is refused", func(t *testing.T) {
			q, body := e.sealAt(unseen, e.clock.Now().Add(2*time.Hour), agentID)
			refused(t, "future report", q, body)
		})

		t.Run("a fresh timestamp does not save a stale CreateTime", func(t *testing.T) {
			// Only someone holding the key could build this, but the
			// inner time is checked on its own.
			old := unseen
			old.Time, old.AgentID = e.clock.Now().Add(-2*time.Hour), agentID
			nonce := "n-inner"
			now := e.clock.Now()
			body, sig, err := e.wecom.SealInbound(wecomtest.EncodeInbound(old, e.wecom.CorpID()), now, nonce)
			if err != nil {
				t.Fatal(err)
			}
			q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(now.Unix(), 10)}, "nonce": {nonce}}
			refused(t, "stale CreateTime", q.Encode(), body)
		})

		t.Run("a message for another app of the corp is refused", func(t *testing.T) {
			q, body := e.sealAt(unseen, e.clock.Now(), agentID+1)
			refused(t, "other agent", q, body)
			q, body = e.sealAt(unseen, e.clock.Now(), 0)
			refused(t, "no agent", q, body)
		})

		t.Run("dedupe rows outlive the window: six days on, housekeeping keeps them", func(t *testing.T) {
			before := e.count("inbound")
			e.clock.Add(6 * 24 * time.Hour)
			if err := bot.New(s, config.Default(), nil).Housekeeping(ctx); err != nil {
				t.Fatal(err)
			}
			if n := e.count("inbound"); n != before || n == 0 {
				t.Fatalf("inbound rows %d → %d after six days", before, n)
			}
		})

		t.Run("after the week's pruning the replay is still refused", func(t *testing.T) {
			e.clock.Add(2 * 24 * time.Hour)
			if err := bot.New(s, config.Default(), nil).Housekeeping(ctx); err != nil {
				t.Fatal(err)
			}
			if n := e.count("inbound"); n != 0 {
				t.Fatalf("%d inbound rows survive a week, want the pruning to have run", n)
			}
			refused(t, "captured confirm after pruning", cq, cbody)
			refused(t, "captured report after pruning", rq, rbody)
		})

		t.Run("a delayed but genuine callback inside the window is handled", func(t *testing.T) {
			q, body := e.sealAt(unseen, e.clock.Now().Add(-59*time.Minute), agentID)
			if r := e.open(e.post(q, body)); !strings.Contains(r.Text, "确认") {
				t.Fatalf("reply %q", r.Text)
			}
		})

		t.Run("refusals are counted", func(t *testing.T) {
			_, b := e.api("GET", "/metrics", "", nil)
			for _, want := range []string{
				`hazardbot_wecom_callbacks_total{outcome="stale",type="unknown"} 7`,
				`hazardbot_wecom_callbacks_total{outcome="wrong_agent",type="unknown"} 2`,
			} {
				if !strings.Contains(string(b), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	})
}
