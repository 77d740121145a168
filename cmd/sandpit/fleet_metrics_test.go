package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
)

// scrapeMetrics reads the metrics at url, each sample by its name and
// labels as written ("name" or `name{label="v"}`).
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, data)
	}
	samples := make(map[string]float64)
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("%s: line %q: %v", url, line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// queueGauges are some of the queue's state, which only the one API that
// exports it, and only with Redis, exports.
var queueGauges = []string{"sandpit_queue_depth", "sandpit_queue_pending", "sandpit_batch_queue_depth",
	"sandpit_sessions_open", "sandpit_pages_live", "sandpit_batches_open", "sandpit_workers"}

// Two `sandpit api` processes on one Redis, as a fleet's API pods: each
// 429 is counted by its reason where it was answered, so that their sum
// is right; the queue's state is exported by one of them only; and when
// Redis goes, both say so (sandpit_redis_up 0) and make up no value.
func TestFleetMetrics(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Kill() })
	rdb := testenv.Client(t, rs.URL())
	keys := []string{"fleet-rate-0123456789", "fleet-inflight-0123456789", "fleet-quota-0123456789",
		"fleet-full-0123456789", "fleet-session-0123456789", "fleet-pages-0123456789"}
	var apis, metrics []string
	for range 2 {
		addr, maddr := freeAddr(t), freeAddr(t)
		p := start(t, "api", "--addr", addr, "--metrics-addr", maddr, "--redis-url", rs.URL(),
			"--api-keys", strings.Join(keys, ","), "--rate-limit", "0.01", "--rate-burst", "3",
			"--max-concurrent-per-key", "1", "--max-queued-per-key", "1", "--max-queue", "3",
			"--max-sessions-per-key", "1", "--max-pages-per-key", "1")
		waitHealthy(t, "http://"+addr, p)
		apis, metrics = append(apis, "http://"+addr), append(metrics, "http://"+maddr+"/metrics")
	}
	a, b := apis[0], apis[1]
	call := func(ctx context.Context, method, url, key, body string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return 0
			}
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: 429 without Retry-After", method, url)
		}
		return resp.StatusCode
	}
	want := func(what string, got, status int) {
		t.Helper()
		if got != status {
			t.Fatalf("%s = %d, want %d", what, got, status)
		}
	}
	bg := context.Background()
	inFlight := func(key string) int64 {
		return rdb.ZCard(bg, "{sandpit}:inflight:"+sandpit.KeyID(key)).Val()
	}
	const none = "/v1/jobs/00000000000000000000000000000000"

	// rate: 3 calls, on both processes, then a 4th.
	for _, base := range []string{a, b, a} {
		want("a call within the rate", call(bg, "GET", base+none, keys[0], ""), 404)
	}
	want("a call past the rate", call(bg, "GET", b+none, keys[0], ""), 429)

	// in_flight: a run waits on a (no worker runs it); a call on b.
	runCtx, stopRun := context.WithCancel(bg)
	ran := make(chan int, 1)
	go func() { ran <- call(runCtx, "POST", a+"/v1/run", keys[1], `{"code": "x"}`) }()
	testenv.Eventually(t, 10*time.Second, func() bool { return inFlight(keys[1]) == 1 }, "the waiting run is not in flight")
	want("a call beside a waiting run", call(bg, "GET", b+none, keys[1], ""), 429)
	stopRun()
	<-ran

	// quota: a second job queued of a key allowed one.
	want("a job", call(bg, "POST", a+"/v1/jobs", keys[2], `{"code": "x"}`), 202)
	want("a job past the key's queued jobs", call(bg, "POST", b+"/v1/jobs", keys[2], `{"code": "x"}`), 429)

	// queue_full: the queue holds 3 jobs, its most.
	want("the queue's 3rd job", call(bg, "POST", a+"/v1/jobs", keys[3], `{"code": "x"}`), 202)
	want("a job past the queue's depth", call(bg, "POST", b+"/v1/jobs", keys[4], `{"code": "x"}`), 429)

	// sessions: one opening (no worker opens it; its caller gives up
	// waiting), then another.
	openCtx, stopOpen := context.WithTimeout(bg, 2*time.Second)
	call(openCtx, "POST", a+"/v1/sessions", keys[4], `{}`)
	stopOpen()
	testenv.Eventually(t, 10*time.Second, func() bool { return inFlight(keys[4]) == 0 }, "the abandoned session request is still in flight")
	want("a session past the key's most", call(bg, "POST", b+"/v1/sessions", keys[4], `{}`), 429)

	// pages: one live page, then another.
	want("a page", call(bg, "POST", a+"/v1/pages", keys[5], `{"code": "x"}`), 201)
	want("a page past the key's most", call(bg, "POST", b+"/v1/pages", keys[5], `{"code": "x"}`), 429)

	// invalid_key: 10 invalid keys from one address, then an 11th.
	for range 10 {
		want("an invalid key", call(bg, "GET", a+none, "not-a-key-0123456789", ""), 401)
	}
	want("an invalid key past the address's limit", call(bg, "GET", a+none, "not-a-key-0123456789", ""), 429)

	scraped := []map[string]float64{scrapeMetrics(t, metrics[0]), scrapeMetrics(t, metrics[1])}
	for _, reason := range []string{"rate", "in_flight", "quota", "queue_full", "sessions", "pages", "invalid_key"} {
		name := `sandpit_rejected_total{reason="` + reason + `"}`
		if n := scraped[0][name] + scraped[1][name]; n != 1 {
			t.Errorf("sum of %s = %v, want 1", name, n)
		}
	}
	exporters := 0
	for i, s := range scraped {
		if s["sandpit_redis_up"] != 1 {
			t.Errorf("API %d: sandpit_redis_up = %v, want 1", i+1, s["sandpit_redis_up"])
		}
		info := false
		for k, v := range s {
			info = info || strings.HasPrefix(k, "sandpit_build_info{") && strings.Contains(k, `pyodide="`+page.PyodideVersion()+`"`) && v == 1
		}
		if !info {
			t.Errorf("API %d: no sandpit_build_info with its Pyodide", i+1)
		}
		depth, exports := s["sandpit_queue_depth"]
		if !exports {
			continue
		}
		exporters++
		// The run's job, two jobs, the session's opening task; one page.
		if depth != 4 || s["sandpit_pages_live"] != 1 || s["sandpit_sessions_open"] != 0 || s["sandpit_batches_open"] != 0 {
			t.Errorf("API %d: depth %v, pages %v, sessions %v, batches %v; want 4, 1, 0, 0", i+1, depth,
				s["sandpit_pages_live"], s["sandpit_sessions_open"], s["sandpit_batches_open"])
		}
	}
	if exporters != 1 {
		t.Errorf("%d API processes export the queue's state, want 1", exporters)
	}

	rs.Kill()
	for i, url := range metrics {
		s := scrapeMetrics(t, url)
		if v, ok := s["sandpit_redis_up"]; !ok || v != 0 {
			t.Errorf("API %d without Redis: sandpit_redis_up = %v (present %v), want 0", i+1, v, ok)
		}
		for name, v := range s {
			if slices.Contains(queueGauges, name) {
				t.Errorf("API %d without Redis: %s = %v is exported", i+1, name, v)
			}
			if strings.HasPrefix(name, "sandpit_") && v < 0 {
				t.Errorf("API %d without Redis: %s = %v", i+1, name, v)
			}
		}
	}
}
