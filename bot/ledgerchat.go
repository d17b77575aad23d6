package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"hazardbot/bot/command"
	"hazardbot/bot/report"
	"hazardbot/models"
)

// LedgerDir is where, in the files, generated ledgers are kept: the weekly
// digest's and those asked for in chat.
const LedgerDir = "ledgers"

// xlsxType is the content type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// PutLedger writes the official ledger of the hazards f selects to name in
// files. It is built in a temporary file first (the ledger streams from
// tx) and stored before the transaction that queues its message commits,
// so the sender never looks for a file that is not there.
func PutLedger(tx *models.Tx, files Files, f models.HazardFilter, meta report.LedgerMeta, name string) error {
	if files == nil {
		return fmt.Errorf("bot: no file storage for the ledger %s", name)
	}
	tmp, err := os.CreateTemp("", "ledger-*.xlsx")
	if err != nil {
		return fmt.Errorf("bot: ledger file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := report.WriteHazardLedger(tx, f, meta, tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("bot: ledger file: %w", err)
	}
	if _, err := files.Put(context.Background(), name, xlsxType, tmp); err != nil {
		return fmt.Errorf("bot: ledger file: %w", err)
	}
	return nil
}

// span is what a 统计, 台账 or 排名 covers: a period, the asker's scope
// narrowed by the region or sector words they typed, the name of that
// scope, and the grouping of its breakdown.
type span struct {
	Period command.Period
	Filter models.SummaryFilter
	Name   string
	By     models.Grouping
	// InCounty is set when the scope lies inside one county, whose
	// breakdown is by sector (统计) or by responsible unit (排名).
	InCounty bool
}

// span resolves a period as typed and region/sector words against the
// asker's scope; the campaign running today is the default period.
func (c *turn) span(periodText string, filters []string) (*span, error) {
	period, err := c.b.statsPeriod(c.tx, periodText)
	if err != nil {
		return nil, err
	}
	s := &span{Period: period, Filter: models.SummaryFilter{From: period.From, To: period.To, Scope: c.actor.Unit},
		Name: c.actor.Unit.ShortName(), By: models.ByRegion}
	if r, err := c.tx.RegionOf(c.actor.Unit); err != nil {
		return nil, err
	} else if r != nil {
		s.By, s.InCounty = models.BySector, true
	}
	f := &s.Filter
	for _, w := range filters {
		if sec, ok := matchSector(w); ok {
			f.Sector = sec
			s.Name += sec + "行业"
			if !s.InCounty {
				s.By = models.ByRegion
			}
			continue
		}
		u, err := c.resolveUnit(w, "区域或行业", models.KindRegion)
		if err != nil {
			return nil, err
		}
		f.RegionID = &u.ID
		s.Name = u.ShortName()
		s.By, s.InCounty = models.BySector, true
	}
	if f.Sector != "" && f.RegionID != nil {
		s.Name += f.Sector + "行业"
	}
	return s, nil
}

// mayPullLedger reports whether a user may have a scope's ledger in chat:
// supervisors, leaders, admins and the staff of a committee (市安委办, a
// county's 安委办, a special committee), who owe the weekly report.
func mayPullLedger(a *models.Actor) bool {
	if !a.Known() {
		return false
	}
	if a.Has(models.RoleSupervisor) || a.Has(models.RoleLeader) || a.Has(models.RoleAdmin) {
		return true
	}
	switch a.Unit.Kind {
	case models.KindCommittee, models.KindRegion, models.KindSpecialCommittee:
		return true
	}
	return false
}

// ledger sends the official .xlsx of the asker's scope as a file message.
func (c *turn) ledger(cmd command.Command) error {
	if !mayPullLedger(c.actor) {
		return models.Errorf(models.EForbidden, "%s", msgLedgerRefused)
	}
	s, err := c.span(cmd.PeriodText, cmd.Filters)
	if err != nil {
		return err
	}
	sf := s.Filter
	hf := models.HazardFilter{Scope: sf.Scope, From: sf.From, To: sf.To, RegionID: sf.RegionID, Sector: sf.Sector}
	n, err := c.tx.CountHazards(hf)
	if err != nil {
		return err
	}
	if n == 0 {
		c.say(msgLedgerEmpty, s.Name, inParens(report.PeriodText(s.Period.From, s.Period.To)))
		return nil
	}
	meta, err := report.MetaFor(c.tx, c.actor.Unit, s.Period.From, s.Period.To)
	if err != nil {
		return err
	}
	today := c.b.today()
	meta.FilledAt = today
	sum := sha256.Sum256([]byte(c.key))
	name := path.Join(LedgerDir, "chat", fmt.Sprintf("%s-%s-%s.xlsx", today, c.actor.Unit.Code, hex.EncodeToString(sum[:6])))
	if err := PutLedger(c.tx, c.b.files, hf, meta, name); err != nil {
		return err
	}
	item, err := outboxItem("ledger|"+c.key, []string{c.actor.UserID},
		Outgoing{Kind: OutFile, File: name, FileName: report.ScopeFileName(s.Name, today)})
	if err != nil {
		return err
	}
	if _, err := c.tx.Enqueue(item); err != nil {
		return err
	}
	c.say(msgLedgerComing, s.Name, inParens(report.PeriodText(s.Period.From, s.Period.To)), n)
	return nil
}

// ranking answers 排名: the regions of the asker's scope, or inside one
// county its responsible units, ranked on the plan's figures.
func (c *turn) ranking(cmd command.Command) error {
	if !c.actor.Known() {
		return models.Errorf(models.EForbidden, "%s", msgNeedDirectory)
	}
	s, err := c.span(cmd.PeriodText, cmd.Filters)
	if err != nil {
		return err
	}
	by := models.ByRegion
	if s.InCounty {
		by = models.ByUnit
	}
	rows, err := c.tx.Ranking(s.Filter, by)
	if err != nil {
		return err
	}
	what := "各县市区"
	if by == models.ByUnit {
		what = "各责任单位"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "【考核排名】%s · %s%s\n", report.PeriodText(s.Period.From, s.Period.To), s.Name, what)
	shown := 0
	for _, r := range rows {
		if r.Found == 0 {
			continue
		}
		b.WriteString(RankLine(r) + "\n")
		shown++
	}
	if shown == 0 {
		b.WriteString("本期没有发现隐患，无法排名。\n")
	} else {
		b.WriteString("按整改率（销号÷发现）排，同率比逾期少、销号快。")
	}
	c.reply.Text = strings.TrimRight(b.String(), "\n")
	return nil
}

// RankLine is one line of the ranking as chat and digests print it,
// readable on a phone: "1. 茅箭区：整改率41.7% 发现12 整改8 销号5 逾期1 平均9.5天销号".
func RankLine(r models.RankRow) string {
	s := fmt.Sprintf("%d. %s：整改率%s 发现%d 整改%d 销号%d 逾期%d", r.Rank, r.Name, report.FormatRate(r.Figures), r.Found, r.Rectified, r.Closed, r.Overdue)
	if r.AvgDays != nil {
		s += fmt.Sprintf(" 平均%.1f天销号", *r.AvgDays)
	}
	return s
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return "（" + s + "）"
}

// The sentences of 台账 and 排名.
const (
	msgLedgerRefused = "台账只发给督办员、领导和安委办工作人员。你可以发“统计”看汇总，或“查询 编号”看单条隐患。"
	msgLedgerEmpty   = "%s%s没有隐患，无需导出台账。"
	msgLedgerComing  = "%s%s的台账（%d条）随后以 Excel 文件发给你。"
)
