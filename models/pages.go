package models

import (
	"fmt"
)

// WeekFigures are the figures of the hazards found in one week, Monday to Sunday.
type WeekFigures struct {
	Monday Date `json:"monday"`
	Figures
}

// SummaryByWeek breaks the figures of f down by the week each hazard was
// found in, for the weeks weeks up to and including the one holding to,
// oldest first; every week appears, even with nothing found. It is the one
// grouped query of SummaryBy over the day rows of the pre-aggregated
// counts, grouped by day and folded into weeks here.
func (tx *Tx) SummaryByWeek(f SummaryFilter, to Date, weeks int) ([]WeekFigures, error) {
	if weeks < 1 {
		return nil, nil
	}
	monday := to.AddDays(-((int(to.Weekday()) + 6) % 7))
	first := monday.AddDays(-7 * (weeks - 1))
	f.From, f.To = first, monday.AddDays(6)
	rows, err := tx.counts(f, "found_on")
	if err != nil {
		return nil, fmt.Errorf("models: summary by week: %w", err)
	}
	out := make([]WeekFigures, weeks)
	for i := range out {
		out[i].Monday = first.AddDays(7 * i)
	}
	for _, r := range rows {
		if r.K == nil {
			continue
		}
		d, err := ParseDate(*r.K)
		if err != nil {
			continue
		}
		i := first.DaysUntil(d) / 7
		if i < 0 || i >= weeks {
			continue
		}
		out[i].add(r)
	}
	return out, nil
}

// AddStoredPhoto keeps a photo userid uploaded from a page, already in
// storage under path, as one of their pending photos; the next report or
// rectification they submit adopts it, as it does photos sent in chat.
func (tx *Tx) AddStoredPhoto(userid, path, contentType string, size int64) (*Attachment, error) {
	a := &Attachment{DraftUser: userid, Phase: PhaseBefore, Path: path, ContentType: contentType, Size: size,
		UploaderID: userid, CreatedAt: tx.Now().UTC()}
	if err := tx.DB.Create(a).Error; err != nil {
		return nil, fmt.Errorf("models: add photo: %w", err)
	}
	return a, nil
}
