package models

import (
	"context"
	"fmt"
	"time"
)

// inboundRate counts one sender's messages in one minute, for the
// per-sender inbound limit. Every replica counts in the same row.
type inboundRate struct {
	UserID string `gorm:"column:userid;primaryKey"`
	Minute int64  `gorm:"primaryKey;autoIncrement:false"` // Unix minutes
	N      int
}

func (inboundRate) TableName() string { return "inbound_rates" }

// inboundCounted records a message the per-sender limit has counted, by
// its dedupe key, with the count it got.
type inboundCounted struct {
	Key       string `gorm:"column:key;primaryKey"`
	N         int
	CreatedAt time.Time
}

func (inboundCounted) TableName() string { return "inbound_counted" }

// CountInbound counts the message with dedupe key key from userid in the
// minute of now and returns how many that minute has seen, this one
// included. A message is counted once: a repeat delivery of key (WeCom's
// retry, on this replica or another) gets the count its first delivery
// got, so it is admitted or refused as that one was. It is its own short
// transaction on the sender's one row, so a flooding sender queues behind
// themself only, never behind anyone else; two deliveries of one key queue
// on the key's row until the first commits.
func (s *Store) CountInbound(ctx context.Context, key, userid string, now time.Time) (int, error) {
	userid = Truncate(userid, 64, "") // ids are at most 64 bytes; a longer one is nobody's
	key = Truncate(key, 191, "")
	minute := now.Unix() / 60
	var n int
	err := s.InTx(ctx, func(tx *Tx) error {
		err := tx.DB.Create(&inboundCounted{Key: key, CreatedAt: now.UTC()}).Error
		if isDuplicate(err) {
			return tx.DB.Raw("SELECT n FROM inbound_counted WHERE `key` = ?", key).Scan(&n).Error
		}
		if err != nil {
			return fmt.Errorf("models: count inbound: %w", err)
		}
		if n, err = tx.countInbound(userid, minute); err != nil {
			return err
		}
		return tx.DB.Exec("UPDATE inbound_counted SET n = ? WHERE `key` = ?", n, key).Error
	})
	return n, err
}

// countInbound adds one to userid's count of minute and returns the count.
func (tx *Tx) countInbound(userid string, minute int64) (int, error) {
	for range 3 {
		res := tx.DB.Exec("UPDATE inbound_rates SET n = n + 1 WHERE userid = ? AND minute = ?", userid, minute)
		if res.Error != nil {
			return 0, fmt.Errorf("models: count inbound: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			err := tx.DB.Create(&inboundRate{UserID: userid, Minute: minute, N: 1}).Error
			if isDuplicate(err) {
				continue // another replica's message created it first
			}
			if err != nil {
				return 0, fmt.Errorf("models: count inbound: %w", err)
			}
			return 1, nil
		}
		var n int
		err := tx.DB.Raw("SELECT n FROM inbound_rates WHERE userid = ? AND minute = ?", userid, minute).Scan(&n).Error
		return n, err
	}
	return 0, fmt.Errorf("models: count inbound for %s: row kept vanishing", userid)
}

// PruneInboundRates forgets the counts of minutes before t, and which
// messages were counted before keysBefore (keep those as long as a repeat
// delivery may still arrive: the callback window).
func (s *Store) PruneInboundRates(ctx context.Context, before, keysBefore time.Time) (int64, error) {
	res := s.DB.WithContext(ctx).Where("minute < ?", before.Unix()/60).Delete(&inboundRate{})
	if res.Error != nil {
		return 0, fmt.Errorf("models: prune inbound counts: %w", res.Error)
	}
	keys := s.DB.WithContext(ctx).Where("created_at < ?", keysBefore.UTC()).Delete(&inboundCounted{})
	if keys.Error != nil {
		return 0, fmt.Errorf("models: prune counted messages: %w", keys.Error)
	}
	return res.RowsAffected + keys.RowsAffected, nil
}
