package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// token is a shared credential (the WeCom access token), one per key, so
// that every replica uses the same one and only one refreshes it.
type token struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	ExpiresAt time.Time
	UpdatedAt time.Time
	// RefreshingUntil, when in the future, says one replica is fetching a
	// new value: the others wait for it instead of fetching too. It is a
	// lease, so a replica that dies mid-fetch holds nobody up for long.
	RefreshingUntil *time.Time
}

func (token) TableName() string { return "tokens" }

// Defaults of Tokens.
const (
	// DefaultTokenLease is how long a replica may take to fetch a token
	// before another takes over (WeCom's client tries 3 × 10 s).
	DefaultTokenLease = 45 * time.Second
	// DefaultTokenPoll is how often a waiting replica looks for the token
	// another is fetching.
	DefaultTokenPoll = 100 * time.Millisecond
)

// Tokens stores access tokens in the database. It satisfies bot/wecom's
// TokenStore without models knowing anything of WeCom.
type Tokens struct {
	S *Store
	// Lease and Poll override DefaultTokenLease and DefaultTokenPoll.
	Lease, Poll time.Duration
}

// Token returns the stored token for key if it is still valid at now.
func (t Tokens) Token(ctx context.Context, key string, now time.Time) (string, bool, error) {
	tok, found, err := t.read(ctx, key)
	if err != nil || !found {
		return "", false, err
	}
	if tok.Value == "" || !now.Before(tok.ExpiresAt) {
		return "", false, nil
	}
	return tok.Value, true, nil
}

func (t Tokens) read(ctx context.Context, key string) (token, bool, error) {
	var tok token
	err := t.S.DB.WithContext(ctx).Where("`key` = ?", key).Take(&tok).Error
	if err == gorm.ErrRecordNotFound {
		return token{}, false, nil
	}
	if err != nil {
		return token{}, false, fmt.Errorf("models: read token: %w", err)
	}
	return tok, true, nil
}

// Refresh replaces the token for key, with one replica fetching at a time
// and no database lock or transaction held while fetch runs: fetch calls
// WeCom, which may take half a minute, and every callback needs the
// database meanwhile.
//
// It marks the row as refreshing (a lease, in one conditional UPDATE that
// only one replica can win), commits, calls fetch, and stores the result.
// A replica that does not win returns the stored token when it is not
// stale (WeCom keeps honouring a token for minutes after our early
// expiry), and otherwise polls until the winner has stored the new one, or
// its lease runs out and it takes over. When another replica already
// replaced stale with a token still valid, that one is returned and fetch
// is not called.
func (t Tokens) Refresh(ctx context.Context, key, stale string, now time.Time, fetch func(context.Context) (string, time.Duration, error)) (string, error) {
	lease, poll := t.Lease, t.Poll
	if lease <= 0 {
		lease = DefaultTokenLease
	}
	if poll <= 0 {
		poll = DefaultTokenPoll
	}
	db := t.S.DB.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&token{Key: key, UpdatedAt: now.UTC(), ExpiresAt: now.UTC()}).Error; err != nil {
		return "", fmt.Errorf("models: token row: %w", err)
	}
	started := time.Now()
	for {
		// now moves on with the time spent waiting here. Whole seconds:
		// the lease is matched by equality, and every database keeps them.
		at := now.Add(time.Since(started)).UTC().Truncate(time.Second)
		tok, _, err := t.read(ctx, key)
		if err != nil {
			return "", err
		}
		if tok.Value != "" && tok.Value != stale && at.Before(tok.ExpiresAt) {
			return tok.Value, nil
		}
		until := at.Add(lease)
		claim := db.Model(&token{}).
			Where("`key` = ? AND value = ? AND (refreshing_until IS NULL OR refreshing_until < ?)", key, tok.Value, at).
			Update("refreshing_until", until)
		if claim.Error != nil {
			return "", fmt.Errorf("models: claim token refresh: %w", claim.Error)
		}
		if claim.RowsAffected == 1 {
			return t.fetchAndStore(ctx, key, at, until, fetch)
		}
		// Another replica is fetching. Its old token, when not the one
		// WeCom just rejected, still works meanwhile.
		if tok.Value != "" && tok.Value != stale {
			return tok.Value, nil
		}
		timer := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", ctx.Err()
		case <-timer.C:
		}
	}
}

// fetchAndStore runs fetch under the lease taken until `until` and stores
// its token, or gives the lease up when fetch fails so another replica can
// try at once.
func (t Tokens) fetchAndStore(ctx context.Context, key string, at, until time.Time, fetch func(context.Context) (string, time.Duration, error)) (string, error) {
	// The lease is released even when ctx has ended.
	db := t.S.DB.WithContext(context.WithoutCancel(ctx))
	mine := db.Model(&token{}).Where("`key` = ? AND refreshing_until = ?", key, until)
	v, ttl, err := fetch(ctx)
	if err != nil {
		if rerr := mine.Update("refreshing_until", nil).Error; rerr != nil {
			return "", fmt.Errorf("%w (and the refresh lease was not released: %v)", err, rerr)
		}
		return "", err
	}
	err = mine.Updates(map[string]any{"value": v, "expires_at": at.Add(ttl), "updated_at": at, "refreshing_until": nil}).Error
	if err != nil {
		return "", fmt.Errorf("models: store token: %w", err)
	}
	return v, nil
}
