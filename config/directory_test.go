package config

import (
	"slices"
	"strings"
	"testing"
)

func TestShiyanDirectory(t *testing.T) {
	d, err := ParseDirectory(ShiyanDirectory)
	if err != nil {
		t.Fatalf("ParseDirectory(ShiyanDirectory): %v", err)
	}
	if len(d.Units) != 1 || d.Units[0].Code != "shiyan" || d.Units[0].Kind != "committee" || d.Units[0].Name != "十堰市安委会" {
		t.Fatalf("top units = %+v, want only 十堰市安委会 (shiyan, committee)", d.Units)
	}

	var regions, sectors []string
	codes := map[string]string{} // code → kind, over the whole tree
	var walk func([]UnitSpec)
	walk = func(us []UnitSpec) {
		for _, u := range us {
			if _, dup := codes[u.Code]; dup {
				t.Errorf("unit code %s appears twice", u.Code)
			}
			codes[u.Code] = u.Kind
			if u.Line == 0 {
				t.Errorf("unit %s has no line number", u.Code)
			}
			walk(u.Children)
		}
	}
	walk(d.Units)
	for _, u := range d.Units[0].Children {
		switch u.Kind {
		case "region":
			regions = append(regions, u.Code)
		case "special_committee":
			if u.Sector == "" {
				t.Errorf("special committee %s has no sector", u.Code)
			}
			sectors = append(sectors, u.Sector)
		}
	}
	wantRegions := []string{"maojian", "zhangwan", "yunyang", "danjiangkou", "yunxi", "zhushan", "zhuxi", "fangxian", "kaifaqu", "wudangshan"}
	if !slices.Equal(regions, wantRegions) {
		t.Errorf("regions = %v, want %v", regions, wantRegions)
	}
	wantSectors := []string{"燃气", "非煤矿山", "危险化学品", "工贸", "建设", "消防", "交通", "特种设备", "烟花爆竹"}
	if !slices.Equal(sectors, wantSectors) {
		t.Errorf("special committee sectors = %v, want %v", sectors, wantSectors)
	}

	roles := map[string]bool{}
	users := map[string]UserSpec{}
	for _, u := range d.Users {
		users[u.UserID] = u
		for _, r := range u.Roles {
			roles[r] = true
		}
		if _, ok := codes[u.Unit]; !ok {
			t.Errorf("user %s is in unknown unit %s", u.UserID, u.Unit)
		}
	}
	for _, r := range []string{"inspector", "contact", "supervisor", "leader", "admin"} {
		if !roles[r] {
			t.Errorf("no demo user has role %s", r)
		}
	}
	if u := users["lisi"]; codes[u.Unit] != "enterprise" {
		t.Errorf("lisi should be the contact of the demo enterprise, is in %s", u.Unit)
	}
	for code, kind := range codes {
		if kind == "enterprise" && !strings.HasPrefix(code, "demo_") {
			t.Errorf("enterprise %s is not marked as a demo", code)
		}
	}

	if len(d.Campaigns) != 1 {
		t.Fatalf("campaigns = %+v, want the 2023 spring offensive", d.Campaigns)
	}
	c := d.Campaigns[0]
	if c.Code != "spring2023" || c.Start != "2023-02-23" || c.End != "2023-05-31" {
		t.Errorf("campaign = %+v", c)
	}
	want := []DeadlineSpec{
		{Name: "工作方案报送市安委办", By: "2023-03-02"},
		{Name: "月报动态更新", Monthly: 28},
		{Name: "工作总结报送市安委办", By: "2023-06-10"},
	}
	if len(c.Deadlines) != len(want) {
		t.Fatalf("deadlines = %+v, want %+v", c.Deadlines, want)
	}
	for i, dl := range c.Deadlines {
		dl.Line = 0
		if dl != want[i] {
			t.Errorf("deadline %d = %+v, want %+v", i, dl, want[i])
		}
	}
}

func TestParseDirectoryErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown top-level key", "units: []\nuser: []\n", `line 2: unknown key "user"`},
		{"unknown unit key deep in the tree", "units:\n  - code: a\n    name: A\n    kind: committee\n    children:\n      - {code: b, name: B, kind: town, parnet: a}\n",
			`line 6: unknown key "parnet" in units[0].children[0]`},
		{"unknown user key", "users:\n  - {userid: a, name: A, unit: x, role: [admin]}\n", `line 2: unknown key "role" in users[0]`},
		{"missing unit code", "units:\n  - {name: A, kind: region}\n", `line 2: units[0] needs key "code"`},
		{"missing user unit", "users:\n  - {userid: a, name: A}\n", `line 2: users[0] needs key "unit"`},
		{"roles not a list", "users:\n  - {userid: a, name: A, unit: x, roles: {a: b}}\n", "line 2: cannot unmarshal"},
		{"bad yaml", "units: [\n", "did not find expected"},
		{"campaign bad date", "campaigns:\n  - {code: c, name: C, start: 2023-2-23, end: 2023-05-31}\n",
			`line 2: campaign c start must be a date like 2023-02-23, got "2023-2-23"`},
		{"deadline with both", "campaigns:\n  - code: c\n    name: C\n    start: 2023-02-23\n    end: 2023-05-31\n    deadlines:\n      - {name: 月报, by: 2023-03-01, monthly: 28}\n",
			`line 7: deadline "月报" needs exactly one of by`},
		{"deadline with neither", "campaigns:\n  - code: c\n    name: C\n    start: 2023-02-23\n    end: 2023-05-31\n    deadlines:\n      - {name: 月报}\n",
			`line 7: deadline "月报" needs exactly one of by`},
		{"deadline day out of range", "campaigns:\n  - code: c\n    name: C\n    start: 2023-02-23\n    end: 2023-05-31\n    deadlines:\n      - {name: 月报, monthly: 32}\n",
			"monthly must be a day of the month from 1 to 31, got 32"},
		{"deadline bad date", "campaigns:\n  - code: c\n    name: C\n    start: 2023-02-23\n    end: 2023-05-31\n    deadlines:\n      - {name: 方案, by: 3月2日}\n",
			`by must be a date like 2023-03-02, got "3月2日"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDirectory([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseDirectory succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseDirectoryShapeOnly(t *testing.T) {
	// Semantics (unknown unit, unknown kind or role) are for models; shape is fine here.
	d, err := ParseDirectory([]byte("units:\n  - {code: a, name: A, kind: spaceship}\nusers:\n  - {userid: u, name: U, unit: nowhere, roles: [king]}\n"))
	if err != nil {
		t.Fatalf("ParseDirectory: %v", err)
	}
	if d.Users[0].Unit != "nowhere" || d.Users[0].Line != 4 || d.Units[0].Line != 2 {
		t.Errorf("parsed %+v", d)
	}
	if d, err := ParseDirectory(nil); err != nil || len(d.Units) != 0 {
		t.Errorf("empty file: %+v, %v", d, err)
	}
}
