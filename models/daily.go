package models

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The ledger's counts are kept pre-aggregated in hazard_counts, so that a
// summary over a year of a million hazards reads a few thousand rows
// instead of scanning the hazards. A row counts the hazards found on one
// day (grain 'd') or in one month (grain 'm', period = the month's first
// day) that share a region, sector, state, responsible unit, supervising
// committee and campaign (0 and '' for none), with the seconds from report
// to close-out summed over the closed ones (for the ranking's average).
//
// THE RULE: every write that creates a hazard or changes one of those
// fields (found_on, region_id, sector, state, unit_id, committee_id,
// campaign_id, closed_at) must call Recount(before, after) in the SAME
// transaction. CreateHazard and Transition do (so chat, card clicks, the
// admin API, the H5 pages, WeChat and the import all follow); a bulk move
// that rewrites many hazards at once (a unit merge) calls RecountUnits for
// the units involved instead. `hazardbot check-counts` recomputes the
// counts from the hazards and reports any row that differs.
//
// Every state has rows of its own, unverified tips (待核实) included: the
// figures (Figures.add) leave those out as they leave out the withdrawn, so
// a tip counts from the day it is assigned, and check-counts checks its
// rows like any other.
//
// "Overdue" depends on the day, so the counts are kept as of a day, the
// watermark in counts_asof: an open hazard whose deadline is before that day
// is counted in the row with overdue = 1. Writers read the watermark under a
// shared lock; the first summary of a new day moves it (advanceCounts, under
// an exclusive lock, in one transaction): only the open hazards whose
// deadline lies between the old and the new day change rows, found with the
// overdue index. So a crash never counts twice and a summary never scans.

// countKey is what one hazard contributes to: its group of one day.
type countKey struct {
	Day                               string // found_on, YYYY-MM-DD
	Region, Unit, Committee, Campaign uint
	Sector                            string
	State                             State
	Overdue                           bool
}

// The levels of hazard_counts (column agg). Every hazard counts once in
// each: level 0 keeps every column; level 1 keeps the region and the unit
// (sector ”, committee and campaign 0); level 2 the region alone (unit 0
// too). A summary reads the coarsest level that still has the columns it
// filters and groups by: a city-wide chart by county reads about a hundred
// rows a month whatever the ledger's size and shape, a county's chart by
// unit a few hundred, while a breakdown by sector or campaign reads level
// 0. Recount writes all three levels in its one statement.
const (
	aggAll    = 0
	aggUnit   = 1
	aggRegion = 2
)

var aggs = []int{aggAll, aggUnit, aggRegion}

// countDelta is a change to one row of hazard_counts.
type countDelta struct {
	Agg                               int
	Grain, Period                     string
	Region, Unit, Committee, Campaign uint
	Sector                            string
	State                             State
	Overdue                           int
	N, ClosedSecs, ClosedTimed        int64
}

// keyOf is the group a hazard counts in, as of the day asof.
func keyOf(h *Hazard, asof string) countKey {
	return countKey{Day: dayString(h.FoundOn), Region: deref(h.RegionID), Unit: deref(h.UnitID), Committee: deref(h.CommitteeID),
		Campaign: deref(h.CampaignID), Sector: h.Sector, State: h.State,
		Overdue: h.State.Open() && !h.Deadline.IsZero() && h.Deadline.String() < asof}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// countsAsOf returns the day the counts are kept as of, read once per
// transaction under a shared lock (on MySQL), so that the day cannot move
// until this transaction's counts are written.
func (tx *Tx) countsAsOf() (string, error) {
	if tx.grp != nil {
		return tx.grp.base.countsAsOf()
	}
	if tx.asof != nil {
		return *tx.asof, nil
	}
	q := "SELECT day FROM counts_asof WHERE id = 1"
	if tx.s.driver == "mysql" {
		q += " LOCK IN SHARE MODE"
	}
	var day []string
	if err := tx.DB.Raw(q).Scan(&day).Error; err != nil {
		return "", fmt.Errorf("models: counts as of: %w", err)
	}
	d := ""
	if len(day) > 0 {
		d = day[0]
	}
	tx.asof = &d
	return d, nil
}

func dayString(d Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func deref(p *uint) uint {
	if p == nil {
		return 0
	}
	return *p
}

// closedSecs is what a hazard adds to the closed-time sums: whole seconds
// from report to close-out, counted the way the recount does (each moment
// truncated to the second).
func closedSecs(h *Hazard) (secs, timed int64) {
	if h.State != StateClosed || h.ClosedAt == nil {
		return 0, 0
	}
	return h.ClosedAt.Unix() - h.CreatedAt.Unix(), 1
}

// monthOf is the month row a day belongs to: "2023-03-15" → "2023-03-01".
func monthOf(day string) string {
	if len(day) < 7 {
		return day
	}
	return day[:7] + "-01"
}

// Recount moves a hazard's contribution to the counts from what it was
// (before, nil for a new hazard) to what it is now (after, nil if it were
// ever deleted), in this transaction, with one statement (none when nothing
// counted changed). Every write path must call it; see the package note
// above hazard_counts.
//
// A hazard created in this transaction and still waiting for its number
// (DeferNumbers) is counted once, as it is when numbered: changes to it
// before then are not counted apart.
func (tx *Tx) Recount(before, after *Hazard) error {
	if after != nil && slices.Contains(tx.unnumbered, after) {
		return nil
	}
	return tx.recount(before, after)
}

func (tx *Tx) recount(before, after *Hazard) error {
	asof, err := tx.countsAsOf()
	if err != nil {
		return err
	}
	var deltas []countDelta
	deltas = appendDeltas(deltas, before, -1, asof)
	deltas = appendDeltas(deltas, after, 1, asof)
	return tx.applyCounts(deltas)
}

// appendDeltas adds what h (nil: nothing) contributes to the counts, times
// sign, to deltas.
func appendDeltas(deltas []countDelta, h *Hazard, sign int64, asof string) []countDelta {
	if h == nil {
		return deltas
	}
	k := keyOf(h, asof)
	secs, timed := closedSecs(h)
	for _, agg := range aggs {
		for _, g := range []struct{ grain, period string }{{"d", k.Day}, {"m", monthOf(k.Day)}} {
			deltas = append(deltas, countDelta{Agg: agg, Grain: g.grain, Period: g.period, Region: k.Region, Unit: k.Unit, Committee: k.Committee,
				Campaign: k.Campaign, Sector: k.Sector, State: k.State, Overdue: b2i(k.Overdue), N: sign, ClosedSecs: sign * secs, ClosedTimed: sign * timed}.rolled())
		}
	}
	return deltas
}

// rolled clears the columns d's level leaves out.
func (d countDelta) rolled() countDelta {
	if d.Agg >= aggUnit {
		d.Sector, d.Committee, d.Campaign = "", 0, 0
	}
	if d.Agg == aggRegion {
		d.Unit = 0
	}
	return d
}

// RecountNew counts hazards just created in this transaction, all in one
// upsert of the rows they touch (a ledger import creates thousands): the
// same as Recount(nil, h) for each.
func (tx *Tx) RecountNew(hs ...*Hazard) error {
	asof, err := tx.countsAsOf()
	if err != nil {
		return err
	}
	var deltas []countDelta
	for _, h := range hs {
		if !slices.Contains(tx.unnumbered, h) {
			deltas = appendDeltas(deltas, h, 1, asof)
		}
	}
	return tx.applyCounts(deltas)
}

// applyCounts adds deltas to hazard_counts in one upsert, rows in key order
// so that two transactions touching the same rows lock them in one order.
func (tx *Tx) applyCounts(deltas []countDelta) error {
	if tx.grp != nil {
		tx.later.deltas = append(tx.later.deltas, deltas...)
		return nil
	}
	merged := map[countDelta]*countDelta{}
	var list []*countDelta
	for _, d := range deltas {
		k := d
		k.N, k.ClosedSecs, k.ClosedTimed = 0, 0, 0
		if m := merged[k]; m != nil {
			m.N += d.N
			m.ClosedSecs += d.ClosedSecs
			m.ClosedTimed += d.ClosedTimed
			continue
		}
		c := d
		merged[k] = &c
		list = append(list, &c)
	}
	list = slices.DeleteFunc(list, func(d *countDelta) bool { return d.N == 0 && d.ClosedSecs == 0 && d.ClosedTimed == 0 })
	for len(list) > 500 {
		if err := tx.upsertCounts(list[:500]); err != nil {
			return err
		}
		list = list[500:]
	}
	if len(list) == 0 {
		return nil
	}
	return tx.upsertCounts(list)
}

func (tx *Tx) upsertCounts(list []*countDelta) error {
	slices.SortFunc(list, func(a, b *countDelta) int {
		return cmp.Or(cmp.Compare(a.Agg, b.Agg), cmp.Compare(a.Grain, b.Grain), cmp.Compare(a.Period, b.Period), cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.Sector, b.Sector), cmp.Compare(a.State, b.State), cmp.Compare(a.Overdue, b.Overdue), cmp.Compare(a.Unit, b.Unit),
			cmp.Compare(a.Committee, b.Committee), cmp.Compare(a.Campaign, b.Campaign))
	})
	var sb strings.Builder
	args := make([]any, 0, len(list)*13)
	sb.WriteString("INSERT INTO hazard_counts (agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, n, closed_secs, closed_timed) VALUES ")
	for i, d := range list {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, d.Agg, d.Grain, d.Period, d.Region, d.Sector, string(d.State), d.Overdue, d.Unit, d.Committee, d.Campaign, d.N, d.ClosedSecs, d.ClosedTimed)
	}
	if tx.s.driver == "mysql" {
		sb.WriteString(" ON DUPLICATE KEY UPDATE n = n + VALUES(n), closed_secs = closed_secs + VALUES(closed_secs), closed_timed = closed_timed + VALUES(closed_timed)")
	} else {
		sb.WriteString(" ON CONFLICT (agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id) DO UPDATE SET n = n + excluded.n, closed_secs = closed_secs + excluded.closed_secs, closed_timed = closed_timed + excluded.closed_timed")
	}
	if err := tx.DB.Exec(sb.String(), args...).Error; err != nil {
		return fmt.Errorf("models: count hazards: %w", err)
	}
	return nil
}

// recountSelect is the query that computes hazard_counts rows of one level
// (agg) and grain from the hazards themselves, optionally restricted by
// where; the migration that backfills, RecountUnits and CheckCounts share
// it.
func recountSelect(driver string, agg int, grain, where, asof string) string {
	period := "COALESCE(found_on, '')"
	if grain == "m" {
		if driver == "mysql" {
			period = "COALESCE(CONCAT(SUBSTR(found_on, 1, 7), '-01'), '')"
		} else {
			period = "COALESCE(SUBSTR(found_on, 1, 7) || '-01', '')"
		}
	}
	secs := "CAST(strftime('%s', closed_at) AS INTEGER) - CAST(strftime('%s', created_at) AS INTEGER)"
	if driver == "mysql" {
		secs = "CAST(FLOOR(UNIX_TIMESTAMP(closed_at)) AS SIGNED) - CAST(FLOOR(UNIX_TIMESTAMP(created_at)) AS SIGNED)"
	}
	if where == "" {
		where = "1=1"
	}
	overdue := "CASE WHEN state IN ('reported', 'rectifying') AND deadline IS NOT NULL AND deadline <> '' AND deadline < '" + quoteless(asof) + "' THEN 1 ELSE 0 END"
	sector, unit, committee, campaign := "sector", "COALESCE(unit_id, 0)", "COALESCE(committee_id, 0)", "COALESCE(campaign_id, 0)"
	group := []string{period, "COALESCE(region_id, 0)", "state", overdue}
	switch agg {
	case aggAll:
		group = append(group, sector, unit, committee, campaign)
	case aggUnit:
		sector, committee, campaign = "''", "0", "0"
		group = append(group, unit)
	default:
		sector, unit, committee, campaign = "''", "0", "0", "0"
	}
	return "SELECT " + fmt.Sprint(agg) + " AS agg, '" + grain + "' AS grain, " + period + " AS period, COALESCE(region_id, 0) AS region_id, " + sector + " AS sector, state, " + overdue + " AS overdue, " +
		unit + " AS unit_id, " + committee + " AS committee_id, " + campaign + " AS campaign_id, " +
		"COUNT(*) AS n, " +
		"COALESCE(SUM(CASE WHEN state = 'closed' AND closed_at IS NOT NULL THEN " + secs + " ELSE 0 END), 0) AS closed_secs, " +
		"SUM(CASE WHEN state = 'closed' AND closed_at IS NOT NULL THEN 1 ELSE 0 END) AS closed_timed " +
		"FROM hazards WHERE " + where + " " +
		"GROUP BY " + strings.Join(group, ", ")
}

// quoteless keeps a day string safe to splice into SQL: only digits and
// dashes pass.
func quoteless(day string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, day)
}

// rebuildCounts recomputes hazard_counts rows of the levels levels from
// the hazards matching where (with args), after deleting the rows matching
// countsWhere: both conditions must select the same hazards' contributions.
func rebuildCounts(db interface {
	Exec(sql string, values ...any) error
}, driver, asof string, levels []int, where, countsWhere string, args ...any) error {
	del := "DELETE FROM hazard_counts"
	if countsWhere != "" {
		del += " WHERE " + countsWhere
	}
	if err := db.Exec(del, args...); err != nil {
		return err
	}
	for _, agg := range levels {
		for _, g := range []string{"d", "m"} {
			ins := "INSERT INTO hazard_counts (agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, n, closed_secs, closed_timed) " +
				recountSelect(driver, agg, g, where, asof)
			if err := db.Exec(ins, args...); err != nil {
				return err
			}
		}
	}
	return nil
}

type execer struct{ tx *Tx }

func (e execer) Exec(sql string, values ...any) error { return e.tx.DB.Exec(sql, values...).Error }

// RecountUnits recomputes, in this transaction, the counts of every hazard
// whose responsible unit is one of ids: call it after a bulk change that
// moves hazards between units (a unit merge: RecountUnits(from, to)) in
// the same transaction. The region-only level holds no unit, so a move
// between units leaves it as it is.
func (tx *Tx) RecountUnits(ids ...uint) error {
	if len(ids) == 0 {
		return nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	asof, err := tx.countsAsOf()
	if err != nil {
		return err
	}
	if err := rebuildCounts(execer{tx}, tx.s.driver, asof, []int{aggAll, aggUnit}, "unit_id IN ("+marks+")", "agg IN (0, 1) AND unit_id IN ("+marks+")", args...); err != nil {
		return fmt.Errorf("models: recount units: %w", err)
	}
	return nil
}

// RebuildCounts recomputes every count from the hazards, in one
// transaction: the repair after check-counts reported a difference, and
// what a bulk load that bypassed CreateHazard must run.
func (s *Store) RebuildCounts(ctx context.Context) error {
	return s.InTx(ctx, func(tx *Tx) error {
		asof, err := tx.countsAsOf()
		if err != nil {
			return err
		}
		if err := rebuildCounts(execer{tx}, s.driver, asof, aggs, "", ""); err != nil {
			return fmt.Errorf("models: rebuild counts: %w", err)
		}
		return nil
	})
}

// CountDiff is one row of hazard_counts that differs from what the hazards
// say.
type CountDiff struct {
	Agg                           int // level: 0 every column, 1 region and unit, 2 region
	Grain, Period                 string
	RegionID, UnitID, CommitteeID uint
	CampaignID                    uint
	Sector                        string
	State                         State
	Overdue                       bool
	Stored, Actual                int64 // hazards counted
	StoredSecs, ActualSecs        int64 // closed-time sums
	StoredTimed, ActualTimed      int64
}

// String says what differs, for the check command.
func (d CountDiff) String() string {
	return fmt.Sprintf("level %d %s %s region=%d sector=%q state=%s overdue=%v unit=%d committee=%d campaign=%d: stored %d (closed %d, %ds), hazards say %d (closed %d, %ds)",
		d.Agg, d.Grain, d.Period, d.RegionID, d.Sector, d.State, d.Overdue, d.UnitID, d.CommitteeID, d.CampaignID,
		d.Stored, d.StoredTimed, d.StoredSecs, d.Actual, d.ActualTimed, d.ActualSecs)
}

// CheckCounts recomputes every count from the hazards and returns each row
// of hazard_counts that differs (rows of zero and missing rows are alike).
// It reads; it changes nothing (RebuildCounts repairs).
func (s *Store) CheckCounts(ctx context.Context) ([]CountDiff, error) {
	type row struct {
		Agg                           int
		Grain, Period                 string
		RegionID, UnitID, CommitteeID uint
		CampaignID                    uint
		Sector                        string
		State                         State
		Overdue                       int
		N, ClosedSecs, ClosedTimed    int64
	}
	type key struct {
		Agg                           int
		Grain, Period                 string
		RegionID, UnitID, CommitteeID uint
		CampaignID                    uint
		Sector                        string
		State                         State
		Overdue                       int
	}
	keyOf := func(r row) key {
		return key{r.Agg, r.Grain, r.Period, r.RegionID, r.UnitID, r.CommitteeID, r.CampaignID, r.Sector, r.State, r.Overdue}
	}
	db := s.DB.WithContext(ctx)
	var asof []string
	if err := db.Raw("SELECT day FROM counts_asof WHERE id = 1").Scan(&asof).Error; err != nil || len(asof) != 1 {
		return nil, fmt.Errorf("models: check counts: no counts_asof row (%v)", err)
	}
	var stored []row
	if err := db.Raw("SELECT agg, grain, period, region_id, sector, state, overdue, unit_id, committee_id, campaign_id, n, closed_secs, closed_timed FROM hazard_counts").
		Scan(&stored).Error; err != nil {
		return nil, fmt.Errorf("models: check counts: %w", err)
	}
	got := map[key]row{}
	for _, r := range stored {
		got[keyOf(r)] = r
	}
	var diffs []CountDiff
	seen := map[key]bool{}
	for _, agg := range aggs {
		for _, g := range []string{"d", "m"} {
			var actual []row
			if err := db.Raw(recountSelect(s.driver, agg, g, "", asof[0])).Scan(&actual).Error; err != nil {
				return nil, fmt.Errorf("models: check counts: %w", err)
			}
			for _, a := range actual {
				k := keyOf(a)
				seen[k] = true
				st := got[k]
				if st.N != a.N || st.ClosedSecs != a.ClosedSecs || st.ClosedTimed != a.ClosedTimed {
					diffs = append(diffs, CountDiff{a.Agg, a.Grain, a.Period, a.RegionID, a.UnitID, a.CommitteeID, a.CampaignID, a.Sector, a.State, a.Overdue == 1,
						st.N, a.N, st.ClosedSecs, a.ClosedSecs, st.ClosedTimed, a.ClosedTimed})
				}
			}
		}
	}
	for k, st := range got {
		if seen[k] || (st.N == 0 && st.ClosedSecs == 0 && st.ClosedTimed == 0) {
			continue
		}
		diffs = append(diffs, CountDiff{st.Agg, st.Grain, st.Period, st.RegionID, st.UnitID, st.CommitteeID, st.CampaignID, st.Sector, st.State, st.Overdue == 1,
			st.N, 0, st.ClosedSecs, 0, st.ClosedTimed, 0})
	}
	slices.SortFunc(diffs, func(a, b CountDiff) int { return cmp.Compare(a.String(), b.String()) })
	return diffs, nil
}

// countRanges splits the found_on period [from, to] (zero: unbounded) into
// whole months, read from the month rows, and the days at either end, read
// from the day rows: a year is 12 month rows per group, not 365 day rows.
func countRanges(from, to Date) (where string, args []any) {
	lo, hi := "", "9999-12-31" // "" also takes hazards with no found_on
	if !from.IsZero() {
		lo = from.String()
	}
	if !to.IsZero() {
		hi = to.String()
	}
	first := "0000-01-01"
	if lo != "" {
		if first = monthStart(lo); first < lo {
			first = nextMonth(first)
		}
	}
	last := monthStart(hi) // the last whole month starts here if hi ends it
	if monthEnd(last) > hi {
		last = prevMonth(last)
	}
	if first > last {
		return "(grain = 'd' AND period >= ? AND period <= ?)", []any{lo, hi}
	}
	parts := []string{"(grain = 'm' AND period >= ? AND period <= ?)"}
	args = []any{first, last}
	if lo < first {
		parts = append(parts, "(grain = 'd' AND period >= ? AND period < ?)")
		args = append(args, lo, first)
	}
	if after := nextMonth(last); after <= hi {
		parts = append(parts, "(grain = 'd' AND period >= ? AND period <= ?)")
		args = append(args, after, hi)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

func monthStart(day string) string { return day[:7] + "-01" }

func parseDay(day string) time.Time {
	t, _ := time.Parse("2006-01-02", day)
	return t
}

func nextMonth(first string) string {
	if first >= "9999-12-01" {
		return "9999-12-32"
	}
	return parseDay(first).AddDate(0, 1, 0).Format("2006-01-02")
}

func prevMonth(first string) string {
	if first <= "0000-01-01" {
		return "0000-00-00"
	}
	return parseDay(first).AddDate(0, -1, 0).Format("2006-01-02")
}

func monthEnd(first string) string {
	if first >= "9999-12-01" {
		return "9999-12-31"
	}
	return parseDay(first).AddDate(0, 1, -1).Format("2006-01-02")
}

// ensureCountsAsOf moves the counts' day to today when it is not there yet
// (the first summary of a day does it; the clock may also have gone back).
// In a transaction it moves them in it; outside one, in a transaction of its
// own, so that two replicas never move them twice.
func (tx *Tx) ensureCountsAsOf() error {
	if tx.grp != nil {
		return errAlone // it may move the day every member counts on
	}
	today := tx.Today().String()
	if tx.asof != nil && *tx.asof == today {
		return nil
	}
	var day []string
	if err := tx.DB.Raw("SELECT day FROM counts_asof WHERE id = 1").Scan(&day).Error; err != nil {
		return fmt.Errorf("models: counts as of: %w", err)
	}
	if len(day) == 1 && day[0] == today {
		return nil
	}
	if _, inTx := tx.DB.Statement.ConnPool.(*sql.Tx); inTx {
		return tx.advanceCounts(today)
	}
	return tx.s.InTx(tx.DB.Statement.Context, func(t *Tx) error { return t.advanceCounts(today) })
}

// advanceCounts moves the counts' day to today under an exclusive lock on
// it: the open hazards whose deadline lies between the old day and today
// move between the overdue and the not-overdue rows.
func (tx *Tx) advanceCounts(today string) error {
	var day []string
	if err := tx.forUpdate().Raw("SELECT day FROM counts_asof WHERE id = 1" + map[bool]string{true: " FOR UPDATE"}[tx.s.driver == "mysql"]).
		Scan(&day).Error; err != nil {
		return fmt.Errorf("models: advance counts: %w", err)
	}
	if len(day) != 1 {
		return fmt.Errorf("models: advance counts: no counts_asof row")
	}
	from := day[0]
	if from == today {
		return nil
	}
	lo, hi, now := from, today, 1 // later: deadlines in [from, today) become overdue
	if today < from {
		lo, hi, now = today, from, 0
	}
	type row struct {
		Agg                           int
		Grain, Period                 string
		RegionID, UnitID, CommitteeID uint
		CampaignID                    uint
		Sector                        string
		State                         State
		Overdue                       int
		N, ClosedSecs, ClosedTimed    int64
	}
	var deltas []countDelta
	where := "state IN ('reported', 'rectifying') AND deadline IS NOT NULL AND deadline <> '' AND deadline >= '" + quoteless(lo) + "' AND deadline < '" + quoteless(hi) + "'"
	for _, agg := range aggs {
		for _, g := range []string{"d", "m"} {
			var rows []row
			if err := tx.DB.Raw(recountSelect(tx.s.driver, agg, g, where, "")).Scan(&rows).Error; err != nil {
				return fmt.Errorf("models: advance counts: %w", err)
			}
			for _, r := range rows {
				d := countDelta{Agg: r.Agg, Grain: r.Grain, Period: r.Period, Region: r.RegionID, Unit: r.UnitID, Committee: r.CommitteeID, Campaign: r.CampaignID,
					Sector: r.Sector, State: r.State}
				was, is := d, d
				was.Overdue, was.N = 1-now, -r.N
				is.Overdue, is.N = now, r.N
				deltas = append(deltas, was, is)
			}
		}
	}
	if err := tx.applyCounts(deltas); err != nil {
		return err
	}
	if err := tx.DB.Exec("UPDATE counts_asof SET day = ? WHERE id = 1", today).Error; err != nil {
		return fmt.Errorf("models: advance counts: %w", err)
	}
	tx.asof = &today
	return nil
}
