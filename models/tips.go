package models

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Tip is a public tip (群众举报) sent through the WeChat Official Account.
// It files a hazard in 待核实 (StateUnverified) for the county's
// supervisors, who either assign it (交办) or close it as 不属实 or 已处理
// (ActDismiss); the tipster is told only the outcome, under the tip's own
// receipt number.
type Tip struct {
	ID        uint      `json:"id" gorm:"primaryKey"`
	Year      int       `json:"year"`
	Seq       int       `json:"seq"`
	UserID    string    `json:"userid" gorm:"column:userid"`
	HazardID  uint      `json:"hazard_id"`
	CreatedAt time.Time `json:"created_at"`
}

// TableName keeps the migrated name.
func (Tip) TableName() string { return "tips" }

// Receipt is the tip's receipt number, e.g. JB2023-0007.
func (t *Tip) Receipt() string { return fmt.Sprintf("JB%d-%04d", t.Year, t.Seq) }

// TipsPerDay is how many tips one follower may send in a day.
const TipsPerDay = 5

// TipsToday counts the tips userid sent since the start of today.
func (tx *Tx) TipsToday(userid string) (int64, error) {
	start := tx.Today().Time(tx.s.Loc).UTC()
	var n int64
	err := tx.DB.Model(&Tip{}).Where("userid = ? AND created_at >= ?", userid, start).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("models: count tips: %w", err)
	}
	return n, nil
}

// CreateTip records that userid's tip filed hazard h and allocates its
// receipt number in the current year's sequence.
func (tx *Tx) CreateTip(userid string, h *Hazard) (*Tip, error) {
	if isPlaceholderID(h.ID) {
		return nil, errAlone // the tip names the hazard's row: not yet written
	}
	now := tx.Now()
	year := now.In(tx.s.Loc).Year()
	for range 5 {
		var last struct{ N *int }
		if err := tx.forUpdate().Model(&Tip{}).Select("MAX(seq) AS n").Where("year = ?", year).Scan(&last).Error; err != nil {
			return nil, fmt.Errorf("models: tip sequence: %w", err)
		}
		seq := 1
		if last.N != nil {
			seq = *last.N + 1
		}
		t := Tip{Year: year, Seq: seq, UserID: userid, HazardID: h.ID, CreatedAt: now.UTC()}
		err := tx.DB.Create(&t).Error
		if isDuplicate(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("models: save tip: %w", err)
		}
		return &t, nil
	}
	return nil, fmt.Errorf("models: tip sequence contended")
}

// TipOfHazard returns the tip that filed hazard id, or nil.
func (tx *Tx) TipOfHazard(id uint) (*Tip, error) {
	var t Tip
	err := tx.DB.Where("hazard_id = ?", id).Take(&t).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: tip of hazard: %w", err)
	}
	return &t, nil
}

var receiptRE = regexp.MustCompile(`^(?i)JB\s*(\d{4})\s*-?\s*0*(\d{1,9})$`)

// FindTipByReceipt returns the tip with receipt number s ("JB2023-0007",
// case and dash optional).
func (tx *Tx) FindTipByReceipt(s string) (*Tip, error) {
	m := receiptRE.FindStringSubmatch(strings.TrimSpace(Narrow(s)))
	if m == nil {
		return nil, Errorf(EInvalid, "受理号的格式是 JB年份-序号，例如 JB2023-0007")
	}
	year, _ := strconv.Atoi(m[1])
	seq, _ := strconv.Atoi(m[2])
	var t Tip
	err := tx.DB.Where("year = ? AND seq = ?", year, seq).Take(&t).Error
	if err == gorm.ErrRecordNotFound {
		return nil, Errorf(ENotFound, "没有受理号 %s 的举报", fmt.Sprintf("JB%d-%04d", year, seq))
	}
	if err != nil {
		return nil, fmt.Errorf("models: find tip: %w", err)
	}
	return &t, nil
}

// IsReceipt reports whether s looks like a tip receipt number.
func IsReceipt(s string) bool { return receiptRE.MatchString(strings.TrimSpace(Narrow(s))) }

// migrate71 adds public tips with their own receipt numbers.
func migrate71(db *gorm.DB) error {
	type tip struct {
		ID        uint      `gorm:"primaryKey"`
		Year      int       `gorm:"not null;uniqueIndex:idx_tips_year_seq,priority:1"`
		Seq       int       `gorm:"not null;uniqueIndex:idx_tips_year_seq,priority:2"`
		UserID    string    `gorm:"column:userid;size:64;not null;index:idx_tips_user_created,priority:1"`
		HazardID  uint      `gorm:"not null;index:idx_tips_hazard"`
		CreatedAt time.Time `gorm:"not null;index:idx_tips_user_created,priority:2"`
	}
	return db.Table("tips").AutoMigrate(&tip{})
}

// migrate73 moves the public tips that still wait for a supervisor, filed
// before 待核实 was a state (as 待交办 hazards with a tips row), to the
// unverified state, and rebuilds the pre-aggregated counts when it moved
// any (kept as of no day, as migrate81 leaves them: the first summary moves
// them to its day). Where the counts do not exist yet, migrations 80 and 81
// build them from the hazards afterwards. The statements are frozen here.
func migrate73(db *gorm.DB) error {
	res := db.Exec("UPDATE hazards SET state = 'unverified' WHERE state = 'reported' AND unit_id IS NULL AND id IN (SELECT hazard_id FROM tips)")
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 || !db.Migrator().HasTable("hazard_counts") || !db.Migrator().HasTable("counts_asof") {
		return nil
	}
	mysql := db.Dialector.Name() == "mysql"
	for _, q := range []string{"DELETE FROM hazard_counts", "UPDATE counts_asof SET day = ''"} {
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

// HazardNumber returns the number of the hazard the tip filed.
func (tx *Tx) HazardNumber(hazardID uint) (Number, error) {
	var h struct{ Year, Seq int }
	err := tx.DB.Table("hazards").Select("year, seq").Where("id = ?", hazardID).Take(&h).Error
	if err != nil {
		return Number{}, fmt.Errorf("models: hazard number: %w", err)
	}
	return Number{Year: h.Year, Seq: h.Seq}, nil
}
