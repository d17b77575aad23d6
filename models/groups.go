package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// UnitGroup is where a unit's group pushes go in WeCom: a group robot
// (群机器人, by its webhook key) or an app group chat (appchat, by chat id).
// The webhook key is a secret: whoever holds it may post to the group.
type UnitGroup struct {
	UnitID     uint      `json:"unit_id" gorm:"primaryKey;autoIncrement:false"`
	WebhookKey string    `json:"-"`
	ChatID     string    `json:"chat_id"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// TableName keeps the migrated name.
func (UnitGroup) TableName() string { return "unit_groups" }

// SetUnitGroup names the group of the unit with code: a robot webhook key
// or an app chat id (one of them; both empty removes the group).
func (tx *Tx) SetUnitGroup(code, webhookKey, chatID string) (*Unit, error) {
	webhookKey, chatID = strings.TrimSpace(webhookKey), strings.TrimSpace(chatID)
	if webhookKey != "" && chatID != "" {
		return nil, Errorf(EInvalid, "群机器人 webhook_key 和群聊 chat_id 只能填一个")
	}
	if len(webhookKey) > 128 || len(chatID) > 64 || strings.ContainsAny(webhookKey+chatID, "&?#/ ") {
		return nil, Errorf(EInvalid, "webhook_key 或 chat_id 格式不对")
	}
	u, err := tx.FindUnitByCode(code)
	if err != nil {
		return nil, err
	}
	if webhookKey == "" && chatID == "" {
		if err := tx.DB.Where("unit_id = ?", u.ID).Delete(&UnitGroup{}).Error; err != nil {
			return nil, fmt.Errorf("models: remove unit group: %w", err)
		}
		return u, nil
	}
	g := UnitGroup{UnitID: u.ID, WebhookKey: webhookKey, ChatID: chatID, UpdatedAt: tx.Now().UTC()}
	err = tx.DB.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "unit_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"webhook_key", "chat_id", "updated_at"})}).Create(&g).Error
	if err != nil {
		return nil, fmt.Errorf("models: save unit group: %w", err)
	}
	return u, nil
}

// GroupUnits returns the active units that have a group, by id.
func (tx *Tx) GroupUnits() ([]Unit, error) {
	var list []Unit
	err := tx.DB.Where("active = ? AND id IN (?)", true, tx.DB.Model(&UnitGroup{}).Select("unit_id")).Order("id").Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("models: group units: %w", err)
	}
	return list, nil
}

// HasGroup reports which of ids have a group.
func (tx *Tx) HasGroup(ids ...uint) (map[uint]bool, error) {
	out := map[uint]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var have []uint
	if err := tx.DB.Model(&UnitGroup{}).Where("unit_id IN ?", ids).Pluck("unit_id", &have).Error; err != nil {
		return nil, fmt.Errorf("models: unit groups: %w", err)
	}
	for _, id := range have {
		out[id] = true
	}
	return out, nil
}

// GroupTarget returns the group of the unit with code, for the sender.
func (s *Store) GroupTarget(ctx context.Context, code string) (webhookKey, chatID string, err error) {
	var g UnitGroup
	err = s.DB.WithContext(ctx).Joins("JOIN units ON units.id = unit_groups.unit_id").
		Where("units.code = ?", code).Take(&g).Error
	if err == gorm.ErrRecordNotFound {
		return "", "", Errorf(ENotFound, "单位 %s 没有设置工作群", code)
	}
	if err != nil {
		return "", "", fmt.Errorf("models: group target: %w", err)
	}
	return g.WebhookKey, g.ChatID, nil
}

// migrate72 adds units' WeCom groups.
func migrate72(db *gorm.DB) error {
	type unitGroup struct {
		UnitID     uint   `gorm:"primaryKey;autoIncrement:false"`
		WebhookKey string `gorm:"size:128;not null;default:''"`
		ChatID     string `gorm:"size:64;not null;default:''"`
		UpdatedAt  time.Time
	}
	return db.Table("unit_groups").AutoMigrate(&unitGroup{})
}
