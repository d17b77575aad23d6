package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvConfigFile names the YAML file Load reads, if set.
const EnvConfigFile = "HAZARDBOT_CONFIG"

// envQuietHours sets both reminders.quiet_start and reminders.quiet_end as "21:00-08:00".
const envQuietHours = "HAZARDBOT_QUIET_HOURS"

// Load builds the configuration once at start-up: defaults, then the YAML file named by
// HAZARDBOT_CONFIG, then HAZARDBOT_* environment variables (env wins over the file), then
// Validate. getenv is os.Getenv in main and a map lookup in tests. An empty variable counts as
// unset. Errors name the variable or YAML key to fix and never contain a secret.
func Load(getenv func(string) string) (*Config, error) {
	c := Default()
	c.src = map[string]string{}
	if path := getenv(EnvConfigFile); path != "" {
		if err := c.loadFile(path); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	if err := c.loadEnv(getenv); err != nil {
		return nil, err
	}
	c.WeCom.APIBase = strings.TrimRight(c.WeCom.APIBase, "/")
	c.WeChat.APIBase = strings.TrimRight(c.WeChat.APIBase, "/")
	c.WeCom.OAuthBase = strings.TrimRight(c.WeCom.OAuthBase, "/")
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// loadFile merges the YAML file at path over c. Keys the file does not mention keep their
// current values, also inside reminders.overdue_every_days and supervision.colours.
func (c *Config) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", EnvConfigFile, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if root.Kind == 0 {
		return nil // empty, or only comments
	}
	var set []string
	if err := checkKeys(&root, reflect.TypeFor[Config](), "", func(p string) { set = append(set, p) }); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, p := range set {
		c.src[p] = p
	}
	return nil
}

// UnmarshalYAML merges each colour into the existing entry, so a file that only renames red
// keeps red's other defaults; yaml.v3 on its own would replace the whole entry.
func (m *Colours) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: supervision.colours must map red, yellow and blue to their settings", n.Line)
	}
	if *m == nil {
		*m = Colours{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		col := (*m)[k]
		if err := n.Content[i+1].Decode(&col); err != nil {
			return err
		}
		(*m)[k] = col
	}
	return nil
}

// loadEnv applies HAZARDBOT_* variables over c and reports every malformed one at once.
func (c *Config) loadEnv(getenv func(string) string) error {
	var problems []string
	for _, o := range c.options() {
		if o.env == "" {
			continue
		}
		val, name := getenv(o.env), o.env
		if file := getenv(o.env + "_FILE"); o.secret && file != "" {
			if val != "" {
				problems = append(problems, fmt.Sprintf("%s and %s_FILE are both set; set only one", o.env, o.env))
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s_FILE: %v", o.env, err))
				continue
			}
			name = o.env + "_FILE"
			if val = strings.TrimRight(string(b), "\r\n"); val == "" {
				problems = append(problems, fmt.Sprintf("%s names an empty file", name))
				continue
			}
		}
		if val == "" {
			continue
		}
		if err := setFromString(o.value, val); err != nil {
			problems = append(problems, name+" "+err.Error())
			continue
		}
		c.src[o.path] = name
	}
	if v := getenv(envQuietHours); v != "" {
		start, end, ok := strings.Cut(v, "-")
		switch {
		case v == "none" || v == "off":
			start, end = "00:00", "00:00"
		case !ok:
			problems = append(problems, fmt.Sprintf("%s must look like 21:00-08:00 (or none), got %q", envQuietHours, v))
		}
		c.Reminders.QuietStart, c.Reminders.QuietEnd = strings.TrimSpace(start), strings.TrimSpace(end)
		c.src["reminders.quiet_start"], c.src["reminders.quiet_end"] = envQuietHours, envQuietHours
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

// setFromString parses an environment value into the field's type. The error completes a
// sentence that starts with the variable's name and may quote the value: secrets are strings,
// which never fail to parse.
func setFromString(v reflect.Value, s string) error {
	switch v.Interface().(type) {
	case string:
		v.SetString(s)
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("must be a duration such as 30m or 24h, got %q", s)
		}
		v.SetInt(int64(d))
	case int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("must be a whole number, got %q", s)
		}
		v.SetInt(int64(n))
	case bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", s)
		}
		v.SetBool(b)
	case []int:
		out := []int{}
		for _, part := range list(s) {
			n, err := strconv.Atoi(part)
			if err != nil {
				return fmt.Errorf("must be a comma-separated list of whole numbers such as 3,1 (or none), got %q", s)
			}
			out = append(out, n)
		}
		v.Set(reflect.ValueOf(out))
	case []string:
		v.Set(reflect.ValueOf(list(s)))
	case AdminTokens:
		// A secret: the message never quotes the value.
		out := AdminTokens{}
		for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == '\n' }) {
			name, token, ok := strings.Cut(strings.TrimSpace(part), ":")
			if !ok {
				return fmt.Errorf("must be name:token pairs separated by commas, such as 市应急局对接:<token> (an entry has no colon)")
			}
			out = append(out, AdminToken{Name: strings.TrimSpace(name), Token: strings.TrimSpace(token)})
		}
		v.Set(reflect.ValueOf(out))
	case map[string]int:
		m := map[string]int{}
		for k, n := range v.Interface().(map[string]int) {
			m[k] = n
		}
		for _, part := range list(s) {
			k, n, ok := strings.Cut(part, ":")
			i, err := strconv.Atoi(strings.TrimSpace(n))
			if !ok || err != nil {
				return fmt.Errorf("must look like red:1,yellow:2,blue:3,none:1, got %q", s)
			}
			m[strings.TrimSpace(k)] = i
		}
		v.Set(reflect.ValueOf(m))
	default:
		// Only reachable if a field of a new type is added without teaching this function.
		return fmt.Errorf("cannot be set from the environment (type %s); use the YAML file", v.Type())
	}
	return nil
}

// list splits a comma-separated value, dropping blanks; "none" is the empty list, since an empty
// variable counts as unset.
func list(s string) []string {
	out := []string{}
	if strings.TrimSpace(s) == "none" {
		return out
	}
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
