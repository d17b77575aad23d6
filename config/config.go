// Package config holds hazardbot's settings: defaults, then a YAML file named by HAZARDBOT_CONFIG,
// then HAZARDBOT_* environment variables, then Validate. It also defines the directory file
// (units, users, campaigns) and ships the Shiyan demo directory. Every other package reads it;
// it imports nothing of the project so that it can never be part of an import cycle.
package config

import (
	"hazardbot/calendar"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the default zone must load on hosts (and containers) without zoneinfo
)

// Config is the whole configuration. Field yaml tags are the YAML keys; the environment variable of
// a field is HAZARDBOT_ plus its YAML path in upper case with dots as underscores, unless an env
// tag says otherwise ("-" means YAML only). A secret:"true" field may also come from <VAR>_FILE and
// is never shown by Redacted or LogValue.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string `yaml:"addr"`
	// DB selects the database.
	DB DB `yaml:"db"`
	// Timezone is the IANA zone all dates, deadlines and schedules are in.
	Timezone string `yaml:"timezone"`
	// AdminToken is the bearer token of /api/v1, named admin_token in events and logs; empty (and no
	// admin_tokens) disables the admin API.
	AdminToken string `yaml:"admin_token" secret:"true"`
	// AdminTokens are more bearer tokens of /api/v1, each named, so that events (经管理接口（name）) and
	// the access log say which system or office acted. In the environment: name:token pairs,
	// comma-separated.
	AdminTokens AdminTokens `yaml:"admin_tokens" secret:"true"`
	// WeCom holds the self-built app's credentials; none of them set means demo mode.
	WeCom WeCom `yaml:"wecom"`
	// Storage says where photos and generated files live.
	Storage Storage `yaml:"storage"`
	// Log sets the slog level and format.
	Log Log `yaml:"log"`
	// Dialogue tunes guided conversations.
	Dialogue Dialogue `yaml:"dialogue"`
	// Import caps what one ledger import (an .xlsx or CSV upload) may hold.
	Import Import `yaml:"import"`
	// Directory sets how the unit tree is read.
	Directory DirectorySettings `yaml:"directory"`
	// Reminders sets deadline reminder and escalation cadence.
	Reminders Reminders `yaml:"reminders"`
	// Schedule holds the cron specs of the periodic jobs.
	Schedule Schedule `yaml:"schedule"`
	// Outbox tunes the outgoing message sender.
	Outbox Outbox `yaml:"outbox"`
	// Supervision describes the red/yellow/blue supervision colours.
	Supervision Supervision `yaml:"supervision"`
	// Calendar adds years to the official holiday and 调休 calendar.
	Calendar Calendar `yaml:"calendar"`
	// MetricsToken, when set, is the bearer token /metrics requires; empty leaves /metrics open
	// (for a scraper on a private network).
	MetricsToken string `yaml:"metrics_token" secret:"true"`
	// HTTP tunes the HTTP server: timeouts and which proxies to believe.
	HTTP HTTP `yaml:"http"`
	// Digests chooses who gets the daily and weekly digests.
	Digests Digests `yaml:"digests"`
	// WeChat holds the WeChat Official Account (公众号) for enterprises and the public; no app_id means
	// no WeChat channel.
	WeChat WeChat `yaml:"wechat"`
	// PublicURL is the https base the WeCom client reaches this server at (e.g.
	// https://hazard.example.gov.cn): the base of the H5 pages' OAuth redirect and of the links in
	// cards and digests. Empty: cards carry no links, and outside demo mode the pages cannot sign in.
	PublicURL string `yaml:"public_url"`

	loc *time.Location     // set by Validate so Location does not reload tzdata on every call
	cal *calendar.Calendar // set by Validate from calendar.file
	src map[string]string  // YAML path → the name the user set it by (env var or YAML key)
}

// DB selects the database driver and how to reach it.
type DB struct {
	// Driver is sqlite (embedded, pure Go) or mysql (also MariaDB and TiDB).
	Driver string `yaml:"driver"`
	// DSN is a file path for sqlite, or user:password@tcp(host:3306)/db?parseTime=true for mysql.
	// It is a secret because a mysql DSN carries a password.
	DSN string `yaml:"dsn" secret:"true"`
	// MaxOpenConns caps the mysql connection pool.
	MaxOpenConns int `yaml:"max_open_conns"`
	// GroupCommit lets concurrent chat messages share one transaction
	// (models/group.go); off, every message is its own.
	GroupCommit bool `yaml:"group_commit"`
}

// WeCom holds the credentials of the WeCom self-built app (自建应用).
type WeCom struct {
	// CorpID is the enterprise id (企业ID).
	CorpID string `yaml:"corp_id"`
	// AgentID is the app's AgentId.
	AgentID int `yaml:"agent_id"`
	// Secret is the app secret used to fetch access tokens.
	Secret string `yaml:"secret" secret:"true"`
	// Token is the callback verification token.
	Token string `yaml:"token" secret:"true"`
	// AESKey is the callback EncodingAESKey: 43 characters of base64.
	AESKey string `yaml:"aes_key" secret:"true"`
	// APIBase is the API host; private (e.g. government) deployments and tests use their own.
	APIBase string `yaml:"api_base"`
	// CallbackWindow is how far a callback's timestamp (and its message's CreateTime) may be from
	// now, either way; older or newer callbacks are refused, so a captured request cannot be
	// replayed later. Handled callbacks are remembered at least this long.
	CallbackWindow time.Duration `yaml:"callback_window"`
	// OAuthBase is the host of WeCom's web authorisation page (/connect/oauth2/authorize) that the
	// H5 pages send a browser to; private deployments and browser tests use their own.
	OAuthBase string `yaml:"oauth_base"`
}

// HTTP tunes the HTTP server.
type HTTP struct {
	// ReadHeaderTimeout is how long a client may take to send the request headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout is how long a client may take to send the whole request, body included.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout is how long a request may take from the end of its headers to the end of the answer.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout is how long a kept-alive connection may wait for its next request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// TrustedProxies lists the addresses or CIDR ranges of reverse proxies whose
	// X-Forwarded-For is believed; empty believes none, so the peer address is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// WeChat holds the WeChat Official Account (service account) settings.
type WeChat struct {
	// AppID is the account's AppID (开发者ID).
	AppID string `yaml:"app_id"`
	// AppSecret fetches access tokens.
	AppSecret string `yaml:"app_secret" secret:"true"`
	// Token is the server configuration's Token (令牌).
	Token string `yaml:"token" secret:"true"`
	// AESKey is the EncodingAESKey (43 characters); set it for safe mode (安全模式), which is then required.
	AESKey string `yaml:"aes_key" secret:"true"`
	// APIBase is the API host; tests use their own.
	APIBase string `yaml:"api_base"`
	// TemplateID is the template message used when a follower's 48-hour customer-service window is closed,
	// for a kind of message Templates does not name; its fields are first, keyword1, keyword2 and remark.
	TemplateID string `yaml:"template_id"`
	// Templates maps our kinds of message (WeChatMessageKinds: assignment, reminder, send_back, closed,
	// tip_outcome) to a template of the account and what fills each of its fields. YAML only.
	Templates map[string]WeChatTemplate `yaml:"templates" env:"-"`
}

// WeChatTemplate is one template message of the Official Account as the account's template library
// defines it: its id and, for each of its fields (first, keyword1…, remark; or thing1, time2… in the
// newer templates), which of our values fills it (WeChatTemplateValues).
type WeChatTemplate struct {
	ID     string            `yaml:"id"`
	Fields map[string]string `yaml:"fields"`
}

// WeChatMessageKinds are the kinds of message to a WeChat follower that may each have a template.
var WeChatMessageKinds = []string{"assignment", "reminder", "send_back", "closed", "tip_outcome"}

// WeChatTemplateValues are what may fill a template field: title (the message's first line), detail
// (the lines after it), text (all of it), number (the hazard's number, or a tip's receipt), hazard
// (its title), unit (the responsible unit), deadline (整改时限), state (the state it is in now), time
// (when it is sent), hint (where to see more: the hazard's page or 我的), photos (a line saying how
// many photos there are and where to see them, when the message has photos).
var WeChatTemplateValues = []string{"title", "detail", "text", "number", "hazard", "unit", "deadline", "state", "time", "hint", "photos"}

// Storage says where files live.
type Storage struct {
	// Driver is dir (files under Dir: one process, or replicas sharing a mount) or db (files in the
	// database, for replicas that share nothing else; needs db.driver mysql).
	Driver string `yaml:"driver"`
	// Dir holds photos and generated files (Excel ledgers).
	Dir string `yaml:"dir"`
}

// Log sets logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// Dialogue tunes guided conversations.
type Dialogue struct {
	// Idle is how long a half-filled draft waits before the draft sweep reminds or drops it.
	Idle time.Duration `yaml:"idle"`
	// PerSenderPerMinute caps the messages one sender may send in a minute; beyond it the
	// sender is told once to slow down, then ignored until the minute passes.
	PerSenderPerMinute int `yaml:"per_sender_per_minute"`
	// MaxPhotos caps the photos one draft (or one user's photos waiting for a rectification) may hold.
	MaxPhotos int `yaml:"max_photos"`
}

// AdminToken is one named bearer token of the admin API.
type AdminToken struct {
	// Name says who holds the token (市应急局对接); events and the access log show it, never the token.
	Name string `yaml:"name"`
	// Token is the bearer token itself, at least 16 characters.
	Token string `yaml:"token"`
}

// AdminTokens are the named admin tokens. Their String, GoString and LogValue show the names only.
type AdminTokens []AdminToken

// Import caps a ledger import, so that no upload (a zip bomb, a sheet with a cell in column XFD
// on every row, a CSV of a million lines) takes more than bounded memory and time.
type Import struct {
	// MaxRows caps the rows with content in the sheet (header and footer included).
	MaxRows int `yaml:"max_rows"`
	// MaxColumns caps the rightmost column holding content.
	MaxColumns int `yaml:"max_columns"`
	// MaxBytes caps the upload, and for an .xlsx the sum of its uncompressed parts.
	MaxBytes int `yaml:"max_bytes"`
}

// DirectorySettings say how the unit tree is read.
type DirectorySettings struct {
	// TopKind is the kind of the unit at the top of the tree: only a unit of this kind with no
	// parent has city-wide scope, and only such units may be saved without a parent. committee
	// (市安委会) for a city; region for a county that runs hazardbot on its own.
	TopKind string `yaml:"top_kind"`
}

// TopKinds are the unit kinds directory.top_kind may name.
var TopKinds = []string{"committee", "region", "department", "town"}

// Reminders sets when deadline reminders go out and when overdue hazards escalate.
type Reminders struct {
	// BeforeDays lists how many days before the deadline to remind, e.g. [3, 1].
	BeforeDays []int `yaml:"before_days"`
	// OnDay reminds on the deadline day itself.
	OnDay bool `yaml:"on_day"`
	// OverdueEveryDays is the repeat interval while overdue, by colour: red, yellow, blue, and none
	// for hazards not listed for supervision.
	OverdueEveryDays map[string]int `yaml:"overdue_every_days"`
	// QuietStart begins the nightly window ("21:00") in which no reminder is sent.
	QuietStart string `yaml:"quiet_start" env:"-"`
	// QuietEnd ends the quiet window ("08:00"); equal to QuietStart means no quiet hours.
	QuietEnd string `yaml:"quiet_end" env:"-"`
	// EscalateRegionAfterDays is how many days overdue before the county supervisor is told.
	EscalateRegionAfterDays int `yaml:"escalate_region_after_days"`
	// EscalateCityAfterDays is how many days overdue before city leaders are told, whatever the colour.
	EscalateCityAfterDays int `yaml:"escalate_city_after_days"`
	// EscalateCityColours lists the colours whose overdue hazards go to city leaders from the first
	// overdue day.
	EscalateCityColours []string `yaml:"escalate_city_colours"`
	// AcceptNagHours re-sends an assignment not yet accepted after this many hours; 0 disables.
	AcceptNagHours int `yaml:"accept_nag_hours"`
	// WorkingDaysOnly holds reminders and digests back on weekends and public holidays (the
	// official calendar, 调休 working weekends included); overdue days still count calendar days.
	WorkingDaysOnly bool `yaml:"working_days_only"`
}

// Calendar adds years to the built-in official holiday calendar (2023–2026).
type Calendar struct {
	// File is a YAML file of later years' holidays and 调休 working days, in the shape of
	// calendar/holidays.yaml; a year in it replaces the built-in one. Empty means built-in only.
	File string `yaml:"file"`
}

// Schedule holds 5-field cron specs, read in the configured time zone.
type Schedule struct {
	// Reminders runs deadline reminders and escalation.
	Reminders string `yaml:"reminders"`
	// DailyDigest sends leaders the daily digest.
	DailyDigest string `yaml:"daily_digest"`
	// WeeklyDigest sends leaders the weekly digest with the Excel ledger.
	WeeklyDigest string `yaml:"weekly_digest"`
	// CampaignReminders reminds units of campaign report deadlines.
	CampaignReminders string `yaml:"campaign_reminders"`
	// DraftSweep expires idle dialogue drafts.
	DraftSweep string `yaml:"draft_sweep"`
}

// Outbox tunes the sender worker.
type Outbox struct {
	// Workers is the number of concurrent sender goroutines per process.
	Workers int `yaml:"workers"`
	// GiveUpAfter stops retrying a message this long after it was queued.
	GiveUpAfter time.Duration `yaml:"give_up_after"`
	// PerUserPerMinute caps messages to one member; WeCom silently drops more than 30.
	PerUserPerMinute int `yaml:"per_user_per_minute"`
	// Poll is how often an idle worker looks for new rows.
	Poll time.Duration `yaml:"poll"`
}

// Digests chooses who gets the daily and weekly digests.
type Digests struct {
	// Roles lists the roles whose members get their own unit's digests and the weekly ledger, e.g.
	// [leader, supervisor]: a county's supervisors get that county's.
	Roles []string `yaml:"roles"`
}

// DigestRoles are the roles digests.roles may name.
var DigestRoles = []string{"leader", "supervisor", "admin", "contact", "inspector"}

// Supervision describes 红黄蓝分级管理: what each colour means is configuration, not code.
type Supervision struct {
	// Colours maps red, yellow and blue to their description.
	Colours Colours `yaml:"colours" env:"-"`
}

// Colours maps a colour code (red, yellow, blue) to its description. A YAML file that sets only
// some fields of a colour keeps the defaults of the others (see UnmarshalYAML).
type Colours map[string]Colour

// Colour describes one supervision colour.
type Colour struct {
	// Name is the Chinese name shown to users, e.g. 红色.
	Name string `yaml:"name"`
	// Meaning says who supervises at this colour, e.g. 市安委会挂牌督办.
	Meaning string `yaml:"meaning"`
	// OverdueEveryDays overrides reminders.overdue_every_days for this colour; 0 inherits it.
	OverdueEveryDays int `yaml:"overdue_every_days,omitempty"`
	// EscalateToCity overrides whether reminders.escalate_city_colours lists this colour;
	// nil inherits it.
	EscalateToCity *bool `yaml:"escalate_to_city,omitempty"`
}

// Supervision colour codes, and ColourNone for a hazard not listed for supervision.
const (
	ColourRed    = "red"
	ColourYellow = "yellow"
	ColourBlue   = "blue"
	ColourNone   = "none"
)

// colourCodes are the supervision colours in display order.
var colourCodes = []string{ColourRed, ColourYellow, ColourBlue}

// Default returns the built-in configuration: a demo on SQLite in Asia/Shanghai.
func Default() *Config {
	return &Config{
		Addr:        ":8080",
		DB:          DB{Driver: "sqlite", DSN: "hazardbot.db", MaxOpenConns: 20, GroupCommit: true},
		Timezone:    "Asia/Shanghai",
		WeCom:       WeCom{APIBase: "https://qyapi.weixin.qq.com", CallbackWindow: time.Hour, OAuthBase: "https://open.weixin.qq.com"},
		WeChat:      WeChat{APIBase: "https://api.weixin.qq.com", Templates: map[string]WeChatTemplate{}},
		Storage:     Storage{Driver: "dir", Dir: "data"},
		Log:         Log{Level: "info", Format: "text"},
		Dialogue:    Dialogue{Idle: 30 * time.Minute, PerSenderPerMinute: 20, MaxPhotos: 20},
		Import:      Import{MaxRows: 50_000, MaxColumns: 64, MaxBytes: 64 << 20},
		Directory:   DirectorySettings{TopKind: "committee"},
		AdminTokens: AdminTokens{},
		Reminders: Reminders{
			BeforeDays:              []int{3, 1},
			OnDay:                   true,
			OverdueEveryDays:        map[string]int{ColourRed: 1, ColourYellow: 2, ColourBlue: 3, ColourNone: 1},
			QuietStart:              "21:00",
			QuietEnd:                "08:00",
			EscalateRegionAfterDays: 3,
			EscalateCityAfterDays:   7,
			EscalateCityColours:     []string{ColourRed},
			AcceptNagHours:          24,
			WorkingDaysOnly:         true,
		},
		Schedule: Schedule{
			Reminders:         "0 9 * * *",
			DailyDigest:       "30 8 * * *",
			WeeklyDigest:      "0 9 * * 1",
			CampaignReminders: "0 9 * * *",
			DraftSweep:        "*/5 * * * *",
		},
		Outbox:  Outbox{Workers: 2, GiveUpAfter: 24 * time.Hour, PerUserPerMinute: 30, Poll: time.Second},
		Digests: Digests{Roles: []string{"leader", "supervisor"}},
		Supervision: Supervision{Colours: Colours{
			ColourRed:    {Name: "红色", Meaning: "市安委会挂牌督办"},
			ColourYellow: {Name: "黄色", Meaning: "县市区安委会/专委会督办"},
			ColourBlue:   {Name: "蓝色", Meaning: "行业部门督办"},
		}},
		HTTP: HTTP{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
			IdleTimeout: 60 * time.Second, TrustedProxies: []string{}},
		loc: shanghai,
	}
}

// shanghai is loaded once from the embedded tzdata; failure would mean a broken Go install.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic("config: load Asia/Shanghai: " + err.Error())
	}
	return loc
}()

// Location returns the configured time zone. On a Config that was not validated it loads the
// zone each call and falls back to UTC+8 (the product's home zone) when the name is invalid.
func (c *Config) Location() *time.Location {
	if c.loc != nil && c.loc.String() == c.Timezone {
		return c.loc
	}
	if loc, err := time.LoadLocation(c.Timezone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Workdays returns the official holiday calendar with the years of calendar.file. On a Config
// that was not validated it is the built-in calendar alone.
func (c *Config) Workdays() *calendar.Calendar {
	if c.cal != nil {
		return c.cal
	}
	return calendar.Official()
}

// DemoMode reports whether no WeCom credential is configured, in which case the bot runs against
// the in-process fake WeCom API.
func (c *Config) DemoMode() bool {
	w := c.WeCom
	return w.CorpID == "" && w.Secret == "" && w.Token == "" && w.AESKey == ""
}

// WeChatEnabled reports whether the WeChat Official Account channel is configured.
func (c *Config) WeChatEnabled() bool { return c.WeChat.AppID != "" }

// AdminEnabled reports whether the admin API is on (an admin token is set).
func (c *Config) AdminEnabled() bool { return len(c.APITokens()) > 0 }

// AdminTokenName is the name admin_token goes by in events and logs.
const AdminTokenName = "admin_token"

// APITokens returns every admin token with its name: admin_token (named admin_token) when set,
// then admin_tokens.
func (c *Config) APITokens() []AdminToken {
	var out []AdminToken
	if c.AdminToken != "" {
		out = append(out, AdminToken{Name: AdminTokenName, Token: c.AdminToken})
	}
	return append(out, c.AdminTokens...)
}

// SlogLevel returns the configured log level; unknown names (only on an unvalidated Config) mean info.
func (c *Config) SlogLevel() slog.Level {
	switch c.Log.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// OverdueEveryDays returns how many days apart overdue reminders repeat for a hazard of the given
// supervision colour ("" or "none" for an unlisted hazard): the colour's own override if set,
// else reminders.overdue_every_days, else daily.
func (c *Config) OverdueEveryDays(colour string) int {
	if colour == "" {
		colour = ColourNone
	}
	if n := c.Supervision.Colours[colour].OverdueEveryDays; n > 0 {
		return n
	}
	if n := c.Reminders.OverdueEveryDays[colour]; n > 0 {
		return n
	}
	return 1
}

// EscalatesToCity reports whether an overdue hazard of this colour goes to city leaders from its
// first overdue day (any colour goes after reminders.escalate_city_after_days): the colour's
// escalate_to_city if set, else whether reminders.escalate_city_colours lists it.
func (c *Config) EscalatesToCity(colour string) bool {
	if e := c.Supervision.Colours[colour].EscalateToCity; e != nil {
		return *e
	}
	return slices.Contains(c.Reminders.EscalateCityColours, colour)
}

// InQuietHours reports whether t falls in the nightly quiet window, in the configured zone.
func (c *Config) InQuietHours(t time.Time) bool {
	start, okS := clockMinutes(c.Reminders.QuietStart)
	end, okE := clockMinutes(c.Reminders.QuietEnd)
	if !okS || !okE || start == end {
		return false
	}
	t = t.In(c.Location())
	m := t.Hour()*60 + t.Minute()
	if start < end {
		return m >= start && m < end
	}
	return m >= start || m < end // the window wraps midnight, as 21:00-08:00 does
}

// NextSendTime returns t when t is outside quiet hours, else the moment the quiet window ends,
// so a reminder due at night is delivered in the morning instead of dropped.
func (c *Config) NextSendTime(t time.Time) time.Time {
	if !c.InQuietHours(t) {
		return t
	}
	end, _ := clockMinutes(c.Reminders.QuietEnd)
	l := t.In(c.Location())
	e := time.Date(l.Year(), l.Month(), l.Day(), end/60, end%60, 0, 0, l.Location())
	if !e.After(l) {
		e = time.Date(l.Year(), l.Month(), l.Day()+1, end/60, end%60, 0, 0, l.Location())
	}
	return e
}

// clockMinutes parses "HH:MM" (24-hour) into minutes after midnight.
func clockMinutes(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}
