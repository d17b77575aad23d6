package models

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// WeChatPrefix marks a user id that is a WeChat Official Account follower's
// openid rather than a WeCom userid. Everything keyed by user id (dialogues,
// dedupe, outbox recipients, a bound contact's directory row) takes the
// prefixed form, so the two namespaces can never collide and every channel
// can tell where a message must go.
const WeChatPrefix = "wx:"

// WeChatUserID is the user id of the WeChat follower openid.
func WeChatUserID(openid string) string { return WeChatPrefix + openid }

// IsWeChatUser reports whether userid is a WeChat follower's.
func IsWeChatUser(userid string) bool { return strings.HasPrefix(userid, WeChatPrefix) }

// OpenID returns the openid of a WeChat user id ("" for any other id).
func OpenID(userid string) string {
	if !IsWeChatUser(userid) {
		return ""
	}
	return strings.TrimPrefix(userid, WeChatPrefix)
}

// BindCodeTTL is how long a binding code stays valid.
const BindCodeTTL = 72 * time.Hour

// BindCode is a one-time code that binds a WeChat follower to a unit as its
// contact.
type BindCode struct {
	ID        uint       `json:"id" gorm:"primaryKey"`
	Code      string     `json:"code"`
	UnitID    uint       `json:"unit_id"`
	CreatedBy string     `json:"created_by"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedBy    string     `json:"used_by,omitempty"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// TableName keeps the migrated name.
func (BindCode) TableName() string { return "bind_codes" }

// wechatSeen is when a follower last wrote to the account: WeChat lets the
// account answer with customer-service messages for 48 hours after that.
type wechatSeen struct {
	OpenID string `gorm:"column:openid;primaryKey"`
	LastAt time.Time
}

func (wechatSeen) TableName() string { return "wechat_seen" }

// TouchWeChat records that the follower userid wrote at t.
func (tx *Tx) TouchWeChat(userid string, t time.Time) error {
	openid := OpenID(userid)
	if openid == "" {
		return nil
	}
	row := wechatSeen{OpenID: openid, LastAt: t.UTC()}
	err := tx.DB.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "openid"}}, DoUpdates: clause.AssignmentColumns([]string{"last_at"})}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("models: touch wechat: %w", err)
	}
	return nil
}

// WeChatLastSeen returns when the follower openid last wrote (zero: never).
func (s *Store) WeChatLastSeen(openid string) (time.Time, error) {
	var row wechatSeen
	err := s.DB.Where("openid = ?", openid).Take(&row).Error
	if err == gorm.ErrRecordNotFound {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("models: wechat last seen: %w", err)
	}
	return row.LastAt, nil
}

// The follow events of the account.
const (
	WeChatSubscribe   = "subscribe"
	WeChatUnsubscribe = "unsubscribe"
)

// WeChatEvent records a follower following or leaving the account; an
// unfollow names the unit whose binding it ended. Only ever appended.
type WeChatEvent struct {
	ID        uint      `json:"id" gorm:"primaryKey"`
	OpenID    string    `json:"openid" gorm:"column:openid"`
	Event     string    `json:"event"`
	UnitID    *uint     `json:"unit_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// TableName keeps the migrated name.
func (WeChatEvent) TableName() string { return "wechat_events" }

// msgUnfollowed is why an outbox row to a follower who left is not sent.
const msgUnfollowed = "对方已取消关注公众号"

// Follow records that the follower userid (re)followed the account.
func (tx *Tx) Follow(userid string) error {
	openid := OpenID(userid)
	if openid == "" {
		return nil
	}
	if err := tx.DB.Create(&WeChatEvent{OpenID: openid, Event: WeChatSubscribe, CreatedAt: tx.Now().UTC()}).Error; err != nil {
		return fmt.Errorf("models: record follow: %w", err)
	}
	return nil
}

// Unfollow records that the follower userid left the account: their
// binding ends (the unit's contact list shrinks; following again and
// sending 绑定 with a new code binds again), and every message still
// waiting for them in the outbox is marked ended, not retried. It returns
// the unit whose binding ended (nil: none) and how many messages ended.
func (tx *Tx) Unfollow(userid string) (*Unit, int64, error) {
	openid := OpenID(userid)
	if openid == "" {
		return nil, 0, nil
	}
	now := tx.Now().UTC()
	var unit *Unit
	var u User
	err := tx.DB.Where("userid = ? AND active = ?", userid, true).Take(&u).Error
	switch {
	case err == nil:
		if err := tx.DB.Model(&u).Updates(map[string]any{"active": false, "updated_at": now}).Error; err != nil {
			return nil, 0, fmt.Errorf("models: unfollow: %w", err)
		}
		if unit, err = tx.FindUnit(u.UnitID); err != nil {
			return nil, 0, err
		}
	case err != gorm.ErrRecordNotFound:
		return nil, 0, fmt.Errorf("models: unfollow: %w", err)
	}
	ev := WeChatEvent{OpenID: openid, Event: WeChatUnsubscribe, CreatedAt: now}
	if unit != nil {
		ev.UnitID = &unit.ID
	}
	if err := tx.DB.Create(&ev).Error; err != nil {
		return nil, 0, fmt.Errorf("models: record unfollow: %w", err)
	}
	res := tx.DB.Exec("UPDATE outbox SET state = ?, claimed_until = NULL, last_error = ? WHERE state = ? AND recipients = ?",
		OutboxEnded, msgUnfollowed, OutboxPending, userid)
	if res.Error != nil {
		return nil, 0, fmt.Errorf("models: end outbox: %w", res.Error)
	}
	return unit, res.RowsAffected, nil
}

// WeChatFollowing reports whether openid still follows the account as far
// as its events tell: false only when the last one recorded is an
// unfollow (a follower from before events were kept counts as following).
func (s *Store) WeChatFollowing(openid string) (bool, error) {
	var last []string
	err := s.DB.Model(&WeChatEvent{}).Where("openid = ?", openid).Order("id DESC").Limit(1).Pluck("event", &last).Error
	if err != nil {
		return false, fmt.Errorf("models: wechat following: %w", err)
	}
	return len(last) == 0 || last[0] != WeChatUnsubscribe, nil
}

// migrate74 keeps the account's follow and unfollow events.
func migrate74(db *gorm.DB) error {
	type wechatEvent struct {
		ID        uint   `gorm:"primaryKey"`
		OpenID    string `gorm:"column:openid;size:64;not null;index:idx_wechat_events_openid"`
		Event     string `gorm:"size:16;not null"`
		UnitID    *uint
		CreatedAt time.Time `gorm:"not null"`
	}
	return db.Table("wechat_events").AutoMigrate(&wechatEvent{})
}

// CreateBindCode issues a fresh 6-digit code binding a WeChat follower to
// unit, valid for BindCodeTTL. The code is unique among the codes still
// open, so a typo can never bind someone to another unit.
func (tx *Tx) CreateBindCode(unit *Unit, by string) (*BindCode, error) {
	if unit == nil || !unit.Active {
		return nil, Errorf(EInvalid, "这个单位已停用，不能绑定")
	}
	now := tx.Now().UTC()
	for range 20 {
		n, err := rand.Int(rand.Reader, big.NewInt(900000))
		if err != nil {
			return nil, fmt.Errorf("models: bind code: %w", err)
		}
		code := fmt.Sprintf("%06d", 100000+n.Int64())
		var open int64
		if err := tx.DB.Model(&BindCode{}).Where("code = ? AND used_at IS NULL AND expires_at > ?", code, now).Count(&open).Error; err != nil {
			return nil, fmt.Errorf("models: bind code: %w", err)
		}
		if open > 0 {
			continue
		}
		bc := BindCode{Code: code, UnitID: unit.ID, CreatedBy: by, ExpiresAt: now.Add(BindCodeTTL), CreatedAt: now}
		if err := tx.DB.Create(&bc).Error; err != nil {
			return nil, fmt.Errorf("models: save bind code: %w", err)
		}
		return &bc, nil
	}
	return nil, fmt.Errorf("models: no free bind code")
}

// Bind uses code to make the WeChat follower userid a contact of the code's
// unit, named name (or a default). A code works once and for BindCodeTTL.
func (tx *Tx) Bind(code, userid, name string) (*User, *Unit, error) {
	if !IsWeChatUser(userid) {
		return nil, nil, Errorf(EInvalid, "只有公众号用户可以用绑定码绑定")
	}
	code = strings.TrimSpace(Narrow(code))
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return nil, nil, Errorf(EInvalid, "绑定码是 6 位数字，例如：绑定 123456")
	}
	now := tx.Now().UTC()
	var bc BindCode
	err := tx.forUpdate().Where("code = ?", code).Order("id DESC").Take(&bc).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil, Errorf(ENotFound, "绑定码 %s 不对，请核对后重发，或向督办员重新索取", code)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("models: find bind code: %w", err)
	}
	if bc.UsedAt != nil {
		return nil, nil, Errorf(EConflict, "绑定码 %s 已经用过了，请向督办员重新索取", code)
	}
	if !now.Before(bc.ExpiresAt) {
		return nil, nil, Errorf(EInvalid, "绑定码 %s 已过期（有效 72 小时），请向督办员重新索取", code)
	}
	unit, err := tx.FindUnit(bc.UnitID)
	if err != nil {
		return nil, nil, err
	}
	if !unit.Active {
		return nil, nil, Errorf(EInvalid, "单位 %s 已停用，不能绑定", unit.Name)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = unit.ShortName() + "联系人"
	}
	if r := []rune(name); len(r) > 32 {
		name = string(r[:32])
	}
	var u User
	err = tx.DB.Where("userid = ?", userid).Take(&u).Error
	switch {
	case err == gorm.ErrRecordNotFound:
		u = User{UserID: userid, CreatedAt: now}
	case err != nil:
		return nil, nil, fmt.Errorf("models: find user: %w", err)
	}
	u.Name, u.UnitID, u.Roles, u.Active, u.UpdatedAt = name, unit.ID, Roles(RoleContact), true, now
	if err := tx.DB.Save(&u).Error; err != nil {
		return nil, nil, fmt.Errorf("models: save bound user: %w", err)
	}
	res := tx.DB.Model(&BindCode{}).Where("id = ? AND used_at IS NULL", bc.ID).Updates(map[string]any{"used_by": userid, "used_at": now})
	if res.Error != nil {
		return nil, nil, fmt.Errorf("models: use bind code: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return nil, nil, Errorf(EConflict, "绑定码 %s 已经用过了，请向督办员重新索取", code)
	}
	return &u, unit, nil
}

// Unbind ends the binding of the WeChat follower userid: they become a
// stranger again. It reports the unit they were bound to.
func (tx *Tx) Unbind(userid string) (*Unit, error) {
	var u User
	err := tx.DB.Where("userid = ? AND active = ?", userid, true).Take(&u).Error
	if err == gorm.ErrRecordNotFound || !IsWeChatUser(userid) {
		return nil, Errorf(ENotFound, "你还没有绑定单位")
	}
	if err != nil {
		return nil, fmt.Errorf("models: find user: %w", err)
	}
	if err := tx.DB.Model(&u).Updates(map[string]any{"active": false, "updated_at": tx.Now().UTC()}).Error; err != nil {
		return nil, fmt.Errorf("models: unbind: %w", err)
	}
	return tx.FindUnit(u.UnitID)
}

// WeChatContacts lists the active WeChat contacts bound to unit.
func (tx *Tx) WeChatContacts(unitID uint) ([]User, error) {
	var list []User
	err := tx.DB.Where("unit_id = ? AND active = ? AND userid LIKE ?", unitID, true, WeChatPrefix+"%").Order("userid").Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("models: wechat contacts: %w", err)
	}
	return list, nil
}

// RevokeWeChat ends every WeChat binding of unit and returns who lost it.
func (tx *Tx) RevokeWeChat(unitID uint) ([]User, error) {
	list, err := tx.WeChatContacts(unitID)
	if err != nil || len(list) == 0 {
		return list, err
	}
	ids := make([]uint, len(list))
	for i, u := range list {
		ids[i] = u.ID
	}
	if err := tx.DB.Model(&User{}).Where("id IN ?", ids).Updates(map[string]any{"active": false, "updated_at": tx.Now().UTC()}).Error; err != nil {
		return nil, fmt.Errorf("models: revoke wechat: %w", err)
	}
	return list, nil
}

// migrate70 adds WeChat Official Account bindings: one-time binding codes
// and when each follower last wrote (for the 48-hour customer-service
// window).
func migrate70(db *gorm.DB) error {
	type bindCode struct {
		ID        uint      `gorm:"primaryKey"`
		Code      string    `gorm:"size:6;not null;index:idx_bind_codes_code"`
		UnitID    uint      `gorm:"not null"`
		CreatedBy string    `gorm:"size:64;not null;default:''"`
		ExpiresAt time.Time `gorm:"not null"`
		UsedBy    string    `gorm:"size:64;not null;default:''"`
		UsedAt    *time.Time
		CreatedAt time.Time
	}
	type seen struct {
		OpenID string    `gorm:"column:openid;primaryKey;size:64"`
		LastAt time.Time `gorm:"not null"`
	}
	if err := db.Table("bind_codes").AutoMigrate(&bindCode{}); err != nil {
		return err
	}
	return db.Table("wechat_seen").AutoMigrate(&seen{})
}
