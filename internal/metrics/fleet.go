package metrics

import (
	"context"
	"runtime"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sandpit-dev/sandpit/internal/version"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
)

// Reasons are the values of sandpit_rejected_total's reason label: which
// limit a 429 answer was for.
var Reasons = []string{"rate", "in_flight", "quota", "sessions", "pages", "queue_full", "invalid_key", "other"}

// Rejected counts a request answered 429 for reason, one of Reasons (any
// other is counted as "other").
func (m *Metrics) Rejected(reason string) {
	if !slices.Contains(Reasons, reason) {
		reason = "other"
	}
	m.rejected.WithLabelValues(reason).Inc()
}

// buildInfo is sandpit_build_info: 1, labelled with what this process is.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sandpit_build_info", Help: "1, labelled with sandpit's version, the Go it was built with and the Pyodide it runs.",
		ConstLabels: prometheus.Labels{"version": version.String(), "go_version": runtime.Version(), "pyodide": page.PyodideVersion()},
	})
	g.Set(1)
	return g
}

// WatchRedis exports sandpit_redis_up: whether this process reaches Redis,
// asked at each scrape.
func (m *Metrics) WatchRedis(q *queue.Queue) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sandpit_redis_up", Help: "1 when this process reaches Redis, else 0.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := q.Ping(ctx); err != nil {
			m.RedisErrors.Inc()
			return 0
		}
		return 1
	}))
}

// ExporterTTL is how long the process that exports the queue's state holds
// that role after its last scrape: another takes over within it when the
// holder stops.
const ExporterTTL = time.Minute

// WatchQueue makes this process, named id, a candidate to export the
// queue's state: depth, pending, batch backlog, workers, sessions, pages,
// batches. Of all the candidates on one queue, only the one holding the
// role (queue.ClaimExporter) exports it, so that sum() over the fleet
// counts each job once; the others, and any process that cannot reach
// Redis, export none of it (never a made-up value). Each candidate exports
// sandpit_queue_exporter, 1 on the one that holds the role.
func (m *Metrics) WatchQueue(q *queue.Queue, id string) {
	m.reg.MustRegister(&queueCollector{q: q, id: id, m: m})
}

// queueGauges describe the queue's state, each with how to read it.
var queueGauges = []struct {
	desc *prometheus.Desc
	read func(queue.Stats) float64
}{
	{gaugeDesc("sandpit_queue_depth", "Interactive jobs waiting or running."), func(s queue.Stats) float64 { return float64(s.Depth) }},
	{gaugeDesc("sandpit_queue_pending", "Interactive jobs a worker has taken and not yet finished."), func(s queue.Stats) float64 { return float64(s.Pending) }},
	{gaugeDesc("sandpit_queue_oldest_age_seconds", "Age of the oldest interactive job waiting or running; 0 when there is none."), func(s queue.Stats) float64 { return s.OldestAge.Seconds() }},
	{gaugeDesc("sandpit_batch_queue_depth", "Batch items waiting or running: the batch backlog."), func(s queue.Stats) float64 { return float64(s.BatchDepth) }},
	{gaugeDesc("sandpit_batch_queue_pending", "Batch items a worker has taken and not yet finished."), func(s queue.Stats) float64 { return float64(s.BatchPending) }},
	{gaugeDesc("sandpit_batches_open", "Batches not yet finished: batches in flight."), func(s queue.Stats) float64 { return float64(s.BatchesOpen) }},
	{gaugeDesc("sandpit_workers", "Live workers, by their heartbeats."), func(s queue.Stats) float64 { return float64(s.Workers) }},
	{gaugeDesc("sandpit_sandboxes_ready", "Jobs the live workers could start now."), func(s queue.Stats) float64 { return float64(s.SandboxesReady) }},
	{gaugeDesc("sandpit_sessions_open", "Sessions whose interpreter a live worker holds."), func(s queue.Stats) float64 { return float64(s.SessionsOpen) }},
	{gaugeDesc("sandpit_pages_live", "Client-side pages not yet expired."), func(s queue.Stats) float64 { return float64(s.PagesLive) }},
}

var exporterDesc = gaugeDesc("sandpit_queue_exporter", "1 on the one process that exports the queue's state for the fleet, else 0.")

func gaugeDesc(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }

// queueCollector reads the queue's state at each scrape, when its process
// holds the exporter's role.
type queueCollector struct {
	q  *queue.Queue
	id string
	m  *Metrics
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- exporterDesc
	for _, g := range queueGauges {
		ch <- g.desc
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	held, err := c.q.ClaimExporter(ctx, c.id, ExporterTTL)
	var s queue.Stats
	if err == nil && held {
		s, err = c.q.Stats(ctx)
	}
	if err != nil {
		c.m.RedisErrors.Inc()
		held = false
	}
	ch <- prometheus.MustNewConstMetric(exporterDesc, prometheus.GaugeValue, boolValue(held))
	if !held {
		return
	}
	for _, g := range queueGauges {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, g.read(s))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
