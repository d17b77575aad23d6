package bot

import (
	"context"

	"hazardbot/bot/command"
	"hazardbot/bot/report"
	"hazardbot/models"
)

// What the H5 pages ask of the bot. Each page reads through the same rules
// as chat (what waits on whom, the period of a 统计, the figures) and changes
// hazards through Transition, so a page and a chat command cannot disagree.

// TodoList is one section of what waits on someone: 待整改, 待复查, 待交办,
// 已逾期, 我上报的.
type TodoList struct {
	Title   string
	Filter  models.HazardFilter
	Hazards []models.Hazard // the first ones, newest first
	More    bool            // there are more than Hazards
}

// todoLists says what waits on a, in the order chat's 我的 lists it.
func todoLists(tx *models.Tx, a *models.Actor) ([]TodoList, error) {
	var out []TodoList
	if a.Has(models.RoleContact) {
		ids, err := tx.SubtreeIDs(a.Unit)
		if err != nil {
			return nil, err
		}
		out = append(out, TodoList{Title: "待整改", Filter: models.HazardFilter{UnitIDs: ids, States: []models.State{models.StateRectifying}}})
	}
	if a.Has(models.RoleSupervisor) {
		out = append(out,
			TodoList{Title: "待复查", Filter: models.HazardFilter{Scope: a.Unit, States: []models.State{models.StatePendingReview}}},
			TodoList{Title: "待核实", Filter: models.HazardFilter{Scope: a.Unit, States: []models.State{models.StateUnverified}}},
			TodoList{Title: "待交办", Filter: models.HazardFilter{Scope: a.Unit, States: []models.State{models.StateReported}}},
			TodoList{Title: "已逾期", Filter: models.HazardFilter{Scope: a.Unit, Overdue: true}})
	}
	out = append(out, TodoList{Title: "我上报的（未销号）", Filter: models.HazardFilter{ReporterID: a.UserID,
		States: []models.State{models.StateUnverified, models.StateReported, models.StateRectifying, models.StatePendingReview}}})
	return out, nil
}

// fillTodo reads up to limit hazards of each list, newest first, and
// whether there are more; it does not count them, since a count over a
// scope reads every row of it and the page links to the full list.
func fillTodo(tx *models.Tx, lists []TodoList, limit int) error {
	for i := range lists {
		f := lists[i].Filter
		f.Limit, f.Desc = limit+1, true
		list, err := tx.FindHazards(f)
		if err != nil {
			return err
		}
		if len(list) > limit {
			list, lists[i].More = list[:limit], true
		}
		lists[i].Hazards = list
	}
	return nil
}

// Todo returns what waits on userid, the newest limit hazards a section,
// the same sections as chat's 我的.
func (b *Bot) Todo(ctx context.Context, userid string, limit int) ([]TodoList, error) {
	tx := b.store.Reads(ctx)
	a, err := tx.Actor(userid)
	if err != nil {
		return nil, err
	}
	lists, err := todoLists(tx, a)
	if err != nil {
		return nil, err
	}
	return lists, fillTodo(tx, lists, limit)
}

// statsPeriod reads the period of a 统计 (empty: the running campaign, up to
// today, else the last 30 days).
func (b *Bot) statsPeriod(tx *models.Tx, text string) (command.Period, error) {
	var campaign *command.Period
	camp, err := tx.CampaignOn(b.today())
	if err != nil {
		return command.Period{}, err
	}
	if camp != nil {
		campaign = &command.Period{From: camp.Start, To: camp.End, Label: camp.Name}
		if campaign.To.After(b.today()) {
			campaign.To = b.today()
		}
	}
	return command.ParsePeriod(text, b.now(), b.loc(), campaign)
}

// ParsePeriod reads a period as 统计 does (今日, 本周, 本月, 活动, 2月1日至3月15日;
// empty: the running campaign, else the last 30 days), for the ledger page's filter.
func (b *Bot) ParsePeriod(ctx context.Context, text string) (command.Period, error) {
	return b.statsPeriod(b.store.Reads(ctx), text)
}

// Overview is the figures of someone's scope for the 首页: the 情况小结
// sentence 统计 prints, a breakdown by county (or, inside one county, by
// responsible unit) and the week-by-week trend, all from one filter.
type Overview struct {
	Period    command.Period
	ScopeName string
	Filter    models.SummaryFilter
	Total     models.Figures
	Sentence  string
	By        models.Grouping
	Rows      []models.SummaryRow
	Weeks     []models.WeekFigures
}

// Overview computes userid's figures for periodText (as 统计 reads it) and
// the last weeks weeks.
func (b *Bot) Overview(ctx context.Context, userid, periodText string, weeks int) (*Overview, error) {
	tx := b.store.Reads(ctx)
	a, err := tx.Actor(userid)
	if err != nil {
		return nil, err
	}
	if !a.Known() {
		return nil, models.Errorf(models.EForbidden, "%s", msgNeedDirectory)
	}
	period, err := b.statsPeriod(tx, periodText)
	if err != nil {
		return nil, err
	}
	o := &Overview{Period: period, ScopeName: a.Unit.ShortName(), By: models.ByRegion,
		Filter: models.SummaryFilter{From: period.From, To: period.To, Scope: a.Unit}}
	if r, err := tx.RegionOf(a.Unit); err != nil {
		return nil, err
	} else if r != nil {
		o.By = models.ByUnit
	}
	if o.Total, o.Rows, err = tx.SummaryAndBy(o.Filter, o.By); err != nil {
		return nil, err
	}
	o.Sentence = report.SummarySentence(period.From, period.To, o.ScopeName, o.Total)
	trend := models.SummaryFilter{Scope: a.Unit}
	if o.Weeks, err = tx.SummaryByWeek(trend, b.today(), weeks); err != nil {
		return nil, err
	}
	return o, nil
}

// StoredPhoto is a photo a page has put in the files, not yet on a hazard.
type StoredPhoto struct {
	Path, ContentType string
	Size              int64
}

// TransitionWithPhotos is Transition for a page that uploaded photos: they
// join userid's pending photos in the same transaction, so a submit adopts
// them as after-photos and a refused change leaves none behind.
func (b *Bot) TransitionWithPhotos(ctx context.Context, userid string, n models.Number, action models.Action, c models.Change, photos []StoredPhoto) (*models.Result, error) {
	var r *models.Result
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		a, err := tx.Actor(userid)
		if err != nil {
			return err
		}
		for _, p := range photos {
			if _, err := tx.AddStoredPhoto(userid, p.Path, p.ContentType, p.Size); err != nil {
				return err
			}
		}
		if len(photos) > 0 {
			c.Photos = true
		}
		r, err = b.transition(tx, a, n, action, c)
		return err
	})
	return r, err
}

// DoneText is the confirmation chat gives for a change, for a page to show.
func (b *Bot) DoneText(r *models.Result) string { return b.doneText(r) }
