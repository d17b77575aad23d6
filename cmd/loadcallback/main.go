// Command loadcallback measures the WeCom callback path end to end: real
// crypto, the real gin router, the real bot on a fresh MariaDB/MySQL
// database. It pre-encrypts N distinct text callbacks (查询 and short
// one-shot 上报 from many users), then posts them from C concurrent
// senders, and compares three runs on the same machine:
//
//   - baseline: a crypto-only handler (verify + decrypt + seal an empty
//     reply, no database), the floor any callback costs;
//   - fresh: the N distinct callbacks through the real router;
//   - repeat: one already-handled callback posted again and again (WeCom's
//     retry; the dedupe path: one lookup, the stored reply re-sealed).
//
// Usage:
//
//	go run ./cmd/loadcallback -dsn 'root@tcp(127.0.0.1:3306)/hazardbot_load' [-n 6000] [-c 16] [-users 300] [-repeat 6000] [-cpuprofile fresh.pprof]
//
// The database named in -dsn is created beside the server's others with a
// unique suffix and dropped at the end (-keep keeps it).
package main

import (
	"bytes"
	"context"
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"

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
	conc := flag.Int("c", 16, "concurrent senders")
	users := flag.Int("users", 300, "distinct senders")
	repeat := flag.Int("repeat", 6000, "posts of the one repeated callback")
	conns := flag.Int("conns", 32, "database connection pool size")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the fresh run to this file")
	keep := flag.Bool("keep", false, "keep the fresh database")
	flag.Parse()
	if *dsn == "" {
		return errors.New("-dsn is required (e.g. 'root@tcp(127.0.0.1:3306)/hazardbot_load')")
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
	store, err := models.Open(models.DBConfig{Driver: "mysql", DSN: freshDSN, MaxOpenConns: *conns}, loc, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, loc)
	store.Now = func() time.Time { return now }
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if _, err := store.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
		return err
	}
	senders, err := addUsers(ctx, store, *users)
	if err != nil {
		return err
	}
	cfg := config.Default()
	// The clock stands still, so every message falls in one minute: lift
	// the per-sender limit (its counting is still paid on every message).
	cfg.Dialogue.PerSenderPerMinute = math.MaxInt32
	b := bot.New(store, cfg, nil)
	if _, err := b.CreateHazard(ctx, "zhangsan", models.HazardInput{Title: "燃气管道锈蚀", Description: "阀门井内管道锈蚀", Sector: "燃气",
		RegionID: nil, UnitID: nil}); err != nil {
		return err
	}
	crypto, err := wecom.NewCrypto(token, aesKey, corpID)
	if err != nil {
		return err
	}
	sealer, err := wecomtest.NewSealer(token, aesKey, corpID)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	// The access log is rendered as in production (JSON), then discarded.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := handlers.New(handlers.Deps{Store: store, Bot: b, Crypto: crypto, AgentID: agentID, Metrics: wecom.NewMetrics(reg),
		Registry: reg, Config: cfg, Log: log})
	real := httptest.NewServer(srv.Router())
	defer real.Close()
	base := httptest.NewServer(baseline(crypto, now, bot.Reply{}))
	defer base.Close()

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
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: *conc * 2, MaxIdleConnsPerHost: *conc * 2}}

	fmt.Printf("loadcallback: %d fresh callbacks, %d repeats, %d senders, %d users, GOMAXPROCS=%d, %s\n",
		*n, *repeat, *conc, len(senders), runtime.GOMAXPROCS(0), dbVersion(store))
	// Warm both servers (connections, pools) outside the measurement.
	warm := fresh[:min(64, len(fresh))]
	if _, err := blast(client, base.URL, warm, *conc); err != nil {
		return err
	}

	bs, err := blast(client, base.URL, fresh, *conc)
	if err != nil {
		return err
	}
	bs.print("baseline (crypto only)")

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
	}
	fs, err := blast(client, real.URL, fresh, *conc)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	fs.print("fresh text callbacks")

	again := make([]request, *repeat)
	for i := range again {
		again[i] = fresh[0] // a 查询 already handled: the dedupe path
	}
	rs, err := blast(client, real.URL, again, *conc)
	if err != nil {
		return err
	}
	rs.print("repeated MsgId")

	// A repeat must answer with the stored reply, so its crypto floor
	// includes sealing that reply: a second baseline seals the very reply
	// the repeated callback gets (the first seals nothing).
	stored, err := replyOf(client, real.URL, fresh[0], sealer)
	if err != nil {
		return err
	}
	baseReply := httptest.NewServer(baseline(crypto, now, stored))
	defer baseReply.Close()
	if _, err := blast(client, baseReply.URL, warm, *conc); err != nil {
		return err
	}
	br, err := blast(client, baseReply.URL, fresh, *conc)
	if err != nil {
		return err
	}
	br.print("baseline sealing the reply")

	fmt.Printf("ratio repeat ÷ baseline: cost per callback %.2f×, p50 %.2f×, p99 %.2f×\n",
		bs.rate/rs.rate, ratio(rs.p50, bs.p50), ratio(rs.p99, bs.p99))
	fmt.Printf("ratio repeat ÷ baseline sealing the same reply (%d bytes): cost per callback %.2f×, p50 %.2f×, p99 %.2f×\n",
		len(stored.Text), br.rate/rs.rate, ratio(rs.p50, br.p50), ratio(rs.p99, br.p99))
	fmt.Printf("ratio fresh ÷ baseline: cost per callback %.2f×, p50 %.2f×, p99 %.2f×\n",
		bs.rate/fs.rate, ratio(fs.p50, bs.p50), ratio(fs.p99, bs.p99))
	var hazards int64
	store.DB.Table("hazards").Count(&hazards)
	fmt.Printf("check: %d hazards in the ledger (the seeded one; one-shot 上报 only drafts until 确认)\n", hazards)
	return nil
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// baseline is the floor of a callback: read, verify, decrypt and parse,
// seal reply (the zero Reply seals nothing). No database.
func baseline(c *wecom.Crypto, now time.Time, reply bot.Reply) http.Handler {
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

// blast posts every request once from conc senders and measures each.
func blast(client *http.Client, base string, reqs []request, conc int) (stats, error) {
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
				t0 := time.Now()
				resp, err := client.Post(base+reqs[i].url, "text/xml", bytes.NewReader(reqs[i].body))
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

// addUsers adds count inspectors spread over 茅箭区 and its units.
func addUsers(ctx context.Context, s *models.Store, count int) ([]string, error) {
	var in models.DirectoryInput
	var ids []string
	for i := range count {
		id := fmt.Sprintf("load%04d", i)
		in.Users = append(in.Users, models.UserSpec{UserID: id, Name: "负载" + strconv.Itoa(i), Unit: "maojian", Roles: []string{"inspector"}})
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
