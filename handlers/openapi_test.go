package handlers

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"hazardbot/models/modelstest"
)

// ginParam turns gin's :param into OpenAPI's {param}.
var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPIMatchesRoutes keeps openapi.json true: every /api/v1 route
// router.go registers is documented, and every documented operation is
// routed. The document is read through the API, as a client reads it.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, modelstest.Open(t, "sqlite"))
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	e.admin("GET", "/api/v1/openapi.json", nil, 200, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, r := range New(Deps{Store: e.s}).engine().Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			routed[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}
	if len(routed) < 19 {
		t.Fatalf("only %d /api/v1 routes found: %v", len(routed), routed)
	}
	var missing, stale []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json: %v", missing)
	}
	if len(stale) > 0 {
		t.Errorf("openapi.json documents routes that do not exist: %v", stale)
	}
}
