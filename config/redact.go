package config

import (
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Set and Unset are what Redacted and LogValue show in place of a secret.
const (
	Set   = "set"
	Unset = "unset"
)

// redacted returns a shallow copy of c whose secrets are replaced by Set or Unset. The copy
// shares maps and slices with c but only its string fields are changed.
func (c Config) redacted() *Config {
	cp := c
	for _, o := range cp.options() {
		if !o.secret {
			continue
		}
		if o.path == "db.dsn" {
			cp.DB.DSN = cp.DB.shownDSN() // a SQLite DSN is a file path, worth seeing
			continue
		}
		if o.path == "admin_tokens" {
			cp.AdminTokens = cp.AdminTokens.redacted() // the names are worth seeing
			continue
		}
		o.value.SetString(mask(o.value.String()))
	}
	return &cp
}

// Redacted returns the effective configuration as YAML, with every secret shown as "set" or
// "unset", for `hazardbot config` and support requests.
func (c Config) Redacted() string {
	b, err := yaml.Marshal(c.redacted())
	if err != nil {
		// Config holds only plain types, so this cannot happen; never fall back to %v of c.
		return "config: " + err.Error()
	}
	return string(b)
}

// LogValue lets `slog.Info("config", "config", cfg)` log the effective configuration as nested
// groups without any secret. Colours are shown with their effective cadence and escalation.
// It has a value receiver so that logging a Config (not only a *Config) is safe too.
func (c Config) LogValue() slog.Value {
	r := c.redacted()
	attrs := structAttrs(reflect.ValueOf(r).Elem())
	for i, a := range attrs {
		if a.Key == "supervision" {
			attrs[i] = slog.Group("supervision", slog.Attr{Key: "colours", Value: c.colourValue()})
		}
	}
	return slog.GroupValue(attrs...)
}

// String returns Redacted, so printing a Config with fmt never shows a secret.
func (c Config) String() string { return c.Redacted() }

// GoString keeps %#v from printing secrets.
func (c Config) GoString() string { return c.Redacted() }

// String shows the WeCom settings with secrets as set/unset, so fmt never prints a secret.
func (w WeCom) String() string {
	return fmt.Sprintf("{corp_id:%s agent_id:%d secret:%s token:%s aes_key:%s api_base:%s oauth_base:%s}",
		w.CorpID, w.AgentID, mask(w.Secret), mask(w.Token), mask(w.AESKey), w.APIBase, w.OAuthBase)
}

// GoString keeps %#v from printing secrets.
func (w WeCom) GoString() string { return w.String() }

// LogValue keeps slog (including its JSON handler) from printing secrets.
func (w WeCom) LogValue() slog.Value {
	return slog.GroupValue(slog.String("corp_id", w.CorpID), slog.Int("agent_id", w.AgentID),
		slog.String("secret", mask(w.Secret)), slog.String("token", mask(w.Token)),
		slog.String("aes_key", mask(w.AESKey)), slog.String("api_base", w.APIBase), slog.String("oauth_base", w.OAuthBase))
}

// String shows the database settings; a MySQL DSN carries a password and shows as set/unset.
func (d DB) String() string {
	return fmt.Sprintf("{driver:%s dsn:%s max_open_conns:%d group_commit:%t}", d.Driver, d.shownDSN(), d.MaxOpenConns, d.GroupCommit)
}

// GoString keeps %#v from printing the DSN's password.
func (d DB) GoString() string { return d.String() }

// LogValue keeps slog from printing the DSN's password.
func (d DB) LogValue() slog.Value {
	return slog.GroupValue(slog.String("driver", d.Driver), slog.String("dsn", d.shownDSN()),
		slog.Int("max_open_conns", d.MaxOpenConns), slog.Bool("group_commit", d.GroupCommit))
}

func (d DB) shownDSN() string {
	if d.Driver == "sqlite" {
		return d.DSN
	}
	return mask(d.DSN)
}

func mask(s string) string {
	if s == "" {
		return Unset
	}
	return Set
}

func (c *Config) colourValue() slog.Value {
	var attrs []slog.Attr
	for _, k := range colourCodes {
		col, ok := c.Supervision.Colours[k]
		if !ok {
			continue
		}
		attrs = append(attrs, slog.Group(k,
			slog.String("name", col.Name),
			slog.String("meaning", col.Meaning),
			slog.Int("overdue_every_days", c.OverdueEveryDays(k)),
			slog.Bool("escalate_to_city", c.EscalatesToCity(k)),
		))
	}
	return slog.GroupValue(attrs...)
}

func structAttrs(v reflect.Value) []slog.Attr {
	var attrs []slog.Attr
	t := v.Type()
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		f := v.Field(i)
		switch x := f.Interface().(type) {
		case time.Duration:
			attrs = append(attrs, slog.String(name, x.String()))
		case string:
			attrs = append(attrs, slog.String(name, x))
		case int:
			attrs = append(attrs, slog.Int(name, x))
		case bool:
			attrs = append(attrs, slog.Bool(name, x))
		case []int, []string, map[string]int:
			attrs = append(attrs, slog.Any(name, x))
		case AdminTokens:
			attrs = append(attrs, slog.Any(name, x.names()))
		default:
			if f.Kind() == reflect.Struct {
				attrs = append(attrs, slog.Attr{Key: name, Value: slog.GroupValue(structAttrs(f)...)})
			}
			// Other kinds (Colours) are rendered by the caller.
		}
	}
	return slices.Clip(attrs)
}

// String shows the WeChat settings with secrets as set/unset.
func (w WeChat) String() string {
	return fmt.Sprintf("{app_id:%s app_secret:%s token:%s aes_key:%s api_base:%s template_id:%s}",
		w.AppID, mask(w.AppSecret), mask(w.Token), mask(w.AESKey), w.APIBase, w.TemplateID)
}

// GoString keeps %#v from printing secrets.
func (w WeChat) GoString() string { return w.String() }

// LogValue keeps slog from printing secrets.
func (w WeChat) LogValue() slog.Value {
	return slog.GroupValue(slog.String("app_id", w.AppID), slog.String("app_secret", mask(w.AppSecret)),
		slog.String("token", mask(w.Token)), slog.String("aes_key", mask(w.AESKey)),
		slog.String("api_base", w.APIBase), slog.String("template_id", w.TemplateID))
}

// redacted returns a copy with every token shown as set or unset.
func (ts AdminTokens) redacted() AdminTokens {
	out := make(AdminTokens, len(ts))
	for i, t := range ts {
		out[i] = AdminToken{Name: t.Name, Token: mask(t.Token)}
	}
	return out
}

func (ts AdminTokens) names() []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// String shows the tokens' names only.
func (ts AdminTokens) String() string { return "[" + strings.Join(ts.names(), " ") + "]" }

// GoString keeps %#v from printing the tokens.
func (ts AdminTokens) GoString() string { return ts.String() }

// LogValue keeps slog from printing the tokens.
func (ts AdminTokens) LogValue() slog.Value { return slog.AnyValue(ts.names()) }

// String shows the token's name only.
func (t AdminToken) String() string { return "{name:" + t.Name + " token:" + mask(t.Token) + "}" }

// GoString keeps %#v from printing the token.
func (t AdminToken) GoString() string { return t.String() }

// LogValue keeps slog from printing the token.
func (t AdminToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", t.Name), slog.String("token", mask(t.Token)))
}
