package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"hazardbot/models"
)

// Limits bound what ReadLedger reads, so that no upload — a zip bomb, a
// sheet with one cell in column XFD on every row, a CSV of a million lines
// — can take more than a bounded amount of memory or time. Every file is
// read as a stream and refused as soon as it passes a limit.
type Limits struct {
	Rows    int   // rows with content in the sheet (header and footer included)
	Columns int   // the rightmost column holding content
	Bytes   int64 // the upload, and for an .xlsx the sum of its uncompressed parts
}

// DefaultLimits are far above any county's or city's ledger (a few thousand
// rows of ten columns) and far below what would strain the server. A
// server reads within the configured import.* limits (the same by default).
var DefaultLimits = Limits{Rows: 50_000, Columns: 64, Bytes: 64 << 20}

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
	Rectification  string // 整改情况, from the exported 备注 (what the unit reported doing)
	// State is the state the ledger records for the row (recordedState):
	// closed, pending review, or "" for a row still open or silent.
	State models.State
	// Hidden says the row is hidden in the workbook: read like any other
	// (it is data), and told, since the clerk may have forgotten it.
	Hidden bool
}

// ImportError is a problem with one cell or row, told the way a person finds
// it in the file: 第5行 检查日期：….
type ImportError struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"` // the Chinese header of the column, "" for the whole row
	Message string `json:"message"`          // Chinese, safe to show
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

// ReadLedger reads a ledger file within DefaultLimits; see ReadLedgerLimits.
func ReadLedger(r io.Reader, name string) (*ImportResult, error) {
	return ReadLedgerLimits(r, name, DefaultLimits)
}

// ReadLedgerLimits reads a ledger file: an .xlsx in the layout of the
// official attachment (as WriteLedger writes it or as offices fill it in by
// hand) or a CSV in UTF-8, UTF-8 with BOM, GBK (what Excel writes in China)
// or UTF-16 (Excel's "Unicode text"). The format is told by content; name
// only improves the message for a broken file.
//
// Of a workbook's sheets the one whose header is found and that has rows is
// read; a workbook with two such sheets is refused, naming them. The
// header row is found by its words, so the 附件 label, the title and
// 填报单位 rows may be there or not and extra columns are ignored. A cell
// merged down over several rows (a unit, a county, a deadline written once
// for a group of hazards) is read as its text on each of them. Reading
// stops at the 情况小结 footer. Blank rows and the blank template's
// placeholder rows (序号 only, or "……") are skipped. A date without a year
// (3月6日, 3.6) takes the sheet's year: from 填报时间, else from the
// 情况小结 period, else from the row's other date; a 整改时限 that would
// fall before its 检查日期 is in the next year.
//
// The file is read as a stream: an upload over lim.Bytes, an .xlsx whose
// parts uncompress to more, a sheet with content beyond lim.Columns or more
// than lim.Rows rows is refused as soon as that is known, with a message
// naming the limit. Row problems go to ImportResult.Errors; an error is
// returned only for a file that cannot be read as a ledger at all, as a
// *models.Error with a message for the user.
func ReadLedgerLimits(r io.Reader, name string, lim Limits) (*ImportResult, error) {
	if lim.Rows <= 0 || lim.Columns <= 0 || lim.Bytes <= 0 {
		lim = DefaultLimits
	}
	// The upload is spooled to a temporary file: a zip needs random access,
	// and the file's bytes need not sit in memory.
	f, err := os.CreateTemp("", "hazardbot-import-*")
	if err != nil {
		return nil, fmt.Errorf("report: import spool: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r, lim.Bytes+1))
	if err != nil {
		return nil, fmt.Errorf("report: read ledger: %w", err)
	}
	if n > lim.Bytes {
		return nil, ErrTooBig(lim)
	}
	var magic [512]byte
	k, _ := f.ReadAt(magic[:], 0)
	head := magic[:k]
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return readXLSX(f, n, lim)
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0")):
		return nil, models.Errorf(models.EInvalid, "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入")
	}
	// Government systems export web pages and text under an Excel name.
	switch kind := sniffText(head); {
	case kind != "" && kind != textTable:
		return nil, models.Errorf(models.EInvalid, "文件“%s”其实是%s，不是 Excel 文件：请用 Excel 打开它，“另存为” Excel 工作簿（.xlsx）后再导入",
			filepath.Base(name), kind)
	case kind == "" && (ext == ".xlsx" || ext == ".xlsm" || ext == ".xls"):
		return nil, models.Errorf(models.EInvalid, "文件“%s”不是有效的 Excel 文件，可能已损坏", filepath.Base(name))
	}
	return readCSV(f, n, lim)
}

// What the start of a file that is not a workbook shows it to be.
const (
	textTable = "CSV"
	textHTML  = "网页（HTML）格式"
	textXML   = "XML 电子表格"
)

// markupStart are the openings of a web page or an XML spreadsheet, in
// lower case.
var markupStart = []string{"<!doctype", "<html", "<table", "<head", "<body", "<meta", "<style", "<div", "<tr", "<!--"}

// sniffText says what the head of a file that is no zip is: a web page
// (textHTML) or XML spreadsheet (textXML) — starting with a tag after a
// BOM and spaces —, comma- or tab-separated text (textTable: no NUL byte
// but in UTF-16, and a comma or tab), or "" for
// anything else. A web page named .csv is told as one, too.
func sniffText(head []byte) string {
	if bytes.HasPrefix(head, []byte("\xFF\xFE")) || bytes.HasPrefix(head, []byte("\xFE\xFF")) {
		// UTF-16: what this needs to see is ASCII, one byte of each two.
		var b []byte
		for i := 2; i+1 < len(head); i += 2 {
			if c := head[i] | head[i+1]; c < 0x80 && (head[i] == 0 || head[i+1] == 0) {
				b = append(b, c)
			} else {
				b = append(b, 0x80)
			}
		}
		if kind := sniffText(b); kind != "" {
			return kind
		}
		return textTable // Excel's "Unicode text"
	}
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	head = bytes.TrimLeft(head, " \t\r\n")
	lower := bytes.ToLower(head)
	if bytes.HasPrefix(lower, []byte("<?xml")) {
		if bytes.Contains(lower, []byte("<html")) {
			return textHTML
		}
		return textXML
	}
	for _, m := range markupStart {
		if bytes.HasPrefix(lower, []byte(m)) {
			return textHTML
		}
	}
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return ""
	}
	if bytes.ContainsAny(head, ",\t") {
		return textTable
	}
	return ""
}

// ErrTooBig is the refusal of an upload larger than lim.Bytes, for callers
// that cap the upload before it reaches ReadLedgerLimits.
func ErrTooBig(lim Limits) error {
	return models.Errorf(models.EInvalid, "文件太大：超过导入上限 %s，请分批导入", sizeText(lim.Bytes))
}

// sizeText says a byte count the way the limit was likely set: 64 MB, or
// the bytes when it is not a whole number of MB.
func sizeText(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d 字节", n)
}

func errTooManyRows(lim Limits) error {
	return models.Errorf(models.EInvalid, "行数太多：超过导入上限 %d 行，请分批导入", lim.Rows)
}

func errTooManyColumns(lim Limits, line, col int) error {
	return models.Errorf(models.EInvalid, "第%d行第%d列有内容，超过导入上限 %d 列；台账只有十列，请删除多余的列后再导入", line, col, lim.Columns)
}

func errNotLedger() error {
	return models.Errorf(models.EInvalid, "没有找到台账表头，请使用《重点隐患问题动态整改台账》模板（表头应有“重点隐患”“隐患内容”“责任单位”等列）")
}

// errStop ends a sheet's reading early without an error: its header is not
// in the first rows, or the footer has been read.
var errStop = errors.New("report: stop reading")

func readCSV(f *os.File, size int64, lim Limits) (*ImportResult, error) {
	text, err := decodeText(f, size)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(text, 64<<10)
	comma, err := sniffDelimiter(br)
	if err != nil {
		return nil, fmt.Errorf("report: read csv: %w", err)
	}
	r := csv.NewReader(br)
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	p := newParser("csv", false, lim)
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
		cells := rec
		if len(cells) > lim.Columns {
			for i := len(cells) - 1; i >= lim.Columns; i-- {
				if strings.TrimSpace(cells[i]) != "" {
					return nil, errTooManyColumns(lim, line, i+1)
				}
			}
			cells = cells[:lim.Columns]
		}
		// ReuseRecord shares the slice between reads; the strings are new.
		if err := p.feed(tableRow{line: line, cells: slicesClone(cells)}); err != nil {
			if errors.Is(err, errStop) {
				break
			}
			return nil, err
		}
	}
	return p.result()
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// decodeText returns the CSV's text as UTF-8. Excel in China saves "CSV" in
// GBK and "CSV UTF-8" with a BOM; anything that is not valid UTF-8 is taken
// as GB18030, GBK's superset. The file is checked in one streaming pass and
// then decoded as a stream.
func decodeText(f *os.File, size int64) (io.Reader, error) {
	var bom [3]byte
	k, _ := f.ReadAt(bom[:], 0)
	b := bom[:k]
	if bytes.HasPrefix(b, []byte("\xFF\xFE")) || bytes.HasPrefix(b, []byte("\xFE\xFF")) {
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(io.NewSectionReader(f, 0, size), dec), nil
	}
	start := int64(0)
	if bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		start = 3
	}
	valid, binary, err := scanText(io.NewSectionReader(f, start, size-start))
	if err != nil {
		return nil, fmt.Errorf("report: read csv: %w", err)
	}
	if binary {
		return nil, errNotLedger()
	}
	src := io.NewSectionReader(f, start, size-start)
	if valid {
		return src, nil
	}
	return transform.NewReader(src, simplifiedchinese.GB18030.NewDecoder()), nil
}

// scanText reads r once: is it valid UTF-8, and does it hold a NUL byte
// (binary, not text)?
func scanText(r io.Reader) (valid, binary bool, err error) {
	valid = true
	buf := make([]byte, 64<<10)
	var carry []byte
	for {
		n, rerr := r.Read(buf)
		chunk := append(carry, buf[:n]...)
		if bytes.IndexByte(chunk, 0) >= 0 {
			return false, true, nil
		}
		// Keep an incomplete character at the end for the next chunk.
		cut := len(chunk)
		for i := 1; i <= 3 && i <= len(chunk); i++ {
			if utf8.RuneStart(chunk[len(chunk)-i]) {
				if !utf8.FullRune(chunk[len(chunk)-i:]) {
					cut = len(chunk) - i
				}
				break
			}
		}
		if valid && !utf8.Valid(chunk[:cut]) {
			valid = false
		}
		carry = append(carry[:0:0], chunk[cut:]...)
		if errors.Is(rerr, io.EOF) {
			if len(carry) > 0 {
				valid = false
			}
			return valid, false, nil
		}
		if rerr != nil {
			return false, false, rerr
		}
	}
}

// sniffDelimiter picks tab for tab-separated text (Excel's "Unicode text")
// and comma otherwise, by the first non-empty line.
func sniffDelimiter(br *bufio.Reader) (rune, error) {
	for size := 4 << 10; ; size *= 2 {
		b, err := br.Peek(size)
		text := string(b)
		for line := range strings.Lines(text) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if !strings.HasSuffix(line, "\n") && err == nil {
				break // the line goes on past what was peeked
			}
			if strings.Count(line, "\t") > strings.Count(line, ",") {
				return '\t', nil
			}
			return ',', nil
		}
		if err != nil || size >= br.Size() {
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
				return ',', err
			}
			if strings.Count(text, "\t") > strings.Count(text, ",") {
				return '\t', nil
			}
			return ',', nil
		}
	}
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
	fState     // 整改情况 or 整改状态: whether the row is done (recordedState)
	numFields
)

// fieldNames are the Chinese headers used in error messages.
var fieldNames = [numFields]string{hdrSeq, hdrTitle, hdrDescription, hdrInspection, hdrMeasures,
	hdrUnit, hdrCounty, hdrCommittee, hdrDeadline, hdrRemarks, hdrSupervise, hdrState}

// hdrState names the state column of a hand-kept ledger in messages.
const hdrState = "整改情况"

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
	"整改时限": fDeadline, "整改期限": fDeadline, "整改完成时限": fDeadline, "完成时限": fDeadline,
	"整改完成期限": fDeadline, "整改截止日期": fDeadline, "整改截止时间": fDeadline,
	"备注":   fRemarks,
	"整改情况": fState, "完成情况": fState, "整改完成情况": fState, "整改状态": fState, "状态": fState,
	"隐患状态": fState, "整改进展": fState, "整改进度": fState, "销号情况": fState,
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

// header says in which column each field is.
type header struct {
	col [numFields]int // -1 when absent
}

// headerScanRows is how far down the header is looked for: past a 附件
// label, a title, 填报单位 and a few lines of notes, but not through a whole
// unrelated sheet.
const headerScanRows = 30

// tableRow is one row of a sheet as cell texts, whatever the file format.
type tableRow struct {
	line   int
	cells  []string
	hidden bool // hidden in Excel: still data, but the clerk may not know it is there
}

// parser turns a sheet's rows, fed one at a time, into an ImportResult. It
// keeps the rows above the header until the header is found, and after it
// only what each hazard needs.
type parser struct {
	format   string
	date1904 bool // dates in the workbook count from 1904 (old Mac Excel)
	lim      Limits

	pre     []tableRow // rows read before the header was settled
	h       header
	found   bool // the header row has been seen
	settled bool // and the row under it (a possible lower header half) too
	content int  // rows with content, for the row limit
	done    bool // the footer was read

	fillDate   models.Date // 填报时间 above the table
	footerYear int         // the first year of the 情况小结 period

	rows    []ImportRow
	partial []partialDates // beside rows: dates written without a year
	errs    []ImportError
}

// partialDates holds a row's dates written without a year (3月6日), to be
// completed when the whole sheet has been read.
type partialDates struct {
	insp, dead monthDay
}

func newParser(format string, date1904 bool, lim Limits) *parser {
	return &parser{format: format, date1904: date1904, lim: lim}
}

// feed takes the next row. It returns errStop when the rest of the sheet
// need not be read (the footer came, or there is no header in sight).
func (p *parser) feed(row tableRow) error {
	cells := row.cells
	if p.done {
		return errStop
	}
	if isBlank(cells) {
		return nil
	}
	p.content++
	if p.content > p.lim.Rows {
		return errTooManyRows(p.lim)
	}
	if !p.settled {
		p.pre = append(p.pre, row)
		if !p.found {
			if col, n := mapHeader(cells); col[fTitle] >= 0 && n >= 3 {
				p.found, p.h.col = true, col
				p.scanMeta()
				return nil
			}
			if len(p.pre) >= headerScanRows || isFooter(cells) {
				return errStop
			}
			return nil
		}
		// The row under the header: the lower half of the attachment's
		// two-row header, or already data.
		p.settled = true
		above := p.pre[len(p.pre)-2].cells
		p.pre = nil
		sub, _ := mapHeader(cells)
		if (sub[fCounty] >= 0 || sub[fCommittee] >= 0) && onlyHeaderWords(cells, above) {
			for f, c := range sub {
				if p.h.col[f] < 0 {
					p.h.col[f] = c
				}
			}
			p.fixSupervise()
			return nil
		}
		p.fixSupervise()
	}
	if isFooter(cells) {
		p.footerYear = footerYear(cells)
		p.done = true
		return errStop
	}
	p.readRow(row)
	return nil
}

// fixSupervise places the two 督办 columns when the header names only 督办:
// county then committee.
func (p *parser) fixSupervise() {
	if s := p.h.col[fSupervise]; s >= 0 {
		if p.h.col[fCounty] < 0 {
			p.h.col[fCounty] = s
		}
		if p.h.col[fCommittee] < 0 && p.h.col[fCounty] == s {
			p.h.col[fCommittee] = s + 1
		}
	}
}

// scanMeta reads 填报时间 from the rows above the header.
func (p *parser) scanMeta() {
	for _, r := range p.pre {
		for _, c := range r.cells {
			n := normHeader(c)
			i := strings.Index(n, "填报时间")
			if i < 0 {
				continue
			}
			if d, msg := parseCellDate(n[i+len("填报时间"):], p.date1904); msg == "" && !d.IsZero() {
				p.fillDate = d
			}
		}
	}
}

var yearWord = regexp.MustCompile(`((?:19|20)\d{2})\s*年`)

// footerYear is the first year the 情况小结 sentence names.
func footerYear(cells []string) int {
	for _, c := range cells {
		if m := yearWord.FindStringSubmatch(models.Narrow(c)); m != nil {
			var y int
			fmt.Sscan(m[1], &y)
			return y
		}
	}
	return 0
}

// result completes the dates written without a year and returns what the
// sheet holds.
func (p *parser) result() (*ImportResult, error) {
	if !p.found {
		return nil, errNotLedger()
	}
	year := p.fillDate.Year
	if year == 0 {
		year = p.footerYear
	}
	res := &ImportResult{Format: p.format, Errors: p.errs}
	for i, r := range p.rows {
		pd := p.partial[i]
		if pd.insp.ok() || pd.dead.ok() {
			var errs []ImportError
			r, errs = completeDates(r, pd, year, p.fillDate)
			if len(errs) > 0 {
				res.Errors = append(res.Errors, errs...)
				continue
			}
		}
		res.Rows = append(res.Rows, r)
	}
	sortErrors(res.Errors)
	return res, nil
}

// completeDates gives a row's year-less dates their year: the sheet's (a
// 检查日期 after the 填报时间 is of the year before), else the row's other
// date's; a 整改时限 before the 检查日期 is of the year after.
func completeDates(r ImportRow, pd partialDates, sheetYear int, filled models.Date) (ImportRow, []ImportError) {
	var errs []ImportError
	if pd.insp.ok() {
		y := sheetYear
		if y == 0 {
			y = r.Deadline.Year
		}
		if y == 0 {
			errs = append(errs, ImportError{Line: r.Line, Column: hdrInspection, Message: noYear(pd.insp)})
		} else if d, msg := pd.insp.in(y); msg != "" {
			errs = append(errs, ImportError{Line: r.Line, Column: hdrInspection, Message: msg})
		} else {
			if !filled.IsZero() && filled.Before(d) {
				if prev, msg := pd.insp.in(y - 1); msg == "" {
					d = prev
				}
			}
			r.InspectionDate = d
		}
	}
	if pd.dead.ok() {
		y := r.InspectionDate.Year
		if y == 0 {
			y = sheetYear
		}
		if y == 0 {
			errs = append(errs, ImportError{Line: r.Line, Column: hdrDeadline, Message: noYear(pd.dead)})
		} else if d, msg := pd.dead.in(y); msg != "" {
			errs = append(errs, ImportError{Line: r.Line, Column: hdrDeadline, Message: msg})
		} else {
			if !r.InspectionDate.IsZero() && d.Before(r.InspectionDate) {
				if next, msg := pd.dead.in(y + 1); msg == "" {
					d = next
				}
			}
			r.Deadline = d
		}
	}
	return r, errs
}

func noYear(md monthDay) string {
	return fmt.Sprintf("“%d月%d日”没有年份，表中也没有填报时间或情况小结可参照，请写成 2023年%d月%d日", md.month, md.day, md.month, md.day)
}

// sortErrors orders problems by line, keeping each line's order.
func sortErrors(errs []ImportError) {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Line < errs[j-1].Line; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

// onlyHeaderWords reports a row holding header words and nothing else: the
// lower header row, whether or not the merged cells of the header row above
// repeat in it (an office's own column, 备注2, among them).
func onlyHeaderWords(cells, above []string) bool {
	for i, c := range cells {
		if _, ok := headerAliases[normHeader(c)]; !ok && strings.TrimSpace(c) != "" && strings.TrimSpace(c) != cell(above, i) {
			return false
		}
	}
	return true
}

// cell is the text of cell i, without the characters that show nothing
// (models.Visible: a BOM, a pasted zero-width space), as every hazard's
// text is stored, so that importing the file again finds what it made.
func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(models.Visible(cells[i]))
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

// firstText is a row's first cell with content, trimmed.
func firstText(cells []string) string {
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			return c
		}
	}
	return ""
}

var (
	// totalRow starts a 合计 or 小计 row: 合计, 合 计：7项, 小计3.
	totalRow = regexp.MustCompile(`^(?:合计|小计|总计|共计)(?:$|[:：\d])`)
	// signatureRow starts the lines under a table for its signatures and
	// phone: 填表人：张三, 单位负责人（签字）：. The colon tells them from
	// a hazard's title (主要负责人未经安全培训).
	signatureRow = regexp.MustCompile(`^(?:填表人|填报人|制表人|审核人|审核|经办人|联系人|联系电话|电话|` +
		`负责人|单位负责人|主要负责人|分管领导|分管负责人|填报单位|填报时间)(?:\((?:签字|签名|签章|盖章)\))?[:：]`)
	// sectionNumber is a heading's number in Chinese: 一、, （二）, 三.
	sectionNumber = regexp.MustCompile(`^[(（]?[一二三四五六七八九十]+[)）]?[、.．]?`)
)

// isTableNote reports a row that is no hazard though it is in the table:
// a 合计 or 小计 row, the 填表人/审核人/联系电话 line under the table, or
// the 填报单位 line of a second table pasted under the first.
func isTableNote(cells []string) bool {
	first := strings.ReplaceAll(models.Narrow(firstText(cells)), " ", "")
	return totalRow.MatchString(first) || signatureRow.MatchString(first)
}

// isSection reports a heading inside the table (一、燃气领域 in the 序号
// and 重点隐患 columns, or 三、建设领域 in 重点隐患 alone) with nothing
// else on its row: hazards are numbered 1, 2, 3, headings 一、二、三.
func isSection(v *[numFields]string) bool {
	for f, s := range v {
		if s != "" && field(f) != fSeq && field(f) != fTitle {
			return false
		}
	}
	if seq := v[fSeq]; seq != "" {
		return sectionNumber.FindString(seq) == seq
	}
	m := sectionNumber.FindString(v[fTitle])
	return strings.ContainsAny(m, "、.．)）") && m != v[fTitle]
}

// isPlaceholder reports a cell of the blank template's "……" row.
func isPlaceholder(s string) bool {
	return strings.Trim(s, ".。…·") == ""
}

// readRow reads one data row. Rows holding nothing but a 序号 or the
// template's "……" (or content only in columns the ledger does not have),
// 合计 and 填表人 rows, headings (一、燃气领域) and the header repeated
// (tables pasted one under another) are skipped.
func (p *parser) readRow(row tableRow) {
	var v [numFields]string
	skip := true
	for f := range numFields {
		if f == fSupervise {
			continue
		}
		v[f] = cell(row.cells, p.h.col[f])
		if f != fSeq && !isPlaceholder(v[f]) {
			skip = false
		}
	}
	if skip || isTableNote(row.cells) || isSection(&v) || onlyHeaderWords(row.cells, nil) {
		return
	}
	var errs []ImportError
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
	var pd partialDates
	for i, f := range []field{fInspection, fDeadline} {
		d, md, msg := parseLedgerDate(v[f], p.date1904)
		if msg != "" {
			bad(f, "%s", msg)
		}
		dates[i] = d
		if i == 0 {
			pd.insp = md
		} else {
			pd.dead = md
		}
	}
	if len(errs) > 0 {
		p.errs = append(p.errs, errs...)
		return
	}
	number, stateText, rectification, remarks := splitRemarks(v[fRemarks])
	// The state column says it when it says anything; else our export's
	// state line, else the clerk's 备注.
	state := recordedState(v[fState])
	switch {
	case v[fState] != "":
	case number != "":
		state = recordedState(stateText)
	default:
		state = recordedState(remarks)
	}
	p.rows = append(p.rows, ImportRow{
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
		Rectification:  rectification,
		State:          state,
		Hidden:         row.hidden,
	})
	p.partial = append(p.partial, pd)
}

var (
	numberLine = regexp.MustCompile(`^(?i)YH\d{4}-\d{4,}$`)
	// stateLine is the second line RemarksText writes: state, days overdue,
	// colour, in that order, each optional.
	stateLine = regexp.MustCompile(`^(?:待交办|整改中|待复查|已销号|已撤销)?(?:，?逾期(?:\d+天)?)?(?:，?[红黄蓝]色挂牌)?$`)
)

// rectificationPrefix starts the 备注 line that tells what the unit
// reported having done (整改情况).
const rectificationPrefix = "整改情况："

// splitRemarks undoes RemarksText: the number line, the state line after it
// and the 整改情况 line are taken out, so a re-imported export keeps the
// user's remarks only.
func splitRemarks(s string) (number, state, rectification, remarks string) {
	lines := strings.Split(s, "\n")
	first := strings.TrimSpace(models.Narrow(lines[0]))
	if !numberLine.MatchString(first) {
		return "", "", "", s
	}
	n, err := models.ParseNumber(first, 0)
	if err != nil {
		return "", "", "", s
	}
	lines = lines[1:]
	if len(lines) > 0 {
		if l := strings.TrimSpace(lines[0]); l != "" && stateLine.MatchString(l) {
			state = l
			lines = lines[1:]
		}
	}
	if len(lines) > 0 {
		if l, ok := strings.CutPrefix(strings.TrimSpace(lines[0]), rectificationPrefix); ok {
			rectification = strings.TrimSpace(l)
			lines = lines[1:]
		}
	}
	return n.String(), state, rectification, strings.TrimSpace(strings.Join(lines, "\n"))
}

// The words by which a hand-kept ledger records a row's state. A done
// word said with 未, 没, 待 or 不 before it (未整改完成) is not one.
var (
	closedWords = []string{"已销号"}
	doneWords   = []string{"已整改", "已完成", "整改完成", "完成整改", "待复查"}
	// openWords say the work goes on, whatever done word is beside them
	// (部分已整改，其余正在整改).
	openWords = []string{"整改中", "正在整改", "未整改", "待整改", "部分"}
)

// recordedState is the state a ledger cell records: closed (已销号),
// pending review (已整改, 已完成, 整改完成, 已整改到位 … and no word saying
// the work goes on), or "" — open, or nothing said. It is the one rule for
// 备注, a state column and our export's state line.
func recordedState(text string) models.State {
	text = strings.ReplaceAll(models.Narrow(text), " ", "")
	if text == "" {
		return ""
	}
	for _, w := range closedWords {
		if said(text, w) {
			return models.StateClosed
		}
	}
	for _, w := range openWords {
		if strings.Contains(text, w) {
			return ""
		}
	}
	for _, w := range doneWords {
		if said(text, w) {
			return models.StatePendingReview
		}
	}
	return ""
}

// said reports text saying word without a negation just before it.
func said(text, word string) bool {
	for rest := text; ; {
		i := strings.Index(rest, word)
		if i < 0 {
			return false
		}
		if r, _ := utf8.DecodeLastRuneInString(rest[:i]); i == 0 || !strings.ContainsRune("未没待不", r) {
			return true
		}
		rest = rest[i+len(word):]
	}
}
