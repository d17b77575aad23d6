package bot_test

import (
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/bot/report"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

const ledgerHeader = "序号,重点隐患,隐患内容,检查日期,整改措施,责任单位,县市区,市级专委会督办销号,整改时限,备注\n"

// goodLedger has one assigned hazard from this year and one unassigned
// hazard inspected last year.
const goodLedger = ledgerHeader +
	"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,十堰市某燃气有限公司（示例）,茅箭区,市燃气安全专业委员会,2023-03-31,\n" +
	"2,消防通道堵塞,楼道堆放杂物,2022-12-20,,,张湾区,,,已清理一半\n"

// badLedger names a unit and a county the directory does not know, beside
// a good row.
const badLedger = ledgerHeader +
	"1,燃气管道锈蚀,阀门井内管道锈蚀,2023-02-23,更换管段,某燃气有限公司,茅箭,,2023-03-31,\n" +
	"2,消防通道堵塞,楼道堆放杂物,2023-02-24,,,张湾区,,,\n"

func readLedger(t *testing.T, csv string) *report.ImportResult {
	t.Helper()
	res, err := report.ReadLedger(strings.NewReader(csv), "台账.csv")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func countHazards(t *testing.T, s *models.Store) int64 {
	t.Helper()
	var n int64
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		n, err = tx.CountHazards(models.HazardFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportLedger(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)

		t.Run("only an admin may import", func(t *testing.T) {
			_, err := c.b.ImportLedger(ctx, "wangwu", readLedger(t, goodLedger), true)
			if models.ErrorCode(err) != models.EForbidden {
				t.Fatalf("err = %v, want forbidden", err)
			}
		})

		t.Run("dry run reports every row and writes nothing", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, goodLedger), true)
			if err != nil {
				t.Fatal(err)
			}
			if !li.DryRun || li.Created != 0 || len(li.Errors) != 0 || len(li.Rows) != 2 {
				t.Fatalf("dry run = %+v", li)
			}
			want := []bot.LedgerImportRow{
				{Line: 2, Number: "YH2023-0001", Title: "燃气管道锈蚀", Unit: "十堰市某燃气有限公司（示例）", County: "茅箭区安委会",
					Committee: "市燃气安全专业委员会", State: models.StateRectifying, Deadline: models.NewDate(2023, 3, 31)},
				{Line: 3, Number: "YH2022-0001", Title: "消防通道堵塞", County: "张湾区安委会", State: models.StateReported},
			}
			for i, w := range want {
				if li.Rows[i] != w {
					t.Errorf("row %d = %+v\nwant %+v", i, li.Rows[i], w)
				}
			}
			if n := countHazards(t, s); n != 0 {
				t.Fatalf("dry run wrote %d hazards", n)
			}
		})

		t.Run("dry run of a bad file names the cells and the closest units", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, badLedger), true)
			if err != nil {
				t.Fatal(err)
			}
			if len(li.Rows) != 1 || li.Rows[0].Line != 3 {
				t.Errorf("good rows = %+v, want line 3 only", li.Rows)
			}
			if len(li.Errors) != 2 {
				t.Fatalf("errors = %+v, want 2", li.Errors)
			}
			for i, w := range []struct{ col, contains string }{
				{"责任单位", "最接近的是：十堰市某燃气有限公司（示例）"},
				{"县市区", "茅箭区安委会"},
			} {
				e := li.Errors[i]
				if e.Line != 2 || e.Column != w.col || !strings.Contains(e.Message, w.contains) {
					t.Errorf("error %d = %+v, want line 2 %s containing %q", i, e, w.col, w.contains)
				}
			}
		})

		t.Run("a real run with an error writes nothing and returns the errors", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, badLedger), false)
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("err = %v, want invalid", err)
			}
			if li == nil || len(li.Errors) != 2 || li.Created != 0 {
				t.Fatalf("import = %+v", li)
			}
			if n := countHazards(t, s); n != 0 {
				t.Fatalf("refused import wrote %d hazards", n)
			}
		})

		t.Run("a real run creates every hazard", func(t *testing.T) {
			li, err := c.b.ImportLedger(ctx, "admin", readLedger(t, goodLedger), false)
			if err != nil {
				t.Fatal(err)
			}
			if li.Created != 2 {
				t.Fatalf("created %d, want 2", li.Created)
			}
			h := c.hazard("YH2023-0001")
			if h.State != models.StateRectifying || h.UnitID == nil || h.CommitteeID == nil || h.Sector != "燃气" || h.Deadline != models.NewDate(2023, 3, 31) {
				t.Errorf("YH2023-0001 = %+v", h)
			}
			old := c.hazard("YH2022-0001")
			if old.State != models.StateReported || old.RegionID == nil || old.Remarks != "已清理一半" || old.FoundOn != models.NewDate(2022, 12, 20) {
				t.Errorf("YH2022-0001 = %+v", old)
			}
			if ev := c.events(h); len(ev) != 1 || ev[0].Action != models.ActImport || ev[0].ActorID != "admin" {
				t.Errorf("events = %+v, want one import by admin", ev)
			}
		})
	})
}
