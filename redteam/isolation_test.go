package redteam

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/runner"
)

// A layer of isolation that could not be had is never silent: the runner
// reports each layer it has, and one required to have every layer refuses
// to start without one, saying which.
func TestRunWithoutALayer(t *testing.T) {
	t.Run("the layers are reported", func(t *testing.T) {
		iso := full.runner.Isolation()
		if !iso.Netns || !iso.Sandbox {
			t.Errorf("full server: %+v, want the network namespace and the sandbox", iso)
		}
		if os.Geteuid() == 0 && !iso.MemoryCgroup {
			t.Errorf("full server, run as root: %+v, want the memory cgroup", iso)
		}
		if iso := bare.runner.Isolation(); iso.Netns || !iso.Sandbox {
			t.Errorf("server without a network namespace: %+v, want it reported missing, and the sandbox present", iso)
		}
	})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name  string
		cfg   runner.Config
		layer string
	}{
		{"no network namespace", runner.Config{NoNetns: true}, runner.LayerNetns},
		{"no memory cgroup", runner.Config{BrowserMemoryMB: -1}, runner.LayerMemoryCgroup},
	} {
		t.Run("required, then "+tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cfg := tc.cfg
			cfg.Assets, cfg.PoolSize, cfg.Logger, cfg.RequireIsolation = page.Handler(), 1, quiet, true
			r, err := runner.New(ctx, cfg)
			if err == nil {
				r.Close()
				t.Fatalf("the runner started without %s", tc.layer)
			}
			var ie *runner.IsolationError
			if !errors.As(err, &ie) || ie.Missing[tc.layer] == "" || len(ie.Missing) != 1 {
				t.Fatalf("err = %v, want an IsolationError naming %s alone", err, tc.layer)
			}
		})
	}
}
