// Package testenv is what sandpit's tests share: a private redis-server
// started once per test binary, Redis clients on it, and Eventually, the one
// way a test waits for a condition it cannot be signalled about.
package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit/internal/redisserver"
)

// RunWithRedis starts a private redis-server, sets *url to its URL, runs
// the tests and stops the server. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunWithRedis(m, &redisURL)) }
//
// Without redis-server the tests fail loudly rather than skip.
func RunWithRedis(m *testing.M, url *string) int {
	srv, err := redisserver.Start(context.Background(), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "these tests need redis-server:", err)
		return 1
	}
	defer srv.Close()
	*url = srv.URL()
	return m.Run()
}

// Client returns a Redis client on url, closed when the test ends.
func Client(t testing.TB, url string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("redis url %q: %v", url, err)
	}
	rdb := redis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Eventually waits until cond holds, checking it every 10 ms, and fails the
// test with the formatted message when it still does not after timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	if !WaitFor(timeout, cond) {
		t.Fatalf("after %v: "+format, append([]any{timeout}, args...)...)
	}
}

// WaitFor waits until cond holds or timeout passes, and reports whether it
// held; for callers that are not tests, such as a TestMain.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
