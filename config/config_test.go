package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"hazardbot/calendar"
)

// Credentials that pass validation, so a test can break exactly one thing.
const (
	goodAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 base64 characters
	goodSecret = "S3cr3t-corp-secret-value"
	goodToken  = "Tok3nForCallbacks"
	goodAdmin  = "admin-token-0123456789"
)

// env returns a getenv backed by a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// withWeCom returns the full set of WeCom variables plus extra.
func withWeCom(extra map[string]string) map[string]string {
	m := map[string]string{
		"HAZARDBOT_WECOM_CORP_ID":  "ww0123456789abcdef",
		"HAZARDBOT_WECOM_AGENT_ID": "1000002",
		"HAZARDBOT_WECOM_SECRET":   goodSecret,
		"HAZARDBOT_WECOM_TOKEN":    goodToken,
		"HAZARDBOT_WECOM_AES_KEY":  goodAESKey,
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// writeFile writes content to a file in a temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sameSettings compares two configs ignoring bookkeeping (cached zone, where values came from).
func sameSettings(a, b *Config) bool {
	x, y := *a, *b
	x.loc, y.loc, x.src, y.src, x.cal, y.cal = nil, nil, nil, nil, nil, nil
	return reflect.DeepEqual(x, y)
}

func TestLoadWithNothingSetIsTheDemoDefault(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !sameSettings(c, Default()) {
		t.Errorf("Load() with no settings differs from Default():\n%s", c.Redacted())
	}
	if !c.DemoMode() {
		t.Error("DemoMode() = false with no WeCom credentials")
	}
	if c.AdminEnabled() {
		t.Error("AdminEnabled() = true with no admin token")
	}
	if got := c.Location().String(); got != "Asia/Shanghai" {
		t.Errorf("Location() = %s, want Asia/Shanghai", got)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestExampleFileIsTheDefaults(t *testing.T) {
	const path = "../config.example.yaml"
	c, err := Load(env(map[string]string{EnvConfigFile: path}))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if !sameSettings(c, Default()) {
		t.Errorf("%s differs from Default(); effective config:\n%s", path, c.Redacted())
	}

	// Every option must be written out, not merely left at its default by omission.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	if err := checkKeys(&root, reflect.TypeFor[Config](), "", func(p string) { present[p] = true }); err != nil {
		t.Fatal(err)
	}
	for _, o := range Default().options() {
		if !present[o.path] {
			t.Errorf("%s does not list %s", path, o.path)
		}
	}
}

func TestDocsHaveARowForEveryOption(t *testing.T) {
	data, err := os.ReadFile("../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(line, "| ") {
			rows = append(rows, line)
		}
	}
	for _, o := range Default().options() {
		t.Run(o.path, func(t *testing.T) {
			for _, r := range rows {
				if strings.Contains(r, "`"+o.path+"`") {
					if o.env != "" && !strings.Contains(r, "`"+o.env+"`") {
						t.Errorf("row for %s does not name %s: %s", o.path, o.env, r)
					}
					if o.secret && !strings.Contains(r, "🔒") {
						t.Errorf("row for secret %s is not marked 🔒", o.path)
					}
					return
				}
			}
			t.Errorf("docs/CONFIG.md has no table row for `%s`", o.path)
		})
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	file := writeFile(t, "c.yaml", `
addr: ":9000"
log: {level: debug}
db: {driver: mysql, dsn: "u:p@tcp(db:3306)/hz"}
reminders:
  before_days: [5]
  overdue_every_days: {red: 4}
supervision:
  colours:
    red: {name: 特红}
`)
	c, err := Load(env(map[string]string{
		EnvConfigFile:                               file,
		"HAZARDBOT_ADDR":                            ":7000",
		"HAZARDBOT_DIALOGUE_IDLE":                   "45m",
		"HAZARDBOT_REMINDERS_OVERDUE_EVERY_DAYS":    "blue:9",
		"HAZARDBOT_REMINDERS_ESCALATE_CITY_COLOURS": "red, yellow",
		"HAZARDBOT_QUIET_HOURS":                     "22:30-07:00",
		"HAZARDBOT_REMINDERS_ON_DAY":                "false",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"env wins over file", c.Addr, ":7000"},
		{"file wins over default", c.Log.Level, "debug"},
		{"file sets driver", c.DB.Driver, "mysql"},
		{"untouched default stays", c.Log.Format, "text"},
		{"env duration", c.Dialogue.Idle, 45 * time.Minute},
		{"file list replaces default", c.Reminders.BeforeDays, []int{5}},
		{"file and env merge into colour map", c.Reminders.OverdueEveryDays, map[string]int{"red": 4, "yellow": 2, "blue": 9, "none": 1}},
		{"env list", c.Reminders.EscalateCityColours, []string{"red", "yellow"}},
		{"quiet start", c.Reminders.QuietStart, "22:30"},
		{"quiet end", c.Reminders.QuietEnd, "07:00"},
		{"env bool", c.Reminders.OnDay, false},
		{"partial colour keeps its name change", c.Supervision.Colours["red"].Name, "特红"},
		{"partial colour keeps default meaning", c.Supervision.Colours["red"].Meaning, "市安委会挂牌督办"},
		{"other colours untouched", c.Supervision.Colours["blue"].Name, "蓝色"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	// Loading must not leak into later Defaults through shared maps.
	if Default().Reminders.OverdueEveryDays["red"] != 1 || Default().Supervision.Colours["red"].Name != "红色" {
		t.Error("Load changed the maps of Default()")
	}
}

func TestSecretFromFile(t *testing.T) {
	secretFile := writeFile(t, "secret", goodSecret+"\n")
	m := withWeCom(map[string]string{"HAZARDBOT_WECOM_SECRET_FILE": secretFile})
	delete(m, "HAZARDBOT_WECOM_SECRET")
	c, err := Load(env(m))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.WeCom.Secret != goodSecret {
		t.Errorf("secret from file = %q, want it with the trailing newline trimmed", c.WeCom.Secret)
	}
	if c.DemoMode() {
		t.Error("DemoMode() = true with full credentials")
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	shortKeyFile := "short-key\n"
	tests := []struct {
		name string
		env  map[string]string
		file string // YAML content for HAZARDBOT_CONFIG, if any
		want string
	}{
		{name: "unknown driver", env: map[string]string{"HAZARDBOT_DB_DRIVER": "postgres"},
			want: `HAZARDBOT_DB_DRIVER must be sqlite or mysql, got "postgres"`},
		{name: "mysql without dsn", env: map[string]string{"HAZARDBOT_DB_DRIVER": "mysql"},
			want: "HAZARDBOT_DB_DSN is required when HAZARDBOT_DB_DRIVER is mysql"},
		{name: "mysql dsn without database", env: map[string]string{"HAZARDBOT_DB_DRIVER": "mysql", "HAZARDBOT_DB_DSN": "u:p@tcp(db)"},
			want: "HAZARDBOT_DB_DSN must look like user:password@tcp"},
		{name: "zero pool", env: map[string]string{"HAZARDBOT_DB_MAX_OPEN_CONNS": "0"},
			want: "HAZARDBOT_DB_MAX_OPEN_CONNS must be at least 1"},
		{name: "bad addr", env: map[string]string{"HAZARDBOT_ADDR": "8080"},
			want: "HAZARDBOT_ADDR must be host:port"},
		{name: "unknown time zone", env: map[string]string{"HAZARDBOT_TIMEZONE": "Asia/Wuhan"},
			want: `HAZARDBOT_TIMEZONE must be an IANA time zone such as Asia/Shanghai, got "Asia/Wuhan"`},
		{name: "short admin token", env: map[string]string{"HAZARDBOT_ADMIN_TOKEN": "short"},
			want: "HAZARDBOT_ADMIN_TOKEN must be at least 16 characters"},
		{name: "short aes key", env: withWeCom(map[string]string{"HAZARDBOT_WECOM_AES_KEY": "abc"}),
			want: "HAZARDBOT_WECOM_AES_KEY must be 43 characters"},
		{name: "aes key outside base64", env: withWeCom(map[string]string{"HAZARDBOT_WECOM_AES_KEY": strings.Repeat("!", 43)}),
			want: "HAZARDBOT_WECOM_AES_KEY must contain only base64 characters"},
		{name: "partial wecom names the missing", env: map[string]string{"HAZARDBOT_WECOM_CORP_ID": "ww1", "HAZARDBOT_WECOM_TOKEN": goodToken},
			want: "also set HAZARDBOT_WECOM_SECRET, HAZARDBOT_WECOM_AES_KEY"},
		{name: "wecom without agent id", env: func() map[string]string {
			m := withWeCom(nil)
			delete(m, "HAZARDBOT_WECOM_AGENT_ID")
			return m
		}(), want: "HAZARDBOT_WECOM_AGENT_ID must be the app's AgentId"},
		{name: "agent id not a number", env: map[string]string{"HAZARDBOT_WECOM_AGENT_ID": "abc"},
			want: `HAZARDBOT_WECOM_AGENT_ID must be a whole number, got "abc"`},
		{name: "api base not http", env: map[string]string{"HAZARDBOT_WECOM_API_BASE": "ftp://qyapi.weixin.qq.com"},
			want: "HAZARDBOT_WECOM_API_BASE must be an http(s) URL"},
		{name: "public url without scheme", env: map[string]string{"HAZARDBOT_PUBLIC_URL": "hazard.example.gov.cn"},
			want: "HAZARDBOT_PUBLIC_URL must be the http(s) address"},
		{name: "public url with a query", env: map[string]string{"HAZARDBOT_PUBLIC_URL": "https://hazard.example.gov.cn/?a=1"},
			want: "HAZARDBOT_PUBLIC_URL must be the http(s) address"},
		{name: "oauth base not http", env: map[string]string{"HAZARDBOT_WECOM_OAUTH_BASE": "open.weixin.qq.com"},
			want: "HAZARDBOT_WECOM_OAUTH_BASE must be an http(s) URL"},
		{name: "log level", env: map[string]string{"HAZARDBOT_LOG_LEVEL": "verbose"},
			want: `HAZARDBOT_LOG_LEVEL must be debug, info, warn or error, got "verbose"`},
		{name: "log format", env: map[string]string{"HAZARDBOT_LOG_FORMAT": "xml"},
			want: "HAZARDBOT_LOG_FORMAT must be text or json"},
		{name: "idle not a duration", env: map[string]string{"HAZARDBOT_DIALOGUE_IDLE": "30"},
			want: "HAZARDBOT_DIALOGUE_IDLE must be a duration"},
		{name: "before days zero", env: map[string]string{"HAZARDBOT_REMINDERS_BEFORE_DAYS": "3,0"},
			want: "HAZARDBOT_REMINDERS_BEFORE_DAYS must be distinct whole numbers"},
		{name: "before days not numbers", env: map[string]string{"HAZARDBOT_REMINDERS_BEFORE_DAYS": "three"},
			want: "HAZARDBOT_REMINDERS_BEFORE_DAYS must be a comma-separated list"},
		{name: "overdue map unknown colour", env: map[string]string{"HAZARDBOT_REMINDERS_OVERDUE_EVERY_DAYS": "green:1"},
			want: `HAZARDBOT_REMINDERS_OVERDUE_EVERY_DAYS has unknown colour "green"`},
		{name: "overdue map malformed", env: map[string]string{"HAZARDBOT_REMINDERS_OVERDUE_EVERY_DAYS": "red=1"},
			want: "HAZARDBOT_REMINDERS_OVERDUE_EVERY_DAYS must look like red:1"},
		{name: "quiet hours without dash", env: map[string]string{"HAZARDBOT_QUIET_HOURS": "21:00"},
			want: "HAZARDBOT_QUIET_HOURS must look like 21:00-08:00"},
		{name: "quiet hours bad clock", env: map[string]string{"HAZARDBOT_QUIET_HOURS": "25:00-08:00"},
			want: "HAZARDBOT_QUIET_HOURS must look like 21:00-08:00"},
		{name: "city escalation before region", env: map[string]string{"HAZARDBOT_REMINDERS_ESCALATE_CITY_AFTER_DAYS": "2"},
			want: "HAZARDBOT_REMINDERS_ESCALATE_CITY_AFTER_DAYS must be at least HAZARDBOT_REMINDERS_ESCALATE_REGION_AFTER_DAYS (3)"},
		{name: "escalation colour unknown", env: map[string]string{"HAZARDBOT_REMINDERS_ESCALATE_CITY_COLOURS": "purple"},
			want: `HAZARDBOT_REMINDERS_ESCALATE_CITY_COLOURS has unknown colour "purple"`},
		{name: "cron bad field", env: map[string]string{"HAZARDBOT_SCHEDULE_REMINDERS": "0 25 * * *"},
			want: "HAZARDBOT_SCHEDULE_REMINDERS must be a valid cron spec"},
		{name: "cron with seconds", env: map[string]string{"HAZARDBOT_SCHEDULE_DAILY_DIGEST": "0 30 8 * * *"},
			want: "HAZARDBOT_SCHEDULE_DAILY_DIGEST must be a cron spec of 5 fields"},
		{name: "cron descriptor", env: map[string]string{"HAZARDBOT_SCHEDULE_WEEKLY_DIGEST": "@weekly"},
			want: "HAZARDBOT_SCHEDULE_WEEKLY_DIGEST must be a cron spec of 5 fields"},
		{name: "cron never fires", env: map[string]string{"HAZARDBOT_SCHEDULE_CAMPAIGN_REMINDERS": "0 9 30 2 *"},
			want: "HAZARDBOT_SCHEDULE_CAMPAIGN_REMINDERS must be a valid cron spec"},
		{name: "outbox rate above wecom limit", env: map[string]string{"HAZARDBOT_OUTBOX_PER_USER_PER_MINUTE": "31"},
			want: "HAZARDBOT_OUTBOX_PER_USER_PER_MINUTE must be between 1 and 30"},
		{name: "outbox no workers", env: map[string]string{"HAZARDBOT_OUTBOX_WORKERS": "0"},
			want: "HAZARDBOT_OUTBOX_WORKERS must be at least 1"},
		{name: "callback window off (a careless zero)", env: map[string]string{"HAZARDBOT_WECOM_CALLBACK_WINDOW": "0s"},
			want: "HAZARDBOT_WECOM_CALLBACK_WINDOW must be a duration between 1m and 24h such as 1h, got 0s"},
		{name: "callback window of a week", env: map[string]string{"HAZARDBOT_WECOM_CALLBACK_WINDOW": "168h"},
			want: "HAZARDBOT_WECOM_CALLBACK_WINDOW must be a duration between 1m and 24h"},
		{name: "read timeout zero means none", env: map[string]string{"HAZARDBOT_HTTP_READ_TIMEOUT": "0s"},
			want: "HAZARDBOT_HTTP_READ_TIMEOUT must be a positive duration"},
		{name: "header timeout longer than the read timeout", env: map[string]string{"HAZARDBOT_HTTP_READ_HEADER_TIMEOUT": "1m"},
			want: "HAZARDBOT_HTTP_READ_HEADER_TIMEOUT must not exceed HAZARDBOT_HTTP_READ_TIMEOUT (15s)"},
		{name: "trusted proxy a host name", env: map[string]string{"HAZARDBOT_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,nginx"},
			want: `HAZARDBOT_HTTP_TRUSTED_PROXIES must list IP addresses or CIDR ranges such as 10.0.0.0/8, got "nginx"`},
		{name: "short metrics token", env: map[string]string{"HAZARDBOT_METRICS_TOKEN": "scrape"},
			want: "HAZARDBOT_METRICS_TOKEN must be at least 16 characters"},
		{name: "named token too short", env: map[string]string{"HAZARDBOT_ADMIN_TOKENS": "市应急局对接:" + goodAdmin + ",县局:short"},
			want: "HAZARDBOT_ADMIN_TOKENS entry 2 (县局): the token must be at least 16 characters"},
		{name: "named token without a name", env: map[string]string{"HAZARDBOT_ADMIN_TOKENS": ":" + goodAdmin},
			want: "HAZARDBOT_ADMIN_TOKENS entry 1 needs a name"},
		{name: "named token not a pair", env: map[string]string{"HAZARDBOT_ADMIN_TOKENS": goodAdmin},
			want: "HAZARDBOT_ADMIN_TOKENS must be name:token pairs"},
		{name: "two tokens of one name", env: map[string]string{"HAZARDBOT_ADMIN_TOKENS": "县局:" + goodAdmin + ",县局:" + goodToken + "-padding"},
			want: "HAZARDBOT_ADMIN_TOKENS entry 2 (县局) has the name of entry 1 (县局)"},
		{name: "a name taken by admin_token", env: map[string]string{"HAZARDBOT_ADMIN_TOKEN": goodAdmin, "HAZARDBOT_ADMIN_TOKENS": "admin_token:" + goodToken + "-padding"},
			want: "HAZARDBOT_ADMIN_TOKENS entry 1 (admin_token) has the name of HAZARDBOT_ADMIN_TOKEN"},
		{name: "one token under two names", env: map[string]string{"HAZARDBOT_ADMIN_TOKEN": goodAdmin, "HAZARDBOT_ADMIN_TOKENS": "县局:" + goodAdmin},
			want: "HAZARDBOT_ADMIN_TOKENS entry 1 (县局) has the same token as HAZARDBOT_ADMIN_TOKEN"},
		{name: "file: named token too short", file: "admin_tokens:\n  - {name: 市应急局对接, token: short}\n",
			want: "admin_tokens entry 1 (市应急局对接): the token must be at least 16 characters"},
		{name: "file: named token with an unknown key", file: "admin_tokens:\n  - {nmae: 市应急局对接, token: x}\n",
			want: `line 2: unknown key "nmae" in admin_tokens[0]`},
		{name: "import rows zero", env: map[string]string{"HAZARDBOT_IMPORT_MAX_ROWS": "0"},
			want: "HAZARDBOT_IMPORT_MAX_ROWS must be between 100 and 500000, got 0"},
		{name: "import columns of a whole sheet", env: map[string]string{"HAZARDBOT_IMPORT_MAX_COLUMNS": "16384"},
			want: "HAZARDBOT_IMPORT_MAX_COLUMNS must be between 16 and 1024, got 16384"},
		{name: "import bytes of 4 GB", env: map[string]string{"HAZARDBOT_IMPORT_MAX_BYTES": "4294967296"},
			want: "HAZARDBOT_IMPORT_MAX_BYTES must be between 1048576 (1 MB) and 536870912 (512 MB) bytes"},
		{name: "top kind enterprise", env: map[string]string{"HAZARDBOT_DIRECTORY_TOP_KIND": "enterprise"},
			want: `HAZARDBOT_DIRECTORY_TOP_KIND must be one of committee, region, department, town, got "enterprise"`},
		{name: "both var and file", env: map[string]string{"HAZARDBOT_ADMIN_TOKEN": goodAdmin, "HAZARDBOT_ADMIN_TOKEN_FILE": "/x"},
			want: "HAZARDBOT_ADMIN_TOKEN and HAZARDBOT_ADMIN_TOKEN_FILE are both set"},
		{name: "secret file missing", env: map[string]string{"HAZARDBOT_WECOM_TOKEN_FILE": "/nonexistent/token"},
			want: "HAZARDBOT_WECOM_TOKEN_FILE: open /nonexistent/token"},
		{name: "invalid secret from file names the _FILE variable", env: map[string]string{"HAZARDBOT_WECOM_AES_KEY_FILE": "@short"},
			want: "HAZARDBOT_WECOM_AES_KEY_FILE must be 43 characters"},
		{name: "config file missing", env: map[string]string{EnvConfigFile: "/nonexistent/hazardbot.yaml"},
			want: "HAZARDBOT_CONFIG: open /nonexistent/hazardbot.yaml"},
		{name: "file: unknown top-level key", file: "addr: \":80\"\nlistn: x\n",
			want: `line 2: unknown key "listn"`},
		{name: "file: unknown nested key", file: "db:\n  driver: sqlite\n  dns: x.db\n",
			want: `line 3: unknown key "dns" in db`},
		{name: "file: unknown key in a colour", file: "supervision:\n  colours:\n    red: {nmae: 红}\n",
			want: `line 3: unknown key "nmae" in supervision.colours.red`},
		{name: "file: wrong type", file: "outbox:\n  workers: many\n",
			want: "line 2: cannot unmarshal"},
		{name: "file: value named by yaml key", file: "db:\n  driver: oracle\n",
			want: `db.driver must be sqlite or mysql, got "oracle"`},
		{name: "file: unknown colour", file: "supervision:\n  colours:\n    green: {name: 绿色}\n",
			want: `supervision.colours has unknown colour "green"`},
		{name: "file: quiet start named by yaml key", file: "reminders:\n  quiet_start: \"9pm\"\n",
			want: `reminders.quiet_start must be a 24-hour time such as 21:00, got "9pm"`},
		{name: "file: template for an unknown kind", file: "wechat:\n  templates:\n    digest: {id: T1, fields: {first: title}}\n",
			want: `wechat.templates has unknown message kind "digest"`},
		{name: "file: template without id", file: "wechat:\n  templates:\n    closed: {fields: {first: title}}\n",
			want: `wechat.templates.closed.id must be the template's id`},
		{name: "file: template without fields", file: "wechat:\n  templates:\n    closed: {id: T1}\n",
			want: `wechat.templates.closed.fields must map the template's fields`},
		{name: "file: template field filled by an unknown value", file: "wechat:\n  templates:\n    assignment: {id: T1, fields: {keyword1: numero}}\n",
			want: `wechat.templates.assignment.fields.keyword1 must be one of title, detail, text, number`},
		{name: "file: template field name that is no field", file: "wechat:\n  templates:\n    reminder: {id: T1, fields: {\"key word\": title}}\n",
			want: `wechat.templates.reminder.fields has a field name "key word"`},
		{name: "file: unknown key in a template", file: "wechat:\n  templates:\n    reminder: {id: T1, feilds: {first: title}}\n",
			want: `unknown key "feilds" in wechat.templates.reminder`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range tt.env {
				if v == "@short" {
					v = writeFile(t, "key", shortKeyFile)
				}
				m[k] = v
			}
			if tt.file != "" {
				m[EnvConfigFile] = writeFile(t, "c.yaml", tt.file)
			}
			_, err := Load(env(m))
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error %q lacks the config: prefix", err)
			}
		})
	}
}

// The template example of docs/CONFIG.md loads as written.
func TestTemplateExampleLoads(t *testing.T) {
	data, err := os.ReadFile("../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), "### Template messages: an example")
	_, block, ok2 := strings.Cut(after, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/CONFIG.md has no template example")
	}
	c, err := Load(env(map[string]string{EnvConfigFile: writeFile(t, "c.yaml", block)}))
	if err != nil {
		t.Fatalf("the example: %v", err)
	}
	a := c.WeChat.Templates["assignment"]
	if len(c.WeChat.Templates) != 5 || a.ID != "HazardNoticeTemplateId" || a.Fields["keyword4"] != "deadline" {
		t.Fatalf("templates %+v", c.WeChat.Templates)
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Load(env(map[string]string{"HAZARDBOT_DB_DRIVER": "pg", "HAZARDBOT_LOG_LEVEL": "loud"}))
	var ce *Error
	if !asError(err, &ce) {
		t.Fatalf("error %v is not a *config.Error", err)
	}
	if len(ce.Problems) != 2 {
		t.Errorf("problems = %q, want the driver and the log level", ce.Problems)
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

// TestSecretsNeverShown sets every secret to a recognisable value and checks that none of them
// appears in Redacted, in slog output (text and JSON), or in any error Load returns.
func TestSecretsNeverShown(t *testing.T) {
	const dsnPassword = "Pa55w0rdInDSN"
	const namedToken, otherNamed = "named-token-of-the-city-office", "named-token-of-the-county-desk"
	secrets := []string{goodAESKey, goodSecret, goodToken, goodAdmin, dsnPassword, namedToken, otherNamed}
	good := withWeCom(map[string]string{
		"HAZARDBOT_ADMIN_TOKEN":  goodAdmin,
		"HAZARDBOT_ADMIN_TOKENS": "市应急局对接:" + namedToken + ",县局:" + otherNamed,
		"HAZARDBOT_DB_DRIVER":    "mysql",
		"HAZARDBOT_DB_DSN":       "hz:" + dsnPassword + "@tcp(db:3306)/hazardbot?parseTime=true",
	})
	c, err := Load(env(good))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "config", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "config", c)
	var nested bytes.Buffer
	slog.New(slog.NewJSONHandler(&nested, nil)).Info("parts", "wecom", c.WeCom, "db", c.DB, "value", *c)
	outputs := map[string]string{
		"Redacted":         c.Redacted(),
		"slog text":        text.String(),
		"slog json":        js.String(),
		"slog json, parts": nested.String(),
		"fmt":              fmt.Sprintf("%v %+v %#v %v %+v %#v %v %#v %v %+v %#v", c, *c, *c, c.WeCom, c.WeCom, c.WeCom, c.DB, c.DB, c.AdminTokens, c.AdminTokens, c.AdminTokens[0]),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows a secret %q:\n%s", name, s, out)
			}
		}
	}
	if len(c.APITokens()) != 3 || c.APITokens()[1] != (AdminToken{Name: "市应急局对接", Token: namedToken}) {
		t.Errorf("APITokens = %d tokens, want admin_token and the two named ones", len(c.APITokens()))
	}
	if !strings.Contains(c.Redacted(), "name: 市应急局对接") || !strings.Contains(text.String(), "县局") {
		t.Errorf("the tokens' names should be shown:\n%s\n%s", c.Redacted(), text.String())
	}
	if !strings.Contains(c.Redacted(), "aes_key: set") || !strings.Contains(c.Redacted(), "dsn: set") {
		t.Errorf("Redacted does not say the secrets are set:\n%s", c.Redacted())
	}
	var logged map[string]any
	if err := json.Unmarshal(js.Bytes(), &logged); err != nil {
		t.Fatal(err)
	}
	wecom := logged["config"].(map[string]any)["wecom"].(map[string]any)
	if wecom["secret"] != Set || wecom["corp_id"] != "ww0123456789abcdef" {
		t.Errorf("logged wecom = %v, want secret shown as set and corp_id in clear", wecom)
	}
	if got := Default().Redacted(); !strings.Contains(got, "admin_token: unset") || !strings.Contains(got, "dsn: hazardbot.db") {
		t.Errorf("Default().Redacted() should say unset and show the SQLite path:\n%s", got)
	}

	// Errors: break things around the secrets and check no message repeats one.
	broken := []map[string]string{
		{"HAZARDBOT_WECOM_AES_KEY": goodAESKey[:40] + "!!!"},
		{"HAZARDBOT_WECOM_AES_KEY": goodAESKey + "x"},
		{"HAZARDBOT_WECOM_SECRET_FILE": "/nonexistent"},
		{"HAZARDBOT_WECOM_CORP_ID": ""},
		{"HAZARDBOT_ADMIN_TOKEN": goodAdmin[:10]},
		{"HAZARDBOT_DB_DSN": "hz:" + dsnPassword + "@tcp(db:3306)"},
		{"HAZARDBOT_DB_DRIVER": "mssql"},
		{"HAZARDBOT_ADMIN_TOKENS": "市应急局对接:" + namedToken[:10]},
		{"HAZARDBOT_ADMIN_TOKENS": "市应急局对接:" + namedToken + ",县局:" + namedToken},
		{"HAZARDBOT_ADMIN_TOKENS": namedToken},
		{"HAZARDBOT_ADMIN_TOKENS": "admin_token:" + namedToken},
		{"HAZARDBOT_ADMIN_TOKENS": "甲:" + goodAdmin},
	}
	for i, change := range broken {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for k, v := range change {
			m[k] = v
		}
		_, err := Load(env(m))
		if err == nil {
			t.Errorf("case %d: Load succeeded, want an error", i)
			continue
		}
		for _, s := range append(secrets, goodAESKey[:40], goodAdmin[:10], namedToken[:10]) {
			if strings.Contains(err.Error(), s) {
				t.Errorf("case %d: error shows a secret: %v", i, err)
			}
		}
	}
}

func TestValidCron(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"0 9 * * *", true},
		{"30 8 * * *", true},
		{"0 9 * * 1", true},
		{"*/5 * * * *", true},
		{"0 9 * * MON-FRI", true},
		{"0 9 28 * *", true},
		{"", false},
		{"0 9 * *", false},
		{"0 0 9 * * *", false},
		{"@daily", false},
		{"CRON_TZ=UTC 0 9 * * *", false},
		{"60 9 * * *", false},
		{"0 9 * * 8", false},
		{"0 9 31 2 *", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			err := ValidCron(tt.spec, shanghai)
			if (err == nil) != tt.ok {
				t.Errorf("ValidCron(%q) = %v, want ok=%v", tt.spec, err, tt.ok)
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2023, 3, 15, h, m, 0, 0, shanghai) }
	tests := []struct {
		name       string
		start, end string
		t          time.Time
		quiet      bool
		next       time.Time
	}{
		{"evening inside a window over midnight", "21:00", "08:00", at(22, 0), true, at(32, 0)},
		{"early morning inside it", "21:00", "08:00", at(7, 59), true, at(8, 0)},
		{"start is inside", "21:00", "08:00", at(21, 0), true, at(32, 0)},
		{"end is outside", "21:00", "08:00", at(8, 0), false, at(8, 0)},
		{"daytime outside", "21:00", "08:00", at(12, 0), false, at(12, 0)},
		{"same-day window", "12:00", "14:00", at(13, 0), true, at(14, 0)},
		{"equal start and end means none", "00:00", "00:00", at(3, 0), false, at(3, 0)},
		{"UTC instant is read in the configured zone", "21:00", "08:00", time.Date(2023, 3, 15, 14, 30, 0, 0, time.UTC), true, at(32, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Reminders.QuietStart, c.Reminders.QuietEnd = tt.start, tt.end
			if got := c.InQuietHours(tt.t); got != tt.quiet {
				t.Errorf("InQuietHours(%v) = %v, want %v", tt.t, got, tt.quiet)
			}
			if got := c.NextSendTime(tt.t); !got.Equal(tt.next) {
				t.Errorf("NextSendTime(%v) = %v, want %v", tt.t, got, tt.next)
			}
		})
	}
}

func TestColourCadenceAndEscalation(t *testing.T) {
	c := Default()
	for colour, want := range map[string]int{"red": 1, "yellow": 2, "blue": 3, "none": 1, "": 1} {
		if got := c.OverdueEveryDays(colour); got != want {
			t.Errorf("default OverdueEveryDays(%q) = %d, want %d", colour, got, want)
		}
	}
	if !c.EscalatesToCity("red") || c.EscalatesToCity("yellow") || c.EscalatesToCity("blue") {
		t.Error("by default only red should escalate to the city")
	}

	no, yes := false, true
	c.Supervision.Colours["red"] = Colour{Name: "红色", OverdueEveryDays: 5, EscalateToCity: &no}
	c.Supervision.Colours["blue"] = Colour{Name: "蓝色", EscalateToCity: &yes}
	c.Reminders.OverdueEveryDays["yellow"] = 4
	if got := c.OverdueEveryDays("red"); got != 5 {
		t.Errorf("colour override: OverdueEveryDays(red) = %d, want 5", got)
	}
	if got := c.OverdueEveryDays("yellow"); got != 4 {
		t.Errorf("inherited: OverdueEveryDays(yellow) = %d, want 4", got)
	}
	if c.EscalatesToCity("red") || !c.EscalatesToCity("blue") {
		t.Error("escalate_to_city should override reminders.escalate_city_colours")
	}

	file := writeFile(t, "c.yaml", "supervision:\n  colours:\n    yellow: {overdue_every_days: 6, escalate_to_city: true}\n")
	c, err := Load(env(map[string]string{EnvConfigFile: file}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OverdueEveryDays("yellow") != 6 || !c.EscalatesToCity("yellow") || c.Supervision.Colours["yellow"].Name != "黄色" {
		t.Errorf("yellow from file = %+v, want cadence 6, escalating, name kept", c.Supervision.Colours["yellow"])
	}
}

func TestLogLevel(t *testing.T) {
	for name, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		c := Default()
		c.Log.Level = name
		if got := c.SlogLevel(); got != want {
			t.Errorf("SlogLevel(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestAPIBaseTrailingSlashTrimmed(t *testing.T) {
	c, err := Load(env(map[string]string{"HAZARDBOT_WECOM_API_BASE": "http://127.0.0.1:9999/"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WeCom.APIBase != "http://127.0.0.1:9999" {
		t.Errorf("APIBase = %q, want the trailing slash trimmed so paths can be appended", c.WeCom.APIBase)
	}
}

func TestCalendarFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "2027.yaml")
	if err := os.WriteFile(path, []byte("years:\n  - year: 2027\n    source: test\n    holidays:\n      - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"HAZARDBOT_CALENDAR_FILE": path}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Workdays().IsWorkday(calendar.Day{Year: 2027, Month: 10, Day: 4}) {
		t.Error("2027-10-04 from calendar.file is a working day")
	}
	if !c.Workdays().Covers(2024) {
		t.Error("the built-in years are gone")
	}
	_, err = Load(env(map[string]string{"HAZARDBOT_CALENDAR_FILE": filepath.Join(t.TempDir(), "none.yaml")}))
	if err == nil || !strings.Contains(err.Error(), "HAZARDBOT_CALENDAR_FILE") {
		t.Errorf("a missing calendar file: %v, want an error naming HAZARDBOT_CALENDAR_FILE", err)
	}
}

// Named admin tokens load from the YAML file and from a file of name:token lines; admin_token
// stays the token named admin_token.
func TestNamedAdminTokens(t *testing.T) {
	file := writeFile(t, "c.yaml", "admin_token: "+goodAdmin+"\nadmin_tokens:\n  - {name: 市应急局对接, token: city-office-token-0001}\n")
	c, err := Load(env(map[string]string{EnvConfigFile: file}))
	if err != nil {
		t.Fatal(err)
	}
	want := []AdminToken{{Name: "admin_token", Token: goodAdmin}, {Name: "市应急局对接", Token: "city-office-token-0001"}}
	if got := c.APITokens(); !reflect.DeepEqual(got, want) || !c.AdminEnabled() {
		t.Errorf("APITokens = %v, want %v", got, want)
	}
	lines := writeFile(t, "tokens", "市应急局对接:city-office-token-0001\n县局:county-desk-token-0002\n")
	c, err = Load(env(map[string]string{"HAZARDBOT_ADMIN_TOKENS_FILE": lines}))
	if err != nil {
		t.Fatal(err)
	}
	want = []AdminToken{{Name: "市应急局对接", Token: "city-office-token-0001"}, {Name: "县局", Token: "county-desk-token-0002"}}
	if got := c.APITokens(); !reflect.DeepEqual(got, want) || !c.AdminEnabled() {
		t.Errorf("APITokens from the file = %v, want %v", got, want)
	}
	if Default().AdminEnabled() {
		t.Error("AdminEnabled with no token")
	}
}
