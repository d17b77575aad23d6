package models

import (
	"fmt"
	"math"
	"strings"
	"unicode"
)

// CreateFixedOnSpot records a hazard found and fixed on the spot (立查立改):
// the report as usual, then at once its rectification, done by the
// reporter, so it goes straight to 待复查 for the county's supervisor. Both
// events are written, so the hazard counts as found and as rectified like
// any other. done says what was done; it is the submission's note and, when
// the report gave no measures, the measures too. A hazard with no deadline
// takes the day it was found.
func (tx *Tx) CreateFixedOnSpot(actor *Actor, in HazardInput, done string) (*Hazard, *Event, *Event, error) {
	if tx.grp != nil {
		return nil, nil, nil, errAlone // it closes the hazard it creates: by its row
	}
	if !actor.Known() {
		return nil, nil, nil, Errorf(EForbidden, "只有通讯录中的人员可以登记立查立改，你的上报请不要填“当场整改”")
	}
	done = strings.TrimSpace(done)
	if done == "" {
		return nil, nil, nil, Errorf(EInvalid, "当场整改的隐患要写明做了什么，例如：当场整改：已清理消防通道")
	}
	if in.Measures == "" {
		in.Measures = done
	}
	if in.Deadline.IsZero() {
		in.Deadline = in.InspectionDate
		if in.Deadline.IsZero() {
			in.Deadline = tx.Today()
		}
	}
	in.State = ""
	h, report, err := tx.CreateHazard(actor, in)
	if err != nil {
		return nil, nil, nil, err
	}
	now := tx.Now().UTC()
	from := h.State
	before := *h
	// What was done is the hazard's 整改情况, as a unit's submission is.
	fields := map[string]any{"state": StatePendingReview, "rectified_at": now, "rectification": done}
	h.Rectification = done
	if h.AcceptedAt == nil {
		fields["accepted_at"] = now
		h.AcceptedAt = &now
	}
	if err := tx.save(h, fields); err != nil {
		return nil, nil, nil, err
	}
	h.State, h.RectifiedAt = StatePendingReview, &now
	if err := tx.Recount(&before, h); err != nil {
		return nil, nil, nil, err
	}
	submit := &Event{HazardID: h.ID, Action: ActSubmit, FromState: from, ToState: StatePendingReview,
		ActorID: actor.UserID, ActorName: actor.Name, Note: "当场整改：" + done, CreatedAt: now}
	if err := tx.DB.Create(submit).Error; err != nil {
		return nil, nil, nil, fmt.Errorf("models: create event: %w", err)
	}
	return h, report, submit, nil
}

// DuplicateWindowDays is how far back a new report is compared with open
// hazards of its county.
const DuplicateWindowDays = 60

// DuplicateDistance is how close, in metres, two reports' locations must be
// to be taken for the same site.
const DuplicateDistance = 100.0

// SimilarTitle is the bigram overlap above which two titles name the same
// problem.
const SimilarTitle = 0.5

// FindDuplicates returns the open hazards of the new report's county found
// in the last DuplicateWindowDays that may be the same hazard: the same
// responsible unit or enterprise with a similar title, or a location within
// DuplicateDistance. Closest first: a location match, then by similarity.
// Chat's 合并/继续, the admin API's create and the ledger import's 疑似重复
// all ask this one rule (the import through DuplicateCandidates and
// Duplicates, reading each county once).
func (tx *Tx) FindDuplicates(in HazardInput) ([]Hazard, error) {
	if !duplicateCheckable(in) {
		// Nothing to match on (no county, or no unit, enterprise or
		// location): skip reading the county's open hazards.
		return nil, nil
	}
	list, err := tx.DuplicateCandidates(*in.RegionID)
	if err != nil {
		return nil, err
	}
	return Duplicates(in, list), nil
}

// duplicateCheckable reports whether in has what the duplicate rule matches
// on: a county, and a unit, an enterprise or a location.
func duplicateCheckable(in HazardInput) bool {
	return in.RegionID != nil && (in.UnitID != nil || normName(in.Enterprise) != "" || (in.Lat != nil && in.Lng != nil))
}

// DuplicateCandidates returns the open hazards of county regionID found in
// the last DuplicateWindowDays (the newest 500): those a new report there may
// repeat.
func (tx *Tx) DuplicateCandidates(regionID uint) ([]Hazard, error) {
	since := tx.Today().AddDays(-DuplicateWindowDays)
	var list []Hazard
	err := tx.DB.Where("region_id = ? AND state IN ? AND found_on >= ?", regionID,
		[]State{StateReported, StateRectifying, StatePendingReview}, since).
		Order("id DESC").Limit(500).Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("models: find duplicates: %w", err)
	}
	return list, nil
}

// Duplicates returns the hazards of candidates (DuplicateCandidates of in's
// county) that in may repeat, closest first: see FindDuplicates.
func Duplicates(in HazardInput, candidates []Hazard) []Hazard {
	if !duplicateCheckable(in) {
		return nil
	}
	type scored struct {
		h     Hazard
		score float64
	}
	var hits []scored
	enterprise := normName(in.Enterprise)
	for _, h := range candidates {
		if h.RegionID == nil || *h.RegionID != *in.RegionID {
			continue
		}
		near := in.Lat != nil && in.Lng != nil && h.Lat != nil && h.Lng != nil &&
			Distance(*in.Lat, *in.Lng, *h.Lat, *h.Lng) <= DuplicateDistance
		same := (in.UnitID != nil && h.UnitID != nil && *in.UnitID == *h.UnitID) ||
			(enterprise != "" && enterprise == normName(h.Enterprise))
		if !near && !same {
			continue // titles are compared only within a unit or a place: an import checks many rows
		}
		sim := TitleSimilarity(in.Title, h.Title)
		switch {
		case near:
			hits = append(hits, scored{h, 2 + sim})
		case same && sim >= SimilarTitle:
			hits = append(hits, scored{h, sim})
		}
	}
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].score > hits[j-1].score; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	out := make([]Hazard, len(hits))
	for i, s := range hits {
		out[i] = s.h
	}
	return out
}

func normName(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return r
	}, Narrow(s))
}

// TitleSimilarity compares two hazard titles as Chinese is written, without
// word breaks: the Dice coefficient of their character bigrams (letters and
// digits only, full-width narrowed), from 0 (nothing shared) to 1. A title
// of one character is compared by that character.
func TitleSimilarity(a, b string) float64 {
	ga, gb := bigrams(a), bigrams(b)
	if len(ga) == 0 || len(gb) == 0 {
		return 0
	}
	shared := 0
	for g, n := range ga {
		shared += min(n, gb[g])
	}
	total := 0
	for _, n := range ga {
		total += n
	}
	for _, n := range gb {
		total += n
	}
	return 2 * float64(shared) / float64(total)
}

func bigrams(s string) map[string]int {
	var rs []rune
	for _, r := range strings.ToLower(Narrow(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	out := map[string]int{}
	if len(rs) == 1 {
		out[string(rs)]++
	}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])]++
	}
	return out
}

// Distance is the great-circle distance in metres between two points given
// in degrees.
func Distance(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dlat, dlng := (lat2-lat1)*rad, (lng2-lng1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}
