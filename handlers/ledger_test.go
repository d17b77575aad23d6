package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hazardbot/bot/report"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestAdminLedgerExport(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "zhangsan", "title": "燃气管道锈蚀", "unit": "demo_gas", "deadline": "2023-03-31"}, 201, nil)
		e.admin("POST", "/api/v1/hazards", map[string]any{"actor": "wushi", "title": "消防通道堵塞", "region": "zhangwan"}, 201, nil)
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/ledger.xlsx?scope=maojian", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		cd := resp.Header.Get("Content-Disposition")
		if !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape("重点隐患问题动态整改台账-2023-03-01.xlsx")) {
			t.Errorf("Content-Disposition %q", cd)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatalf("the export does not open: %v", err)
		}
		defer f.Close()
		rows, err := f.GetRows(report.SheetName)
		if err != nil {
			t.Fatal(err)
		}
		all := ""
		for _, r := range rows {
			all += strings.Join(r, "|") + "\n"
		}
		if !strings.Contains(all, "燃气管道锈蚀") || strings.Contains(all, "消防通道堵塞") {
			t.Fatalf("maojian's ledger holds the wrong hazards:\n%s", all)
		}
	})
	t.Run("a bad filter is refused", func(t *testing.T) {
		e := newEnv(t, modelstest.Open(t, "sqlite"))
		if status, _ := e.errorCode("GET", "/api/v1/ledger.xlsx?scope=nowhere", nil); status != 400 {
			t.Fatalf("status %d", status)
		}
	})
}
