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
}

func (token) TableName() string { return "tokens" }

// Tokens stores access tokens in the database. It satisfies bot/wecom's
// TokenStore without models knowing anything of WeCom.
type Tokens struct{ S *Store }

// Token returns the stored token for key if it is still valid at now.
func (t Tokens) Token(ctx context.Context, key string, now time.Time) (string, bool, error) {
	var tok token
	err := t.S.DB.WithContext(ctx).Where("`key` = ?", key).Take(&tok).Error
	if err == gorm.ErrRecordNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("models: read token: %w", err)
	}
	if tok.Value == "" || !now.Before(tok.ExpiresAt) {
		return "", false, nil
	}
	return tok.Value, true, nil
}

// Refresh replaces the token for key under a row lock shared by every
// replica. When another replica already replaced stale with a token still
// valid at now, that one is returned and fetch is not called.
func (t Tokens) Refresh(ctx context.Context, key, stale string, now time.Time, fetch func(context.Context) (string, time.Duration, error)) (string, error) {
	db := t.S.DB.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&token{Key: key, UpdatedAt: now.UTC(), ExpiresAt: now.UTC()}).Error; err != nil {
		return "", fmt.Errorf("models: token row: %w", err)
	}
	var out string
	err := t.S.InTx(ctx, func(tx *Tx) error {
		var tok token
		if err := tx.forUpdate().Where("`key` = ?", key).Take(&tok).Error; err != nil {
			return fmt.Errorf("models: lock token: %w", err)
		}
		if tok.Value != "" && tok.Value != stale && now.Before(tok.ExpiresAt) {
			out = tok.Value
			return nil
		}
		v, ttl, err := fetch(ctx)
		if err != nil {
			return err
		}
		out = v
		return tx.DB.Model(&token{}).Where("`key` = ?", key).
			Updates(map[string]any{"value": v, "expires_at": now.Add(ttl).UTC(), "updated_at": now.UTC()}).Error
	})
	return out, err
}
