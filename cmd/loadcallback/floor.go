package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
)

// floorYear numbers the floor's hazards apart from the real ones (the
// checks look at the real year only).
const floorYear = 1999

// floor is the least a report can cost on this schema: verify and decrypt,
// then the rows the issue names for a report — the dedupe record with its
// reply, the actor's row read, the year's number, the hazard, its event, one
// notice in the outbox — batched as group commit batches them (the messages
// waiting share one transaction), written by hand-made multi-row
// statements in two round trips through database/sql: no bot, no gorm, no
// dialogue, no per-sender count, no pre-aggregated counts. With all it
// writes those too, as the real path does (the per-sender count and its
// record, the dialogue locked and deleted, six count rows): the least the
// real path's rows can cost. What the real path costs beyond that is the
// bot's own and gorm's.
//
// One transaction in flight: measured against two and four, one was the
// fastest (the year's counter is held to COMMIT, so a second transaction
// waits on it and the batches only get smaller).
type floor struct {
	db   *sql.DB
	c    *wecom.Crypto
	now  time.Time
	all  bool   // also the rows the real path writes for the per-sender limit, the dialogue and the counts
	part string // the dedupe keys' prefix: each run files its own messages

	mu      sync.Mutex
	queue   []*floorJob
	leading bool
}

type floorJob struct {
	m     bot.Message
	reply string
	err   error
	done  chan struct{}
}

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	q := r.URL.Query()
	m, err := f.c.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	if err != nil {
		http.Error(w, "bad", http.StatusForbidden)
		return
	}
	j := &floorJob{m: m, done: make(chan struct{})}
	f.mu.Lock()
	f.queue = append(f.queue, j)
	if !f.leading {
		f.leading = true
		go f.lead()
	}
	f.mu.Unlock()
	<-j.done
	if j.err != nil {
		fmt.Fprintln(os.Stderr, "floor:", j.err)
		http.Error(w, j.err.Error(), http.StatusInternalServerError)
		return
	}
	out, err := f.c.Seal(bot.Reply{Text: j.reply}, m.UserID, agentID, f.now, q.Get("nonce"))
	if err != nil {
		http.Error(w, "seal", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// lead writes batches of at most 32 waiting messages until none waits.
func (f *floor) lead() {
	for {
		f.mu.Lock()
		batch := f.queue[:min(len(f.queue), 32)]
		f.queue = f.queue[len(batch):]
		if len(batch) == 0 {
			f.leading = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		err := f.write(batch)
		for _, j := range batch {
			j.err = err
			close(j.done)
		}
	}
}

// write files a batch in one transaction and two round trips: the first
// begins, takes the year's numbers (INSERT … ON DUPLICATE KEY UPDATE …
// RETURNING) and reads the actors; the second inserts the hazards, their
// events (ids from LAST_INSERT_ID: a multi-row insert's ids are
// consecutive under innodb_autoinc_lock_mode 0 or 1), the outbox rows and
// the dedupe records, and commits. f.db must allow multiple statements.
func (f *floor) write(batch []*floorJob) (err error) {
	ctx := context.Background()
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer func() {
		if err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	n := len(batch)
	args := []any{fmt.Sprintf("hazard/%d", floorYear), n, n}
	for _, j := range batch {
		args = append(args, j.m.UserID)
	}
	extra := ""
	if f.all {
		// What the real path writes besides: the per-sender count and
		// its record, the dialogue (locked, then deleted), the day's and
		// the month's pre-aggregated counts.
		extra = "; INSERT INTO inbound_rates (userid, minute, n) VALUES " + marks(n, 3) + " ON DUPLICATE KEY UPDATE n = n + 1" +
			"; INSERT INTO inbound_counted (`key`, n, created_at) VALUES " + marks(n, 3) +
			"; SELECT userid FROM dialogues WHERE userid IN (" + marks(n, 1) + ") FOR UPDATE"
		for _, j := range batch {
			args = append(args, j.m.UserID, 27960600, 1)
		}
		for _, j := range batch {
			args = append(args, f.part+"|"+j.m.ID, 1, time.Now().UTC())
		}
		for _, j := range batch {
			args = append(args, j.m.UserID)
		}
	}
	rows, err := conn.QueryContext(ctx, "START TRANSACTION; "+
		"INSERT INTO counters (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = value + ? RETURNING value; "+
		"SELECT userid, name FROM users WHERE userid IN ("+marks(n, 1)+")"+extra, args...)
	if err != nil {
		return err
	}
	var last int64
	names := map[string]string{}
	for rows.Next() {
		if err := rows.Scan(&last); err != nil {
			rows.Close()
			return err
		}
	}
	if rows.NextResultSet() {
		for rows.Next() {
			var u, name string
			if err := rows.Scan(&u, &name); err != nil {
				rows.Close()
				return err
			}
			names[u] = name
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if last < int64(n) {
		return fmt.Errorf("floor: counter at %d after taking %d", last, n)
	}
	first := last - int64(n) + 1
	at := time.Now().UTC()
	var q strings.Builder
	args = args[:0]
	q.WriteString("INSERT INTO hazards (year, seq, number, title, description, sector, state, deadline, found_on, reporter_id, created_at, updated_at) VALUES " + marks(n, 12) + "; SET @h = LAST_INSERT_ID(); ")
	for i, j := range batch {
		seq := first + int64(i)
		args = append(args, floorYear, seq, fmt.Sprintf("YH%d-%04d", floorYear, seq), "液化气瓶存放不规范",
			"餐馆后厨液化气瓶未固定，与灶具距离不足", "燃气", "reported", "2023-03-31", "2023-03-01", j.m.UserID, at, at)
	}
	q.WriteString("INSERT INTO events (hazard_id, action, to_state, actor_id, actor_name, created_at) VALUES ")
	for i, j := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "(@h + %d, ?, ?, ?, ?, ?)", i)
		args = append(args, "report", "reported", j.m.UserID, names[j.m.UserID], at)
	}
	q.WriteString("; SET @e = LAST_INSERT_ID(); INSERT INTO outbox (dedupe_key, recipients, kind, body, state, next_attempt_at, created_at) VALUES ")
	for i, j := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		seq := first + int64(i)
		fmt.Fprintf(&q, "(CONCAT('ev|', @e + %d, '|supervisors'), ?, ?, ?, ?, ?, ?)", i)
		body := fmt.Sprintf(`{"kind":"text","to_users":["fengshier"],"text":"新上报隐患待交办：YH%d-%04d 液化气瓶存放不规范\n燃气，上报人：%s\n交办请发：交办 %d 责任单位 时限"}`,
			floorYear, seq, names[j.m.UserID], seq)
		args = append(args, "fengshier", "text", body, "pending", at, at)
	}
	if extra != "" {
		q.WriteString("; DELETE FROM dialogues WHERE userid IN (" + marks(n, 1) + ")")
		for _, j := range batch {
			args = append(args, j.m.UserID)
		}
		q.WriteString("; INSERT INTO hazard_counts (agg, grain, period, region_id, sector, state, committee_id, campaign_id, n) VALUES " + marks(6, 9) +
			" ON DUPLICATE KEY UPDATE n = n + VALUES(n)")
		for agg := range 3 {
			for _, grain := range []string{"d", "m"} {
				sector, committee, campaign := "燃气", 22, 1
				if agg > 0 {
					sector, committee, campaign = "", 0, 0
				}
				args = append(args, agg, grain, "2023-03-01", 2, sector, "reported", committee, campaign, n)
			}
		}
	}
	q.WriteString("; INSERT INTO inbound (`key`, userid, reply, created_at) VALUES " + marks(n, 4) + "; COMMIT")
	for i, j := range batch {
		seq := first + int64(i)
		j.reply = fmt.Sprintf("已登记，编号 YH%d-%04d。\n液化气瓶存放不规范\n已通知督办员交办。\n查询进度：查询 %d", floorYear, seq, seq)
		args = append(args, f.part+"|"+j.m.ID, j.m.UserID, j.reply, at)
	}
	_, err = conn.ExecContext(ctx, q.String(), args...)
	return err
}

// marks is n rows of k placeholders: (?, ?), (?, ?) — or, for k = 1, the
// list ?, ? of an IN.
func marks(n, k int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + ")"
	if k == 1 {
		row = "?"
	}
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}
