package models

import (
	"fmt"
	"strings"
)

// UnverifiedUnits lists the active units created for names the directory
// did not have and not yet confirmed, inside scope (every one when scope is
// nil), oldest first.
func (tx *Tx) UnverifiedUnits(scope *Unit) ([]Unit, error) {
	q := tx.DB.Where("unverified = ? AND active = ?", true, true)
	if scope != nil && !tx.CityWide(scope) {
		q = q.Where("path LIKE ?", scope.Path+"%")
	}
	var list []Unit
	if err := q.Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: unverified units: %w", err)
	}
	return list, nil
}

// ConfirmUnit marks an unverified unit as a real unit of the directory,
// renamed or re-kinded when name or kind are given.
func (tx *Tx) ConfirmUnit(code, name string, kind UnitKind) (*Unit, error) {
	u, err := tx.FindUnitByCode(code)
	if err != nil {
		return nil, err
	}
	fields := map[string]any{"unverified": false, "updated_at": tx.Now().UTC()}
	if name = strings.TrimSpace(name); name != "" {
		fields["name"] = name
		u.Name = name
	}
	if kind != "" {
		if !validKind(kind) {
			return nil, Errorf(EInvalid, "单位类型“%s”不对，可选：committee、region、special_committee、department、town、enterprise", kind)
		}
		fields["kind"] = kind
		u.Kind = kind
	}
	if err := tx.DB.Model(&Unit{}).Where("id = ?", u.ID).Updates(fields).Error; err != nil {
		return nil, fmt.Errorf("models: confirm unit: %w", err)
	}
	tx.units, tx.active = nil, nil
	u.Unverified = false
	return u, nil
}

func validKind(k UnitKind) bool {
	for _, x := range UnitKinds {
		if x == k {
			return true
		}
	}
	return false
}

// MergeResult is what merging a unit into another moved.
type MergeResult struct {
	From    *Unit    `json:"from"`
	Into    *Unit    `json:"into"`
	Hazards []string `json:"hazards"` // the numbers of the hazards moved
	Users   int64    `json:"users"`   // contacts moved
}

// MergeUnit merges the unit with code from into the unit with code into,
// on behalf of actor: every hazard naming it (as responsible unit, county or
// committee) and every user in it move to into, each moved hazard gets one
// event saying so, and from is deactivated, so nothing is lost and its
// history reads on under the new unit. A unit with units below it cannot be
// merged (move those first).
func (tx *Tx) MergeUnit(actor *Actor, from, into string) (*MergeResult, error) {
	if from == into {
		return nil, Errorf(EInvalid, "不能把单位合并到它自己")
	}
	src, err := tx.FindUnitByCode(from)
	if err != nil {
		return nil, err
	}
	dst, err := tx.FindUnitByCode(into)
	if ErrorCode(err) == ENotFound {
		return nil, Errorf(EInvalid, "要合并到的单位 %s 不存在", into)
	}
	if err != nil {
		return nil, err
	}
	if !dst.Active {
		return nil, Errorf(EInvalid, "要合并到的单位 %s 已停用", dst.Name)
	}
	if src.Contains(dst) {
		return nil, Errorf(EInvalid, "不能把单位合并到它自己的下级单位 %s", dst.Name)
	}
	var below int64
	if err := tx.DB.Model(&Unit{}).Where("parent_id = ? AND active = ?", src.ID, true).Count(&below).Error; err != nil {
		return nil, fmt.Errorf("models: merge unit: %w", err)
	}
	if below > 0 {
		return nil, Errorf(EInvalid, "单位 %s 下面还有 %d 个单位，请先把它们移到别处再合并", src.Name, below)
	}
	res := &MergeResult{From: src, Into: dst}
	var hazards []Hazard
	if err := tx.forUpdate().Where("unit_id = ? OR region_id = ? OR committee_id = ?", src.ID, src.ID, src.ID).
		Order("id").Find(&hazards).Error; err != nil {
		return nil, fmt.Errorf("models: merge unit hazards: %w", err)
	}
	note := fmt.Sprintf("%s 合并到 %s", src.Name, dst.Name)
	oldIDs := make([][3]*uint, len(hazards))
	for i, h := range hazards {
		oldIDs[i] = [3]*uint{h.UnitID, h.RegionID, h.CommitteeID}
	}
	for i := range hazards {
		h := &hazards[i]
		fields := map[string]any{}
		for _, c := range []struct {
			col string
			id  **uint
		}{{"unit_id", &h.UnitID}, {"region_id", &h.RegionID}, {"committee_id", &h.CommitteeID}} {
			if *c.id != nil && **c.id == src.ID {
				fields[c.col] = dst.ID
				id := dst.ID
				*c.id = &id
			}
		}
		before := *h
		before.UnitID, before.RegionID, before.CommitteeID = oldIDs[i][0], oldIDs[i][1], oldIDs[i][2]
		if err := tx.moveHazard(&before, h, fields); err != nil {
			return nil, err
		}
		ev := &Event{HazardID: h.ID, Action: ActMergeUnit, FromState: h.State, ToState: h.State,
			ActorID: actor.UserID, ActorName: actor.Name, Note: note, Via: actor.Via, CreatedAt: tx.Now().UTC()}
		if err := tx.DB.Create(ev).Error; err != nil {
			return nil, fmt.Errorf("models: merge unit event: %w", err)
		}
		res.Hazards = append(res.Hazards, h.Number)
	}
	moved := tx.DB.Model(&User{}).Where("unit_id = ?", src.ID).Updates(map[string]any{"unit_id": dst.ID, "updated_at": tx.Now().UTC()})
	if moved.Error != nil {
		return nil, fmt.Errorf("models: merge unit users: %w", moved.Error)
	}
	res.Users = moved.RowsAffected
	if err := tx.DB.Model(&Unit{}).Where("id = ?", src.ID).
		Updates(map[string]any{"active": false, "unverified": false, "updated_at": tx.Now().UTC()}).Error; err != nil {
		return nil, fmt.Errorf("models: merge unit: %w", err)
	}
	src.Active, src.Unverified = false, false
	tx.units, tx.active = nil, nil
	return res, nil
}

// moveHazard changes which units a hazard belongs to. It is the one place
// a hazard's units change outside its workflow, so whatever is kept per
// unit beside the hazards (such as pre-aggregated counts) follows it here.
func (tx *Tx) moveHazard(before, h *Hazard, fields map[string]any) error {
	if len(fields) == 0 {
		return nil
	}
	if err := tx.save(h, fields); err != nil {
		return err
	}
	return tx.Recount(before, h)
}
