package report

import (
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"hazardbot/models"
)

// SheetName is the worksheet name of the exported ledger: the document's
// own title, so a printed or forwarded sheet says what it is.
const SheetName = "重点隐患问题动态整改台账"

// LedgerTitle is the title in row 1 of the ledger.
const LedgerTitle = "重点隐患问题动态整改台账"

// LedgerRow is the export view of one hazard: one data row of the ledger.
type LedgerRow struct {
	Seq            int         // 序号; 0 means "number the rows 1, 2, 3 … in order"
	Number         string      // YH2023-0012, printed as the first line of 备注
	Title          string      // 重点隐患
	Description    string      // 隐患内容
	InspectionDate models.Date // 检查日期
	Measures       string      // 整改措施
	Unit           string      // 责任单位 (name)
	County         string      // 督办 — 县市区 (the supervising county's name)
	Committee      string      // 督办 — 市级专委会督办销号 (the special committee's name)
	Deadline       models.Date // 整改时限
	Remarks        string      // 备注, after the generated number and state lines
	Rectification  string      // 整改情况: what the unit reported having done, in 备注

	State       string // Chinese state name, e.g. 整改中
	Overdue     bool   // the deadline has passed while still open
	OverdueDays int    // days past the deadline when Overdue
	Colour      string // supervision colour 红/黄/蓝, or ""
}

// Period is an inclusive span of calendar days; a zero From means "from the
// beginning".
type Period struct {
	From, To models.Date
}

// LedgerMeta is what the ledger says about itself above and below the table.
type LedgerMeta struct {
	UnitName  string      // 填报单位（盖章）
	FilledAt  models.Date // 填报时间
	Period    Period      // the 情况小结 period
	ScopeName string      // whose hazards: 茅箭区, 燃气专委会, 全市
}

// The columns of the official attachment, in order. The reader uses the same
// table, so export and import cannot drift apart.
const (
	colSeq = iota
	colTitle
	colDescription
	colInspection
	colMeasures
	colUnit
	colCounty
	colCommittee
	colDeadline
	colRemarks
	numCols
)

// Header words of the attachment. 督办 spans 县市区 and 市级专委会督办销号.
const (
	hdrSeq         = "序号"
	hdrTitle       = "重点隐患"
	hdrDescription = "隐患内容"
	hdrInspection  = "检查日期"
	hdrMeasures    = "整改措施"
	hdrUnit        = "责任单位"
	hdrSupervise   = "督办"
	hdrCounty      = "县市区"
	hdrCommittee   = "市级专委会督办销号"
	hdrDeadline    = "整改时限"
	hdrRemarks     = "备注"
)

// columnHeaders is each column's own header word (the lower one for the two
// 督办 columns); columnWidths is in Excel character units, wide enough for
// the usual content on an A4 landscape page once wrapped.
var (
	columnHeaders = [numCols]string{hdrSeq, hdrTitle, hdrDescription, hdrInspection, hdrMeasures,
		hdrUnit, hdrCounty, hdrCommittee, hdrDeadline, hdrRemarks}
	columnWidths = [numCols]float64{6, 20, 36, 14, 30, 18, 12, 16, 14, 22}
)

// Layout rows (1-based, as Excel shows them).
const (
	rowTitle     = 1
	rowMeta      = 2
	rowHeader    = 3
	rowSubHeader = 4
	rowFirstData = 5
)

// DateFormat is the number format of the ledger's date cells.
const DateFormat = `yyyy"年"m"月"d"日"`

// overdueFill is the light red of Excel's own "bad" cell style, which
// officials already read as "needs attention".
const overdueFill = "FFC7CE"

type ledgerStyles struct {
	title, metaLeft, metaRight, header  int
	text, center, date                  int
	textLate, centerLate, dateLate, end int
}

func newLedgerStyles(f *excelize.File) (ledgerStyles, error) {
	var s ledgerStyles
	font := func(size float64, bold bool) *excelize.Font {
		return &excelize.Font{Family: "宋体", Size: size, Bold: bold}
	}
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	cell := func(h string, numFmt *string, fill bool) *excelize.Style {
		st := &excelize.Style{
			Font:         font(10.5, false),
			Border:       border,
			Alignment:    &excelize.Alignment{Horizontal: h, Vertical: "center", WrapText: true},
			CustomNumFmt: numFmt,
		}
		if fill {
			st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{overdueFill}}
		}
		return st
	}
	dateFmt := DateFormat
	defs := []struct {
		id *int
		st *excelize.Style
	}{
		{&s.title, &excelize.Style{Font: font(18, true), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&s.metaLeft, &excelize.Style{Font: font(11, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}}},
		{&s.metaRight, &excelize.Style{Font: font(11, false), Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}}},
		{&s.header, &excelize.Style{Font: font(11, true), Border: border,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&s.text, cell("left", nil, false)},
		{&s.center, cell("center", nil, false)},
		{&s.date, cell("center", &dateFmt, false)},
		{&s.textLate, cell("left", nil, true)},
		{&s.centerLate, cell("center", nil, true)},
		{&s.dateLate, cell("center", &dateFmt, true)},
		{&s.end, &excelize.Style{Font: font(11, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(d.st)
		if err != nil {
			return s, fmt.Errorf("report: ledger style: %w", err)
		}
		*d.id = id
	}
	return s, nil
}

// WriteLedger writes the ledger as an .xlsx in the layout of the official
// attachment: title, 填报单位/填报时间, the two-row header, one row per
// hazard, and the 情况小结 footer built from meta.Period, meta.ScopeName and
// footer. Rows are streamed (excelize's StreamWriter spills to a temporary
// file), so memory stays bounded however many hazards there are. The first
// error from rows stops the export and nothing is written to w.
func WriteLedger(w io.Writer, meta LedgerMeta, rows iter.Seq2[LedgerRow, error], footer models.Figures) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("report: close ledger: %w", cerr)
		}
	}()
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return fmt.Errorf("report: ledger sheet: %w", err)
	}
	if err := setupPage(f); err != nil {
		return err
	}
	st, err := newLedgerStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(SheetName)
	if err != nil {
		return fmt.Errorf("report: ledger stream: %w", err)
	}
	for i, wd := range columnWidths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("report: ledger column width: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: rowSubHeader,
		TopLeftCell: cellName(0, rowFirstData), ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("report: ledger panes: %w", err)
	}
	if err := writeHead(sw, st, meta); err != nil {
		return err
	}

	row := rowFirstData
	if rows != nil {
		for r, rerr := range rows {
			if rerr != nil {
				return fmt.Errorf("report: ledger rows: %w", rerr)
			}
			if r.Seq <= 0 {
				r.Seq = row - rowFirstData + 1
			}
			if err := sw.SetRow(cellName(0, row), dataCells(r, st)); err != nil {
				return fmt.Errorf("report: ledger row %d: %w", row, err)
			}
			row++
		}
	}

	end := SummarySentence(meta.Period.From, meta.Period.To, meta.ScopeName, footer)
	if err := sw.SetRow(cellName(0, row), []any{excelize.Cell{StyleID: st.end, Value: end}},
		excelize.RowOpts{Height: 36}); err != nil {
		return fmt.Errorf("report: ledger footer: %w", err)
	}
	if err := mergeAcross(sw, row, 0, numCols-1); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("report: ledger flush: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("report: write ledger: %w", err)
	}
	return nil
}

// setupPage prints the ledger the way offices file it: A4 landscape, all
// columns on one page width, the title and header repeated on every page.
// The sheet properties must be set before the stream writer starts, since it
// writes them first.
func setupPage(f *excelize.File) error {
	fit, one, zero, a4, landscape := true, 1, 0, 9, "landscape"
	if err := f.SetSheetProps(SheetName, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("report: ledger sheet props: %w", err)
	}
	if err := f.SetPageLayout(SheetName, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero,
	}); err != nil {
		return fmt.Errorf("report: ledger page layout: %w", err)
	}
	margin, centred := 0.5, true
	if err := f.SetPageMargins(SheetName, &excelize.PageLayoutMarginsOptions{
		Left: &margin, Right: &margin, Top: &margin, Bottom: &margin, Horizontally: &centred,
	}); err != nil {
		return fmt.Errorf("report: ledger margins: %w", err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", SheetName, rowTitle, rowSubHeader),
		Scope:    SheetName,
	}); err != nil {
		return fmt.Errorf("report: ledger print titles: %w", err)
	}
	return nil
}

// writeHead writes rows 1–4: title, 填报单位/填报时间 and the two-row header.
func writeHead(sw *excelize.StreamWriter, st ledgerStyles, meta LedgerMeta) error {
	// The merge splitting row 2: 填报单位 over the first six columns,
	// 填报时间 over the rest, as the attachment puts them at the two ends.
	const metaSplit = colUnit
	title := []any{excelize.Cell{StyleID: st.title, Value: LedgerTitle}}
	metaRow := make([]any, numCols)
	metaRow[0] = excelize.Cell{StyleID: st.metaLeft, Value: "填报单位（盖章）：" + meta.UnitName}
	metaRow[metaSplit+1] = excelize.Cell{StyleID: st.metaRight, Value: "填报时间：" + meta.FilledAt.Chinese()}
	header, sub := make([]any, numCols), make([]any, numCols)
	for i, h := range columnHeaders {
		header[i] = excelize.Cell{StyleID: st.header, Value: h}
		// The covered cells of vertical merges carry the style too, or
		// their borders would be missing.
		sub[i] = excelize.Cell{StyleID: st.header}
	}
	header[colCounty] = excelize.Cell{StyleID: st.header, Value: hdrSupervise}
	header[colCommittee] = excelize.Cell{StyleID: st.header}
	sub[colCounty] = excelize.Cell{StyleID: st.header, Value: hdrCounty}
	sub[colCommittee] = excelize.Cell{StyleID: st.header, Value: hdrCommittee}

	for _, r := range []struct {
		row    int
		values []any
		height float64
	}{
		{rowTitle, title, 40}, {rowMeta, metaRow, 24}, {rowHeader, header, 22}, {rowSubHeader, sub, 30},
	} {
		if err := sw.SetRow(cellName(0, r.row), r.values, excelize.RowOpts{Height: r.height}); err != nil {
			return fmt.Errorf("report: ledger head row %d: %w", r.row, err)
		}
	}
	merges := [][3]int{ // row, first column, last column
		{rowTitle, 0, numCols - 1},
		{rowMeta, 0, metaSplit},
		{rowMeta, metaSplit + 1, numCols - 1},
		{rowHeader, colCounty, colCommittee},
	}
	for _, m := range merges {
		if err := mergeAcross(sw, m[0], m[1], m[2]); err != nil {
			return err
		}
	}
	for c := range numCols {
		if c == colCounty || c == colCommittee {
			continue
		}
		if err := sw.MergeCell(cellName(c, rowHeader), cellName(c, rowSubHeader)); err != nil {
			return fmt.Errorf("report: ledger header merge: %w", err)
		}
	}
	return nil
}

func mergeAcross(sw *excelize.StreamWriter, row, first, last int) error {
	if err := sw.MergeCell(cellName(first, row), cellName(last, row)); err != nil {
		return fmt.Errorf("report: ledger merge row %d: %w", row, err)
	}
	return nil
}

// dataCells renders one hazard. Overdue rows are filled light red across the
// whole row so they stand out on paper as well as on screen.
func dataCells(r LedgerRow, st ledgerStyles) []any {
	text, center, date := st.text, st.center, st.date
	if r.Overdue {
		text, center, date = st.textLate, st.centerLate, st.dateLate
	}
	v := make([]any, numCols)
	v[colSeq] = excelize.Cell{StyleID: center, Value: r.Seq}
	v[colTitle] = excelize.Cell{StyleID: text, Value: r.Title}
	v[colDescription] = excelize.Cell{StyleID: text, Value: r.Description}
	v[colInspection] = dateCell(r.InspectionDate, date)
	v[colMeasures] = excelize.Cell{StyleID: text, Value: r.Measures}
	v[colUnit] = excelize.Cell{StyleID: text, Value: r.Unit}
	v[colCounty] = excelize.Cell{StyleID: center, Value: r.County}
	v[colCommittee] = excelize.Cell{StyleID: center, Value: r.Committee}
	v[colDeadline] = dateCell(r.Deadline, date)
	v[colRemarks] = excelize.Cell{StyleID: text, Value: RemarksText(r)}
	return v
}

// dateCell writes a real date (a serial number with a date format), so that
// Excel sorts and filters it; an unset date is an empty bordered cell.
func dateCell(d models.Date, style int) excelize.Cell {
	if d.IsZero() {
		return excelize.Cell{StyleID: style}
	}
	return excelize.Cell{StyleID: style, Value: dateSerial(d)}
}

// excelEpoch is day 0 of Excel's 1900 date system for every date after
// 1900-02-28 (Excel counts a 29 February 1900 that never was).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

func dateSerial(d models.Date) int {
	return int(d.Time(time.UTC).Sub(excelEpoch).Hours() / 24)
}

// RemarksText is the 备注 cell of a hazard: its number first, because the
// official layout has no number column and officials need the number to find
// the hazard in chat (查询 YH2023-0012); then the state, the days overdue
// and the supervision colour, so the paper ledger shows where each hazard
// stands; then 整改情况, what the unit reported having done (整改措施 keeps
// what was required); then the hazard's own remarks. The title is left untouched so the
// ledger reads like the hand-kept one and re-imports cleanly.
func RemarksText(r LedgerRow) string {
	var lines []string
	if r.Number != "" {
		lines = append(lines, r.Number)
	}
	var state []string
	if r.State != "" {
		state = append(state, r.State)
	}
	if r.Overdue {
		if r.OverdueDays > 0 {
			state = append(state, "逾期"+strconv.Itoa(r.OverdueDays)+"天")
		} else {
			state = append(state, "逾期")
		}
	}
	if r.Colour != "" {
		state = append(state, r.Colour+"色挂牌")
	}
	if len(state) > 0 {
		lines = append(lines, strings.Join(state, "，"))
	}
	if r.Rectification != "" {
		lines = append(lines, rectificationPrefix+r.Rectification)
	}
	if r.Remarks != "" {
		lines = append(lines, r.Remarks)
	}
	return strings.Join(lines, "\n")
}

// cellName names the cell of a 0-based column and a 1-based row: (0, 5) is A5.
func cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col+1, row)
	if err != nil {
		panic(err) // only fixed layout coordinates reach here
	}
	return name
}
