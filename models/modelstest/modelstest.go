// Package modelstest opens real, empty, migrated databases for tests: an
// SQLite file in a temporary directory always, and a fresh MariaDB/MySQL
// database when HAZARDBOT_TEST_MYSQL_DSN is set.
package modelstest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"hazardbot/models"
)

// EnvMySQL names the variable holding the MySQL DSN for tests.
const EnvMySQL = "HAZARDBOT_TEST_MYSQL_DSN"

// Shanghai is the zone every test runs in.
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Clock is a settable clock for tests.
type Clock struct{ t atomic.Int64 }

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { c := &Clock{}; c.Set(t); return c }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.t.Load()).In(Shanghai) }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.t.Store(t.UnixNano()) }

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) { c.t.Add(int64(d)) }

// Drivers returns the drivers to test on: sqlite, and mysql when configured.
func Drivers(t testing.TB) []string {
	if os.Getenv(EnvMySQL) == "" {
		return []string{"sqlite"}
	}
	return []string{"sqlite", "mysql"}
}

// ForEachDB runs fn as a subtest on a fresh migrated store per driver.
func ForEachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	if os.Getenv(EnvMySQL) == "" {
		t.Logf("%s is not set: running on SQLite only", EnvMySQL)
	}
	for _, d := range Drivers(t) {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// MySQL returns a fresh migrated MySQL store, or skips the test when
// HAZARDBOT_TEST_MYSQL_DSN is not set.
func MySQL(t testing.TB) *models.Store {
	t.Helper()
	if os.Getenv(EnvMySQL) == "" {
		t.Skipf("%s is not set: skipping the MySQL test", EnvMySQL)
	}
	return Open(t, "mysql")
}

// Open returns a fresh, migrated store on driver, closed when the test ends.
func Open(t testing.TB, driver string) *models.Store {
	t.Helper()
	cfg := models.DBConfig{Driver: driver}
	switch driver {
	case "sqlite":
		cfg.DSN = filepath.Join(t.TempDir(), "test.db")
	case "mysql":
		cfg.DSN = FreshMySQL(t)
		cfg.MaxOpenConns = 32
	}
	s, err := models.Open(cfg, Shanghai, nil)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", driver, err)
	}
	return s
}

var seq atomic.Int64

// FreshMySQL creates an empty database beside the one named in
// HAZARDBOT_TEST_MYSQL_DSN, drops it when the test ends, and returns its DSN.
func FreshMySQL(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(os.Getenv(EnvMySQL))
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	cfg.DBName = fmt.Sprintf("%s_%d_%d_%d", cmp.Or(strings.TrimSpace(cfg.DBName), "hazardbot_test"), os.Getpid(), seq.Add(1), rand.IntN(1e6))
	dsn := cfg.FormatDSN()
	drop, err := models.CreateDatabase(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop() })
	return dsn
}

// Directory is a small city for model tests: a city committee over two
// regions and a gas special committee, an enterprise and a department, and
// one user per role.
func Directory() models.DirectoryInput {
	return models.DirectoryInput{
		Units: []models.UnitSpec{
			{Code: "shiyan", Name: "十堰市安委会", Kind: models.KindCommittee},
			{Code: "maojian", Name: "茅箭区安委会", Kind: models.KindRegion, Parent: "shiyan"},
			{Code: "zhangwan", Name: "张湾区安委会", Kind: models.KindRegion, Parent: "shiyan"},
			{Code: "zwh_gas", Name: "市燃气安全专业委员会", Kind: models.KindSpecialCommittee, Parent: "shiyan", Sector: new("燃气")},
			{Code: "gasco", Name: "十堰示例燃气有限公司", Kind: models.KindEnterprise, Parent: "maojian"},
			{Code: "zw_ajj", Name: "张湾区应急管理局", Kind: models.KindDepartment, Parent: "zhangwan"},
		},
		Users: []models.UserSpec{
			{UserID: "zhangsan", Name: "张三", Unit: "maojian", Roles: []string{"inspector"}},
			{UserID: "lisi", Name: "李四", Unit: "gasco", Roles: []string{"contact"}},
			{UserID: "wangwu", Name: "王五", Unit: "maojian", Roles: []string{"supervisor"}},
			{UserID: "zwsup", Name: "张湾督办", Unit: "zhangwan", Roles: []string{"supervisor"}},
			{UserID: "zwcontact", Name: "张湾联系人", Unit: "zw_ajj", Roles: []string{"contact"}},
			{UserID: "gassup", Name: "燃气督办", Unit: "zwh_gas", Roles: []string{"supervisor"}},
			{UserID: "zhaoliu", Name: "赵六", Unit: "shiyan", Roles: []string{"supervisor"}},
			{UserID: "sunqi", Name: "孙七", Unit: "shiyan", Roles: []string{"leader"}},
			{UserID: "zhouba", Name: "周八", Unit: "maojian", Roles: []string{"leader"}},
			{UserID: "admin", Name: "管理员", Unit: "shiyan", Roles: []string{"admin"}},
		},
		Campaigns: []models.CampaignSpec{{
			Code: "spring2023", Name: "2023年安全生产春季攻势",
			Start: models.NewDate(2023, 2, 23), End: models.NewDate(2023, 5, 31),
			Deadlines: []models.CampaignDeadline{
				{Name: "工作方案报送市安委办", Date: models.NewDate(2023, 3, 2)},
				{Name: "月报动态更新", MonthlyDay: 28},
				{Name: "工作总结报送市安委办", Date: models.NewDate(2023, 6, 10)},
			},
		}},
	}
}

// Seed imports Directory into s.
func Seed(t testing.TB, s *models.Store) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx *models.Tx) error {
		_, err := tx.ImportDirectory(Directory())
		return err
	})
	if err != nil {
		t.Fatalf("seed directory: %v", err)
	}
}

// FreshMySQLOrSkip returns a fresh empty MySQL database's DSN, or "" (with
// a log line) when HAZARDBOT_TEST_MYSQL_DSN is not set.
func FreshMySQLOrSkip(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvMySQL) == "" {
		t.Logf("%s is not set: skipping the MySQL part", EnvMySQL)
		return ""
	}
	return FreshMySQL(t)
}
