package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/metrics"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
)

// backend is what every server command opens once its flags are read:
// Redis, the queue on it, and the process's metrics.
type backend struct {
	rdb redis.UniversalClient
	q   *queue.Queue
	m   *metrics.Metrics
}

func openBackend(ctx context.Context, rc redisConfig, qc queueConfig, log *slog.Logger) (*backend, error) {
	rdb, err := rc.connect(ctx)
	if err != nil {
		return nil, err
	}
	q := qc.open(rdb, rc, log)
	m := metrics.New()
	m.WatchRedis(q)
	return &backend{rdb: rdb, q: q, m: m}, nil
}

func (b *backend) close() {
	b.q.Close()
	b.rdb.Close()
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
	// Each API key's quotas; 0 means the queue's default, -1 none.
	maxQueuedPerKey  int
	maxBatchesPerKey int
	maxItemsPerKey   int
	maxBytesPerKey   int64
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
	f.IntVar(&c.maxQueuedPerKey, "max-queued-per-key", 0, "jobs of one API key (or, without keys, everyone) that may wait or run at once, batch items aside; past it, 429; 0: a tenth of --max-queue, at least 100; -1: no limit")
	f.envVar("max-queued-per-key", "SANDPIT_MAX_QUEUED_PER_KEY")
	f.IntVar(&c.maxBatchesPerKey, "max-batches-per-key", queue.DefaultMaxBatchesPerOwner, "batches of one API key not yet finished; past it, 429; -1: no limit")
	f.envVar("max-batches-per-key", "SANDPIT_MAX_BATCHES_PER_KEY")
	f.IntVar(&c.maxItemsPerKey, "max-batch-items-per-key", queue.DefaultMaxBatchItemsPerOwner, "batch items of one API key waiting or running; past it, 429; -1: no limit")
	f.envVar("max-batch-items-per-key", "SANDPIT_MAX_BATCH_ITEMS_PER_KEY")
	f.Int64Var(&c.maxBytesPerKey, "max-stored-bytes-per-key", queue.DefaultMaxStoredBytesPerOwner, "bytes one API key may keep in Redis: its job specs and results until they expire (--retention), and its pages; past it, 429; -1: no limit")
	f.envVar("max-stored-bytes-per-key", "SANDPIT_MAX_STORED_BYTES_PER_KEY")
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
		PageTTL: c.pageTTL, MaxPagesPerOwner: c.maxPages,
		MaxQueuedPerOwner: c.maxQueuedPerKey, MaxBatchesPerOwner: c.maxBatchesPerKey,
		MaxBatchItemsPerOwner: c.maxItemsPerKey, MaxStoredBytesPerOwner: c.maxBytesPerKey,
		WaitReplicas: rc.waitReplicas, Logger: log})
}

// limitsConfig are the flags that bound a job spec. Once parsed, resolve
// gives the limits in force, every default filled in, which is all the rest
// of the process sees.
type limitsConfig struct{ l sandpit.Limits }

// resolve fills in the defaults of the limits the flags left unset.
func (c *limitsConfig) resolve() sandpit.Limits {
	c.l = c.l.WithDefaults()
	return c.l
}

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

func pageHandler() http.Handler { return page.Handler() }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
