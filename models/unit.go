package models

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// UnitKind says what a unit is in the city's structure.
type UnitKind string

// The kinds of unit.
const (
	KindCommittee        UnitKind = "committee"         // 市安委会
	KindRegion           UnitKind = "region"            // 县市区安委会
	KindSpecialCommittee UnitKind = "special_committee" // 专委会
	KindDepartment       UnitKind = "department"
	KindTown             UnitKind = "town"
	KindEnterprise       UnitKind = "enterprise"
)

// Chinese is the kind's name in messages.
func (k UnitKind) Chinese() string {
	switch k {
	case KindCommittee:
		return "安委会"
	case KindEnterprise:
		return "企业"
	case KindDepartment:
		return "部门"
	case KindTown:
		return "乡镇街道"
	case KindRegion:
		return "县市区"
	case KindSpecialCommittee:
		return "专委会"
	}
	return "单位"
}

// UnitKinds lists every kind, for validation.
var UnitKinds = []UnitKind{KindCommittee, KindRegion, KindSpecialCommittee, KindDepartment, KindTown, KindEnterprise}

// Unit is one node of the city's tree of committees, departments, towns and
// enterprises. Path holds the ids from the root, "/1/4/17/", so a subtree is
// one prefix match.
type Unit struct {
	ID       uint     `json:"id" gorm:"primaryKey"`
	Code     string   `json:"code" gorm:"size:64;uniqueIndex:idx_units_code"`
	Name     string   `json:"name" gorm:"size:128"`
	Kind     UnitKind `json:"kind" gorm:"size:32"`
	ParentID *uint    `json:"parent_id"`
	Path     string   `json:"-" gorm:"size:255;index:idx_units_path"`
	Sector   string   `json:"sector,omitempty" gorm:"size:32"`
	Active   bool     `json:"active"`
	// Unverified marks a unit created because a report, an assignment or
	// an import named a unit the directory did not have; an admin confirms
	// it or merges it into the unit it really is.
	Unverified bool      `json:"unverified"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ShortName is the name people use in sentences: 茅箭区 for 茅箭区安委会.
func (u *Unit) ShortName() string {
	if u == nil {
		return ""
	}
	for _, suffix := range []string{"安全生产委员会", "安委会"} {
		if s := strings.TrimSuffix(u.Name, suffix); s != u.Name && s != "" {
			return s
		}
	}
	return u.Name
}

// Contains reports whether o is u or below u in the tree.
func (u *Unit) Contains(o *Unit) bool {
	return u != nil && o != nil && strings.HasPrefix(o.Path, u.Path)
}

// DefaultTopKind is the kind of the unit at the top of a city's tree
// (市安委会), unless the Store is told otherwise (Store.TopKind, from the
// directory.top_kind setting).
const DefaultTopKind = KindCommittee

// CityWide reports whether the unit's scope is the whole city: it has no
// parent and is of the top kind. A parentless unit of any other kind (a
// county saved without its parent) is a stray, and its scope is its own
// subtree.
func (s *Store) CityWide(u *Unit) bool {
	return u != nil && u.ParentID == nil && u.Kind == s.topKind()
}

// topKind is the kind of the unit at the top of the tree.
func (s *Store) topKind() UnitKind {
	if s.TopKind == "" {
		return DefaultTopKind
	}
	return s.TopKind
}

// CityWide is Store.CityWide.
func (tx *Tx) CityWide(u *Unit) bool { return tx.s.CityWide(u) }

// CityLevel reports whether the unit acts for the whole city: the city
// committee, or a municipal special committee (专委会), which supervises its
// sector in every county. A city-level supervisor may assign to any unit.
func (tx *Tx) CityLevel(u *Unit) bool {
	return u != nil && (tx.CityWide(u) || u.Kind == KindSpecialCommittee)
}

// InAssignScope reports whether a may give work to unit u: u lies in a's
// unit's subtree, or a acts for the whole city (CityLevel). 交办 asks it
// of the assigner, and a report naming a responsible unit (an implicit
// assignment) asks it of the reporter.
func (tx *Tx) InAssignScope(a *Actor, u *Unit) bool {
	return a.Known() && u != nil && (tx.CityLevel(a.Unit) || a.Unit.Contains(u))
}

// Role is what a user may do.
type Role string

// The roles.
const (
	RoleInspector  Role = "inspector"
	RoleContact    Role = "contact"
	RoleSupervisor Role = "supervisor"
	RoleLeader     Role = "leader"
	RoleAdmin      Role = "admin"
)

// AllRoles lists every role, for validation.
var AllRoles = []Role{RoleInspector, RoleContact, RoleSupervisor, RoleLeader, RoleAdmin}

// RoleName is the Chinese name of a role, for messages.
func RoleName(r Role) string {
	switch r {
	case RoleInspector:
		return "检查人员"
	case RoleContact:
		return "责任单位联系人"
	case RoleSupervisor:
		return "督办员"
	case RoleLeader:
		return "领导"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}

// Roles is a set of roles stored as "inspector,contact".
type Roles string

// Has reports whether r includes role (admins have every role).
func (r Roles) Has(role Role) bool {
	list := r.List()
	return slices.Contains(list, role) || slices.Contains(list, RoleAdmin)
}

// List returns the roles in order.
func (r Roles) List() []Role {
	var out []Role
	for _, p := range strings.Split(string(r), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, Role(p))
		}
	}
	return out
}

// MakeRoles joins roles, checking each is known.
func MakeRoles(list []string) (Roles, error) {
	var out []string
	for _, r := range list {
		r = strings.TrimSpace(r)
		if !slices.Contains(AllRoles, Role(r)) {
			return "", Errorf(EInvalid, "未知角色“%s”，可选：inspector、contact、supervisor、leader、admin", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return Roles(strings.Join(out, ",")), nil
}

// User is a person in the directory, known by their WeCom userid.
type User struct {
	ID        uint      `json:"id" gorm:"primaryKey"`
	UserID    string    `json:"userid" gorm:"column:userid;size:64;uniqueIndex:idx_users_userid"`
	Name      string    `json:"name" gorm:"size:64"`
	UnitID    uint      `json:"unit_id" gorm:"index:idx_users_unit"`
	Roles     Roles     `json:"roles" gorm:"size:128"`
	Mobile    string    `json:"mobile,omitempty" gorm:"size:32"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Queued says, after a change to the user (SaveUser, DeactivateUser),
	// what became of the messages waiting in the outbox for them; not
	// stored.
	Queued *QueuedNotices `json:"queued_notices,omitempty" gorm:"-"`
}

// Actor is whoever acts: a directory user with their unit, or a sender the
// directory does not know (who may only report and see their own reports).
type Actor struct {
	UserID string
	Name   string
	Roles  Roles
	Unit   *Unit // nil for an unknown sender
	// Via says how the action arrived when it is not the person's own
	// (chat, card, WeChat): the admin API sets 经管理接口 and its token's
	// name. Every event the action writes records it, so an API action is
	// never mistaken for the person's own.
	Via string
}

// Known reports whether the actor is in the directory.
func (a *Actor) Known() bool { return a != nil && a.Unit != nil }

// Has reports whether the actor holds role.
func (a *Actor) Has(role Role) bool { return a.Known() && a.Roles.Has(role) }

// String names the actor for logs and events.
func (a *Actor) String() string {
	if a.Name != "" {
		return fmt.Sprintf("%s(%s)", a.Name, a.UserID)
	}
	return a.UserID
}

// Display is the actor's name as shown to people.
func (a *Actor) Display() string {
	if a.Name != "" {
		return a.Name
	}
	return a.UserID
}
