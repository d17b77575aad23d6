package models

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Group commit.
//
// A message that writes (a report step, the 确认 that files a hazard) is a
// transaction of some eighteen statements when it runs alone, and on a busy
// machine each statement — a round trip, parsed and answered by the server —
// costs more than the disk does. InGroup lets concurrent messages share one
// transaction. A leader takes the messages waiting (at most one per sender),
// counts them against the per-sender limit with one upsert, locks their
// dialogues with one SELECT, runs each message's step in turn, and writes
// what the steps leave for the end in one statement each for the whole
// group: the year's counter (one update for all the new hazards), the new
// hazards with their numbers, their events, the count rows, the outbox
// rows, the dialogues and the dedupe records with their replies.
//
// Running alone (InTx) stays the rule; the group is only a faster way to the
// same commit. A step that fails, or that cannot run in a group, before it
// has written anything itself is dropped from the group (what it left for the
// end is forgotten) and runs again alone. A step that fails after writing
// rolls the whole group back, and every member runs again alone; so does a
// group whose end fails (a deadlock, a dedupe key another replica recorded
// first). A member's count survives a commit of its group and is found by the
// message's key when it runs alone (CountInbound counts a key once).

// GroupJob is one message's work for InGroup.
type GroupJob struct {
	// UserID is the sender: a group holds one message per sender.
	UserID string
	// Key is the message's dedupe key. With Count the message is counted
	// against the sender's minute as CountInbound counts it, and Admit says
	// from the count whether Fn runs.
	Key   string
	Count bool
	Now   time.Time
	Admit func(n int) bool
	// Fn is the message's step, as for InTx. Dialogue writes, the dedupe
	// record (RecordInbound), numbers of new hazards, count rows and outbox
	// rows are written at the group's end; its other statements run at once.
	Fn func(tx *Tx) error
}

// GroupResult is what became of a GroupJob.
type GroupResult struct {
	// Solo says the job was not done in a group: nothing of it was
	// committed but perhaps its count. Run it alone.
	Solo bool
	// N is the sender's count of the minute, this message included, and
	// Admitted whether Fn ran (and committed).
	N        int
	Admitted bool
	// Renumber puts the numbers the group gave new hazards into a text
	// written with their placeholders (a reply); nil when Solo.
	Renumber func(string) string
}

// errAlone is returned by a step that cannot run in a group.
var errAlone = errors.New("models: this step runs alone")

// Group sizes: at most groupMax messages a group, and at most groupLeaders
// groups in flight a replica (one on SQLite, whose one connection runs one
// transaction at a time).
const groupMax = 32

// groupTimeout bounds a group's transaction.
const groupTimeout = 20 * time.Second

// grouper queues the messages of one replica for their groups.
type grouper struct {
	mu      sync.Mutex
	queue   []*member
	leaders int
	max     int // groups in flight
	// stepping says a group is running its steps: the next group starts
	// when that one goes on to its end, so it takes all that waited
	// meanwhile (a group's steps run one after another; its end, the
	// counter and COMMIT, overlaps the next group's steps).
	stepping bool
	free     *sync.Cond
	stats    GroupStats
}

func newGrouper(max int) *grouper {
	g := &grouper{max: max}
	g.free = sync.NewCond(&g.mu)
	return g
}

// GroupStats counts what group commit did on this replica.
type GroupStats struct {
	Groups     int64 // groups committed
	Members    int64 // messages committed in them
	Alone      int64 // messages sent to run alone (a refused step, a step that cannot share)
	RolledBack int64 // groups rolled back (their messages ran alone)
}

// GroupStats returns the replica's group commit counts so far.
func (s *Store) GroupStats() GroupStats {
	if s.groups == nil {
		return GroupStats{}
	}
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	return s.groups.stats
}

type member struct {
	job  GroupJob
	res  GroupResult
	done chan struct{}
	tx   *Tx
}

// groupTx is what a group's members share.
type groupTx struct {
	base      *Tx
	dialogues map[string]*Dialogue // locked at the start; a nil value: none
	// photos counts each sender's draft photos, read at the start (one
	// statement); a sender's entry goes when their photos change.
	photos map[string]int64
	// dirWritten: a member wrote to the directory, so no member's reads
	// may fill the replica's cache any more (dircache.go).
	dirWritten bool
}

// later is what a member leaves for its group's end.
type later struct {
	hazards   []*Hazard // with placeholder ids, as their events
	events    []*Event
	adopt     []adoption
	dialogues []dialogueWrite
	inbound   []inbound
	deltas    []countDelta
}

// adoption is AdoptDraftPhotos left for the end, when the hazard and event
// have their ids.
type adoption struct {
	userid string
	h      *Hazard
	ev     *Event
	phase  string
}

// Placeholder ids: a hazard or event a member creates is written at the
// group's end, and until then carries an id no row has (above any real
// one, below 2^63, 19 digits unlike any number's placeholder), which texts
// and outbox rows written meanwhile may name: the end puts the real id in
// their place. A statement that names one is refused (placeholderGuard).
const placeholderIDBase = 9_200_000_000_000_000_000

var placeholderSeq atomic.Uint64

func placeholderID() uint {
	return uint(placeholderIDBase + rand.Uint64N(1<<40)<<12 + placeholderSeq.Add(1)%(1<<12))
}

func isPlaceholderID(id uint) bool { return uint64(id) >= placeholderIDBase }

type dialogueWrite struct {
	userid string
	d      *Dialogue // nil: delete
}

// Grouped reports whether messages on this store may share transactions.
func (s *Store) Grouped() bool { return s.groups != nil }

// InGroup runs job in a transaction it may share with other messages, and
// waits for the group to commit or roll back. It never fails: a job the
// group could not do comes back Solo.
func (s *Store) InGroup(job GroupJob) GroupResult {
	if s.groups == nil {
		return GroupResult{Solo: true}
	}
	m := &member{job: job, done: make(chan struct{})}
	g := s.groups
	g.mu.Lock()
	g.queue = append(g.queue, m)
	if g.leaders < g.max {
		g.leaders++
		go s.lead()
	}
	g.mu.Unlock()
	<-m.done
	return m.res
}

// lead runs groups until no message waits.
func (s *Store) lead() {
	g := s.groups
	for {
		g.mu.Lock()
		for g.stepping {
			g.free.Wait()
		}
		var batch, rest []*member
		seen := map[string]bool{}
		for _, m := range g.queue {
			u := Truncate(m.job.UserID, 64, "")
			if len(batch) < groupMax && !seen[u] {
				seen[u] = true
				batch = append(batch, m)
			} else {
				rest = append(rest, m)
			}
		}
		g.queue = rest
		if len(batch) == 0 {
			g.leaders--
			g.mu.Unlock()
			return
		}
		g.stepping = true
		g.mu.Unlock()
		var once sync.Once
		s.runGroup(batch, func() {
			once.Do(func() {
				g.mu.Lock()
				g.stepping = false
				g.free.Signal()
				g.mu.Unlock()
			})
		})
	}
}

// runGroup runs one group and settles every member's result; stepped is
// called once its steps have run.
func (s *Store) runGroup(ms []*member, stepped func()) {
	defer stepped()
	defer func() {
		for _, m := range ms {
			close(m.done)
		}
	}()
	var accepted []*member
	// A group takes milliseconds; a database that stops answering must not
	// hold its members (and their callbacks) for ever: they run alone.
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	base := &Tx{s: s}
	err := s.groupTx(ctx, base, func(db *gorm.DB) error {
		base.DB = db
		g := &groupTx{base: base, dialogues: map[string]*Dialogue{}, photos: map[string]int64{}}
		if err := base.countGroup(ms); err != nil {
			return err
		}
		var users []string
		for _, m := range ms {
			if m.res.Admitted {
				users = append(users, m.job.UserID)
			}
		}
		if err := base.lockDialogues(g, users); err != nil {
			return err
		}
		if err := base.countPhotos(g, users); err != nil {
			return err
		}
		for _, m := range ms {
			if !m.res.Admitted {
				continue
			}
			t := &Tx{s: s, grp: g, deferNumbers: true}
			t.DB = db.WithContext(context.WithValue(ctx, txKey{}, t))
			if err := runMember(m.job.Fn, t); err != nil {
				if t.wrote {
					return fmt.Errorf("models: group member %s failed after writing: %w", m.job.UserID, err)
				}
				s.Log.Debug("group member runs alone", "user", m.job.UserID, "err", err)
				m.res.Solo = true
				continue
			}
			m.tx = t
			accepted = append(accepted, m)
		}
		stepped()
		return base.flushGroup(accepted)
	})
	g := s.groups
	if err != nil {
		s.Log.Info("group rolled back; its messages run alone", "members", len(ms), "err", err)
		for _, m := range ms {
			m.res = GroupResult{Solo: true}
		}
		g.mu.Lock()
		g.stats.RolledBack++
		g.stats.Alone += int64(len(ms))
		g.mu.Unlock()
		return
	}
	g.mu.Lock()
	g.stats.Groups++
	g.stats.Members += int64(len(accepted))
	for _, m := range ms {
		if m.res.Solo {
			g.stats.Alone++
		}
	}
	g.mu.Unlock()
	for _, m := range accepted {
		for _, f := range m.tx.after {
			f()
		}
		m.res.Renumber = func(s string) string { return s }
		if r := m.tx.numbered; r != nil {
			m.res.Renumber = r.Replace
		}
	}
}

// groupTx runs the group's transaction, a panic (in its end, say)
// rolling it back and becoming its error: the members run alone.
func (s *Store) groupTx(ctx context.Context, base *Tx, fn func(db *gorm.DB) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("models: group panicked: %v", r)
		}
	}()
	return s.DB.WithContext(context.WithValue(ctx, txKey{}, base)).Transaction(fn)
}

// runMember runs a member's step, a panic becoming its error (the step
// runs again alone, where the panic is the request's own).
func runMember(fn func(tx *Tx) error, t *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			t.wrote = true // whatever it did, roll the group back
			err = fmt.Errorf("models: group member panicked: %v", r)
		}
	}()
	return fn(t)
}

// countGroup counts the members that ask for it as CountInbound would, in
// four statements for the group, and decides which are admitted.
func (tx *Tx) countGroup(ms []*member) error {
	var keys []string
	for _, m := range ms {
		if m.job.Count {
			keys = append(keys, Truncate(m.job.Key, 191, ""))
		}
	}
	seen := map[string]int{}
	if len(keys) > 0 {
		var rows []inboundCounted
		if err := tx.DB.Where("`key` IN ?", keys).Find(&rows).Error; err != nil {
			return fmt.Errorf("models: count inbound: %w", err)
		}
		for _, r := range rows {
			seen[r.Key] = r.N
		}
	}
	// The others count in their sender's row, minute by minute, senders in
	// order (two groups lock the rows they share in one order).
	type fresh struct {
		m      *member
		userid string
		key    string
		minute int64
	}
	var todo []fresh
	for _, m := range ms {
		if !m.job.Count {
			continue
		}
		key := Truncate(m.job.Key, 191, "")
		if n, ok := seen[key]; ok {
			m.res.N = n
			continue
		}
		todo = append(todo, fresh{m, Truncate(m.job.UserID, 64, ""), key, m.job.Now.Unix() / 60})
	}
	slices.SortFunc(todo, func(a, b fresh) int {
		if a.minute != b.minute {
			return int(a.minute - b.minute)
		}
		return strings.Compare(a.userid, b.userid)
	})
	for i := 0; i < len(todo); {
		j := i
		for j < len(todo) && todo[j].minute == todo[i].minute {
			j++
		}
		part := todo[i:j]
		var sb strings.Builder
		args := make([]any, 0, 2*len(part))
		users := make([]string, 0, len(part))
		sb.WriteString("INSERT INTO inbound_rates (userid, minute, n) VALUES ")
		for k, f := range part {
			if k > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?, ?, 1)")
			args = append(args, f.userid, f.minute)
			users = append(users, f.userid)
		}
		type got struct {
			UserID string `gorm:"column:userid"`
			N      int
		}
		var counts []got
		if tx.s.driver == "mysql" {
			sb.WriteString(" ON DUPLICATE KEY UPDATE n = n + 1")
			if err := tx.DB.Exec(sb.String(), args...).Error; err != nil {
				return fmt.Errorf("models: count inbound: %w", err)
			}
			// The rows are this transaction's until it ends: what it reads
			// is what it wrote.
			if err := tx.DB.Raw("SELECT userid, n FROM inbound_rates WHERE minute = ? AND userid IN ?", part[0].minute, users).Scan(&counts).Error; err != nil {
				return fmt.Errorf("models: count inbound: %w", err)
			}
		} else {
			sb.WriteString(" ON CONFLICT (userid, minute) DO UPDATE SET n = n + 1 RETURNING userid, n")
			if err := tx.DB.Raw(sb.String(), args...).Scan(&counts).Error; err != nil {
				return fmt.Errorf("models: count inbound: %w", err)
			}
		}
		byUser := map[string]int{}
		for _, c := range counts {
			byUser[c.UserID] = c.N
		}
		for _, f := range part {
			n, ok := byUser[f.userid]
			if !ok {
				return fmt.Errorf("models: count inbound for %s: no count came back", f.userid)
			}
			f.m.res.N = n
		}
		i = j
	}
	if len(todo) > 0 {
		rows := make([]inboundCounted, len(todo))
		for i, f := range todo {
			rows[i] = inboundCounted{Key: f.key, N: f.m.res.N, CreatedAt: f.m.job.Now.UTC()}
		}
		// A key another delivery recorded meanwhile fails the group: every
		// member then runs alone, and that one finds its first count.
		if err := tx.DB.Create(&rows).Error; err != nil {
			return fmt.Errorf("models: count inbound: %w", err)
		}
	}
	for _, m := range ms {
		m.res.Admitted = !m.job.Count || m.job.Admit == nil || m.job.Admit(m.res.N)
	}
	return nil
}

// lockDialogues reads and locks the senders' dialogues in one statement,
// in userid order.
func (tx *Tx) lockDialogues(g *groupTx, users []string) error {
	if len(users) == 0 {
		return nil
	}
	slices.Sort(users)
	var rows []Dialogue
	var err error
	if tx.s.driver == "mysql" {
		// One look-up by key a sender: "userid IN (…)" may be read as a
		// range, and a range read locks the row after it — another
		// group's, which deadlocks the two.
		keys, args := keyTable(users)
		err = tx.DB.Raw("SELECT d.* FROM "+keys+" JOIN dialogues d ON d.userid = k.k FOR UPDATE", args...).Scan(&rows).Error
	} else {
		err = tx.DB.Where("userid IN ?", users).Find(&rows).Error
	}
	if err != nil {
		return fmt.Errorf("models: load dialogues: %w", err)
	}
	for _, u := range users {
		g.dialogues[u] = nil
	}
	for i := range rows {
		g.dialogues[rows[i].UserID] = &rows[i]
	}
	return nil
}

// countPhotos reads how many draft photos each sender has, in one
// statement (their dialogues, locked, keep their photos from changing).
func (tx *Tx) countPhotos(g *groupTx, users []string) error {
	if len(users) == 0 {
		return nil
	}
	var rows []struct {
		DraftUser string
		N         int64
	}
	if err := tx.DB.Model(&Attachment{}).Select("draft_user, COUNT(*) AS n").Where("draft_user IN ? AND hazard_id IS NULL", users).
		Group("draft_user").Scan(&rows).Error; err != nil {
		return fmt.Errorf("models: count draft photos: %w", err)
	}
	for _, u := range users {
		g.photos[u] = 0
	}
	for _, r := range rows {
		g.photos[r.DraftUser] = r.N
	}
	return nil
}

// flushGroup writes what the accepted members left for the end: numbers
// (the counter locked from here to COMMIT), count rows, outbox rows,
// dialogues and dedupe records.
func (tx *Tx) flushGroup(ms []*member) error {
	var hs, newHs []*Hazard
	var newEvs []*Event
	var adopt []adoption
	var held []OutboxItem
	var deltas []countDelta
	var dws []dialogueWrite
	var inb []inbound
	for _, m := range ms {
		t := m.tx
		hs = append(hs, t.unnumbered...)
		newHs = append(newHs, t.later.hazards...)
		newEvs = append(newEvs, t.later.events...)
		adopt = append(adopt, t.later.adopt...)
		held = append(held, t.held...)
		deltas = append(deltas, t.later.deltas...)
		dws = append(dws, t.later.dialogues...)
		inb = append(inb, t.later.inbound...)
		t.unnumbered, t.held = nil, nil
	}
	var numbered *strings.Replacer
	if len(hs) > 0 {
		asof, err := tx.countsAsOf()
		if err != nil {
			return err
		}
		pairs, err := tx.numberGroup(hs)
		if err != nil {
			return err
		}
		ids, err := tx.insertGroup(newHs, newEvs, adopt)
		if err != nil {
			return err
		}
		numbered = strings.NewReplacer(append(pairs, ids...)...)
		for _, h := range hs {
			deltas = appendDeltas(deltas, h, 1, asof)
		}
		for _, m := range ms {
			m.tx.numbered = numbered
		}
	}
	if err := tx.applyCounts(deltas); err != nil {
		return err
	}
	if len(held) > 0 {
		renumberItems(held, numbered)
		if err := tx.enqueueAll(held); err != nil {
			return err
		}
	}
	if numbered != nil {
		for _, w := range dws {
			if w.d != nil {
				w.d.Data = numbered.Replace(w.d.Data)
			}
		}
	}
	if err := tx.writeDialogues(dws); err != nil {
		return err
	}
	if len(inb) > 0 {
		for i := range inb {
			if numbered != nil {
				inb[i].Reply = numbered.Replace(inb[i].Reply)
			}
		}
		// A key taken meanwhile (another delivery of the message, on
		// another replica) fails the group; alone, that member finds it.
		if err := tx.DB.Create(&inb).Error; err != nil {
			return fmt.Errorf("models: record inbound: %w", err)
		}
	}
	return nil
}

// numberGroup numbers the group's new hazards, not yet written, so that
// they are inserted with their numbers (numberPlaceholders).
func (tx *Tx) numberGroup(hs []*Hazard) ([]string, error) {
	for _, h := range hs {
		if !isPlaceholderID(h.ID) {
			return nil, fmt.Errorf("models: group: hazard %d was written before its number", h.ID)
		}
	}
	return tx.numberPlaceholders(hs)
}

// insertGroup writes the group's new hazards, then their events, each in
// one statement, then adopts their photos, and returns the pairs that put
// the real ids in place of the placeholders.
func (tx *Tx) insertGroup(hs []*Hazard, evs []*Event, adopt []adoption) ([]string, error) {
	var pairs []string
	old := make([]uint, len(hs))
	for i, h := range hs {
		old[i], h.ID = h.ID, 0
	}
	if err := tx.DB.CreateInBatches(hs, 200).Error; err != nil {
		return nil, fmt.Errorf("models: create hazards: %w", err)
	}
	real := map[uint]uint{}
	for i, h := range hs {
		real[old[i]] = h.ID
		pairs = append(pairs, strconv.FormatUint(uint64(old[i]), 10), strconv.FormatUint(uint64(h.ID), 10))
	}
	for _, ev := range evs {
		id, ok := real[ev.HazardID]
		if !ok {
			return nil, fmt.Errorf("models: group: event of an unknown hazard %d", ev.HazardID)
		}
		ev.HazardID = id
		pairs = append(pairs, strconv.FormatUint(uint64(ev.ID), 10), "")
		ev.ID = 0
	}
	if err := tx.DB.CreateInBatches(evs, 200).Error; err != nil {
		return nil, fmt.Errorf("models: create events: %w", err)
	}
	for i, ev := range evs {
		pairs[2*len(hs)+2*i+1] = strconv.FormatUint(uint64(ev.ID), 10)
	}
	for _, a := range adopt {
		if _, err := tx.adoptPhotos(a.userid, a.h, a.ev, a.phase); err != nil {
			return nil, err
		}
	}
	return pairs, nil
}

// enqueueAll writes outbox items in one statement, a key already queued
// kept as it is (as enqueue does one by one).
func (tx *Tx) enqueueAll(items []OutboxItem) error {
	now := tx.Now().UTC()
	msgs := make([]OutboxMessage, 0, len(items))
	for _, it := range items {
		m, err := it.row(now)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	err := tx.DB.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).CreateInBatches(&msgs, 200).Error
	if err != nil {
		return fmt.Errorf("models: enqueue: %w", err)
	}
	return nil
}

// writeDialogues applies the members' dialogue writes: deletes in one
// statement, new dialogues in one, changed ones in one upsert (their rows
// are locked by this transaction).
func (tx *Tx) writeDialogues(ws []dialogueWrite) error {
	last := map[string]*Dialogue{}
	var order []string
	for _, w := range ws {
		if _, ok := last[w.userid]; !ok {
			order = append(order, w.userid)
		}
		last[w.userid] = w.d
	}
	var dels []string
	var ins, ups []Dialogue
	for _, u := range order {
		switch d := last[u]; {
		case d == nil:
			dels = append(dels, u)
		case d.Version == 1:
			ins = append(ins, *d)
		default:
			ups = append(ups, *d)
		}
	}
	if len(dels) > 0 {
		var err error
		if tx.s.driver == "mysql" {
			keys, args := keyTable(dels) // by key, as lockDialogues reads them
			err = tx.DB.Exec("DELETE d FROM dialogues d JOIN "+keys+" ON d.userid = k.k", args...).Error
		} else {
			err = tx.DB.Where("userid IN ?", dels).Delete(&Dialogue{}).Error
		}
		if err != nil {
			return fmt.Errorf("models: delete dialogues: %w", err)
		}
	}
	if len(ins) > 0 {
		// Two first messages of one user at once on two replicas: the
		// other's row came first; the group fails and this one runs alone.
		if err := tx.DB.Create(&ins).Error; err != nil {
			return fmt.Errorf("models: save dialogues: %w", err)
		}
	}
	if len(ups) > 0 {
		err := tx.DB.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "userid"}},
			DoUpdates: clause.AssignmentColumns([]string{"status", "data", "updated_at", "version"})}).Create(&ups).Error
		if err != nil {
			return fmt.Errorf("models: save dialogues: %w", err)
		}
	}
	return nil
}

// placeholderGuard is a gorm callback: a statement that names a
// placeholder id (a hazard or event not yet written) fails — it would find
// or change nothing — and the step runs alone.
func placeholderGuard(db *gorm.DB) {
	ctx := db.Statement.Context
	if ctx == nil {
		return
	}
	if t, ok := ctx.Value(txKey{}).(*Tx); !ok || t.grp == nil {
		return // only a group's members hold placeholders
	}
	for _, v := range db.Statement.Vars {
		if namesPlaceholder(v) {
			db.AddError(fmt.Errorf("%w: a statement names a hazard not yet written", errAlone))
			return
		}
	}
}

func namesPlaceholder(v any) bool {
	switch x := v.(type) {
	case uint:
		return isPlaceholderID(x)
	case uint64:
		return x >= placeholderIDBase
	case int64:
		return x >= placeholderIDBase
	case int:
		return x >= placeholderIDBase
	case *uint:
		return x != nil && isPlaceholderID(*x)
	case string, []byte, time.Time, bool, float64, int32, nil:
		return false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		for i := range rv.Len() {
			if namesPlaceholder(rv.Index(i).Interface()) {
				return true
			}
		}
	}
	return false
}

// keyTable is a derived table k of keys (column k), for a join that
// finds each row by its key.
func keyTable(keys []string) (string, []any) {
	var sb strings.Builder
	args := make([]any, len(keys))
	sb.WriteString("(")
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(" UNION ALL ")
		}
		sb.WriteString("SELECT ? AS k")
		args[i] = k
	}
	sb.WriteString(") k")
	return sb.String(), args
}

// markGroupWrite is a gorm callback: a statement that may write, run by a
// group's member, marks the member as having written (its failure then
// rolls the group back).
func markGroupWrite(db *gorm.DB) {
	if ctx := db.Statement.Context; ctx != nil {
		if t, ok := ctx.Value(txKey{}).(*Tx); ok && t.grp != nil {
			t.wrote = true
		}
	}
}

func registerGroupWrites(db *gorm.DB) error {
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("hazardbot:group_write", markGroupWrite),
		cb.Update().Before("gorm:update").Register("hazardbot:group_write", markGroupWrite),
		cb.Delete().Before("gorm:delete").Register("hazardbot:group_write", markGroupWrite),
		cb.Raw().Before("gorm:raw").Register("hazardbot:group_write", markGroupWrite),
		cb.Query().After("gorm:query").Register("hazardbot:placeholder", placeholderGuard),
		cb.Create().After("gorm:create").Register("hazardbot:placeholder", placeholderGuard),
		cb.Update().After("gorm:update").Register("hazardbot:placeholder", placeholderGuard),
		cb.Delete().After("gorm:delete").Register("hazardbot:placeholder", placeholderGuard),
		cb.Raw().After("gorm:raw").Register("hazardbot:placeholder", placeholderGuard),
		cb.Row().After("gorm:row").Register("hazardbot:placeholder", placeholderGuard),
		// Raw(...).Scan runs through Row: an INSERT … RETURNING, say.
		cb.Row().Before("gorm:row").Register("hazardbot:group_write", func(db *gorm.DB) {
			verb, _, _ := strings.Cut(strings.TrimSpace(db.Statement.SQL.String()), " ")
			switch strings.ToLower(verb) {
			case "insert", "update", "delete", "replace":
				markGroupWrite(db)
			}
		}),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
