package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hazardbot/bot/report"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestAdminLedgerExport(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "燃气管道锈蚀", "unit": "demo_gas", "deadline": "2023-03-31"}, 201, nil)
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "wushi", "title": "消防通道堵塞", "region": "zhangwan"}, 201, nil)
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/ledger.xlsx?scope=maojian", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		cd := resp.Header.Get("Content-Disposition")
		if !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape("重点隐患问题动态整改台账-2023-03-01.xlsx")) {
			t.Errorf("Content-Disposition %q", cd)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatalf("the export does not open: %v", err)
		}
		defer f.Close()
		rows, err := f.GetRows(report.SheetName)
		if err != nil {
			t.Fatal(err)
		}
		all := ""
		for _, r := range rows {
			all += strings.Join(r, "|") + "\n"
		}
		if !strings.Contains(all, "燃气管道锈蚀") || strings.Contains(all, "消防通道堵塞") {
			t.Fatalf("maojian's ledger holds the wrong hazards:\n%s", all)
		}
	})
	t.Run("a bad filter is refused", func(t *testing.T) {
		e := newEnv(t, modelstest.Open(t, "sqlite"))
		if status, _ := e.errorCode("GET", "/api/v1/ledger.xlsx?scope=nowhere", nil); status != 400 {
			t.Fatalf("status %d", status)
		}
	})
}

// messyCountyWorkbook is 茅箭区's ledger as its clerk keeps it in Excel: a
// notes sheet first, the 附件 label and title, the two-row header with line
// breaks and spaces inside the words and an extra 备注2 column, a heading
// row, the unit and county merged down over a group of hazards, the county
// written 茅箭, dates as date cells and as text (2023.3.15, 3月16日, …前),
// a blank 检查日期, a row typed twice, blank rows, cells with spaces and
// line breaks, a 合计 row and the 填表人 line.
func messyCountyWorkbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "填表说明"))
	must(f.SetCellValue("填表说明", "A1", "每周五下班前更新，合并单元格不影响导入"))
	const sh = "茅箭区"
	_, err := f.NewSheet(sh)
	must(err)
	cells := map[string]any{
		"A1": "附件",
		"A2": "茅箭区重点隐患问题动态整改台账",
		"A3": "填报单位（盖章）：茅箭区安委会", "H3": "填报时间：2023年3月20日",
		"A4": "序 号", "B4": "重点隐患", "C4": "隐患\n内容", "D4": "检查\n日期", "E4": "整改措施", "F4": "责任单位",
		"G4": "督办", "G5": "县市区", "H5": "市级专委会督办销号", "I4": "整改\n时限", "J4": "备注", "K4": "备注2",
		"A6": "一、燃气领域",
		"A7": 1, "B7": " 燃气管道锈蚀　", "C7": "阀门井内\n管道锈蚀", "D7": time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC),
		"E7": "更换管段", "F7": "十堰市某燃气有限公司（示例）", "G7": "茅箭", "H7": "燃气专委会", "I7": "2023.3.31", "K7": "已电话通知",
		"A8": "2", "B8": "燃气表箱破损", "C8": "表箱破损", "D8": "3月16日", "E8": "更换表箱", "I8": "2023年3月31日前",
		"A10": 3, "B10": "调压箱无警示标识", "C10": "无标识", "E10": "设置标识", "F10": "人民南路饭店", "G10": "茅箭区", "I10": "4月10日", "J10": "3月18日已整改到位",
		"A11": "二、消防领域",
		"A12": 4, "B12": "消防通道堵塞", "C12": "楼道堆放杂物", "D12": "2023/3/16", "E12": "清理", "F12": "五堰商场",
		"G12": "茅箭区", "H12": "消防专委会", "I12": "2023-03-25",
		"A13": 5, "B13": "消防通道堵塞", "C13": "楼道堆放杂物", "D13": "2023/3/16", "E13": "清理", "F13": "五堰商场",
		"G13": "茅箭区", "H13": "消防专委会", "I13": "2023-03-25",
		"A14": "合计", "B14": "5项",
		"A16": "填表人：张三", "D16": "审核人：李四", "G16": "联系电话：0719-1234567",
	}
	for ref, v := range cells {
		must(f.SetCellValue(sh, ref, v))
	}
	for _, m := range [][2]string{{"A2", "K2"}, {"G4", "H4"}, {"A6", "K6"}, {"A11", "K11"}, {"F7", "F8"}, {"G7", "G8"}, {"H7", "H8"}} {
		must(f.MergeCell(sh, m[0], m[1]))
	}
	for _, c := range "ABCDEFIJK" {
		must(f.MergeCell(sh, fmt.Sprintf("%c4", c), fmt.Sprintf("%c5", c)))
	}
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	must(err)
	return buf.Bytes()
}

// TestImportMessyCountyWorkbook: a clerk's workbook goes in whole through
// the admin API, a row its 备注 says is 已整改到位 as 待复查; the dry run
// says exactly what the real run then does, states included; the
// exported ledger and the file itself imported again change nothing.
func TestImportMessyCountyWorkbook(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		e.clock.Add(20 * 24 * time.Hour) // 21 March 2023
		type row struct {
			Line          int    `json:"line"`
			Action        string `json:"action"`
			Number        string `json:"number"`
			Title         string `json:"title"`
			Unit          string `json:"unit"`
			County        string `json:"county"`
			Committee     string `json:"committee"`
			State         string `json:"state"`
			Deadline      string `json:"deadline"`
			DuplicateLine int    `json:"duplicate_line"`
		}
		type result struct {
			Created, Updated, Unchanged int
			Rows                        []row
			Errors                      []map[string]any
		}
		upload := func(data []byte, name string, dry bool) result {
			t.Helper()
			var out result
			e.admin("POST", fmt.Sprintf("/api/v1/ledger/import?dry_run=%v&actor=admin&name=%s", dry, url.QueryEscape(name)), data, 200, &out)
			if len(out.Errors) != 0 {
				t.Fatalf("%s: errors %v", name, out.Errors)
			}
			return out
		}
		file := messyCountyWorkbook(t)
		dry := upload(file, "茅箭区台账.xlsx", true)
		real := upload(file, "茅箭区台账.xlsx", false)
		if !slices.Equal(dry.Rows, real.Rows) || dry.Created != real.Created {
			t.Errorf("the dry run said\n%+v\nthe real run did\n%+v", dry.Rows, real.Rows)
		}
		gas, fire := "十堰市某燃气有限公司（示例）", "五堰商场"
		want := []row{
			{7, "create", "YH2023-0001", "燃气管道锈蚀", gas, "茅箭区安委会", "市燃气安全专业委员会", "rectifying", "2023-03-31", 0},
			{8, "create", "YH2023-0002", "燃气表箱破损", gas, "茅箭区安委会", "市燃气安全专业委员会", "rectifying", "2023-03-31", 0},
			{10, "create", "YH2023-0003", "调压箱无警示标识", "人民南路饭店", "茅箭区安委会", "", "pending_review", "2023-04-10", 0},
			{12, "create", "YH2023-0004", "消防通道堵塞", fire, "茅箭区安委会", "市消防安全专业委员会", "rectifying", "2023-03-25", 0},
			{13, "create", "YH2023-0005", "消防通道堵塞", fire, "茅箭区安委会", "市消防安全专业委员会", "rectifying", "2023-03-25", 12},
		}
		if !slices.Equal(real.Rows, want) {
			t.Errorf("rows\n%+v\nwant\n%+v", real.Rows, want)
		}
		if h := e.hazard("YH2023-0002"); h.InspectionDate != models.NewDate(2023, 3, 16) || h.Description != "表箱破损" {
			t.Errorf("YH2023-0002 = %+v", h)
		}
		if h := e.hazard("YH2023-0001"); h.Title != "燃气管道锈蚀" || h.Description != "阀门井内\n管道锈蚀" {
			t.Errorf("YH2023-0001 = %q %q", h.Title, h.Description)
		}

		hazards, events := e.count("hazards"), e.count("events")
		export := e.admin("GET", "/api/v1/ledger.xlsx?scope=maojian", nil, 200, nil)
		for _, again := range []struct {
			name string
			data []byte
		}{{"导出台账.xlsx", export}, {"茅箭区台账.xlsx", file}} {
			for _, dry := range []bool{true, false} {
				if got := upload(again.data, again.name, dry); got.Unchanged != len(want) || got.Created+got.Updated != 0 {
					t.Errorf("%s again (dry run %v): %+v", again.name, dry, got)
				}
			}
		}
		if h, ev := e.count("hazards"), e.count("events"); h != hazards || ev != events {
			t.Errorf("importing again: hazards %d→%d, events %d→%d", hazards, h, events, ev)
		}
	})
}
