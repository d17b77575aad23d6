package models

import (
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
)

// CampaignOn returns the campaign running on day d (the latest started), or nil.
func (tx *Tx) CampaignOn(d Date) (*Campaign, error) {
	var c Campaign
	err := tx.DB.Where("starts_on <= ? AND (ends_on IS NULL OR ends_on >= ?)", d, d).Order("starts_on DESC").Take(&c).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: campaign on %s: %w", d, err)
	}
	return &c, nil
}

// Campaigns returns every campaign, newest first.
func (tx *Tx) Campaigns() ([]Campaign, error) {
	return tx.cachedCampaigns(func() ([]Campaign, error) {
		var list []Campaign
		err := tx.DB.Order("starts_on DESC").Find(&list).Error
		return list, err
	})
}

// DeadlineList decodes the campaign's report deadlines.
func (c *Campaign) DeadlineList() []CampaignDeadline {
	var out []CampaignDeadline
	_ = json.Unmarshal([]byte(c.Deadlines), &out)
	return out
}
