package models

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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
	return NewDuplicateIndex(candidates).Find(in)
}

// DuplicateIndex holds hazards a new report may repeat, filed by unit,
// enterprise and location, so that each of many reports (an import's rows)
// is compared only with the hazards of its unit, its enterprise or a
// located site — the only ones the rule can match — and each title's
// bigrams are counted once.
type DuplicateIndex struct {
	hs      []Hazard
	grams   [][]uint64 // counted when first compared
	unit    map[uint][]int
	ent     map[string][]int
	located []int
}

// NewDuplicateIndex indexes candidates, in their order.
func NewDuplicateIndex(candidates []Hazard) *DuplicateIndex {
	x := &DuplicateIndex{unit: map[uint][]int{}, ent: map[string][]int{}}
	for _, h := range candidates {
		x.Add(h)
	}
	return x
}

// Add files h after the hazards already indexed.
func (x *DuplicateIndex) Add(h Hazard) {
	i := len(x.hs)
	x.hs = append(x.hs, h)
	x.grams = append(x.grams, nil)
	if h.UnitID != nil {
		x.unit[*h.UnitID] = append(x.unit[*h.UnitID], i)
	}
	if e := normName(h.Enterprise); e != "" {
		x.ent[e] = append(x.ent[e], i)
	}
	if h.Lat != nil && h.Lng != nil {
		x.located = append(x.located, i)
	}
}

// Find returns the indexed hazards in may repeat, closest first (ties in
// the order they were indexed): a location within DuplicateDistance, or
// the same unit or enterprise with a title at least SimilarTitle alike.
func (x *DuplicateIndex) Find(in HazardInput) []Hazard {
	if !duplicateCheckable(in) {
		return nil
	}
	enterprise := normName(in.Enterprise)
	located := in.Lat != nil && in.Lng != nil
	// The rule matches only hazards of in's unit or enterprise, or located
	// ones: in the order indexed, each once.
	var lists [][]int
	if in.UnitID != nil {
		lists = append(lists, x.unit[*in.UnitID])
	}
	if enterprise != "" {
		lists = append(lists, x.ent[enterprise])
	}
	if located {
		lists = append(lists, x.located)
	}
	idx := lists[0]
	if len(lists) > 1 {
		idx = slices.Concat(lists...)
		slices.Sort(idx)
		idx = slices.Compact(idx)
	}
	type scored struct {
		i     int
		score float64
	}
	var hits []scored
	var grams []uint64
	for _, i := range idx {
		h := &x.hs[i]
		if h.RegionID == nil || *h.RegionID != *in.RegionID {
			continue
		}
		near := located && h.Lat != nil && h.Lng != nil &&
			Distance(*in.Lat, *in.Lng, *h.Lat, *h.Lng) <= DuplicateDistance
		same := (in.UnitID != nil && h.UnitID != nil && *in.UnitID == *h.UnitID) ||
			(enterprise != "" && enterprise == normName(h.Enterprise))
		if !near && !same {
			continue
		}
		if grams == nil {
			grams = bigrams(in.Title)
		}
		if x.grams[i] == nil {
			x.grams[i] = bigrams(h.Title)
		}
		sim := dice(grams, x.grams[i])
		switch {
		case near:
			hits = append(hits, scored{i, 2 + sim})
		case same && sim >= SimilarTitle:
			hits = append(hits, scored{i, sim})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	out := make([]Hazard, len(hits))
	for k, s := range hits {
		out[k] = x.hs[s.i]
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
	return dice(bigrams(a), bigrams(b))
}

// dice is the Dice coefficient of two titles' bigrams (bigrams: sorted,
// a bigram as often as it occurs).
func dice(a, b []uint64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	shared := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			shared++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return 2 * float64(shared) / float64(len(a)+len(b))
}

// bigrams returns the character bigrams of s (letters and digits only,
// full-width narrowed, lower-cased), each two runes in one number, sorted;
// a title of one character is that character alone.
func bigrams(s string) []uint64 {
	var rs []rune
	for _, r := range strings.ToLower(Narrow(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	if len(rs) == 1 {
		return []uint64{uint64(rs[0]) << 32} // no bigram has a second rune 0
	}
	var out []uint64
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, uint64(rs[i])<<32|uint64(rs[i+1]))
	}
	slices.Sort(out)
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
