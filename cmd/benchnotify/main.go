// Command benchnotify measures notifications: one deadline reminder sweep
// (compute and enqueue) over many open hazards, and the outbox's own cost
// per message (enqueue + claim + mark sent, with a sender that does
// nothing).
//
//	go run ./cmd/benchnotify -dsn 'root@tcp(127.0.0.1:3306)/hazardbot_benchnotify' -n 100000
//
// With -dsn it creates (and afterwards drops) that MySQL/MariaDB database;
// without, it uses a temporary SQLite file. The directory is the Shiyan demo
// directory plus one contact per responsible unit and one supervisor per
// county. Figures go to docs/PERFORMANCE.md by hand.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/notify"
	"hazardbot/config"
	"hazardbot/models"
)

func main() {
	dsn := flag.String("dsn", "", "MySQL/MariaDB DSN of a database to create for the run (empty: a temporary SQLite file)")
	n := flag.Int("n", 100_000, "open hazards to load")
	msgs := flag.Int("msgs", 5000, "messages for the outbox overhead run")
	drop := flag.Bool("drop", true, "drop the MySQL database afterwards")
	flag.Parse()
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2023, 3, 15, 9, 0, 0, 0, loc)

	cfg := models.DBConfig{Driver: "sqlite", MaxOpenConns: 32}
	if *dsn == "" {
		dir, _ := os.MkdirTemp("", "benchnotify")
		defer os.RemoveAll(dir)
		cfg.DSN = filepath.Join(dir, "bench.db")
	} else {
		cfg.Driver, cfg.DSN = "mysql", *dsn
		dropDB, err := models.CreateDatabase(*dsn)
		if err != nil {
			log.Fatal(err)
		}
		if *drop {
			defer dropDB()
		}
	}
	s, err := models.Open(cfg, loc, nil)
	if err != nil {
		log.Fatal(err)
	}
	s.Now = func() time.Time { return now }
	if err := s.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
		log.Fatal(err)
	}
	units := directory(ctx, s)
	t0 := time.Now()
	load(ctx, s, units, *n, now)
	fmt.Printf("%s: loaded %d open hazards over %d units in %v\n", cfg.Driver, *n, len(units), time.Since(t0).Round(time.Millisecond))

	conf := config.Default()
	conf.Storage.Dir = os.TempDir()
	nt := notify.New(s, conf, bot.DirFiles{Dir: conf.Storage.Dir}, nil)
	for _, label := range []string{"first sweep", "repeat sweep"} {
		t0 = time.Now()
		res, err := nt.Reminders(ctx, now)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: reminder %s: %v (%d hazards, %d messages, %d queued)\n", cfg.Driver, label, time.Since(t0).Round(time.Millisecond), res.Hazards, res.Messages, res.Queued)
	}
	if err := s.InTx(ctx, func(tx *models.Tx) error { return tx.DB.Exec("DELETE FROM outbox").Error }); err != nil {
		log.Fatal(err)
	}
	overhead(ctx, s, *msgs)
}

// directory adds a contact to every responsible unit and a supervisor to
// every county, and returns the responsible units' ids.
func directory(ctx context.Context, s *models.Store) []uint {
	var ids []uint
	err := s.InTx(ctx, func(tx *models.Tx) error {
		list, err := tx.Units(models.KindDepartment, models.KindTown, models.KindEnterprise)
		if err != nil {
			return err
		}
		for _, u := range list {
			ids = append(ids, u.ID)
			if _, err := tx.SaveUser(models.UserSpec{UserID: "c_" + u.Code, Name: "联系人", Unit: u.Code, Roles: []string{"contact"}}); err != nil {
				return err
			}
		}
		regions, err := tx.Regions()
		if err != nil {
			return err
		}
		for _, r := range regions {
			if _, err := tx.SaveUser(models.UserSpec{UserID: "s_" + r.Code, Name: "督办员", Unit: r.Code, Roles: []string{"supervisor"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	return ids
}

// load inserts n rectifying hazards with deadlines spread over the month
// around now, in batches of 500 rows per statement (under SQLite's 32,766 parameters). A fifth are not yet
// accepted and get their assign event, so the accept nag has work too.
func load(ctx context.Context, s *models.Store, units []uint, n int, now time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	today := models.DateOf(now, s.Loc)
	colours := []models.Colour{models.ColourNone, models.ColourNone, models.ColourRed, models.ColourYellow, models.ColourBlue}
	var regions map[uint]*uint
	_ = s.InTx(ctx, func(tx *models.Tx) error {
		regions = map[uint]*uint{}
		all, _ := tx.UnitsByID(units...)
		for id, u := range all {
			if r, _ := tx.RegionOf(u); r != nil {
				regions[id] = &r.ID
			}
		}
		return nil
	})
	const batch = 500
	accepted := now.Add(-48 * time.Hour)
	for done := 0; done < n; done += batch {
		list := make([]models.Hazard, 0, batch)
		for i := range min(batch, n-done) {
			seq := done + i + 1
			unit := units[rng.IntN(len(units))]
			h := models.Hazard{Year: 2023, Seq: seq, Number: models.Number{Year: 2023, Seq: seq}.String(),
				Title: fmt.Sprintf("基准隐患%d", seq), UnitID: &unit, RegionID: regions[unit], Sector: "燃气",
				State: models.StateRectifying, Deadline: today.AddDays(rng.IntN(31) - 15), FoundOn: today.AddDays(-20),
				Colour: colours[rng.IntN(len(colours))], Level: models.LevelCounty, Grade: models.GradeGeneral,
				CreatedAt: now, UpdatedAt: now, AcceptedAt: &accepted}
			if rng.IntN(5) == 0 {
				h.AcceptedAt = nil
			}
			list = append(list, h)
		}
		err := s.InTx(ctx, func(tx *models.Tx) error {
			if err := tx.DB.CreateInBatches(&list, batch).Error; err != nil {
				return err
			}
			var evs []models.Event
			for _, h := range list {
				if h.AcceptedAt == nil {
					evs = append(evs, models.Event{HazardID: h.ID, Action: models.ActAssign, ToState: models.StateRectifying, ActorID: "bench", CreatedAt: now.Add(-72 * time.Hour)})
				}
			}
			if len(evs) == 0 {
				return nil
			}
			return tx.DB.CreateInBatches(&evs, batch).Error
		})
		if err != nil {
			log.Fatal(err)
		}
	}
}

type nopSender struct{}

func (nopSender) Send(context.Context, bot.Outgoing) error { return nil }

// overhead times the outbox itself: m messages to m/10 members enqueued
// one per transaction (as a chat action does), then claimed, counted
// against the per-member limit (30 a minute, as configured by default)
// and marked sent by one worker with a sender that does nothing.
func overhead(ctx context.Context, s *models.Store, m int) {
	t0 := time.Now()
	for i := range m {
		user := fmt.Sprintf("bench%04d", i%max(m/10, 1))
		body, _ := json.Marshal(bot.Outgoing{Kind: bot.OutText, ToUsers: []string{user}, Text: "基准消息"})
		err := s.InTx(ctx, func(tx *models.Tx) error {
			_, err := tx.Enqueue(models.OutboxItem{Key: fmt.Sprintf("bench|%d", i), Recipients: []string{user}, Kind: "text", Body: string(body)})
			return err
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	enq := time.Since(t0)
	w := notify.NewWorker(s, nopSender{}, notify.WorkerOptions{Concurrency: 4, Batch: 50, PerUserPerMinute: 30})
	t0 = time.Now()
	for {
		k, err := w.RunOnce(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if k == 0 {
			break
		}
	}
	deliver := time.Since(t0)
	c, _ := s.OutboxCounts(ctx)
	per := func(d time.Duration) string { return (d / time.Duration(m)).Round(time.Microsecond).String() }
	fmt.Printf("%s: outbox %d messages: enqueue %s/msg, claim+mark sent %s/msg, total %s/msg (sent %d)\n",
		s.Driver(), m, per(enq), per(deliver), per(enq+deliver), c[models.OutboxSent])
}
