package models

import (
	"fmt"
	"time"
)

// inbound records a handled callback by its dedupe key, with the reply that
// was given, so that WeCom's retries get the same answer and cause nothing.
type inbound struct {
	Key       string `gorm:"primaryKey"`
	UserID    string `gorm:"column:userid"`
	Reply     string
	CreatedAt time.Time
}

func (inbound) TableName() string { return "inbound" }

// PruneInbound forgets callbacks older than t (WeCom retries within seconds).
func (s *Store) PruneInbound(before time.Time) (int64, error) {
	res := s.DB.Where("created_at < ?", before.UTC()).Delete(&inbound{})
	return res.RowsAffected, res.Error
}

// RecordInbound stores the reply given to key in one statement, for a
// message whose handling wrote nothing else. When another delivery of the
// same key was recorded first, it returns that delivery's reply instead.
func (tx *Tx) RecordInbound(key, userid, reply string) (stored string, dup bool, err error) {
	key = Truncate(key, 191, "")
	if tx.grp != nil {
		// Recorded at the group's end; a key taken by then fails the
		// group, and alone this message finds the stored reply.
		tx.later.inbound = append(tx.later.inbound, inbound{Key: key, UserID: userid, Reply: reply, CreatedAt: tx.Now().UTC()})
		return reply, false, nil
	}
	err = tx.DB.Create(&inbound{Key: key, UserID: userid, Reply: reply, CreatedAt: tx.Now().UTC()}).Error
	if err == nil {
		return reply, false, nil
	}
	if !isDuplicate(err) {
		return "", false, fmt.Errorf("models: record inbound: %w", err)
	}
	var got inbound
	if err := tx.DB.Where("`key` = ?", key).Take(&got).Error; err != nil {
		return "", false, fmt.Errorf("models: read inbound: %w", err)
	}
	return got.Reply, true, nil
}
