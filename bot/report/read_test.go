package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"hazardbot/models"
)

// templateCSV is the attachment as Excel saves it to CSV, filled in by
// hand: title and 填报单位 rows, the two-row header, good rows, a row
// without a title, a row with impossible dates, a multi-line cell, the
// blank template's placeholder rows and the 情况小结 footer.
const templateCSV = `重点隐患问题动态整改台账,,,,,,,,,
填报单位（盖章）：茅箭区安委会,,,,,,,,,填报时间：
序号,重点隐患,隐患内容,检查日期,整改措施,责任单位,督办,,整改时限,备注
,,,,,,县市区,市级专委会督办销号,,
1,燃气管道锈蚀,阀门井内管道锈蚀,2023/2/23,更换管段,十堰市燃气公司,茅箭区,燃气专委会,2023年3月31日,
2,,商场北侧消防通道堆放杂物,2023-02-24,清理杂物,五堰商场,茅箭区,消防专委会,2023.3.1,
3,配电箱未接地,工地配电箱未接地,2023-02-30,接地,某建筑公司,茅箭区,建设专委会,明天,
4,"边坡落石
（北侧）","北侧边坡
有浮石",2023/3/2 0:00,清除浮石,某矿业公司,茅箭区,非煤矿山专委会,20230320,已停产
5,,,,,,,,,
......,,,,,,,,,
情况小结：2023年2月X日至X月X日，XX县（市、区）检查发现重点隐患问题X个，已整改完成X个，已销号X个，
1,页脚以下,不应读入,2023-01-01,,,,,,
`

var templateWant = []ImportRow{
	{Line: 5, Title: "燃气管道锈蚀", Description: "阀门井内管道锈蚀", InspectionDate: date(2023, 2, 23),
		Measures: "更换管段", Unit: "十堰市燃气公司", County: "茅箭区", Committee: "燃气专委会", Deadline: date(2023, 3, 31)},
	{Line: 8, Title: "边坡落石\n（北侧）", Description: "北侧边坡\n有浮石", InspectionDate: date(2023, 3, 2),
		Measures: "清除浮石", Unit: "某矿业公司", County: "茅箭区", Committee: "非煤矿山专委会", Deadline: date(2023, 3, 20),
		Remarks: "已停产"},
}

var templateWantErrors = []ImportError{
	{Line: 6, Column: "重点隐患", Message: "不能为空，请填写隐患名称"},
	{Line: 7, Column: "检查日期", Message: "没有2023年2月30日这一天，请检查日期"},
	{Line: 7, Column: "整改时限", Message: "“明天”不是日期，请写成 2023-03-15、2023年3月15日 或 3月15日"},
}

func TestReadLedgerCSVEncodings(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(templateCSV))
	if err != nil {
		t.Fatalf("encode GBK: %v", err)
	}
	crlf := strings.ReplaceAll(templateCSV, "\n", "\r\n")
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"UTF-8", []byte(templateCSV)},
		{"UTF-8 with BOM", append([]byte("\xEF\xBB\xBF"), templateCSV...)},
		{"GBK as Excel saves CSV in China", gbk},
		{"UTF-8 with CRLF line ends", []byte(crlf)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "GBK as Excel saves CSV in China" && bytes.Equal(c.data, []byte(templateCSV)) {
				t.Fatal("GBK bytes equal UTF-8 bytes; the case would test nothing")
			}
			res, err := ReadLedger(bytes.NewReader(c.data), "台账.csv")
			if err != nil {
				t.Fatalf("ReadLedger: %v", err)
			}
			if res.Format != "csv" {
				t.Errorf("format = %q, want csv", res.Format)
			}
			if !slices.Equal(res.Rows, templateWant) {
				t.Errorf("rows:\n got %+v\nwant %+v", res.Rows, templateWant)
			}
			if !slices.Equal(res.Errors, templateWantErrors) {
				t.Errorf("errors:\n got %+v\nwant %+v", res.Errors, templateWantErrors)
			}
		})
	}
}

func TestReadLedgerCSVShapes(t *testing.T) {
	for _, c := range []struct {
		name       string
		csv        string
		wantTitles []string
		wantErrors []string // ImportError.Error() texts
		// wantDeadlines, when set, are the rows' 整改时限.
		wantDeadlines []models.Date
	}{
		{
			name:       "flat one-row header without title rows",
			csv:        "序号,重点隐患,隐患内容,检查日期,整改措施,责任单位,县市区,市级专委会督办销号,整改时限,备注\n1,隐患甲,内容,2023-03-01,,,,,,\n",
			wantTitles: []string{"隐患甲"},
		},
		{
			name:       "tab separated with extra columns and full-width dates",
			csv:        "行业\t重点隐患\t隐患内容\t检查日期\t责任单位\t整改时限\n燃气\t隐患乙\t内容\t２０２３年３月１日\t燃气公司\t2023/3/9\n",
			wantTitles: []string{"隐患乙"},
		},
		{
			name:       "blank rows in the table are skipped",
			csv:        "重点隐患,隐患内容,责任单位\n隐患甲,内容,单位\n,,\n\n隐患丙,内容,单位\n",
			wantTitles: []string{"隐患甲", "隐患丙"},
		},
		{
			name:       "dots in the title are no title",
			csv:        "重点隐患,隐患内容,责任单位\n……,内容,单位\n",
			wantErrors: []string{"第2行 重点隐患：不能为空，请填写隐患名称"},
		},
		{
			name:       "over-long title",
			csv:        "重点隐患,隐患内容,责任单位\n" + strings.Repeat("长", 201) + ",内容,单位\n",
			wantErrors: []string{"第2行 重点隐患：太长了（201 个字），最多 200 个字"},
		},
		{
			name: "合计 and 小计 rows are no hazards",
			csv: "序号,重点隐患,隐患内容,责任单位\n1,隐患甲,内容,单位\n小计,1项,,\n2,隐患乙,内容,单位\n" +
				"合 计,2,,\n总计：2项,,,\n",
			wantTitles: []string{"隐患甲", "隐患乙"},
		},
		{
			name: "signature and phone rows under the table are no hazards",
			csv: "序号,重点隐患,隐患内容,检查日期,责任单位\n1,隐患甲,内容,2023-03-01,单位\n" +
				"填表人：张三,,,审核人：李四,联系电话：0719-1234567\n,单位负责人（签字）:,,,\n" +
				"2,主要负责人未经安全培训,内容,2023-03-01,单位\n",
			wantTitles: []string{"隐患甲", "主要负责人未经安全培训"},
		},
		{
			name: "section headings are no hazards",
			csv: "序号,重点隐患,隐患内容,责任单位\n一、,燃气领域,,\n1,隐患甲,内容,单位\n（二）,消防领域,,\n" +
				",三、建设领域,,\n2,隐患乙,内容,单位\n四,只写了名称的隐患,,\n五、,井盖缺失,人行道井盖缺失,市政公司\n",
			wantTitles: []string{"隐患甲", "隐患乙", "井盖缺失"},
		},
		{
			name:          "other words offices head the deadline with",
			csv:           "重点隐患,隐患内容,检查日期,完成时限\n隐患甲,内容,2023-03-01,2023-03-31\n",
			wantTitles:    []string{"隐患甲"},
			wantDeadlines: []models.Date{date(2023, 3, 31)},
		},
		{
			name: "the header repeated under the table (towns' tables pasted one under another)",
			csv: "序号,重点隐患,隐患内容,检查日期,整改时限\n1,隐患甲,内容,2023-03-01,2023-03-31\n" +
				",,,,\n城关镇重点隐患问题动态整改台账,,,,\n填报单位（盖章）：城关镇,,,填报时间：2023年3月20日,\n" +
				"序号,重点隐患,隐患内容,检查日期,整改时限\n1,隐患乙,内容,2023-03-02,2023-03-30\n",
			wantTitles:    []string{"隐患甲", "隐患乙"},
			wantDeadlines: []models.Date{date(2023, 3, 31), date(2023, 3, 30)},
		},
		{
			name:       "excel serial dates and a bad one",
			csv:        "重点隐患,检查日期,整改时限\n隐患甲,44980,45016.5\n隐患乙,12,\n",
			wantTitles: []string{"隐患甲"},
			wantErrors: []string{"第3行 检查日期：“12”不是日期，请写成 2023-03-15、2023年3月15日 或 3月15日"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := ReadLedger(strings.NewReader(c.csv), "x.csv")
			if err != nil {
				t.Fatalf("ReadLedger: %v", err)
			}
			var titles, errs []string
			for _, r := range res.Rows {
				titles = append(titles, r.Title)
			}
			for _, e := range res.Errors {
				errs = append(errs, e.Error())
			}
			if !slices.Equal(titles, c.wantTitles) {
				t.Errorf("titles = %q, want %q", titles, c.wantTitles)
			}
			if c.wantDeadlines != nil {
				var got []models.Date
				for _, r := range res.Rows {
					got = append(got, r.Deadline)
				}
				if !slices.Equal(got, c.wantDeadlines) {
					t.Errorf("deadlines = %v, want %v", got, c.wantDeadlines)
				}
			}
			if !slices.Equal(errs, c.wantErrors) {
				t.Errorf("errors = %q, want %q", errs, c.wantErrors)
			}
		})
	}
}

func TestReadLedgerDates(t *testing.T) {
	want := date(2023, 3, 15)
	for _, in := range []string{"2023-03-15", "2023/3/15", "2023.3.15", "2023年3月15日", "2023 年 3 月 15 日",
		"2023/3/15 0:00", "2023-03-15T08:30:00", "20230315", "45000", "45000.75", "２０２３－０３－１５",
		"2023年3月15号", "2023.3.15."} {
		t.Run("accepts "+in, func(t *testing.T) {
			got, msg := parseCellDate(in, false)
			if msg != "" || got != want {
				t.Errorf("parseCellDate(%q) = %v %q, want %v", in, got, msg, want)
			}
		})
	}
	t.Run("1904 workbook serial", func(t *testing.T) {
		if got, msg := parseCellDate("43538", true); msg != "" || got != want {
			t.Errorf("1904 serial = %v %q, want %v", got, msg, want)
		}
	})
	for _, in := range []string{"2023-02-29", "2023-13-01", "2023/4/31", "23/3/15", "3月15日", "3.15", "明天", "1", "99999", "1800-01-01"} {
		t.Run("rejects "+in, func(t *testing.T) {
			if got, msg := parseCellDate(in, false); msg == "" {
				t.Errorf("parseCellDate(%q) = %v, want an error message", in, got)
			}
		})
	}
}

// TestReadLedgerHandMadeXLSX reads a workbook as an office might make it:
// no title rows, an extra column, the header on its own sheet after a
// notes sheet, date cells and text dates mixed.
func TestReadLedgerHandMadeXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "说明"))
	must(f.SetCellValue("说明", "A1", "填表说明：每周五前更新"))
	_, err := f.NewSheet("台账")
	must(err)
	for cell, v := range map[string]any{
		"A1": "序号", "B1": "行业领域", "C1": "重点隐患", "D1": "隐患内容", "E1": "检查日期", "F1": "责任单位",
		"G1": "县（市、区）", "H1": "整改时限", "I1": "备注",
		"A2": 1, "B2": "燃气", "C2": "阀门锈蚀", "D2": "阀门井锈蚀", "E2": time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC),
		"F2": "燃气公司", "G2": "茅箭区", "H2": "2023年3月10日", "I2": "YH2023-0007\n待复查\n整改照片已上传",
		"A3": 2, "C3": "……",
		"A4": 3, "C4": "井盖缺失", "E4": "2023-02-30",
		"A6": 4, "C6": "空行下的隐患",
	} {
		must(f.SetCellValue("台账", cell, v))
	}
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	must(err)

	res, err := ReadLedger(&buf, "周报.xlsx")
	if err != nil {
		t.Fatalf("ReadLedger: %v", err)
	}
	want := []ImportRow{{Line: 2, Number: "YH2023-0007", Title: "阀门锈蚀", Description: "阀门井锈蚀",
		InspectionDate: date(2023, 3, 1), Unit: "燃气公司", County: "茅箭区", Deadline: date(2023, 3, 10),
		Remarks: "整改照片已上传", State: models.StatePendingReview}, {Line: 6, Title: "空行下的隐患"}}
	if !slices.Equal(res.Rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", res.Rows, want)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, e.Error())
	}
	wantErrs := []string{
		"第4行 检查日期：没有2023年2月30日这一天，请检查日期",
	}
	if !slices.Equal(errs, wantErrs) {
		t.Errorf("errors = %q\nwant %q", errs, wantErrs)
	}
}

func TestReadLedgerNotALedger(t *testing.T) {
	for _, c := range []struct {
		name, file string
		data       []byte
		wantMsg    string
	}{
		{"csv without ledger header", "名单.csv", []byte("姓名,电话\n张三,123\n"), "没有找到台账表头"},
		{"empty file", "空.csv", nil, "没有找到台账表头"},
		{"old xls", "台账.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest"), "旧版 Excel"},
		{"broken xlsx", "台账.xlsx", []byte("not a zip"), "不是有效的 Excel 文件"},
		{"zip that is no workbook", "台账.xlsx", []byte("PK\x03\x04garbage"), "Excel 文件已损坏"},
		{"binary", "图片.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "没有找到台账表头"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := ReadLedger(bytes.NewReader(c.data), c.file)
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("ReadLedger = %+v, %v; want an invalid error", res, err)
			}
			if msg := models.ErrorMessage(err); !strings.Contains(msg, c.wantMsg) {
				t.Errorf("message %q does not say %q", msg, c.wantMsg)
			}
		})
	}
}

// messyWorkbook builds a sheet as a county clerk keeps it: cells given by
// reference, then merged ranges ("F7:F9").
func messyWorkbook(t *testing.T, cells map[string]any, merges ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for ref, v := range cells {
		if err := f.SetCellValue("Sheet1", ref, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range merges {
		a, b, _ := strings.Cut(m, ":")
		if err := f.MergeCell("Sheet1", a, b); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// officialHeader is the attachment's two-row header on rows 3 and 4, each
// column merged over both rows but 督办 (over 县市区 and 市级专委会督办销号),
// with an eleventh column an office added (备注2).
func officialHeader(cells map[string]any) (map[string]any, []string) {
	head := map[string]any{
		"A1": "重点隐患问题动态整改台账",
		"A2": "填报单位（盖章）：茅箭区安委会", "H2": "填报时间：2023年3月20日",
		"A3": "序 号", "B3": "重点隐患", "C3": "隐患\n内容", "D3": "检查日期", "E3": "整改措施", "F3": "责任单位",
		"G3": "督办", "G4": "县市区", "H4": "市级专委会督办销号", "I3": "整改\n时限", "J3": "备注", "K3": "备注2",
	}
	for ref, v := range cells {
		head[ref] = v
	}
	merges := []string{"A1:K1", "G3:H3"}
	for _, c := range "ABCDEFIJK" {
		merges = append(merges, fmt.Sprintf("%c3:%c4", c, c))
	}
	return head, merges
}

// TestReadLedgerMergedCells: a unit, county or deadline written once in a
// cell merged down over the rows of several hazards belongs to each of
// them, as the clerk sees it in Excel; a heading merged across the table is
// no hazard.
func TestReadLedgerMergedCells(t *testing.T) {
	cells, merges := officialHeader(map[string]any{
		"A5": "一、燃气领域",
		"A6": 1, "B6": "燃气管道锈蚀", "D6": "2023-03-15", "F6": "十堰市燃气公司", "G6": "茅箭区", "H6": "燃气专委会", "I6": "2023-03-31", "K6": "甲",
		"A7": 2, "B7": "燃气表箱破损", "D7": "2023-03-16",
		"A8": 3, "B8": "调压箱无警示标识", "D8": "2023-03-16",
		"A9": 4, "B9": "消防通道堵塞", "D9": "2023-03-16", "F9": "五堰商场", "I9": "2023-04-10",
	})
	merges = append(merges, "A5:K5", "F6:F8", "G6:G9", "H6:H8", "I6:I8")
	res, err := ReadLedger(bytes.NewReader(messyWorkbook(t, cells, merges...)), "茅箭区台账.xlsx")
	if err != nil {
		t.Fatalf("ReadLedger: %v", err)
	}
	want := []ImportRow{
		{Line: 6, Title: "燃气管道锈蚀", InspectionDate: date(2023, 3, 15), Unit: "十堰市燃气公司", County: "茅箭区", Committee: "燃气专委会", Deadline: date(2023, 3, 31)},
		{Line: 7, Title: "燃气表箱破损", InspectionDate: date(2023, 3, 16), Unit: "十堰市燃气公司", County: "茅箭区", Committee: "燃气专委会", Deadline: date(2023, 3, 31)},
		{Line: 8, Title: "调压箱无警示标识", InspectionDate: date(2023, 3, 16), Unit: "十堰市燃气公司", County: "茅箭区", Committee: "燃气专委会", Deadline: date(2023, 3, 31)},
		{Line: 9, Title: "消防通道堵塞", InspectionDate: date(2023, 3, 16), Unit: "五堰商场", County: "茅箭区", Deadline: date(2023, 4, 10)},
	}
	if !slices.Equal(res.Rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", res.Rows, want)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors = %+v", res.Errors)
	}
}

// TestReadLedgerDeadlineWords: how clerks fill 整改时限 besides a date.
// "…前" is that day; 长期, 立行立改 and 已整改 say no day, and the message
// says which day to write instead.
func TestReadLedgerDeadlineWords(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    models.Date
		wantMD  monthDay
		wantMsg string
	}{
		{in: "2023年3月31日前", want: date(2023, 3, 31)},
		{in: "2023.3.31之前", want: date(2023, 3, 31)},
		{in: "2023-03-31 以前", want: date(2023, 3, 31)},
		{in: "3月31日前", wantMD: monthDay{3, 31}},
		{in: "长期", wantMsg: "“长期”不是日期：请写最终完成整改的日期，如 2023-12-31"},
		{in: "长期坚持", wantMsg: "“长期坚持”不是日期：请写最终完成整改的日期，如 2023-12-31"},
		{in: "立行立改", wantMsg: "“立行立改”不是日期：当场整改的请写检查当天的日期"},
		{in: "立即整改", wantMsg: "“立即整改”不是日期：当场整改的请写检查当天的日期"},
		{in: "已整改", wantMsg: "“已整改”不是日期：请写原定的整改时限，整改情况写在备注里"},
		{in: "已完成", wantMsg: "“已完成”不是日期：请写原定的整改时限，整改情况写在备注里"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, md, msg := parseLedgerDate(c.in, false)
			if got != c.want || md != c.wantMD || msg != c.wantMsg {
				t.Errorf("parseLedgerDate(%q) = %v %v %q, want %v %v %q", c.in, got, md, msg, c.want, c.wantMD, c.wantMsg)
			}
		})
	}
}

// TestReadLedgerSheets: a workbook with one ledger sheet among others
// imports that sheet; one with two filled ledger sheets (a sheet per town,
// or last month's beside this month's) is refused naming them, since
// importing the first alone would drop the rest without a word.
func TestReadLedgerSheets(t *testing.T) {
	book := func(t *testing.T, sheets map[string][][]any, order ...string) []byte {
		t.Helper()
		f := excelize.NewFile()
		defer f.Close()
		for i, name := range order {
			if i == 0 {
				if err := f.SetSheetName("Sheet1", name); err != nil {
					t.Fatal(err)
				}
			} else if _, err := f.NewSheet(name); err != nil {
				t.Fatal(err)
			}
			for r, row := range sheets[name] {
				if err := f.SetSheetRow(name, fmt.Sprintf("A%d", r+1), &row); err != nil {
					t.Fatal(err)
				}
			}
		}
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	head := []any{"序号", "重点隐患", "隐患内容", "检查日期", "责任单位"}
	sheets := map[string][][]any{
		"说明":  {{"填表说明：每周五前更新"}},
		"城关镇": {head, {1, "隐患甲", "内容", "2023-03-01", "单位甲"}},
		"茶店镇": {head, {1, "隐患乙", "内容", "2023-03-02", "单位乙"}},
		"空模板": {head, {1}, {"……"}},
		"数据源": {{strings.Repeat("x", 10)}, {"y"}},
	}
	titles := func(res *ImportResult) (out []string) {
		for _, r := range res.Rows {
			out = append(out, r.Title)
		}
		return out
	}
	t.Run("one ledger among other sheets", func(t *testing.T) {
		res, err := ReadLedger(bytes.NewReader(book(t, sheets, "说明", "空模板", "城关镇", "数据源")), "a.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		if got := titles(res); !slices.Equal(got, []string{"隐患甲"}) {
			t.Errorf("titles = %q", got)
		}
	})
	t.Run("two filled ledgers", func(t *testing.T) {
		_, err := ReadLedger(bytes.NewReader(book(t, sheets, "说明", "城关镇", "茶店镇")), "a.xlsx")
		want := "工作簿里有 2 张台账表（“城关镇”“茶店镇”），一次只能导入一张：请把其他表删除或另存为单独的文件后再导入"
		if models.ErrorCode(err) != models.EInvalid || models.ErrorMessage(err) != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}

// TestReadLedgerRecordedState: a hand-kept ledger records in 备注, or in a
// 整改情况/完成情况/整改状态/状态 column when it has one, that a hazard is
// done: 已销号 is closed, 已整改/已完成/整改完成/已整改到位 wait for review
// (待复查) unless also 已销号, and 整改中/未整改/正在整改 or nothing leave
// the row open (""), as does a word said with 未 before it. Our own
// export's state line counts the same way.
func TestReadLedgerRecordedState(t *testing.T) {
	const head = "序号,重点隐患,隐患内容,检查日期,整改措施,责任单位,县市区,市级专委会督办销号,整改时限,备注\n"
	for _, c := range []struct {
		remarks string
		want    models.State
	}{
		{"", ""},
		{"已销号", models.StateClosed},
		{"整改完成，已销号", models.StateClosed},
		{"已整改", models.StatePendingReview},
		{"已完成", models.StatePendingReview},
		{"整改完成", models.StatePendingReview},
		{"3月5日已整改到位", models.StatePendingReview},
		{"已整改，未销号", models.StatePendingReview},
		{"整改中", ""},
		{"未整改", ""},
		{"正在整改", ""},
		{"未整改完成", ""},
		{"部分已整改，其余正在整改", ""},
		{"现场已责令清理", ""},
		{"已停产", ""},
		{"YH2023-0003\n已销号", models.StateClosed},
		{"YH2023-0004\n待复查\n整改情况：已更换", models.StatePendingReview},
		{"YH2023-0005\n整改中，逾期3天\n整改情况：已完成一半", ""},
	} {
		t.Run(c.remarks, func(t *testing.T) {
			csv := head + "1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,茅箭区应急管理局,茅箭区,,2023-03-31,\"" + c.remarks + "\"\n"
			res, err := ReadLedger(strings.NewReader(csv), "台账.csv")
			if err != nil || len(res.Rows) != 1 {
				t.Fatalf("read: %+v %v", res, err)
			}
			if got := res.Rows[0].State; got != c.want {
				t.Errorf("备注 %q: state %q, want %q", c.remarks, got, c.want)
			}
		})
	}
	t.Run("a state column says it instead of 备注", func(t *testing.T) {
		for _, col := range []string{"整改情况", "完成情况", "整改状态", "状态"} {
			csv := "序号,重点隐患,隐患内容,检查日期,责任单位,县市区,整改时限," + col + ",备注\n" +
				"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,茅箭区应急管理局,茅箭区,2023-03-31,已销号,\n" +
				"2,消防通道堵塞,楼道堆放杂物,2023-02-24,茅箭区应急管理局,茅箭区,2023-03-20,已整改到位,\n" +
				"3,配电箱未接地,配电箱无接地线,2023-02-24,茅箭区应急管理局,茅箭区,2023-03-20,正在整改,已整改一半\n" +
				"4,楼梯扶手松动,扶手松动,2023-02-24,茅箭区应急管理局,茅箭区,2023-03-20,,已完成\n"
			res, err := ReadLedger(strings.NewReader(csv), "台账.csv")
			if err != nil || len(res.Rows) != 4 || len(res.Errors) != 0 {
				t.Fatalf("%s: %+v %v", col, res, err)
			}
			var got []models.State
			for _, r := range res.Rows {
				got = append(got, r.State)
			}
			want := []models.State{models.StateClosed, models.StatePendingReview, "", models.StatePendingReview}
			if !slices.Equal(got, want) {
				t.Errorf("%s: states %q, want %q", col, got, want)
			}
			if res.Rows[2].Remarks != "已整改一半" {
				t.Errorf("%s: 备注 = %q", col, res.Rows[2].Remarks)
			}
		}
	})
}

// TestReadLedgerHiddenRows: rows a clerk hid in Excel are still the
// ledger's data and are read, each marked Hidden so the dry run can say so.
func TestReadLedgerHiddenRows(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for cell, v := range map[string]any{
		"A1": "序号", "B1": "重点隐患", "C1": "隐患内容", "D1": "责任单位", "E1": "县市区", "F1": "整改时限",
		"A2": 1, "B2": "阀门锈蚀", "C2": "阀门井锈蚀", "D2": "燃气公司", "E2": "茅箭区", "F2": "2023-03-10",
		"A3": 2, "B3": "井盖缺失", "C3": "井盖缺失", "D3": "燃气公司", "E3": "茅箭区", "F3": "2023-03-10",
		"A4": 3, "B4": "表箱破损", "C4": "表箱破损", "D4": "燃气公司", "E4": "茅箭区", "F4": "2023-03-10",
	} {
		must(f.SetCellValue("Sheet1", cell, v))
	}
	must(f.SetRowVisible("Sheet1", 3, false))
	var buf bytes.Buffer
	_, err := f.WriteTo(&buf)
	must(err)
	res, err := ReadLedger(&buf, "台账.xlsx")
	if err != nil || len(res.Rows) != 3 {
		t.Fatalf("read: %+v %v", res, err)
	}
	for _, r := range res.Rows {
		if r.Hidden != (r.Line == 3) {
			t.Errorf("row %d (%s): hidden %v", r.Line, r.Title, r.Hidden)
		}
	}
}

// TestReadLedgerRenamedExcel: government systems export web pages and text
// under an .xls or .xlsx name. A page is refused saying what it is and what
// to do (另存为 .xlsx); comma- or tab-separated text is read as the CSV it is.
func TestReadLedgerRenamedExcel(t *testing.T) {
	utf16 := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	for _, c := range []struct {
		name, file string
		data       []byte
	}{
		{"a web page", "台账.xls", []byte("<!DOCTYPE html>\n<html><body><table><tr><td>序号</td></tr></table></body></html>")},
		{"a web page after a BOM and spaces", "台账.xlsx", []byte("\xEF\xBB\xBF \r\n\t<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\">")},
		{"a bare table", "导出.xls", []byte("<table border=1><tr><th>重点隐患</th></tr></table>")},
		{"a web page in UTF-16", "台账.xls", utf16("<html><table></table></html>")},
		{"an XML spreadsheet", "台账.xls", []byte("<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">")},
		{"a web page named .csv", "台账.csv", []byte("<HTML><TABLE><TR><TD>序号</TD></TR></TABLE></HTML>")},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := ReadLedger(bytes.NewReader(c.data), c.file)
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("ReadLedger = %+v, %v; want an invalid error", res, err)
			}
			msg := models.ErrorMessage(err)
			for _, want := range []string{c.file, "不是 Excel 文件", "另存为", ".xlsx"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
		})
	}
	gbkTabs, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(strings.ReplaceAll(templateCSV, ",", "\t")))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file string
		data       []byte
	}{
		{"CSV named .xls", "台账.xls", []byte(templateCSV)},
		{"GBK tab-separated text named .xlsx", "导出.xlsx", gbkTabs},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := ReadLedger(bytes.NewReader(c.data), c.file)
			if err != nil {
				t.Fatalf("ReadLedger: %v", err)
			}
			if res.Format != "csv" || !slices.Equal(res.Rows, templateWant) || !slices.Equal(res.Errors, templateWantErrors) {
				t.Errorf("read %s: %+v", res.Format, res)
			}
		})
	}
}
