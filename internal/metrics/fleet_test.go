package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
)

var redisURL string

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) { os.Exit(testenv.RunWithRedis(m, &redisURL)) }

// scrape reads m's /metrics as served, each sample by its name and labels
// as written ("name" or `name{label="v"}`).
func scrape(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	samples := make(map[string]float64)
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// queueNames are the gauges of the queue's state.
func queueNames() []string {
	var names []string
	for _, g := range queueGauges {
		names = append(names, descName(g.desc))
	}
	return names
}

// descName is the metric name a Desc describes.
func descName(d *prometheus.Desc) string {
	s := d.String()
	s = s[strings.Index(s, `fqName: "`)+len(`fqName: "`):]
	return s[:strings.IndexByte(s, '"')]
}

// Two API processes on one queue: one exports the queue's state, right
// to the job, the other none of it, so that their sum is the queue's.
func TestQueueStateIsExportedOnce(t *testing.T) {
	prefix := "metrics-" + queue.NewWorkerID()
	var ms []*Metrics
	var qs []*queue.Queue
	for _, id := range []string{"api-1", "api-2"} {
		q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: prefix, Logger: quiet})
		t.Cleanup(func() { q.Close() })
		m := New()
		m.WatchRedis(q)
		m.WatchQueue(q, id)
		ms, qs = append(ms, m), append(qs, q)
	}
	q := qs[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	const worker = "w1"
	go func() {
		q.Work(ctx, queue.HandlerFunc(func(ctx context.Context, task queue.Task) (sandpit.Result, error) {
			zero := 0
			ok := sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: &zero, Files: []sandpit.File{}}
			if task.Kind == queue.KindOpenSession {
				return ok, q.HoldSession(ctx, task.Session, worker)
			}
			<-ctx.Done()
			return sandpit.Result{}, ctx.Err()
		}), queue.WorkerOptions{ID: worker, Concurrency: 3, Grace: time.Millisecond})
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })

	// A session held by the worker; 2 jobs it runs, which fill two of its
	// three slots; a batch of 3, of which the third slot runs one; a page.
	_, opening, err := q.OpenSession(ctx, "alice", sandpit.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if job, err := q.Wait(ctx, opening, "alice"); err != nil || job.Status != sandpit.StatusSucceeded {
		t.Fatalf("opening the session: %+v, %v", job, err)
	}
	for range 2 {
		if _, err := q.Enqueue(ctx, "alice", sandpit.Spec{Code: "x"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	b, err := q.CreateBatch(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := q.AddItem(ctx, "bob", b, i, sandpit.Item{Spec: sandpit.Spec{Code: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.CompleteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := q.CreatePage(ctx, sandpit.Spec{Code: "x"}, "carol"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		s, _ := q.Stats(ctx)
		return s.Pending == 2 && s.BatchPending == 1
	}, "the worker did not take 2 jobs and a batch item")

	want := map[string]float64{
		"sandpit_queue_depth": 2, "sandpit_queue_pending": 2, "sandpit_batch_queue_depth": 3,
		"sandpit_batch_queue_pending": 1, "sandpit_batches_open": 1, "sandpit_workers": 1,
		"sandpit_sessions_open": 1, "sandpit_pages_live": 1,
	}
	exporters := 0
	sum := make(map[string]float64)
	for i, m := range ms {
		s := scrape(t, m)
		if s["sandpit_redis_up"] != 1 {
			t.Errorf("API %d: sandpit_redis_up %v, want 1", i+1, s["sandpit_redis_up"])
		}
		info := `sandpit_build_info{go_version="` + runtime.Version() + `",pyodide="` + page.PyodideVersion() + `",version="`
		found := false
		for k, v := range s {
			found = found || strings.HasPrefix(k, info) && v == 1
		}
		if !found || page.PyodideVersion() == "" {
			t.Errorf("API %d: no %s…} 1", i+1, info)
		}
		exporters += int(s["sandpit_queue_exporter"])
		_, exports := s["sandpit_queue_depth"]
		if exports != (s["sandpit_queue_exporter"] == 1) {
			t.Errorf("API %d: exports the queue's state: %v, but sandpit_queue_exporter is %v", i+1, exports, s["sandpit_queue_exporter"])
		}
		for _, name := range queueNames() {
			if v, ok := s[name]; ok {
				sum[name] += v
			} else if exports {
				t.Errorf("API %d exports the queue's state without %s", i+1, name)
			}
		}
	}
	if exporters != 1 {
		t.Fatalf("%d processes export the queue's state, want 1", exporters)
	}
	for name, v := range want {
		if sum[name] != v {
			t.Errorf("sum of %s = %v, want %v", name, sum[name], v)
		}
	}
	if sum["sandpit_queue_oldest_age_seconds"] <= 0 {
		t.Errorf("sandpit_queue_oldest_age_seconds = %v with jobs waiting", sum["sandpit_queue_oldest_age_seconds"])
	}
}

// A process that cannot reach Redis says so, and makes up no value of the
// queue's state.
func TestRedisDownExportsNoMadeUpValues(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	q := queue.New(testenv.Client(t, rs.URL()), queue.Options{Logger: quiet})
	t.Cleanup(func() { q.Close() })
	m := New()
	m.WatchRedis(q)
	m.WatchQueue(q, "api-1")
	if s := scrape(t, m); s["sandpit_redis_up"] != 1 || s["sandpit_queue_exporter"] != 1 {
		t.Fatalf("with Redis: redis_up %v, exporter %v; want 1, 1", s["sandpit_redis_up"], s["sandpit_queue_exporter"])
	}
	rs.Close()
	s := scrape(t, m)
	if v, ok := s["sandpit_redis_up"]; !ok || v != 0 {
		t.Errorf("without Redis: sandpit_redis_up %v (present %v), want 0", v, ok)
	}
	for name, v := range s {
		if strings.HasPrefix(name, "sandpit_") && v < 0 {
			t.Errorf("without Redis: %s = %v", name, v)
		}
	}
	for _, name := range queueNames() {
		if _, ok := s[name]; ok {
			t.Errorf("without Redis: %s is exported", name)
		}
	}
	// The errors of one scrape are counted by the next.
	if scrape(t, m)["sandpit_redis_errors_total"] == 0 {
		t.Error("without Redis: no Redis error counted")
	}
}

// 429 answers are counted by reason; a reason outside the set is "other",
// so that the series stay bounded.
func TestRejectedByReason(t *testing.T) {
	m := New()
	m.Rejected("rate")
	m.Rejected("rate")
	m.Rejected("sessions")
	m.Rejected("made-up")
	s := scrape(t, m)
	for _, r := range Reasons {
		want := map[string]float64{"rate": 2, "sessions": 1, "other": 1}[r]
		if v, ok := s[`sandpit_rejected_total{reason="`+r+`"}`]; !ok || v != want {
			t.Errorf("sandpit_rejected_total{reason=%q} = %v (present %v), want %v", r, v, ok, want)
		}
	}
}
