package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"hazardbot/models"
)

// fuzzSeeds are the starting inputs of FuzzReadLedger, also kept as files in
// testdata/fuzz/FuzzReadLedger so plain `go test` runs them.
func fuzzSeeds(t testing.TB) map[string]struct {
	data []byte
	name string
} {
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(templateCSV))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		data []byte
		name string
	}{
		"template-utf8": {[]byte(templateCSV), "台账.csv"},
		"template-gbk":  {gbk, "台账.csv"},
		"flat-bom":      {[]byte("\xEF\xBB\xBF重点隐患,检查日期,整改时限\n隐患甲,44980,2023年3月1日\n"), "a.csv"},
		"quotes":        {[]byte("重点隐患,隐患内容,责任单位\n\"a\"\"b\",\"c\nd\",e\n"), "q.csv"},
		"exported-xlsx": {writeSample(t), "台账.xlsx"},
		"not-a-ledger":  {[]byte("姓名,电话\n"), "x.txt"},
		"xfd-bomb":      {craftedXLSX(t, "A1:XFD20", 20, xfdRow), "炸弹.xlsx"},
	}
}

func FuzzReadLedger(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.data, s.name)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		res, err := ReadLedger(bytes.NewReader(data), name)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error %v is not a user-facing invalid error", err)
			}
			return
		}
		if res == nil {
			t.Fatal("nil result without an error")
		}
		last := 0
		for _, r := range res.Rows {
			if r.Title == "" || r.Line <= last {
				t.Fatalf("row %+v: empty title or line not after %d", r, last)
			}
			last = r.Line
			if n := utf8.RuneCountInString(r.Title); n > fieldLimits[fTitle] {
				t.Fatalf("title of %d characters passed the limit", n)
			}
			for _, d := range []models.Date{r.InspectionDate, r.Deadline} {
				if !d.IsZero() && !models.ValidDate(d.Year, d.Month, d.Day) {
					t.Fatalf("impossible date %v accepted", d)
				}
			}
		}
		for _, e := range res.Errors {
			if e.Line <= 0 || e.Message == "" {
				t.Fatalf("error without a place or a message: %+v", e)
			}
		}
	})
}

// TestFuzzCorpus keeps testdata/fuzz/FuzzReadLedger in step with fuzzSeeds
// (go test -update rewrites it), so the seeds run as plain tests and a
// changed export format shows up as a stale corpus.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReadLedger")
	for key, s := range fuzzSeeds(t) {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nstring(%s)\n", strconv.Quote(string(s.data)), strconv.Quote(s.name))
		path := filepath.Join(dir, "seed-"+key)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -update writes the corpus)", err)
		}
		if string(got) != want {
			t.Errorf("%s is stale; go test -update rewrites it", path)
		}
	}
}
