package models

// People finds the active holders of a role, for WhoAnswers. A Tx is one
// (it asks the database); a job sweeping a whole city passes the directory
// it loaded once.
type People interface {
	// Holders returns the userids holding role in the unit, sorted.
	Holders(role Role, unitID uint) ([]string, error)
	// CityUnits returns the ids of the city-wide units (CityWide).
	CityUnits() ([]uint, error)
}

// Answerers are the people who answer for a hazard.
type Answerers struct {
	// Contacts are the responsible unit's contacts (none before 交办).
	Contacts []string
	// Supervisors are those who assign, review and chase it: of the
	// level it is supervised at (a city listing: the city's; a special
	// committee's: that committee's, else the county's; otherwise the
	// county's, else its special committee's), falling back to the city's
	// when those units have none, so that every hazard has someone.
	Supervisors []string
	// SupervisorUnits are the units those supervisors answer for it from:
	// the one level unit, or the city-wide units of the fallback.
	SupervisorUnits []uint
}

// WhoAnswers resolves the people who answer for h. Event notices, deadline
// reminders and escalations all ask it, so they never disagree.
func WhoAnswers(p People, h *Hazard) (Answerers, error) {
	var a Answerers
	var err error
	if h.UnitID != nil {
		if a.Contacts, err = p.Holders(RoleContact, *h.UnitID); err != nil {
			return a, err
		}
	}
	var order []*uint
	switch h.Level {
	case LevelCity:
	case LevelSpecialCommittee:
		order = []*uint{h.CommitteeID, h.RegionID}
	default:
		order = []*uint{h.RegionID, h.CommitteeID}
	}
	for _, id := range order {
		if id == nil {
			continue
		}
		if a.Supervisors, err = p.Holders(RoleSupervisor, *id); err != nil || len(a.Supervisors) > 0 {
			if len(a.Supervisors) > 0 {
				a.SupervisorUnits = []uint{*id}
			}
			return a, err
		}
	}
	city, err := p.CityUnits()
	if err != nil {
		return a, err
	}
	for _, id := range city {
		list, err := p.Holders(RoleSupervisor, id)
		if err != nil {
			return a, err
		}
		a.Supervisors = append(a.Supervisors, list...)
		if len(list) > 0 {
			a.SupervisorUnits = append(a.SupervisorUnits, id)
		}
	}
	return a, nil
}

// Holders returns the active holders of role in the unit, by userid.
func (tx *Tx) Holders(role Role, unitID uint) ([]string, error) {
	users, err := tx.UsersWithRole(role, unitID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(users))
	for _, u := range users {
		out = append(out, u.UserID)
	}
	return out, nil
}

// CityUnits returns the ids of the active city-wide units.
func (tx *Tx) CityUnits() ([]uint, error) {
	roots, err := tx.RootUnits()
	if err != nil {
		return nil, err
	}
	ids := make([]uint, 0, len(roots))
	for _, u := range roots {
		ids = append(ids, u.ID)
	}
	return ids, nil
}
