package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sandpit-dev/sandpit/runner"
)

// WatchIsolation exports which layers of isolation the browser has, as
// sandpit_isolation_layer{layer}: 1 active, 0 not; read at each scrape,
// so that a restarted browser is reported as it is.
func (m *Metrics) WatchIsolation(r *runner.Runner) {
	for _, layer := range runner.Layers {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "sandpit_isolation_layer",
			Help:        "Layers of isolation the browser has (netns, sandbox, memory_cgroup): 1 active, 0 not.",
			ConstLabels: prometheus.Labels{"layer": layer},
		}, func() float64 {
			if r.Isolation().Has(layer) {
				return 1
			}
			return 0
		}))
	}
}
