package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/models"
)

// check waits for the outbox to drain, then compares the ledger, the
// outbox and what the fake WeCom API received with what the simulator was
// told. It prints the figures and reports whether everything held.
func (s *soak) check(ctx context.Context) bool {
	var problems []string
	fail := func(format string, args ...any) {
		if len(problems) < 50 {
			fmt.Printf("soak: FAIL: "+format+"\n", args...)
		}
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	drained, waited := s.waitDrained(ctx)
	if !drained {
		fail("outbox not drained after %s", waited.Round(time.Second))
	}

	// Hazards, events and photos of the soak's reports.
	type dbHazard struct {
		id            uint
		number, state string
	}
	byTitle := map[string][]dbHazard{}
	rows, err := s.db.QueryContext(ctx, "SELECT id, number, title, state FROM hazards")
	if err != nil {
		fail("read hazards: %v", err)
		return false
	}
	for rows.Next() {
		var h dbHazard
		var title string
		rows.Scan(&h.id, &h.number, &title, &h.state)
		byTitle[title] = append(byTitle[title], h)
	}
	rows.Close()
	events := map[uint]map[models.Action]int{}
	rows, err = s.db.QueryContext(ctx, "SELECT hazard_id, action, COUNT(*) FROM events GROUP BY hazard_id, action")
	if err != nil {
		fail("read events: %v", err)
		return false
	}
	for rows.Next() {
		var id uint
		var a string
		var n int
		rows.Scan(&id, &a, &n)
		if events[id] == nil {
			events[id] = map[models.Action]int{}
		}
		events[id][models.Action(a)] = n
	}
	rows.Close()
	photos := map[uint]map[string]int{}
	rows, err = s.db.QueryContext(ctx, "SELECT hazard_id, phase, COUNT(*) FROM attachments WHERE hazard_id IS NOT NULL GROUP BY hazard_id, phase")
	if err != nil {
		fail("read attachments: %v", err)
		return false
	}
	for rows.Next() {
		var id uint
		var phase string
		var n int
		rows.Scan(&id, &phase, &n)
		if photos[id] == nil {
			photos[id] = map[string]int{}
		}
		photos[id][phase] = n
	}
	rows.Close()

	var reportsOK, reportsMaybe, reportsRefused, lostReports, dupReports, changesOK, changesMaybe int
	for _, r := range s.ledger.records {
		found := byTitle[r.title]
		switch {
		case r.created:
			reportsOK++
			if len(found) == 0 {
				lostReports++
				fail("report %s (%s) answered 已登记 but is not in the ledger", r.number, r.title)
				continue
			}
			if len(found) > 1 {
				dupReports += len(found) - 1
				fail("report %s exists %d times", r.title, len(found))
				continue
			}
		case r.createMaybe:
			reportsMaybe++
			if len(found) > 1 {
				dupReports += len(found) - 1
				fail("unanswered report %s exists %d times", r.title, len(found))
			}
			continue
		default:
			reportsRefused++
			if len(found) != 0 {
				fail("report %s was refused but exists", r.title)
			}
			continue
		}
		h := found[0]
		if h.number != r.number {
			fail("report %s: answered number %s, ledger number %s", r.title, r.number, h.number)
		}
		if got := photos[h.id][models.PhaseBefore]; got != r.photosBefore {
			fail("%s: %d photos before in the ledger, the 已登记 reply said %d", r.number, got, r.photosBefore)
		}
		if got := photos[h.id][models.PhaseAfter]; got != r.photosAfter && (r.maybe[models.ActSubmit] == 0 && r.photosMaybe == 0 || got < r.photosAfter) {
			fail("%s: %d photos after in the ledger, the 已提交 and late-photo replies said %d", r.number, got, r.photosAfter)
		}
		for _, a := range []models.Action{models.ActReport, models.ActAssign, models.ActAccept, models.ActSubmit, models.ActReject, models.ActPass} {
			got, ok, maybe := events[h.id][a], r.ok[a], r.maybe[a]
			changesOK += ok
			changesMaybe += maybe
			if got < ok || got > ok+maybe {
				fail("%s: %d %s events, %d answered as done (+%d unanswered)", r.number, got, a, ok, maybe)
			}
		}
		if !r.uncertain && h.state != string(r.state) {
			fail("%s: state %s, expected %s", r.number, h.state, r.state)
		}
	}

	// The outbox against what WeCom received.
	type obRow struct {
		id          uint
		key, state  string
		kind, body  string
		attempts    int
		lastError   string
		recipients  string
		match       string
		createdAt   time.Time
		sentAt      *time.Time
		claimedBy   string
		claimedTill *time.Time
		due         time.Time
	}
	var outbox []obRow
	held := 0
	// A photo goes out as an image uploaded under its stored file's name.
	sentPhotos := map[uint]string{}
	if prow, err := s.db.QueryContext(ctx, "SELECT id, path FROM attachments"); err == nil {
		for prow.Next() {
			var id uint
			var p string
			prow.Scan(&id, &p)
			sentPhotos[id] = path.Base(p)
		}
		prow.Close()
	}
	states := map[string]int{}
	rows, err = s.db.QueryContext(ctx, "SELECT id, dedupe_key, state, kind, body, attempts, last_error, recipients, next_attempt_at FROM outbox ORDER BY id")
	if err != nil {
		fail("read outbox: %v", err)
		return false
	}
	for rows.Next() {
		var o obRow
		rows.Scan(&o.id, &o.key, &o.state, &o.kind, &o.body, &o.attempts, &o.lastError, &o.recipients, &o.due)
		o.match = outboxMatch(o.body, sentPhotos)
		states[o.state]++
		outbox = append(outbox, o)
	}
	rows.Close()
	sent := s.fake.Sent()
	got := map[string][]wecomtest.FakeMessage{}
	for _, m := range sent {
		k := fakeMatch(m)
		got[k] = append(got[k], m)
	}
	want := map[string][]obRow{}
	for _, o := range outbox {
		want[o.match] = append(want[o.match], o)
		if o.state == models.OutboxFailed {
			fail("outbox %d (%s) failed: %s", o.id, o.key, o.lastError)
		}
		if o.state == models.OutboxPending {
			if o.attempts == 0 && o.due.After(time.Now().Add(time.Minute)) {
				held++ // held for the quiet hours
				continue
			}
			fail("outbox %d (%s) still pending after %d attempts: %s", o.id, o.key, o.attempts, o.lastError)
		}
	}
	lostMsgs, dupKill, dupDB, dupOther, extra := 0, 0, 0, 0, 0
	for k, rs := range want {
		n := len(got[k])
		if n < len(rs) {
			for _, o := range rs {
				if o.state == models.OutboxSent {
					lostMsgs++
					fail("outbox %d (%s) recorded sent but WeCom got %d of %d", o.id, o.key, n, len(rs))
					break
				}
			}
			continue
		}
		if n == len(rs) {
			continue
		}
		d := n - len(rs)
		switch {
		case s.faults.inFlight[rs[0].key]:
			dupKill += d
		case s.duringDBDown(got[k][0].Time):
			dupDB += d
		default:
			dupOther += d
			fail("outbox %s reached WeCom %d times", rs[0].key, n)
		}
	}
	for k, ms := range got {
		if len(want[k]) == 0 {
			extra += len(ms)
			fail("WeCom got a message no outbox row explains: %s %q", ms[0].MsgType, ms[0].Text)
		}
	}

	// The summary against the ledger.
	var counts = map[string]int64{}
	rows, err = s.db.QueryContext(ctx, "SELECT state, COUNT(*) FROM hazards GROUP BY state")
	if err == nil {
		for rows.Next() {
			var st string
			var n int64
			rows.Scan(&st, &n)
			counts[st] = n
		}
		rows.Close()
	}
	var all int64
	for _, n := range counts {
		all += n
	}
	own := models.Figures{Found: all - counts[string(models.StateWithdrawn)],
		Rectified: counts[string(models.StatePendingReview)] + counts[string(models.StateClosed)], Closed: counts[string(models.StateClosed)]}
	sum, err := s.summary(ctx)
	if err != nil {
		fail("summary: %v", err)
	} else if sum.Found != own.Found || sum.Rectified != own.Rectified || sum.Closed != own.Closed {
		fail("Summary says 发现%d 已整改完成%d 已销号%d, the ledger by state says %d %d %d", sum.Found, sum.Rectified, sum.Closed, own.Found, own.Rectified, own.Closed)
	}
	if len(s.stats.mismatch) > 0 {
		for _, m := range s.stats.mismatch[:min(5, len(s.stats.mismatch))] {
			fail("deliveries of one callback got different answers: %s", m)
		}
	}

	// Figures.
	st := s.stats
	fmt.Println()
	fmt.Println("==== soak figures ====")
	fmt.Printf("run: %s of traffic, %d replicas, %d conversations, seed %d\n", s.o.duration, len(s.reps), s.ledger.flows.Load(), s.o.seed)
	for _, l := range s.faults.lines {
		fmt.Println("fault:", l)
	}
	fmt.Printf("callbacks sent: %d; deliveries: %d (%.2f per callback); callbacks with no good answer after %d deliveries: %d\n",
		st.callbacks.Load(), st.deliveries.Load(), float64(st.deliveries.Load())/float64(max(1, st.callbacks.Load())), maxDeliveries, st.unanswered)
	fmt.Printf("replies by kind: %s\n", sortedCounts(st.replies))
	fmt.Printf("errors by kind: %s\n", sortedCounts(st.errors))
	fmt.Printf("latency per answered delivery: p50 %s, p99 %s\n", st.percentile(0.50).Round(100*time.Microsecond), st.percentile(0.99).Round(100*time.Microsecond))
	fmt.Printf("steps: %s\n", sortedCounts(s.ledger.steps))
	fmt.Printf("reports: %d answered 已登记, %d unanswered (may exist, at most once), %d refused; lost %d, duplicated %d\n",
		reportsOK, reportsMaybe, reportsRefused, lostReports, dupReports)
	fmt.Printf("state changes: %d answered as done, %d unanswered (at most once)\n", changesOK, changesMaybe)
	fmt.Printf("ledger: %s; Summary: 发现%d 已整改完成%d 已销号%d 逾期%d\n", sortedCounts64(counts), sum.Found, sum.Rectified, sum.Closed, sum.Overdue)
	fmt.Printf("outbox: %d rows (%s; %d of the pending held for the quiet hours), drained in %s; WeCom accepted %d messages\n", len(outbox), sortedCounts(states), held, waited.Round(time.Second), len(sent))
	fmt.Printf("messages lost = %d; duplicated = %d (%d claimed by the killed replica, %d sent while MariaDB was down so the send could not be recorded; both are the at-least-once allowance), unexplained duplicates %d, unexplained messages %d\n",
		lostMsgs, dupKill+dupDB+dupOther, dupKill, dupDB, dupOther, extra)
	who, most := busiestMinute(sent, time.Minute)
	fmt.Printf("most messages to one member in any 60 s: %d (%s); WeCom drops beyond 30\n", most, who)
	// The workers admit at most 30 a member in any minute of reservation
	// time; a send's own latency can shift arrivals by a few seconds, so the
	// check allows that much and no more.
	if who55, most55 := busiestMinute(sent, 55*time.Second); most55 > 30 {
		fail("%s got %d messages within 55 s: the per-member limit did not hold across replicas", who55, most55)
	}
	if len(s.ledger.refused) > 0 {
		fmt.Printf("refusals (%d), first ones:\n", len(s.ledger.refused))
		for _, r := range s.ledger.refused[:min(8, len(s.ledger.refused))] {
			fmt.Println("  ", r)
		}
	}
	if reportsOK == 0 {
		fail("no report got a success reply: the run proves nothing")
	}
	if len(problems) > 0 {
		fmt.Printf("%d problems\n", len(problems))
	}
	return len(problems) == 0
}

// waitDrained waits until no outbox row is pending, up to -drain-timeout.
func (s *soak) waitDrained(ctx context.Context) (bool, time.Duration) {
	start := time.Now()
	last := time.Now()
	for time.Since(start) < s.o.drain && ctx.Err() == nil {
		var n int
		// A row held for the quiet hours (a digest the scheduler caught up
		// on in the evening) is due tomorrow morning: not waited for.
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?", time.Now().UTC().Add(time.Minute)).Scan(&n); err == nil && n == 0 {
			// Let the photo fetchers and the last sends settle.
			time.Sleep(time.Second)
			return true, time.Since(start)
		}
		if time.Since(last) > 15*time.Second {
			fmt.Printf("soak: waiting for the outbox: %d pending after %.0fs\n", n, time.Since(start).Seconds())
			last = time.Now()
		}
		time.Sleep(500 * time.Millisecond)
	}
	return false, time.Since(start)
}

func (s *soak) duringDBDown(t time.Time) bool {
	for _, w := range s.faults.dbDown {
		if !t.Before(w[0].Add(-2*time.Second)) && !t.After(w[1].Add(5*time.Second)) {
			return true
		}
	}
	return false
}

// summary asks the models package, as the bot's 统计 does.
func (s *soak) summary(ctx context.Context) (models.Figures, error) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	st, err := models.Open(models.DBConfig{Driver: "mysql", DSN: s.dsn, MaxOpenConns: 2}, loc, nil)
	if err != nil {
		return models.Figures{}, err
	}
	defer st.Close()
	var f models.Figures
	err = st.InTx(ctx, func(tx *models.Tx) error {
		var err error
		f, err = tx.Summary(models.SummaryFilter{})
		return err
	})
	return f, err
}

// outboxMatch names what an outbox row's message looks like at WeCom.
func outboxMatch(body string, photos map[uint]string) string {
	var m bot.Outgoing
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return "undecodable:" + body
	}
	to := slices.Clone(m.ToUsers)
	sort.Strings(to)
	switch m.Kind {
	case bot.OutCard:
		return "card|" + m.Card.TaskID
	case bot.OutCardUpdate:
		return "update|" + m.ResponseCode
	case bot.OutTextCard:
		return "textcard|" + strings.Join(to, "|") + "|" + m.Title
	case bot.OutFile:
		return "file|" + strings.Join(to, "|") + "|" + m.FileName
	case bot.OutImage:
		return "image|" + strings.Join(to, "|") + "|" + photos[m.Photo]
	}
	return string(m.Kind) + "|" + strings.Join(to, "|") + "|" + m.Text
}

// fakeMatch names a message the fake WeCom API accepted the same way.
func fakeMatch(m wecomtest.FakeMessage) string {
	to := slices.Clone(m.To)
	sort.Strings(to)
	switch m.MsgType {
	case "template_card":
		id, _ := m.Body["template_card"].(map[string]any)["task_id"].(string)
		return "card|" + id
	case "update_template_card":
		return "update|" + m.ResponseCode
	}
	return m.MsgType + "|" + strings.Join(to, "|") + "|" + m.Text
}

func sortedCounts(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []string
	for _, k := range keys {
		b = append(b, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(b) == 0 {
		return "none"
	}
	return strings.Join(b, ", ")
}

func sortedCounts64(m map[string]int64) string {
	c := map[string]int{}
	for k, v := range m {
		c[k] = int(v)
	}
	return sortedCounts(c)
}

// busiestMinute finds the member who got the most messages in any window
// (60 s for the figure), to see whether the per-recipient limit holds
// across replicas.
func busiestMinute(sent []wecomtest.FakeMessage, window time.Duration) (string, int) {
	times := map[string][]time.Time{}
	for _, m := range sent {
		if m.MsgType == "update_template_card" {
			continue // updates change a card already received
		}
		for _, u := range m.To {
			times[u] = append(times[u], m.Time)
		}
	}
	who, most := "", 0
	for u, ts := range times {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		j := 0
		for i := range ts {
			for ts[i].Sub(ts[j]) >= window {
				j++
			}
			if n := i - j + 1; n > most {
				who, most = u, n
			}
		}
	}
	return who, most
}
