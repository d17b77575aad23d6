package h5

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hazardbot/bot"
	"hazardbot/bot/report"
	"hazardbot/models"
)

// funcs are the templates' helpers; they only format.
var funcs = template.FuncMap{
	"state":  models.StateName,
	"colour": func(c models.Colour) string { return models.ColourName(c) },
	"date": func(d models.Date) string {
		if d.IsZero() {
			return "—"
		}
		return d.Chinese()
	},
	"short": func(d models.Date) string {
		if d.IsZero() {
			return ""
		}
		return fmt.Sprintf("%d月%d日", d.Month, d.Day)
	},
	"rate": report.FormatRate,
}

// trendWeeks is how many weeks the 首页's trend shows.
const trendWeeks = 8

// todoLimit is how many hazards a to-do section shows.
const todoLimit = 5

// item is one hazard in a list.
type item struct {
	Number, Title, State, Unit, County string
	StateCode                          models.State
	Deadline                           models.Date
	OverdueDays                        int
	Colour                             models.Colour
}

func (p *Pages) items(tx *models.Tx, list []models.Hazard) ([]item, error) {
	var ids []uint
	for _, h := range list {
		for _, id := range []*uint{h.UnitID, h.RegionID} {
			if id != nil {
				ids = append(ids, *id)
			}
		}
	}
	units, err := tx.UnitsByID(ids...)
	if err != nil {
		return nil, err
	}
	today := tx.Today()
	out := make([]item, 0, len(list))
	for i := range list {
		h := &list[i]
		it := item{Number: h.Number, Title: h.Title, State: models.StateName(h.State), StateCode: h.State,
			Deadline: h.Deadline, OverdueDays: h.OverdueDays(today), Colour: h.Colour}
		if h.UnitID != nil && units[*h.UnitID] != nil {
			it.Unit = units[*h.UnitID].Name
		}
		if h.RegionID != nil && units[*h.RegionID] != nil {
			it.County = units[*h.RegionID].ShortName()
		}
		out = append(out, it)
	}
	return out, nil
}

// homeView is the 首页.
type homeView struct {
	Todo      []todoSection
	Sentence  string
	Period    string
	Periods   []periodLink
	ByTitle   string
	ByChart   template.HTML
	Trend     template.HTML
	Total     models.Figures
	HasLedger bool
}

type todoSection struct {
	Title string
	Count string // "3", or "5+" when there are more
	Items []item
	More  string // link to the whole list in 台账, "" when all are shown
}

type periodLink struct {
	Label, Value string
	Current      bool
}

func (homeView) title() (string, string) { return "首页", "home" }

// homePeriods are the spans the 首页 offers, as 统计 reads them.
var homePeriods = []periodLink{{Label: "活动/近30天", Value: ""}, {Label: "本周", Value: "本周"}, {Label: "本月", Value: "本月"}, {Label: "今年", Value: "今年"}}

// Home is the 首页: GET /h5/?period=.
func (p *Pages) Home(c *gin.Context) {
	v := viewerOf(c)
	ctx := c.Request.Context()
	period := c.Query("period")
	o, err := p.d.Bot.Overview(ctx, v.Actor.UserID, period, trendWeeks)
	if err != nil {
		p.fail(c, err)
		return
	}
	lists, err := p.d.Bot.Todo(ctx, v.Actor.UserID, todoLimit)
	if err != nil {
		p.fail(c, err)
		return
	}
	tx := p.d.Store.Reads(ctx)
	hv := homeView{Sentence: o.Sentence, Period: o.Period.Label, Total: o.Total}
	for _, pl := range homePeriods {
		pl.Current = pl.Value == period
		hv.Periods = append(hv.Periods, pl)
	}
	for _, l := range lists {
		if len(l.Hazards) == 0 {
			continue
		}
		its, err := p.items(tx, l.Hazards)
		if err != nil {
			p.fail(c, err)
			return
		}
		s := todoSection{Title: l.Title, Count: fmt.Sprint(len(its)), Items: its}
		if l.More {
			s.Count += "+"
			s.More = ledgerLinkFor(l)
		}
		hv.Todo = append(hv.Todo, s)
	}
	by := "按县市区"
	if o.By == models.ByUnit {
		by = "按责任单位"
	}
	hv.ByTitle = by + "（" + o.Period.Label + "）"
	rows := o.Rows
	if o.By == models.ByUnit && len(rows) > 12 {
		rows = rows[:12] // the units with most found; the ledger has the rest
	}
	hv.ByChart = template.HTML(report.FiguresChart(o.ScopeName+hv.ByTitle, rows))
	hv.Trend = template.HTML(report.TrendChart(o.ScopeName+"近8周趋势", o.Weeks))
	p.page(c, http.StatusOK, "home", hv)
}

// ledgerLinkFor is the 台账 address that lists a whole to-do section, where
// the ledger's filters can say it.
func ledgerLinkFor(l bot.TodoList) string {
	q := url.Values{}
	if l.Filter.Overdue {
		q.Set("overdue", "1")
	}
	if len(l.Filter.States) == 1 {
		q.Set("state", string(l.Filter.States[0]))
	}
	if len(q) == 0 {
		return ""
	}
	return "/h5/ledger?" + q.Encode()
}

// ledgerView is the 台账.
type ledgerView struct {
	Query     ledgerQuery
	Counties  []models.Unit
	Sectors   []string
	States    []option
	Colours   []option
	Items     []item
	Total     int64
	Next      string // address of the next page, "" on the last
	First     string // address of the first page, "" on it
	XLSX      string
	Sentence  string
	PeriodErr string
}

type option struct{ Value, Label string }

func (ledgerView) title() (string, string) { return "台账", "ledger" }

// ledgerQuery is the 台账's filter as the page's form sends it.
type ledgerQuery struct {
	Period, County, Sector, State, Colour string
	Overdue                               bool
}

func (q ledgerQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"period": q.Period, "county": q.County, "sector": q.Sector, "state": q.State, "colour": q.Colour} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Overdue {
		v.Set("overdue", "1")
	}
	return v
}

// ledgerPage is how many hazards one page of the 台账 shows.
const ledgerPage = 20

// ledgerFilter reads the 台账's filter for viewer a: always within a's
// scope, the period read as 统计 reads it.
func (p *Pages) ledgerFilter(c *gin.Context, tx *models.Tx, a *models.Actor) (models.HazardFilter, ledgerQuery, error) {
	q := ledgerQuery{Period: strings.TrimSpace(c.Query("period")), County: c.Query("county"), Sector: c.Query("sector"),
		State: c.Query("state"), Colour: c.Query("colour"), Overdue: c.Query("overdue") == "1"}
	f := models.HazardFilter{Scope: a.Unit, Overdue: q.Overdue}
	if q.Period != "" {
		per, err := p.d.Bot.ParsePeriod(c.Request.Context(), q.Period)
		if err != nil {
			return f, q, err
		}
		f.From, f.To = per.From, per.To
	}
	if q.County != "" {
		u, err := tx.FindUnitByCode(q.County)
		if err != nil || u.Kind != models.KindRegion {
			return f, q, models.Errorf(models.EInvalid, "没有这个县市区：%s", q.County)
		}
		f.RegionID = &u.ID
	}
	if q.Sector != "" {
		if !models.ValidSector(q.Sector) {
			return f, q, models.Errorf(models.EInvalid, "行业“%s”不在列表中，可选：%s", q.Sector, strings.Join(models.Sectors, "、"))
		}
		f.Sector = q.Sector
	}
	if q.State != "" {
		if !slices.Contains(models.States, models.State(q.State)) {
			return f, q, models.Errorf(models.EInvalid, "没有这个状态：%s", q.State)
		}
		f.States = []models.State{models.State(q.State)}
	}
	switch col := models.Colour(q.Colour); col {
	case models.ColourNone, models.ColourRed, models.ColourYellow, models.ColourBlue:
		f.Colour = col
	default:
		return f, q, models.Errorf(models.EInvalid, "挂牌颜色只能是红、黄、蓝")
	}
	return f, q, nil
}

// Ledger is the 台账: GET /h5/ledger with the filter, newest first, a page
// at a time (after= the last number's id of the previous page).
func (p *Pages) Ledger(c *gin.Context) {
	v := viewerOf(c)
	tx := p.d.Store.Reads(c.Request.Context())
	f, q, err := p.ledgerFilter(c, tx, v.Actor)
	lv := ledgerView{Query: q, Sectors: models.Sectors}
	for _, s := range models.States {
		lv.States = append(lv.States, option{string(s), models.StateName(s)})
	}
	for _, col := range []models.Colour{models.ColourRed, models.ColourYellow, models.ColourBlue} {
		lv.Colours = append(lv.Colours, option{string(col), models.ColourName(col) + "牌"})
	}
	regions, rerr := tx.Regions()
	if rerr != nil {
		p.fail(c, rerr)
		return
	}
	if mine, rerr := tx.RegionOf(v.Actor.Unit); rerr != nil {
		p.fail(c, rerr)
		return
	} else if mine != nil {
		regions = []models.Unit{*mine}
	}
	lv.Counties = regions
	if err != nil {
		if models.ErrorCode(err) != models.EInvalid {
			p.fail(c, err)
			return
		}
		// A filter that cannot be read is said on the page, with the form
		// still there to fix it.
		lv.PeriodErr = models.ErrorMessage(err)
		p.page(c, http.StatusBadRequest, "ledger", lv)
		return
	}
	if after, _ := strconv.ParseUint(c.Query("after"), 10, 32); after > 0 {
		f.AfterID = uint(after)
		lv.First = "/h5/ledger?" + q.values().Encode()
	}
	f.Desc, f.Limit = true, ledgerPage+1
	list, err := tx.FindHazards(f)
	if err != nil {
		p.fail(c, err)
		return
	}
	if len(list) > ledgerPage {
		list = list[:ledgerPage]
		nv := q.values()
		nv.Set("after", strconv.FormatUint(uint64(list[len(list)-1].ID), 10))
		lv.Next = "/h5/ledger?" + nv.Encode()
	}
	if lv.Items, err = p.items(tx, list); err != nil {
		p.fail(c, err)
		return
	}
	if lv.Total, err = tx.CountHazards(f); err != nil {
		p.fail(c, err)
		return
	}
	lv.XLSX = "/h5/ledger.xlsx?" + q.values().Encode()
	p.page(c, http.StatusOK, "ledger", lv)
}

// LedgerXLSX downloads the official ledger for the 台账's filter: GET /h5/ledger.xlsx.
func (p *Pages) LedgerXLSX(c *gin.Context) {
	v := viewerOf(c)
	var buf bytes.Buffer
	var today models.Date
	err := p.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		f, _, err := p.ledgerFilter(c, tx, v.Actor)
		if err != nil {
			return err
		}
		today = tx.Today()
		return report.WriteFilteredLedger(tx, f, &buf)
	})
	if err != nil {
		p.fail(c, err)
		return
	}
	name := report.FileName(today)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="ledger-%s.xlsx"; filename*=UTF-8''%s`, today, url.PathEscape(name)))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// hazardView is a hazard's page.
type hazardView struct {
	H        *models.Hazard
	Row      report.LedgerRow
	Level    string
	Colour   string
	Reporter string
	Reviewer string
	Coords   string
	Before   []photo
	After    []photo
	Events   []event
	Can      map[string]bool
	Done     string
	Error    string
	Today    string
	MinDate  string
}

type photo struct {
	ID    uint
	URL   string // the photo as sent
	Full  string // what a tap opens: the photo, or a large JPEG of a HEIC one
	Ready bool   // fetched from WeCom
}

type event struct {
	When, Who, What, Note string
}

func (hazardView) title() (string, string) { return "隐患详情", "" }

// actions the hazard page offers, in its order; each is offered to whoever
// models.Permit and the state machine allow, the rules chat obeys.
var pageActions = []models.Action{models.ActAccept, models.ActSubmit, models.ActPass, models.ActReject,
	models.ActList, models.ActRequestExtend, models.ActApproveExtend, models.ActDismiss}

// loadHazard reads hazard number for viewer a, refusing one outside a's
// scope with 403, as 查询 does.
func (p *Pages) loadHazard(c *gin.Context, tx *models.Tx, a *models.Actor) (*models.Hazard, error) {
	n, err := models.ParseNumber(c.Param("number"), tx.Today().Year)
	if err != nil {
		return nil, models.Errorf(models.ENotFound, "没有这个隐患编号：%s", c.Param("number"))
	}
	h, err := tx.FindHazardByNumber(n)
	if err != nil {
		return nil, err
	}
	ok, err := tx.CanSee(a, h)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.Errorf(models.EForbidden, "你无权查看 %s：它不在你单位（%s）的管辖范围内，也不是你上报的。", h.Number, a.Unit.ShortName())
	}
	return h, nil
}

// Hazard is one hazard's page: GET /h5/hazards/{number}.
func (p *Pages) Hazard(c *gin.Context) {
	p.showHazard(c, http.StatusOK, c.Query("done"), "")
}

func (p *Pages) showHazard(c *gin.Context, status int, done, errMsg string) {
	v := viewerOf(c)
	tx := p.d.Store.Reads(c.Request.Context())
	h, err := p.loadHazard(c, tx, v.Actor)
	if err != nil {
		p.fail(c, err)
		return
	}
	units, err := tx.UnitsByID(derefs(h.UnitID, h.RegionID, h.CommitteeID)...)
	if err != nil {
		p.fail(c, err)
		return
	}
	today := tx.Today()
	hv := hazardView{H: h, Row: report.HazardRow(h, units, today), Level: models.LevelName(h.Level), Error: errMsg,
		Today: today.String(), MinDate: today.AddDays(1).String(), Can: map[string]bool{}}
	if h.Colour != models.ColourNone {
		hv.Colour = p.d.Config.Supervision.Colours[string(h.Colour)].Name
	}
	if done != "" {
		hv.Done = "已" + models.ActionName(models.Action(done)) + "。"
	}
	hv.Reporter = p.userName(tx, h.ReporterID)
	hv.Reviewer = p.userName(tx, h.ReviewerID)
	if h.Lat != nil && h.Lng != nil {
		hv.Coords = fmt.Sprintf("北纬 %.5f，东经 %.5f", *h.Lat, *h.Lng)
	}
	atts, err := tx.Attachments(h.ID)
	if err != nil {
		p.fail(c, err)
		return
	}
	for _, at := range atts {
		ph := photo{ID: at.ID, URL: fmt.Sprintf("/h5/photos/%d", at.ID), Ready: at.Path != ""}
		ph.Full = ph.URL
		if at.ContentType == "image/heic" || at.ContentType == "image/heif" {
			ph.Full += "?size=large"
		}
		if at.Phase == models.PhaseAfter {
			hv.After = append(hv.After, ph)
		} else {
			hv.Before = append(hv.Before, ph)
		}
	}
	evs, err := tx.Events(h.ID, 0)
	if err != nil {
		p.fail(c, err)
		return
	}
	loc := p.d.Store.Loc
	for _, e := range evs {
		who := e.ActorName
		if who == "" {
			who = e.ActorID
		}
		hv.Events = append(hv.Events, event{When: e.CreatedAt.In(loc).Format("2006-01-02 15:04"), Who: who, What: models.ActionName(e.Action), Note: e.Note})
	}
	scoped, responsible, err := tx.InScope(v.Actor, h)
	if err != nil {
		p.fail(c, err)
		return
	}
	for _, act := range pageActions {
		if models.Permit(v.Actor, act, scoped, responsible) != nil {
			continue
		}
		if _, err := models.Next(h.State, act); err != nil {
			continue
		}
		if act == models.ActApproveExtend && h.ExtensionTo.IsZero() {
			continue
		}
		if act == models.ActAccept && h.AcceptedAt != nil {
			continue
		}
		hv.Can[string(act)] = true
	}
	p.page(c, status, "hazard", hv)
}

func (p *Pages) userName(tx *models.Tx, userid string) string {
	if userid == "" {
		return ""
	}
	if u, err := tx.FindUser(userid); err == nil && u.Name != "" {
		return u.Name
	}
	return userid
}

func derefs(ps ...*uint) []uint {
	var out []uint
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// Photo serves a hazard's photo to someone who may see the hazard (a photo
// not yet on a hazard only to whoever sent it): GET /h5/photos/{id}.
func (p *Pages) Photo(c *gin.Context) {
	v := viewerOf(c)
	tx := p.d.Store.Reads(c.Request.Context())
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		p.fail(c, models.Errorf(models.ENotFound, "没有这张照片"))
		return
	}
	a, err := tx.FindAttachment(uint(id))
	if err != nil {
		p.fail(c, err)
		return
	}
	if a.HazardID == nil {
		if a.UploaderID != v.Actor.UserID {
			p.fail(c, models.Errorf(models.EForbidden, "你无权查看这张照片"))
			return
		}
	} else {
		var h models.Hazard
		if err := tx.DB.Take(&h, *a.HazardID).Error; err != nil {
			p.fail(c, fmt.Errorf("h5: photo's hazard: %w", err))
			return
		}
		ok, err := tx.CanSee(v.Actor, &h)
		if err != nil {
			p.fail(c, err)
			return
		}
		if !ok {
			p.fail(c, models.Errorf(models.EForbidden, "你无权查看这张照片：隐患 %s 不在你单位（%s）的管辖范围内。", h.Number, v.Actor.Unit.ShortName()))
			return
		}
	}
	if a.Path == "" || p.d.Files == nil {
		p.fail(c, models.Errorf(models.ENotFound, "照片还没有从企业微信下载，请稍后再试"))
		return
	}
	heif := a.ContentType == "image/heic" || a.ContentType == "image/heif"
	switch size := c.Query("size"); {
	case size == "thumb" && (heif || a.ContentType == "image/jpeg" || a.ContentType == "image/png" || a.ContentType == ""):
		if p.thumb(c, a, thumbSize) {
			return
		}
		if heif { // a browser cannot show the photo itself in its place
			heicTile(c)
			return
		}
		// A JPEG or PNG that cannot be decoded is served whole.
	case size == "large" && heif:
		if p.thumb(c, a, largeSize) {
			return
		}
		// Not decodable: the photo as sent (an iPhone shows it).
	}
	f, ctype, err := p.d.Files.Open(c.Request.Context(), a.Path)
	if err != nil {
		if !bot.FileMissing(err) {
			p.log.Warn("photo not served", "attachment", a.ID, "err", err)
		}
		p.fail(c, models.Errorf(models.ENotFound, "照片文件不存在"))
		return
	}
	defer f.Close()
	if a.ContentType != "" {
		ctype = a.ContentType
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Header("Content-Type", ctype)
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("Last-Modified", a.CreatedAt.UTC().Format(http.TimeFormat))
	c.Status(http.StatusOK)
	_, _ = io.Copy(c.Writer, f)
}

// heicTile is the tile shown for a HEIC photo no thumbnail could be made of.
func heicTile(c *gin.Context) {
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(http.StatusOK, "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">`+
		`<rect width="240" height="240" fill="#f2f3f5"/><text x="120" y="112" font-size="20" text-anchor="middle" fill="#4e5969">HEIC 照片</text>`+
		`<text x="120" y="142" font-size="18" text-anchor="middle" fill="#4e5969">点击查看原图</text></svg>`))
}

// thumb serves a JPEG of photo a at most size on its longest side (the
// thumbnail, or the large view of a HEIC photo), made on first request and
// kept in the files beside the photo; false when none can be made.
func (p *Pages) thumb(c *gin.Context, a *models.Attachment, size int) bool {
	ctx := c.Request.Context()
	name := thumbName(a.ID, size)
	var data []byte
	if f, _, err := p.d.Files.Open(ctx, name); err == nil {
		data, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			data = nil
		}
	}
	if data == nil {
		f, _, err := p.d.Files.Open(ctx, a.Path)
		if err != nil {
			return false
		}
		data, err = makeSized(f, size)
		f.Close()
		if err != nil {
			p.log.Info("no thumbnail", "attachment", a.ID, "err", err)
			return false
		}
		if _, err := p.d.Files.Put(ctx, name, "image/jpeg", bytes.NewReader(data)); err != nil {
			p.log.Warn("thumbnail not kept", "attachment", a.ID, "err", err)
		}
	}
	c.Header("Cache-Control", "private, max-age=86400")
	c.Data(http.StatusOK, "image/jpeg", data)
	return true
}
