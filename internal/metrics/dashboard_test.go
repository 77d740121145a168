package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sandpit-dev/sandpit/queue"
)

// dashboard is the Grafana dashboard shipped beside the Helm chart.
const dashboard = "../../deploy/grafana/sandpit.json"

// exported returns the names of every metric a sandpit process may
// export, as its registry describes them, with the series names of its
// histograms.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	m := New()
	q := queue.New(nil, queue.Options{})
	m.WatchRedis(q)
	m.WatchQueue(q, "describe")
	m.WatchRunner(nil, 1)
	m.WatchIsolation(nil)
	names := make(map[string]bool)
	for _, name := range describe(m.reg) {
		names[name] = true
	}
	// A histogram's series are its buckets, sum and count.
	for _, h := range []prometheus.Collector{m.requests, m.wait, m.run, m.refill} {
		for _, name := range describe(h) {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = true
			}
		}
	}
	return names
}

// describe returns the names of the metrics c describes.
func describe(c prometheus.Collector) []string {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	var names []string
	for d := range ch {
		names = append(names, descName(d))
	}
	return names
}

// The dashboard queries only metrics sandpit exports, so that it cannot
// drift from them: a metric renamed or dropped fails here.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	data, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboard, err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("%s: no title or uid", dashboard)
	}
	names := exported(t)
	metric := regexp.MustCompile(`\bsandpit_[a-z0-9_]+`)
	var queried []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			found := metric.FindAllString(target.Expr, -1)
			if len(found) == 0 {
				t.Errorf("panel %q: query %q names no sandpit metric", p.Title, target.Expr)
			}
			for _, name := range found {
				if !names[name] {
					t.Errorf("panel %q queries %s, which sandpit does not export", p.Title, name)
				}
				queried = append(queried, name)
			}
		}
	}
	// The fleet's own metrics are all on it.
	for _, name := range append(queueNames(), "sandpit_redis_up", "sandpit_build_info", "sandpit_rejected_total", "sandpit_queue_exporter") {
		if name != "sandpit_queue_exporter" && !slices.Contains(queried, name) {
			t.Errorf("the dashboard does not show %s", name)
		}
	}
}
