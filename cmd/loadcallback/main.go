// Command loadcallback measures the WeCom callback path end to end: real
// crypto, the real gin router, the real bot on a fresh MariaDB/MySQL
// database. It pre-encrypts N distinct text callbacks (查询 and short
// one-shot 上报 from many users), then posts them from C concurrent
// senders, and compares three runs on the same machine:
//
//   - baseline: a crypto-only handler (verify + decrypt + seal an empty
//     reply, no database), the floor any callback costs;
//   - one-insert baseline: the same crypto plus one durable INSERT per
//     message (autocommit, nothing else), the floor of any callback that
//     writes: what a report is compared with;
//   - floor: the rows the issue names for a report (dedupe record, actor
//     read, number, hazard, event, outbox) batched as group commit batches
//     them, by hand-written statements in two round trips; floorall adds
//     the rows the real path writes besides (per-sender count, dialogue,
//     pre-aggregated counts): the least a report's rows can cost on this
//     schema, so the gap between it and the real path is the bot's own;
//   - fresh: the N distinct callbacks through the real router;
//   - reports: R users each send a one-shot 上报 (the draft, with every
//     field) and then 确认, which files it: the full path of a report that
//     creates a hazard (verify, decrypt, dedupe, actor, dialogue, hazard +
//     number + event + outbox, reply), timed on the 确认 callbacks;
//   - repeat: one already-handled callback posted again and again (WeCom's
//     retry; the dedupe path: one lookup, the stored reply re-sealed).
//
// With -replicas K the real router runs K times over K stores (K
// connection pools, K bots: K replicas on one database) and the senders
// spread over them; the numbers must still come out gap-free and ordered.
// With -rate the senders post at that many callbacks a second in all
// (paced, not as fast as they can), for simulating a known peak.
//
// Usage:
//
//	go run ./cmd/loadcallback -dsn 'root@tcp(127.0.0.1:3306)/hazardbot_load' [-n 6000] [-reports 3000] [-c 16] [-users 300] [-repeat 6000] [-replicas 1] [-rate 0] [-cpuprofile fresh.pprof]
//
// The database named in -dsn is created beside the server's others with a
// unique suffix and dropped at the end (-keep keeps it).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/handlers"
	"hazardbot/models"
)

// The official WeCom sample settings: the load needs real crypto, not real secrets.
const (
	token   = "QDG6eK"
	aesKey  = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	corpID  = "wx5823bf96d3bd56c7"
	agentID = 1000002
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadcallback:", err)
		os.Exit(1)
	}
}

// request is one pre-encrypted callback.
type request struct {
	url  string
	body []byte
}

func run() error {
	dsn := flag.String("dsn", "", "MySQL/MariaDB DSN; a fresh database is created beside the one it names (required)")
	n := flag.Int("n", 6000, "distinct callbacks in the fresh run")
	reports := flag.Int("reports", 3000, "one-shot reports filed (each by its own user: 上报, then 确认)")
	conc := flag.Int("c", 16, "concurrent senders")
	users := flag.Int("users", 300, "distinct senders of the fresh run")
	repeat := flag.Int("repeat", 6000, "posts of the one repeated callback")
	conns := flag.Int("conns", 32, "database connection pool size (per replica)")
	replicas := flag.Int("replicas", 1, "replicas of the real router, each with its own store and pool, over one database")
	rate := flag.Float64("rate", 0, "post at this many callbacks a second in all (0: as fast as the senders can)")
	only := flag.String("only", "", "run only these parts, comma-separated: base,insert,floor,floorall,fresh,report,repeat (default all)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the report (确认) run to this file")
	keep := flag.Bool("keep", false, "keep the fresh database")
	trace := flag.Bool("trace", false, "print the statements of one draft and one 确认 before the runs")
	solo := flag.Bool("solo", false, "no group commit: every message its own transaction (the path before group commit)")
	verbose := flag.Bool("v", false, "print the stores' and bots' log (text) on stderr")
	flag.Parse()
	if *dsn == "" {
		return errors.New("-dsn is required (e.g. 'root@tcp(127.0.0.1:3306)/hazardbot_load')")
	}
	want := func(part string) bool {
		return *only == "" || slices.Contains(strings.Split(*only, ","), part)
	}
	ctx := context.Background()
	freshDSN, drop, err := freshDatabase(*dsn)
	if err != nil {
		return err
	}
	if !*keep {
		defer drop()
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, loc)
	var stores []*models.Store
	for range max(1, *replicas) {
		var log *slog.Logger
		if *verbose {
			log = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
		store, err := models.Open(models.DBConfig{Driver: "mysql", DSN: freshDSN, MaxOpenConns: *conns, Solo: *solo}, loc, log)
		if err != nil {
			return err
		}
		defer store.Close()
		store.Now = func() time.Time { return now }
		stores = append(stores, store)
	}
	store := stores[0]
	tr := &tracer{Interface: logger.Discard}
	if *trace {
		store.DB.Logger = tr
		store.DB = store.DB.Session(&gorm.Session{Logger: tr})
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if _, err := store.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
		return err
	}
	senders, err := addUsers(ctx, store, "load", *users)
	if err != nil {
		return err
	}
	reporters, err := addUsers(ctx, store, "rep", *reports)
	if err != nil {
		return err
	}
	cfg := config.Default()
	// The clock stands still, so every message falls in one minute: lift
	// the per-sender limit (its counting is still paid on every message).
	cfg.Dialogue.PerSenderPerMinute = math.MaxInt32
	crypto, err := wecom.NewCrypto(token, aesKey, corpID)
	if err != nil {
		return err
	}
	sealer, err := wecomtest.NewSealer(token, aesKey, corpID)
	if err != nil {
		return err
	}
	var real []string
	var bots []*bot.Bot
	for _, st := range stores {
		b := bot.New(st, cfg, nil)
		bots = append(bots, b)
		reg := prometheus.NewRegistry()
		// The access log is rendered as in production (JSON), then discarded.
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		srv := handlers.New(handlers.Deps{Store: st, Bot: b, Crypto: crypto, AgentID: agentID, Metrics: wecom.NewMetrics(reg),
			Registry: reg, Config: cfg, Log: log})
		ts := httptest.NewServer(srv.Router())
		defer ts.Close()
		real = append(real, ts.URL)
	}
	if _, _, err := bots[0].CreateHazard(ctx, "zhangsan", models.HazardInput{Title: "燃气管道锈蚀", Description: "阀门井内管道锈蚀", Sector: "燃气"}); err != nil {
		return err
	}
	base := httptest.NewServer(baseline(crypto, now, bot.Reply{}, nil))
	defer base.Close()
	sqlDB, err := store.DB.DB()
	if err != nil {
		return err
	}
	if err := store.DB.Exec(baselineTable).Error; err != nil {
		return err
	}
	insert := httptest.NewServer(baseline(crypto, now, bot.Reply{}, sqlDB))
	defer insert.Close()
	multi, err := openMulti(freshDSN, *conns)
	if err != nil {
		return err
	}
	defer multi.Close()

	fresh := make([]request, *n)
	for i := range fresh {
		text := "查询 1"
		if i%2 == 1 {
			text = fmt.Sprintf("上报\n隐患：负载测试隐患%d\n内容：楼道堆放杂物\n区域：茅箭区\n行业：消防\n单位：待定\n时限：3月31日", i)
		}
		m := bot.Message{ID: fmt.Sprintf("load-%d", i), UserID: senders[i%len(senders)], Kind: bot.KindText, Text: text, Time: now, AgentID: agentID}
		if fresh[i], err = seal(sealer, m, i); err != nil {
			return err
		}
	}
	// Each reporter's one-shot 上报 (title, content, county, sector,
	// deadline; no responsible unit, so it waits for assignment and the
	// county's supervisors are told), then 确认. Reports naming one unit
	// with similar titles would be asked 合并 or 继续 (a repeat report), so
	// these name none.
	drafts := make([]request, len(reporters))
	confirms := make([]request, len(reporters))
	for i, u := range reporters {
		text := fmt.Sprintf("上报\n隐患：液化气瓶存放不规范%d\n内容：餐馆后厨液化气瓶未固定，与灶具距离不足\n区域：茅箭区\n行业：燃气\n单位：待定\n时限：3月31日", i)
		m := bot.Message{ID: fmt.Sprintf("draft-%d", i), UserID: u, Kind: bot.KindText, Text: text, Time: now, AgentID: agentID}
		if drafts[i], err = seal(sealer, m, 100000+i); err != nil {
			return err
		}
		m = bot.Message{ID: fmt.Sprintf("confirm-%d", i), UserID: u, Kind: bot.KindText, Text: "确认", Time: now, AgentID: agentID}
		if confirms[i], err = seal(sealer, m, 200000+i); err != nil {
			return err
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: *conc * 2, MaxIdleConnsPerHost: *conc * 2}}
	run := func(name string, urls []string, reqs []request) (stats, error) {
		before := sampleCost(store)
		s, err := blast(client, urls, reqs, *conc, *rate)
		if err != nil {
			return s, fmt.Errorf("%s: %w", name, err)
		}
		s.print(name)
		sampleCost(store).since(before, s.n)
		return s, nil
	}

	fmt.Printf("loadcallback: %d fresh callbacks, %d reports, %d repeats, %d senders, %d+%d users, %d replica(s), rate %s, GOMAXPROCS=%d, %s\n",
		*n, *reports, *repeat, *conc, len(senders), len(reporters), len(real), rateName(*rate), runtime.GOMAXPROCS(0), dbVersion(store))
	// Warm the servers (connections, pools) outside the measurement.
	warm := fresh[:min(64, len(fresh))]
	if _, err := blast(client, []string{base.URL}, warm, *conc, 0); err != nil {
		return err
	}
	if *trace && len(drafts) > 1 {
		if err := traceOne(client, real[0], drafts[0], tr, "one-shot 上报"); err != nil {
			return err
		}
		if err := traceOne(client, real[0], confirms[0], tr, "确认"); err != nil {
			return err
		}
		drafts, confirms = drafts[1:], confirms[1:]
	}
	var bs, bi stats
	if want("base") {
		if bs, err = run("baseline (crypto only)", []string{base.URL}, fresh); err != nil {
			return err
		}
	}
	if want("insert") || want("report") || want("floor") || want("floorall") {
		if _, err := blast(client, []string{insert.URL}, warm, *conc, 0); err != nil {
			return err
		}
		if bi, err = run("baseline (one insert)", []string{insert.URL}, append(slices.Clone(fresh), drafts...)[:max(len(fresh), len(confirms))]); err != nil {
			return err
		}
	}
	floored := 0 // the floors' hazards so far
	// The floors run before the reports: floorall deletes its senders'
	// dialogues, which the reporters' drafts have not yet made.
	for _, fl := range []struct {
		part, name string
		all        bool
	}{{"floor", "floor (a report's rows)", false}, {"floorall", "floor (the real rows)", true}} {
		if !want(fl.part) {
			continue
		}
		srv := httptest.NewServer(&floor{db: multi, c: crypto, now: now, all: fl.all, part: fl.part})
		defer srv.Close()
		if _, err := blast(client, []string{srv.URL}, warm, *conc, 0); err != nil {
			return err
		}
		s, err := run(fl.name, []string{srv.URL}, slices.Clone(confirms))
		if err != nil {
			return err
		}
		if bi.n > 0 {
			fmt.Printf("ratio %s ÷ one-insert baseline: throughput %.2f×, p50 %.2f×, p99 %.2f×\n",
				fl.part, s.rate/bi.rate, ratio(s.p50, bi.p50), ratio(s.p99, bi.p99))
		}
		floored += len(warm) + len(confirms)
		if err := checkNumbers(store, floorYear, floored); err != nil {
			return fmt.Errorf("%s: %w", fl.part, err)
		}
	}
	if want("fresh") {
		fs, err := run("fresh text callbacks", real, fresh)
		if err != nil {
			return err
		}
		if bs.n > 0 {
			fmt.Printf("ratio fresh ÷ crypto-only baseline: cost per callback %.2f×, p50 %.2f×, p99 %.2f×\n",
				bs.rate/fs.rate, ratio(fs.p50, bs.p50), ratio(fs.p99, bs.p99))
		}
	}
	if want("report") {
		if _, err := run("one-shot 上报 (drafts)", real, drafts); err != nil {
			return err
		}
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				return err
			}
			pprof.StartCPUProfile(f)
			defer f.Close()
		}
		gBefore := groupStats(stores)
		rs, err := run("确认 (creates a hazard)", real, confirms)
		if g := groupStats(stores); g.Groups > gBefore.Groups {
			fmt.Printf("%24s group commit: %d groups, %.1f messages a group, %d alone, %d groups rolled back\n", "",
				g.Groups-gBefore.Groups, float64(g.Members-gBefore.Members)/float64(g.Groups-gBefore.Groups), g.Alone-gBefore.Alone, g.RolledBack-gBefore.RolledBack)
		}
		if *cpuprofile != "" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		fmt.Printf("ratio reports ÷ one-insert baseline: throughput %.2f×, p50 %.2f×, p99 %.2f×\n",
			rs.rate/bi.rate, ratio(rs.p50, bi.p50), ratio(rs.p99, bi.p99))
		if err := checkNumbers(store, now.Year(), len(reporters)+1); err != nil {
			return err
		}
	}
	if want("repeat") {
		again := make([]request, *repeat)
		for i := range again {
			again[i] = fresh[0] // a 查询 already handled (or not yet: the first is): the dedupe path
		}
		rp, err := run("repeated MsgId", real, again)
		if err != nil {
			return err
		}
		// A repeat must answer with the stored reply, so its crypto floor
		// includes sealing that reply: a second baseline seals the very reply
		// the repeated callback gets (the first seals nothing).
		stored, err := replyOf(client, real[0], fresh[0], sealer)
		if err != nil {
			return err
		}
		baseReply := httptest.NewServer(baseline(crypto, now, stored, nil))
		defer baseReply.Close()
		if _, err := blast(client, []string{baseReply.URL}, warm, *conc, 0); err != nil {
			return err
		}
		br, err := run("baseline sealing the reply", []string{baseReply.URL}, fresh)
		if err != nil {
			return err
		}
		if bs.n > 0 {
			fmt.Printf("ratio repeat ÷ baseline: cost per callback %.2f×, p50 %.2f×, p99 %.2f×\n",
				bs.rate/rp.rate, ratio(rp.p50, bs.p50), ratio(rp.p99, bs.p99))
		}
		fmt.Printf("ratio repeat ÷ baseline sealing the same reply (%d bytes): cost per callback %.2f×, p50 %.2f×, p99 %.2f×\n",
			len(stored.Text), br.rate/rp.rate, ratio(rp.p50, br.p50), ratio(rp.p99, br.p99))
	}
	return nil
}

// groupStats sums the replicas' group commit counts.
func groupStats(stores []*models.Store) models.GroupStats {
	var t models.GroupStats
	for _, s := range stores {
		g := s.GroupStats()
		t.Groups += g.Groups
		t.Members += g.Members
		t.Alone += g.Alone
		t.RolledBack += g.RolledBack
	}
	return t
}

// checkNumbers verifies that the ledger holds want hazards numbered
// 1..want in this year's sequence, none missing, none twice. (Numbers follow
// the order in which reports commit, not the order of their row ids: the
// chat path numbers a report last, just before COMMIT.)
func checkNumbers(store *models.Store, year, want int) error {
	var seqs []int
	if err := store.DB.Table("hazards").Where("year = ?", year).Order("id").Pluck("seq", &seqs).Error; err != nil {
		return err
	}
	sorted := slices.Clone(seqs)
	slices.Sort(sorted)
	for i, s := range sorted {
		if s != i+1 {
			return fmt.Errorf("check: numbers not gap-free: position %d holds %d (of %d hazards)", i+1, s, len(seqs))
		}
	}
	if len(seqs) != want {
		return fmt.Errorf("check: %d hazards in the ledger, want %d", len(seqs), want)
	}
	fmt.Printf("check: %d hazards numbered 1..%d, gap-free, none twice\n", len(seqs), len(seqs))
	return nil
}

func rateName(r float64) string {
	if r <= 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%.0f/s", r)
}

// baselineTable is what the one-insert baseline writes to.
const baselineTable = `CREATE TABLE IF NOT EXISTS load_baseline (
	id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
	msg_id VARCHAR(191) NOT NULL,
	userid VARCHAR(64) NOT NULL,
	content TEXT NOT NULL,
	created_at DATETIME(3) NOT NULL
) ENGINE=InnoDB`

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// baseline is the floor of a callback: read, verify, decrypt and parse,
// seal reply (the zero Reply seals nothing). With db it also makes one
// durable INSERT of the message (autocommit) before answering: the floor of
// a callback that writes.
func baseline(c *wecom.Crypto, now time.Time, reply bot.Reply, db *sql.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		q := r.URL.Query()
		m, err := c.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
		if err != nil {
			http.Error(w, "bad", http.StatusForbidden)
			return
		}
		if db != nil {
			if _, err := db.ExecContext(r.Context(), "INSERT INTO load_baseline (msg_id, userid, content, created_at) VALUES (?, ?, ?, ?)",
				m.ID, m.UserID, m.Text, time.Now().UTC()); err != nil {
				http.Error(w, "insert", http.StatusInternalServerError)
				return
			}
		}
		out, err := c.Seal(reply, m.UserID, agentID, now, q.Get("nonce"))
		if err != nil {
			http.Error(w, "seal", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.Write(out)
	})
}

// replyOf posts one request and returns the decrypted passive reply.
func replyOf(client *http.Client, base string, req request, c *wecomtest.Sealer) (bot.Reply, error) {
	resp, err := client.Post(base+req.url, "text/xml", bytes.NewReader(req.body))
	if err != nil {
		return bot.Reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return bot.Reply{}, err
	}
	inner, err := c.OpenReply(data)
	if err != nil {
		return bot.Reply{}, err
	}
	return wecomtest.DecodeReply(inner)
}

func seal(c *wecomtest.Sealer, m bot.Message, i int) (request, error) {
	nonce := "n" + strconv.Itoa(i)
	body, sig, err := c.SealInbound(wecomtest.EncodeInbound(m, corpID), m.Time, nonce)
	if err != nil {
		return request{}, err
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(m.Time.Unix(), 10)}, "nonce": {nonce}}
	return request{url: "/wecom/callback?" + q.Encode(), body: body}, nil
}

// stats summarises one run.
type stats struct {
	n        int
	elapsed  time.Duration
	rate     float64 // callbacks per second
	p50, p99 time.Duration
	empty    int // 200 with an empty body (no reply)
}

func (s stats) print(name string) {
	fmt.Printf("%-24s %6d callbacks in %6.2fs: %7.0f/s  p50 %6.2fms  p99 %6.2fms  (empty replies: %d)\n",
		name, s.n, s.elapsed.Seconds(), s.rate, ms(s.p50), ms(s.p99), s.empty)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// blast posts every request once from conc senders, spread over the
// servers at bases in turn, and measures each. With rate > 0 request i is
// not sent before start + i/rate, so the load is paced at rate in all.
func blast(client *http.Client, bases []string, reqs []request, conc int, rate float64) (stats, error) {
	lat := make([]time.Duration, len(reqs))
	var next atomic.Int64
	var empty atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				if rate > 0 {
					if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
						time.Sleep(d)
					}
				}
				t0 := time.Now()
				resp, err := client.Post(bases[i%len(bases)]+reqs[i].url, "text/xml", bytes.NewReader(reqs[i].body))
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					once.Do(func() { firstErr = fmt.Errorf("request %d: status %d", i, resp.StatusCode) })
					return
				}
				if n == 0 {
					empty.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return stats{}, firstErr
	}
	slices.Sort(lat)
	return stats{n: len(reqs), elapsed: elapsed, rate: float64(len(reqs)) / elapsed.Seconds(),
		p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], empty: int(empty.Load())}, nil
}

// addUsers adds count inspectors of a street office of 茅箭区 (武当路街道),
// userids prefix0000 on.
func addUsers(ctx context.Context, s *models.Store, prefix string, count int) ([]string, error) {
	var in models.DirectoryInput
	var ids []string
	for i := range count {
		id := fmt.Sprintf("%s%04d", prefix, i)
		in.Users = append(in.Users, models.UserSpec{UserID: id, Name: "负载" + strconv.Itoa(i), Unit: "maojian_wudanglu", Roles: []string{"inspector"}})
		ids = append(ids, id)
	}
	err := s.InTx(ctx, func(tx *models.Tx) error {
		_, err := tx.ImportDirectory(in)
		return err
	})
	return ids, err
}

// freshDatabase creates an empty database beside the one dsn names and
// returns its DSN and a function that drops it.
func freshDatabase(dsn string) (string, func(), error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("-dsn: %w", err)
	}
	cfg.DBName = fmt.Sprintf("%s_%d", cmp(cfg.DBName, "hazardbot_load"), os.Getpid())
	drop, err := models.CreateDatabase(cfg.FormatDSN())
	if err != nil {
		return "", nil, err
	}
	return cfg.FormatDSN(), func() { drop() }, nil
}

// openMulti opens the database for the floor: statements sent several at
// a time (multiStatements), arguments written into them (interpolateParams).
func openMulti(dsn string, conns int) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MultiStatements = true
	cfg.InterpolateParams = true
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Params["tx_isolation"] = "'READ-COMMITTED'"
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func dbVersion(s *models.Store) string {
	var v string
	s.DB.Raw("SELECT VERSION()").Scan(&v)
	return "database " + v
}

// tracer is a gorm logger that, while on, keeps the SQL of every statement
// with its time, to show what one callback costs.
type tracer struct {
	logger.Interface
	mu   sync.Mutex
	on   bool
	list []string
}

func (t *tracer) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on {
		return
	}
	sql, rows := fc()
	if len(sql) > 160 {
		sql = sql[:160] + "…"
	}
	t.list = append(t.list, fmt.Sprintf("%7.2fms %3d rows  %s", ms(time.Since(begin)), rows, sql))
}

// traceOne posts one request with the tracer on and prints its statements.
func traceOne(client *http.Client, url string, req request, t *tracer, name string) error {
	t.mu.Lock()
	t.on, t.list = true, nil
	t.mu.Unlock()
	resp, err := client.Post(url+req.url, "text/xml", bytes.NewReader(req.body))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	fmt.Printf("statements of one %s (%d, plus BEGIN/COMMIT):\n", name, len(t.list))
	for _, l := range t.list {
		fmt.Println("  " + l)
	}
	return nil
}

// cost is what the machine has spent so far: this process's CPU time, the
// database server's (when it runs here: mariadbd or mysqld in /proc) and
// the server's statement count (Questions). The server's figures are
// global: other clients' work counts too, so they mean something on a
// quiet machine only.
type cost struct {
	goCPU, dbCPU time.Duration
	questions    int64
	dbOK         bool
}

func sampleCost(s *models.Store) cost {
	var c cost
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.goCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	c.dbCPU, c.dbOK = serverCPU()
	var row struct {
		VariableName string `gorm:"column:Variable_name"`
		Value        int64  `gorm:"column:Value"`
	}
	s.DB.Raw("SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&row)
	c.questions = row.Value
	return c
}

// since prints the cost per callback of the n callbacks since b.
func (c cost) since(b cost, n int) {
	if n == 0 {
		return
	}
	per := func(d time.Duration) float64 { return ms(d) / float64(n) }
	line := fmt.Sprintf("%24s CPU per callback: this process %.3f ms", "", per(c.goCPU-b.goCPU))
	if c.dbOK && b.dbOK {
		line += fmt.Sprintf(", database server %.3f ms", per(c.dbCPU-b.dbCPU))
	}
	line += fmt.Sprintf("; statements per callback %.1f (server-wide counts: other clients add to them)", float64(c.questions-b.questions-1)/float64(n))
	fmt.Println(line)
}

// serverCPU reads the CPU time of a local mariadbd or mysqld from /proc.
func serverCPU() (time.Duration, bool) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil {
			continue
		}
		if name := strings.TrimSpace(string(comm)); name != "mariadbd" && name != "mysqld" {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			return 0, false
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th, in clock ticks (100 a second on Linux).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			return 0, false
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(ut+st) * 10 * time.Millisecond, true
	}
	return 0, false
}
