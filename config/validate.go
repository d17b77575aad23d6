package config

import (
	"encoding/base64"
	"fmt"
	"hazardbot/calendar"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-co-op/gocron/v2"
)

// Error lists every configuration problem found, so an operator fixes them in one go rather
// than one restart at a time. Each problem names the key as the user set it (an environment
// variable, a <VAR>_FILE, or a YAML key) and never contains a secret.
type Error struct {
	Problems []string
}

// Error joins the problems on one line, for a log line or a terminal.
func (e *Error) Error() string {
	return "config: " + strings.Join(e.Problems, "; ")
}

// cronCheckFrom is the instant schedules are checked from: gocron rejects a spec with no run in
// the next five years (e.g. "0 0 30 2 *"), and a fixed instant keeps Validate off the wall clock.
var cronCheckFrom = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

// Validate checks every option and returns an *Error listing all problems, or nil. It also
// caches the time zone for Location. Load calls it; call it again after changing a Config by hand.
func (c *Config) Validate() error {
	v := validator{c: c, names: c.keyNames()}
	v.check()
	if len(v.problems) > 0 {
		return &Error{Problems: v.problems}
	}
	return nil
}

type validator struct {
	c        *Config
	names    map[string]string
	problems []string
}

// keyNames maps each YAML path to the name a message should use: whatever the user set it by,
// else its environment variable, else its YAML key.
func (c *Config) keyNames() map[string]string {
	names := map[string]string{
		"reminders.quiet_start": envQuietHours,
		"reminders.quiet_end":   envQuietHours,
	}
	for _, o := range c.options() {
		if o.env != "" {
			names[o.path] = o.env
		} else if names[o.path] == "" {
			names[o.path] = o.path
		}
	}
	for p, n := range c.src {
		names[p] = n
	}
	return names
}

// name returns the user-facing name of a YAML path.
func (v *validator) name(path string) string {
	if n := v.names[path]; n != "" {
		return n
	}
	return path
}

func (v *validator) addf(path, format string, args ...any) {
	v.problems = append(v.problems, v.name(path)+" "+fmt.Sprintf(format, args...))
}

func (v *validator) check() {
	c := v.c

	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		v.addf("addr", "must be host:port such as :8080, got %q", c.Addr)
	}

	switch c.DB.Driver {
	case "sqlite":
		if c.DB.DSN == "" {
			v.addf("db.dsn", "must name the SQLite file, such as hazardbot.db")
		}
	case "mysql":
		// The default DSN is a SQLite file name; keeping it with mysql is a forgotten setting.
		_, explicit := c.src["db.dsn"]
		if c.DB.DSN == "" || (!explicit && c.DB.DSN == Default().DB.DSN) {
			v.addf("db.dsn", "is required when %s is mysql", v.name("db.driver"))
		} else if !strings.Contains(c.DB.DSN, "/") {
			// No value in the message: a mysql DSN carries a password.
			v.addf("db.dsn", "must look like user:password@tcp(host:3306)/hazardbot?parseTime=true")
		}
	default:
		v.addf("db.driver", "must be sqlite or mysql, got %q", c.DB.Driver)
	}
	if c.DB.MaxOpenConns < 1 {
		v.addf("db.max_open_conns", "must be at least 1, got %d", c.DB.MaxOpenConns)
	}

	if loc, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		v.addf("timezone", "must be an IANA time zone such as Asia/Shanghai, got %q", c.Timezone)
	} else {
		c.loc = loc
	}

	if cal, err := calendar.Load(c.Calendar.File); err != nil {
		v.addf("calendar.file", "must be a readable calendar file: %v", err)
	} else {
		c.cal = cal
	}

	if n := len(c.AdminToken); n > 0 && n < 16 {
		v.addf("admin_token", "must be at least 16 characters (or empty to disable the admin API)")
	}
	v.checkAdminTokens()
	v.checkImport()
	if !slices.Contains(TopKinds, c.Directory.TopKind) {
		v.addf("directory.top_kind", "must be one of %s, got %q", strings.Join(TopKinds, ", "), c.Directory.TopKind)
	}

	v.checkWeCom()
	v.checkWeChat()

	if strings.TrimSpace(c.Storage.Dir) == "" {
		v.addf("storage.dir", "must name a directory, such as data")
	}
	switch c.Storage.Driver {
	case "dir":
	case "db":
		if c.DB.Driver != "mysql" {
			v.addf("storage.driver", "db needs db.driver mysql (SQLite runs one process, which a directory serves)")
		}
	default:
		v.addf("storage.driver", "must be dir or db, got %q", c.Storage.Driver)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		v.addf("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		v.addf("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if c.Dialogue.Idle <= 0 {
		v.addf("dialogue.idle", "must be a positive duration such as 30m, got %s", c.Dialogue.Idle)
	}
	if c.Dialogue.PerSenderPerMinute < 1 {
		v.addf("dialogue.per_sender_per_minute", "must be at least 1, got %d", c.Dialogue.PerSenderPerMinute)
	}
	if c.Dialogue.MaxPhotos < 1 || c.Dialogue.MaxPhotos > 100 {
		v.addf("dialogue.max_photos", "must be between 1 and 100, got %d", c.Dialogue.MaxPhotos)
	}

	v.checkReminders()
	v.checkSchedule()
	if len(c.Digests.Roles) == 0 {
		v.addf("digests.roles", "must name at least one role, such as leader,supervisor")
	}
	for _, r := range c.Digests.Roles {
		if !slices.Contains(DigestRoles, r) {
			v.addf("digests.roles", "has unknown role %q (use %s)", r, strings.Join(DigestRoles, ", "))
		}
	}

	o := c.Outbox
	if o.Workers < 1 {
		v.addf("outbox.workers", "must be at least 1, got %d", o.Workers)
	}
	if o.GiveUpAfter <= 0 {
		v.addf("outbox.give_up_after", "must be a positive duration such as 24h, got %s", o.GiveUpAfter)
	}
	if o.PerUserPerMinute < 1 || o.PerUserPerMinute > 30 {
		v.addf("outbox.per_user_per_minute", "must be between 1 and 30 (WeCom drops more than 30 a minute), got %d", o.PerUserPerMinute)
	}
	if o.Poll <= 0 {
		v.addf("outbox.poll", "must be a positive duration such as 1s, got %s", o.Poll)
	}

	v.checkColours()
	v.checkHTTP()
}

// checkAdminTokens wants every named token named, at least 16 characters long, and no name or
// token used twice (admin_token counts, as the token named admin_token). Messages name the entry
// by its place and name, never by its token.
func (v *validator) checkAdminTokens() {
	c := v.c
	names := map[string]string{}
	tokens := map[string]string{}
	if c.AdminToken != "" {
		names[AdminTokenName] = v.name("admin_token")
		tokens[c.AdminToken] = v.name("admin_token")
	}
	for i, t := range c.AdminTokens {
		entry := fmt.Sprintf("entry %d", i+1)
		if t.Name != "" {
			entry = fmt.Sprintf("entry %d (%s)", i+1, t.Name)
		}
		switch {
		case strings.TrimSpace(t.Name) == "":
			v.addf("admin_tokens", "%s needs a name, such as 市应急局对接", entry)
		case t.Name != strings.TrimSpace(t.Name) || strings.ContainsAny(t.Name, ",:\n\r\t") || utf8.RuneCountInString(t.Name) > 32:
			v.addf("admin_tokens", "%s: a name must be at most 32 characters without commas, colons or spaces around it", entry)
		case names[t.Name] != "":
			v.addf("admin_tokens", "%s has the name of %s; names must differ", entry, names[t.Name])
		default:
			names[t.Name] = entry
		}
		switch {
		case len(t.Token) < 16:
			v.addf("admin_tokens", "%s: the token must be at least 16 characters", entry)
		case tokens[t.Token] != "":
			v.addf("admin_tokens", "%s has the same token as %s; every token must differ", entry, tokens[t.Token])
		default:
			tokens[t.Token] = entry
		}
	}
}

// checkImport keeps the import caps within what the server can read in bounded memory and a
// ledger can need: the official ledger has about a dozen columns.
func (v *validator) checkImport() {
	im := v.c.Import
	if im.MaxRows < 100 || im.MaxRows > 500_000 {
		v.addf("import.max_rows", "must be between 100 and 500000, got %d", im.MaxRows)
	}
	if im.MaxColumns < 16 || im.MaxColumns > 1024 {
		v.addf("import.max_columns", "must be between 16 and 1024, got %d", im.MaxColumns)
	}
	if im.MaxBytes < 1<<20 || im.MaxBytes > 512<<20 {
		v.addf("import.max_bytes", "must be between 1048576 (1 MB) and 536870912 (512 MB) bytes, got %d", im.MaxBytes)
	}
}

// checkHTTP wants every timeout set (a zero would mean none, the slow-client hole the timeouts
// close) and every trusted proxy an IP address or a CIDR range.
func (v *validator) checkHTTP() {
	c := v.c
	if n := len(c.MetricsToken); n > 0 && n < 16 {
		v.addf("metrics_token", "must be at least 16 characters (or empty to leave /metrics open)")
	}
	h := c.HTTP
	for _, f := range []struct {
		path string
		d    time.Duration
	}{
		{"http.read_header_timeout", h.ReadHeaderTimeout},
		{"http.read_timeout", h.ReadTimeout},
		{"http.write_timeout", h.WriteTimeout},
		{"http.idle_timeout", h.IdleTimeout},
	} {
		if f.d <= 0 {
			v.addf(f.path, "must be a positive duration such as 15s, got %s", f.d)
		}
	}
	if h.ReadHeaderTimeout > 0 && h.ReadTimeout > 0 && h.ReadHeaderTimeout > h.ReadTimeout {
		v.addf("http.read_header_timeout", "must not exceed %s (%s), got %s", v.name("http.read_timeout"), h.ReadTimeout, h.ReadHeaderTimeout)
	}
	for _, p := range h.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				v.addf("http.trusted_proxies", "must list IP addresses or CIDR ranges such as 10.0.0.0/8, got %q", p)
			}
		}
	}
}

// checkWeCom allows all-or-nothing credentials: a partial set is almost always a typo in a
// variable name, and silently falling back to demo mode would hide it.
func (v *validator) checkWeCom() {
	w := v.c.WeCom
	if !v.c.DemoMode() {
		var missing []string
		for _, f := range []struct{ path, val string }{
			{"wecom.corp_id", w.CorpID}, {"wecom.secret", w.Secret}, {"wecom.token", w.Token}, {"wecom.aes_key", w.AESKey},
		} {
			if f.val == "" {
				missing = append(missing, v.name(f.path))
			}
		}
		if len(missing) > 0 {
			v.problems = append(v.problems, fmt.Sprintf(
				"WeCom is partly configured: also set %s (or set none of the WeCom credentials for demo mode)",
				strings.Join(missing, ", ")))
		}
		if w.AgentID <= 0 {
			v.addf("wecom.agent_id", "must be the app's AgentId (a positive number) when WeCom is configured")
		}
	} else if w.AgentID < 0 {
		v.addf("wecom.agent_id", "must not be negative, got %d", w.AgentID)
	}
	if w.AESKey != "" {
		// EncodingAESKey is 32 bytes in base64 without the trailing "=": 43 characters.
		if len(w.AESKey) != 43 {
			v.addf("wecom.aes_key", "must be 43 characters")
		} else if _, err := base64.StdEncoding.DecodeString(w.AESKey + "="); err != nil {
			v.addf("wecom.aes_key", "must contain only base64 characters (A-Z a-z 0-9 + /)")
		}
	}
	if w.CallbackWindow < time.Minute || w.CallbackWindow > 24*time.Hour {
		v.addf("wecom.callback_window", "must be a duration between 1m and 24h such as 1h, got %s", w.CallbackWindow)
	}
	if u, err := url.Parse(w.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.addf("wecom.api_base", "must be an http(s) URL such as https://qyapi.weixin.qq.com, got %q", w.APIBase)
	}
	if u, err := url.Parse(w.OAuthBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		v.addf("wecom.oauth_base", "must be an http(s) URL such as https://open.weixin.qq.com, got %q", w.OAuthBase)
	}
	v.checkPublicURL()
}

// checkPublicURL accepts an empty public_url (no links, no WeCom sign-in) or an http(s) base
// without query or fragment; the pages live under its /h5/.
func (v *validator) checkPublicURL() {
	p := v.c.PublicURL
	if p == "" {
		return
	}
	if u, err := url.Parse(p); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		v.addf("public_url", "must be the http(s) address WeCom users reach this server at, such as https://hazard.example.gov.cn, got %q", p)
	}
}

func (v *validator) checkReminders() {
	r := v.c.Reminders
	seen := map[int]bool{}
	for _, d := range r.BeforeDays {
		if d < 1 || seen[d] {
			v.addf("reminders.before_days", "must be distinct whole numbers of days of at least 1, such as 3,1, got %v", r.BeforeDays)
			break
		}
		seen[d] = true
	}
	for _, k := range append(slices.Clone(colourCodes), ColourNone) {
		if r.OverdueEveryDays[k] < 1 {
			v.addf("reminders.overdue_every_days", "must give %s at least 1 day, such as red:1,yellow:2,blue:3,none:1", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.OverdueEveryDays)) {
		if !slices.Contains(colourCodes, k) && k != ColourNone {
			v.addf("reminders.overdue_every_days", "has unknown colour %q (use red, yellow, blue, none)", k)
		}
	}
	_, okS := clockMinutes(r.QuietStart)
	_, okE := clockMinutes(r.QuietEnd)
	if !okS || !okE {
		if v.name("reminders.quiet_start") == envQuietHours {
			v.addf("reminders.quiet_start", "must look like 21:00-08:00 (24-hour HH:MM), got %q", r.QuietStart+"-"+r.QuietEnd)
		} else {
			if !okS {
				v.addf("reminders.quiet_start", "must be a 24-hour time such as 21:00, got %q", r.QuietStart)
			}
			if !okE {
				v.addf("reminders.quiet_end", "must be a 24-hour time such as 08:00, got %q", r.QuietEnd)
			}
		}
	}
	if r.EscalateRegionAfterDays < 1 {
		v.addf("reminders.escalate_region_after_days", "must be at least 1, got %d", r.EscalateRegionAfterDays)
	}
	if r.EscalateCityAfterDays < r.EscalateRegionAfterDays {
		v.addf("reminders.escalate_city_after_days", "must be at least %s (%d), got %d",
			v.name("reminders.escalate_region_after_days"), r.EscalateRegionAfterDays, r.EscalateCityAfterDays)
	}
	for _, k := range r.EscalateCityColours {
		if !slices.Contains(colourCodes, k) {
			v.addf("reminders.escalate_city_colours", "has unknown colour %q (use red, yellow, blue)", k)
		}
	}
	if r.AcceptNagHours < 0 {
		v.addf("reminders.accept_nag_hours", "must be 0 (off) or more, got %d", r.AcceptNagHours)
	}
}

// checkSchedule parses each spec with gocron's own cron parser, the one the scheduler will use,
// in the configured zone. Only the 5-field form is accepted: seconds, @descriptors and a
// CRON_TZ= prefix would all work in gocron but would make the zone or the meaning ambiguous.
func (v *validator) checkSchedule() {
	s := v.c.Schedule
	for _, f := range []struct{ path, spec string }{
		{"schedule.reminders", s.Reminders},
		{"schedule.daily_digest", s.DailyDigest},
		{"schedule.weekly_digest", s.WeeklyDigest},
		{"schedule.campaign_reminders", s.CampaignReminders},
		{"schedule.draft_sweep", s.DraftSweep},
	} {
		if err := ValidCron(f.spec, v.c.Location()); err != nil {
			v.addf(f.path, "%v, got %q", err, f.spec)
		}
	}
}

// ValidCron reports whether spec is a 5-field cron spec (minute hour day-of-month month
// day-of-week) that gocron accepts and that fires at least once, read in loc.
func ValidCron(spec string, loc *time.Location) error {
	if len(strings.Fields(spec)) != 5 {
		return fmt.Errorf("must be a cron spec of 5 fields (minute hour day month weekday) such as \"0 9 * * *\"")
	}
	if err := gocron.NewDefaultCron(false).IsValid(spec, loc, cronCheckFrom.In(loc)); err != nil {
		// gocron joins two errors with a newline; keep the message on one line.
		return fmt.Errorf("must be a valid cron spec such as \"0 9 * * *\" (%s)", strings.ReplaceAll(err.Error(), "\n", ": "))
	}
	return nil
}

func (v *validator) checkColours() {
	cols := v.c.Supervision.Colours
	for _, k := range colourCodes {
		col, ok := cols[k]
		switch {
		case !ok:
			v.addf("supervision.colours", "must describe %s", k)
		case strings.TrimSpace(col.Name) == "":
			v.addf("supervision.colours", "must give %s a name, such as 红色", k)
		case col.OverdueEveryDays < 0:
			v.addf("supervision.colours", "must not give %s a negative overdue_every_days", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(cols)) {
		if !slices.Contains(colourCodes, k) {
			v.addf("supervision.colours", "has unknown colour %q (use red, yellow, blue)", k)
		}
	}
}

// templateField is what a template's field (data key) looks like: first, keyword1, thing2, time3.
var templateField = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// checkWeChat allows no WeChat settings (no channel) or a working set: app id, secret and token.
func (v *validator) checkWeChat() {
	w := v.c.WeChat
	if w.AppID != "" || w.AppSecret != "" || w.Token != "" || w.AESKey != "" {
		var missing []string
		for _, f := range []struct{ path, val string }{
			{"wechat.app_id", w.AppID}, {"wechat.app_secret", w.AppSecret}, {"wechat.token", w.Token},
		} {
			if f.val == "" {
				missing = append(missing, v.name(f.path))
			}
		}
		if len(missing) > 0 {
			v.problems = append(v.problems, fmt.Sprintf(
				"WeChat is partly configured: also set %s (or set none of the WeChat settings)", strings.Join(missing, ", ")))
		}
	}
	if w.AESKey != "" {
		if len(w.AESKey) != 43 {
			v.addf("wechat.aes_key", "must be 43 characters")
		} else if _, err := base64.StdEncoding.DecodeString(w.AESKey + "="); err != nil {
			v.addf("wechat.aes_key", "must contain only base64 characters (A-Z a-z 0-9 + /)")
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(w.Templates)) {
		t, path := w.Templates[kind], "wechat.templates."+kind
		if !slices.Contains(WeChatMessageKinds, kind) {
			v.addf("wechat.templates", "has unknown message kind %q (use %s)", kind, strings.Join(WeChatMessageKinds, ", "))
			continue
		}
		if strings.TrimSpace(t.ID) == "" {
			v.addf(path+".id", "must be the template's id from the account's template library")
		}
		if len(t.Fields) == 0 {
			v.addf(path+".fields", "must map the template's fields to values, e.g. {first: title, keyword1: number, remark: hint}")
		}
		for _, f := range slices.Sorted(maps.Keys(t.Fields)) {
			if !templateField.MatchString(f) {
				v.addf(path+".fields", "has a field name %q that is not a template field (letters, digits and _)", f)
			}
			if val := t.Fields[f]; !slices.Contains(WeChatTemplateValues, val) {
				v.addf(path+".fields."+f, "must be one of %s, got %q", strings.Join(WeChatTemplateValues, ", "), val)
			}
		}
	}
	if u, err := url.Parse(w.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.addf("wechat.api_base", "must be an http(s) URL such as https://api.weixin.qq.com, got %q", w.APIBase)
	}
}
