package models

import (
	"fmt"
	"sort"

	"gorm.io/gorm"
)

// Figures are the ledger's counts for one group of hazards, in the seed's
// words: 发现 (found: all but withdrawn), 已整改完成 (rectified: pending
// review or closed), 已销号 (closed), plus 逾期 (overdue now).
type Figures struct {
	Found     int64 `json:"found"`
	Rectified int64 `json:"rectified"`
	Closed    int64 `json:"closed"`
	Overdue   int64 `json:"overdue"`
}

// Rate is the rectification rate 整改率: closed ÷ found, 0 when nothing was found.
func (f Figures) Rate() float64 {
	if f.Found == 0 {
		return 0
	}
	return float64(f.Closed) / float64(f.Found)
}

// Add returns the sum of two sets of figures.
func (f Figures) Add(o Figures) Figures {
	return Figures{f.Found + o.Found, f.Rectified + o.Rectified, f.Closed + o.Closed, f.Overdue + o.Overdue}
}

// SummaryRow is the figures of one group (a region, a sector or a unit).
type SummaryRow struct {
	Key  string `json:"key"`  // unit code or sector name
	Name string `json:"name"` // what a person reads: 茅箭区, 燃气
	Figures
}

// SummaryFilter selects the hazards a summary counts: those found (FoundOn)
// in [From, To], within Scope's subtree, optionally one region, sector,
// unit or campaign. Zero values do not filter.
type SummaryFilter struct {
	From, To   Date
	Scope      *Unit
	RegionID   *uint
	UnitID     *uint
	CampaignID *uint
	Sector     string

	byDay bool // counts: read the day rows alone (a breakdown by day)
}

// Grouping names what a breakdown groups by.
type Grouping string

// The groupings of a breakdown.
const (
	ByRegion Grouping = "region"
	BySector Grouping = "sector"
	ByUnit   Grouping = "unit"
)

// stateCounts is one GROUP BY row of a summary: how many hazards of one
// group are in one state, and how many of those are past their deadline.
type stateCounts struct {
	K           *string
	State       State
	N           int64
	PastDue     int64
	Secs, Timed int64 // closed-time sums (ranking)
}

// add folds one state's counts into the figures.
func (f *Figures) add(r stateCounts) {
	switch r.State {
	case StateWithdrawn, StateUnverified:
		// Withdrawn hazards and unverified tips are not found (发现).
		return
	case StatePendingReview:
		f.Rectified += r.N
	case StateClosed:
		f.Rectified += r.N
		f.Closed += r.N
	case StateReported, StateRectifying:
		f.Overdue += r.PastDue
	}
	f.Found += r.N
}

// counts returns a summary's figures grouped by (col, state): how many
// hazards of each group are in each state and how many of the open ones
// are past their deadline today, with the closed-time sums, from the
// pre-aggregated hazard_counts (a year is twelve month rows per group, see
// daily.go), moved to today first if need be. col is "" for no group,
// "found_on" for each day (the day rows). It reads the coarsest level that
// has what f and col need; a scope's rows are read through the indexes by
// region, unit and committee, one disjoint part each, so a county reads its
// own rows, not the city's. A group may come back in several rows: callers
// add them up.
func (tx *Tx) counts(f SummaryFilter, col string) ([]stateCounts, error) {
	if err := tx.ensureCountsAsOf(); err != nil {
		return nil, err
	}
	ccol := col
	if col == "found_on" { // each day: the day rows only
		ccol, f.byDay = "period", true
	}
	// The coarsest level with what f and col need.
	need := aggRegion
	if f.UnitID != nil || col == "unit_id" {
		need = aggUnit
	}
	if f.Sector != "" || f.CampaignID != nil || col == "sector" {
		need = aggAll
	}
	sel := "state, SUM(n) AS n, SUM(CASE WHEN overdue = 1 THEN n ELSE 0 END) AS past_due, SUM(closed_secs) AS secs, SUM(closed_timed) AS timed"
	group := "state"
	if col != "" {
		cast := "CAST(" + ccol + " AS TEXT)"
		if tx.s.driver == "mysql" {
			cast = "CAST(" + ccol + " AS CHAR)"
		}
		sel, group = cast+" AS k, "+sel, ccol+", state"
	}
	type part struct {
		agg          int
		index, where string
		args         []any
	}
	parts := []part{{need, "", "", nil}}
	if f.Scope != nil && !tx.CityWide(f.Scope) {
		ids, err := tx.SubtreeIDs(f.Scope)
		if err != nil {
			return nil, err
		}
		// The scope's hazards are those whose region, unit or committee
		// lies in it: three disjoint parts, each read through its own index
		// at the coarsest level that can tell it apart (the region part of
		// a county's total or trend reads the region-only level).
		parts = []part{
			{need, "idx_hazard_counts_region", "region_id IN ?", []any{ids}},
			{min(need, aggUnit), "idx_hazard_counts_unit", "unit_id IN ? AND region_id NOT IN ?", []any{ids, ids}},
			{aggAll, "idx_hazard_counts_committee", "committee_id IN ? AND region_id NOT IN ? AND unit_id NOT IN ?", []any{ids, ids, ids}},
		}
	}
	var rows []stateCounts
	for _, p := range parts {
		table := "hazard_counts"
		if p.index != "" && tx.s.driver == "mysql" {
			table += " FORCE INDEX (" + p.index + ")"
		}
		q, err := tx.filtered(tx.DB.Table(table).Where("agg = ?", p.agg), f, true)
		if err != nil {
			return nil, err
		}
		if p.where != "" {
			q = q.Where(p.where, p.args...)
		}
		var got []stateCounts
		if err := q.Select(sel).Group(group).Scan(&got).Error; err != nil {
			return nil, err
		}
		rows = append(rows, got...)
	}
	for i := range rows {
		if rows[i].K != nil && *rows[i].K == "0" && col != "sector" {
			rows[i].K = nil
		}
	}
	return rows, nil
}

// filtered restricts a query on hazards, or on hazard_counts (counts), to
// what f selects: the found_on period, region, unit, campaign, sector and
// scope. In hazard_counts "none" is 0, which no filter ever names.
func (tx *Tx) filtered(q *gorm.DB, f SummaryFilter, counts bool) (*gorm.DB, error) {
	if counts && f.byDay {
		q = q.Where("grain = 'd'")
		if !f.From.IsZero() {
			q = q.Where("period >= ?", f.From.String())
		}
		if !f.To.IsZero() {
			q = q.Where("period <= ?", f.To.String())
		}
	} else if counts {
		where, args := countRanges(f.From, f.To)
		q = q.Where(where, args...)
	} else {
		if !f.From.IsZero() {
			q = q.Where("found_on >= ?", f.From)
		}
		if !f.To.IsZero() {
			q = q.Where("found_on <= ?", f.To)
		}
	}
	if f.RegionID != nil {
		q = q.Where("region_id = ?", *f.RegionID)
	}
	if f.UnitID != nil {
		q = q.Where("unit_id = ?", *f.UnitID)
	}
	if f.CampaignID != nil {
		q = q.Where("campaign_id = ?", *f.CampaignID)
	}
	if f.Sector != "" {
		q = q.Where("sector = ?", f.Sector)
	}
	if f.Scope != nil && !tx.CityWide(f.Scope) && !counts { // counts: see counts
		ids, err := tx.SubtreeIDs(f.Scope)
		if err != nil {
			return nil, err
		}
		q = q.Where("(region_id IN ? OR unit_id IN ? OR committee_id IN ?)", ids, ids, ids)
	}
	return q, nil
}

// Summary returns the figures of every hazard f selects, from the
// pre-aggregated counts and the overdue index.
func (tx *Tx) Summary(f SummaryFilter) (Figures, error) {
	rows, err := tx.counts(f, "")
	if err != nil {
		return Figures{}, fmt.Errorf("models: summary: %w", err)
	}
	var out Figures
	for _, r := range rows {
		out.add(r)
	}
	return out, nil
}

// SummaryBy breaks the figures of f down by region, sector or responsible
// unit (from the pre-aggregated counts and the overdue index). By region and by sector every group appears, in
// the directory's (or the plan's) order, even with nothing found.
func (tx *Tx) SummaryBy(f SummaryFilter, by Grouping) ([]SummaryRow, error) {
	_, out, err := tx.SummaryAndBy(f, by)
	return out, err
}

// SummaryAndBy returns Summary(f) and SummaryBy(f, by) from one read of
// the counts (首页 shows both).
func (tx *Tx) SummaryAndBy(f SummaryFilter, by Grouping) (Figures, []SummaryRow, error) {
	var total Figures
	col := map[Grouping]string{ByRegion: "region_id", BySector: "sector", ByUnit: "unit_id"}[by]
	if col == "" {
		return total, nil, Errorf(EInvalid, "未知的分组：%s", by)
	}
	rows, err := tx.counts(f, col)
	if err != nil {
		return total, nil, fmt.Errorf("models: summary by %s: %w", by, err)
	}
	got := map[string]Figures{}
	for _, r := range rows {
		total.add(r)
		k := ""
		if r.K != nil {
			k = *r.K
		}
		fig := got[k]
		fig.add(r)
		got[k] = fig
	}
	var out []SummaryRow
	switch by {
	case BySector:
		for _, sec := range Sectors {
			if f.Sector == "" || f.Sector == sec {
				out = append(out, SummaryRow{Key: sec, Name: sec, Figures: got[sec]})
			}
		}
		if fig, ok := got[""]; ok && fig.Found > 0 {
			out = append(out, SummaryRow{Key: "", Name: "未填行业", Figures: fig})
		}
	case ByRegion:
		regions, err := tx.Regions()
		if err != nil {
			return total, nil, err
		}
		// A scope inside one county shows that county; a city-wide or
		// special-committee scope shows every county.
		var only *Unit
		if f.Scope != nil {
			if only, err = tx.RegionOf(f.Scope); err != nil {
				return total, nil, err
			}
		}
		for _, r := range regions {
			if only != nil && only.ID != r.ID {
				continue
			}
			if f.RegionID != nil && *f.RegionID != r.ID {
				continue
			}
			key := fmt.Sprint(r.ID)
			out = append(out, SummaryRow{Key: r.Code, Name: r.ShortName(), Figures: got[key]})
			delete(got, key)
		}
		if fig, ok := got[""]; ok && fig.Found > 0 {
			out = append(out, SummaryRow{Key: "", Name: "未填区域", Figures: fig})
		}
	case ByUnit:
		var ids []uint
		for k := range got {
			var id uint
			if _, err := fmt.Sscan(k, &id); err == nil {
				ids = append(ids, id)
			}
		}
		units, err := tx.UnitsByID(ids...)
		if err != nil {
			return total, nil, err
		}
		for _, id := range ids {
			if u := units[id]; u != nil {
				out = append(out, SummaryRow{Key: u.Code, Name: u.Name, Figures: got[fmt.Sprint(id)]})
			}
		}
		if fig, ok := got[""]; ok && fig.Found > 0 {
			out = append(out, SummaryRow{Key: "", Name: "未交办", Figures: fig})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Found > out[j].Found })
	}
	return total, out, nil
}

// summaryQuery starts a query over hazards restricted by f.
func (tx *Tx) summaryQuery(f SummaryFilter) (*gorm.DB, error) {
	return tx.filtered(tx.DB.Table("hazards"), f, false)
}
