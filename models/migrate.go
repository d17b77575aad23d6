package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one numbered, frozen schema step. Each step declares the
// struct shapes it needs inside itself, so later edits to the models never
// change what an old step does.
type migration struct {
	Version int
	Name    string
	Up      func(db *gorm.DB) error
}

// schemaMigration records an applied step.
type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

var migrations = []migration{
	{1, "ledger core", migrate1},
	{2, "covering index for summaries", migrate2},
	{3, "files kept in the database", migrate3},
	{4, "sends per member, for the WeCom rate limit", migrate4},
	{10, "events say how an action arrived (the admin API)", migrate10},
	{11, "token refresh as a lease, outside any transaction", migrate11},
	{12, "inbound messages counted once per dedupe key", migrate12},
	{13, "stored files waiting to be deleted", migrate13},
	{20, "inbound counts per sender and minute", migrate20},
	{30, "unverified units, 整改情况 apart from 整改措施", migrate30},
	{40, "the next page of a long chat reply, per user", migrate40},
	{41, "settings of the database itself (the demo marker)", migrate41},
	{50, "campaign reports handed in, per unit and due date", migrate50},
	{60, "H5 page sessions", migrate60},
	{70, "WeChat binding codes and last-seen times", migrate70},
	{71, "public tips", migrate71},
	{72, "units' WeCom groups", migrate72},
	{73, "public tips waiting for verification are their own state (待核实)", migrate73},
	{74, "WeChat follow and unfollow events", migrate74},
	{80, "pre-aggregated counts for summaries, overdue index", migrate80},
	{81, "counts kept as of a day, with the overdue among them", migrate81},
	{82, "the directory's version, bumped by every write to it", migrate82},
	{86, "counts rolled up by region and unit and by region alone, indexed by scope", migrate86},
}

// LatestVersion is the schema version this build expects.
func LatestVersion() int { return migrations[len(migrations)-1].Version }

// Migrate applies every step not yet recorded, in order. It is safe to run
// twice and from two processes at once: on MySQL a named lock serialises the
// processes; SQLite serialises writers itself.
func (s *Store) Migrate(ctx context.Context) error {
	run := func(db *gorm.DB) error {
		if err := db.Table("schema_migrations").AutoMigrate(&schemaMigration{}); err != nil {
			return fmt.Errorf("models: migrations table: %w", err)
		}
		for _, m := range migrations {
			var n int64
			if err := db.Table("schema_migrations").Where("version = ?", m.Version).Count(&n).Error; err != nil {
				return fmt.Errorf("models: read migrations: %w", err)
			}
			if n > 0 {
				continue
			}
			if err := m.Up(db); err != nil {
				return fmt.Errorf("models: migration %d (%s): %w", m.Version, m.Name, err)
			}
			rec := schemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}
			if err := db.Table("schema_migrations").Create(&rec).Error; err != nil && !isDuplicate(err) {
				return fmt.Errorf("models: record migration %d: %w", m.Version, err)
			}
			s.Log.Info("migrated", "version", m.Version, "name", m.Name)
		}
		return nil
	}
	db := s.DB.WithContext(ctx)
	if s.driver != "mysql" {
		return run(db)
	}
	// MySQL DDL commits implicitly, so a transaction cannot make two
	// processes' migrations exclusive; a named lock can. It is held by one
	// dedicated connection for the whole run and released (or dropped with
	// that connection) at the end; the migrations use the pool as usual.
	// The lock is named after the database: migrations of two databases on
	// one server need not wait for each other.
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	lock, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("models: migration lock connection: %w", err)
	}
	defer lock.Close()
	var got sql.NullInt64
	if err := lock.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT('hazardbot_migrate:', DATABASE()), 120)").Scan(&got); err != nil {
		return fmt.Errorf("models: migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("models: migration lock not acquired within 120s")
	}
	defer lock.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(CONCAT('hazardbot_migrate:', DATABASE()))")
	return run(db)
}

// SchemaVersion returns the highest applied migration, 0 for an empty database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.DB.WithContext(ctx).Table("schema_migrations").Select("MAX(version)").Scan(&v).Error
	if err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

func migrate1(db *gorm.DB) error {
	type unit struct {
		ID        uint   `gorm:"primaryKey"`
		Code      string `gorm:"size:64;not null;uniqueIndex:idx_units_code"`
		Name      string `gorm:"size:128;not null"`
		Kind      string `gorm:"size:32;not null"`
		ParentID  *uint  `gorm:"index:idx_units_parent"`
		Path      string `gorm:"size:255;not null;index:idx_units_path"`
		Sector    string `gorm:"size:32;not null;default:''"`
		Active    bool   `gorm:"not null;default:true"`
		CreatedAt time.Time
		UpdatedAt time.Time
	}
	type user struct {
		ID        uint   `gorm:"primaryKey"`
		UserID    string `gorm:"column:userid;size:64;not null;uniqueIndex:idx_users_userid"`
		Name      string `gorm:"size:64;not null"`
		UnitID    uint   `gorm:"not null;index:idx_users_unit"`
		Roles     string `gorm:"size:128;not null;default:''"`
		Mobile    string `gorm:"size:32;not null;default:''"`
		Active    bool   `gorm:"not null;default:true"`
		CreatedAt time.Time
		UpdatedAt time.Time
	}
	type hazard struct {
		ID              uint    `gorm:"primaryKey"`
		Year            int     `gorm:"not null;uniqueIndex:idx_hazards_year_seq,priority:1"`
		Seq             int     `gorm:"not null;uniqueIndex:idx_hazards_year_seq,priority:2"`
		Number          string  `gorm:"size:20;not null;uniqueIndex:idx_hazards_number"`
		Title           string  `gorm:"size:255;not null"`
		Description     string  `gorm:"size:2000;not null;default:''"`
		InspectionDate  *string `gorm:"type:varchar(10)"`
		Measures        string  `gorm:"size:2000;not null;default:''"`
		Remarks         string  `gorm:"size:1000;not null;default:''"`
		UnitID          *uint   `gorm:"index:idx_hazards_unit"`
		RegionID        *uint   `gorm:"index:idx_hazards_region_found,priority:1"`
		CommitteeID     *uint   `gorm:"index:idx_hazards_committee"`
		Sector          string  `gorm:"size:32;not null;default:''"`
		Enterprise      string  `gorm:"size:255;not null;default:''"`
		Location        string  `gorm:"size:255;not null;default:''"`
		Lat             *float64
		Lng             *float64
		Grade           string  `gorm:"size:16;not null;default:''"`
		Level           string  `gorm:"size:32;not null;default:''"`
		Colour          string  `gorm:"size:16;not null;default:''"`
		State           string  `gorm:"size:20;not null;index:idx_hazards_state_deadline,priority:1"`
		Deadline        *string `gorm:"type:varchar(10);index:idx_hazards_state_deadline,priority:2"`
		FoundOn         *string `gorm:"type:varchar(10);index:idx_hazards_found,priority:1;index:idx_hazards_region_found,priority:2"`
		ReporterID      string  `gorm:"size:64;not null;default:'';index:idx_hazards_reporter"`
		ReviewerID      string  `gorm:"size:64;not null;default:''"`
		CampaignID      *uint   `gorm:"index:idx_hazards_campaign"`
		ExtensionTo     *string `gorm:"type:varchar(10)"`
		ExtensionReason string  `gorm:"size:500;not null;default:''"`
		ExtensionBy     string  `gorm:"size:64;not null;default:''"`
		AcceptedAt      *time.Time
		RectifiedAt     *time.Time
		ClosedAt        *time.Time
		CreatedAt       time.Time
		UpdatedAt       time.Time
		Version         int `gorm:"not null;default:0"`
	}
	type event struct {
		ID        uint      `gorm:"primaryKey"`
		HazardID  uint      `gorm:"not null;index:idx_events_hazard"`
		Action    string    `gorm:"size:32;not null"`
		FromState string    `gorm:"size:20;not null;default:''"`
		ToState   string    `gorm:"size:20;not null;default:''"`
		ActorID   string    `gorm:"size:64;not null;default:''"`
		ActorName string    `gorm:"size:64;not null;default:''"`
		Note      string    `gorm:"size:2000;not null;default:''"`
		CreatedAt time.Time `gorm:"index:idx_events_created"`
	}
	type attachment struct {
		ID          uint  `gorm:"primaryKey"`
		HazardID    *uint `gorm:"index:idx_attachments_hazard"`
		EventID     *uint
		DraftUser   string `gorm:"size:64;not null;default:'';index:idx_attachments_draft"`
		Phase       string `gorm:"size:16;not null"`
		MediaID     string `gorm:"size:255;not null;default:''"`
		PicURL      string `gorm:"size:1000;not null;default:''"`
		Path        string `gorm:"size:255;not null;default:'';index:idx_attachments_path"`
		ContentType string `gorm:"size:64;not null;default:''"`
		Size        int64  `gorm:"not null;default:0"`
		UploaderID  string `gorm:"size:64;not null;default:''"`
		Attempts    int    `gorm:"not null;default:0"`
		FetchError  string `gorm:"size:255;not null;default:''"`
		CreatedAt   time.Time
	}
	type campaign struct {
		ID        uint    `gorm:"primaryKey"`
		Code      string  `gorm:"size:64;not null;uniqueIndex:idx_campaigns_code"`
		Name      string  `gorm:"size:128;not null"`
		Start     *string `gorm:"column:starts_on;type:varchar(10)"`
		End       *string `gorm:"column:ends_on;type:varchar(10)"`
		Deadlines string  `gorm:"size:4000;not null;default:''"`
		CreatedAt time.Time
		UpdatedAt time.Time
	}
	type counter struct {
		Name  string `gorm:"primaryKey;size:64"`
		Value int64  `gorm:"not null;default:0"`
	}
	type outbox struct {
		ID            uint      `gorm:"primaryKey"`
		DedupeKey     string    `gorm:"size:191;not null;uniqueIndex:idx_outbox_dedupe"`
		Recipients    string    `gorm:"size:1000;not null;default:''"`
		Kind          string    `gorm:"size:32;not null"`
		Body          string    `gorm:"type:text;not null"`
		State         string    `gorm:"size:16;not null;index:idx_outbox_due,priority:1"`
		NextAttemptAt time.Time `gorm:"index:idx_outbox_due,priority:2"`
		Attempts      int       `gorm:"not null;default:0"`
		ClaimedBy     string    `gorm:"size:64;not null;default:''"`
		ClaimedUntil  *time.Time
		LastError     string `gorm:"size:500;not null;default:''"`
		SentAt        *time.Time
		CreatedAt     time.Time
	}
	type dialogue struct {
		UserID    string    `gorm:"column:userid;primaryKey;size:64"`
		Status    string    `gorm:"size:16;not null"`
		Data      string    `gorm:"type:text;not null"`
		UpdatedAt time.Time `gorm:"index:idx_dialogues_updated"`
		Version   int       `gorm:"not null;default:0"`
	}
	type inbound struct {
		Key       string    `gorm:"primaryKey;size:191"`
		UserID    string    `gorm:"column:userid;size:64;not null;default:''"`
		Reply     string    `gorm:"type:text;not null"`
		CreatedAt time.Time `gorm:"index:idx_inbound_created"`
	}
	type token struct {
		Key       string `gorm:"primaryKey;size:128"`
		Value     string `gorm:"size:1024;not null;default:''"`
		ExpiresAt time.Time
		UpdatedAt time.Time
	}
	type jobRun struct {
		Slot      string `gorm:"primaryKey;size:191"`
		Name      string `gorm:"size:64;not null;index:idx_job_runs_name"`
		Owner     string `gorm:"size:64;not null;default:''"`
		State     string `gorm:"size:16;not null"`
		StartedAt time.Time
		EndedAt   *time.Time
		Error     string `gorm:"size:500;not null;default:''"`
	}
	steps := []struct {
		table string
		model any
	}{
		{"units", &unit{}}, {"users", &user{}}, {"campaigns", &campaign{}}, {"hazards", &hazard{}},
		{"events", &event{}}, {"attachments", &attachment{}}, {"counters", &counter{}},
		{"outbox", &outbox{}}, {"dialogues", &dialogue{}}, {"inbound", &inbound{}},
		{"tokens", &token{}}, {"job_runs", &jobRun{}},
	}
	for _, st := range steps {
		if err := db.Table(st.table).AutoMigrate(st.model); err != nil {
			return fmt.Errorf("%s: %w", st.table, err)
		}
	}
	return nil
}

// migrate2 adds a covering index for the summaries: a period is a range of
// found_on, and every column a summary groups, filters or counts by follows,
// so a city-wide summary reads the index alone, never the rows. It replaces
// the found_on index, which is its prefix.
func migrate2(db *gorm.DB) error {
	m := db.Migrator()
	if !m.HasIndex("hazards", "idx_hazards_summary") {
		err := db.Exec("CREATE INDEX idx_hazards_summary ON hazards (found_on, region_id, sector, state, deadline, unit_id, committee_id)").Error
		if err != nil {
			return err
		}
	}
	if !m.HasIndex("hazards", "idx_hazards_found") {
		return nil
	}
	drop := "DROP INDEX idx_hazards_found"
	if db.Dialector.Name() == "mysql" {
		drop += " ON hazards"
	}
	return db.Exec(drop).Error
}

// migrate3 adds a table for photos and generated files, for replicas that
// share no directory.
func migrate3(db *gorm.DB) error {
	type file struct {
		Name        string `gorm:"primaryKey;size:191"`
		ContentType string `gorm:"size:100;not null;default:''"`
		Size        int64  `gorm:"not null;default:0"`
		Data        []byte `gorm:"type:longblob"`
		CreatedAt   time.Time
	}
	return db.Table("files").AutoMigrate(&file{})
}

// migrate4 adds the log of sends per member that keeps every replica
// together under WeCom's per-member limit.
func migrate4(db *gorm.DB) error {
	type send struct {
		ID     uint      `gorm:"primaryKey"`
		UserID string    `gorm:"column:userid;size:64;not null;index:idx_sends_user_at,priority:1"`
		At     time.Time `gorm:"not null;index:idx_sends_user_at,priority:2;index:idx_sends_at"`
	}
	return db.Table("sends").AutoMigrate(&send{})
}

// migrate10 adds events.via: an action taken through the admin API says
// so, instead of reading as the person's own.
func migrate10(db *gorm.DB) error {
	type event struct {
		Via string `gorm:"size:64;not null;default:''"`
	}
	return db.Table("events").AutoMigrate(&event{})
}

// migrate11 adds tokens.refreshing_until: the lease of the replica that is
// fetching a new access token, so that none holds a row lock meanwhile.
func migrate11(db *gorm.DB) error {
	type token struct {
		RefreshingUntil *time.Time
	}
	return db.Table("tokens").AutoMigrate(&token{})
}

// migrate12 records which messages the per-sender limit has counted, by
// dedupe key, with the count each got: WeCom's retry of a message on
// another replica is the same message, not one more.
func migrate12(db *gorm.DB) error {
	type inboundCounted struct {
		Key       string    `gorm:"column:key;primaryKey;size:191"`
		N         int       `gorm:"not null;default:0"`
		CreatedAt time.Time `gorm:"index:idx_inbound_counted_created"`
	}
	return db.Table("inbound_counted").AutoMigrate(&inboundCounted{})
}

// migrate13 keeps the names of stored files whose rows are gone (pruned
// draft photos, their thumbnails), written in the transaction that drops
// the rows, until the files are deleted: a delete that fails is tried
// again, so no file is kept forever.
func migrate13(db *gorm.DB) error {
	type fileDeletion struct {
		Name      string    `gorm:"primaryKey;size:191"`
		CreatedAt time.Time `gorm:"not null"`
		Attempts  int       `gorm:"not null;default:0"`
		LastError string    `gorm:"size:255"`
	}
	return db.Table("file_deletions").AutoMigrate(&fileDeletion{})
}

// migrate20 adds the per-sender, per-minute counts of inbound messages that
// let every replica apply one inbound limit.
func migrate20(db *gorm.DB) error {
	type inboundRate struct {
		UserID string `gorm:"column:userid;primaryKey;size:64"`
		Minute int64  `gorm:"primaryKey;autoIncrement:false"`
		N      int    `gorm:"not null;default:0"`
	}
	return db.Table("inbound_rates").AutoMigrate(&inboundRate{})
}

// migrate30 marks units created for names the directory did not have
// (unverified until an admin confirms or merges them), and keeps what a
// unit reports having done (整改情况) apart from the measures required.
func migrate30(db *gorm.DB) error {
	type unit struct {
		Unverified bool `gorm:"not null;default:false"`
	}
	type hazard struct {
		Rectification string `gorm:"size:2000;not null;default:''"`
	}
	if !db.Table("units").Migrator().HasColumn(&unit{}, "unverified") {
		if err := db.Table("units").Migrator().AddColumn(&unit{}, "Unverified"); err != nil {
			return fmt.Errorf("units.unverified: %w", err)
		}
	}
	if !db.Table("hazards").Migrator().HasColumn(&hazard{}, "rectification") {
		if err := db.Table("hazards").Migrator().AddColumn(&hazard{}, "Rectification"); err != nil {
			return fmt.Errorf("hazards.rectification: %w", err)
		}
	}
	return nil
}

// migrate40 adds the rest of each user's last long chat reply, read by 更多
// on whichever replica takes it.
func migrate40(db *gorm.DB) error {
	type page struct {
		UserID    string `gorm:"column:userid;primaryKey;size:64"`
		Data      string `gorm:"type:text"`
		UpdatedAt time.Time
	}
	return db.Table("pages").AutoMigrate(&page{})
}

// migrate41 adds a table of named facts about the database itself, such as
// the marker demo mode writes when it seeds an empty database.
func migrate41(db *gorm.DB) error {
	type setting struct {
		Name      string `gorm:"primaryKey;size:64"`
		Value     string `gorm:"size:255;not null;default:''"`
		UpdatedAt time.Time
	}
	return db.Table("settings").AutoMigrate(&setting{})
}

// migrate80 adds hazard_counts, the pre-aggregated counts every summary
// reads (see daily.go), fills it from the hazards, and adds a covering index
// for counting the open hazards past their deadline. The statements are
// frozen here, not shared with daily.go.
func migrate80(db *gorm.DB) error {
	mysql := db.Dialector.Name() == "mysql"
	create := `CREATE TABLE IF NOT EXISTS hazard_counts (
		grain CHAR(1) NOT NULL,
		period VARCHAR(10) NOT NULL,
		region_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		sector VARCHAR(32) NOT NULL DEFAULT '',
		state VARCHAR(20) NOT NULL,
		unit_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		committee_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		campaign_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		n BIGINT NOT NULL DEFAULT 0,
		closed_secs BIGINT NOT NULL DEFAULT 0,
		closed_timed BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (grain, period, region_id, sector, state, unit_id, committee_id, campaign_id)
	)`
	if mysql {
		create += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	}
	if err := db.Exec(create).Error; err != nil {
		return err
	}
	if err := db.Exec("DELETE FROM hazard_counts").Error; err != nil {
		return err
	}
	secs := "CAST(strftime('%s', closed_at) AS INTEGER) - CAST(strftime('%s', created_at) AS INTEGER)"
	month := "COALESCE(SUBSTR(found_on, 1, 7) || '-01', '')"
	if mysql {
		secs = "CAST(FLOOR(UNIX_TIMESTAMP(closed_at)) AS SIGNED) - CAST(FLOOR(UNIX_TIMESTAMP(created_at)) AS SIGNED)"
		month = "COALESCE(CONCAT(SUBSTR(found_on, 1, 7), '-01'), '')"
	}
	for _, g := range []struct{ grain, period string }{{"d", "COALESCE(found_on, '')"}, {"m", month}} {
		err := db.Exec("INSERT INTO hazard_counts (grain, period, region_id, sector, state, unit_id, committee_id, campaign_id, n, closed_secs, closed_timed) " +
			"SELECT '" + g.grain + "', " + g.period + ", COALESCE(region_id, 0), sector, state, COALESCE(unit_id, 0), COALESCE(committee_id, 0), COALESCE(campaign_id, 0), " +
			"COUNT(*), COALESCE(SUM(CASE WHEN state = 'closed' AND closed_at IS NOT NULL THEN " + secs + " ELSE 0 END), 0), " +
			"SUM(CASE WHEN state = 'closed' AND closed_at IS NOT NULL THEN 1 ELSE 0 END) " +
			"FROM hazards GROUP BY " + g.period + ", COALESCE(region_id, 0), sector, state, COALESCE(unit_id, 0), COALESCE(committee_id, 0), COALESCE(campaign_id, 0)").Error
		if err != nil {
			return err
		}
	}
	if db.Migrator().HasIndex("hazards", "idx_hazards_overdue") {
		return nil
	}
	return db.Exec("CREATE INDEX idx_hazards_overdue ON hazards (state, deadline, found_on, region_id, sector, unit_id, committee_id, campaign_id)").Error
}

// migrate81 keeps the pre-aggregated counts as of a day (counts_asof) and
// splits the open hazards past their deadline on that day into rows of
// their own (overdue = 1), so a summary reads overdue from the counts too.
// The counts are derived data: the table is made anew and filled as of no
// day (nothing overdue); the first summary moves them to its day.
func migrate81(db *gorm.DB) error {
	mysql := db.Dialector.Name() == "mysql"
	if err := db.Exec("DROP TABLE IF EXISTS hazard_counts").Error; err != nil {
		return err
	}
	create := `CREATE TABLE hazard_counts (
		grain CHAR(1) NOT NULL,
		period VARCHAR(10) NOT NULL,
		region_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		sector VARCHAR(32) NOT NULL DEFAULT '',
		state VARCHAR(20) NOT NULL,
		overdue SMALLINT NOT NULL DEFAULT 0,
		unit_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		committee_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		campaign_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		n BIGINT NOT NULL DEFAULT 0,
		closed_secs BIGINT NOT NULL DEFAULT 0,
		closed_timed BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id)
	)`
	asof := "CREATE TABLE IF NOT EXISTS counts_asof (id INTEGER NOT NULL PRIMARY KEY, day VARCHAR(10) NOT NULL DEFAULT '')"
	if mysql {
		create += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
		asof += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	}
	for _, q := range []string{create, asof, "DELETE FROM counts_asof", "INSERT INTO counts_asof (id, day) VALUES (1, '')"} {
		if err := db.Exec(q).Error; err != nil {
			return err
		}
	}
	secs := "CAST(strftime('%s', closed_at) AS INTEGER) - CAST(strftime('%s', created_at) AS INTEGER)"
	month := "COALESCE(SUBSTR(found_on, 1, 7) || '-01', '')"
	if mysql {
		secs = "CAST(FLOOR(UNIX_TIMESTAMP(closed_at)) AS SIGNED) - CAST(FLOOR(UNIX_TIMESTAMP(created_at)) AS SIGNED)"
		month = "COALESCE(CONCAT(SUBSTR(found_on, 1, 7), '-01'), '')"
	}
	for _, g := range []struct{ grain, period string }{{"d", "COALESCE(found_on, '')"}, {"m", month}} {
		err := db.Exec("INSERT INTO hazard_counts (grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, n, closed_secs, closed_timed) " +
			"SELECT '" + g.grain + "', " + g.period + ", COALESCE(region_id, 0), sector, state, 0, COALESCE(unit_id, 0), COALESCE(committee_id, 0), COALESCE(campaign_id, 0), " +
			"COUNT(*), COALESCE(SUM(CASE WHEN state = 'closed' AND closed_at IS NOT NULL THEN " + secs + " ELSE 0 END), 0), " +
			"SUM(CASE WHEN state = 'closed' AND closed_at IS NOT NULL THEN 1 ELSE 0 END) " +
			"FROM hazards GROUP BY " + g.period + ", COALESCE(region_id, 0), sector, state, COALESCE(unit_id, 0), COALESCE(committee_id, 0), COALESCE(campaign_id, 0)").Error
		if err != nil {
			return err
		}
	}
	return nil
}

// migrate86 adds the level column agg to hazard_counts: level 0 is every
// row there was, level 1 the same counts without sector, committee and
// campaign, level 2 without the unit too (see daily.go); both are summed
// from level 0, so they are as of the same day. Indexes by region, unit
// and committee let a scoped summary read its own rows only. The table is
// derived data: it is copied into a new one with the new key.
func migrate86(db *gorm.DB) error {
	mysql := db.Dialector.Name() == "mysql"
	create := `CREATE TABLE hazard_counts_new (
		agg SMALLINT NOT NULL DEFAULT 0,
		grain CHAR(1) NOT NULL,
		period VARCHAR(10) NOT NULL,
		region_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		sector VARCHAR(32) NOT NULL DEFAULT '',
		state VARCHAR(20) NOT NULL,
		overdue SMALLINT NOT NULL DEFAULT 0,
		unit_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		committee_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		campaign_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
		n BIGINT NOT NULL DEFAULT 0,
		closed_secs BIGINT NOT NULL DEFAULT 0,
		closed_timed BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id)
	)`
	if mysql {
		create += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	}
	cols := "n, closed_secs, closed_timed"
	sums := "SUM(n), SUM(closed_secs), SUM(closed_timed)"
	for _, q := range []string{
		"DROP TABLE IF EXISTS hazard_counts_new",
		create,
		"INSERT INTO hazard_counts_new (agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, " + cols + ") " +
			"SELECT 0, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, " + cols + " FROM hazard_counts WHERE n <> 0 OR closed_secs <> 0 OR closed_timed <> 0",
		"INSERT INTO hazard_counts_new (agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, " + cols + ") " +
			"SELECT 1, grain, period, region_id, '', state, overdue, unit_id, 0, 0, " + sums + " FROM hazard_counts GROUP BY grain, period, region_id, state, overdue, unit_id",
		"INSERT INTO hazard_counts_new (agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, " + cols + ") " +
			"SELECT 2, grain, period, region_id, '', state, overdue, 0, 0, 0, " + sums + " FROM hazard_counts GROUP BY grain, period, region_id, state, overdue",
		"DROP TABLE hazard_counts",
		"ALTER TABLE hazard_counts_new RENAME TO hazard_counts",
		"CREATE INDEX idx_hazard_counts_region ON hazard_counts (agg, region_id, grain, period)",
		"CREATE INDEX idx_hazard_counts_unit ON hazard_counts (agg, unit_id, grain, period)",
		"CREATE INDEX idx_hazard_counts_committee ON hazard_counts (agg, committee_id, grain, period)",
	} {
		if err := db.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrate50 records which unit handed in which campaign report for which
// due date, so that reminders skip those that did.
func migrate50(db *gorm.DB) error {
	type campaignReport struct {
		ID         uint   `gorm:"primaryKey"`
		CampaignID uint   `gorm:"not null;uniqueIndex:idx_campaign_reports_due,priority:1"`
		Deadline   string `gorm:"size:64;not null;uniqueIndex:idx_campaign_reports_due,priority:2"`
		DueOn      string `gorm:"type:varchar(10);not null;uniqueIndex:idx_campaign_reports_due,priority:3"`
		UnitID     uint   `gorm:"not null;uniqueIndex:idx_campaign_reports_due,priority:4"`
		ReporterID string `gorm:"size:64;not null;default:''"`
		Note       string `gorm:"size:500;not null;default:''"`
		CreatedAt  time.Time
	}
	return db.Table("campaign_reports").AutoMigrate(&campaignReport{})
}

// migrate82 adds the directory's version: one row that every write to
// units, users or campaigns bumps in its own transaction, so each replica
// knows when what it holds of the directory is out of date (dircache.go).
func migrate82(db *gorm.DB) error {
	create := "CREATE TABLE IF NOT EXISTS dir_versions (id INTEGER NOT NULL PRIMARY KEY, v BIGINT NOT NULL DEFAULT 0)"
	if db.Dialector.Name() == "mysql" {
		create += " ENGINE=InnoDB"
	}
	for _, q := range []string{create, "DELETE FROM dir_versions", "INSERT INTO dir_versions (id, v) VALUES (1, 0)"} {
		if err := db.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}
