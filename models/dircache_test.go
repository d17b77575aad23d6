package models_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// replicas opens n stores (n pools: n replicas) over one fresh, migrated,
// seeded database on driver, sharing the first's clock; a mysql driver
// skips the test when HAZARDBOT_TEST_MYSQL_DSN is not set.
func replicas(t *testing.T, driver string, n int) []*models.Store {
	t.Helper()
	cfg := models.DBConfig{Driver: driver, MaxOpenConns: 16}
	if driver == "sqlite" {
		cfg.DSN = filepath.Join(t.TempDir(), "replicas.db")
	} else {
		if os.Getenv(modelstest.EnvMySQL) == "" {
			t.Skipf("%s is not set: skipping the MySQL test", modelstest.EnvMySQL)
		}
		cfg.DSN = modelstest.FreshMySQL(t)
	}
	var stores []*models.Store
	for range n {
		s, err := models.Open(cfg, modelstest.Shanghai, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	setup(t, stores[0])
	for _, s := range stores[1:] {
		s.Now = stores[0].Now
	}
	return stores
}

// Each replica keeps directory look-ups in memory, and a write on another
// replica is seen by its very next transaction: the sender's roles, a
// deactivated unit, a new campaign, a changed sector committee. A write
// rolled back changes nothing anywhere; a transaction sees its own writes.
func TestDirectoryCacheFollowsWritesOnOtherReplicas(t *testing.T) {
	for _, driver := range modelstest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			r := replicas(t, driver, 2)
			a, b := r[0], r[1]
			if got := actor(t, a, "zhangsan"); !got.Roles.Has(models.RoleInspector) || got.Roles.Has(models.RoleSupervisor) {
				t.Fatalf("zhangsan starts as %q", got.Roles)
			}
			// The cache serves: a change made behind the store's back
			// (plain SQL, bumping nothing) is not read again...
			sqlDB, err := a.DB.DB()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sqlDB.Exec("UPDATE users SET name = '张三（旧）' WHERE userid = 'zhangsan'"); err != nil {
				t.Fatal(err)
			}
			if got := actor(t, a, "zhangsan"); got.Name != "张三" {
				t.Fatalf("the cached actor was read again: %q", got.Name)
			}
			// ...until the directory is written through the store, on
			// the other replica.
			if err := b.InTx(ctx, func(tx *models.Tx) error {
				_, err := tx.SaveUser(models.UserSpec{UserID: "zhangsan", Name: "张三", Unit: "maojian", Roles: []string{"inspector", "supervisor"}})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got := actor(t, a, "zhangsan"); !got.Roles.Has(models.RoleSupervisor) {
				t.Fatalf("replica a still sees zhangsan as %q after replica b made them a supervisor", got.Roles)
			}
			// A write rolled back leaves every replica as it was.
			refused := errors.New("refused")
			if err := b.InTx(ctx, func(tx *models.Tx) error {
				if _, err := tx.DeactivateUnit("maojian"); err != nil {
					return err
				}
				// The transaction sees its own write.
				if got, err := tx.Actor("zhangsan"); err != nil || got.Known() {
					t.Errorf("inside the transaction that deactivated the unit: %+v, %v", got, err)
				}
				return refused
			}); !errors.Is(err, refused) {
				t.Fatal(err)
			}
			if got := actor(t, a, "zhangsan"); !got.Known() {
				t.Fatal("a rolled-back deactivation reached replica a")
			}
			if got := actor(t, b, "zhangsan"); !got.Known() {
				t.Fatal("a rolled-back deactivation reached replica b")
			}
			// Committed, it reaches the other replica at once.
			if err := b.InTx(ctx, func(tx *models.Tx) error { _, err := tx.DeactivateUnit("maojian"); return err }); err != nil {
				t.Fatal(err)
			}
			if got := actor(t, a, "zhangsan"); got.Known() {
				t.Fatal("replica a still knows zhangsan after their unit was deactivated on replica b")
			}
			// Units, the sector's committee and campaigns follow too.
			var campaigns []models.Campaign
			var committee *models.Unit
			read := func(s *models.Store) {
				t.Helper()
				if err := s.InTx(ctx, func(tx *models.Tx) error {
					var err error
					if campaigns, err = tx.Campaigns(); err != nil {
						return err
					}
					committee, err = tx.CommitteeForSector("燃气")
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
			read(a)
			if len(campaigns) != 1 || committee == nil || committee.Code != "zwh_gas" {
				t.Fatalf("replica a reads %d campaigns and committee %+v", len(campaigns), committee)
			}
			if err := b.InTx(ctx, func(tx *models.Tx) error {
				if _, err := tx.DeactivateUnit("zwh_gas"); err != nil {
					return err
				}
				_, err := tx.ImportDirectory(models.DirectoryInput{Campaigns: []models.CampaignSpec{{Code: "autumn2023", Name: "2023年秋季攻势",
					Start: models.NewDate(2023, 9, 1), End: models.NewDate(2023, 11, 30)}}})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			read(a)
			if len(campaigns) != 2 || committee != nil {
				t.Fatalf("after replica b's changes replica a reads %d campaigns (want 2) and committee %+v (want none)", len(campaigns), committee)
			}
			gas := *unitID(t, b, "zwh_gas")
			if err := a.InTx(ctx, func(tx *models.Tx) error {
				u, err := tx.FindUnit(gas)
				if err != nil {
					return err
				}
				if u.Active {
					t.Errorf("replica a reads the deactivated committee as active")
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
