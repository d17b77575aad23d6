package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
)

// adminAuth guards /api/v1 with the admin tokens (admin_token and the
// named admin_tokens). With no token configured the API does not exist
// (404), so a forgotten setting never leaves it open.
func (s *Server) adminAuth(c *gin.Context) {
	tokens := s.d.Config.APITokens()
	if len(tokens) == 0 {
		c.AbortWithStatusJSON(http.StatusNotFound, apiError{Code: "disabled", Message: "管理接口未启用（未设置 HAZARDBOT_ADMIN_TOKEN 或 HAZARDBOT_ADMIN_TOKENS）"})
		return
	}
	name, ok := bearerName(c, tokens)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="hazardbot"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiError{Code: "unauthorized", Message: "缺少或错误的管理令牌"})
		return
	}
	// Everything done with the token says so: the access log names the
	// token, and every event written carries 经管理接口 and its name, so an
	// action with actor= is never mistaken for that person's own.
	c.Set(ctxTokenName, name)
	c.Request = c.Request.WithContext(bot.WithVia(c.Request.Context(), bot.APIVia(name)))
	c.Next()
}

// bearer reports whether the request carries want as its bearer token.
func bearer(c *gin.Context, want string) bool {
	_, ok := bearerName(c, []config.AdminToken{{Token: want}})
	return ok
}

// bearerName returns the name of the token the request carries as its
// bearer token. Digests are compared, every one of them whatever matched,
// so the time taken says nothing about the tokens' lengths, contents or
// which one matched.
func bearerName(c *gin.Context, tokens []config.AdminToken) (string, bool) {
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	g := sha256.Sum256([]byte(strings.TrimSpace(got)))
	match := -1
	for i, t := range tokens {
		w := sha256.Sum256([]byte(t.Token))
		if subtle.ConstantTimeCompare(g[:], w[:]) == 1 {
			match = i
		}
	}
	if !ok || match < 0 {
		return "", false
	}
	return tokens[match].Name, true
}

// ctxTokenName is the gin context key under which adminAuth leaves the
// name of the token a request authenticated with, for the access log.
const ctxTokenName = "hazardbot.token"

// maxJSONBody caps an admin JSON body; the largest is a unit or a report.
const maxJSONBody = 1 << 20

// bindJSON decodes the request body into v, refusing unknown fields so
// that a misspelt key is an error rather than silently ignored.
func bindJSON(c *gin.Context, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("请求体不是有效的 JSON：%v", err)
	}
	return nil
}

// page is a cursor-paginated list.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// pageArgs reads cursor and limit (default 50, at most 500).
func pageArgs(c *gin.Context) (after uint, limit int, err error) {
	limit = 50
	if s := c.Query("limit"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > 500 {
			return 0, 0, invalid("limit 应为 1–500 的整数")
		}
		limit = n
	}
	if s := c.Query("cursor"); s != "" {
		n, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil {
			return 0, 0, invalid("cursor 无效，请使用上一页返回的 next_cursor")
		}
		after = uint(n)
	}
	return after, limit, nil
}

// paginate trims a list fetched with limit+1 rows to limit and returns the
// cursor of the next page ("" on the last page).
func paginate[T any](list []T, limit int, id func(*T) uint) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	return list, strconv.FormatUint(uint64(id(&list[limit-1])), 10)
}

// dateArg reads an optional YYYY-MM-DD query parameter.
func dateArg(c *gin.Context, name string) (models.Date, error) {
	s := c.Query(name)
	if s == "" {
		return models.Date{}, nil
	}
	d, err := models.ParseDate(s)
	if err != nil {
		return d, invalid("%s 应为 YYYY-MM-DD 格式的日期：%s", name, s)
	}
	return d, nil
}

// periodArgs reads the optional from and to (found on, both days
// included) of the lists, figures and exports; a to before its from is a
// typing mistake, not an empty period.
func periodArgs(c *gin.Context) (from, to models.Date, err error) {
	if from, err = dateArg(c, "from"); err != nil {
		return from, to, err
	}
	if to, err = dateArg(c, "to"); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, invalid("to（%s）早于 from（%s），请检查起止日期", to, from)
	}
	return from, to, nil
}

// unitArg resolves an optional unit code; an unknown code is the caller's
// mistake (400), not a missing resource.
func unitArg(tx *models.Tx, param, code string) (*models.Unit, error) {
	if code == "" {
		return nil, nil
	}
	u, err := tx.FindUnitByCode(code)
	if models.ErrorCode(err) == models.ENotFound {
		return nil, invalid("%s：没有代码为 %s 的单位", param, code)
	}
	return u, err
}

func idOf(u *models.Unit) *uint {
	if u == nil {
		return nil
	}
	return &u.ID
}

// hazardFilter reads the hazard list filters shared by /hazards and
// /ledger.xlsx: state (repeatable or comma-separated), region, unit,
// campaign and scope by code, sector, colour, overdue, from/to (found on)
// and reporter.
func hazardFilter(c *gin.Context, tx *models.Tx) (models.HazardFilter, error) {
	var f models.HazardFilter
	for _, v := range c.QueryArray("state") {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st == "" {
				continue
			}
			if !slices.Contains(models.States, models.State(st)) {
				return f, invalid("未知状态 %s，可选：unverified、reported、rectifying、pending_review、closed、withdrawn", st)
			}
			f.States = append(f.States, models.State(st))
		}
	}
	var err error
	if f.From, f.To, err = periodArgs(c); err != nil {
		return f, err
	}
	region, err := unitArg(tx, "region", c.Query("region"))
	if err != nil {
		return f, err
	}
	if region != nil && region.Kind != models.KindRegion {
		return f, invalid("region：%s 不是县市区", region.Code)
	}
	f.RegionID = idOf(region)
	unit, err := unitArg(tx, "unit", c.Query("unit"))
	if err != nil {
		return f, err
	}
	if unit != nil {
		f.UnitIDs = []uint{unit.ID}
	}
	if f.Scope, err = unitArg(tx, "scope", c.Query("scope")); err != nil {
		return f, err
	}
	if code := c.Query("campaign"); code != "" {
		list, err := tx.Campaigns()
		if err != nil {
			return f, err
		}
		i := slices.IndexFunc(list, func(x models.Campaign) bool { return x.Code == code })
		if i < 0 {
			return f, invalid("campaign：没有代码为 %s 的专项行动", code)
		}
		f.CampaignID = &list[i].ID
	}
	if f.Sector = c.Query("sector"); f.Sector != "" && !models.ValidSector(f.Sector) {
		return f, invalid("行业“%s”不在列表中，可选：%s", f.Sector, strings.Join(models.Sectors, "、"))
	}
	switch col := models.Colour(c.Query("colour")); col {
	case models.ColourNone, models.ColourRed, models.ColourYellow, models.ColourBlue:
		f.Colour = col
	default:
		return f, invalid("colour 只能是 red、yellow 或 blue")
	}
	switch g := c.Query("grade"); g {
	case "":
	case models.GradeGeneral, "general":
		f.Grade = models.GradeGeneral
	case models.GradeMajor, "major":
		f.Grade = models.GradeMajor
	default:
		return f, invalid("grade 只能是 一般（general）或 重大（major）")
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return f, invalid("overdue 只能是 true 或 false")
	}
	f.ReporterID = c.Query("reporter")
	return f, nil
}

// hazardItem is a hazard as the API lists it, with the derived overdue state.
type hazardItem struct {
	*models.Hazard
	Overdue     bool `json:"overdue"`
	OverdueDays int  `json:"overdue_days"`
}

// createdHazard is a new hazard as the API answers its report: Notice,
// when set, says (in Chinese, as chat would) that the unit named lies
// outside the reporter's scope and who will assign it instead.
type createdHazard struct {
	hazardItem
	Notice string `json:"notice,omitempty"`
}

func itemOf(h *models.Hazard, today models.Date) hazardItem {
	return hazardItem{Hazard: h, Overdue: h.Overdue(today), OverdueDays: h.OverdueDays(today)}
}

// listHazards: GET /api/v1/hazards.
func (s *Server) listHazards(c *gin.Context) {
	after, limit, err := pageArgs(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var out page[hazardItem]
	err = s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		f, err := hazardFilter(c, tx)
		if err != nil {
			return err
		}
		f.AfterID, f.Limit = after, limit+1
		list, err := tx.FindHazards(f)
		if err != nil {
			return err
		}
		list, out.NextCursor = paginate(list, limit, func(h *models.Hazard) uint { return h.ID })
		today := tx.Today()
		out.Items = make([]hazardItem, len(list))
		for i := range list {
			out.Items[i] = itemOf(&list[i], today)
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// photoLink is a photo as the API shows it: served only through the API.
type photoLink struct {
	ID          uint   `json:"id"`
	Phase       string `json:"phase"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Fetched     bool   `json:"fetched"` // false until the photo fetcher has stored it
	URL         string `json:"url"`
}

// hazardDetail is one hazard with its history and photos.
type hazardDetail struct {
	hazardItem
	Events []models.Event `json:"events"`
	Photos []photoLink    `json:"photos"`
}

func (s *Server) number(tx *models.Tx, c *gin.Context) (models.Number, error) {
	return models.ParseNumber(c.Param("number"), tx.Today().Year)
}

// getHazard: GET /api/v1/hazards/{number}.
func (s *Server) getHazard(c *gin.Context) {
	var out hazardDetail
	err := s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		n, err := s.number(tx, c)
		if err != nil {
			return err
		}
		h, err := tx.FindHazardByNumber(n)
		if err != nil {
			return err
		}
		out.hazardItem = itemOf(h, tx.Today())
		if out.Events, err = tx.Events(h.ID, 0); err != nil {
			return err
		}
		photos, err := tx.Attachments(h.ID)
		if err != nil {
			return err
		}
		out.Photos = make([]photoLink, len(photos))
		for i, p := range photos {
			out.Photos[i] = photoLink{ID: p.ID, Phase: p.Phase, ContentType: p.ContentType, Size: p.Size,
				Fetched: p.Path != "", URL: fmt.Sprintf("/api/v1/photos/%d", p.ID)}
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// hazardRequest is the body of POST /api/v1/hazards: a report filed on
// behalf of a directory user, with units by code.
type hazardRequest struct {
	Actor          string      `json:"actor"`
	Title          string      `json:"title"`
	Description    string      `json:"description"`
	Measures       string      `json:"measures"`
	Remarks        string      `json:"remarks"`
	Enterprise     string      `json:"enterprise"`
	Location       string      `json:"location"`
	Grade          string      `json:"grade"`
	Sector         string      `json:"sector"`
	InspectionDate models.Date `json:"inspection_date"`
	Deadline       models.Date `json:"deadline"`
	Region         string      `json:"region"` // unit code of the county
	Unit           string      `json:"unit"`   // the responsible unit: its code, or its name (matched, or created unverified)
	Lat            *float64    `json:"lat"`
	Lng            *float64    `json:"lng"`
	// Force files the report even when it may repeat an open hazard
	// (otherwise 409 with the hazard's number, as chat asks 合并 or 继续).
	Force bool `json:"force"`
}

// actorArg checks that the named actor is in the directory: the API acts
// for people, and a misspelt userid must not file reports as a stranger.
func actorArg(tx *models.Tx, userid string) error {
	if userid == "" {
		return invalid("缺少 actor（以哪位用户的身份操作，填 userid）")
	}
	if _, err := tx.FindUser(userid); models.ErrorCode(err) == models.ENotFound {
		return invalid("actor：通讯录里没有用户 %s", userid)
	} else if err != nil {
		return err
	}
	return nil
}

// createHazard: POST /api/v1/hazards.
func (s *Server) createHazard(c *gin.Context) {
	var req hazardRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	in := models.HazardInput{
		Title: req.Title, Description: req.Description, Measures: req.Measures, Remarks: req.Remarks,
		Enterprise: req.Enterprise, Location: req.Location, Grade: req.Grade, Sector: req.Sector,
		InspectionDate: req.InspectionDate, Deadline: req.Deadline, Lat: req.Lat, Lng: req.Lng,
	}
	err := s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		if err := actorArg(tx, req.Actor); err != nil {
			return err
		}
		region, err := unitArg(tx, "region", req.Region)
		if err != nil {
			return err
		}
		in.RegionID = idOf(region)
		if req.Unit == "" {
			return nil
		}
		// A unit code, or else a name: matched or created unverified when
		// the hazard is created.
		unit, err := tx.FindUnitByCode(req.Unit)
		if models.ErrorCode(err) == models.ENotFound {
			in.UnitName = req.Unit
			return nil
		}
		in.UnitID = idOf(unit)
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	h, notice, err := s.d.Bot.ReportHazard(c.Request.Context(), req.Actor, in, req.Force)
	var dup *bot.DuplicateError
	if errors.As(err, &dup) {
		c.AbortWithStatusJSON(http.StatusConflict, gin.H{"code": models.EConflict, "message": models.ErrorMessage(err), "duplicate": dup.Number})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdHazard{itemOf(h, models.DateOf(s.d.Store.Now(), s.d.Store.Loc)), notice})
}

// transitionRequest is the body of POST /api/v1/hazards/{number}/transitions.
type transitionRequest struct {
	Actor    string        `json:"actor"`
	Action   models.Action `json:"action"`
	Note     string        `json:"note"`
	Unit     string        `json:"unit"`
	Deadline models.Date   `json:"deadline"`
	Colour   models.Colour `json:"colour"`
	// Outcome closes an unverified tip (action dismiss): 不属实 or 已处理,
	// with note as the reason the tipster is shown.
	Outcome string `json:"outcome"`
}

// apiActions are the actions the API accepts; report and import have
// their own routes.
var apiActions = []models.Action{models.ActAssign, models.ActAccept, models.ActSubmit, models.ActPass, models.ActReject,
	models.ActList, models.ActRequestExtend, models.ActApproveExtend, models.ActWithdraw, models.ActDismiss}

// transition: POST /api/v1/hazards/{number}/transitions. The same rules
// as chat apply: the actor's roles and scope decide.
func (s *Server) transition(c *gin.Context) {
	var req transitionRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if !slices.Contains(apiActions, req.Action) {
		s.fail(c, invalid("action 只能是 assign、accept、submit、pass、reject、list、request_extend、approve_extend、withdraw、dismiss"))
		return
	}
	if req.Action == models.ActDismiss {
		req.Note = models.DismissNote(req.Outcome, strings.TrimSpace(req.Note))
	}
	var n models.Number
	change := models.Change{Note: req.Note, Deadline: req.Deadline, Colour: req.Colour}
	err := s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		var err error
		if n, err = s.number(tx, c); err != nil {
			return err
		}
		if err := actorArg(tx, req.Actor); err != nil {
			return err
		}
		unit, err := unitArg(tx, "unit", req.Unit)
		change.UnitID = idOf(unit)
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.d.Bot.Transition(c.Request.Context(), req.Actor, n, req.Action, change)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"hazard": itemOf(r.Hazard, models.DateOf(s.d.Store.Now(), s.d.Store.Loc)), "event": r.Event})
}

// unitView is a unit with its parent's code, as the API and the directory
// file name units.
type unitView struct {
	models.Unit
	Parent string `json:"parent,omitempty"`
}

// listUnits: GET /api/v1/units (active units, directory order).
func (s *Server) listUnits(c *gin.Context) {
	unverified, err := strconv.ParseBool(c.DefaultQuery("unverified", "false"))
	if err != nil {
		s.fail(c, invalid("unverified 只能是 true 或 false"))
		return
	}
	var out []unitView
	err = s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		all, err := tx.Units()
		if err != nil {
			return err
		}
		code := make(map[uint]string, len(all))
		for _, u := range all {
			code[u.ID] = u.Code
		}
		list := all
		if unverified {
			if list, err = tx.UnverifiedUnits(nil); err != nil {
				return err
			}
		}
		out = make([]unitView, len(list))
		for i, u := range list {
			out[i] = unitView{Unit: u}
			if u.ParentID != nil {
				out[i].Parent = code[*u.ParentID]
			}
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// saveUnit: POST /api/v1/units creates or updates a unit by code.
func (s *Server) saveUnit(c *gin.Context) {
	var spec models.UnitSpec
	if err := bindJSON(c, &spec); err != nil {
		s.fail(c, err)
		return
	}
	respond(s, c, func(tx *models.Tx) (*models.Unit, error) { return tx.SaveUnit(spec) })
}

// deactivateUnit: POST /api/v1/units/{code}/deactivate. The unit keeps its
// hazards and history; it only stops being offered and assigned.
func (s *Server) deactivateUnit(c *gin.Context) {
	respond(s, c, func(tx *models.Tx) (*models.Unit, error) { return tx.DeactivateUnit(c.Param("code")) })
}

// mergeRequest is the body of POST /api/v1/units/{code}/merge.
type mergeRequest struct {
	Into  string `json:"into"`  // the code of the unit it really is
	Actor string `json:"actor"` // who merges, for the hazards' events; "" for the API itself
}

// mergeUnit: POST /api/v1/units/{code}/merge moves the unit's hazards and
// users to the unit "into" and deactivates it.
func (s *Server) mergeUnit(c *gin.Context) {
	var req mergeRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Into == "" {
		s.fail(c, invalid("缺少 into（合并到哪个单位，填单位代码）"))
		return
	}
	res, err := s.d.Bot.MergeUnit(c.Request.Context(), req.Actor, c.Param("code"), req.Into)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// confirmRequest is the optional body of POST /api/v1/units/{code}/confirm.
type confirmRequest struct {
	Name string          `json:"name"`
	Kind models.UnitKind `json:"kind"`
}

// confirmUnit: POST /api/v1/units/{code}/confirm marks an unverified unit
// as a unit of the directory, optionally renamed or re-kinded.
func (s *Server) confirmUnit(c *gin.Context) {
	var req confirmRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	respond(s, c, func(tx *models.Tx) (*models.Unit, error) { return tx.ConfirmUnit(c.Param("code"), req.Name, req.Kind) })
}

// listUsers: GET /api/v1/users, by userid.
func (s *Server) listUsers(c *gin.Context) {
	respond(s, c, func(tx *models.Tx) (gin.H, error) {
		list, err := tx.Users()
		return gin.H{"items": list}, err
	})
}

// saveUser: POST /api/v1/users creates or updates a user by userid.
func (s *Server) saveUser(c *gin.Context) {
	var spec models.UserSpec
	if err := bindJSON(c, &spec); err != nil {
		s.fail(c, err)
		return
	}
	respond(s, c, func(tx *models.Tx) (*models.User, error) { return tx.SaveUser(spec) })
}

// deactivateUser: POST /api/v1/users/{userid}/deactivate. A deactivated
// user is treated as a stranger: they may report, and nothing else.
func (s *Server) deactivateUser(c *gin.Context) {
	respond(s, c, func(tx *models.Tx) (*models.User, error) { return tx.DeactivateUser(c.Param("userid")) })
}

// respond runs one call in a transaction and renders its result as JSON,
// or its error through fail.
func respond[T any](s *Server, c *gin.Context, call func(tx *models.Tx) (T, error)) {
	var out T
	err := s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		var err error
		out, err = call(tx)
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// maxDirectoryBody caps an uploaded directory file; a province's directory
// is well under it.
const maxDirectoryBody = 8 << 20

// importDirectory: POST /api/v1/directory with a directory YAML file as the
// body, imported all or nothing.
func (s *Server) importDirectory(c *gin.Context) {
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxDirectoryBody))
	if err != nil {
		s.fail(c, invalid("通讯录文件读取失败或超过 %d MB", maxDirectoryBody>>20))
		return
	}
	r, err := s.d.Store.ImportDirectoryFile(c.Request.Context(), data)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"units": r.Units, "users": r.Users, "campaigns": r.Campaigns})
}

// summaryFilter reads from, to, region, sector and scope.
func summaryFilter(c *gin.Context, tx *models.Tx) (models.SummaryFilter, string, error) {
	var f models.SummaryFilter
	var err error
	if f.From, f.To, err = periodArgs(c); err != nil {
		return f, "", err
	}
	name := "全市"
	if f.Scope, err = unitArg(tx, "scope", c.Query("scope")); err != nil {
		return f, "", err
	}
	if f.Scope != nil {
		name = f.Scope.ShortName()
	}
	region, err := unitArg(tx, "region", c.Query("region"))
	if err != nil {
		return f, "", err
	}
	if region != nil {
		if region.Kind != models.KindRegion {
			return f, "", invalid("region：%s 不是县市区", region.Code)
		}
		f.RegionID, name = &region.ID, region.ShortName()
	}
	if f.Sector = c.Query("sector"); f.Sector != "" {
		if !models.ValidSector(f.Sector) {
			return f, "", invalid("行业“%s”不在列表中，可选：%s", f.Sector, strings.Join(models.Sectors, "、"))
		}
		name += f.Sector + "行业"
	}
	return f, name, nil
}

// grouping reads by=, allowing only the given groupings.
func grouping(c *gin.Context, def models.Grouping, allowed ...models.Grouping) (models.Grouping, error) {
	by := models.Grouping(c.DefaultQuery("by", string(def)))
	if !slices.Contains(allowed, by) {
		words := make([]string, len(allowed))
		for i, g := range allowed {
			words[i] = string(g)
		}
		return by, invalid("by 只能是 %s", strings.Join(words, "、"))
	}
	return by, nil
}

// summary: GET /api/v1/summary, the 情况小结 with its figures and breakdown.
func (s *Server) summary(c *gin.Context) {
	by, err := grouping(c, models.ByRegion, models.ByRegion, models.BySector, models.ByUnit)
	if err != nil {
		s.fail(c, err)
		return
	}
	type out struct {
		Sentence string              `json:"sentence"`
		Figures  models.Figures      `json:"figures"`
		Rate     float64             `json:"rate"`
		By       models.Grouping     `json:"by"`
		Rows     []models.SummaryRow `json:"rows"`
	}
	var res out
	err = s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		f, name, err := summaryFilter(c, tx)
		if err != nil {
			return err
		}
		if res.Figures, err = tx.Summary(f); err != nil {
			return err
		}
		res.Rows, err = tx.SummaryBy(f, by)
		res.Sentence = summarySentence(f, name, res.Figures)
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	res.Rate, res.By = res.Figures.Rate(), by
	c.JSON(http.StatusOK, res)
}

// ranking: GET /api/v1/ranking, the 考核排名 by region or responsible unit.
func (s *Server) ranking(c *gin.Context) {
	by, err := grouping(c, models.ByRegion, models.ByRegion, models.ByUnit)
	if err != nil {
		s.fail(c, err)
		return
	}
	var rows []models.RankRow
	err = s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		f, _, err := summaryFilter(c, tx)
		if err != nil {
			return err
		}
		rows, err = tx.Ranking(f, by)
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"by": by, "items": rows})
}

// listOutbox: GET /api/v1/outbox, to see what was sent, is waiting or failed.
func (s *Server) listOutbox(c *gin.Context) {
	after, limit, err := pageArgs(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	state := c.Query("state")
	if state != "" && state != models.OutboxPending && state != models.OutboxSent && state != models.OutboxFailed && state != models.OutboxEnded {
		s.fail(c, invalid("state 只能是 pending、sent、failed 或 ended"))
		return
	}
	var out page[models.OutboxMessage]
	err = s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		list, err := tx.FindOutbox(models.OutboxFilter{State: state, AfterID: after, Limit: limit + 1})
		out.Items, out.NextCursor = paginate(list, limit, func(m *models.OutboxMessage) uint { return m.ID })
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if out.Items == nil {
		out.Items = []models.OutboxMessage{}
	}
	c.JSON(http.StatusOK, out)
}

// runJob: POST /api/v1/jobs/{name}/run runs a scheduled job now and waits
// for it; the scheduler's own lock keeps it from overlapping a scheduled run.
func (s *Server) runJob(c *gin.Context) {
	if s.d.Jobs == nil {
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, apiError{Code: "unavailable", Message: "本进程没有运行定时任务"})
		return
	}
	name := c.Param("name")
	if !slices.Contains(s.d.Jobs.Names(), name) {
		s.fail(c, models.Errorf(models.ENotFound, "没有名为 %s 的任务，可选：%s", name, strings.Join(s.d.Jobs.Names(), "、")))
		return
	}
	if err := s.d.Jobs.Run(c.Request.Context(), name); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"job": name, "status": "done"})
}

// campaignReportRequest records a unit's campaign report through the API.
type campaignReportRequest struct {
	Actor    string `json:"actor"`
	Unit     string `json:"unit"`     // unit code; "" the actor's county or special committee
	Material string `json:"material"` // part of the deadline's name; "" the earliest owed
	Note     string `json:"note"`
}

// campaignReport: POST /api/v1/campaigns/:code/reports records, as chat's
// 报送 does, that a unit handed in a campaign report.
func (s *Server) campaignReport(c *gin.Context) {
	var req campaignReportRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.d.Bot.RecordCampaignReport(c.Request.Context(), req.Actor, c.Param("code"), req.Material, req.Unit, req.Note)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusCreated
	if !r.New {
		status = http.StatusOK
	}
	c.JSON(status, r)
}
