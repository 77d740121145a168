package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/api"
	"github.com/sandpit-dev/sandpit/mcpserver"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/runner"
)

// redisConfig are the flags of every command that talks to Redis.
type redisConfig struct {
	url    string
	prefix string
	log    string
}

func (c *redisConfig) register(f *flags, required bool) {
	usage := "Redis URL, such as redis://127.0.0.1:6379/0"
	if !required {
		usage += "; empty: start a private redis-server"
	}
	f.StringVar(&c.url, "redis-url", "", usage)
	f.envVar("redis-url", "SANDPIT_REDIS_URL")
	f.StringVar(&c.prefix, "redis-prefix", "sandpit", "prefix of sandpit's Redis keys, so deployments can share one Redis")
	f.envVar("redis-prefix", "SANDPIT_REDIS_PREFIX")
	f.StringVar(&c.log, "log-level", "info", "log level: debug, info, warn or error")
	f.envVar("log-level", "SANDPIT_LOG_LEVEL")
}

// backend is what every server command opens once its flags are read:
// Redis, the queue on it, and the process's metrics.
type backend struct {
	rdb *redis.Client
	q   *queue.Queue
	m   *metrics
}

func openBackend(ctx context.Context, rc redisConfig, qc queueConfig, log *slog.Logger) (*backend, error) {
	rdb, err := rc.connect(ctx)
	if err != nil {
		return nil, err
	}
	q := qc.open(rdb, rc, log)
	m := newMetrics()
	m.watchQueue(q)
	return &backend{rdb: rdb, q: q, m: m}, nil
}

func (b *backend) close() {
	b.q.Close()
	b.rdb.Close()
}

// connect opens the Redis client.
func (c *redisConfig) connect(ctx context.Context) (*redis.Client, error) {
	if c.url == "" {
		return nil, errors.New("--redis-url is required")
	}
	opts, err := redis.ParseURL(c.url)
	if err != nil {
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to redis at %s: %w", opts.Addr, err)
	}
	return rdb, nil
}

func (c *redisConfig) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.log)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

// queueConfig are the flags that shape the queue.
type queueConfig struct {
	maxQueue    int
	retention   time.Duration
	sessionTTL  time.Duration
	maxSessions int
	pageTTL     time.Duration
	maxPages    int
}

func (c *queueConfig) register(f *flags) {
	f.IntVar(&c.maxQueue, "max-queue", 10000, "jobs that may wait or run at once; past it, submissions get 429")
	f.envVar("max-queue", "SANDPIT_MAX_QUEUE")
	f.DurationVar(&c.retention, "retention", 24*time.Hour, "how long finished jobs are kept")
	f.envVar("retention", "SANDPIT_RETENTION")
	f.DurationVar(&c.sessionTTL, "session-ttl", queue.DefaultSessionTTL, "how long a session may stay idle before it expires")
	f.envVar("session-ttl", "SANDPIT_SESSION_TTL")
	f.IntVar(&c.maxSessions, "max-sessions-per-key", queue.DefaultMaxSessionsPerOwner, "sessions one API key (or, without keys, everyone) may hold open at once")
	f.envVar("max-sessions-per-key", "SANDPIT_MAX_SESSIONS_PER_KEY")
}

// registerPages adds the flags of client-side pages, which the commands
// that serve the API take.
func (c *queueConfig) registerPages(f *flags) {
	f.DurationVar(&c.pageTTL, "page-ttl", 24*time.Hour, "how long a client-side page (POST /v1/pages) is kept")
	f.envVar("page-ttl", "SANDPIT_PAGE_TTL")
	f.IntVar(&c.maxPages, "max-pages-per-key", 1000, "live client-side pages per API key (one budget for all callers without keys); past it, 429")
	f.envVar("max-pages-per-key", "SANDPIT_MAX_PAGES_PER_KEY")
}

func (c *queueConfig) open(rdb redis.UniversalClient, rc redisConfig, log *slog.Logger) *queue.Queue {
	return queue.New(rdb, queue.Options{Prefix: rc.prefix, MaxDepth: c.maxQueue, Retention: c.retention,
		SessionTTL: c.sessionTTL, MaxSessionsPerOwner: c.maxSessions,
		PageTTL: c.pageTTL, MaxPagesPerOwner: c.maxPages, Logger: log})
}

// limitsConfig are the flags that bound a job spec.
type limitsConfig struct{ l sandpit.Limits }

func (c *limitsConfig) register(f *flags) {
	d := sandpit.DefaultLimits
	f.DurationVar(&c.l.DefaultTimeout, "default-timeout", d.DefaultTimeout, "timeout of a job that gives no timeout_ms")
	f.envVar("default-timeout", "SANDPIT_DEFAULT_TIMEOUT")
	f.DurationVar(&c.l.MaxTimeout, "max-timeout", d.MaxTimeout, "largest timeout_ms a job may ask for")
	f.envVar("max-timeout", "SANDPIT_MAX_TIMEOUT")
	f.IntVar(&c.l.MaxSpecBytes, "max-spec-bytes", d.MaxSpecBytes, "largest job spec, in bytes of JSON")
	f.envVar("max-spec-bytes", "SANDPIT_MAX_SPEC_BYTES")
	f.IntVar(&c.l.MaxOutputBytes, "max-output-bytes", d.MaxOutputBytes, "bytes kept of a job's stdout, and of its stderr")
	f.envVar("max-output-bytes", "SANDPIT_MAX_OUTPUT_BYTES")
	f.IntVar(&c.l.MaxFiles, "max-files", d.MaxFiles, "files a job may send in, and bring back")
	f.envVar("max-files", "SANDPIT_MAX_FILES")
	f.IntVar(&c.l.MaxFileBytes, "max-file-bytes", d.MaxFileBytes, "total bytes of a job's input files, and of its output files")
	f.envVar("max-file-bytes", "SANDPIT_MAX_FILE_BYTES")
	f.IntVar(&c.l.DefaultMemoryMB, "default-memory-mb", d.DefaultMemoryMB, "memory cap in MiB of a job that gives no memory_mb")
	f.envVar("default-memory-mb", "SANDPIT_DEFAULT_MEMORY_MB")
	f.IntVar(&c.l.MaxMemoryMB, "max-memory-mb", d.MaxMemoryMB, "largest memory_mb a job may ask for")
	f.envVar("max-memory-mb", "SANDPIT_MAX_MEMORY_MB")
}

// apiConfig are the flags of the HTTP server.
type apiConfig struct {
	addr      string
	grace     time.Duration
	keys      string
	insecure  bool
	publicURL string
	access    api.Access
	packages  *packagesConfig // served to end users' browsers
}

func (c *apiConfig) register(f *flags) {
	f.StringVar(&c.addr, "addr", "127.0.0.1:8080", "HOST:PORT the HTTP API listens on")
	f.envVar("addr", "SANDPIT_ADDR")
	f.StringVar(&c.keys, "api-keys", "", "comma-separated API keys accepted as bearer tokens on /v1; empty: no authentication (loopback only). Prefer the variable: flags show in ps")
	f.envVar("api-keys", "SANDPIT_API_KEYS")
	f.BoolVar(&c.insecure, "insecure", false, "allow listening on a non-loopback address without API keys")
	f.envVar("insecure", "SANDPIT_INSECURE")
	f.Float64Var(&c.access.Rate, "rate-limit", 50, "requests per second allowed per API key (all callers share one budget without keys); 0: no limit")
	f.envVar("rate-limit", "SANDPIT_RATE_LIMIT")
	f.IntVar(&c.access.Burst, "rate-burst", 100, "requests per API key allowed at once above the rate")
	f.envVar("rate-burst", "SANDPIT_RATE_BURST")
	f.IntVar(&c.access.Concurrency, "max-concurrent-per-key", 64, "requests per API key in flight at once (a waiting POST /v1/run counts); 0: no limit")
	f.envVar("max-concurrent-per-key", "SANDPIT_MAX_CONCURRENT_PER_KEY")
	f.StringVar(&c.publicURL, "public-url", "", "where browsers reach sandpit, such as https://sandpit.example.com, for page URLs and the pages' Content-Security-Policy; empty: the scheme and host of each request")
	f.envVar("public-url", "SANDPIT_PUBLIC_URL")
	f.DurationVar(&c.grace, "shutdown-grace", 30*time.Second, "how long in-flight requests and jobs may run on after SIGTERM")
	f.envVar("shutdown-grace", "SANDPIT_SHUTDOWN_GRACE")
}

// serveAPI serves h on the configured address until ctx ends, then drains
// in-flight requests within the grace period.
func (c *apiConfig) serve(ctx context.Context, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}

// check refuses an address reachable from other machines when no API keys
// are set, unless told --insecure.
func (c *apiConfig) check() error {
	if c.keys != "" || c.insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without API keys: set SANDPIT_API_KEYS, or pass --insecure", c.addr)
}

// apiAccess returns the access settings with the parsed keys.
func (c *apiConfig) apiAccess() api.Access {
	a := c.access
	a.Keys = append(a.Keys, splitList(c.keys)...)
	return a
}

// readiness is /readyz: jobs can be accepted, which needs Redis and
// nothing else. Whether a worker has a sandbox ready is capacity's
// (/readyz/sandboxes): an API that answered 503 while the workers were all
// busy would be taken out of its load balancer exactly at peak load.
func readiness(q *queue.Queue) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := q.Ping(ctx); err != nil {
			return errors.New("redis is unreachable")
		}
		return nil
	}
}

// capacity is /readyz/sandboxes: the workers, their ready sandboxes and
// the queues' depths, from Redis.
func capacity(q *queue.Queue) func(ctx context.Context) (api.Capacity, error) {
	return func(ctx context.Context) (api.Capacity, error) {
		var c api.Capacity
		var err error
		if c.Workers, c.SandboxesReady, err = q.Capacity(ctx); err != nil {
			return c, err
		}
		if c.QueueDepth, err = q.Depth(ctx); err != nil {
			return c, err
		}
		c.BatchQueueDepth, err = q.BatchDepth(ctx)
		return c, err
	}
}

// newAPI wires the API: jobs, batches, sessions and pages on the queue, the
// browser side from the page package, and the MCP endpoint at /mcp, whose
// tools call the API itself, in process.
func newAPI(b *backend, l sandpit.Limits, ac *apiConfig, log *slog.Logger) (http.Handler, error) {
	access := ac.apiAccess()
	web, err := page.NewWeb(page.WebConfig{Limits: l, PublicURL: ac.publicURL, KeyRequired: len(access.Keys) > 0,
		Packages: ac.packages.options()})
	if err != nil {
		return nil, fmt.Errorf("browser side: %w", err)
	}
	self := &inProcess{}
	mcp := mcpserver.Handler(self.client(), mcpserver.Options{
		Logger: log,
		// A job spec at its largest, and room for the JSON-RPC around it.
		MaxRequestBytes: int64(l.WithDefaults().MaxSpecBytes) + 1<<20,
	})
	h := api.New(api.Config{Jobs: b.q, Batches: b.q, Sessions: b.q, Pages: b.q, Web: web, PublicURL: ac.publicURL,
		Limits: l, Ready: readiness(b.q), Capacity: capacity(b.q), Access: access, Logger: log,
		Metrics: b.m.handler(), Observe: b.m.observeRequest, MCP: mcp})
	self.h = h
	return h, nil
}

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
	sessions    int
	packages    *packagesConfig // shared with the API in serve
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
	f.IntVar(&c.browserMB, "browser-memory-mb", 0, "memory cap in MiB of all of Chromium (a memory cgroup, when running as root); 0: pool size × (max memory + 512); -1: none")
	f.envVar("browser-memory-mb", "SANDPIT_BROWSER_MEMORY_MB")
	f.BoolVar(&c.noNetns, "no-netns", false, "do not put Chromium in an empty network namespace (request interception still applies)")
	f.envVar("no-netns", "SANDPIT_NO_NETNS")
	f.IntVar(&c.sessions, "max-sessions", 0, "sessions this worker holds at once, each in a browser tab of its own; 0: the pool size")
	f.envVar("max-sessions", "SANDPIT_MAX_SESSIONS")
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

// check fails early, in one line, when no browser can be found or the
// package repository is unusable.
func (c *workerConfig) check() error {
	if _, err := runner.FindChromium(c.chromium); err != nil {
		return err
	}
	_, err := c.assets()
	return err
}

// startRunner launches Chromium and its pool.
func (c *workerConfig) startRunner(ctx context.Context, l sandpit.Limits, m *metrics, log *slog.Logger) (*runner.Runner, error) {
	assets, err := c.assets()
	if err != nil {
		return nil, err
	}
	r, err := runner.New(ctx, runner.Config{
		Chromium:        c.chromium,
		User:            c.user,
		Assets:          assets,
		PoolSize:        c.pool,
		MaxSessions:     c.sessions,
		Refill:          c.refill,
		Limits:          l,
		NoNetns:         c.noNetns,
		Hooks:           m.runnerHooks(),
		BrowserMemoryMB: c.browserMB,
		Logger:          log,
	})
	if err != nil {
		return nil, err
	}
	m.watchRunner(r, c.pool)
	return r, nil
}

// work runs jobs from q on r until ctx ends, then drains within grace.
func (c *workerConfig) work(ctx context.Context, q *queue.Queue, r *runner.Runner, grace time.Duration, m *metrics) error {
	return q.Work(ctx, newHandler(r), queue.WorkerOptions{
		Concurrency:  c.pool,
		Lease:        c.lease,
		MaxAttempts:  c.maxAttempts,
		Grace:        grace,
		Ready:        r.Ready,
		ReadyChanged: r.Changed(),
		Finished:     m.finished,
		RedisError:   m.redisError.Inc,
	})
}

func pageHandler() http.Handler { return page.Handler() }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
