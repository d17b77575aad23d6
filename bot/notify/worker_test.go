package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// wecomAPI is the fake WeCom API over httptest and a real client for it
// that tries each call once, so every failure reaches the worker.
func wecomAPI(t *testing.T, timeout time.Duration, fileRoot string) (*wecomtest.Fake, *wecom.Client) {
	t.Helper()
	fake := wecomtest.NewFake(wecomtest.FakeOptions{CorpID: "wwcorp", Secret: "s3cret", AgentID: 1000002})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := wecom.NewClient(wecom.Config{CorpID: "wwcorp", Secret: "s3cret", AgentID: 1000002, APIBase: srv.URL, Timeout: timeout},
		wecom.NewMemoryTokens(), wecom.WithFiles(bot.DirFiles{Dir: fileRoot}), wecom.WithHTTPClient(srv.Client()), wecom.WithAttempts(1), wecom.WithLogger(slog.New(slog.DiscardHandler)),
		wecom.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

// queueTexts enqueues n text messages "msg-NN", each to its own user.
func queueTexts(t *testing.T, s *models.Store, n int) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx *models.Tx) error {
		for i := range n {
			user := fmt.Sprintf("u%02d", i)
			body, _ := json.Marshal(bot.Outgoing{Kind: bot.OutText, ToUsers: []string{user}, Text: fmt.Sprintf("msg-%02d", i)})
			if _, err := tx.Enqueue(models.OutboxItem{Key: fmt.Sprintf("test|%d", i), Recipients: []string{user}, Kind: "text", Body: string(body)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// drain runs the workers until nothing is due, at most rounds times.
func drain(t *testing.T, s *models.Store, rounds int, workers ...*Worker) {
	t.Helper()
	for range rounds {
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.RunOnce(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		c, err := s.OutboxCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c[models.OutboxPending] == 0 {
			return
		}
	}
	t.Fatalf("outbox still has pending rows after %d rounds", rounds)
}

// sentOnce checks that every row is sent and reached the fake exactly once.
func sentOnce(t *testing.T, s *models.Store, fake *wecomtest.Fake) {
	t.Helper()
	var rows []models.OutboxMessage
	_ = s.InTx(context.Background(), func(tx *models.Tx) (err error) { rows, err = tx.FindOutbox(models.OutboxFilter{}); return })
	got := map[string]int{}
	for _, m := range fake.Sent() {
		got[strings.Join(m.To, "|")+"\x00"+m.Text]++
	}
	for _, r := range rows {
		if r.State != models.OutboxSent {
			t.Errorf("row %s is %s (%s)", r.DedupeKey, r.State, r.LastError)
		}
		var out bot.Outgoing
		_ = json.Unmarshal([]byte(r.Body), &out)
		text := out.Text
		if out.Kind == bot.OutFile {
			text = out.FileName
		}
		if n := got[r.Recipients+"\x00"+text]; n != 1 {
			t.Errorf("row %s reached WeCom %d times, want once", r.DedupeKey, n)
		}
	}
	if len(fake.Sent()) != len(rows) {
		t.Errorf("WeCom got %d messages for %d rows", len(fake.Sent()), len(rows))
	}
}

func noBackoff(int) time.Duration { return 0 }

// TestWorkerOutage: WeCom fails with system busy (-1), rate limit (45009),
// an expired token (42001) and timeouts for a while; everything is
// eventually delivered, each row exactly once.
func TestWorkerOutage(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := modelstest.NewClock(at(2023, 3, 15, 10, 0))
		s.Now = clock.Now
		fake, client := wecomAPI(t, 300*time.Millisecond, "")
		queueTexts(t, s, 20)
		fake.FailNext("message/send", -1, 3)
		fake.FailNext("message/send", 45009, 3)
		fake.FailNext("message/send", 42001, 2)
		fake.Delay("message/send", 2*time.Second, 2)
		reg := prometheus.NewRegistry()
		m := NewMetrics(reg)
		w := NewWorker(s, client, WorkerOptions{Concurrency: 4, Backoff: noBackoff, Metrics: m})
		drain(t, s, 30, w)
		sentOnce(t, s, fake)
		if got := counter(m.messages.WithLabelValues("text", "sent")); got != 20 {
			t.Errorf("sent counter %v, want 20", got)
		}
		if got := counter(m.messages.WithLabelValues("text", "retried")); got < 5 {
			t.Errorf("retried counter %v, want the failures counted", got)
		}
	})
}

// TestWorkerGivesUp: a permanent error fails a row at once; a transient one
// fails it once GiveUpAfter has passed since it was queued.
func TestWorkerGivesUp(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		advance  time.Duration
		attempts int
	}{
		{"no valid recipient fails at once", wecom.CodeNoRecipient, 0, 1},
		{"busy for longer than give-up fails", -1, 2 * time.Hour, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
				clock := modelstest.NewClock(at(2023, 3, 15, 10, 0))
				s.Now = clock.Now
				fake, client := wecomAPI(t, time.Second, "")
				queueTexts(t, s, 1)
				fake.FailNext("message/send", tc.code, 10)
				m := NewMetrics(nil)
				w := NewWorker(s, client, WorkerOptions{GiveUpAfter: time.Hour, Backoff: noBackoff, Metrics: m})
				for i := range tc.attempts {
					if i > 0 {
						clock.Add(tc.advance)
					}
					if n, err := w.RunOnce(context.Background()); err != nil || n != 1 {
						t.Fatalf("attempt %d: claimed %d, %v", i+1, n, err)
					}
				}
				var rows []models.OutboxMessage
				_ = s.InTx(context.Background(), func(tx *models.Tx) (err error) {
					rows, err = tx.FindOutbox(models.OutboxFilter{State: models.OutboxFailed})
					return
				})
				if len(rows) != 1 || rows[0].Attempts != tc.attempts || !strings.Contains(rows[0].LastError, fmt.Sprint(tc.code)) {
					t.Fatalf("failed rows %+v, want one after %d attempts naming errcode %d", rows, tc.attempts, tc.code)
				}
				if got := counter(m.messages.WithLabelValues("text", "failed")); got != 1 {
					t.Errorf("failed counter %v", got)
				}
				if n, _ := w.RunOnce(context.Background()); n != 0 || len(fake.Sent()) != 0 {
					t.Errorf("a failed row was tried again")
				}
			})
		})
	}
}

// TestWorkerStopMidSend cancels the worker while WeCom is slow: the row in
// flight and the rows not started are handed back, and a worker started
// afterwards sends each exactly once.
func TestWorkerStopMidSend(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := modelstest.NewClock(at(2023, 3, 15, 10, 0))
		s.Now = clock.Now
		fake, client := wecomAPI(t, 10*time.Second, "")
		queueTexts(t, s, 3)
		fake.Delay("message/send", 5*time.Second, 1)
		w := NewWorker(s, client, WorkerOptions{Concurrency: 1, Batch: 3, Poll: 10 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		deadline := time.Now().Add(5 * time.Second)
		for !hasSend(fake) {
			if time.Now().After(deadline) {
				t.Fatal("the worker never called WeCom")
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("Run did not stop with its context")
		}
		c, _ := s.OutboxCounts(context.Background())
		if c[models.OutboxPending] != 3 {
			t.Fatalf("after the stop: %v, want 3 pending", c)
		}
		// Another replica (or the restart) takes over at once: no lease is left.
		w2 := NewWorker(s, client, WorkerOptions{Backoff: noBackoff})
		drain(t, s, 5, w2)
		sentOnce(t, s, fake)
	})
}

func hasSend(f *wecomtest.Fake) bool {
	for _, r := range f.Requests() {
		if strings.HasSuffix(r.Path, "message/send") {
			return true
		}
	}
	return false
}

// twoStores opens two stores (two replicas) on one fresh database.
func twoStores(t *testing.T, driver string) (*models.Store, *models.Store) {
	t.Helper()
	cfg := models.DBConfig{Driver: driver, MaxOpenConns: 16}
	if driver == "sqlite" {
		cfg.DSN = filepath.Join(t.TempDir(), "two.db")
	} else {
		cfg.DSN = modelstest.FreshMySQL(t)
	}
	var out [2]*models.Store
	for i := range out {
		s, err := models.Open(cfg, modelstest.Shanghai, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out[0], out[1]
}

// TestTwoReplicas runs two notifiers and two sender workers on one
// database: every reminder and digest is queued once and sent once.
func TestTwoReplicas(t *testing.T) {
	for _, driver := range modelstest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := twoStores(t, driver)
			e := newEnv(t, s1, at(2023, 3, 1, 10, 0))
			s2.Now = e.clock.Now
			for i := range 40 {
				unit := []string{"gasco", "zw_ajj"}[i%2]
				e.report(fmt.Sprintf("隐患%02d", i), unit, "", models.NewDate(2023, 3, 2+i%12))
			}
			e.clock.Set(at(2023, 3, 9, 9, 0))
			n2 := New(s2, e.cfg, bot.DirFiles{Dir: e.cfg.Storage.Dir}, nil)
			var wg sync.WaitGroup
			var queued [2]int
			for i, n := range []*Notifier{e.n, n2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, job := range []func(context.Context, time.Time) (SweepResult, error){n.Reminders, n.DailyDigest} {
						res, err := job(context.Background(), e.clock.Now())
						if err != nil {
							t.Error(err)
						}
						queued[i] += res.Queued
					}
				}()
			}
			wg.Wait()
			rows := e.outbox()
			if queued[0]+queued[1] != len(rows) || len(rows) < 6 {
				t.Fatalf("replicas queued %v, outbox has %d rows", queued, len(rows))
			}
			fake, client := wecomAPI(t, time.Second, "")
			fake.FailNext("message/send", -1, 4)
			w1 := NewWorker(s1, client, WorkerOptions{Owner: "replica-1", Backoff: noBackoff, Batch: 2})
			w2 := NewWorker(s2, client, WorkerOptions{Owner: "replica-2", Backoff: noBackoff, Batch: 2})
			drain(t, s1, 50, w1, w2)
			sentOnce(t, s1, fake)
		})
	}
}

// counter reads a counter's value.
func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func TestWorkersHoldMessagesOverTheMemberLimitAcrossReplicas(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := modelstest.NewClock(time.Date(2023, 3, 15, 10, 0, 0, 0, modelstest.Shanghai))
		s.Now = clock.Now
		fake, client := wecomAPI(t, 5*time.Second, "")
		err := s.InTx(context.Background(), func(tx *models.Tx) error {
			for i := range 5 {
				body, _ := json.Marshal(bot.Outgoing{Kind: bot.OutText, ToUsers: []string{"lisi"}, Text: fmt.Sprintf("m%d", i)})
				if _, err := tx.Enqueue(models.OutboxItem{Key: fmt.Sprintf("lim|%d", i), Recipients: []string{"lisi"}, Kind: "text", Body: string(body)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		opts := WorkerOptions{PerUserPerMinute: 3, Concurrency: 2}
		a, b := opts, opts
		a.Owner, b.Owner = "replica-a", "replica-b"
		wa, wb := NewWorker(s, client, a), NewWorker(s, client, b)
		rounds := func() {
			for range 3 {
				var wg sync.WaitGroup
				for _, w := range []*Worker{wa, wb} {
					wg.Add(1)
					go func() { defer wg.Done(); w.RunOnce(context.Background()) }()
				}
				wg.Wait()
			}
		}
		rounds()
		if got := len(fake.SentTo("lisi")); got != 3 {
			t.Fatalf("two replicas sent lisi %d messages in one minute, want the limit 3", got)
		}
		counts, _ := s.OutboxCounts(context.Background())
		if counts[models.OutboxPending] != 2 || counts[models.OutboxFailed] != 0 {
			t.Fatalf("outbox %v: the two over the limit should wait, not fail", counts)
		}
		clock.Add(61 * time.Second)
		rounds()
		if got := len(fake.SentTo("lisi")); got != 5 {
			t.Fatalf("after the minute lisi has %d messages, want all 5", got)
		}
	})
}

// scriptedSender answers each send with the next of its errors (nil once
// they run out) and counts the sends.
type scriptedSender struct {
	mu    sync.Mutex
	errs  []error
	sends int
}

func (s *scriptedSender) Send(ctx context.Context, m bot.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends++
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

// A message held for a rate limit again and again (a reviewer sent many
// photos at once) and then refused once by a busy WeCom is retried after the
// first retry's wait, not the tenth's: a hold is not an attempt. Counted, the
// holds made its first real failure wait the ten-minute cap (the soak found
// a photo still pending after 14 "attempts").
func TestHoldsAreNoAttempts(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := modelstest.NewClock(time.Date(2023, 3, 15, 10, 0, 0, 0, modelstest.Shanghai))
		s.Now = clock.Now
		err := s.InTx(context.Background(), func(tx *models.Tx) error {
			body, _ := json.Marshal(bot.Outgoing{Kind: bot.OutText, ToUsers: []string{"wangwu"}, Text: "整改照片"})
			_, err := tx.Enqueue(models.OutboxItem{Key: "hold|1", Recipients: []string{"wangwu"}, Kind: "text", Body: string(body)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var errs []error
		for range 9 {
			errs = append(errs, &bot.Held{Until: clock.Now().Add(time.Hour)}) // the group's window: a clock step frees it
		}
		sender := &scriptedSender{errs: append(errs, errors.New("wecom: message/send: errcode -1: system busy"))}
		var waits []int
		w := NewWorker(s, sender, WorkerOptions{Backoff: func(n int) time.Duration { waits = append(waits, n); return time.Minute }})
		for range 9 {
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			clock.Add(61 * time.Minute)
		}
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if sender.sends != 10 || !slices.Equal(waits, []int{1}) {
			t.Fatalf("%d sends, backoff asked for attempts %v; want 10 sends and one retry wait, for attempt 1", sender.sends, waits)
		}
		var row models.OutboxMessage
		if err := s.DB.Where("dedupe_key = ?", "hold|1").Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.State != models.OutboxPending || row.Attempts != 1 || !row.NextAttemptAt.Equal(clock.Now().Add(time.Minute).UTC()) {
			t.Fatalf("row %s, %d attempts, next %v: want pending, 1 attempt, due in a minute", row.State, row.Attempts, row.NextAttemptAt)
		}
		clock.Add(time.Minute)
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.DB.Where("dedupe_key = ?", "hold|1").Take(&row).Error; err != nil || row.State != models.OutboxSent {
			t.Fatalf("after the wait the row is %s (%v), want sent", row.State, err)
		}
	})
}
