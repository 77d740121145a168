package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// A client that sends invalid keys is slowed to the failure rate of its
// address: past its burst, every request of that address gets 429 with
// Retry-After, a valid key included, so that guessing gains nothing.
// Other addresses, and requests with no key, are not counted.
func TestInvalidKeysAreRateLimitedPerAddress(t *testing.T) {
	const key = "key-0123456789abcdef"
	e := newAuthEnv(t, Access{Keys: []string{key}})
	from := func(addr, token string) (int, string, string) {
		t.Helper()
		headers := []string{"X-Forwarded-For", addr}
		if token != "" {
			headers = append(headers, "Authorization", "Bearer "+token)
		}
		status, h, m := e.do(t, "POST", "/v1/jobs", "", `{"code": "x"}`, headers...)
		return status, errCode(m), h.Get("Retry-After")
	}
	for i := range 10 {
		if status, code, _ := from("203.0.113.7", "guess-"+strconv.Itoa(i)); status != 401 {
			t.Fatalf("invalid key %d of the burst = %d %s, want 401", i+1, status, code)
		}
	}
	status, code, after := from("203.0.113.7", "guess-10")
	if status != 429 || code != sandpit.ERATELIMITED || after == "" {
		t.Fatalf("invalid key past the burst = %d %s, Retry-After %q; want 429 rate_limited with Retry-After", status, code, after)
	}
	if status, code, _ := from("203.0.113.7", key); status != 429 {
		t.Fatalf("a valid key from the blocked address = %d %s, want 429: its key is not looked at", status, code)
	}
	if status, code, _ := from("203.0.113.8", key); status != 202 {
		t.Fatalf("a valid key from another address = %d %s, want 202", status, code)
	}
	for range 20 {
		if status, _, _ := from("203.0.113.9", ""); status != 401 {
			t.Fatalf("no key = %d, want 401", status)
		}
	}
	if status, code, _ := from("203.0.113.9", key); status != 202 {
		t.Fatalf("a valid key after requests without one = %d %s, want 202: those are not guesses", status, code)
	}
}

// The limit lifts as the address's failures age, and an IPv6 client is
// counted by its /64.
func TestInvalidKeyLimitLiftsAndCountsIPv6Networks(t *testing.T) {
	const key = "key-0123456789abcdef"
	e := newAuthEnv(t, Access{Keys: []string{key}, FailureRate: 5, FailureBurst: 2})
	from := func(addr, token string) int {
		t.Helper()
		status, _, _ := e.do(t, "POST", "/v1/jobs", "", `{"code": "x"}`, "X-Forwarded-For", addr, "Authorization", "Bearer "+token)
		return status
	}
	from("2001:db8:1:2::1", "guess")
	from("2001:db8:1:2::2", "guess")
	if status := from("2001:db8:1:2:ffff::3", key); status != 429 {
		t.Fatalf("a third address of the same /64 after two failures = %d, want 429", status)
	}
	if status := from("2001:db8:1:3::1", key); status != 202 {
		t.Fatalf("another /64 = %d, want 202", status)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { return from("2001:db8:1:2::1", key) == 202 },
		"the /64 is still refused after its failures aged")
}

// A client on the internet cannot pick the address it is counted by: the
// X-Forwarded-For of a peer that is not a local proxy is ignored.
func TestInvalidKeyLimitIgnoresForwardedForFromTheInternet(t *testing.T) {
	h := New(Config{Jobs: newFakeService(), Access: Access{Keys: []string{"key-0123456789abcdef"}}, Logger: quiet})
	for i := range 12 {
		req := httptest.NewRequest("POST", "/v1/jobs", nil)
		req.RemoteAddr = "198.51.100.1:40000"
		req.Header.Set("X-Forwarded-For", "192.0.2."+strconv.Itoa(i))
		req.Header.Set("Authorization", "Bearer guess")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		want := 401
		if i >= 10 {
			want = 429
		}
		if rec.Code != want {
			t.Fatalf("guess %d with a forged X-Forwarded-For = %d, want %d", i+1, rec.Code, want)
		}
	}
}

// /metrics is for key holders on a server with keys, and open on a
// server without (which answers its own machine only).
func TestMetricsNeedAKey(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, `{"metric": 1}`) })
	keyed := &env{srv: httptest.NewServer(New(Config{Jobs: newFakeService(), Metrics: metrics, Logger: quiet,
		Access: Access{Keys: []string{"key-0123456789abcdef"}}}))}
	t.Cleanup(keyed.srv.Close)
	keyless := &env{srv: httptest.NewServer(New(Config{Jobs: newFakeService(), Metrics: metrics, Logger: quiet}))}
	t.Cleanup(keyless.srv.Close)
	for _, tc := range []struct {
		name   string
		e      *env
		key    string
		status int
	}{
		{"keyed, no key", keyed, "", 401},
		{"keyed, a wrong key", keyed, "nope", 401},
		{"keyed, a key", keyed, "key-0123456789abcdef", 200},
		{"keyless", keyless, "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, m := tc.e.doAuth(t, "GET", "/metrics", tc.key); status != tc.status {
				t.Fatalf("GET /metrics = %d %v, want %d", status, m, tc.status)
			}
		})
	}
}
