package models

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// send records one message to one member, for the per-member rate limit.
type send struct {
	ID     uint   `gorm:"primaryKey"`
	UserID string `gorm:"column:userid"`
	At     time.Time
}

func (send) TableName() string { return "sends" }

// ReserveSends takes places in the per-member windows for a batch of
// messages, each given by its recipients, across every replica, in one
// transaction. A message whose recipients all have had fewer than limit
// messages in the minute before now is admitted (its zero time is
// returned) and counted; any other is held, counted nowhere, with the time
// its busiest recipient's window frees a place. WeCom silently drops what a
// member gets beyond its limit, so a held message is delayed, never lost.
func (s *Store) ReserveSends(ctx context.Context, batch [][]string, now time.Time, limit int) ([]time.Time, error) {
	holds := make([]time.Time, len(batch))
	var users []string
	for _, rs := range batch {
		users = append(users, rs...)
	}
	users = slices.Compact(slices.Sorted(slices.Values(users)))
	if len(users) == 0 || limit <= 0 {
		return holds, nil
	}
	now = now.UTC()
	// REPEATABLE READ: the locking read below must lock the gaps of the
	// range too, or two replicas could each admit a member's 30th message.
	err := s.inTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, func(tx *Tx) error {
		clear(holds)
		// One locking read of every recipient's last minute: two replicas
		// reserving for the same member queue here.
		var rows []send
		err := tx.forUpdate().Where("userid IN ? AND at > ?", users, now.Add(-time.Minute)).Order("userid, at").Find(&rows).Error
		if err != nil {
			return fmt.Errorf("models: count sends: %w", err)
		}
		recent := map[string][]time.Time{}
		for _, r := range rows {
			recent[r.UserID] = append(recent[r.UserID], r.At)
		}
		var admitted []send
		for i, rs := range batch {
			for _, u := range rs {
				if at := recent[u]; len(at) >= limit {
					if free := at[len(at)-limit].Add(time.Minute); free.After(holds[i]) {
						holds[i] = free
					}
				}
			}
			if !holds[i].IsZero() {
				continue
			}
			for _, u := range slices.Compact(slices.Sorted(slices.Values(rs))) {
				recent[u] = append(recent[u], now)
				admitted = append(admitted, send{UserID: u, At: now})
			}
		}
		if len(admitted) == 0 {
			return nil
		}
		return tx.DB.Create(&admitted).Error
	})
	if err != nil {
		return nil, err
	}
	return holds, nil
}

// PruneSends forgets sends older than t.
func (s *Store) PruneSends(ctx context.Context, before time.Time) (int64, error) {
	res := s.DB.WithContext(ctx).Where("at < ?", before.UTC()).Delete(&send{})
	return res.RowsAffected, res.Error
}
