package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Capacity is what the workers can take on now, as GET /readyz/sandboxes
// reports it: for autoscalers, dashboards and smoke tests. It is no reason
// to take an API process out of a load balancer: jobs are accepted and wait
// in the queue while no sandbox is ready.
type Capacity struct {
	// Workers is how many workers are alive.
	Workers int `json:"workers"`
	// SandboxesReady is how many jobs the workers could start at once now.
	SandboxesReady int `json:"sandboxes_ready"`
	// QueueDepth is how many jobs are waiting or running.
	QueueDepth int64 `json:"queue_depth"`
	// BatchQueueDepth is how many batch items are waiting or running.
	BatchQueueDepth int64 `json:"batch_queue_depth"`
}

// capacityStatus is the answer of GET /readyz/sandboxes.
type capacityStatus struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Capacity
}

// sandboxes answers 200 when some worker has a sandbox ready, else 503 with
// the reason, with the counts either way.
func sandboxes(capacity func(ctx context.Context) (Capacity, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		got, err := capacity(ctx)
		st := capacityStatus{Status: "ready", Capacity: got}
		switch {
		case err != nil:
			st = capacityStatus{Status: "not ready", Reason: "redis is unreachable"}
		case got.Workers == 0:
			st.Status, st.Reason = "not ready", "no worker is running"
		case got.SandboxesReady == 0:
			st.Status, st.Reason = "not ready", "no worker has a sandbox ready"
		}
		code := http.StatusOK
		if st.Reason != "" {
			code = http.StatusServiceUnavailable
		}
		return c.JSON(code, st)
	}
}
