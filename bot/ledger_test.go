package bot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hazardbot/bot"
	"hazardbot/bot/report"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

const ledgerHeader = "序号,重点隐患,隐患内容,检查日期,整改措施,责任单位,县市区,市级专委会督办销号,整改时限,备注\n"

func readLedger(t *testing.T, csv string) *report.ImportResult {
	t.Helper()
	res, err := report.ReadLedger(strings.NewReader(csv), "台账.csv")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readLedgerFile reads a ledger from testdata.
func readLedgerFile(t *testing.T, name string) *report.ImportResult {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := report.ReadLedger(bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func countHazards(t *testing.T, s *models.Store) int64 {
	t.Helper()
	var n int64
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		n, err = tx.CountHazards(models.HazardFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func countRows(t *testing.T, s *models.Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func actions(li *bot.LedgerImport) map[string]int {
	out := map[string]int{}
	for _, r := range li.Rows {
		out[r.Action]++
	}
	return out
}

// TestImportCountyLedger imports a county's ledger typed by hand the way
// offices do (testdata/county_ledger.xlsx, and the same sheet saved by
// Excel as a GBK CSV): the 附件 label, title and 填报 rows, the two-row
// header, a date cell and dates written 2023.3.1, 3月6日, 3.6, 2023年3月2日,
// 2023/3/3 and 12月20日 (last winter: before the sheet's 填报时间), the
// county with and without 安委会, committees in their short form, units
// nobody typed into the directory, blank and "......" rows and the 情况小结
// footer. It goes in whole; importing it again, from either file, changes
// nothing.
func TestImportCountyLedger(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.clock.Add(10 * 24 * 3600e9) // 11 March 2023, the day after 填报时间
		xlsx := readLedgerFile(t, "county_ledger.xlsx")
		if len(xlsx.Errors) != 0 || len(xlsx.Rows) != 10 {
			t.Fatalf("read %d rows, errors %v; want 10 rows", len(xlsx.Rows), xlsx.Errors)
		}

		t.Run("only an admin may import", func(t *testing.T) {
			if _, err := c.b.ImportLedger(ctx, "wangwu", xlsx, true); models.ErrorCode(err) != models.EForbidden {
				t.Fatalf("err = %v, want forbidden", err)
			}
		})

		wantNew := []string{"郧阳区某加油站", "郧阳区应急管理局", "人民南路饭店", "郧阳区交通运输局", "郧阳区市场监督管理局",
			"城关镇", "郧阳区某供热站", "十堰某铝业有限公司（郧阳厂区）", "郧阳区某建设工程项目部"}
		directory := countRows(t, s, "units")
		t.Run("dry run says row by row what will happen and writes nothing", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", xlsx, true)
			if err != nil {
				t.Fatal(err)
			}
			if !li.DryRun || len(li.Errors) != 0 || actions(li)[bot.RowCreate] != 10 {
				t.Fatalf("dry run = %+v", li)
			}
			var names []string
			for _, u := range li.NewUnits {
				names = append(names, u.Name)
				if u.County != "郧阳区" {
					t.Errorf("new unit %+v not under 郧阳区", u)
				}
			}
			if strings.Join(names, "、") != strings.Join(wantNew, "、") {
				t.Errorf("new units = %q\nwant %q", names, wantNew)
			}
			if r := li.Rows[1]; r.Unit != "十堰市某燃气有限公司（示例）" || r.UnitCreated || r.County != "郧阳区安委会" || r.Committee != "市燃气安全专业委员会" {
				t.Errorf("row 2 = %+v", r)
			}
			if n := countHazards(t, s); n != 0 {
				t.Fatalf("dry run wrote %d hazards", n)
			}
			if n := countRows(t, s, "units"); n != directory {
				t.Fatalf("dry run left %d units, want the directory's %d", n, directory)
			}
		})

		t.Run("the real run takes every row", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", xlsx, false)
			if err != nil {
				t.Fatal(err)
			}
			if li.Created != 10 || len(li.NewUnits) != len(wantNew) {
				t.Fatalf("import = %+v", li)
			}
			byTitle := map[string]*models.Hazard{}
			for _, r := range li.Rows {
				byTitle[r.Title] = c.hazard(r.Number)
			}
			for _, w := range []struct {
				title                string
				inspection, deadline models.Date
			}{
				{"加油站卸油区未设静电接地", models.NewDate(2023, 3, 1), models.NewDate(2023, 3, 15)},
				{"燃气管道穿越卧室", models.NewDate(2023, 3, 1), models.NewDate(2023, 3, 31)},
				{"矿山边坡浮石", models.NewDate(2023, 3, 6), models.NewDate(2023, 4, 30)},
				{"消防通道堵塞", models.NewDate(2023, 3, 6), models.NewDate(2023, 3, 10)},
				{"危货运输车辆超载", models.NewDate(2023, 3, 2), models.NewDate(2023, 3, 20)},
				{"电梯维保记录缺失", models.NewDate(2023, 3, 3), models.NewDate(2023, 3, 31)},
				{"供暖锅炉安全阀失效", models.NewDate(2022, 12, 20), models.NewDate(2023, 1, 10)},
			} {
				h := byTitle[w.title]
				if h == nil || h.InspectionDate != w.inspection || h.Deadline != w.deadline || h.State != models.StateRectifying ||
					h.RegionID == nil || h.CommitteeID == nil || h.UnitID == nil {
					t.Errorf("%s = %+v\nwant inspected %v, deadline %v, rectifying, with county, committee and unit", w.title, h, w.inspection, w.deadline)
				}
			}
			if h := byTitle["供暖锅炉安全阀失效"]; h.Year != 2022 {
				t.Errorf("last winter's hazard numbered %s", h.Number)
			}
			if h := byTitle["消防通道堵塞"]; h.Remarks != "现场已责令清理" || h.Sector != "消防" {
				t.Errorf("消防通道堵塞 = %+v", h)
			}
			if u := c.unitOf(byTitle["消防通道堵塞"]); !u.Unverified || u.Kind != models.KindEnterprise {
				t.Errorf("人民南路饭店 = %+v", u)
			}
			if u := c.unitOf(byTitle["烟花爆竹违规储存"]); !u.Unverified || u.Kind != models.KindTown {
				t.Errorf("城关镇 = %+v", u)
			}
		})

		// The pre-aggregated counts follow the batched creation exactly.
		if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("counts after import: %v %v", diffs, err)
		}
		hazards, events, units := countHazards(t, s), countRows(t, s, "events"), countRows(t, s, "units")
		for _, again := range []struct {
			name string
			file string
		}{{"the .xlsx again", "county_ledger.xlsx"}, {"its CSV in GBK", "county_ledger_gbk.csv"}} {
			t.Run(again.name+" changes nothing", func(t *testing.T) {
				res := readLedgerFile(t, again.file)
				for _, dry := range []bool{true, false} {
					li, err := c.b.ImportLedger(ctx, "admin", res, dry)
					if err != nil {
						t.Fatal(err)
					}
					if a := actions(li); a[bot.RowUnchanged] != 10 || len(li.NewUnits) != 0 || len(li.Errors) != 0 {
						t.Fatalf("dry run %v: %v, new units %v, errors %v", dry, a, li.NewUnits, li.Errors)
					}
				}
				if h, e, u := countHazards(t, s), countRows(t, s, "events"), countRows(t, s, "units"); h != hazards || e != events || u != units {
					t.Fatalf("hazards %d→%d, events %d→%d, units %d→%d", hazards, h, events, e, units, u)
				}
			})
		}

		t.Run("a changed cell updates its hazard", func(t *testing.T) {
			csv := ledgerHeader + "1,矿山边坡浮石,采场东侧边坡有浮石未清理,2023-03-06,,郧阳区应急管理局,郧阳区,,2023-05-15,\n"
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, csv), false)
			if err != nil {
				t.Fatal(err)
			}
			if len(li.Rows) != 1 || li.Rows[0].Action != bot.RowUpdate || li.Updated != 1 {
				t.Fatalf("import = %+v", li)
			}
			h := c.hazard(li.Rows[0].Number)
			if h.Deadline != models.NewDate(2023, 5, 15) || h.Measures != "清理浮石，设置警示标志" {
				t.Fatalf("updated hazard = %+v (an empty 整改措施 cell must not erase it)", h)
			}
			if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
				t.Fatalf("counts after update: %v %v", diffs, err)
			}
		})

		t.Run("the exported ledger has every 检查日期 as a date cell and re-imports unchanged", func(t *testing.T) {
			var buf bytes.Buffer
			err := s.InTx(ctx, func(tx *models.Tx) error {
				meta, err := report.MetaFor(tx, nil, models.Date{}, models.Date{})
				if err != nil {
					return err
				}
				return report.WriteHazardLedger(tx, models.HazardFilter{}, meta, &buf)
			})
			if err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(report.SheetName, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for i := 4; i < len(rows) && !strings.HasPrefix(rows[i][0], "情况小结"); i++ {
				n++
				cell := "D" + strconv.Itoa(i+1)
				v := rows[i][3]
				if _, err := strconv.Atoi(v); err != nil {
					t.Errorf("%s 检查日期 = %q, not a date serial", cell, v)
				}
				style, err := f.GetCellStyle(report.SheetName, cell)
				if err != nil {
					t.Fatal(err)
				}
				st, err := f.GetStyle(style)
				if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != report.DateFormat {
					t.Errorf("%s is not formatted as a date: %+v %v", cell, st, err)
				}
			}
			if n != 10 {
				t.Fatalf("export has %d hazard rows, want 10", n)
			}
			res, err := report.ReadLedger(bytes.NewReader(buf.Bytes()), "导出.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			li, err := c.b.ImportLedger(ctx, "admin", res, true)
			if err != nil {
				t.Fatal(err)
			}
			if a := actions(li); a[bot.RowUnchanged] != 10 {
				t.Fatalf("re-importing the export: %v %v", a, li.Errors)
			}
		})
	})
}

// TestImportLedgerRefusals: a row the directory cannot place (a county
// that does not exist) is an error naming the cell; a real run with any
// error writes nothing, not even the units it would have created.
func TestImportLedgerRefusals(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		bad := ledgerHeader +
			"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,火星燃气公司,火星区,,2023-03-31,\n" +
			"2,消防通道堵塞,楼道堆放杂物,2023-02-24,,某新开饭店,张湾区,市消防专委会,2023-03-20,\n" +
			"3,配电箱未接地,配电箱无接地线,2023-02-24,,,张湾区,市火星专委会,,\n"
		units := countRows(t, s, "units")
		for _, dry := range []bool{true, false} {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, bad), dry)
			if dry && err != nil || !dry && models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("dry run %v: err = %v", dry, err)
			}
			if len(li.Errors) != 2 || li.Errors[0].Line != 2 || li.Errors[0].Column != "县市区" ||
				li.Errors[1].Line != 4 || li.Errors[1].Column != "市级专委会督办销号" {
				t.Fatalf("dry run %v: errors = %+v", dry, li.Errors)
			}
			if !strings.Contains(li.Errors[0].Message, "通讯录里没有县市区“火星区”") {
				t.Errorf("message %q", li.Errors[0].Message)
			}
		}
		if n := countHazards(t, s); n != 0 {
			t.Fatalf("refused import wrote %d hazards", n)
		}
		if n := countRows(t, s, "units"); n != units {
			t.Fatalf("refused import left %d units, had %d", n, units)
		}
	})
}

// TestImportLedgerTellsEveryBadRow: every row whose 整改时限 is before its
// 检查日期 is told, by the dry run as by the refused real run, so a clerk
// corrects the file once rather than row by row, import after import.
func TestImportLedgerTellsEveryBadRow(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		file := ledgerHeader +
			"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,茅箭区应急管理局,茅箭区,,2023-02-10,\n" +
			"2,消防通道堵塞,楼道堆放杂物,2023-02-24,清理,茅箭区应急管理局,茅箭区,,2023-03-20,\n" +
			"3,配电箱未接地,配电箱无接地线,2023-02-24,接地,张湾区应急管理局,张湾区,,2023-02-20,\n"
		want := []string{
			"第2行：整改时限（2023年2月10日）早于检查日期（2023年2月23日）",
			"第4行：整改时限（2023年2月20日）早于检查日期（2023年2月24日）",
		}
		for _, dry := range []bool{true, false} {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, file), dry)
			if dry && err != nil || !dry && models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("dry run %v: err = %v", dry, err)
			}
			var got []string
			for _, e := range li.Errors {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("dry run %v: errors\n%s\nwant\n%s", dry, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		if n := countHazards(t, s); n != 0 {
			t.Fatalf("refused import wrote %d hazards", n)
		}
	})
}

// TestImportLedgerAgainKeepsTypedTwice: the same ledger imported again
// changes nothing, also when a row was typed twice (two hazards the first
// time, flagged; the same two after) or has no 检查日期 (the hazard took
// the day of the first import).
func TestImportLedgerAgainKeepsTypedTwice(t *testing.T) {
	for _, c := range []struct {
		name, rows string
		want       int
	}{
		{"a row typed twice",
			"1,配电箱未接地,配电箱无接地线,2023-02-24,接地,茅箭区应急管理局,茅箭区,,2023-03-20,\n" +
				"2,配电箱未接地,配电箱无接地线,2023-02-24,接地,茅箭区应急管理局,茅箭区,,2023-03-20,\n", 2},
		{"a row without 检查日期",
			"1,燃气管道锈蚀,阀门井内管道锈蚀,,更换管段,茅箭区应急管理局,茅箭,,2023-03-10,\n", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
				ch := newChat(t, s)
				file := ledgerHeader + c.rows
				if li, err := ch.b.ImportLedger(ctx, "admin", readLedger(t, file), false); err != nil || li.Created != c.want {
					t.Fatalf("first import: %+v, %v", li, err)
				}
				ch.clock.Add(3 * 24 * time.Hour)
				for _, dry := range []bool{true, false} {
					li, err := ch.b.ImportLedger(ctx, "admin", readLedger(t, file), dry)
					if err != nil {
						t.Fatal(err)
					}
					if a := actions(li); a[bot.RowUnchanged] != c.want || li.Created != 0 {
						t.Errorf("dry run %v: again = %v", dry, a)
					}
				}
				if n := countHazards(t, s); n != int64(c.want) {
					t.Errorf("%d hazards after importing twice, want %d", n, c.want)
				}
			})
		})
	}
}

// TestImportLedgerTypedTwiceWithoutCounty: a row typed twice is flagged
// 疑似与第N行重复 also when it names no county (a unit only), as it is
// with one.
func TestImportLedgerTypedTwiceWithoutCounty(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		file := ledgerHeader +
			"1,配电箱未接地,配电箱无接地线,2023-02-24,接地,某建筑公司,,,2023-03-20,\n" +
			"2,配电箱未接地,配电箱无接地线,2023-02-24,接地,某建筑公司,,,2023-03-20,\n"
		li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, file), true)
		if err != nil {
			t.Fatal(err)
		}
		if len(li.Rows) != 2 || li.Rows[1].DuplicateLine != 2 || li.Rows[1].Note != "疑似与第2行重复（配电箱未接地）" {
			t.Errorf("rows = %+v", li.Rows)
		}
	})
}

// TestImportLedgerRecordedStates: a county going live imports the ledger it
// kept by hand, where many rows are long done. A new row takes the state
// its 备注 records (已销号: closed; 已整改到位, 整改完成 …: 待复查), with
// one import event saying so; it is not overdue, nobody is told of it, the
// counts stay exact and 统计 counts it as done. The dry run shows each
// row's state. A hazard already in the ledger keeps the state the system
// gave it, and importing the file or our export again changes nothing.
func TestImportLedgerRecordedStates(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		file := ledgerHeader +
			"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,茅箭区应急管理局,茅箭区,,2023-02-25,已销号\n" +
			"2,消防通道堵塞,楼道堆放杂物,2023-02-23,清理,茅箭区应急管理局,茅箭区,,2023-02-27,2月26日已整改到位\n" +
			"3,配电箱未接地,配电箱无接地线,2023-02-24,接地,茅箭区应急管理局,茅箭区,,2023-02-28,整改完成，已销号\n" +
			"4,楼梯扶手松动,扶手松动,2023-02-24,加固,茅箭区应急管理局,茅箭区,,2023-02-26,正在整改\n" +
			"5,灭火器过期,灭火器过期未更换,2023-02-23,更换,茅箭区应急管理局,茅箭区,,2023-03-20,\n" +
			"6,应急照明损坏,应急照明不亮,2023-02-23,维修,茅箭区应急管理局,茅箭区,,2023-03-20,未整改完成\n"
		want := []struct {
			state models.State
			note  string
		}{
			{models.StateClosed, "导入：台账记为已销号"},
			{models.StatePendingReview, "导入：台账记为已整改，待复查"},
			{models.StateClosed, "导入：台账记为已销号"},
			{models.StateRectifying, ""},
			{models.StateRectifying, ""},
			{models.StateRectifying, ""},
		}
		outbox := countRows(t, s, "outbox")

		t.Run("the dry run shows each row's state", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, file), true)
			if err != nil || len(li.Rows) != len(want) {
				t.Fatalf("dry run = %+v, %v", li, err)
			}
			for i, r := range li.Rows {
				if r.State != want[i].state || r.StateName != models.StateName(want[i].state) {
					t.Errorf("row %d: state %q (%s), want %q", r.Line, r.State, r.StateName, want[i].state)
				}
			}
			if n := countHazards(t, s); n != 0 {
				t.Fatalf("dry run wrote %d hazards", n)
			}
		})

		var numbers []string
		t.Run("the real run takes them, one import event each", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, file), false)
			if err != nil || li.Created != len(want) {
				t.Fatalf("import = %+v, %v", li, err)
			}
			for i, r := range li.Rows {
				numbers = append(numbers, r.Number)
				h := c.hazard(r.Number)
				evs := c.events(h)
				if h.State != want[i].state || len(evs) != 1 || evs[0].Action != models.ActImport || evs[0].Note != want[i].note {
					t.Errorf("row %d: %s, events %+v\nwant %s with one import event noted %q", r.Line, h.State, evs, want[i].state, want[i].note)
				}
			}
		})
		if n := countRows(t, s, "outbox"); n != outbox {
			t.Errorf("the import queued %d messages", n-outbox)
		}
		if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("counts after import: %v %v", diffs, err)
		}
		// Done before go-live, not today: the daily digest's 销号 and
		// 整改完成 of the day do not count them.
		if err := s.InTx(ctx, func(tx *models.Tx) error {
			day := c.clock.Now().Add(-time.Hour)
			for _, m := range []string{models.MomentRectified, models.MomentClosed} {
				if n, err := tx.CountBetween(nil, m, day, day.Add(24*time.Hour)); err != nil || n != 0 {
					t.Errorf("%s today: %d %v", m, n, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		c.expect("wangwu", "统计", "茅箭区检查发现重点隐患问题6个，已整改完成3个，已销号2个，逾期1个，整改率33.3%")

		t.Run("the same file again changes nothing, a hazard's state is the system's", func(t *testing.T) {
			c.say("wangwu", "整改 "+numbers[4]+" 已更换")
			c.say("wangwu", "复查 "+numbers[1]+" 退回 照片不清")
			events := countRows(t, s, "events")
			for _, dry := range []bool{true, false} {
				li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, file), dry)
				if err != nil {
					t.Fatal(err)
				}
				if a := actions(li); a[bot.RowUnchanged] != len(want) {
					t.Fatalf("dry run %v: %v %v", dry, a, li.Errors)
				}
			}
			if h := c.hazard(numbers[1]); h.State != models.StateRectifying {
				t.Errorf("sent back, re-imported as 已整改到位: %s", h.State)
			}
			if h := c.hazard(numbers[4]); h.State != models.StatePendingReview {
				t.Errorf("rectified, re-imported with an empty 备注: %s", h.State)
			}
			if n := countRows(t, s, "events"); n != events {
				t.Errorf("events %d→%d", events, n)
			}
		})

		t.Run("our export re-imports unchanged", func(t *testing.T) {
			var buf bytes.Buffer
			if err := s.InTx(ctx, func(tx *models.Tx) error {
				meta, err := report.MetaFor(tx, nil, models.Date{}, models.Date{})
				if err != nil {
					return err
				}
				return report.WriteHazardLedger(tx, models.HazardFilter{}, meta, &buf)
			}); err != nil {
				t.Fatal(err)
			}
			res, err := report.ReadLedger(bytes.NewReader(buf.Bytes()), "导出.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			li, err := c.b.ImportLedger(ctx, "admin", res, false)
			if err != nil {
				t.Fatal(err)
			}
			if a := actions(li); a[bot.RowUnchanged] != len(want) {
				t.Fatalf("re-importing the export: %v %v", a, li.Errors)
			}
		})
		if diffs, err := s.CheckCounts(ctx); err != nil || len(diffs) != 0 {
			t.Fatalf("counts at the end: %v %v", diffs, err)
		}
	})
}

// TestImportLedgerHiddenRows: rows hidden in the workbook are data and are
// imported, and the dry run says which they are, on the row and among its
// warnings, so the clerk is not surprised by them.
func TestImportLedgerHiddenRows(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		f := excelize.NewFile()
		defer f.Close()
		for i, v := range strings.Split(strings.TrimSpace(ledgerHeader+
			"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,茅箭区应急管理局,茅箭区,,2023-03-10,\n"+
			"2,消防通道堵塞,楼道堆放杂物,2023-02-23,清理,茅箭区应急管理局,茅箭区,,2023-03-10,\n"+
			"3,配电箱未接地,配电箱无接地线,2023-02-24,接地,茅箭区应急管理局,茅箭区,,2023-03-10,"), "\n") {
			row := strings.Split(v, ",")
			if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &row); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.SetRowVisible("Sheet1", 3, false); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		res, err := report.ReadLedger(bytes.NewReader(buf.Bytes()), "台账.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		for _, dry := range []bool{true, false} {
			li, err := c.b.ImportLedger(ctx, "admin", res, dry)
			if err != nil || len(li.Rows) != 3 {
				t.Fatalf("dry run %v: %+v %v", dry, li, err)
			}
			for _, r := range li.Rows {
				if r.Hidden != (r.Line == 3) {
					t.Errorf("dry run %v: row %d hidden %v", dry, r.Line, r.Hidden)
				}
			}
			want := []report.ImportError{{Line: 3, Message: "隐藏行，照常导入；不需要的请从文件中删除"}}
			if !slices.Equal(li.Warnings, want) {
				t.Errorf("dry run %v: warnings %+v, want %+v", dry, li.Warnings, want)
			}
		}
		if n := countHazards(t, s); n != 3 {
			t.Errorf("%d hazards, want 3", n)
		}
	})
}

// TestImportLedgerCountyAfterCityName: a county column that writes the
// city's name first (十堰市茅箭区) names the county, as it does in chat.
func TestImportLedgerCountyAfterCityName(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		file := ledgerHeader +
			"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,十堰市茅箭区应急管理局,十堰市茅箭区,,2023-03-10,\n" +
			"2,消防通道堵塞,楼道堆放杂物,2023-02-23,清理,茅箭区应急管理局,十堰市安委会茅箭区安委会,,2023-03-10,\n"
		li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, file), true)
		if err != nil || len(li.Errors) != 0 || len(li.Rows) != 2 {
			t.Fatalf("dry run = %+v, %v", li, err)
		}
		for _, r := range li.Rows {
			if r.County != "茅箭区安委会" || r.Unit != "茅箭区应急管理局" || r.UnitCreated {
				t.Errorf("row %d = %+v", r.Line, r)
			}
		}
	})
}
