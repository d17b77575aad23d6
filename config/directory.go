package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	"gopkg.in/yaml.v3"
)

// ShiyanDirectory is the demo directory: 十堰市安委会 over the city's ten county-level committees
// and nine special committees, a few demo departments, towns and enterprises, demo users for every
// role, and the 2023 spring offensive campaign. Demo mode imports it on an empty database.
//
//go:embed directory.shiyan.yaml
var ShiyanDirectory []byte

// Directory is the directory file loaded by `hazardbot import FILE`, the admin API and demo mode:
// the unit tree, the users and the campaigns. ParseDirectory checks only its syntax and shape;
// models checks the meaning (unknown parents, kinds, roles, duplicate codes).
type Directory struct {
	// Units are the top of the unit tree; each may have children.
	Units []UnitSpec `yaml:"units"`
	// Users are the WeCom members the bot knows, each in one unit.
	Users []UserSpec `yaml:"users"`
	// Campaigns are time-boxed drives such as a spring offensive, with report deadlines.
	Campaigns []CampaignSpec `yaml:"campaigns"`
}

// UnitSpec is one unit (单位) and its subtree.
type UnitSpec struct {
	// Code is the unit's stable identifier, e.g. maojian.
	Code string `yaml:"code" required:"true"`
	// Name is the unit's full Chinese name.
	Name string `yaml:"name" required:"true"`
	// Kind is committee, region, special_committee, department, town or enterprise.
	Kind string `yaml:"kind" required:"true"`
	// Sector is, on a special committee, the sector (行业领域) it supervises, e.g. 燃气.
	Sector string `yaml:"sector,omitempty"`
	// Children are the units under this one.
	Children []UnitSpec `yaml:"children,omitempty"`
	// Line is the line of the unit in the file, so models can point at a semantic error.
	Line int `yaml:"-"`
}

// UserSpec is one WeCom member.
type UserSpec struct {
	// UserID is the WeCom userid (成员账号).
	UserID string `yaml:"userid" required:"true"`
	// Name is the person's name.
	Name string `yaml:"name" required:"true"`
	// Unit is the code of the unit the user belongs to; it sets their scope.
	Unit string `yaml:"unit" required:"true"`
	// Roles are inspector, contact, supervisor, leader and/or admin.
	Roles []string `yaml:"roles"`
	// Mobile is an optional phone number shown to other officers.
	Mobile string `yaml:"mobile,omitempty"`
	// Line is the line of the user in the file.
	Line int `yaml:"-"`
}

// CampaignSpec is a campaign (专项行动) with its dates and report deadlines.
type CampaignSpec struct {
	// Code is the campaign's stable identifier, e.g. spring2023.
	Code string `yaml:"code" required:"true"`
	// Name is the campaign's Chinese name.
	Name string `yaml:"name" required:"true"`
	// Start is the first day, YYYY-MM-DD.
	Start string `yaml:"start" required:"true"`
	// End is the last day, YYYY-MM-DD.
	End string `yaml:"end" required:"true"`
	// Deadlines are the reports units owe during the campaign.
	Deadlines []DeadlineSpec `yaml:"deadlines"`
	// Line is the line of the campaign in the file.
	Line int `yaml:"-"`
}

// DeadlineSpec is one report deadline: either a date (By) or a day of every month (Monthly).
type DeadlineSpec struct {
	// Name says what is due, e.g. 工作方案报送市安委办.
	Name string `yaml:"name" required:"true"`
	// By is a one-off due date, YYYY-MM-DD.
	By string `yaml:"by,omitempty"`
	// Monthly is a day of the month (1-31) on which the report is due every month of the campaign.
	Monthly int `yaml:"monthly,omitempty"`
	// Line is the line of the deadline in the file.
	Line int `yaml:"-"`
}

// The UnmarshalYAML methods below record the line of each entry; they decode through a
// method-less copy of the type so they do not recurse.

// UnmarshalYAML decodes a unit and records its line.
func (u *UnitSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain UnitSpec
	u.Line = n.Line
	return n.Decode((*plain)(u))
}

// UnmarshalYAML decodes a user and records its line.
func (u *UserSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain UserSpec
	u.Line = n.Line
	return n.Decode((*plain)(u))
}

// UnmarshalYAML decodes a campaign and records its line.
func (c *CampaignSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain CampaignSpec
	c.Line = n.Line
	return n.Decode((*plain)(c))
}

// UnmarshalYAML decodes a deadline and records its line.
func (d *DeadlineSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain DeadlineSpec
	d.Line = n.Line
	return n.Decode((*plain)(d))
}

// ParseDirectory parses a directory file. It rejects bad YAML, unknown or missing keys (naming
// the key and its line), values of the wrong type, malformed dates and deadlines that are not
// exactly one of by or monthly. Whether parents, units and roles exist is for models to say.
func ParseDirectory(data []byte) (*Directory, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: directory: %w", err)
	}
	d := &Directory{}
	if root.Kind == 0 {
		return d, nil
	}
	if err := checkKeys(&root, reflect.TypeFor[Directory](), "", nil); err != nil {
		return nil, fmt.Errorf("config: directory: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(d); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: directory: %w", err)
	}
	for _, c := range d.Campaigns {
		for _, f := range []struct{ key, val string }{{"start", c.Start}, {"end", c.End}} {
			if !validDate(f.val) {
				return nil, fmt.Errorf("config: directory: line %d: campaign %s %s must be a date like 2023-02-23, got %q", c.Line, c.Code, f.key, f.val)
			}
		}
		for _, dl := range c.Deadlines {
			switch {
			case (dl.By == "") == (dl.Monthly == 0):
				return nil, fmt.Errorf("config: directory: line %d: deadline %q needs exactly one of by (a date) or monthly (a day of the month)", dl.Line, dl.Name)
			case dl.By != "" && !validDate(dl.By):
				return nil, fmt.Errorf("config: directory: line %d: deadline %q by must be a date like 2023-03-02, got %q", dl.Line, dl.Name, dl.By)
			case dl.Monthly < 0 || dl.Monthly > 31:
				return nil, fmt.Errorf("config: directory: line %d: deadline %q monthly must be a day of the month from 1 to 31, got %d", dl.Line, dl.Name, dl.Monthly)
			}
		}
	}
	return d, nil
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
