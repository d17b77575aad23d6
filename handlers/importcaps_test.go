package handlers

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"hazardbot/bot/report"
	"hazardbot/config"
	"hazardbot/models/modelstest"
)

// TestImportCapsAreConfigured: a careless or hostile upload to the ledger
// import is refused with a 400 naming the configured cap (import.*), not
// the built-in one, and writes nothing; a file within the caps goes
// through. The defaults are the reader's own.
func TestImportCapsAreConfigured(t *testing.T) {
	def := config.Default().Import
	if got := (report.Limits{Rows: def.MaxRows, Columns: def.MaxColumns, Bytes: int64(def.MaxBytes)}); got != report.DefaultLimits {
		t.Fatalf("default import caps %+v, the reader's %+v", got, report.DefaultLimits)
	}
	e := newEnv(t, modelstest.Open(t, "sqlite"), func(d *Deps) {
		cfg := *d.Config
		cfg.Import = config.Import{MaxRows: 100, MaxColumns: 16, MaxBytes: 1 << 20}
		d.Config = &cfg
	})
	head := "重点隐患,隐患内容,检查日期,整改措施,责任单位,县市区,市级专委会,整改时限\n"
	row := "燃气管道锈蚀,内容,2023-02-20,更换,十堰市某燃气有限公司（示例）,茅箭区,,2023-03-20\n"
	pad := strings.Repeat("x", 100)
	multipartBody := func(data string) (string, []byte) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "台账.csv")
		fw.Write([]byte(data))
		mw.Close()
		return mw.FormDataContentType(), body.Bytes()
	}
	for _, c := range []struct {
		name, data, want string
		multipart        bool
	}{
		{"101 rows", head + strings.Repeat(row, 100), "超过导入上限 100 行", false},
		{"a value in column 17", head + strings.TrimSuffix(row, "\n") + strings.Repeat(",", 9) + "多余\n", "第2行第17列有内容，超过导入上限 16 列", false},
		{"1.5 MB, under the body cap", head + strings.Repeat("隐患,"+pad+"\n", 15_000), "超过导入上限 1 MB", false},
		{"3 MB, over the body cap", head + strings.Repeat("隐患,"+pad+"\n", 30_000), "超过导入上限 1 MB", false},
		{"3 MB as multipart", head + strings.Repeat("隐患,"+pad+"\n", 30_000), "超过导入上限 1 MB", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/ledger/import?dry_run=false&actor=admin&name=ledger.csv", strings.NewReader(c.data))
			if c.multipart {
				ct, body := multipartBody(c.data)
				req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/ledger/import?dry_run=false&actor=admin", bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
			}
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var r apiError
			json.NewDecoder(resp.Body).Decode(&r)
			if resp.StatusCode != 400 || !strings.Contains(r.Message, c.want) {
				t.Fatalf("%d %+v, want 400 saying %q", resp.StatusCode, r, c.want)
			}
			if n := e.count("hazards"); n != 0 {
				t.Fatalf("a refused import wrote %d hazards", n)
			}
		})
	}
	t.Run("within the caps", func(t *testing.T) {
		e.admin("POST", "/api/v1/ledger/import?dry_run=false&actor=admin&name=ledger.csv", []byte(head+strings.Repeat(row, 98)), 200, nil)
		if n := e.count("hazards"); n != 98 {
			t.Fatalf("%d hazards imported, want 98", n)
		}
	})
}
