package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// Store is the ledger: every read and write of hazardbot's data goes through
// it. It holds no state of its own beyond the connection, so any number of
// replicas may share one database.
type Store struct {
	DB  *gorm.DB
	Now func() time.Time
	Loc *time.Location
	Log *slog.Logger
	// TopKind is the kind of the unit at the top of the tree (the
	// directory.top_kind setting); "" is DefaultTopKind, the city committee.
	TopKind UnitKind

	driver string
	// dir is this replica's copy of directory look-ups (dircache.go).
	dir *dirCache
	// groups queues messages for group commit (group.go); nil: every
	// message is its own transaction.
	groups *grouper
}

// DBConfig says which database to open.
type DBConfig struct {
	Driver       string // sqlite | mysql
	DSN          string // a file path for sqlite; a go-sql-driver DSN for mysql
	MaxOpenConns int
	// Solo turns group commit off: every message its own transaction.
	Solo bool
}

// Open connects to the database. It does not migrate; call Migrate.
func Open(cfg DBConfig, loc *time.Location, log *slog.Logger) (*Store, error) {
	if loc == nil {
		loc = time.UTC
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gcfg := &gorm.Config{
		Logger:                                   logger.Discard,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
		DisableForeignKeyConstraintWhenMigrating: false,
		TranslateError:                           false,
	}
	var db *gorm.DB
	var err error
	switch cfg.Driver {
	case "", "sqlite":
		db, err = gorm.Open(sqlite.Open(sqliteDSN(cfg.DSN)), gcfg)
		if err == nil {
			sqlDB, _ := db.DB()
			// SQLite has one writer. One connection serialises every
			// transaction, so none ever fails with SQLITE_BUSY halfway.
			sqlDB.SetMaxOpenConns(1)
		}
		cfg.Driver = "sqlite"
	case "mysql":
		dsn, derr := mysqlDSN(cfg.DSN)
		if derr == nil {
			dsn, derr = readCommitted(dsn)
		}
		if derr != nil {
			return nil, derr
		}
		db, err = gorm.Open(mysql.New(mysql.Config{DSN: dsn, DefaultStringSize: 191}), gcfg)
		if err == nil {
			sqlDB, _ := db.DB()
			n := cfg.MaxOpenConns
			if n <= 0 {
				n = 20
			}
			sqlDB.SetMaxOpenConns(n)
			sqlDB.SetMaxIdleConns(n)
			sqlDB.SetConnMaxLifetime(30 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("models: unknown database driver %q (want sqlite or mysql)", cfg.Driver)
	}
	if err != nil {
		return nil, fmt.Errorf("models: open %s: %w", cfg.Driver, err)
	}
	if err := registerDirectoryVersion(db); err != nil {
		return nil, fmt.Errorf("models: open %s: %w", cfg.Driver, err)
	}
	if err := registerGroupWrites(db); err != nil {
		return nil, fmt.Errorf("models: open %s: %w", cfg.Driver, err)
	}
	s := &Store{DB: db, Now: time.Now, Loc: loc, Log: log, driver: cfg.Driver, dir: &dirCache{}}
	if !cfg.Solo {
		// Two groups in flight on MySQL: while one writes its end, the
		// next runs its steps (group.go). SQLite's one connection runs one.
		s.groups = newGrouper(2)
		if cfg.Driver == "sqlite" {
			s.groups = newGrouper(1)
		}
	}
	return s, nil
}

// Driver returns "sqlite" or "mysql".
func (s *Store) Driver() string { return s.driver }

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

func sqliteDSN(path string) string {
	if path == "" {
		path = "hazardbot.db"
	}
	if strings.Contains(path, "_pragma=") {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// mysqlDSN adds the parameters hazardbot relies on: utf8mb4, time.Time
// parsing and UTC storage (dates shown to people are converted to the
// configured zone; calendar dates are stored as strings and need no zone).
func mysqlDSN(dsn string) (string, error) {
	c, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("models: HAZARDBOT_DB_DSN is not a MySQL DSN: %w", err)
	}
	c.ParseTime = true
	c.Loc = time.UTC
	// One round trip per statement instead of prepare, execute and close:
	// the callback path runs a dozen short statements. Safe with utf8mb4.
	c.InterpolateParams = true
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["charset"] = "utf8mb4"
	if _, ok := c.Params["collation"]; !ok {
		c.Collation = "utf8mb4_unicode_ci"
	}
	if _, ok := c.Params["time_zone"]; !ok {
		c.Params["time_zone"] = "'+00:00'"
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	return c.FormatDSN(), nil
}

// readCommitted makes READ COMMITTED every connection's isolation level
// (unless the DSN already names one). Under MySQL's default REPEATABLE READ
// a locking read that finds no row (a user's first dialogue, say) locks the
// gap where it would be, and two users starting dialogues at once deadlock
// on each other's gaps; every transaction here locks the rows it changes
// and needs no gap locks. The one that does (ReserveSends: a range of the
// sends log) asks for REPEATABLE READ itself. The variable is
// transaction_isolation on MySQL 8 and TiDB, tx_isolation on MariaDB
// before 11.1: one connection asks which.
func readCommitted(dsn string) (string, error) {
	c, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	if c.Params["transaction_isolation"] != "" || c.Params["tx_isolation"] != "" {
		return dsn, nil
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", fmt.Errorf("models: open mysql: %w", err)
	}
	defer db.Close()
	name := "transaction_isolation"
	var v string
	if err := db.QueryRow("SELECT @@transaction_isolation").Scan(&v); err != nil {
		var me *mysqldriver.MySQLError
		if !errors.As(err, &me) || me.Number != 1193 { // 1193: unknown system variable
			return "", fmt.Errorf("models: open mysql: %w", err)
		}
		name = "tx_isolation"
	}
	c.Params[name] = "'READ-COMMITTED'"
	return c.FormatDSN(), nil
}

// Tx is one database transaction with the ledger's operations on it.
type Tx struct {
	DB *gorm.DB
	s  *Store
	// after runs once the transaction has committed.
	after []func()
	// units caches the units read in this transaction, active all the
	// active ones once listed.
	units  map[uint]*Unit
	active []Unit
	// deferNumbers numbers new hazards at the end (see DeferNumbers);
	// unnumbered are those waiting, held the outbox rows that may name them.
	deferNumbers bool
	unnumbered   []*Hazard
	held         []OutboxItem
	numbered     *strings.Replacer
	// asof is the day the counts are kept as of, once read (daily.go).
	asof *string
	// committees and campaigns remember, for the transaction, what every
	// hazard created in it looks up (a ledger import creates thousands).
	committees map[string]*Unit
	campaigns  *[]Campaign
	// keys remembers the normalised forms of unit names (see nameKeys).
	keys map[string]nameKeys
	// dirVer is the directory's version this transaction read (once:
	// dirRead; dirOK when it could), and dirWritten says it has written to
	// the directory since, so the replica's cache serves it no more
	// (dircache.go).
	dirVer                     int64
	dirRead, dirOK, dirWritten bool
	// grp is the group this transaction is a member of (group.go): its
	// writes of dialogues, counts, numbers, outbox rows and the dedupe
	// record wait in later for the group's end; wrote says it has run a
	// statement that may write.
	grp   *groupTx
	wrote bool
	later later
}

// Now returns the store's clock.
func (tx *Tx) Now() time.Time { return tx.s.Now() }

// Today returns the current calendar day in the store's zone.
func (tx *Tx) Today() Date { return DateOf(tx.s.Now(), tx.s.Loc) }

// Store returns the store the transaction belongs to.
func (tx *Tx) Store() *Store { return tx.s }

// AfterCommit registers fn to run once the transaction has committed.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// InTx runs fn in a transaction, retrying it from the start when the
// database reports a deadlock or lock timeout (fn must only touch the
// database). An *Error returned by fn rolls back and is returned as is.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.inTx(ctx, nil, fn)
}

// inTx is InTx with transaction options (an isolation level) for the rare
// transaction that needs other than the connection's default.
func (s *Store) inTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Tx) error) error {
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		t := &Tx{s: s}
		var o []*sql.TxOptions
		if opts != nil && s.driver == "mysql" {
			o = append(o, opts)
		}
		err = s.DB.WithContext(context.WithValue(ctx, txKey{}, t)).Transaction(func(db *gorm.DB) error {
			t.DB = db
			if err := fn(t); err != nil {
				return err
			}
			return t.settle()
		}, o...)
		if err == nil {
			for _, f := range t.after {
				f()
			}
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(5+rand.IntN(20*(attempt+1))) * time.Millisecond)
	}
	return err
}

// errRetry is returned by a step that lost a race the transaction cannot
// recover from but a fresh run of it can.
var errRetry = errors.New("models: lost a race; run the transaction again")

// retryable reports whether a transaction failed only because of contention.
func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205 // deadlock, lock wait timeout
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}

// isDuplicate reports whether err is a unique-key violation.
func isDuplicate(err error) bool {
	if err == nil {
		return false
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// forUpdate locks the selected rows on MySQL; SQLite's single writer needs no
// row locks (and has no FOR UPDATE).
func (tx *Tx) forUpdate() *gorm.DB {
	if tx.s.driver == "mysql" {
		return tx.DB.Clauses(lockingUpdate)
	}
	return tx.DB
}

var lockingUpdate = clause.Locking{Strength: clause.LockingStrengthUpdate}

// Reads returns a Tx outside any transaction, for work that only reads:
// each statement stands alone, and nothing it does is undone.
func (s *Store) Reads(ctx context.Context) *Tx {
	t := &Tx{s: s}
	t.DB = s.DB.WithContext(context.WithValue(ctx, txKey{}, t))
	return t
}
