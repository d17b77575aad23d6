package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// PhotoFetchAttempts bounds how often a photo is fetched from WeCom before
// it is given up (WeCom keeps temporary media for three days).
const PhotoFetchAttempts = 8

// Fetched reports whether the photo has been kept in storage.
func (a *Attachment) Fetched() bool { return a.Path != "" }

// Lost reports whether the photo will never be kept: it was never fetched
// and the fetcher has given up on it.
func (a *Attachment) Lost() bool {
	return a.Path == "" && (a.MediaID == "" || a.Attempts >= PhotoFetchAttempts)
}

// RecentSubmission returns the latest rectification userid submitted at or
// after since, with its hazard, when the hazard still waits for review; nil
// when there is none. Photos sent just after a 整改 belong to it.
func (tx *Tx) RecentSubmission(userid string, since time.Time) (*Hazard, *Event, error) {
	var ev Event
	err := tx.DB.Where("actor_id = ? AND action = ? AND created_at >= ?", userid, ActSubmit, since.UTC()).
		Order("id DESC").Take(&ev).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("models: recent submission: %w", err)
	}
	var h Hazard
	if err := tx.DB.Take(&h, ev.HazardID).Error; err != nil {
		return nil, nil, fmt.Errorf("models: recent submission: %w", err)
	}
	if h.State != StatePendingReview {
		return nil, nil, nil
	}
	// Only the hazard's latest submission takes photos: after a send-back
	// and a new 整改 the old one is history.
	var last uint
	if err := tx.DB.Model(&Event{}).Where("hazard_id = ? AND action = ?", h.ID, ActSubmit).Select("MAX(id)").Scan(&last).Error; err != nil {
		return nil, nil, fmt.Errorf("models: recent submission: %w", err)
	}
	if last != ev.ID {
		return nil, nil, nil
	}
	return &h, &ev, nil
}

// AddPhoto attaches a photo userid sent to a hazard's event in phase.
func (tx *Tx) AddPhoto(userid, mediaID, picURL string, h *Hazard, ev *Event, phase string) (*Attachment, error) {
	a := &Attachment{HazardID: &h.ID, EventID: &ev.ID, Phase: phase, MediaID: mediaID, PicURL: picURL, UploaderID: userid, CreatedAt: tx.Now().UTC()}
	if err := tx.DB.Create(a).Error; err != nil {
		return nil, fmt.Errorf("models: add photo: %w", err)
	}
	return a, nil
}

// EventPhotos lists the photos that came with one event, in the order
// they came.
func (tx *Tx) EventPhotos(eventID uint) ([]Attachment, error) {
	var list []Attachment
	if err := tx.DB.Where("event_id = ?", eventID).Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: event photos: %w", err)
	}
	return list, nil
}

// PhotoFile returns one photo record for the sender, which needs its
// stored path.
func (s *Store) PhotoFile(ctx context.Context, id uint) (*Attachment, error) {
	return s.Reads(ctx).FindAttachment(id)
}
