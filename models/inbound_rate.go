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

// CountInbound counts one more message from userid in the minute of now
// and returns how many that minute has seen, this one included. It is its
// own short transaction on the sender's one row, so a flooding sender
// queues behind themself only, never behind anyone else.
func (s *Store) CountInbound(ctx context.Context, userid string, now time.Time) (int, error) {
	userid = Truncate(userid, 64, "") // ids are at most 64 bytes; a longer one is nobody's
	minute := now.Unix() / 60
	var n int
	err := s.InTx(ctx, func(tx *Tx) error {
		for range 3 {
			res := tx.DB.Exec("UPDATE inbound_rates SET n = n + 1 WHERE userid = ? AND minute = ?", userid, minute)
			if res.Error != nil {
				return fmt.Errorf("models: count inbound: %w", res.Error)
			}
			if res.RowsAffected == 0 {
				err := tx.DB.Create(&inboundRate{UserID: userid, Minute: minute, N: 1}).Error
				if isDuplicate(err) {
					continue // another replica's message created it first
				}
				if err != nil {
					return fmt.Errorf("models: count inbound: %w", err)
				}
				n = 1
				return nil
			}
			return tx.DB.Raw("SELECT n FROM inbound_rates WHERE userid = ? AND minute = ?", userid, minute).Scan(&n).Error
		}
		return fmt.Errorf("models: count inbound for %s: row kept vanishing", userid)
	})
	return n, err
}

// PruneInboundRates forgets the counts of minutes before t.
func (s *Store) PruneInboundRates(ctx context.Context, before time.Time) (int64, error) {
	res := s.DB.WithContext(ctx).Where("minute < ?", before.Unix()/60).Delete(&inboundRate{})
	return res.RowsAffected, res.Error
}
