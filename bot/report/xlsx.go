package report

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"hazardbot/models"
)

// The .xlsx reader is a small streaming one over archive/zip and
// encoding/xml rather than excelize's: excelize loads every part but the
// worksheets into memory and parses the shared strings into a tree several
// times their size, so a crafted workbook within the size limit could still
// take gigabytes. Here the zip's declared sizes are checked before anything
// is uncompressed (archive/zip refuses a part that inflates past its
// declared size), the sheet's declared dimension is checked before its rows,
// and rows are read one at a time; only the shared strings and the hazards
// themselves are kept.

func errCorrupt() error {
	return models.Errorf(models.EInvalid, "Excel 文件已损坏，无法读取")
}

func errTooBigUnzipped(lim Limits) error {
	return models.Errorf(models.EInvalid, "Excel 文件解压后超过导入上限 %s，请分批导入", sizeText(lim.Bytes))
}

// xlsxSheet is one worksheet of the workbook, in the workbook's order.
type xlsxSheet struct {
	name string
	part *zip.File
}

func readXLSX(f *os.File, size int64, lim Limits) (res *ImportResult, err error) {
	// A malformed upload must not take the server down with it.
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, errCorrupt()
		}
	}()
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, errCorrupt()
	}
	parts := map[string]*zip.File{}
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		if total > uint64(lim.Bytes) {
			return nil, errTooBigUnzipped(lim)
		}
		parts[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(zf.Name, `\`, "/"), "/"))] = zf
	}
	wb := parts["xl/workbook.xml"]
	if wb == nil {
		return nil, errCorrupt()
	}
	date1904, sheets, err := readWorkbook(wb, parts)
	if err != nil {
		return nil, err
	}
	if len(sheets) == 0 {
		return nil, errCorrupt()
	}
	sst := &sharedStrings{}
	sstRead := false
	// The ledger is the one sheet with a ledger header and rows under it;
	// a sheet with the header alone (an empty template) is taken only when
	// no sheet has rows. Two sheets with rows are refused: taking the first
	// would drop the other's hazards without a word.
	var first, chosen *parser
	var filled []string
	for _, sh := range sheets {
		if !sstRead {
			// Read only once a sheet is to be read, so a workbook refused
			// for its shape costs nothing more.
			if part := parts["xl/sharedstrings.xml"]; part != nil {
				if sst, err = readSharedStrings(part); err != nil {
					return nil, err
				}
			}
			sstRead = true
		}
		p := newParser("xlsx", date1904, lim)
		err := readMergesAndSheet(sh.part, sst, p, lim)
		if err != nil && !errors.Is(err, errStop) {
			if first != nil && !p.found {
				continue // a sheet of something else beside the ledger
			}
			return nil, err
		}
		if !p.found {
			continue
		}
		if first == nil {
			first = p
		}
		if len(p.rows) > 0 || len(p.errs) > 0 {
			chosen = cmp.Or(chosen, p)
			filled = append(filled, sh.name)
		}
	}
	if len(filled) > 1 {
		return nil, models.Errorf(models.EInvalid, "工作簿里有 %d 张台账表（“%s”），一次只能导入一张：请把其他表删除或另存为单独的文件后再导入",
			len(filled), strings.Join(filled, "”“"))
	}
	if p := cmp.Or(chosen, first); p != nil {
		return p.result()
	}
	return nil, errNotLedger()
}

// readMergesAndSheet streams one worksheet's rows into p, each merged
// cell's text carried down over the rows it spans.
func readMergesAndSheet(part *zip.File, sst *sharedStrings, p *parser, lim Limits) error {
	downs, err := readMerges(part, lim)
	if err != nil {
		return err
	}
	return readSheet(part, sst, downs, p, lim)
}

// readWorkbook reads the date system and the worksheets in order.
func readWorkbook(wb *zip.File, parts map[string]*zip.File) (date1904 bool, sheets []xlsxSheet, err error) {
	type sheetRef struct{ name, rid string }
	var refs []sheetRef
	err = eachElement(wb, func(d *xml.Decoder, e xml.StartElement) error {
		switch e.Name.Local {
		case "workbookPr":
			v := attr(e, "date1904")
			date1904 = v == "1" || v == "true"
		case "sheet":
			refs = append(refs, sheetRef{attr(e, "name"), attr(e, "id")})
		}
		return nil
	})
	if err != nil {
		return false, nil, err
	}
	targets := map[string]string{}
	if rels := parts["xl/_rels/workbook.xml.rels"]; rels != nil {
		err = eachElement(rels, func(d *xml.Decoder, e xml.StartElement) error {
			if e.Name.Local == "Relationship" {
				t := strings.ReplaceAll(attr(e, "Target"), `\`, "/")
				if strings.HasPrefix(t, "/") {
					t = strings.TrimPrefix(t, "/")
				} else {
					t = path.Join("xl", t)
				}
				targets[attr(e, "Id")] = strings.ToLower(path.Clean(t))
			}
			return nil
		})
		if err != nil {
			return false, nil, err
		}
	}
	seen := map[*zip.File]bool{}
	for _, r := range refs {
		if part := parts[targets[r.rid]]; part != nil && !seen[part] {
			seen[part] = true
			sheets = append(sheets, xlsxSheet{r.name, part})
		}
	}
	if len(sheets) == 0 {
		// No usable relationships: take the worksheet parts by name.
		var names []string
		for n := range parts {
			if strings.HasPrefix(n, "xl/worksheets/") && strings.HasSuffix(n, ".xml") {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			sheets = append(sheets, xlsxSheet{n, parts[n]})
		}
	}
	return date1904, sheets, nil
}

// eachElement calls fn for every start element of a part.
func eachElement(part *zip.File, fn func(*xml.Decoder, xml.StartElement) error) error {
	rc, err := part.Open()
	if err != nil {
		return errCorrupt()
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errCorrupt()
		}
		if e, ok := tok.(xml.StartElement); ok {
			if err := fn(d, e); err != nil {
				return err
			}
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// sharedStrings is the workbook's string table as one block of text and
// where each string ends: a few bytes per string beside its text. A
// []string took a header and an allocation per string, 30 bytes or more
// for a one-letter string, so a table of millions of them within the size
// limit held several times the limit.
type sharedStrings struct {
	text []byte
	ends []uint32 // the end of string i in text; uncompressed parts stay under 4 GB
}

func (s *sharedStrings) len() int { return len(s.ends) }

// at is string i of the table.
func (s *sharedStrings) at(i int) string {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return string(s.text[start:s.ends[i]])
}

// readSharedStrings reads the workbook's string table: each <si> is the
// text of its <t> elements, phonetic runs (<rPh>) left out.
func readSharedStrings(part *zip.File) (*sharedStrings, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, errCorrupt()
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var (
		out       sharedStrings
		inSI, inT bool
		phonetic  int
	)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return &out, nil
		}
		if err != nil {
			return nil, errCorrupt()
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "si":
				inSI = true
			case "rPh":
				phonetic++
			case "t":
				inT = inSI && phonetic == 0
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "si":
				if inSI {
					out.ends = append(out.ends, uint32(len(out.text)))
				}
				inSI = false
			case "rPh":
				phonetic--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				out.text = append(out.text, e...)
			}
		}
	}
}

// mergedDown is a cell merged down over the rows below it: its text is
// every row's, as Excel shows it.
type mergedDown struct {
	col, last int // the column (1-based) and the range's last row
}

// fillDown is a merged cell's text carried down to the range's last row.
type fillDown struct {
	last int
	text string
}

// maxMerges is how many merged ranges spanning rows a sheet may have for
// each row the limits allow: a ledger merges a unit or a county over a few
// rows, a handful per row at most.
const maxMerges = 4

// readMerges reads a worksheet's merged ranges that span rows, keyed by
// their first row. They come after the rows in the part, which is
// therefore read twice rather than held: the first time only scanned for
// the <mergeCells> element, without parsing the rows (a sheet refused for
// its rows costs no more than before).
func readMerges(part *zip.File, lim Limits) (map[int][]mergedDown, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, errCorrupt()
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	if found, err := skipToElement(br, "mergeCells"); err != nil || !found {
		return nil, err
	}
	downs := map[int][]mergedDown{}
	n := 0
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<"), br))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return downs, nil
		}
		if err != nil {
			return nil, errCorrupt()
		}
		switch e := tok.(type) {
		case xml.EndElement:
			if e.Name.Local == "mergeCells" {
				return downs, nil
			}
		case xml.StartElement:
			if e.Name.Local != "mergeCell" {
				continue
			}
			first, last, ok := strings.Cut(attr(e, "ref"), ":")
			if !ok {
				continue
			}
			c1, r1, ok1 := cellRef(first)
			_, r2, ok2 := cellRef(last)
			if !ok1 || !ok2 || r2 <= r1 || c1 > lim.Columns {
				continue // across one row only: a heading, not a value of several rows
			}
			if n++; n > maxMerges*lim.Rows {
				return nil, models.Errorf(models.EInvalid, "合并单元格太多（超过 %d 处），请取消合并后再导入", maxMerges*lim.Rows)
			}
			downs[r1] = append(downs[r1], mergedDown{col: c1, last: r2})
		}
	}
}

// skipToElement reads br up to just after the '<' of the first element
// whose local name is name, without parsing what comes before.
func skipToElement(br *bufio.Reader, name string) (bool, error) {
	for {
		_, err := br.ReadSlice('<')
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, errCorrupt()
		}
		tag, _ := br.Peek(len(name) + 16)
		end := bytes.IndexAny(tag, " \t\r\n/>")
		if end < 0 {
			continue
		}
		tag = tag[:end]
		if i := bytes.IndexByte(tag, ':'); i >= 0 {
			tag = tag[i+1:]
		}
		if string(tag) == name {
			return true, nil
		}
	}
}

// cellRef is the 1-based column and row of a reference such as "F7".
func cellRef(ref string) (col, row int, ok bool) {
	col, ok = columnOf(ref)
	if !ok {
		return 0, 0, false
	}
	row, err := strconv.Atoi(strings.TrimLeft(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$"))
	return col, row, err == nil && row > 0
}

// readSheet streams one worksheet's rows into p, each cell merged down
// over several rows (downs, by first row) read as its text in each.
func readSheet(part *zip.File, sst *sharedStrings, downs map[int][]mergedDown, p *parser, lim Limits) error {
	rc, err := part.Open()
	if err != nil {
		return errCorrupt()
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var (
		cells         []string
		line, col     int // the current row (1-based) and cell column (1-based)
		typ           string
		val, inline   strings.Builder
		inV, inIS     bool
		inT, phonetic int
		hidden        bool                 // the row is hidden
		active        = map[int]fillDown{} // by column: merged cells carried down
	)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errCorrupt()
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "dimension":
				if err := checkDimension(attr(e, "ref"), lim); err != nil {
					return err
				}
			case "row":
				if r, err := strconv.Atoi(attr(e, "r")); err == nil && r > line {
					line = r
				} else {
					line++
				}
				if line > 1<<20 {
					return errCorrupt()
				}
				cells, col = cells[:0], 0
				hidden = xmlTrue(attr(e, "hidden"))
			case "c":
				col++
				if ref := attr(e, "r"); ref != "" {
					c, ok := columnOf(ref)
					if !ok {
						return errCorrupt()
					}
					col = c
				}
				typ = attr(e, "t")
				val.Reset()
				inline.Reset()
			case "v":
				inV = true
			case "is":
				inIS = true
			case "rPh":
				phonetic++
			case "t":
				if inIS && phonetic == 0 {
					inT++
				}
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "v":
				inV = false
			case "is":
				inIS = false
			case "rPh":
				phonetic--
			case "t":
				if inT > 0 {
					inT--
				}
			case "c":
				text, err := cellText(typ, val.String(), inline.String(), sst)
				if err != nil {
					return err
				}
				if strings.TrimSpace(text) == "" {
					continue
				}
				if col > lim.Columns {
					return errTooManyColumns(lim, line, col)
				}
				for len(cells) < col {
					cells = append(cells, "")
				}
				cells[col-1] = text
			case "row":
				cells = mergeDown(cells, line, downs, active)
				if err := p.feed(tableRow{line: line, cells: slices.Clone(cells), hidden: hidden}); err != nil {
					return err
				}
			case "sheetData":
				return nil
			}
		case xml.CharData:
			switch {
			case inV:
				val.Write(e)
			case inT > 0:
				inline.Write(e)
			}
		}
	}
}

// xmlTrue reads an XML schema boolean ("1" or "true").
func xmlTrue(v string) bool { return v == "1" || v == "true" }

// mergeDown gives row line's cells the text of the merged cells above
// that cover them, and starts carrying down those that begin on it.
func mergeDown(cells []string, line int, downs map[int][]mergedDown, active map[int]fillDown) []string {
	for col, f := range active {
		if line > f.last {
			delete(active, col)
			continue
		}
		if strings.TrimSpace(cell(cells, col-1)) == "" {
			for len(cells) < col {
				cells = append(cells, "")
			}
			cells[col-1] = f.text
		}
	}
	for _, m := range downs[line] {
		if text := cell(cells, m.col-1); text != "" {
			active[m.col] = fillDown{last: m.last, text: cells[m.col-1]}
		}
	}
	return cells
}

// cellText is a cell's value as text: shared and inline strings as written,
// numbers (and so dates) raw, as Excel stores them.
func cellText(typ, v, inline string, sst *sharedStrings) (string, error) {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= sst.len() {
			return "", errCorrupt()
		}
		return sst.at(i), nil
	case "inlineStr":
		return inline, nil
	case "e":
		return "", nil // #N/A and the like hold nothing to import
	}
	return v, nil
}

// checkDimension refuses a sheet whose declared used range passes the
// limits, before any of its rows is read.
func checkDimension(ref string, lim Limits) error {
	_, last, ok := strings.Cut(ref, ":")
	if !ok {
		last = ref
	}
	col, ok := columnOf(last)
	if !ok {
		return nil // a dimension is a hint; the rows are checked anyway
	}
	if col > lim.Columns {
		return models.Errorf(models.EInvalid, "表格有 %d 列（到第 %s 列），超过导入上限 %d 列；台账只有十列，请删除多余的列后再导入",
			col, strings.TrimRight(last, "0123456789$"), lim.Columns)
	}
	digits := strings.TrimLeft(last, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$")
	if rows, err := strconv.Atoi(digits); err == nil && rows > lim.Rows+headerScanRows {
		return models.Errorf(models.EInvalid, "表格有 %d 行，超过导入上限 %d 行，请分批导入", rows, lim.Rows)
	}
	return nil
}

// columnOf is the 1-based column of a cell reference such as "B5" or "$XFD$7".
func columnOf(ref string) (int, bool) {
	col, n := 0, 0
	for _, r := range ref {
		switch {
		case r == '$':
			continue
		case r >= 'A' && r <= 'Z':
			col = col*26 + int(r-'A'+1)
		case r >= 'a' && r <= 'z':
			col = col*26 + int(r-'a'+1)
		default:
			return col, n > 0 && col <= 16384
		}
		n++
		if n > 3 {
			return 0, false
		}
	}
	return col, n > 0 && col <= 16384
}
