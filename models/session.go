package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Session is one browser signed in to the H5 pages. It lives in the
// database, so any replica accepts it. The browser holds a random token; the
// row is keyed by the token's SHA-256, so a copy of the table signs nobody in.
type Session struct {
	ID        string    `gorm:"primaryKey;size:64"` // hex SHA-256 of the token
	UserID    string    `gorm:"column:userid;size:64;not null"`
	CSRF      string    `gorm:"column:csrf;size:64;not null"` // the token every POST of this session carries
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index:idx_h5_sessions_expires"`
}

// TableName is h5_sessions.
func (Session) TableName() string { return "h5_sessions" }

// h5Key is a secret shared by every replica, made once.
type h5Key struct {
	Name  string `gorm:"primaryKey;size:64"`
	Value string `gorm:"size:128;not null"`
}

func (h5Key) TableName() string { return "h5_keys" }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session of ttl for userid and returns the token the
// browser keeps. Expired sessions are cleared on the way.
func (s *Store) CreateSession(ctx context.Context, userid string, ttl time.Duration) (string, *Session, error) {
	now := s.Now().UTC()
	db := s.DB.WithContext(ctx)
	if err := db.Where("expires_at < ?", now).Delete(&Session{}).Error; err != nil {
		return "", nil, fmt.Errorf("models: clear sessions: %w", err)
	}
	token := randomHex(32)
	sess := &Session{ID: sessionID(token), UserID: userid, CSRF: randomHex(16), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := db.Create(sess).Error; err != nil {
		return "", nil, fmt.Errorf("models: create session: %w", err)
	}
	return token, sess, nil
}

// FindSession returns the live session of token; an unknown or expired one
// is a not_found error.
func (s *Store) FindSession(ctx context.Context, token string) (*Session, error) {
	var sess Session
	err := s.DB.WithContext(ctx).Where("id = ?", sessionID(token)).Take(&sess).Error
	if err == gorm.ErrRecordNotFound {
		return nil, Errorf(ENotFound, "登录已失效，请重新打开")
	}
	if err != nil {
		return nil, fmt.Errorf("models: find session: %w", err)
	}
	if !s.Now().Before(sess.ExpiresAt) {
		return nil, Errorf(ENotFound, "登录已过期，请重新打开")
	}
	return &sess, nil
}

// DeleteSession ends the session of token.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.DB.WithContext(ctx).Where("id = ?", sessionID(token)).Delete(&Session{}).Error
}

// SharedKey returns the random secret called name, making it on first use.
// Every replica reads the same value, so what one signs another accepts.
func (s *Store) SharedKey(ctx context.Context, name string) ([]byte, error) {
	db := s.DB.WithContext(ctx)
	k := h5Key{Name: name, Value: randomHex(32)}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&k).Error; err != nil {
		return nil, fmt.Errorf("models: make key %s: %w", name, err)
	}
	var got h5Key
	if err := db.Where("name = ?", name).Take(&got).Error; err != nil {
		return nil, fmt.Errorf("models: read key %s: %w", name, err)
	}
	return hex.DecodeString(got.Value)
}

// migrate60 adds the H5 pages' sessions and their signing key.
func migrate60(db *gorm.DB) error {
	type session struct {
		ID        string    `gorm:"primaryKey;size:64"`
		UserID    string    `gorm:"column:userid;size:64;not null"`
		CSRF      string    `gorm:"column:csrf;size:64;not null"`
		CreatedAt time.Time `gorm:"not null"`
		ExpiresAt time.Time `gorm:"not null;index:idx_h5_sessions_expires"`
	}
	type key struct {
		Name  string `gorm:"primaryKey;size:64"`
		Value string `gorm:"size:128;not null"`
	}
	if err := db.Table("h5_sessions").AutoMigrate(&session{}); err != nil {
		return err
	}
	return db.Table("h5_keys").AutoMigrate(&key{})
}
