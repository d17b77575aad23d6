package models

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
)

// FindUser returns the directory user with WeCom userid id.
func (tx *Tx) FindUser(id string) (*User, error) {
	var u User
	err := tx.DB.Where("userid = ?", id).Take(&u).Error
	if err == gorm.ErrRecordNotFound {
		return nil, Errorf(ENotFound, "通讯录里没有用户 %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("models: find user: %w", err)
	}
	return &u, nil
}

// Actor returns who userid is: a known, active directory user of an active
// unit with their unit and roles, or else a stranger with no roles (a
// deactivated user, or one whose unit was deactivated, is a stranger). One query: it runs on
// every message.
func (tx *Tx) Actor(userid string) (*Actor, error) {
	return tx.cachedActor(userid, func() (*Actor, error) { return tx.actor(userid) })
}

func (tx *Tx) actor(userid string) (*Actor, error) {
	var row struct {
		UserID, Name string
		Roles        Roles
		Unit         Unit `gorm:"embedded;embeddedPrefix:unit_"`
	}
	err := tx.DB.Table("users").
		Select(`users.userid AS user_id, users.name AS name, users.roles AS roles,
			units.id AS unit_id, units.code AS unit_code, units.name AS unit_name, units.kind AS unit_kind,
			units.parent_id AS unit_parent_id, units.path AS unit_path, units.sector AS unit_sector, units.active AS unit_active`).
		Joins("JOIN units ON units.id = users.unit_id").
		Where("users.userid = ? AND users.active = ? AND units.active = ?", userid, true, true).Take(&row).Error
	if err == gorm.ErrRecordNotFound {
		return &Actor{UserID: userid}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: actor: %w", err)
	}
	u := row.Unit
	return &Actor{UserID: row.UserID, Name: row.Name, Roles: row.Roles, Unit: &u}, nil
}

// FindUnit returns the unit with the given id.
func (tx *Tx) FindUnit(id uint) (*Unit, error) {
	units, err := tx.UnitsByID(id)
	if err != nil {
		return nil, err
	}
	if u := units[id]; u != nil {
		return u, nil
	}
	return nil, Errorf(ENotFound, "没有编号为 %d 的单位", id)
}

// FindUnitByCode returns the unit with the given code.
func (tx *Tx) FindUnitByCode(code string) (*Unit, error) {
	var u Unit
	err := tx.DB.Where("code = ?", code).Take(&u).Error
	if err == gorm.ErrRecordNotFound {
		return nil, Errorf(ENotFound, "没有代码为 %s 的单位", code)
	}
	if err != nil {
		return nil, fmt.Errorf("models: find unit: %w", err)
	}
	return &u, nil
}

// UnitsByID loads the given units, keyed by id. Units read once in a
// transaction are remembered for the rest of it: a message's handling
// names the same few units many times.
func (tx *Tx) UnitsByID(ids ...uint) (map[uint]*Unit, error) {
	out := map[uint]*Unit{}
	var want []uint
	for _, id := range ids {
		if id == 0 {
			continue
		}
		if u, ok := tx.units[id]; ok {
			out[id] = u
		} else if !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	if tx.units == nil {
		tx.units = map[uint]*Unit{}
	}
	from := len(out)
	want = tx.cachedUnits(want, out)
	if len(out) > from {
		for id, u := range out {
			tx.units[id] = u
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	var list []Unit
	if err := tx.DB.Where("id IN ?", want).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: load units: %w", err)
	}
	tx.keepUnits(list)
	for i := range list {
		out[list[i].ID] = &list[i]
		tx.units[list[i].ID] = &list[i]
	}
	return out, nil
}

// Units returns the active units, optionally only those of the given kinds,
// ordered by id (the directory's order). The directory is read once per
// transaction: matching what people type reads it again and again.
func (tx *Tx) Units(kinds ...UnitKind) ([]Unit, error) {
	if tx.active == nil {
		list, err := tx.cachedActive(func() ([]Unit, error) {
			var list []Unit
			if err := tx.DB.Where("active = ?", true).Order("id").Find(&list).Error; err != nil {
				return nil, fmt.Errorf("models: list units: %w", err)
			}
			return list, nil
		})
		if err != nil {
			return nil, err
		}
		tx.active = list
	}
	var out []Unit
	for _, u := range tx.active {
		if len(kinds) == 0 || slices.Contains(kinds, u.Kind) {
			out = append(out, u)
		}
	}
	return out, nil
}

// Regions returns the region committees (县市区) in directory order.
func (tx *Tx) Regions() ([]Unit, error) { return tx.Units(KindRegion) }

// SubtreeIDs returns the ids of u and every unit below it.
func (tx *Tx) SubtreeIDs(u *Unit) ([]uint, error) {
	var ids []uint
	if err := tx.DB.Model(&Unit{}).Where("path LIKE ?", u.Path+"%").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("models: subtree: %w", err)
	}
	return ids, nil
}

// CommitteeForSector returns the special committee that supervises a
// sector, or nil when there is none.
func (tx *Tx) CommitteeForSector(sector string) (*Unit, error) {
	return tx.cachedCommittee(sector, func() (*Unit, error) { return tx.committeeOf(sector) })
}

func (tx *Tx) committeeOf(sector string) (*Unit, error) {
	var u Unit
	err := tx.DB.Where("kind = ? AND sector = ? AND active = ?", KindSpecialCommittee, sector, true).Order("id").Take(&u).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: committee for sector: %w", err)
	}
	return &u, nil
}

// RegionOf returns the region committee at or above u, or nil.
func (tx *Tx) RegionOf(u *Unit) (*Unit, error) {
	ids := pathIDs(u.Path)
	units, err := tx.UnitsByID(ids...)
	if err != nil {
		return nil, err
	}
	for i := len(ids) - 1; i >= 0; i-- {
		if x := units[ids[i]]; x != nil && x.Kind == KindRegion {
			return x, nil
		}
	}
	return nil, nil
}

func pathIDs(path string) []uint {
	var out []uint
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		var id uint
		if _, err := fmt.Sscan(p, &id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// UsersWithRole returns the active users holding role whose unit is one of
// unitIDs, ordered by userid.
func (tx *Tx) UsersWithRole(role Role, unitIDs ...uint) ([]User, error) {
	if len(unitIDs) == 0 {
		return nil, nil
	}
	list, err := tx.cachedMembers(fmt.Sprint(unitIDs), func() ([]User, error) {
		var list []User
		if err := tx.DB.Where("active = ? AND unit_id IN ?", true, unitIDs).Order("userid").Find(&list).Error; err != nil {
			return nil, fmt.Errorf("models: users with role: %w", err)
		}
		return list, nil
	})
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, u := range list {
		if slices.Contains(u.Roles.List(), role) {
			out = append(out, u)
		}
	}
	return out, nil
}

// MatchUnits finds the active units a person most likely means by words:
// an exact name, short name or code first, then names containing the words,
// then the closest by shared characters. At most limit results.
func (tx *Tx) MatchUnits(words string, limit int, kinds ...UnitKind) (exact *Unit, close []Unit, err error) {
	words = strings.TrimSpace(Narrow(words))
	units, err := tx.Units(kinds...)
	if err != nil || words == "" {
		return nil, nil, err
	}
	type scored struct {
		u     Unit
		score int
	}
	var list []scored
	for _, u := range units {
		name := Narrow(u.Name)
		switch {
		case name == words || Narrow(u.ShortName()) == words || strings.EqualFold(u.Code, words):
			u := u
			return &u, nil, nil
		case strings.Contains(name, words) || strings.Contains(words, name):
			list = append(list, scored{u, 1000 - utf8.RuneCountInString(name)})
		default:
			if s := shared(name, words); s*2 >= utf8.RuneCountInString(words) && s >= 2 {
				list = append(list, scored{u, s})
			}
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].score > list[j].score })
	for i, s := range list {
		if i == limit {
			break
		}
		close = append(close, s.u)
	}
	return nil, close, nil
}

// shared counts the runes of b that also occur in a.
func shared(a, b string) int {
	n := 0
	for _, r := range b {
		if strings.ContainsRune(a, r) {
			n++
		}
	}
	return n
}

// RootUnits returns the active city-wide units: those with no parent and of
// the top kind (Store.TopKind, the city committee by default).
func (tx *Tx) RootUnits() ([]Unit, error) {
	var list []Unit
	err := tx.DB.Where("parent_id IS NULL AND kind = ? AND active = ?", tx.s.topKind(), true).Order("id").Find(&list).Error
	return list, err
}

// Users returns every user in the directory, active or not, by userid.
func (tx *Tx) Users() ([]User, error) {
	var list []User
	if err := tx.DB.Order("userid").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: list users: %w", err)
	}
	return list, nil
}

// AllUnits returns every unit, active or not, by id: for naming units in
// lists and ledgers, where a since-deactivated unit still has its name.
func (tx *Tx) AllUnits() ([]Unit, error) {
	var list []Unit
	if err := tx.DB.Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: all units: %w", err)
	}
	return list, nil
}
