package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit/page"
)

// TestOpenAPIMatchesRoutes checks the OpenAPI document against the routes
// the server really has, both ways, and that every $ref resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	web, err := page.NewWeb(page.WebConfig{})
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeService()
	e := New(Config{Jobs: fake, Batches: fake, Sessions: fake, Pages: fake, Web: web,
		Metrics: http.NotFoundHandler(), MCP: http.NotFoundHandler(),
		Capacity: func(context.Context) (Capacity, error) { return Capacity{}, nil }})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/openapi.json", nil)
	req.Host = "127.0.0.1" // a server without keys answers its own machine
	e.ServeHTTP(rec, req)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
		t.Fatalf("GET /openapi.json = %d %.200s", rec.Code, rec.Body)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	param := regexp.MustCompile(`:(\w+)`)
	for _, r := range e.Routes() {
		if r.Method == "echo_route_any" {
			continue
		}
		// A wildcard route of the API names the rest of the path: a file's
		// path. Others serve static files, which are not the API.
		path := r.Path
		if strings.HasPrefix(path, "/v1/") {
			path = strings.Replace(path, "/*", "/{path}", 1)
		}
		if strings.HasSuffix(path, "*") {
			continue
		}
		served[r.Method+" "+param.ReplaceAllString(path, "{$1}")] = true
	}
	for route := range served {
		if !documented[route] {
			t.Errorf("route %s is not in the OpenAPI document", route)
		}
	}
	for route := range documented {
		if !served[route] {
			t.Errorf("the OpenAPI document has %s, which the server does not serve", route)
		}
	}
	var whole any
	json.Unmarshal(rec.Body.Bytes(), &whole)
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "$ref" {
					refs = append(refs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(whole)
	for _, ref := range slices.Compact(refs) {
		var node any = whole
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, _ := node.(map[string]any)
			node = m[part]
		}
		if node == nil {
			t.Errorf("$ref %s does not resolve", ref)
		}
	}
}
