package models

import (
	"context"
	"fmt"

	"hazardbot/config"
)

// DirectoryFromFile turns a parsed directory file into the units (parents
// first), users and campaigns to import. Errors name the file line.
func DirectoryFromFile(d *config.Directory) (DirectoryInput, error) {
	var in DirectoryInput
	var walk func(parent string, list []config.UnitSpec)
	walk = func(parent string, list []config.UnitSpec) {
		for _, u := range list {
			// A file says all there is: a unit written without a sector has none.
			in.Units = append(in.Units, UnitSpec{Code: u.Code, Name: u.Name, Kind: UnitKind(u.Kind), Parent: parent, Sector: &u.Sector})
			walk(u.Code, u.Children)
		}
	}
	walk("", d.Units)
	for _, u := range d.Users {
		in.Users = append(in.Users, UserSpec{UserID: u.UserID, Name: u.Name, Unit: u.Unit, Roles: u.Roles, Mobile: u.Mobile})
	}
	for _, c := range d.Campaigns {
		start, err := ParseDate(c.Start)
		if err != nil {
			return in, Errorf(EInvalid, "第%d行：活动 %s 的开始日期 %s 不对", c.Line, c.Code, c.Start)
		}
		end, err := ParseDate(c.End)
		if err != nil {
			return in, Errorf(EInvalid, "第%d行：活动 %s 的结束日期 %s 不对", c.Line, c.Code, c.End)
		}
		spec := CampaignSpec{Code: c.Code, Name: c.Name, Start: start, End: end}
		for _, dl := range c.Deadlines {
			cd := CampaignDeadline{Name: dl.Name, MonthlyDay: dl.Monthly}
			if dl.By != "" {
				if cd.Date, err = ParseDate(dl.By); err != nil {
					return in, Errorf(EInvalid, "第%d行：报送节点 %s 的日期 %s 不对", dl.Line, dl.Name, dl.By)
				}
			}
			spec.Deadlines = append(spec.Deadlines, cd)
		}
		in.Campaigns = append(in.Campaigns, spec)
	}
	return in, nil
}

// ImportDirectoryFile parses a directory file and imports it in one
// transaction: all of it, or (on any error) nothing.
func (s *Store) ImportDirectoryFile(ctx context.Context, data []byte) (ImportResult, error) {
	d, err := config.ParseDirectory(data)
	if err != nil {
		return ImportResult{}, Errorf(EInvalid, "通讯录文件有误：%v", err)
	}
	in, err := DirectoryFromFile(d)
	if err != nil {
		return ImportResult{}, err
	}
	var r ImportResult
	err = s.InTx(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.ImportDirectory(in)
		return err
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("models: import directory: %w", err)
	}
	return r, nil
}
