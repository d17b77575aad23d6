package models

import (
	"fmt"
	"sort"
)

// RankRow is one line of the 考核排名: a region or a responsible unit with
// its figures, its rectification rate and how fast it closes hazards.
type RankRow struct {
	Rank int    `json:"rank"` // 1 for the best
	Key  string `json:"key"`  // unit code
	Name string `json:"name"` // 茅箭区, 茅箭区应急管理局
	Figures
	Rate float64 `json:"rate"` // closed ÷ found, 0..1
	// AvgDays is the mean number of days from report to close-out over the
	// group's closed hazards; nil when none is closed yet.
	AvgDays *float64 `json:"avg_days"`
}

// Ranking ranks regions (ByRegion) or responsible units (ByUnit) over the
// hazards f selects, from the pre-aggregated counts (daily.go): by rate descending, then overdue
// ascending, then average days to close ascending. Every region appears;
// units appear when they have hazards. A group with nothing found has no
// rate to judge and comes last. Hazards with no region (or not yet
// assigned) belong to no group.
func (tx *Tx) Ranking(f SummaryFilter, by Grouping) ([]RankRow, error) {
	col := map[Grouping]string{ByRegion: "region_id", ByUnit: "unit_id"}[by]
	if col == "" {
		return nil, Errorf(EInvalid, "考核排名只能按区域（region）或责任单位（unit）排")
	}
	type row struct {
		Figures
		AvgDays *float64
	}
	got := map[uint]row{}
	var ids []uint
	counts, err := tx.counts(f, col)
	if err != nil {
		return nil, fmt.Errorf("models: ranking by %s: %w", by, err)
	}
	for _, c := range counts {
		var id uint
		if c.K == nil {
			continue // no region, or not yet assigned: no group
		}
		if _, err := fmt.Sscan(*c.K, &id); err != nil || id == 0 {
			continue
		}
		r, ok := got[id]
		if !ok {
			ids = append(ids, id)
		}
		r.Figures.add(c)
		got[id] = r
	}
	// The mean days from report to close-out, from the closed-time sums.
	secs := map[uint][2]int64{}
	for _, c := range counts {
		var id uint
		if c.K != nil && c.Timed > 0 {
			if _, err := fmt.Sscan(*c.K, &id); err == nil {
				v := secs[id]
				secs[id] = [2]int64{v[0] + c.Secs, v[1] + c.Timed}
			}
		}
	}
	for id, v := range secs {
		if r, ok := got[id]; ok {
			avg := float64(v[0]) / float64(v[1]) / 86400
			r.AvgDays = &avg
			got[id] = r
		}
	}
	var units []Unit
	if by == ByRegion {
		if units, err = tx.Regions(); err != nil {
			return nil, err
		}
		var only *Unit
		if f.Scope != nil {
			if only, err = tx.RegionOf(f.Scope); err != nil {
				return nil, err
			}
		}
		units = filterUnits(units, func(u *Unit) bool {
			return (only == nil || only.ID == u.ID) && (f.RegionID == nil || *f.RegionID == u.ID)
		})
	} else {
		byID, err := tx.UnitsByID(ids...)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if u := byID[id]; u != nil {
				units = append(units, *u)
			}
		}
	}
	out := make([]RankRow, 0, len(units))
	for _, u := range units {
		r := got[u.ID]
		rr := RankRow{Key: u.Code, Name: u.ShortName(), Figures: r.Figures, AvgDays: r.AvgDays}
		if by == ByUnit {
			rr.Name = u.Name
		}
		rr.Rate = rr.Figures.Rate()
		out = append(out, rr)
	}
	sort.SliceStable(out, func(i, j int) bool { return rankBefore(&out[i], &out[j]) })
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, nil
}

// rankBefore orders the 考核排名: groups with findings first, then higher
// rate, fewer overdue, faster close-out (a group with none closed is the
// slowest), and finally the unit code so that ties print the same each time.
func rankBefore(a, b *RankRow) bool {
	if (a.Found > 0) != (b.Found > 0) {
		return a.Found > 0
	}
	// Compare rates exactly (closed×found′ against closed′×found), so that
	// 1/3 and 2/6 tie instead of differing in the last float bit.
	if l, r := a.Closed*b.Found, b.Closed*a.Found; l != r {
		return l > r
	}
	if a.Overdue != b.Overdue {
		return a.Overdue < b.Overdue
	}
	switch {
	case a.AvgDays != nil && b.AvgDays == nil:
		return true
	case a.AvgDays == nil && b.AvgDays != nil:
		return false
	case a.AvgDays != nil && *a.AvgDays != *b.AvgDays:
		return *a.AvgDays < *b.AvgDays
	}
	return a.Key < b.Key
}

func filterUnits(list []Unit, keep func(*Unit) bool) []Unit {
	out := list[:0]
	for i := range list {
		if keep(&list[i]) {
			out = append(out, list[i])
		}
	}
	return out
}
