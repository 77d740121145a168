package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/metrics"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/runner"
	"github.com/sandpit-dev/sandpit/worker"
)

// workerConfig are the flags of a worker.
type workerConfig struct {
	chromium    string
	user        string
	pool        int
	refill      int
	lease       time.Duration
	maxAttempts int
	noNetns     bool
	browserMB   int
	snapshotDir string
	// requireIsolation: see resolveIsolation for its default.
	requireIsolation bool
	sessions         int
	packages         *packagesConfig // shared with the API in serve
}

func (c *workerConfig) register(f *flags) {
	f.StringVar(&c.chromium, "chromium", "", "Chromium binary, by path or name; empty: chromium or google-chrome on PATH")
	f.envVar("chromium", "SANDPIT_CHROMIUM")
	f.StringVar(&c.user, "chromium-user", "sandpit", "unprivileged account Chromium runs as when sandpit runs as root")
	f.envVar("chromium-user", "SANDPIT_CHROMIUM_USER")
	pool, refill := ownPoolSizes(runtime.NumCPU(), sandpit.DefaultLimits.DefaultMemoryMB)
	f.IntVar(&c.pool, "pool-size", pool, "ready sandboxes kept, which is also how many jobs run at once; default: one per CPU the container may use, as many as its memory limit holds")
	f.envVar("pool-size", "SANDPIT_POOL_SIZE")
	f.IntVar(&c.refill, "refill", refill, "sandboxes built at once to refill the pool; default: half the pool size")
	f.envVar("refill", "SANDPIT_REFILL")
	f.DurationVar(&c.lease, "lease", 30*time.Second, "a job whose worker is silent this long is taken over by another")
	f.envVar("lease", "SANDPIT_LEASE")
	f.IntVar(&c.maxAttempts, "max-attempts", 3, "runs of a job that may end in infrastructure failures before it ends as error")
	f.envVar("max-attempts", "SANDPIT_MAX_ATTEMPTS")
	f.IntVar(&c.browserMB, "browser-memory-mb", 0, "memory cap in MiB of all of Chromium (a memory cgroup, when running as root); 0: three quarters of the memory sandpit may use (its container's limit, or the machine's); -1: none")
	f.envVar("browser-memory-mb", "SANDPIT_BROWSER_MEMORY_MB")
	f.BoolVar(&c.noNetns, "no-netns", false, "do not put Chromium in an empty network namespace (request interception still applies)")
	f.envVar("no-netns", "SANDPIT_NO_NETNS")
	f.StringVar(&c.snapshotDir, "snapshot-dir", defaultSnapshotDir(), "directory where the snapshot that sandboxes boot from is kept for the next start, which then skips booting Pyodide from scratch; it must be sandpit's user's own and writable by no other; empty: none")
	f.envVar("snapshot-dir", "SANDPIT_SNAPSHOT_DIR")
	f.BoolVar(&c.requireIsolation, "require-isolation", false, "refuse to start unless Chromium has every layer of isolation: an empty network namespace, its own sandbox, and a memory cgroup (which needs root or a delegated cgroup); default: on for worker, and for serve when --addr is not loopback")
	f.envVar("require-isolation", "SANDPIT_REQUIRE_ISOLATION")
	f.IntVar(&c.sessions, "max-sessions", 0, "sessions this worker holds at once, each in a browser tab of its own; 0: the pool size")
	f.envVar("max-sessions", "SANDPIT_MAX_SESSIONS")
}

// defaultSnapshotDir is sandpit's directory in the user's cache directory
// ($XDG_CACHE_HOME, or ~/.cache), or none when the user has none.
func defaultSnapshotDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sandpit", "snapshots")
}

// packagesConfig are the flags of the package repository, which workers
// load packages from and the API serves to end users' browsers.
type packagesConfig struct {
	dir     string
	allow   string
	preload string
}

func (c *packagesConfig) register(f *flags) {
	f.StringVar(&c.dir, "packages-dir", "", "local Pyodide package repository (a pyodide-lock.json and its wheels) that jobs load packages from; empty: the standard library only")
	f.envVar("packages-dir", "SANDPIT_PACKAGES_DIR")
	f.StringVar(&c.allow, "packages", "", "comma-separated packages of --packages-dir that jobs may load, with their dependencies; empty: all")
	f.envVar("packages", "SANDPIT_PACKAGES")
	f.StringVar(&c.preload, "preload", "", "comma-separated pure-Python packages imported into every sandbox before its job, so that importing them costs nothing")
	f.envVar("preload", "SANDPIT_PRELOAD")
}

func (c *packagesConfig) options() page.Options {
	return page.Options{PackagesDir: c.dir, Allow: splitList(c.allow), Preload: splitList(c.preload)}
}

// assets serves the sandbox page with the configured package repository.
func (c *workerConfig) assets() (http.Handler, error) {
	h, err := page.New(c.packages.options())
	if err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	return h, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// resolveIsolation gives --require-isolation its default when it was not
// set: on, unless this is a serve whose API answers its own machine only
// (public false), where a developer's machine may lack a layer.
func (c *workerConfig) resolveIsolation(f *flags, public bool) {
	if !f.isSet("require-isolation") {
		c.requireIsolation = public
	}
}

// check fails early, in one line, when no browser can be found, the
// package repository is unusable, or the flags turn off a layer of
// isolation they also require.
func (c *workerConfig) check() error {
	if c.requireIsolation && c.noNetns {
		return fmt.Errorf("--no-netns turns off the network namespace, which --require-isolation requires: drop one of them")
	}
	if c.requireIsolation && c.browserMB < 0 {
		return fmt.Errorf("--browser-memory-mb %d turns off the memory cgroup, which --require-isolation requires: drop one of them", c.browserMB)
	}
	if _, err := runner.FindChromium(c.chromium); err != nil {
		return err
	}
	_, err := c.assets()
	return err
}

// startRunner launches Chromium and its pool.
func (c *workerConfig) startRunner(ctx context.Context, l sandpit.Limits, m *metrics.Metrics, log *slog.Logger) (*runner.Runner, error) {
	assets, err := c.assets()
	if err != nil {
		return nil, err
	}
	r, err := runner.New(ctx, runner.Config{
		Chromium:         c.chromium,
		User:             c.user,
		Assets:           assets,
		PoolSize:         c.pool,
		MaxSessions:      c.sessions,
		Refill:           c.refill,
		Limits:           l,
		NoNetns:          c.noNetns,
		SnapshotDir:      c.snapshotDir,
		Hooks:            m.RunnerHooks(),
		BrowserMemoryMB:  c.browserMB,
		RequireIsolation: c.requireIsolation,
		Logger:           log,
	})
	if ie, ok := errors.AsType[*runner.IsolationError](err); ok {
		return nil, fmt.Errorf("%w; to start without them, pass --require-isolation=false (SANDPIT_REQUIRE_ISOLATION=false)", ie)
	}
	if errors.Is(err, runner.ErrUntrustedSnapshotDir) {
		return nil, fmt.Errorf("--snapshot-dir (SANDPIT_SNAPSHOT_DIR): %w", err)
	}
	if err != nil {
		return nil, err
	}
	m.WatchRunner(r, c.pool)
	m.WatchIsolation(r)
	return r, nil
}

// work runs tasks from q on r until ctx ends, then drains within grace;
// started, when set, is called once it takes jobs.
func (c *workerConfig) work(ctx context.Context, q *queue.Queue, r *runner.Runner, grace time.Duration, m *metrics.Metrics, log *slog.Logger, started func()) error {
	w := worker.New(q, worker.Chromium(r), worker.Config{
		Concurrency: c.pool,
		Lease:       c.lease,
		MaxAttempts: c.maxAttempts,
		Grace:       grace,
		Finished:    m.Finished,
		RedisError:  m.RedisErrors.Inc,
		Started:     started,
		Logger:      log,
	})
	return w.Run(ctx)
}
