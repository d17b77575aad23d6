package models

import (
	"context"
	"errors"
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
// transaction of two statements: the sender's row counts the message (one
// upsert that hands the count back), then the key is recorded with that
// count. A repeat finds the key taken, reads the first count and rolls its
// own back. A flooding sender queues behind themself only, never behind
// anyone else; two deliveries of one key queue on the sender's row.
func (s *Store) CountInbound(ctx context.Context, key, userid string, now time.Time) (int, error) {
	userid = Truncate(userid, 64, "") // ids are at most 64 bytes; a longer one is nobody's
	key = Truncate(key, 191, "")
	minute := now.Unix() / 60
	var n int
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		if n, err = tx.countInbound(userid, minute); err != nil {
			return err
		}
		err = tx.DB.Create(&inboundCounted{Key: key, N: n, CreatedAt: now.UTC()}).Error
		if isDuplicate(err) {
			if err := tx.DB.Raw("SELECT n FROM inbound_counted WHERE `key` = ?", key).Scan(&n).Error; err != nil {
				return fmt.Errorf("models: count inbound: %w", err)
			}
			return errCountedBefore // undo this delivery's count
		}
		if err != nil {
			return fmt.Errorf("models: count inbound: %w", err)
		}
		return nil
	})
	if errors.Is(err, errCountedBefore) {
		err = nil
	}
	return n, err
}

// errCountedBefore rolls back the count of a repeat delivery.
var errCountedBefore = errors.New("models: message counted before")

// countInbound adds one to userid's count of minute and returns the count,
// in one statement.
func (tx *Tx) countInbound(userid string, minute int64) (int, error) {
	if tx.s.driver == "mysql" {
		// LAST_INSERT_ID(expr) returns the new count with the result: a
		// fresh row reports one affected row (the count is 1), an existing
		// one two (the count is the id handed back).
		res, err := tx.DB.Statement.ConnPool.ExecContext(tx.DB.Statement.Context,
			"INSERT INTO inbound_rates (userid, minute, n) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE n = LAST_INSERT_ID(n + 1)", userid, minute)
		if err != nil {
			return 0, fmt.Errorf("models: count inbound: %w", err)
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("models: count inbound: %w", err)
		}
		if affected == 1 {
			return 1, nil
		}
		n, err := res.LastInsertId()
		if err != nil {
			return 0, fmt.Errorf("models: count inbound: %w", err)
		}
		return int(n), nil
	}
	var got []int
	if err := tx.DB.Raw("INSERT INTO inbound_rates (userid, minute, n) VALUES (?, ?, 1) ON CONFLICT (userid, minute) DO UPDATE SET n = n + 1 RETURNING n",
		userid, minute).Scan(&got).Error; err != nil {
		return 0, fmt.Errorf("models: count inbound: %w", err)
	}
	if len(got) != 1 {
		return 0, fmt.Errorf("models: count inbound for %s: the upsert returned %d rows", userid, len(got))
	}
	return got[0], nil
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
