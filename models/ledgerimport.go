package models

import (
	"fmt"
	"strings"
)

// HazardsByNumber loads the hazards with the given numbers, keyed by
// number, a few hundred per query.
func (tx *Tx) HazardsByNumber(numbers []string) (map[string]*Hazard, error) {
	out := map[string]*Hazard{}
	for chunk := range chunks(numbers, 500) {
		var list []Hazard
		if err := tx.DB.Where("number IN ?", chunk).Find(&list).Error; err != nil {
			return nil, fmt.Errorf("models: hazards by number: %w", err)
		}
		for i := range list {
			out[list[i].Number] = &list[i]
		}
	}
	return out, nil
}

// HazardsByTitle loads the hazards with any of the given titles, a few
// hundred titles per query.
func (tx *Tx) HazardsByTitle(titles []string) ([]Hazard, error) {
	seen := map[string]bool{}
	var uniq []string
	for _, t := range titles {
		if t = strings.TrimSpace(t); t != "" && !seen[t] {
			seen[t] = true
			uniq = append(uniq, t)
		}
	}
	var out []Hazard
	for chunk := range chunks(uniq, 500) {
		var list []Hazard
		if err := tx.DB.Where("title IN ?", chunk).Order("id").Find(&list).Error; err != nil {
			return nil, fmt.Errorf("models: hazards by title: %w", err)
		}
		out = append(out, list...)
	}
	return out, nil
}

func chunks(list []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(list) > 0 {
			k := min(n, len(list))
			if !yield(list[:k]) {
				return
			}
			list = list[k:]
		}
	}
}

// ImportUpdate brings hazard h in line with a re-imported ledger row: each
// ledger column the row fills and h has differently is taken from the row
// (an empty cell changes nothing; the state is never imported), with one
// event naming the columns changed. It reports whether anything changed. A
// withdrawn hazard is left as it is.
func (tx *Tx) ImportUpdate(actor *Actor, h *Hazard, in HazardInput) (bool, error) {
	if h.State == StateWithdrawn {
		return false, nil
	}
	in.normalise()
	before := *h
	fields := map[string]any{}
	var cols []string
	text := func(col, name string, cur *string, v string) {
		if v != "" && v != *cur {
			fields[col], *cur = v, v
			cols = append(cols, name)
		}
	}
	text("title", "重点隐患", &h.Title, in.Title)
	text("description", "隐患内容", &h.Description, in.Description)
	text("measures", "整改措施", &h.Measures, in.Measures)
	text("rectification", "整改情况", &h.Rectification, in.Rectification)
	text("remarks", "备注", &h.Remarks, in.Remarks)
	date := func(col, name string, cur *Date, v Date) {
		if !v.IsZero() && v != *cur {
			fields[col], *cur = v, v
			cols = append(cols, name)
		}
	}
	date("inspection_date", "检查日期", &h.InspectionDate, in.InspectionDate)
	if _, ok := fields["inspection_date"]; ok {
		fields["found_on"], h.FoundOn = h.InspectionDate, h.InspectionDate
	}
	date("deadline", "整改时限", &h.Deadline, in.Deadline)
	id := func(col, name string, cur **uint, v *uint) {
		if v != nil && (*cur == nil || **cur != *v) {
			x := *v
			fields[col], *cur = x, &x
			cols = append(cols, name)
		}
	}
	id("unit_id", "责任单位", &h.UnitID, in.UnitID)
	id("region_id", "县市区", &h.RegionID, in.RegionID)
	if in.Sector != "" && in.Sector != h.Sector {
		c, err := tx.committeeForSector(in.Sector)
		if err != nil {
			return false, err
		}
		fields["sector"], h.Sector = in.Sector, in.Sector
		if c != nil {
			fields["committee_id"], h.CommitteeID = c.ID, &c.ID
		}
		cols = append(cols, "市级专委会")
	}
	if len(cols) == 0 {
		return false, nil
	}
	if !h.Deadline.IsZero() && !h.InspectionDate.IsZero() && h.Deadline.Before(h.InspectionDate) {
		return false, Errorf(EInvalid, "整改时限（%s）早于检查日期（%s）", h.Deadline.Chinese(), h.InspectionDate.Chinese())
	}
	if err := tx.save(h, fields); err != nil {
		return false, err
	}
	if err := tx.Recount(&before, h); err != nil {
		return false, err
	}
	ev := &Event{HazardID: h.ID, Action: ActImportUpdate, FromState: h.State, ToState: h.State, ActorID: actor.UserID,
		ActorName: actor.Name, Note: "导入台账更新：" + strings.Join(cols, "、"), CreatedAt: tx.Now().UTC()}
	if err := tx.DB.Create(ev).Error; err != nil {
		return false, fmt.Errorf("models: import update event: %w", err)
	}
	return true, nil
}
