package models

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// UnitSpec describes a unit to create or update, by its code.
type UnitSpec struct {
	Code string   `json:"code"`
	Name string   `json:"name"`
	Kind UnitKind `json:"kind"`
	// Parent is the parent's code. "" keeps an existing unit's parent; a
	// new unit without one must be of the top kind (Store.TopKind, the
	// city committee by default).
	Parent string `json:"parent"`
	// Sector is the 行业领域 a special committee answers for. Absent (nil)
	// keeps an existing unit's sector, as a missing parent keeps the
	// parent; "" clears it.
	Sector *string `json:"sector,omitempty"`
	// Active, when set, activates or deactivates the unit.
	Active *bool `json:"active,omitempty"`
}

// SaveUnit creates the unit with spec.Code, or updates it. Moving a unit
// under another parent moves its whole subtree.
func (tx *Tx) SaveUnit(spec UnitSpec) (*Unit, error) {
	tx.units, tx.active = nil, nil // paths and names may change below
	spec.Code, spec.Name = strings.TrimSpace(spec.Code), strings.TrimSpace(Visible(spec.Name))
	if !validUnitCode(spec.Code) {
		return nil, Errorf(EInvalid, "单位代码 %q 不对：只能用字母、数字、_ 和 -，1–64 个字符（例如 maojian_yjj）", spec.Code)
	}
	if spec.Name == "" {
		return nil, Errorf(EInvalid, "单位 %s 缺少名称", spec.Code)
	}
	if !slices.Contains(UnitKinds, spec.Kind) {
		return nil, Errorf(EInvalid, "单位 %s 的类型“%s”不对，可选：committee、region、special_committee、department、town、enterprise", spec.Code, spec.Kind)
	}
	if spec.Sector != nil && *spec.Sector != "" && !ValidSector(*spec.Sector) {
		return nil, Errorf(EInvalid, "单位 %s 的行业“%s”不在列表中，可选：%s", spec.Code, *spec.Sector, strings.Join(Sectors, "、"))
	}
	var parent *Unit
	if spec.Parent != "" {
		p, err := tx.FindUnitByCode(spec.Parent)
		if ErrorCode(err) == ENotFound {
			return nil, Errorf(EInvalid, "单位 %s 的上级单位 %s 不存在", spec.Code, spec.Parent)
		}
		if err != nil {
			return nil, err
		}
		parent = p
	}
	u, err := tx.FindUnitByCode(spec.Code)
	if err != nil && ErrorCode(err) != ENotFound {
		return nil, err
	}
	if u != nil && spec.Parent == "" && u.ParentID != nil {
		// A rename that does not mention the parent keeps it: a unit
		// never becomes a root by omission.
		if parent, err = tx.FindUnit(*u.ParentID); err != nil {
			return nil, err
		}
	}
	if top := tx.s.topKind(); parent == nil && spec.Kind != top {
		return nil, Errorf(EInvalid, "单位 %s（%s）需要上级单位（parent）：只有%s（%s）可以没有上级", spec.Code, spec.Name, top.Chinese(), top)
	}
	now := tx.Now().UTC()
	if u == nil {
		u = &Unit{Code: spec.Code, Name: spec.Name, Kind: spec.Kind, Active: true, Path: "/", CreatedAt: now, UpdatedAt: now}
		if spec.Sector != nil {
			u.Sector = *spec.Sector
		}
		if spec.Active != nil {
			u.Active = *spec.Active
		}
		if parent != nil {
			u.ParentID = &parent.ID
		}
		if err := tx.DB.Create(u).Error; err != nil {
			if isDuplicate(err) {
				return nil, Errorf(EConflict, "单位代码 %s 已存在", spec.Code)
			}
			return nil, fmt.Errorf("models: create unit: %w", err)
		}
		u.Path = pathUnder(parent, u.ID)
		if err := tx.DB.Model(u).Update("path", u.Path).Error; err != nil {
			return nil, fmt.Errorf("models: set unit path: %w", err)
		}
		return u, nil
	}
	if parent != nil && u.Contains(parent) {
		return nil, Errorf(EInvalid, "单位 %s 不能放在自己的下级 %s 之下", spec.Code, spec.Parent)
	}
	if u.Active && spec.Active != nil && !*spec.Active {
		if err := tx.mayDeactivate(u); err != nil {
			return nil, err
		}
	}
	oldPath := u.Path
	u.Name, u.Kind, u.UpdatedAt = spec.Name, spec.Kind, now
	if spec.Sector != nil {
		u.Sector = *spec.Sector
	}
	if spec.Active != nil {
		u.Active = *spec.Active
	}
	u.ParentID = nil
	if parent != nil {
		u.ParentID = &parent.ID
	}
	u.Path = pathUnder(parent, u.ID)
	if err := tx.DB.Select("name", "kind", "sector", "active", "parent_id", "path", "updated_at").Save(u).Error; err != nil {
		return nil, fmt.Errorf("models: update unit: %w", err)
	}
	if oldPath != u.Path {
		// Re-root the subtree: every descendant's path starts with oldPath.
		err := tx.DB.Exec("UPDATE units SET path = "+tx.concat("?", "SUBSTR(path, ?)")+" WHERE path LIKE ? AND id <> ?",
			u.Path, len(oldPath)+1, oldPath+"%", u.ID).Error
		if err != nil {
			return nil, fmt.Errorf("models: move subtree: %w", err)
		}
	}
	return u, nil
}

func (tx *Tx) concat(a, b string) string {
	if tx.s.driver == "mysql" {
		return "CONCAT(" + a + ", " + b + ")"
	}
	return a + " || " + b
}

func pathUnder(parent *Unit, id uint) string {
	if parent == nil {
		return fmt.Sprintf("/%d/", id)
	}
	return fmt.Sprintf("%s%d/", parent.Path, id)
}

// unitCodePattern is what a unit code may be: it is part of every unit
// route (/api/v1/units/{code}) and of file names (a weekly ledger is
// <date>-<code>.xlsx), so no slash, dot, space or control character; the
// shipped directory's codes (maojian_yjj) and unverified units' (new-…)
// fit it.
var unitCodePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func validUnitCode(code string) bool { return unitCodePattern.MatchString(code) }

// userIDPattern is what WeCom allows a member's account (userid) to be; a
// bound WeChat follower is WeChatPrefix and their openid.
var userIDPattern = regexp.MustCompile(`^(?:[A-Za-z0-9_.@-]{1,64}|wx:[A-Za-z0-9_-]{1,61})$`)

func validUserID(id string) bool { return userIDPattern.MatchString(id) }

// UserSpec describes a user to create or update, by WeCom userid.
type UserSpec struct {
	UserID string   `json:"userid"`
	Name   string   `json:"name"`
	Unit   string   `json:"unit"` // the unit's code
	Roles  []string `json:"roles"`
	Mobile string   `json:"mobile,omitempty"`
	Active *bool    `json:"active,omitempty"`
}

// SaveUser creates the user with spec.UserID, or updates them.
func (tx *Tx) SaveUser(spec UserSpec) (*User, error) {
	spec.UserID, spec.Name = strings.TrimSpace(spec.UserID), strings.TrimSpace(spec.Name)
	if !validUserID(spec.UserID) {
		return nil, Errorf(EInvalid, "用户 userid %q 不对：企业微信账号只能用字母、数字和 _ - . @，1–64 个字符", spec.UserID)
	}
	if spec.Name == "" {
		return nil, Errorf(EInvalid, "用户 %s 缺少姓名", spec.UserID)
	}
	roles, err := MakeRoles(spec.Roles)
	if err != nil {
		return nil, Errorf(EInvalid, "用户 %s：%s", spec.UserID, ErrorMessage(err))
	}
	unit, err := tx.FindUnitByCode(spec.Unit)
	if ErrorCode(err) == ENotFound {
		return nil, Errorf(EInvalid, "用户 %s 的单位 %s 不存在", spec.UserID, spec.Unit)
	}
	if err != nil {
		return nil, err
	}
	now := tx.Now().UTC()
	var u User
	err = tx.DB.Where("userid = ?", spec.UserID).Take(&u).Error
	switch {
	case err == gorm.ErrRecordNotFound:
		u = User{UserID: spec.UserID, Active: true, CreatedAt: now}
	case err != nil:
		return nil, fmt.Errorf("models: find user: %w", err)
	}
	before := u
	u.Name, u.UnitID, u.Roles, u.Mobile, u.UpdatedAt = spec.Name, unit.ID, roles, spec.Mobile, now
	if spec.Active != nil {
		u.Active = *spec.Active
	}
	if err := tx.DB.Save(&u).Error; err != nil {
		if isDuplicate(err) {
			return nil, Errorf(EConflict, "用户 %s 已存在", spec.UserID)
		}
		return nil, fmt.Errorf("models: save user: %w", err)
	}
	if before.ID != 0 && (before.Active != u.Active || before.UnitID != u.UnitID || before.Roles != u.Roles) {
		// Messages waiting for them may now be someone else's.
		q, err := tx.ReaddressQueued(u.UserID)
		if err != nil {
			return nil, err
		}
		u.Queued = &q
	}
	return &u, nil
}

// CampaignSpec describes a campaign to create or update, by code.
type CampaignSpec struct {
	Code      string             `json:"code"`
	Name      string             `json:"name"`
	Start     Date               `json:"start"`
	End       Date               `json:"end"`
	Deadlines []CampaignDeadline `json:"deadlines"`
}

// SaveCampaign creates or updates a campaign.
func (tx *Tx) SaveCampaign(spec CampaignSpec) (*Campaign, error) {
	if strings.TrimSpace(spec.Code) == "" || strings.TrimSpace(spec.Name) == "" {
		return nil, Errorf(EInvalid, "活动需要代码和名称")
	}
	if spec.Start.IsZero() || spec.End.IsZero() || spec.End.Before(spec.Start) {
		return nil, Errorf(EInvalid, "活动 %s 的起止日期不对", spec.Code)
	}
	for _, d := range spec.Deadlines {
		if d.Name == "" || (d.Date.IsZero() == (d.MonthlyDay == 0)) || d.MonthlyDay < 0 || d.MonthlyDay > 28 {
			return nil, Errorf(EInvalid, "活动 %s 的报送节点“%s”要有名称，以及日期或每月几号（1–28）其中之一", spec.Code, d.Name)
		}
	}
	b, _ := json.Marshal(spec.Deadlines)
	now := tx.Now().UTC()
	var c Campaign
	err := tx.DB.Where("code = ?", spec.Code).Take(&c).Error
	if err == gorm.ErrRecordNotFound {
		c = Campaign{Code: spec.Code, CreatedAt: now}
	} else if err != nil {
		return nil, fmt.Errorf("models: find campaign: %w", err)
	}
	c.Name, c.Start, c.End, c.Deadlines, c.UpdatedAt = spec.Name, spec.Start, spec.End, string(b), now
	if err := tx.DB.Save(&c).Error; err != nil {
		return nil, fmt.Errorf("models: save campaign: %w", err)
	}
	return &c, nil
}

// DirectoryInput is a whole directory to load: units in parent-first order.
type DirectoryInput struct {
	Units     []UnitSpec
	Users     []UserSpec
	Campaigns []CampaignSpec
}

// ImportResult counts what an import did.
type ImportResult struct {
	Units, Users, Campaigns int
}

// ImportDirectory creates or updates every unit, user and campaign. Run it
// inside one transaction: an error anywhere leaves nothing half-imported.
// Re-importing the same file changes nothing and duplicates nothing.
func (tx *Tx) ImportDirectory(d DirectoryInput) (ImportResult, error) {
	var r ImportResult
	var roots, strays []string
	top := tx.s.topKind()
	for _, u := range d.Units {
		if u.Parent == "" {
			roots = append(roots, u.Code)
			if u.Kind != top {
				strays = append(strays, u.Code)
			}
		}
	}
	if len(roots) > 1 && len(strays) > 0 {
		// Several top-level units are several cities, which only
		// committees can be; a county file is written under its city.
		return r, Errorf(EInvalid, "通讯录有 %d 个最上级单位（%s），其中 %s 不是%s（%s）：请把它们放在上级单位之下",
			len(roots), strings.Join(roots, "、"), strings.Join(strays, "、"), top.Chinese(), top)
	}
	seen := map[string]bool{}
	for _, u := range d.Units {
		if seen[u.Code] {
			return r, Errorf(EInvalid, "单位代码 %s 重复出现", u.Code)
		}
		seen[u.Code] = true
		if _, err := tx.SaveUnit(u); err != nil {
			return r, err
		}
		r.Units++
	}
	seenUser := map[string]bool{}
	for _, u := range d.Users {
		if seenUser[u.UserID] {
			return r, Errorf(EInvalid, "用户 %s 重复出现", u.UserID)
		}
		seenUser[u.UserID] = true
		if _, err := tx.SaveUser(u); err != nil {
			return r, err
		}
		r.Users++
	}
	for _, c := range d.Campaigns {
		if _, err := tx.SaveCampaign(c); err != nil {
			return r, err
		}
		r.Campaigns++
	}
	return r, nil
}

// CountUnits returns how many units exist (0 means an empty directory).
func (tx *Tx) CountUnits() (int64, error) {
	var n int64
	err := tx.DB.Model(&Unit{}).Count(&n).Error
	return n, err
}

// DeactivateUnit stops offering and assigning a unit. It keeps its hazards
// and history, and its name in every ledger. A unit open hazards still
// name is refused (mayDeactivate).
func (tx *Tx) DeactivateUnit(code string) (*Unit, error) {
	u, err := tx.FindUnitByCode(code)
	if err != nil {
		return nil, err
	}
	if err := tx.mayDeactivate(u); err != nil {
		return nil, err
	}
	if err := tx.DB.Model(u).Updates(map[string]any{"active": false, "updated_at": tx.Now().UTC()}).Error; err != nil {
		return nil, fmt.Errorf("models: deactivate unit: %w", err)
	}
	tx.units, tx.active = nil, nil
	u.Active = false
	return u, nil
}

// DeactivateUser turns a user into a stranger: they may still report, and
// nothing else. The messages waiting in the outbox for them go to whoever
// holds their role now, or are marked failed when nobody does
// (ReaddressQueued); User.Queued says how many.
func (tx *Tx) DeactivateUser(userid string) (*User, error) {
	u, err := tx.FindUser(userid)
	if err != nil {
		return nil, err
	}
	if err := tx.DB.Model(u).Updates(map[string]any{"active": false, "updated_at": tx.Now().UTC()}).Error; err != nil {
		return nil, fmt.Errorf("models: deactivate user: %w", err)
	}
	u.Active = false
	q, err := tx.ReaddressQueued(u.UserID)
	if err != nil {
		return nil, err
	}
	u.Queued = &q
	return u, nil
}

// mayDeactivate refuses to deactivate a unit that hazards not yet closed or
// withdrawn still name, as responsible unit, county or committee: its people
// would become strangers who may no longer accept, rectify or review them,
// while notices kept going to them. Merging the unit into another
// (MergeUnit) moves those hazards and people first; every way of
// deactivating a unit (the API, saving it inactive, a directory file) asks
// here.
func (tx *Tx) mayDeactivate(u *Unit) error {
	var open []Hazard
	err := tx.DB.Select("id", "number").
		Where("(unit_id = ? OR region_id = ? OR committee_id = ?) AND state NOT IN ?", u.ID, u.ID, u.ID, []State{StateClosed, StateWithdrawn}).
		Order("id").Limit(maxNamedOpen + 1).Find(&open).Error
	if err != nil {
		return fmt.Errorf("models: open hazards of unit %s: %w", u.Code, err)
	}
	if len(open) == 0 {
		return nil
	}
	nums := make([]string, 0, maxNamedOpen)
	for i, h := range open {
		if i == maxNamedOpen {
			nums = append(nums, "…")
			break
		}
		nums = append(nums, h.Number)
	}
	return Errorf(EConflict, "单位 %s（%s）还有未办结的隐患（%s），停用后无人能办理：请先把它合并到接手的单位（POST /api/v1/units/%s/merge），或把这些隐患办结、撤销后再停用",
		u.Name, u.Code, strings.Join(nums, "、"), u.Code)
}

// maxNamedOpen is how many open hazards a refused deactivation names.
const maxNamedOpen = 5
