package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// option is one settable leaf of Config, found by walking the struct, so that the environment,
// redaction, the docs test and the example test all follow the struct and cannot drift from it.
type option struct {
	path   string        // YAML path, e.g. "wecom.aes_key"
	env    string        // environment variable, "" when the option is YAML only
	secret bool          // may come from <env>_FILE; never shown
	value  reflect.Value // addressable field
}

// options returns the leaves of c in declaration order. Maps and slices are leaves.
func (c *Config) options() []option {
	var out []option
	walkStruct(reflect.ValueOf(c).Elem(), "", &out)
	return out
}

func walkStruct(v reflect.Value, prefix string, out *[]option) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
			walkStruct(fv, path, out)
			continue
		}
		env := "HAZARDBOT_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
		if tag, ok := f.Tag.Lookup("env"); ok {
			env = tag
			if tag == "-" {
				env = ""
			}
		}
		*out = append(*out, option{path: path, env: env, secret: f.Tag.Get("secret") == "true", value: fv})
	}
}

// yamlName returns the YAML key of an exported field, or "" when it has none.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// checkKeys walks a decoded YAML node against the Go type it will be decoded into, before the
// decode, and reports the first unknown or missing key with its path and line: yaml.v3's own
// KnownFields error names the Go type rather than the key a user typed. seen, if not nil, is
// called with the path of every key present, so Load knows which options the file set.
func checkKeys(n *yaml.Node, t reflect.Type, path string, seen func(string)) error {
	for n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return checkKeys(n.Alias, t, path, seen)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]():
		if n.Kind != yaml.MappingNode {
			return nil // a shape error the decoder reports with its line
		}
		fields := map[string]reflect.StructField{}
		for i := range t.NumField() {
			if name := yamlName(t.Field(i)); name != "" {
				fields[name] = t.Field(i)
			}
		}
		present := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				if err := checkKeys(val, t, path, seen); err != nil {
					return err
				}
				continue
			}
			f, ok := fields[k.Value]
			if !ok {
				if path == "" {
					return fmt.Errorf("line %d: unknown key %q", k.Line, k.Value)
				}
				return fmt.Errorf("line %d: unknown key %q in %s", k.Line, k.Value, path)
			}
			present[k.Value] = true
			p := join(path, k.Value)
			if seen != nil {
				seen(p)
			}
			if err := checkKeys(val, f.Type, p, seen); err != nil {
				return err
			}
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if name := yamlName(f); name != "" && f.Tag.Get("required") == "true" && !present[name] {
				return fmt.Errorf("line %d: %s needs key %q", n.Line, orTop(path), name)
			}
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			if seen != nil {
				seen(p)
			}
			if err := checkKeys(n.Content[i+1], t.Elem(), p, seen); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			if err := checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), seen); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}
