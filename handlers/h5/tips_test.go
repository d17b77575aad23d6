package h5_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// A public tip waits as 待核实 on the county supervisor's home page and in
// the 台账 filter; its page offers 核实办结 to the supervisor, which needs an
// outcome and closes it as 已撤销 with the outcome on the timeline, and the
// tipster's outcome is queued.
func TestTipIsVerifiedOnItsPage(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		st := newSite(t, s)
		var h *models.Hazard
		err := s.InTx(ctx, func(tx *models.Tx) error {
			region, err := tx.FindUnitByCode("maojian")
			if err != nil {
				return err
			}
			a, err := tx.Actor(models.WeChatUserID("oCitizen"))
			if err != nil {
				return err
			}
			if h, _, err = tx.CreateHazard(a, models.HazardInput{Title: "群众举报：商场消防通道堵塞", Description: "商场二楼消防通道堵塞", RegionID: &region.ID, Tip: true}); err != nil {
				return err
			}
			_, err = tx.CreateTip(a.UserID, h)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		super := st.signIn("wangwu")
		if home := super.get("/h5/"); !strings.Contains(home.body, "待核实") || !strings.Contains(home.body, h.Number) {
			t.Fatalf("the supervisor's home page does not list the tip to verify:\n%s", home.body)
		}
		if list := super.get("/h5/ledger?state=unverified"); list.status != http.StatusOK || !strings.Contains(list.body, h.Number) || !strings.Contains(list.body, `value="unverified"`) {
			t.Fatalf("台账 filtered to 待核实: %d", list.status)
		}
		path := "/h5/hazards/" + h.Number
		page := super.get(path)
		if !strings.Contains(page.body, `id="state">待核实<`) || !strings.Contains(page.body, `id="do-dismiss"`) || strings.Contains(page.body, `id="do-pass"`) {
			t.Fatalf("the tip's page offers the wrong actions")
		}
		post := func(form url.Values) answer {
			form.Set("_csrf", csrf(t, super.get(path).body))
			return super.post(path+"/dismiss", form)
		}
		if a := post(url.Values{"note": {"现场核查无此情况"}}); a.status != http.StatusBadRequest || !strings.Contains(a.body, "核实办结要写明结果") {
			t.Fatalf("dismiss without an outcome: %d", a.status)
		}
		if got := stateOf(t, st, h.Number); got.State != models.StateUnverified {
			t.Fatalf("a refused dismissal moved the tip to %s", got.State)
		}
		a := post(url.Values{"outcome": {models.TipFalse}, "note": {"现场核查无此情况"}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("dismiss: %d %s", a.status, a.body)
		}
		body := super.get(a.location).body
		if !strings.Contains(body, `id="state">已撤销<`) || !strings.Contains(body, "核实办结") || !strings.Contains(body, "不属实：现场核查无此情况") {
			t.Fatal("the page does not show the tip closed as 不属实")
		}
		var n int64
		s.DB.Table("outbox").Where("recipients = ? AND state = ?", "wx:oCitizen", models.OutboxPending).Count(&n)
		if n != 1 {
			t.Fatalf("the tipster's outcome: %d rows", n)
		}
	})
}
