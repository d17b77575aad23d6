package models

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Outbox states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // given up; visible in the admin API and metrics
	// OutboxEnded: not sent because its recipient left the channel (a
	// WeChat follower who unfollowed the account); never retried.
	OutboxEnded = "ended"
)

// OutboxMessage is one message to deliver, written in the same transaction
// as the change that caused it. Its DedupeKey is unique: enqueuing the same
// key twice keeps the first, and a row recorded as sent is never sent again.
type OutboxMessage struct {
	ID            uint       `json:"id" gorm:"primaryKey"`
	DedupeKey     string     `json:"dedupe_key"`
	Recipients    string     `json:"recipients"` // userids joined by "|"
	Kind          string     `json:"kind"`
	Body          string     `json:"body"` // the JSON the sender understands
	State         string     `json:"state"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	Attempts      int        `json:"attempts"`
	ClaimedBy     string     `json:"claimed_by"`
	ClaimedUntil  *time.Time `json:"claimed_until"`
	LastError     string     `json:"last_error"`
	SentAt        *time.Time `json:"sent_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

// TableName keeps the table's name singular, as migrated.
func (OutboxMessage) TableName() string { return "outbox" }

// OutboxItem is a message to enqueue.
type OutboxItem struct {
	Key        string
	Recipients []string
	Kind       string
	Body       string
	// NotBefore delays delivery (quiet hours); zero means now.
	NotBefore time.Time
}

// Enqueue writes items to the outbox, skipping any whose key is already
// there, and returns how many were new. While a hazard created in this
// transaction waits for its number (DeferNumbers), the items are held and
// written, numbered, by Settle; they all count as new.
func (tx *Tx) Enqueue(items ...OutboxItem) (int, error) {
	if len(tx.unnumbered) > 0 || tx.grp != nil {
		// They may name a hazard not yet numbered: written by settle (or
		// at the group's end, with the group's).
		tx.held = append(tx.held, items...)
		return len(items), nil
	}
	return tx.enqueue(items)
}

func (tx *Tx) enqueue(items []OutboxItem) (int, error) {
	now := tx.Now().UTC()
	n := 0
	for _, it := range items {
		m, err := it.row(now)
		if err != nil {
			return n, err
		}
		// A duplicate key means the message is already queued (or sent):
		// keep the first. The failed statement does not abort the
		// transaction on either database.
		err = tx.DB.Create(&m).Error
		if isDuplicate(err) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("models: enqueue: %w", err)
		}
		n++
	}
	return n, nil
}

// row is the outbox row of it, queued at now.
func (it OutboxItem) row(now time.Time) (OutboxMessage, error) {
	if it.Key == "" || len(it.Key) > 191 {
		return OutboxMessage{}, fmt.Errorf("models: outbox key %q must be 1–191 bytes", it.Key)
	}
	at := it.NotBefore.UTC()
	if at.IsZero() || at.Before(now) {
		at = now
	}
	return OutboxMessage{DedupeKey: it.Key, Recipients: strings.Join(it.Recipients, "|"), Kind: it.Kind, Body: it.Body,
		State: OutboxPending, NextAttemptAt: at, CreatedAt: now}, nil
}

// ClaimOutbox leases up to n due messages to owner for lease. A message is
// leased to one owner at a time across all replicas; a lease that runs out
// (the owner died mid-send) lets another owner take the message again.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, n int, lease time.Duration) ([]OutboxMessage, error) {
	now := s.Now().UTC()
	var ids []uint
	err := s.DB.WithContext(ctx).Model(&OutboxMessage{}).
		Where("state = ? AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)", OutboxPending, now, now).
		Order("next_attempt_at, id").Limit(n).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: outbox due: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// One UPDATE claims the whole batch; rows another worker took in the
	// meantime no longer match. The claim token tells this batch's rows from
	// any other claim of the same owner. Claim and read-back share one
	// transaction: if the database goes away between them, the claim is
	// rolled back with it instead of stranding the rows until their lease
	// runs out.
	until := now.Add(lease)
	token := fmt.Sprintf("%s#%d", owner, claimSeq.Add(1))
	if len(token) > 64 {
		token = token[len(token)-64:]
	}
	var out []OutboxMessage
	err = s.InTx(ctx, func(tx *Tx) error {
		out = nil
		res := tx.DB.Exec(`UPDATE outbox SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
			WHERE id IN ? AND state = ? AND (claimed_until IS NULL OR claimed_until < ?)`, token, until, ids, OutboxPending, now)
		if res.Error != nil {
			return fmt.Errorf("models: claim outbox: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		if err := tx.DB.Where("id IN ? AND claimed_by = ?", ids, token).Order("next_attempt_at, id").Find(&out).Error; err != nil {
			return fmt.Errorf("models: read claimed: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimSeq numbers this process's claims.
var claimSeq atomic.Int64

// MarkSent records a delivery. Once sent, a message is never sent again.
func (s *Store) MarkSent(ctx context.Context, id uint) error {
	now := s.Now().UTC()
	err := s.DB.WithContext(ctx).Exec(`UPDATE outbox SET state = ?, sent_at = ?, claimed_until = NULL, last_error = ''
		WHERE id = ? AND state = ?`, OutboxSent, now, id, OutboxPending).Error
	if err != nil {
		return fmt.Errorf("models: mark sent: %w", err)
	}
	return nil
}

// MarkRetry records a failed attempt of the claim (the message's ClaimedBy
// as ClaimOutbox returned it): the message is due again at next, or, when
// giveUp, is marked failed for good. A claim that has since been taken over
// changes nothing.
func (s *Store) MarkRetry(ctx context.Context, id uint, claim string, cause string, next time.Time, giveUp bool) error {
	cause = Truncate(cause, 500, "…")
	state := OutboxPending
	if giveUp {
		state = OutboxFailed
	}
	err := s.DB.WithContext(ctx).Exec(`UPDATE outbox SET state = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ?
		WHERE id = ? AND state = ? AND claimed_by = ?`, state, next.UTC(), cause, id, OutboxPending, claim).Error
	if err != nil {
		return fmt.Errorf("models: mark retry: %w", err)
	}
	return nil
}

// MarkHeld puts a claimed message back until next without counting the
// claim as an attempt: it waited for a rate limit's window and was never
// sent. Counted, the holds of a busy reviewer's photos grew the backoff of
// the first real failure after them to its ten-minute cap.
func (s *Store) MarkHeld(ctx context.Context, id uint, claim string, cause string, next time.Time) error {
	err := s.DB.WithContext(ctx).Exec(`UPDATE outbox SET next_attempt_at = ?, claimed_until = NULL, last_error = ?,
		attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
		WHERE id = ? AND state = ? AND claimed_by = ?`, next.UTC(), Truncate(cause, 500, "…"), id, OutboxPending, claim).Error
	if err != nil {
		return fmt.Errorf("models: mark held: %w", err)
	}
	return nil
}

// MarkEnded records that the claimed message will never be sent because
// its recipient left (OutboxEnded), with why.
func (s *Store) MarkEnded(ctx context.Context, id uint, claim, cause string) error {
	err := s.DB.WithContext(ctx).Exec(`UPDATE outbox SET state = ?, claimed_until = NULL, last_error = ?
		WHERE id = ? AND state = ? AND claimed_by = ?`, OutboxEnded, Truncate(cause, 500, "…"), id, OutboxPending, claim).Error
	if err != nil {
		return fmt.Errorf("models: mark ended: %w", err)
	}
	return nil
}

// OutboxFilter selects outbox rows for the admin API.
type OutboxFilter struct {
	State   string
	AfterID uint
	Limit   int
}

// FindOutbox lists outbox rows, oldest first.
func (tx *Tx) FindOutbox(f OutboxFilter) ([]OutboxMessage, error) {
	q := tx.DB.Order("id")
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.AfterID > 0 {
		q = q.Where("id > ?", f.AfterID)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var list []OutboxMessage
	err := q.Find(&list).Error
	return list, err
}

// OutboxCounts returns how many rows are in each state.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	err := s.DB.WithContext(ctx).Model(&OutboxMessage{}).Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error
	out := map[string]int64{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, err
}
