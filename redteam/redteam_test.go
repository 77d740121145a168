// Package redteam is sandpit's red-team suite: hostile Python, each case
// named after the threat it covers, run through the real API against the
// real browser. Each case asserts the safe outcome; after each one a
// loopback canary (HTTP and UDP) must have recorded no contact, and the
// server must still be ready. SECURITY.md maps every threat to its cases.
package redteam

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/api"
	"github.com/sandpit-dev/sandpit/internal/canary"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/runner"
	"github.com/sandpit-dev/sandpit/service"
)

// server is one sandpit, API to browser, in this process.
type server struct {
	url    string
	runner *runner.Runner
	close  func()
}

var (
	redisURL string
	bird     *canary.Canary
	full     *server // every layer on
	bare     *server // no network namespace: request interception alone
)

func TestMain(m *testing.M) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "red-team suite needs redis-server:", err)
		os.Exit(1)
	}
	redisURL = rs.URL()
	if bird, err = canary.New(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if full, err = start("full", runner.Config{BrowserMemoryMB: 3072}); err == nil {
		bare, err = start("bare", runner.Config{NoNetns: true, PoolSize: 1})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "red-team suite needs Chromium:", err)
		os.Exit(1)
	}
	code := m.Run()
	full.close()
	bare.close()
	rs.Close()
	os.Exit(code)
}

// serverLog holds what both servers log, so that a failed case can show
// what the service did while it ran.
var serverLog testenv.Buffer

// showOnFailure logs, when t fails, what the servers logged from now on.
func showOnFailure(t *testing.T) {
	from := serverLog.Len()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the servers' log during the case:\n%s", serverLog.String()[from:])
		}
	})
}

// start runs an API, a queue worker and a runner configured by rc.
func start(prefix string, rc runner.Config) (*server, error) {
	log := slog.New(slog.NewTextHandler(&serverLog, nil)).With("server", prefix)
	limits := sandpit.Limits{MaxOutputBytes: 256 << 10, MaxFiles: 20, MaxFileBytes: 1 << 20, MaxSpecBytes: 1 << 20, DefaultTimeout: 5 * time.Second}
	rc.Assets, rc.Limits, rc.Logger = page.Handler(), limits, log
	if rc.PoolSize == 0 {
		rc.PoolSize = 2
	}
	r, err := runner.New(context.Background(), rc)
	if err != nil {
		return nil, err
	}
	o, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(o)
	q := queue.New(rdb, queue.Options{Prefix: prefix, Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Work(ctx, queue.HandlerFunc(func(ctx context.Context, t queue.Task) (sandpit.Result, error) {
			return r.Run(ctx, t.Spec)
		}), queue.WorkerOptions{Concurrency: rc.PoolSize, Ready: r.Ready, ReadyChanged: r.Changed(), MaxAttempts: 2})
		close(done)
	}()
	ready := func(ctx context.Context) error {
		if _, n, err := q.Capacity(ctx); err != nil || n == 0 {
			return fmt.Errorf("not ready")
		}
		return nil
	}
	svc := service.New(q, service.Config{Limits: limits, Logger: log})
	hs := httptest.NewServer(api.New(api.Config{Jobs: svc, Batches: svc, Limits: limits, Ready: ready, Logger: log}))
	return &server{url: hs.URL, runner: r, close: func() {
		hs.Close()
		cancel()
		<-done
		q.Close()
		rdb.Close()
		r.Close()
	}}, nil
}

// run posts a spec to /v1/run and returns the HTTP status and the job.
func (s *server) run(t *testing.T, spec any) (int, sandpit.Job) {
	t.Helper()
	body, _ := json.Marshal(spec)
	resp, err := http.Post(s.url+"/v1/run", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var job sandpit.Job
	json.NewDecoder(resp.Body).Decode(&job)
	return resp.StatusCode, job
}

// healthy waits for /readyz and runs one ordinary job.
func (s *server) healthy(t *testing.T) {
	t.Helper()
	// Recovery may mean a new browser and a pool built from scratch, which
	// on a loaded machine takes more than a minute.
	testenv.Eventually(t, 3*time.Minute, func() bool {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, "the server is not ready after the attack")
	if _, job := s.run(t, map[string]any{"code": "print(6*7)"}); job.Stdout != "42\n" {
		t.Fatalf("an ordinary job after the attack: %+v", job)
	}
}

// expand fills in the canary's addresses.
func expand(code string) string {
	return strings.NewReplacer("{TCP}", bird.TCPPort(), "{UDP}", bird.UDPPort()).Replace(code)
}
