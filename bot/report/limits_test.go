package report

import (
	"archive/zip"
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"hazardbot/models"
)

// craftedXLSX builds a workbook by hand, as an attacker would: rows of
// sheet XML given by row(i), with or without a <dimension> element.
func craftedXLSX(t testing.TB, dimension string, rows int, row func(i int) string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	if dimension != "" {
		fmt.Fprintf(w, `<dimension ref="%s"/>`, dimension)
	}
	fmt.Fprint(w, `<sheetData>`)
	for i := 1; i <= rows; i++ {
		fmt.Fprint(w, row(i))
	}
	fmt.Fprint(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xfdRow is one cell in the last column Excel has, on row i.
func xfdRow(i int) string {
	return fmt.Sprintf(`<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>`, i, i)
}

// readAllocs reads data and says how many bytes the reading allocated.
func readAllocs(data []byte, name string, lim Limits) (*ImportResult, error, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := ReadLedgerLimits(bytes.NewReader(data), name, lim)
	runtime.ReadMemStats(&after)
	return res, err, after.TotalAlloc - before.TotalAlloc
}

// TestReadLedgerRefusesSpreadsheetBombs: the workbook of the attack in
// issue 10 (one cell in column XFD on each of 100,000 rows, a few hundred
// KB zipped) and its variants are refused by the default limits with a
// message naming the limit, having allocated a few MB at most.
func TestReadLedgerRefusesSpreadsheetBombs(t *testing.T) {
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>重点隐患</t></is></c><c r="B1" t="inlineStr"><is><t>隐患内容</t></is></c><c r="C1" t="inlineStr"><is><t>责任单位</t></is></c></row>`
	for _, c := range []struct {
		name     string
		data     func(t testing.TB) []byte
		wantMsg  string
		maxAlloc uint64 // bytes the refusal may allocate; 0: not checked
		lim      Limits
	}{
		{"XFD on every row, declared", func(t testing.TB) []byte {
			return craftedXLSX(t, "A1:XFD100000", 100_000, xfdRow)
		}, "超过导入上限 64 列", 8 << 20, DefaultLimits},
		{"XFD on every row, no dimension", func(t testing.TB) []byte {
			return craftedXLSX(t, "", 100_000, xfdRow)
		}, "超过导入上限 64 列", 8 << 20, DefaultLimits},
		{"XFD under a real header, dimension lying", func(t testing.TB) []byte {
			return craftedXLSX(t, "A1:C3", 100_000, func(i int) string {
				if i == 1 {
					return header
				}
				return xfdRow(i)
			})
		}, "超过导入上限 64 列", 8 << 20, DefaultLimits},
		{"too many rows, declared", func(t testing.TB) []byte {
			return craftedXLSX(t, "A1:A1048576", 10, xfdRow)
		}, "超过导入上限 50000 行", 8 << 20, DefaultLimits},
		{"too many rows of content", func(t testing.TB) []byte {
			return craftedXLSX(t, "", 60_000, func(i int) string {
				if i == 1 {
					return header
				}
				return fmt.Sprintf(`<row r="%d"><c r="A%d"><v>1</v></c></row>`, i, i)
			})
		}, "超过导入上限 50000 行", 0, DefaultLimits},
		{"a part inflating past the limit", func(t testing.TB) []byte {
			return craftedXLSX(t, "", 1, func(int) string {
				return `<row r="1"><c r="A1" t="inlineStr"><is><t>` + strings.Repeat("0", 2<<20) + `</t></is></c></row>`
			})
		}, "解压后超过导入上限 1 MB", 8 << 20, Limits{Rows: 50_000, Columns: 64, Bytes: 1 << 20}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			if len(data) > 1<<20 {
				t.Fatalf("crafted file is %d bytes; the attack fits in 1 MB", len(data))
			}
			res, err, allocs := readAllocs(data, "炸弹.xlsx", c.lim)
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("ReadLedger = %+v, %v; want an invalid error", res, err)
			}
			if msg := models.ErrorMessage(err); !strings.Contains(msg, c.wantMsg) {
				t.Errorf("message %q does not name the limit %q", msg, c.wantMsg)
			}
			// Refusing the attack costs a few MB, nowhere near the
			// 100 MB budget.
			if c.maxAlloc > 0 && allocs > c.maxAlloc {
				t.Errorf("refusing the file allocated %d MB", allocs>>20)
			}
		})
	}
}

// TestReadLedgerCSVLimits: the same limits hold for CSV.
func TestReadLedgerCSVLimits(t *testing.T) {
	lim := Limits{Rows: 5, Columns: 8, Bytes: 4 << 10}
	head := "重点隐患,隐患内容,责任单位\n"
	for _, c := range []struct {
		name, csv, wantMsg string
	}{
		{"a value in column 9", head + "隐患甲,内容,单位,,,,,,多余\n", "第2行第9列有内容，超过导入上限 8 列"},
		{"six rows of content", head + strings.Repeat("隐患,内容,单位\n", 5), "超过导入上限 5 行"},
		{"over the size", head + strings.Repeat("隐患,内容,单位\n", 400), "超过导入上限 4096 字节"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadLedgerLimits(strings.NewReader(c.csv), "a.csv", lim)
			if msg := models.ErrorMessage(err); models.ErrorCode(err) != models.EInvalid || !strings.Contains(msg, c.wantMsg) {
				t.Errorf("ReadLedgerLimits = %v; want an invalid error saying %q", err, c.wantMsg)
			}
		})
	}
	t.Run("empty columns past the limit are fine", func(t *testing.T) {
		res, err := ReadLedgerLimits(strings.NewReader(head+"隐患甲,内容,单位,,,,,,,,,\n"), "a.csv", lim)
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("ReadLedgerLimits = %+v, %v; want one row", res, err)
		}
	})
}

// TestReadLedgerYearlessDates: a hand-kept ledger writes 3月6日 and 3.6;
// the year comes from 填报时间, else the 情况小结 period, else the row's
// other date, and a deadline before the inspection is next year's.
func TestReadLedgerYearlessDates(t *testing.T) {
	const cols = "序号,重点隐患,检查日期,整改时限\n"
	for _, c := range []struct {
		name       string
		csv        string
		want       [][2]models.Date
		wantErrors []string
	}{
		{
			name: "year of 填报时间",
			csv: "填报单位：郧阳区安委会,,填报时间：2023年3月10日,\n" + cols +
				"1,甲,3月6日,3.31\n2,乙,3.6,3月1日\n3,丙,12月20日,2023/12/31\n",
			want: [][2]models.Date{{date(2023, 3, 6), date(2023, 3, 31)}, {date(2023, 3, 6), date(2024, 3, 1)},
				{date(2022, 12, 20), date(2023, 12, 31)}},
		},
		{
			name: "year of the 情况小结 period",
			csv: cols + "1,甲,3月6日,4月30日\n" +
				"情况小结：2023年2月20日至3月10日，郧阳区检查发现重点隐患问题1个，已整改完成0个，已销号0个\n",
			want: [][2]models.Date{{date(2023, 3, 6), date(2023, 4, 30)}},
		},
		{
			name: "year of the row's other date",
			csv:  cols + "1,甲,3月6日,2024-04-30\n2,乙,2023.3.1,3月15日\n",
			want: [][2]models.Date{{date(2024, 3, 6), date(2024, 4, 30)}, {date(2023, 3, 1), date(2023, 3, 15)}},
		},
		{
			name:       "no year anywhere",
			csv:        cols + "1,甲,3月6日,\n2,乙,2月30日,\n",
			wantErrors: []string{"第2行 检查日期：“3月6日”没有年份，表中也没有填报时间或情况小结可参照，请写成 2023年3月6日", "第3行 检查日期：没有2月30日这一天，请检查日期"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := ReadLedger(strings.NewReader(c.csv), "a.csv")
			if err != nil {
				t.Fatal(err)
			}
			var got [][2]models.Date
			for _, r := range res.Rows {
				got = append(got, [2]models.Date{r.InspectionDate, r.Deadline})
			}
			var errs []string
			for _, e := range res.Errors {
				errs = append(errs, e.Error())
			}
			if !slices.Equal(got, c.want) || !slices.Equal(errs, c.wantErrors) {
				t.Errorf("dates %v errors %q\nwant %v errors %q", got, errs, c.want, c.wantErrors)
			}
		})
	}
}

// TestReadLedgerSharedStringsBomb: a workbook whose string table is
// half a million one-letter strings (8 MB unzipped, 20 KB zipped: within
// the limits, so read) holds the table in little more than its text, not
// a string header and an allocation per entry (16 MB for this one; at the
// 64 MB limit 120 MB live and 240 MB at the peak, from a 150 KB upload).
func TestReadLedgerSharedStringsBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, `<sst><si><t>重点隐患</t></si><si><r><t>隐患</t></r><r><t>内容</t></r></si><si><t>责任单位</t><rPh><t>ゼキ</t></rPh></si>`)
	n := (8 << 20) / len("<si><t>a</t></si>")
	fmt.Fprint(w, strings.Repeat("<si><t>a</t></si>", n), `</sst>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sst, err := readSharedStrings(zr.File[0])
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if sst.len() != n+3 || sst.at(0) != "重点隐患" || sst.at(1) != "隐患内容" || sst.at(2) != "责任单位" || sst.at(n+2) != "a" {
		t.Errorf("table of %d strings: %q %q %q … %q", sst.len(), sst.at(0), sst.at(1), sst.at(2), sst.at(n+2))
	}
	if live := int64(after.HeapAlloc) - int64(before.HeapAlloc); live > 6<<20 {
		t.Errorf("the table of %d strings holds %d MB", n, live>>20)
	}
	runtime.KeepAlive(sst)
}
