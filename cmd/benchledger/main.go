// Command benchledger measures the ledger core: hazard creation and
// transition throughput on SQLite and MySQL/MariaDB, and the city-wide
// summary by region over a large generated ledger.
//
//	go run ./cmd/benchledger -dsn 'root@tcp(127.0.0.1:3306)/hazardbot_bench' -rows 1000000
//
// It creates (and with -drop, drops) the MySQL database named in -dsn, and
// uses a temporary SQLite file. Figures go to docs/PERFORMANCE.md by hand.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"hazardbot/config"
	"hazardbot/models"
)

func main() {
	dsn := flag.String("dsn", "", "MySQL/MariaDB DSN of a database to create for the run (empty: SQLite only)")
	rows := flag.Int("rows", 1_000_000, "hazards to generate for the summary benchmark (MySQL only)")
	ops := flag.Int("ops", 2000, "hazards to create (and transitions to apply) per throughput run")
	workers := flag.Int("workers", 8, "concurrent writers")
	drop := flag.Bool("drop", true, "drop the MySQL database afterwards")
	flag.Parse()
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")

	dir, _ := os.MkdirTemp("", "benchledger")
	defer os.RemoveAll(dir)
	sqlite := open(ctx, models.DBConfig{Driver: "sqlite", DSN: filepath.Join(dir, "bench.db")}, loc)
	throughput(ctx, "sqlite", sqlite, *ops, *workers)

	if *dsn == "" {
		return
	}
	cfg, err := mysql.ParseDSN(*dsn)
	if err != nil {
		log.Fatal(err)
	}
	name := cfg.DBName
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		log.Fatal(err)
	}
	must(admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"))
	must(admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
	if *drop {
		defer admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
	}
	my := open(ctx, models.DBConfig{Driver: "mysql", DSN: *dsn, MaxOpenConns: 32}, loc)
	throughput(ctx, "mysql", my, *ops, *workers)
	generate(ctx, my, *rows)
	summary(ctx, my)
}

func must(_ any, err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func open(ctx context.Context, c models.DBConfig, loc *time.Location) *models.Store {
	s, err := models.Open(c, loc, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
		log.Fatal(err)
	}
	return s
}

// throughput creates ops hazards from workers goroutines, then applies one
// transition (submit) to each, and prints operations per second.
func throughput(ctx context.Context, label string, s *models.Store, ops, workers int) {
	var unitID, regionID uint
	s.InTx(ctx, func(tx *models.Tx) error {
		u, _ := tx.FindUnitByCode("demo_gas")
		r, _ := tx.FindUnitByCode("maojian")
		unitID, regionID = u.ID, r.ID
		return nil
	})
	deadline := models.DateOf(time.Now(), s.Loc).AddDays(30)
	numbers := make(chan models.Number, ops)
	run := func(what string, fn func(i int) error) {
		var next atomic.Int64
		var wg sync.WaitGroup
		lat := make([]time.Duration, ops)
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= ops {
						return
					}
					t0 := time.Now()
					if err := fn(i); err != nil {
						log.Fatalf("%s %s: %v", label, what, err)
					}
					lat[i] = time.Since(t0)
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		slices.Sort(lat)
		fmt.Printf("%-6s %-10s %6d ops, %2d workers: %7.0f ops/s, p50 %v, p99 %v\n", label, what, ops, workers,
			float64(ops)/el.Seconds(), lat[ops/2].Round(time.Microsecond), lat[ops*99/100].Round(time.Microsecond))
	}
	run("create", func(i int) error {
		return s.InTx(ctx, func(tx *models.Tx) error {
			a, err := tx.Actor("zhangsan")
			if err != nil {
				return err
			}
			h, _, err := tx.CreateHazard(a, models.HazardInput{Title: fmt.Sprintf("隐患%d", i), Description: "基准测试", Sector: "燃气",
				RegionID: &regionID, UnitID: &unitID, Deadline: deadline})
			if err == nil {
				numbers <- h.Num()
			}
			return err
		})
	})
	close(numbers)
	var list []models.Number
	for n := range numbers {
		list = append(list, n)
	}
	run("transition", func(i int) error {
		return s.InTx(ctx, func(tx *models.Tx) error {
			a, err := tx.Actor("lisi")
			if err != nil {
				return err
			}
			_, err = tx.Transition(a, list[i], models.ActSubmit, models.Change{Note: "已整改"})
			return err
		})
	})
}

// generate loads rows hazards spread over 2023 across the ten counties and
// the sectors, in realistic proportions of states, with multi-row INSERTs.
func generate(ctx context.Context, s *models.Store, rows int) {
	var regions, units []uint
	s.InTx(ctx, func(tx *models.Tx) error {
		rs, _ := tx.Regions()
		for _, r := range rs {
			regions = append(regions, r.ID)
		}
		all, _ := tx.Units(models.KindDepartment, models.KindTown, models.KindEnterprise)
		for _, u := range all {
			units = append(units, u.ID)
		}
		return nil
	})
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	states := []models.State{models.StateReported, models.StateRectifying, models.StateRectifying, models.StatePendingReview, models.StateClosed, models.StateClosed, models.StateClosed, models.StateWithdrawn}
	const batch = 2000
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for done := 0; done < rows; done += batch {
		n := min(batch, rows-done)
		var sb strings.Builder
		args := make([]any, 0, n*12)
		sb.WriteString("INSERT INTO hazards (year, seq, number, title, region_id, unit_id, sector, state, deadline, found_on, level, created_at, updated_at) VALUES ")
		for i := range n {
			seq := 100000 + done + i
			found := base.AddDate(0, 0, rng.IntN(365))
			deadline := found.AddDate(0, 0, 7+rng.IntN(40))
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(2023,?,?,?,?,?,?,?,?,?,'county',?,?)")
			args = append(args, seq, fmt.Sprintf("YH2023-%04d", seq), "生成的隐患", regions[rng.IntN(len(regions))], units[rng.IntN(len(units))],
				models.Sectors[rng.IntN(len(models.Sectors))], states[rng.IntN(len(states))],
				deadline.Format("2006-01-02"), found.Format("2006-01-02"), found, found)
		}
		if err := s.DB.WithContext(ctx).Exec(sb.String(), args...).Error; err != nil {
			log.Fatal(err)
		}
	}
	s.DB.Exec("ANALYZE TABLE hazards")
	fmt.Printf("mysql  generated %d hazards in %v\n", rows, time.Since(start).Round(time.Millisecond))
}

// summary times the city-wide summary by region for the spring offensive
// (2023-02-23 to 2023-05-31) and for the whole year.
func summary(ctx context.Context, s *models.Store) {
	s.Now = func() time.Time { return time.Date(2023, 6, 1, 9, 0, 0, 0, s.Loc) }
	for _, p := range []struct {
		label    string
		from, to models.Date
	}{
		{"spring offensive", models.NewDate(2023, 2, 23), models.NewDate(2023, 5, 31)},
		{"whole year", models.NewDate(2023, 1, 1), models.NewDate(2023, 12, 31)},
	} {
		var lat []time.Duration
		var rows []models.SummaryRow
		for range 20 {
			t0 := time.Now()
			err := s.InTx(ctx, func(tx *models.Tx) error {
				var err error
				rows, err = tx.SummaryBy(models.SummaryFilter{From: p.from, To: p.to}, models.ByRegion)
				return err
			})
			if err != nil {
				log.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		var found int64
		for _, r := range rows {
			found += r.Found
		}
		fmt.Printf("mysql  summary by region, %s: %d regions, %d found; p50 %v, max %v (20 runs)\n",
			p.label, len(rows), found, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
}
