package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hazardbot/models"
)

var update = flag.Bool("update", false, "rewrite testdata/ledger_layout.golden and the fuzz seeds")

func date(y int, m time.Month, d int) models.Date { return models.Date{Year: y, Month: m, Day: d} }

// sampleMeta and sampleRows are a small ledger of Maojian district in the
// seed's first reporting period; the second hazard is overdue.
var sampleMeta = LedgerMeta{
	UnitName:  "茅箭区安委会",
	FilledAt:  date(2023, 3, 15),
	Period:    Period{From: date(2023, 2, 23), To: date(2023, 3, 15)},
	ScopeName: "茅箭区",
}

var sampleFigures = models.Figures{Found: 12, Rectified: 8, Closed: 5, Overdue: 1}

func sampleRows() []LedgerRow {
	return []LedgerRow{
		{
			Number: "YH2023-0001", Title: "燃气管道锈蚀", Description: "某小区地下燃气管道阀门井内管道锈蚀严重，存在泄漏风险",
			InspectionDate: date(2023, 2, 23), Measures: "更换锈蚀管段，加装泄漏报警装置", Unit: "十堰市燃气公司",
			County: "茅箭区", Committee: "燃气专委会", Deadline: date(2023, 3, 31), State: "整改中",
		},
		{
			Number: "YH2023-0002", Title: "消防通道堵塞", Description: "商场北侧消防通道堆放杂物",
			InspectionDate: date(2023, 2, 24), Measures: "清理杂物，设置禁停标识", Unit: "五堰商场",
			County: "茅箭区", Committee: "消防专委会", Deadline: date(2023, 3, 1), Remarks: "已约谈负责人",
			State: "整改中", Overdue: true, OverdueDays: 14, Colour: "红",
		},
		{
			Number: "YH2023-0003", Title: "配电箱未接地", Description: "工地临时配电箱未可靠接地",
			InspectionDate: date(2023, 3, 2), Measures: "按规范接地并复测", Unit: "某建筑公司",
			County: "茅箭区", Committee: "建设专委会", Deadline: date(2023, 3, 10), State: "已销号",
		},
	}
}

func seqOf[T any](items []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func writeSample(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteLedger(&buf, sampleMeta, seqOf(sampleRows()), sampleFigures); err != nil {
		t.Fatalf("WriteLedger: %v", err)
	}
	return buf.Bytes()
}

func openXLSX(t testing.TB, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("reopen ledger: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestWriteLedgerLayout(t *testing.T) {
	f := openXLSX(t, writeSample(t))
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetName}) {
		t.Fatalf("sheets = %v, want [%s]", got, SheetName)
	}

	t.Run("merged ranges", func(t *testing.T) {
		merges, err := f.GetMergeCells(SheetName)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range merges {
			got = append(got, m.GetStartAxis()+":"+m.GetEndAxis())
		}
		want := []string{"A1:J1", "A2:F2", "G2:J2", "G3:H3",
			"A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:F4", "I3:I4", "J3:J4", "A8:J8"}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("merges = %v\nwant %v", got, want)
		}
	})

	t.Run("texts in their cells", func(t *testing.T) {
		for ref, want := range map[string]string{
			"A1": "重点隐患问题动态整改台账",
			"A2": "填报单位（盖章）：茅箭区安委会",
			"G2": "填报时间：2023年3月15日",
			"A3": "序号", "B3": "重点隐患", "C3": "隐患内容", "D3": "检查日期", "E3": "整改措施",
			"F3": "责任单位", "G3": "督办", "G4": "县市区", "H4": "市级专委会督办销号", "I3": "整改时限", "J3": "备注",
			"A5": "1", "B5": "燃气管道锈蚀", "F5": "十堰市燃气公司", "G5": "茅箭区", "H5": "燃气专委会",
			"A6": "2", "J6": "YH2023-0002\n整改中，逾期14天，红色挂牌\n已约谈负责人",
			"J7": "YH2023-0003\n已销号",
			"A8": "情况小结：2023年2月23日至3月15日，茅箭区检查发现重点隐患问题12个，已整改完成8个，已销号5个，逾期1个，整改率41.7%。",
		} {
			got, err := f.GetCellValue(SheetName, ref)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s = %q, want %q", ref, got, want)
			}
		}
	})

	t.Run("date cell is a real date", func(t *testing.T) {
		raw, err := f.GetCellValue(SheetName, "D5", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if raw != "44980" { // 2023-02-23 in Excel's 1900 date system
			t.Errorf("D5 raw = %q, want serial 44980", raw)
		}
		st := cellStyle(t, f, "D5")
		if st.CustomNumFmt == nil || *st.CustomNumFmt != DateFormat {
			t.Errorf("D5 number format = %v, want %s", st.CustomNumFmt, DateFormat)
		}
		if shown, _ := f.GetCellValue(SheetName, "I6"); shown != "2023年3月1日" {
			t.Errorf("I6 shows %q, want 2023年3月1日", shown)
		}
	})

	t.Run("overdue row is highlighted", func(t *testing.T) {
		for _, c := range []string{"A6", "B6", "D6", "J6"} {
			if fill := cellStyle(t, f, c).Fill; len(fill.Color) == 0 || fill.Color[0] != overdueFill {
				t.Errorf("%s fill = %+v, want %s", c, fill, overdueFill)
			}
		}
		for _, c := range []string{"B5", "B7"} {
			if fill := cellStyle(t, f, c).Fill; len(fill.Color) != 0 {
				t.Errorf("%s (not overdue) fill = %+v, want none", c, fill)
			}
		}
	})

	t.Run("print setup", func(t *testing.T) {
		pl, err := f.GetPageLayout(SheetName)
		if err != nil {
			t.Fatal(err)
		}
		if *pl.Orientation != "landscape" || *pl.Size != 9 || *pl.FitToWidth != 1 || *pl.FitToHeight != 0 {
			t.Errorf("page = %s size %d fit %dx%d, want landscape A4(9) fit 1x0",
				*pl.Orientation, *pl.Size, *pl.FitToWidth, *pl.FitToHeight)
		}
		props, err := f.GetSheetProps(SheetName)
		if err != nil {
			t.Fatal(err)
		}
		if props.FitToPage == nil || !*props.FitToPage {
			t.Error("fitToPage is off, so fit to width would be ignored")
		}
		var titles string
		for _, d := range f.GetDefinedName() {
			if d.Name == "_xlnm.Print_Titles" && d.Scope == SheetName {
				titles = d.RefersTo
			}
		}
		if want := "'重点隐患问题动态整改台账'!$1:$4"; titles != want {
			t.Errorf("print titles = %q, want %q", titles, want)
		}
		panes, err := f.GetPanes(SheetName)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 4 || panes.TopLeftCell != "A5" {
			t.Errorf("panes = %+v, want frozen below row 4", panes)
		}
	})

	t.Run("golden", func(t *testing.T) {
		got := dumpLayout(t, f)
		path := filepath.Join("testdata", "ledger_layout.golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("layout differs from %s (go test -update rewrites it; review the diff by eye):\n%s", path, got)
		}
	})
}

func cellStyle(t testing.TB, f *excelize.File, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(SheetName, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// dumpLayout prints the sheet as a person would check it against the
// attachment: page setup, columns, merges, then every cell with its value and
// the look of its style.
func dumpLayout(t testing.TB, f *excelize.File) string {
	t.Helper()
	var b strings.Builder
	pl, _ := f.GetPageLayout(SheetName)
	fmt.Fprintf(&b, "sheet %s\n", SheetName)
	fmt.Fprintf(&b, "page size=%d orientation=%s fitToWidth=%d fitToHeight=%d\n", *pl.Size, *pl.Orientation, *pl.FitToWidth, *pl.FitToHeight)
	for _, d := range f.GetDefinedName() {
		fmt.Fprintf(&b, "name %s scope=%s refersTo=%s\n", d.Name, d.Scope, d.RefersTo)
	}
	panes, _ := f.GetPanes(SheetName)
	fmt.Fprintf(&b, "panes freeze=%v ySplit=%d topLeft=%s\n", panes.Freeze, panes.YSplit, panes.TopLeftCell)
	for c := range numCols {
		name, _ := excelize.ColumnNumberToName(c + 1)
		w, _ := f.GetColWidth(SheetName, name)
		fmt.Fprintf(&b, "col %s width=%g\n", name, w)
	}
	merges, _ := f.GetMergeCells(SheetName)
	var ms []string
	for _, m := range merges {
		ms = append(ms, "merge "+m.GetStartAxis()+":"+m.GetEndAxis())
	}
	slices.Sort(ms)
	b.WriteString(strings.Join(ms, "\n") + "\n")
	rows, err := f.GetRows(SheetName, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for r := range rows {
		h, _ := f.GetRowHeight(SheetName, r+1)
		fmt.Fprintf(&b, "row %d height=%g\n", r+1, h)
		for c := range numCols {
			name, _ := excelize.CoordinatesToCellName(c+1, r+1)
			v := cell(rows[r], c) // the stored value; GetCellValue repeats a merge's value in every cell
			id, _ := f.GetCellStyle(SheetName, name)
			if v == "" && id == 0 {
				continue
			}
			fmt.Fprintf(&b, "  %s %q %s\n", name, v, describeStyle(f, id))
		}
	}
	return b.String()
}

func describeStyle(f *excelize.File, id int) string {
	st, err := f.GetStyle(id)
	if err != nil || id == 0 {
		return "[]"
	}
	var parts []string
	if st.Font != nil {
		font := fmt.Sprintf("%s %g", st.Font.Family, st.Font.Size)
		if st.Font.Bold {
			font += " bold"
		}
		parts = append(parts, font)
	}
	if a := st.Alignment; a != nil {
		parts = append(parts, a.Horizontal)
		if a.WrapText {
			parts = append(parts, "wrap")
		}
	}
	if len(st.Border) == 4 {
		parts = append(parts, "border")
	}
	if len(st.Fill.Color) > 0 {
		parts = append(parts, "fill="+st.Fill.Color[0])
	}
	if st.CustomNumFmt != nil {
		parts = append(parts, "fmt="+*st.CustomNumFmt)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestWriteLedgerEmptyAndNumbering(t *testing.T) {
	t.Run("no rows puts the footer under the header", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteLedger(&buf, sampleMeta, nil, models.Figures{}); err != nil {
			t.Fatal(err)
		}
		f := openXLSX(t, buf.Bytes())
		got, _ := f.GetCellValue(SheetName, "A5")
		if want := "情况小结：2023年2月23日至3月15日，茅箭区检查发现重点隐患问题0个，已整改完成0个，已销号0个，逾期0个。"; got != want {
			t.Errorf("A5 = %q, want %q", got, want)
		}
	})
	t.Run("zero Seq numbers rows in order", func(t *testing.T) {
		rows := sampleRows()
		rows[0].Seq, rows[1].Seq, rows[2].Seq = 0, 0, 0
		var buf bytes.Buffer
		if err := WriteLedger(&buf, sampleMeta, seqOf(rows), sampleFigures); err != nil {
			t.Fatal(err)
		}
		f := openXLSX(t, buf.Bytes())
		for ref, want := range map[string]string{"A5": "1", "A6": "2", "A7": "3"} {
			if got, _ := f.GetCellValue(SheetName, ref); got != want {
				t.Errorf("%s = %q, want %q", ref, got, want)
			}
		}
	})
	t.Run("a row error stops the export and writes nothing", func(t *testing.T) {
		boom := errors.New("db gone")
		rows := func(yield func(LedgerRow, error) bool) {
			if yield(sampleRows()[0], nil) {
				yield(LedgerRow{}, boom)
			}
		}
		var buf bytes.Buffer
		err := WriteLedger(&buf, sampleMeta, rows, sampleFigures)
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
		if buf.Len() != 0 {
			t.Errorf("wrote %d bytes despite the error", buf.Len())
		}
	})
}

func TestRemarksText(t *testing.T) {
	for _, c := range []struct {
		name string
		row  LedgerRow
		want string
	}{
		{"number and state", LedgerRow{Number: "YH2023-0012", State: "整改中"}, "YH2023-0012\n整改中"},
		{"overdue with colour and remarks", LedgerRow{Number: "YH2023-0012", State: "整改中", Overdue: true, OverdueDays: 3, Colour: "黄", Remarks: "企业停产"},
			"YH2023-0012\n整改中，逾期3天，黄色挂牌\n企业停产"},
		{"remarks only", LedgerRow{Remarks: "无"}, "无"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := RemarksText(c.row); got != c.want {
				t.Errorf("RemarksText = %q, want %q", got, c.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	rows := sampleRows()
	res, err := ReadLedger(bytes.NewReader(writeSample(t)), "台账.xlsx")
	if err != nil {
		t.Fatalf("ReadLedger: %v", err)
	}
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if res.Format != "xlsx" || len(res.Rows) != len(rows) {
		t.Fatalf("format %s, %d rows, want xlsx and %d", res.Format, len(res.Rows), len(rows))
	}
	for i, r := range rows {
		want := ImportRow{Line: 5 + i, Number: r.Number, Title: r.Title, Description: r.Description,
			InspectionDate: r.InspectionDate, Measures: r.Measures, Unit: r.Unit, County: r.County,
			Committee: r.Committee, Deadline: r.Deadline, Remarks: r.Remarks,
			// The state the export wrote comes back for a ledger that
			// does not have the hazard (another server's export).
			State: map[string]models.State{"已销号": models.StateClosed, "待复查": models.StatePendingReview}[r.State]}
		if res.Rows[i] != want {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, res.Rows[i], want)
		}
	}
}

// BenchmarkWriteLedger100k exports 100,000 hazards to io.Discard; see the
// package report for its time, allocations and peak RSS.
func BenchmarkWriteLedger100k(b *testing.B) {
	const n = 100_000
	base := sampleRows()
	rows := func(yield func(LedgerRow, error) bool) {
		for i := range n {
			r := base[i%len(base)]
			r.Seq = i + 1
			r.Number = fmt.Sprintf("YH2023-%04d", i+1)
			if !yield(r, nil) {
				return
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteLedger(io.Discard, sampleMeta, rows, sampleFigures); err != nil {
			b.Fatal(err)
		}
	}
}
