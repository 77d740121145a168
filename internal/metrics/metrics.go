// Package metrics holds a sandpit process's Prometheus metrics, on a
// registry of its own, for the API and the worker commands alike.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/runner"
)

// Metrics are a process's Prometheus metrics, on a registry of its own.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	jobs     *prometheus.CounterVec
	wait     prometheus.Histogram
	run      prometheus.Histogram
	refill   prometheus.Histogram
	restarts prometheus.Counter
	crashes  prometheus.Counter
	// tenantSwitches counts hosts retired to give a job of another tenant
	// a fresh renderer.
	tenantSwitches prometheus.Counter
	// RedisErrors counts failed Redis operations.
	RedisErrors prometheus.Counter
	rejected    *prometheus.CounterVec
}

// New returns the metrics, registered.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sandpit_http_request_duration_seconds", Help: "HTTP requests by method, route and status.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"method", "route", "status"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sandpit_jobs_finished_total", Help: "Jobs whose outcome this worker recorded, by status.",
		}, []string{"status"}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sandpit_job_wait_seconds", Help: "Time jobs waited in the queue before a worker started them.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
		}),
		run: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sandpit_job_run_seconds", Help: "Time jobs ran, from start to recorded outcome.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16),
		}),
		refill: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sandpit_pool_refill_seconds", Help: "Time to ready a fresh sandbox in a host (a new host, or the next worker of a used one).",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sandpit_browser_restarts_total", Help: "Chromium restarts after it died.",
		}),
		crashes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sandpit_sandbox_crashes_total", Help: "Renderer crashes during a job.",
		}),
		tenantSwitches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sandpit_host_tenant_switches_total", Help: "Ready hosts retired so that a job of another API key gets a renderer of its own.",
		}),
		RedisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sandpit_redis_errors_total", Help: "Failed Redis operations of the worker loops and the API.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sandpit_rejected_total", Help: "Requests this API process answered 429, by which limit: " + strings.Join(Reasons, ", ") + ".",
		}, []string{"reason"}),
	}
	for _, r := range Reasons {
		m.rejected.WithLabelValues(r)
	}
	reg.MustRegister(m.requests, m.jobs, m.wait, m.run, m.refill, m.restarts, m.crashes, m.tenantSwitches, m.RedisErrors,
		m.rejected, buildInfo(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// methods are the HTTP methods that get a label of their own; any other
// method string a client sends is counted as "other", so that no request
// can grow the set of series.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// ObserveRequest records an HTTP request once answered. route is the
// matched route's pattern, never the raw path.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	if !methods[method] {
		method = "other"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
}

// WatchRunner exports the pool's state.
func (m *Metrics) WatchRunner(r *runner.Runner, size int) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sandpit_pool_ready", Help: "Sandboxes ready to take a job now."},
			func() float64 { return float64(r.Ready()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sandpit_pool_size", Help: "Hosts the pool keeps."},
			func() float64 { return float64(size) }),
	)
}

// RunnerHooks feed the runner's events into the metrics.
func (m *Metrics) RunnerHooks() runner.Hooks {
	return runner.Hooks{
		Refilled:       func(d time.Duration) { m.refill.Observe(d.Seconds()) },
		Crashed:        m.crashes.Inc,
		Restarted:      m.restarts.Inc,
		TenantSwitched: m.tenantSwitches.Inc,
	}
}

// Finished records a job's outcome.
func (m *Metrics) Finished(status sandpit.Status, waited, ran time.Duration) {
	m.jobs.WithLabelValues(string(status)).Inc()
	m.wait.Observe(waited.Seconds())
	m.run.Observe(ran.Seconds())
}
