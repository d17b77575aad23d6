package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestUnverifiedUnitsMerge: hazards reported against a unit nobody typed in
// create it unverified; the admin lists it, merges it into the unit it
// really is (hazards and users move, one event per hazard, nothing lost)
// or confirms another.
func TestUnverifiedUnitsMerge(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		report := func(title, unit string) hazardOut {
			var h hazardOut
			e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": title, "description": "内容",
				"region": "maojian", "unit": unit, "sector": "燃气", "deadline": "2023-03-31"}, 201, &h)
			return h
		}
		h1 := report("燃气管道锈蚀", "茅箭区燃气抢修队（临时）")
		h2 := report("阀门井积水", "茅箭区燃气抢修队")
		report("后厨软管老化", "人民南路饭店")
		if h1.State != models.StateRectifying {
			t.Fatalf("hazard for a new unit is %s, want rectifying", h1.State)
		}
		type unitsOut struct {
			Items []struct {
				Code       string          `json:"code"`
				Name       string          `json:"name"`
				Kind       models.UnitKind `json:"kind"`
				Parent     string          `json:"parent"`
				Unverified bool            `json:"unverified"`
			} `json:"items"`
		}
		var list unitsOut
		e.admin("GET", "/api/v1/units?unverified=true", nil, 200, &list)
		if len(list.Items) != 2 || list.Items[0].Name != "茅箭区燃气抢修队（临时）" || list.Items[0].Parent != "maojian" ||
			!list.Items[0].Unverified || list.Items[1].Name != "人民南路饭店" || list.Items[1].Kind != models.KindEnterprise {
			t.Fatalf("unverified units = %+v", list.Items)
		}
		ghost, restaurant := list.Items[0].Code, list.Items[1].Code
		// A contact bound to the new unit moves with it.
		e.admin("POST", "/api/v1/users", map[string]any{"userid": "xiaoli", "name": "小李", "unit": ghost, "roles": []string{"contact"}}, 200, nil)

		if status, code := e.errorCode("POST", "/api/v1/units/"+ghost+"/merge", map[string]any{"into": "nowhere"}); status != 400 || code != models.EInvalid {
			t.Fatalf("merge into an unknown unit: %d %s", status, code)
		}
		var merged struct {
			Hazards []string `json:"hazards"`
			Users   int      `json:"users"`
		}
		e.admin("POST", "/api/v1/units/"+ghost+"/merge", map[string]any{"into": "maojian_yjj", "actor": "admin"}, 200, &merged)
		if len(merged.Hazards) != 2 || merged.Users != 1 {
			t.Fatalf("merge moved %+v", merged)
		}
		if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("counts after merge: %v %v", diffs, err)
		}
		var yjj uint
		s.InTx(ctx, func(tx *models.Tx) error {
			u, err := tx.FindUnitByCode("maojian_yjj")
			yjj = u.ID
			return err
		})
		for _, no := range []string{h1.Number, h2.Number} {
			h := e.hazard(no)
			if h.UnitID == nil || *h.UnitID != yjj || h.State != models.StateRectifying {
				t.Fatalf("hazard %s after merge: unit %v state %s", no, h.UnitID, h.State)
			}
			var events []models.Event
			s.InTx(ctx, func(tx *models.Tx) error {
				events, _ = tx.Events(h.ID, 0)
				return nil
			})
			if len(events) != 2 || events[0].Action != models.ActMergeUnit || events[0].ActorID != "admin" ||
				events[0].Note != "茅箭区燃气抢修队（临时） 合并到 茅箭区应急管理局" {
				t.Fatalf("events of %s: %+v", no, events)
			}
		}
		var users struct {
			Items []models.User `json:"items"`
		}
		e.admin("GET", "/api/v1/users", nil, 200, &users)
		for _, u := range users.Items {
			if u.UserID == "xiaoli" && u.UnitID != yjj {
				t.Fatalf("contact stayed on the merged unit: %+v", u)
			}
		}
		e.admin("POST", "/api/v1/units/"+restaurant+"/confirm", map[string]any{"name": "人民南路饭店（茅箭区）"}, 200, nil)
		e.admin("GET", "/api/v1/units?unverified=true", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("after merge and confirm, unverified = %+v", list.Items)
		}
	})
}

// TestDeactivateUnitWithOpenHazards: a careless admin deactivating a unit
// that open hazards still name (as responsible unit, county or committee)
// would leave them with nobody who may act (its people become strangers)
// while notices keep going to them. It is refused, saying which hazards and
// how to move them (merge), whether by the deactivate route, by saving the
// unit inactive, or by a directory file; nothing changes. A unit whose
// hazards are all closed may go.
func TestDeactivateUnitWithOpenHazards(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		var h hazardOut
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "燃气管道锈蚀", "description": "内容",
			"region": "maojian", "unit": "demo_gas", "sector": "燃气", "deadline": "2023-03-31"}, 201, &h)
		refused := func(what, method, path string, body any) {
			t.Helper()
			status, b := e.api(method, path, adminToken, body)
			var ae apiError
			_ = json.Unmarshal(b, &ae)
			if status != 409 || ae.Code != models.EConflict || !strings.Contains(ae.Message, h.Number) || !strings.Contains(ae.Message, "合并") {
				t.Errorf("%s: %d %s, want 409 naming %s and 合并", what, status, b, h.Number)
			}
		}
		refused("deactivate the responsible unit", "POST", "/api/v1/units/demo_gas/deactivate", nil)
		refused("deactivate the county", "POST", "/api/v1/units/maojian/deactivate", nil)
		off := false
		var gas models.Unit
		_ = s.InTx(ctx, func(tx *models.Tx) error { u, err := tx.FindUnitByCode("demo_gas"); gas = *u; return err })
		refused("save the unit inactive", "POST", "/api/v1/units", models.UnitSpec{Code: "demo_gas", Name: gas.Name, Kind: gas.Kind, Active: &off})
		for _, code := range []string{"demo_gas", "maojian"} {
			var u models.Unit
			_ = s.InTx(ctx, func(tx *models.Tx) error { x, err := tx.FindUnitByCode(code); u = *x; return err })
			if !u.Active {
				t.Errorf("%s deactivated after the refusal", code)
			}
		}
		// lisi, demo_gas's contact, still acts on the hazard.
		e.admin("POST", "/api/v1/hazards/"+h.Number+"/transitions", map[string]any{"actor": "lisi", "action": "accept"}, 200, nil)

		// Closed, the hazard no longer holds the unit.
		e.admin("POST", "/api/v1/hazards/"+h.Number+"/transitions", map[string]any{"actor": "lisi", "action": "submit", "note": "已更换"}, 200, nil)
		e.admin("POST", "/api/v1/hazards/"+h.Number+"/transitions", map[string]any{"actor": "wangwu", "action": "pass"}, 200, nil)
		var u models.Unit
		e.admin("POST", "/api/v1/units/demo_gas/deactivate", nil, 200, &u)
		if u.Active {
			t.Fatal("demo_gas still active")
		}
	})
}

// TestInvisibleCharactersInNames: a name pasted from a web page or a file
// often carries characters nobody sees — a zero-width space, a byte-order
// mark, a soft hyphen, a right-to-left override. The directory's 茅箭区应急管理局
// with one of them is still that unit: before, each made a new unverified
// unit that looked exactly like the real one, and the hazard went to it
// instead of to the real unit's contacts. Nor does a new unit's name or a
// hazard's text keep them (a right-to-left override turns a title around on
// every screen it is shown on).
func TestInvisibleCharactersInNames(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		var yjj models.Unit
		_ = s.InTx(ctx, func(tx *models.Tx) error { u, err := tx.FindUnitByCode("maojian_yjj"); yjj = *u; return err })
		for _, name := range []string{"茅箭区应急管理局\u200b", "\ufeff茅箭区应急管理局", "茅箭区\u200d应急管理局", "茅箭区应急\u00ad管理局", "\u202a茅箭区应急管理局\u202c"} {
			var h struct {
				UnitID *uint  `json:"unit_id"`
				Title  string `json:"title"`
			}
			e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "\u202e配电箱" + name, "description": "内容\u200b",
				"region": "maojian", "unit": name, "sector": "燃气", "deadline": "2023-03-31", "force": true}, 201, &h)
			if h.UnitID == nil || *h.UnitID != yjj.ID {
				t.Errorf("%+q went to unit %v, want %s (%d)", name, h.UnitID, yjj.Code, yjj.ID)
			}
			if h.Title != "配电箱茅箭区应急管理局" {
				t.Errorf("title kept invisible characters: %+q", h.Title)
			}
		}
		var list struct {
			Items []struct{ Name string } `json:"items"`
		}
		e.admin("GET", "/api/v1/units?unverified=true", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Errorf("look-alike units created: %+q", list.Items)
		}
		// A new unit is created under its visible name.
		var h struct {
			UnitID *uint `json:"unit_id"`
		}
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "后厨软管老化", "description": "内容",
			"region": "maojian", "unit": "人民南路\u200b饭店\ufeff", "sector": "燃气", "deadline": "2023-03-31"}, 201, &h)
		e.admin("GET", "/api/v1/units?unverified=true", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Name != "人民南路饭店" {
			t.Errorf("new unit = %+q, want 人民南路饭店", list.Items)
		}

		// A ledger file (a BOM, a pasted zero-width space) goes to the real
		// unit, and importing it again still changes nothing.
		csv := "\ufeff序号,重点隐患,隐患内容,检查日期,整改措施,责任单位,县市区,市级专委会督办销号,整改时限,备注\n" +
			"1,阀门井积水\u200b,阀门井内积水,2023-02-23,抽排,茅箭区应急管理局\u200b,茅箭区,,2023-03-31,\n"
		var r struct {
			Created   int `json:"created"`
			Unchanged int `json:"unchanged"`
		}
		e.admin("POST", "/api/v1/ledger/import?dry_run=false&actor=admin&name=ledger.csv", []byte(csv), 200, &r)
		if r.Created != 1 {
			t.Fatalf("first import %+v", r)
		}
		e.admin("POST", "/api/v1/ledger/import?dry_run=false&actor=admin&name=ledger.csv", []byte(csv), 200, &r)
		if r.Created != 0 || r.Unchanged != 1 {
			t.Errorf("second import %+v, want the row unchanged", r)
		}
		var found struct {
			Items []struct {
				Title  string `json:"title"`
				UnitID *uint  `json:"unit_id"`
			} `json:"items"`
		}
		e.admin("GET", "/api/v1/hazards?unit=maojian_yjj", nil, 200, &found)
		if n := len(found.Items); n == 0 || found.Items[n-1].Title != "阀门井积水" {
			t.Errorf("imported hazard under maojian_yjj: %+v", found.Items)
		}
		e.admin("GET", "/api/v1/units?unverified=true", nil, 200, &list)
		if len(list.Items) != 1 {
			t.Errorf("the import made a look-alike unit: %+q", list.Items)
		}
	})
}

// TestSaveUnitKeepsSectorWhenAbsent: renaming a special committee through
// POST /api/v1/units without a sector field keeps its sector, as a missing
// parent keeps the parent; before, it was wiped and the committee no longer
// answered for its sector. An explicit "" clears it.
func TestSaveUnitKeepsSectorWhenAbsent(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		sector := func() string {
			t.Helper()
			var u *models.Unit
			if err := s.InTx(ctx, func(tx *models.Tx) (err error) { u, err = tx.FindUnitByCode("zwh_gas"); return }); err != nil {
				t.Fatal(err)
			}
			return u.Sector
		}
		if got := sector(); got != "燃气" {
			t.Fatalf("zwh_gas sector %q before", got)
		}
		e.admin("POST", "/api/v1/units", map[string]any{"code": "zwh_gas", "name": "市燃气安全专委会", "kind": "special_committee"}, 200, nil)
		if got := sector(); got != "燃气" {
			t.Fatalf("sector after a save without it: %q, want 燃气 kept", got)
		}
		var committee *models.Unit
		if err := s.InTx(ctx, func(tx *models.Tx) (err error) { committee, err = tx.CommitteeForSector("燃气"); return }); err != nil || committee == nil || committee.Code != "zwh_gas" {
			t.Fatalf("committee for 燃气: %+v %v", committee, err)
		}
		e.admin("POST", "/api/v1/units", map[string]any{"code": "zwh_gas", "name": "市燃气安全专委会", "kind": "special_committee", "sector": ""}, 200, nil)
		if got := sector(); got != "" {
			t.Fatalf("sector after an explicit empty one: %q, want cleared", got)
		}
	})
}

// TestDirectoryCodesAndUserids: a unit code is part of every unit route
// and of file names (a weekly ledger is <date>-<code>.xlsx), so it is
// letters, digits, _ and - (as the shipped directory's and the unverified
// units' new-… are); a userid is what WeCom allows (letters, digits, _ - .
// @, 1–64). Anything else is refused with 400 and a Chinese message, by
// the API and by a directory file alike; nothing is written.
func TestDirectoryCodesAndUserids(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		refused := func(what, path string, body any, want string) {
			t.Helper()
			status, b := e.api("POST", path, adminToken, body)
			var ae apiError
			_ = json.Unmarshal(b, &ae)
			if status != 400 || ae.Code != models.EInvalid || !strings.Contains(ae.Message, want) {
				t.Errorf("%s: %d %s, want 400 saying %s", what, status, b, want)
			}
		}
		for _, code := range []string{"../../x", "a/b", "a b", "茅箭", "x\x00y", "a.b"} {
			refused("unit code "+strconvQuote(code), "/api/v1/units", map[string]any{"code": code, "name": "某单位", "kind": "department", "parent": "maojian"}, "单位代码")
		}
		for _, id := range []string{"zhang\x00san", "a/b", "张三", "a b", strings.Repeat("a", 65), "wx:"} {
			refused("userid "+strconvQuote(id), "/api/v1/users", map[string]any{"userid": id, "name": "某人", "unit": "maojian", "roles": []string{"inspector"}}, "userid")
		}
		refused("a directory file", "/api/v1/directory", []byte("units:\n  - {code: \"a/b\", name: 某委员会, kind: committee}\n"), "单位代码")
		refused("a directory file's user", "/api/v1/directory",
			[]byte("units:\n  - {code: shiyan, name: 十堰市安委会, kind: committee}\nusers:\n  - {userid: \"../x\", name: 某人, unit: shiyan, roles: [admin]}\n"), "userid")
		var users struct {
			Items []models.User `json:"items"`
		}
		e.admin("GET", "/api/v1/users", nil, 200, &users)
		for _, u := range users.Items {
			if strings.ContainsAny(u.UserID, "/\x00 ") {
				t.Errorf("user %q was written", u.UserID)
			}
		}
		// What WeCom and the shipped directory use still goes in.
		e.admin("POST", "/api/v1/units", map[string]any{"code": "maojian-yjj_2", "name": "茅箭区某局", "kind": "department", "parent": "maojian"}, 200, nil)
		for _, id := range []string{"zhang.san@shiyan", "Li_Si-2", strings.Repeat("a", 64)} {
			e.admin("POST", "/api/v1/users", map[string]any{"userid": id, "name": "某人", "unit": "maojian", "roles": []string{"inspector"}}, 200, nil)
		}
	})
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }
