package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Job run states.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// JobRun records one run of a scheduled job for one slot (e.g. the daily
// digest of 2023-03-15). Its key is unique, so across all replicas a slot
// runs once.
type JobRun struct {
	Slot      string `gorm:"primaryKey"`
	Name      string
	Owner     string
	State     string
	StartedAt time.Time
	EndedAt   *time.Time
	Error     string
}

// ClaimJob claims the slot of job name for owner. It returns false when the
// slot has already run or is running elsewhere; a run that has been
// "running" for longer than stale (its replica died) may be taken over.
func (s *Store) ClaimJob(ctx context.Context, name, slot, owner string, stale time.Duration) (bool, error) {
	now := s.Now().UTC()
	key := name + "|" + slot
	err := s.DB.WithContext(ctx).Create(&JobRun{Slot: key, Name: name, Owner: owner, State: JobRunning, StartedAt: now}).Error
	if err == nil {
		return true, nil
	}
	if !isDuplicate(err) {
		return false, fmt.Errorf("models: claim job: %w", err)
	}
	res := s.DB.WithContext(ctx).Model(&JobRun{}).
		Where("slot = ? AND ((state = ? AND started_at < ?) OR state = ?)", key, JobRunning, now.Add(-stale), JobFailed).
		Updates(map[string]any{"owner": owner, "state": JobRunning, "started_at": now, "error": ""})
	if res.Error != nil {
		return false, fmt.Errorf("models: take over job: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishJob records the end of a claimed run; a failed run may be claimed again.
func (s *Store) FinishJob(ctx context.Context, name, slot string, runErr error) error {
	now := s.Now().UTC()
	state, msg := JobDone, ""
	if runErr != nil {
		state, msg = JobFailed, Truncate(runErr.Error(), 500, "…")
	}
	return s.DB.WithContext(ctx).Model(&JobRun{}).Where("slot = ?", name+"|"+slot).
		Updates(map[string]any{"state": state, "ended_at": now, "error": msg}).Error
}

// LastJobRun returns the latest finished run of job name, or nil.
func (s *Store) LastJobRun(ctx context.Context, name string) (*JobRun, error) {
	var r JobRun
	err := s.DB.WithContext(ctx).Where("name = ? AND state = ?", name, JobDone).Order("started_at DESC").Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil
	}
	return &r, err
}
