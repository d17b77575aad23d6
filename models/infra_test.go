package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestSummaryFiguresAndBreakdown(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		gasco, maojian, zhangwan := unitID(t, s, "gasco"), unitID(t, s, "maojian"), unitID(t, s, "zhangwan")
		mk := func(region *uint, sector string, found models.Date, unit *uint, deadline models.Date) models.Number {
			in := models.HazardInput{Title: "隐患", Sector: sector, RegionID: region, InspectionDate: found, UnitID: unit, Deadline: deadline}
			return report(t, s, "zhangsan", in).Num()
		}
		// 茅箭: 4 found in the period (one withdrawn), one out of it.
		a := mk(maojian, "燃气", models.NewDate(2023, 2, 25), gasco, models.NewDate(2023, 3, 10))
		b := mk(maojian, "燃气", models.NewDate(2023, 2, 26), gasco, models.NewDate(2023, 3, 10))
		c := mk(maojian, "消防", models.NewDate(2023, 2, 27), gasco, models.NewDate(2023, 3, 31))
		d := mk(maojian, "消防", models.NewDate(2023, 2, 28), nil, models.Date{})
		mk(maojian, "消防", models.NewDate(2023, 1, 5), nil, models.Date{})
		// 张湾: 1 found, overdue.
		mk(zhangwan, "建设", models.NewDate(2023, 2, 24), nil, models.NewDate(2023, 3, 5))
		must := func(_ *models.Result, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(act(s, "lisi", a, models.ActSubmit, models.Change{Note: "ok"}))
		must(act(s, "wangwu", a, models.ActPass, models.Change{}))
		must(act(s, "lisi", b, models.ActSubmit, models.Change{Note: "ok"}))
		must(act(s, "wangwu", d, models.ActWithdraw, models.Change{Note: "重复"}))
		_ = c
		clock.Set(day2023(3, 15))
		period := models.SummaryFilter{From: models.NewDate(2023, 2, 23), To: models.NewDate(2023, 3, 15)}
		var all models.Figures
		var regions, sectors []models.SummaryRow
		var scoped models.Figures
		err := s.InTx(ctx, func(tx *models.Tx) error {
			var err error
			if all, err = tx.Summary(period); err != nil {
				return err
			}
			if regions, err = tx.SummaryBy(period, models.ByRegion); err != nil {
				return err
			}
			if sectors, err = tx.SummaryBy(period, models.BySector); err != nil {
				return err
			}
			a, _ := tx.Actor("wangwu")
			f := period
			f.Scope = a.Unit
			scoped, err = tx.Summary(f)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := (models.Figures{Found: 4, Rectified: 2, Closed: 1, Overdue: 1}); all != want {
			t.Errorf("city = %+v, want %+v", all, want)
		}
		if want := (models.Figures{Found: 3, Rectified: 2, Closed: 1, Overdue: 0}); scoped != want {
			t.Errorf("茅箭 scope = %+v, want %+v", scoped, want)
		}
		if len(regions) != 2 || regions[0].Name != "茅箭区" || regions[0].Found != 3 || regions[1].Name != "张湾区" || regions[1].Overdue != 1 {
			t.Errorf("by region = %+v", regions)
		}
		if len(sectors) != len(models.Sectors) || sectors[0].Name != "燃气" || sectors[0].Found != 2 || sectors[0].Closed != 1 || sectors[5].Name != "消防" || sectors[5].Found != 1 {
			t.Errorf("by sector = %+v", sectors)
		}
		if r := all.Rate(); r != 0.25 {
			t.Errorf("rate = %v, want 0.25", r)
		}
	})
}

func TestOutboxDeliversEachKeyOnce(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		enqueue := func(keys ...string) int {
			var n int
			err := s.InTx(ctx, func(tx *models.Tx) error {
				for _, k := range keys {
					m, err := tx.Enqueue(models.OutboxItem{Key: k, Recipients: []string{"lisi"}, Kind: "text", Body: `{"kind":"text"}`})
					if err != nil {
						return err
					}
					n += m
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := enqueue("a", "b", "c"); n != 3 {
			t.Fatalf("enqueued %d, want 3", n)
		}
		if n := enqueue("a", "d"); n != 1 {
			t.Fatalf("re-enqueue of a known key added %d, want only d", n)
		}
		// A rolled-back change leaves no message behind.
		_ = s.InTx(ctx, func(tx *models.Tx) error {
			tx.Enqueue(models.OutboxItem{Key: "rolled-back", Recipients: []string{"x"}, Kind: "text", Body: "{}"})
			return models.Errorf(models.EInvalid, "no")
		})
		first, err := s.ClaimOutbox(ctx, "w1", 10, time.Minute)
		if err != nil || len(first) != 4 {
			t.Fatalf("claim = %d %v, want 4", len(first), err)
		}
		if again, _ := s.ClaimOutbox(ctx, "w2", 10, time.Minute); len(again) != 0 {
			t.Fatalf("a second worker claimed %d leased messages", len(again))
		}
		s.MarkSent(ctx, first[0].ID)
		s.MarkRetry(ctx, first[1].ID, first[1].ClaimedBy, "45009", clock.Now().Add(30*time.Second), false)
		s.MarkRetry(ctx, first[2].ID, first[2].ClaimedBy, "81013", clock.Now(), true)
		// first[3] is "in flight" when w1 dies: its lease runs out.
		clock.Add(2 * time.Minute)
		later, _ := s.ClaimOutbox(ctx, "w2", 10, time.Minute)
		if len(later) != 2 || later[0].ID != first[1].ID && later[1].ID != first[1].ID {
			t.Fatalf("after lease expiry w2 claimed %+v, want the retry and the in-flight one", later)
		}
		for _, m := range later {
			s.MarkSent(ctx, m.ID)
		}
		if got, _ := s.ClaimOutbox(ctx, "w3", 10, time.Minute); len(got) != 0 {
			t.Fatalf("sent or failed messages were claimed again: %+v", got)
		}
		counts, _ := s.OutboxCounts(ctx)
		if counts[models.OutboxSent] != 3 || counts[models.OutboxFailed] != 1 || counts[models.OutboxPending] != 0 {
			t.Fatalf("counts = %v", counts)
		}
	})
}

func TestOutboxClaimsAreExclusiveAcrossWorkers(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		const total = 200
		s.InTx(ctx, func(tx *models.Tx) error {
			for i := range total {
				if _, err := tx.Enqueue(models.OutboxItem{Key: "k" + string(rune('A'+i%26)) + time.Duration(i).String(), Recipients: []string{"u"}, Kind: "text", Body: "{}"}); err != nil {
					return err
				}
			}
			return nil
		})
		var claimed sync.Map
		var dup, count atomic.Int64
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					list, err := s.ClaimOutbox(ctx, "w"+string(rune('0'+w)), 7, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if len(list) == 0 {
						return
					}
					for _, m := range list {
						if _, loaded := claimed.LoadOrStore(m.ID, w); loaded {
							dup.Add(1)
						}
						count.Add(1)
						s.MarkSent(ctx, m.ID)
					}
				}
			}()
		}
		wg.Wait()
		if dup.Load() != 0 || count.Load() != total {
			t.Fatalf("claimed %d (dups %d), want %d exactly once", count.Load(), dup.Load(), total)
		}
	})
}

func TestInboundDedupe(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		// Four deliveries of one message at once, each handling it and
		// recording its reply last, as the bot does: exactly one record
		// wins, the others roll back their work and answer with its reply.
		errRepeat := errors.New("a repeat delivery: roll back")
		var won atomic.Int64
		var wg sync.WaitGroup
		replies := make([]string, 4)
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.InTx(ctx, func(tx *models.Tx) error {
					time.Sleep(20 * time.Millisecond) // the handling
					stored, dup, err := tx.RecordInbound("msg-1", "zhangsan", fmt.Sprintf("已收到（第%d次送达）", i))
					if err != nil {
						return err
					}
					replies[i] = stored
					if dup {
						return errRepeat
					}
					won.Add(1)
					return nil
				})
				if err != nil && !errors.Is(err, errRepeat) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("recorded %d times, want 1", won.Load())
		}
		for i, r := range replies {
			if r != replies[0] || r == "" {
				t.Fatalf("delivery %d got %q, delivery 0 %q: want the one stored reply", i, r, replies[0])
			}
		}
	})
}

func TestTokensAreSharedAndRefreshedOnce(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		tokens := models.Tokens{S: s}
		var fetches atomic.Int64
		fetch := func(context.Context) (string, time.Duration, error) {
			n := fetches.Add(1)
			return "tok" + time.Duration(n).String(), 2 * time.Hour, nil
		}
		if _, ok, _ := tokens.Token(ctx, "corp/1", clock.Now()); ok {
			t.Fatal("token before any fetch")
		}
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], _ = tokens.Refresh(ctx, "corp/1", "", clock.Now(), fetch)
			}()
		}
		wg.Wait()
		if fetches.Load() != 1 {
			t.Fatalf("fetched %d times, want 1", fetches.Load())
		}
		for _, g := range got {
			if g != got[0] || g == "" {
				t.Fatalf("replicas got different tokens: %v", got)
			}
		}
		// The stale token is rejected by WeCom: exactly one refresh replaces it.
		fresh, _ := tokens.Refresh(ctx, "corp/1", got[0], clock.Now(), fetch)
		if fresh == got[0] || fetches.Load() != 2 {
			t.Fatalf("refresh of a stale token: %q after %d fetches", fresh, fetches.Load())
		}
		clock.Add(3 * time.Hour)
		if _, ok, _ := tokens.Token(ctx, "corp/1", clock.Now()); ok {
			t.Fatal("an expired token is still served")
		}
		if _, err := tokens.Refresh(ctx, "corp/1", "", clock.Now(), func(context.Context) (string, time.Duration, error) {
			return "", 0, errors.New("gettoken down")
		}); err == nil {
			t.Fatal("a failed fetch returned no error")
		}
	})
}

func TestJobSlotRunsOnce(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		ok1, _ := s.ClaimJob(ctx, "daily_digest", "2023-03-01", "r1", 10*time.Minute)
		ok2, _ := s.ClaimJob(ctx, "daily_digest", "2023-03-01", "r2", 10*time.Minute)
		if !ok1 || ok2 {
			t.Fatalf("claims = %v %v, want only the first", ok1, ok2)
		}
		clock.Add(11 * time.Minute) // r1 died while running
		if ok, _ := s.ClaimJob(ctx, "daily_digest", "2023-03-01", "r2", 10*time.Minute); !ok {
			t.Fatal("a stale run was not taken over")
		}
		s.FinishJob(ctx, "daily_digest", "2023-03-01", nil)
		clock.Add(time.Hour)
		if ok, _ := s.ClaimJob(ctx, "daily_digest", "2023-03-01", "r3", 10*time.Minute); ok {
			t.Fatal("a finished slot ran again")
		}
	})
}

func TestDirectoryImportIsIdempotentAndAtomic(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s) // first import
		modelstest.Seed(t, s)
		var units, users int64
		s.DB.Model(&models.Unit{}).Count(&units)
		s.DB.Model(&models.User{}).Count(&users)
		if units != int64(len(modelstest.Directory().Units)) || users != int64(len(modelstest.Directory().Users)) {
			t.Fatalf("after re-import: %d units %d users", units, users)
		}
		bad := []struct {
			name string
			d    models.DirectoryInput
			msg  string
		}{
			{"unknown parent", models.DirectoryInput{Units: []models.UnitSpec{{Code: "new1", Name: "新单位", Kind: models.KindTown, Parent: "nowhere"}}}, "单位 new1 的上级单位 nowhere 不存在"},
			{"unknown role", models.DirectoryInput{
				Units: []models.UnitSpec{{Code: "new2", Name: "新单位2", Kind: models.KindTown, Parent: "maojian"}},
				Users: []models.UserSpec{{UserID: "new", Name: "新人", Unit: "new2", Roles: []string{"boss"}}}}, "用户 new：未知角色“boss”，可选：inspector、contact、supervisor、leader、admin"},
			{"unknown kind", models.DirectoryInput{Units: []models.UnitSpec{{Code: "new3", Name: "x", Kind: "club", Parent: "maojian"}}}, "单位 new3 的类型“club”不对，可选：committee、region、special_committee、department、town、enterprise"},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				err := s.InTx(ctx, func(tx *models.Tx) error { _, err := tx.ImportDirectory(c.d); return err })
				if models.ErrorMessage(err) != c.msg {
					t.Fatalf("err = %v, want %q", err, c.msg)
				}
				var n int64
				s.DB.Model(&models.Unit{}).Where("code LIKE ?", "new%").Count(&n)
				if n != 0 {
					t.Fatalf("a failed import left %d units behind", n)
				}
			})
		}
	})
}

func TestMoveUnitMovesSubtree(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		err := s.InTx(ctx, func(tx *models.Tx) error {
			if _, err := tx.SaveUnit(models.UnitSpec{Code: "town1", Name: "某街道", Kind: models.KindTown, Parent: "gasco"}); err != nil {
				return err
			}
			// gasco moves from 茅箭 to 张湾, taking town1 along.
			if _, err := tx.SaveUnit(models.UnitSpec{Code: "gasco", Name: "十堰示例燃气有限公司", Kind: models.KindEnterprise, Parent: "zhangwan"}); err != nil {
				return err
			}
			zw, _ := tx.FindUnitByCode("zhangwan")
			town, _ := tx.FindUnitByCode("town1")
			if !zw.Contains(town) {
				t.Errorf("town path %s not under 张湾 %s", town.Path, zw.Path)
			}
			_, err := tx.SaveUnit(models.UnitSpec{Code: "zhangwan", Name: "张湾区安委会", Kind: models.KindRegion, Parent: "town1"})
			if models.ErrorCode(err) != models.EInvalid {
				t.Errorf("moving a unit under its own child: err = %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != models.LatestVersion() {
			t.Fatalf("version = %d %v", v, err)
		}
	})
	if dsn := modelstest.FreshMySQLOrSkip(t); dsn != "" {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := models.Open(models.DBConfig{Driver: "mysql", DSN: dsn}, modelstest.Shanghai, nil)
				if err != nil {
					errs[i] = err
					return
				}
				defer st.Close()
				errs[i] = st.Migrate(ctx)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent migrate: %v", err)
			}
		}
		st, err := models.Open(models.DBConfig{Driver: "mysql", DSN: dsn}, modelstest.Shanghai, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var holder *int64
		st.DB.Raw("SELECT IS_USED_LOCK(CONCAT('hazardbot_migrate:', DATABASE()))").Scan(&holder)
		if holder != nil {
			t.Fatalf("the migration lock is still held by connection %d after every migrate returned", *holder)
		}
	}
}

func TestShippedDirectoryImportsTwiceWithoutDuplicates(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		for range 2 {
			if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
				t.Fatalf("import shipped directory: %v", err)
			}
		}
		var regions, committees, users int64
		s.DB.Model(&models.Unit{}).Where("kind = ?", models.KindRegion).Count(&regions)
		s.DB.Model(&models.Unit{}).Where("kind = ?", models.KindSpecialCommittee).Count(&committees)
		s.DB.Model(&models.User{}).Count(&users)
		d, _ := config.ParseDirectory(config.ShiyanDirectory)
		if regions != 10 || committees != 9 || users != int64(len(d.Users)) {
			t.Fatalf("regions %d committees %d users %d", regions, committees, users)
		}
		_, err := s.ImportDirectoryFile(ctx, []byte("units:\n  - {code: x, name: X, kind: region, parent: nope}\n"))
		if models.ErrorCode(err) != models.EInvalid {
			t.Fatalf("a bad file: err = %v, want invalid", err)
		}
	})
}

func TestPruneInboundForgetsOnlyOldCallbacks(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		record := func(key string) {
			s.InTx(ctx, func(tx *models.Tx) error { _, _, err := tx.RecordInbound(key, "zhangsan", "{}"); return err })
		}
		record("old")
		clock.Add(8 * 24 * time.Hour)
		record("new")
		n, err := s.PruneInbound(clock.Now().Add(-7 * 24 * time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d (%v), want the one old callback", n, err)
		}
		var dup bool
		s.InTx(ctx, func(tx *models.Tx) error { _, dup, _ = tx.RecordInbound("new", "zhangsan", "{}"); return nil })
		if !dup {
			t.Fatal("the recent callback was forgotten")
		}
	})
}

func TestReserveSendsKeepsEveryMemberUnderTheLimitAcrossReplicas(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		const limit = 5
		one := func(users ...string) (bool, time.Time) {
			t.Helper()
			holds, err := s.ReserveSends(ctx, [][]string{users}, clock.Now(), limit)
			if err != nil {
				t.Fatal(err)
			}
			return holds[0].IsZero(), holds[0]
		}
		// Ten senders (replicas) race for one member's minute.
		var wg sync.WaitGroup
		var ok, held atomic.Int64
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				holds, err := s.ReserveSends(ctx, [][]string{{"lisi"}}, clock.Now(), limit)
				switch {
				case err != nil:
					t.Error(err)
				case holds[0].IsZero():
					ok.Add(1)
				case !holds[0].After(clock.Now()):
					t.Errorf("held until %v, not after now", holds[0])
				default:
					held.Add(1)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != limit || held.Load() != 10-limit {
			t.Fatalf("%d sent, %d held; want %d and %d", ok.Load(), held.Load(), limit, 10-limit)
		}
		// A message to lisi and wangwu waits for lisi, and takes no place
		// from wangwu meanwhile.
		if got, until := one("wangwu", "lisi"); got || until.Sub(clock.Now()) != time.Minute {
			t.Fatalf("reserve for a full member: %v %v", got, until)
		}
		// In one batch, wangwu gets exactly the limit and the rest wait.
		batch := make([][]string, limit+2)
		for i := range batch {
			batch[i] = []string{"wangwu"}
		}
		holds, err := s.ReserveSends(ctx, batch, clock.Now(), limit)
		if err != nil {
			t.Fatal(err)
		}
		admitted := 0
		for _, h := range holds {
			if h.IsZero() {
				admitted++
			}
		}
		if admitted != limit {
			t.Fatalf("a batch of %d to one member admitted %d, want %d", len(batch), admitted, limit)
		}
		clock.Add(61 * time.Second)
		if got, _ := one("lisi", "lisi"); !got {
			t.Fatal("after a minute lisi has room again")
		}
		if n, err := s.PruneSends(ctx, clock.Now()); err != nil || n != 2*limit {
			t.Fatalf("pruned %d (%v), want the %d older sends", n, err, 2*limit)
		}
	})
}
