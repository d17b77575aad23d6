package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"hazardbot/models"
)

// MaxImportSize is the largest ledger file ReadLedger accepts. A city's
// ledger is a few thousand rows, far below it; the limit keeps an upload
// from exhausting memory, as both formats are read whole.
const MaxImportSize = 32 << 20

// ImportRow is one hazard read from a ledger file, before any check against
// the directory (unknown units are the caller's to find).
type ImportRow struct {
	Line           int    // the row number in Excel, or the CSV line, a person sees
	Number         string // YH2023-0012 when the row came from an exported ledger (first line of 备注), else ""
	Title          string // 重点隐患
	Description    string // 隐患内容
	InspectionDate models.Date
	Measures       string // 整改措施
	Unit           string // 责任单位
	County         string // 督办 — 县市区
	Committee      string // 督办 — 市级专委会督办销号
	Deadline       models.Date
	Remarks        string // 备注 without the exported number and state lines
}

// ImportError is a problem with one cell or row, told the way a person finds
// it in the file: 第5行 检查日期：….
type ImportError struct {
	Line    int
	Column  string // the Chinese header of the column, "" for the whole row
	Message string // Chinese, safe to show
}

// Error formats the problem as the user reads it: 第7行 检查日期：….
func (e ImportError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("第%d行：%s", e.Line, e.Message)
	}
	return fmt.Sprintf("第%d行 %s：%s", e.Line, e.Column, e.Message)
}

// ImportResult is what a ledger file holds: the good rows and the problems
// of the others. A row with any problem is in Errors only, so a caller can
// import the good rows or refuse the file, as it prefers.
type ImportResult struct {
	Format string // "xlsx" or "csv"
	Rows   []ImportRow
	Errors []ImportError
}

// ReadLedger reads a ledger file: an .xlsx in the layout of the official
// attachment (as WriteLedger writes it or as offices fill it in by hand) or
// a CSV in UTF-8, UTF-8 with BOM, GBK (what Excel writes in China) or
// UTF-16 (Excel's "Unicode text"). The format is told by content; name only
// improves the message for a broken file.
//
// The header row is found by its words, so the title and 填报单位 rows may be
// missing and extra columns are ignored. Reading stops at the 情况小结 footer
// and at the first blank row. Empty rows and the blank template's
// placeholder rows (序号 only, or "……") are skipped. Row problems go to
// ImportResult.Errors; an error is returned only for a file that is not a
// ledger at all, as a *models.Error with a message for the user.
func ReadLedger(r io.Reader, name string) (*ImportResult, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportSize+1))
	if err != nil {
		return nil, fmt.Errorf("report: read ledger: %w", err)
	}
	if len(data) > MaxImportSize {
		return nil, models.Errorf(models.EInvalid, "文件太大（超过 %d MB），请分批导入", MaxImportSize>>20)
	}
	ext := strings.ToLower(filepath.Ext(name))
	var t *table
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		t, err = readXLSX(data)
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		return nil, models.Errorf(models.EInvalid, "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入")
	case ext == ".xlsx" || ext == ".xlsm" || ext == ".xls":
		return nil, models.Errorf(models.EInvalid, "文件“%s”不是有效的 Excel 文件，可能已损坏", filepath.Base(name))
	default:
		t, err = readCSV(data)
	}
	if err != nil {
		return nil, err
	}
	return t.parse()
}

// table is a sheet as rows of cell texts, whatever the file format.
type table struct {
	format   string
	rows     []tableRow
	date1904 bool // dates in the workbook count from 1904 (old Mac Excel)
}

type tableRow struct {
	line  int
	cells []string
}

func errNotLedger() error {
	return models.Errorf(models.EInvalid, "没有找到台账表头，请使用《重点隐患问题动态整改台账》模板（表头应有“重点隐患”“隐患内容”“责任单位”等列）")
}

func readXLSX(data []byte) (t *table, err error) {
	// A malformed upload must not take the server down with it; excelize is
	// not hardened against every broken zip or XML.
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, models.Errorf(models.EInvalid, "Excel 文件已损坏，无法读取")
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    16 * MaxImportSize,
		UnzipXMLSizeLimit: 4 * MaxImportSize,
	})
	if err != nil {
		return nil, models.Errorf(models.EInvalid, "Excel 文件已损坏，无法读取")
	}
	defer f.Close()
	props, _ := f.GetWorkbookProps()
	date1904 := props.Date1904 != nil && *props.Date1904
	sheets := f.GetSheetList()
	for _, sheet := range sheets {
		// Raw values: a date cell gives its serial number, not a text in a
		// locale-dependent format such as 3/15/23.
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			continue
		}
		t := &table{format: "xlsx", date1904: date1904}
		for i, cells := range rows {
			t.rows = append(t.rows, tableRow{line: i + 1, cells: cells})
		}
		if _, ok := t.findHeader(); ok || len(sheets) == 1 {
			return t, nil
		}
	}
	return nil, errNotLedger()
}

func readCSV(data []byte) (*table, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffDelimiter(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	t := &table{format: "csv"}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, models.Errorf(models.EInvalid, "CSV 文件第%d行格式不对，请检查引号是否成对", line)
		}
		line, _ := r.FieldPos(0)
		t.rows = append(t.rows, tableRow{line: line, cells: rec})
	}
	return t, nil
}

// decodeText turns CSV bytes into text. Excel in China saves "CSV" in GBK
// and "CSV UTF-8" with a BOM; anything that is not valid UTF-8 is taken as
// GB18030, GBK's superset.
func decodeText(data []byte) (string, error) {
	if bytes.HasPrefix(data, []byte("\xFF\xFE")) || bytes.HasPrefix(data, []byte("\xFE\xFF")) {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", models.Errorf(models.EInvalid, "文件编码无法识别，请另存为 CSV UTF-8 或 .xlsx")
		}
		return string(b), nil
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if bytes.IndexByte(data, 0) >= 0 {
		return "", errNotLedger() // binary, not text
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", models.Errorf(models.EInvalid, "文件编码无法识别，请另存为 CSV UTF-8 或 .xlsx")
	}
	return string(b), nil
}

// sniffDelimiter picks tab for tab-separated text (Excel's "Unicode text")
// and comma otherwise, by the first non-empty line.
func sniffDelimiter(text string) rune {
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.Count(line, "\t") > strings.Count(line, ",") {
			return '\t'
		}
		return ','
	}
	return ','
}

// field is one thing an import row holds, and where it is in the table.
type field int

const (
	fSeq field = iota
	fTitle
	fDescription
	fInspection
	fMeasures
	fUnit
	fCounty
	fCommittee
	fDeadline
	fRemarks
	fSupervise // 督办, the parent of fCounty and fCommittee
	numFields
)

// fieldNames are the Chinese headers used in error messages.
var fieldNames = [numFields]string{hdrSeq, hdrTitle, hdrDescription, hdrInspection, hdrMeasures,
	hdrUnit, hdrCounty, hdrCommittee, hdrDeadline, hdrRemarks, hdrSupervise}

// fieldLimits are the longest texts accepted, in characters; longer ones are
// almost always a paste into the wrong cell.
var fieldLimits = [numFields]int{
	fTitle: 200, fDescription: 2000, fMeasures: 2000, fUnit: 100,
	fCounty: 100, fCommittee: 100, fRemarks: 1000,
}

// headerAliases maps normalised header texts (see normHeader) to fields:
// the attachment's words first, then what offices commonly write instead.
var headerAliases = map[string]field{
	"序号": fSeq, "编号": fSeq,
	"重点隐患": fTitle, "重点隐患问题": fTitle, "隐患名称": fTitle, "隐患": fTitle,
	"隐患内容": fDescription, "隐患描述": fDescription, "隐患情况": fDescription,
	"检查日期": fInspection, "检查时间": fInspection, "排查日期": fInspection, "排查时间": fInspection,
	"整改措施": fMeasures,
	"责任单位": fUnit, "整改责任单位": fUnit,
	"督办":  fSupervise,
	"县市区": fCounty, "督办县市区": fCounty, "县市区督办": fCounty,
	"市级专委会督办销号": fCommittee, "市级专委会": fCommittee, "专委会": fCommittee,
	"督办市级专委会督办销号": fCommittee, "市级专委会督办": fCommittee,
	"整改时限": fDeadline, "整改期限": fDeadline, "整改完成时限": fDeadline,
	"备注": fRemarks,
}

// normHeader reduces a header cell to its words: no spaces, line breaks,
// brackets, 、 or required-field stars, half-width throughout.
func normHeader(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '(', ')', '（', '）', '、', '*', '＊', ':', '：', '—', '-':
			return -1
		}
		return r
	}, models.Narrow(s))
}

// header says in which column each field is and where the data begins.
type header struct {
	col   [numFields]int // -1 when absent
	first int            // index in table.rows of the first data row
}

// headerScanRows is how far down the header is looked for: past a title,
// 填报单位 and a few lines of notes, but not through a whole unrelated sheet.
const headerScanRows = 30

// findHeader finds the header row: the first row naming 重点隐患 and at least
// two other ledger columns. A second row under it holding 县市区 /
// 市级专委会督办销号 is the lower half of the attachment's two-row header.
func (t *table) findHeader() (header, bool) {
	var h header
	for i := 0; i < len(t.rows) && i < headerScanRows; i++ {
		col, n := mapHeader(t.rows[i].cells)
		if col[fTitle] < 0 || n < 3 {
			continue
		}
		h.col, h.first = col, i+1
		if i+1 < len(t.rows) {
			next := t.rows[i+1].cells
			sub, _ := mapHeader(next)
			if (sub[fCounty] >= 0 || sub[fCommittee] >= 0) && onlyHeaderWords(next) {
				for f, c := range sub {
					if h.col[f] < 0 {
						h.col[f] = c
					}
				}
				h.first = i + 2
			}
		}
		// 督办 without its lower row: its two columns are county then committee.
		if s := h.col[fSupervise]; s >= 0 {
			if h.col[fCounty] < 0 {
				h.col[fCounty] = s
			}
			if h.col[fCommittee] < 0 && h.col[fCounty] == s {
				h.col[fCommittee] = s + 1
			}
		}
		return h, true
	}
	return h, false
}

// mapHeader maps the cells of one row to fields; the first column naming a
// field wins. n counts the fields found.
func mapHeader(cells []string) (col [numFields]int, n int) {
	for i := range col {
		col[i] = -1
	}
	for i, c := range cells {
		f, ok := headerAliases[normHeader(c)]
		if ok && col[f] < 0 {
			col[f] = i
			n++
		}
	}
	return col, n
}

// onlyHeaderWords reports a row holding header words and nothing else: the
// lower header row, whether or not the merged cells above repeat in it.
func onlyHeaderWords(cells []string) bool {
	for _, c := range cells {
		if _, ok := headerAliases[normHeader(c)]; !ok && strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

func (t *table) parse() (*ImportResult, error) {
	h, ok := t.findHeader()
	if !ok {
		return nil, errNotLedger()
	}
	res := &ImportResult{Format: t.format}
	for i := h.first; i < len(t.rows); i++ {
		row := t.rows[i]
		if isFooter(row.cells) {
			break
		}
		if isBlank(row.cells) {
			// The table ends here. Data further down is almost always a
			// mistake, so say so rather than drop it silently.
			for _, later := range t.rows[i+1:] {
				if isFooter(later.cells) {
					break
				}
				if cell(later.cells, h.col[fTitle]) != "" {
					res.Errors = append(res.Errors, ImportError{Line: later.line,
						Message: fmt.Sprintf("第%d行是空行，表格到那里就结束了，以下内容没有导入；请删除空行后重新导入", row.line)})
					break
				}
			}
			break
		}
		r, errs, skip := t.readRow(row, h)
		switch {
		case skip:
		case len(errs) > 0:
			res.Errors = append(res.Errors, errs...)
		default:
			res.Rows = append(res.Rows, r)
		}
	}
	return res, nil
}

func isBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// isFooter reports the 情况小结 row, which ends the table.
func isFooter(cells []string) bool {
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			return strings.HasPrefix(normHeader(c), "情况小结")
		}
	}
	return false
}

// isPlaceholder reports a cell of the blank template's "……" row.
func isPlaceholder(s string) bool {
	return strings.Trim(s, ".。…·") == ""
}

// readRow reads one data row. skip is true for rows holding nothing but a
// 序号 or the template's "……" (and for rows whose only content is in
// columns the ledger does not have).
func (t *table) readRow(row tableRow, h header) (r ImportRow, errs []ImportError, skip bool) {
	var v [numFields]string
	skip = true
	for f := range numFields {
		if f == fSupervise {
			continue
		}
		v[f] = cell(row.cells, h.col[f])
		if f != fSeq && !isPlaceholder(v[f]) {
			skip = false
		}
	}
	if skip {
		return r, nil, true
	}
	bad := func(f field, format string, args ...any) {
		errs = append(errs, ImportError{Line: row.line, Column: fieldNames[f], Message: fmt.Sprintf(format, args...)})
	}
	if isPlaceholder(v[fTitle]) {
		bad(fTitle, "不能为空，请填写隐患名称")
	}
	for f, limit := range fieldLimits {
		if n := utf8.RuneCountInString(v[f]); limit > 0 && n > limit {
			bad(field(f), "太长了（%d 个字），最多 %d 个字", n, limit)
		}
	}
	var dates [2]models.Date
	for i, f := range []field{fInspection, fDeadline} {
		d, msg := parseCellDate(v[f], t.date1904)
		if msg != "" {
			bad(f, "%s", msg)
		}
		dates[i] = d
	}
	number, remarks := splitRemarks(v[fRemarks])
	return ImportRow{
		Line:           row.line,
		Number:         number,
		Title:          v[fTitle],
		Description:    v[fDescription],
		InspectionDate: dates[0],
		Measures:       v[fMeasures],
		Unit:           v[fUnit],
		County:         v[fCounty],
		Committee:      v[fCommittee],
		Deadline:       dates[1],
		Remarks:        remarks,
	}, errs, false
}

var (
	numberLine = regexp.MustCompile(`^(?i)YH\d{4}-\d{4,}$`)
	// stateLine is the second line RemarksText writes: state, days overdue,
	// colour, in that order, each optional.
	stateLine = regexp.MustCompile(`^(?:待交办|整改中|待复查|已销号|已撤销)?(?:，?逾期(?:\d+天)?)?(?:，?[红黄蓝]色挂牌)?$`)
)

// splitRemarks undoes RemarksText: the number line and the state line after
// it are taken out, so a re-imported export keeps the user's remarks only.
func splitRemarks(s string) (number, remarks string) {
	lines := strings.Split(s, "\n")
	first := strings.TrimSpace(models.Narrow(lines[0]))
	if !numberLine.MatchString(first) {
		return "", s
	}
	n, err := models.ParseNumber(first, 0)
	if err != nil {
		return "", s
	}
	lines = lines[1:]
	if len(lines) > 0 {
		if l := strings.TrimSpace(lines[0]); l != "" && stateLine.MatchString(l) {
			lines = lines[1:]
		}
	}
	return n.String(), strings.TrimSpace(strings.Join(lines, "\n"))
}
