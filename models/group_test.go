package models_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// groupReport is what the chat path does for a 确认 in a group, reduced to
// the ledger: the sender's dialogue is read, a hazard is created, the
// supervisors are told by an outbox row naming its number and its event,
// the dialogue ends and the reply (which names the number) is recorded
// with the message's key. refuse makes the step fail before it writes
// anything; poison makes it fail after writing.
func groupReport(t *testing.T, in models.HazardInput, user, key string, refuse, poison bool, reply *string, h **models.Hazard) func(tx *models.Tx) error {
	return func(tx *models.Tx) error {
		if _, err := tx.LoadDialogue(user); err != nil {
			return err
		}
		if refuse {
			return models.Errorf(models.EInvalid, "请先填写隐患内容")
		}
		a, err := tx.Actor("zhangsan")
		if err != nil {
			return err
		}
		hz, ev, err := tx.CreateHazard(a, in)
		if err != nil {
			return err
		}
		if _, err := tx.Enqueue(models.OutboxItem{Key: fmt.Sprintf("ev|%d|supervisors", ev.ID), Recipients: []string{"lisi"}, Kind: "text",
			Body: fmt.Sprintf("新上报隐患待交办：%s（事件 %d）交办请发：交办 %d", hz.Number, ev.ID, hz.Seq)}); err != nil {
			return err
		}
		if poison {
			if err := tx.SavePage(user, "{}"); err != nil { // a write that runs at once
				return err
			}
			return errors.New("poisoned after writing")
		}
		if err := tx.DeleteDialogue(user); err != nil {
			return err
		}
		text := fmt.Sprintf("已登记，编号 %s。查询请发：查询 %d", hz.Number, hz.Seq)
		if _, _, err := tx.RecordInbound(key, user, text); err != nil {
			return err
		}
		*reply, *h = text, hz
		return nil
	}
}

// runReports files total reports at once through InGroup on the stores
// (replicas), each refused or poisoned one run again alone as the bot does,
// and checks the ledger after.
func runReports(t *testing.T, stores []*models.Store, total int) {
	t.Helper()
	in := gasLeak(stores[0], t)
	for i := range total {
		// Each sender has a dialogue to end.
		user := fmt.Sprintf("u%03d", i)
		if err := stores[0].InTx(ctx, func(tx *models.Tx) error {
			return tx.SaveDialogue(&models.Dialogue{UserID: user, Status: models.DialogueActive, Data: "{}"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	type outcome struct {
		reply string
		h     *models.Hazard
		res   models.GroupResult
	}
	out := make([]outcome, total)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			user, key := fmt.Sprintf("u%03d", i), fmt.Sprintf("msg-%d", i)
			s := stores[i%len(stores)]
			o := &out[i]
			o.res = s.InGroup(models.GroupJob{UserID: user, Key: key, Count: true, Now: s.Now(),
				Fn: groupReport(t, in, user, key, i%7 == 3, i == 11, &o.reply, &o.h)})
			if !o.res.Solo {
				o.reply = o.res.Renumber(o.reply)
				return
			}
			// Alone, as the bot runs it: counted again (found by its key),
			// then its own transaction, where the refusal is final.
			if _, err := s.CountInbound(ctx, key, user, s.Now()); err != nil {
				t.Error(err)
				return
			}
			err := s.InTx(ctx, groupReport(t, in, user, key, i%7 == 3, false, &o.reply, &o.h))
			var me *models.Error
			if err != nil && !(i%7 == 3 && errors.As(err, &me)) {
				t.Errorf("report %d alone: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	s := stores[0]
	filed := 0
	for i, o := range out {
		if i%7 == 3 {
			if o.h != nil || o.res.Admitted && !o.res.Solo {
				t.Errorf("report %d was refused but committed", i)
			}
			continue
		}
		filed++
		if o.h == nil {
			t.Fatalf("report %d: no hazard", i)
		}
		want := fmt.Sprintf("已登记，编号 %s。查询请发：查询 %d", o.h.Number, o.h.Seq)
		if o.reply != want || !strings.HasPrefix(o.h.Number, "YH2023-") {
			t.Errorf("report %d: reply %q, want %q", i, o.reply, want)
		}
		var stored []string
		s.DB.Table("inbound").Where("`key` = ?", fmt.Sprintf("msg-%d", i)).Pluck("reply", &stored)
		if len(stored) != 1 || stored[0] != want {
			t.Errorf("report %d: stored reply %q, want %q", i, stored, want)
		}
	}
	var numbers []string
	if err := s.DB.Table("hazards").Order("seq").Pluck("number", &numbers).Error; err != nil {
		t.Fatal(err)
	}
	if len(numbers) != filed {
		t.Fatalf("%d hazards in the ledger, want %d", len(numbers), filed)
	}
	for i, n := range numbers {
		if w := fmt.Sprintf("YH2023-%04d", i+1); n != w {
			t.Fatalf("number %d is %s, want %s (a gap, a repeat or a placeholder)", i+1, n, w)
		}
	}
	// Every event belongs to a hazard; every outbox row names a real
	// number and a real event.
	var orphans int64
	s.DB.Raw("SELECT COUNT(*) FROM events e LEFT JOIN hazards h ON h.id = e.hazard_id WHERE h.id IS NULL").Scan(&orphans)
	if orphans != 0 {
		t.Errorf("%d events of no hazard", orphans)
	}
	var rows []struct {
		DedupeKey string
		Body      string
	}
	s.DB.Table("outbox").Select("dedupe_key, body").Scan(&rows)
	if len(rows) != filed {
		t.Errorf("%d outbox rows, want %d", len(rows), filed)
	}
	body := regexp.MustCompile(`^新上报隐患待交办：(YH2023-\d{4})（事件 (\d+)）交办请发：交办 (\d+)$`)
	for _, r := range rows {
		m := body.FindStringSubmatch(r.Body)
		if m == nil {
			t.Errorf("outbox body %q names a placeholder", r.Body)
			continue
		}
		var n int64
		s.DB.Raw("SELECT COUNT(*) FROM events e JOIN hazards h ON h.id = e.hazard_id WHERE e.id = ? AND h.number = ? AND h.seq = ?", m[2], m[1], m[3]).Scan(&n)
		if n != 1 || r.DedupeKey != "ev|"+m[2]+"|supervisors" {
			t.Errorf("outbox row %q %q names no real event and number", r.DedupeKey, r.Body)
		}
	}
	var dialogues int64
	s.DB.Table("dialogues").Count(&dialogues)
	if want := int64(total - filed); dialogues != want {
		t.Errorf("%d dialogues left, want %d (the refused reports')", dialogues, want)
	}
	// Counted once each: every sender's minute holds one message.
	var over int64
	s.DB.Raw("SELECT COUNT(*) FROM inbound_rates WHERE n <> 1").Scan(&over)
	if over != 0 {
		t.Errorf("%d senders counted more than once", over)
	}
	var g models.GroupStats
	for _, st := range stores {
		x := st.GroupStats()
		g.Groups, g.Members, g.Alone, g.RolledBack = g.Groups+x.Groups, g.Members+x.Members, g.Alone+x.Alone, g.RolledBack+x.RolledBack
	}
	if g.Groups == 0 || g.Members <= g.Groups || g.RolledBack == 0 || g.Alone == 0 {
		t.Errorf("group commit did not do its part: %+v", g)
	}
	t.Logf("%d reports: %+v", total, g)
}

func TestGroupCommitFilesReportsTogether(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		runReports(t, []*models.Store{s}, 60)
	})
}

func TestGroupCommitAcrossReplicas(t *testing.T) {
	runReports(t, replicas(t, "mysql", 3), 120)
}

// A step that would use a hazard before the group has written it (here:
// read its events by id, or file a tip against it) is sent to run alone,
// and nothing of it is committed by the group.
func TestGroupSendsStepsThatNeedTheRowAlone(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		in := gasLeak(s, t)
		for name, use := range map[string]func(tx *models.Tx, h *models.Hazard) error{
			"events by id": func(tx *models.Tx, h *models.Hazard) error { _, err := tx.Events(h.ID, 10); return err },
			"tip":          func(tx *models.Tx, h *models.Hazard) error { _, err := tx.CreateTip("wx:o1", h); return err },
		} {
			res := s.InGroup(models.GroupJob{UserID: "zhangsan", Key: name, Fn: func(tx *models.Tx) error {
				a, err := tx.Actor("zhangsan")
				if err != nil {
					return err
				}
				h, _, err := tx.CreateHazard(a, in)
				if err != nil {
					return err
				}
				return use(tx, h)
			}})
			if !res.Solo {
				t.Errorf("%s: the step stayed in the group", name)
			}
		}
		var n int64
		s.DB.Table("hazards").Count(&n)
		if n != 0 {
			t.Errorf("%d hazards written by steps sent alone", n)
		}
	})
}

// A message counted in a group is counted once: its delivery again (in a
// group or alone) gets the first count.
func TestGroupCountsAMessageOnce(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		job := func(key string) models.GroupResult {
			return s.InGroup(models.GroupJob{UserID: "zhangsan", Key: key, Count: true, Now: s.Now(),
				Admit: func(n int) bool { return n <= 2 }, Fn: func(tx *models.Tx) error { return nil }})
		}
		for i, want := range []struct {
			key      string
			n        int
			admitted bool
		}{{"a", 1, true}, {"b", 2, true}, {"a", 1, true}, {"c", 3, false}, {"b", 2, true}} {
			if got := job(want.key); got.Solo || got.N != want.n || got.Admitted != want.admitted {
				t.Errorf("delivery %d of %s: %+v, want count %d admitted %v", i, want.key, got, want.n, want.admitted)
			}
		}
		if n, err := s.CountInbound(ctx, "c", "zhangsan", s.Now()); err != nil || n != 3 {
			t.Errorf("c alone: count %d, %v; want 3", n, err)
		}
	})
}
