package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/service"
)

// newPagesEnv serves the API with pages, on a real Redis, and the real
// browser side.
func newPagesEnv(t *testing.T, opts queue.Options, access Access, public string) *env {
	t.Helper()
	o, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(o)
	opts.Prefix = fmt.Sprintf("pages-%d", time.Now().UnixNano())
	q := queue.New(rdb, opts)
	web, err := page.NewWeb(page.WebConfig{})
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(q, service.Config{Logger: quiet})
	srv := httptest.NewServer(New(Config{Jobs: svc, Pages: svc, Web: web, PublicURL: public, Access: access, Logger: quiet}))
	t.Cleanup(func() { srv.Close(); q.Close(); rdb.Close() })
	return &env{srv: srv, q: q}
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func TestCreateAndServePage(t *testing.T) {
	e := newPagesEnv(t, queue.Options{PageTTL: 2 * time.Hour}, Access{}, "")
	code := `print("</script><script>alert(1)</script>")`
	before := time.Now()
	status, h, m := e.do(t, "POST", "/v1/pages", "application/json",
		fmt.Sprintf(`{"code": %q, "timeout_ms": 500, "packages": ["numpy"]}`, code))
	if status != 201 {
		t.Fatalf("POST /v1/pages = %d %v", status, m)
	}
	id, _ := m["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("id %q is not 32 hex digits", id)
	}
	if m["url"] != e.srv.URL+"/p/"+id || h.Get("Location") != "/p/"+id {
		t.Errorf("url %v, Location %q; want %s/p/%s", m["url"], h.Get("Location"), e.srv.URL, id)
	}
	expires, err := time.Parse(time.RFC3339, fmt.Sprint(m["expires_at"]))
	if d := expires.Sub(before); err != nil || d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
		t.Errorf("expires_at %v (%v), want 2h from now", m["expires_at"], err)
	}

	status, h, body := get(t, e.srv.URL+"/p/"+id)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /p/{id} = %d %s", status, h.Get("Content-Type"))
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"sandbox allow-scripts", "frame-ancestors *", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the page's CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(body, "</script><script>alert") || !strings.Contains(body, `\u003c/script\u003e`) {
		t.Errorf("the code is not escaped in the page:\n%s", body)
	}
	if !strings.Contains(body, `"packages":["numpy"]`) || !strings.Contains(body, `"timeout_ms":500`) {
		t.Errorf("the page does not carry the spec's fields:\n%s", body)
	}

	for _, path := range []string{"/p/0123456789abcdef0123456789abcdef", "/p/nope"} {
		if status, _, body := get(t, e.srv.URL+path); status != 404 || !strings.Contains(body, "expired") {
			t.Errorf("GET %s = %d %q, want 404 and a page saying so", path, status, body)
		}
	}
	if status, _, m := e.do(t, "POST", "/v1/pages", "application/json", `{"code": "1", "timeout_ms": -1}`); status != 400 ||
		!strings.Contains(fmt.Sprint(m), "timeout_ms") {
		t.Errorf("invalid spec = %d %v, want 400 naming timeout_ms", status, m)
	}
}

func TestPageURLUsesPublicURL(t *testing.T) {
	e := newPagesEnv(t, queue.Options{}, Access{}, "https://sandpit.example.com/")
	_, _, m := e.do(t, "POST", "/v1/pages", "application/json", `{"code": "1"}`)
	if url := fmt.Sprint(m["url"]); !strings.HasPrefix(url, "https://sandpit.example.com/p/") {
		t.Fatalf("url = %s, want it under the public URL", url)
	}
}

func TestLivePagesPerKey(t *testing.T) {
	e := newPagesEnv(t, queue.Options{MaxPagesPerOwner: 2, PageTTL: time.Hour}, Access{Keys: []string{"a", "b"}}, "")
	create := func(key string) (int, http.Header, map[string]any) {
		return e.do(t, "POST", "/v1/pages", "application/json", `{"code": "1"}`, "Authorization", "Bearer "+key)
	}
	if status, _, _ := e.do(t, "POST", "/v1/pages", "application/json", `{"code": "1"}`); status != 401 {
		t.Fatalf("without a key = %d, want 401", status)
	}
	var id string
	for i := range 2 {
		status, _, m := create("a")
		if status != 201 {
			t.Fatalf("page %d of key a = %d %v", i+1, status, m)
		}
		id, _ = m["id"].(string)
	}
	status, h, m := create("a")
	if status != 429 || errCode(m) != sandpit.ERATELIMITED || h.Get("Retry-After") == "" {
		t.Fatalf("a third page of key a = %d %v Retry-After %q; want 429 rate_limited", status, m, h.Get("Retry-After"))
	}
	if ra, _ := strconv.Atoi(h.Get("Retry-After")); ra < 3500 || ra > 3600 {
		t.Errorf("Retry-After %d, want about an hour (when the oldest page expires)", ra)
	}
	if status, _, m := create("b"); status != 201 {
		t.Fatalf("key b is limited by key a's pages: %d %v", status, m)
	}
	// Viewing needs no key: the unguessable URL is the capability.
	if status, _, _ := get(t, e.srv.URL+"/p/"+id); status != 200 {
		t.Errorf("GET /p/{id} without a key = %d, want 200", status)
	}
}

func TestPagesRoutesNeedConfig(t *testing.T) {
	e := newEnv(t, queue.Options{}, false)
	for _, path := range []string{"/v1/pages"} {
		if status, _, m := e.do(t, "POST", path, "application/json", `{"code": "1"}`); status != 404 {
			t.Errorf("POST %s without Pages = %d %v, want 404", path, status, m)
		}
	}
	if status, _, _ := get(t, e.srv.URL+"/"); status != 404 {
		t.Errorf("GET / without Web = %d, want 404", status)
	}
}
