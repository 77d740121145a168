// Package runner runs Python in Pyodide inside headless Chromium. It launches
// and supervises the browser, keeps a pool of hosts (each a tab in a browser
// context of its own whose page keeps a fresh interpreter ready in a module
// worker), runs each job in a new interpreter that is thrown away after it,
// and enforces the job's limits. It knows nothing of Redis or HTTP.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/proctree"
	"github.com/sandpit-dev/sandpit/page"
)

// Config configures a Runner. The zero value of a field means its default.
type Config struct {
	// Chromium is the browser binary, by path or name; default: the first of
	// chromium, chromium-browser, google-chrome found on PATH.
	Chromium string
	// User is the unprivileged account Chromium runs as when sandpit runs as
	// root; default "sandpit".
	User string
	// Assets serves the sandbox page and Pyodide (page.Handler). Required.
	Assets http.Handler
	// PoolSize is how many hosts are kept, each with a sandbox ready, which
	// is also how many jobs run at once; default the CPU count.
	PoolSize int
	// Refill is how many hosts are built at once; default half the CPU
	// count, at least one.
	Refill int
	// Limits bound each job's output; see sandpit.Limits.
	Limits sandpit.Limits
	// BrowserMemoryMB caps the memory of the whole browser (a memory cgroup,
	// where the OS lets sandpit make one); default: three quarters of the
	// memory sandpit may use (its cgroup's limit, or the machine's);
	// negative: no cap.
	BrowserMemoryMB int
	// RequireIsolation makes New (and each restart of Chromium) fail with
	// an *IsolationError rather than run Chromium without one of its
	// layers: the empty network namespace, its own sandbox, the memory
	// cgroup. Without it, a missing layer is logged.
	RequireIsolation bool
	// MaxSessions bounds the sessions open at once, each holding a host of
	// its own besides the pool; default the pool size.
	MaxSessions int
	// Naive, when set, runs every job the naive way (see NaiveMode): the
	// baseline that benchmarks compare against. Not for serving.
	Naive NaiveMode
	// NoNetns turns off the empty network namespace, which is otherwise used
	// wherever unshare can make one.
	NoNetns bool
	// SnapshotDir is a directory where the runner keeps the snapshot its
	// hosts boot from, so that the next process with the same assets and
	// browser boots its first host from it rather than from scratch. It is
	// made (mode 0700) if missing; New fails if it belongs to another user
	// or others may write to it. Empty: none; a directory that cannot be
	// made or written is logged and not used.
	SnapshotDir string
	// Hooks are told of the runner's events, for metrics.
	Hooks Hooks
	// Logger receives the runner's logs; default slog.Default().
	Logger *slog.Logger
}

// NaiveMode selects a variant of the naive design, in which every job opens a
// new tab that loads Pyodide from scratch, with no pool and no snapshot, and
// the tab is closed after the job. It is kept as the baseline that benchmarks
// compare against, and is not for serving.
type NaiveMode int

const (
	// NotNaive is the runner's own design: a pool of hosts, each restoring
	// a snapshot into a fresh interpreter for each job.
	NotNaive NaiveMode = iota
	// NaiveColdContext opens each job's tab in a new browser context of its
	// own, disposed of after the job, so that every job starts with the
	// browser's per-context caches empty.
	NaiveColdContext
	// NaiveWarmContext opens each job's tab in one browser context that the
	// runner creates when the browser starts and keeps while it runs, as a
	// careful user of the naive design would, so that whatever that
	// context's caches keep from earlier jobs is there for the next.
	// Measured, they keep nothing that helps: request interception answers
	// every request of every tab, Pyodide's files included (though they are
	// sent as cacheable for a year), so Chromium's HTTP cache never serves
	// them to the next tab, and a job's browser CPU time was no lower than
	// in a new context (nor in the browser's default, on-disk context).
	NaiveWarmContext
)

// Hooks are called on the runner's events; nil fields are skipped. They must
// return quickly.
type Hooks struct {
	// Refilled is called when a host has a fresh sandbox ready, with the time
	// that took (a new host, or the next worker of a used one).
	Refilled func(took time.Duration)
	// Crashed is called when a renderer dies during a job.
	Crashed func()
	// Restarted is called when Chromium has been restarted after it died.
	Restarted func()
	// TenantSwitched is called when a ready host is retired because the
	// job that took it is of another tenant than the jobs it ran.
	TenantSwitched func()
}

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("runner closed")

// Runner runs jobs, each in a fresh sandbox.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	assets *assetCache

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	browser  *browser // the running Chromium; replaced when it dies
	restarts int      // how often Chromium was restarted
	sessions int      // sessions open

	unshareable atomic.Bool    // the hosts' snapshots cannot be shared (packages are preloaded)
	disk        *snapshotCache // where the shared snapshot is kept between processes; nil: nowhere

	pool    chan *host    // hosts with a sandbox ready
	slots   chan struct{} // one token per host to build
	changed chan struct{} // poked when the pool gains or loses a host
	built   chan struct{} // closed when a new host is offered; under mu
}

// New starts Chromium and begins filling the pool. It returns once the
// browser is up; sandboxes become ready in the background (see Ready).
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.Assets == nil {
		return nil, errors.New("runner: Config.Assets is required")
	}
	if cfg.Naive < NotNaive || cfg.Naive > NaiveWarmContext {
		return nil, fmt.Errorf("runner: Config.Naive is %d, not one of the NaiveMode values", cfg.Naive)
	}
	if cfg.User == "" {
		cfg.User = "sandpit"
	}
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = runtime.NumCPU()
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = cfg.PoolSize
	}
	if cfg.Refill <= 0 {
		cfg.Refill = max(1, runtime.NumCPU()/2)
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Runner{
		cfg:     cfg,
		log:     cfg.Logger,
		assets:  newAssetCache(cfg.Assets),
		pool:    make(chan *host, cfg.PoolSize),
		slots:   make(chan struct{}, cfg.PoolSize),
		changed: make(chan struct{}, 1),
	}
	for range cfg.PoolSize {
		r.slots <- struct{}{}
	}
	if cfg.SnapshotDir != "" && cfg.Naive == NotNaive {
		disk, err := openSnapshotCache(cfg.SnapshotDir)
		if errors.Is(err, ErrUntrustedSnapshotDir) {
			return nil, fmt.Errorf("runner: %w", err)
		}
		if err != nil {
			r.log.Warn("no snapshot cache", "err", err)
		}
		r.disk = disk
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	b, err := r.launch(ctx)
	if err != nil {
		r.cancel()
		return nil, err
	}
	r.browser = b
	r.wg.Go(r.supervise)
	if cfg.Naive != NotNaive {
		return r, nil
	}
	if thp, err := proctree.HugePages(); err == nil && thp != "always" {
		// Each new interpreter is tens of megabytes of fresh memory: its
		// snapshot's copy and the WebAssembly memory it is restored into.
		r.log.Info("transparent huge pages are not always on: each new interpreter faults its memory in 4 KiB at a time; "+
			"with always, a job costs about a fifth less CPU (docs/DEPLOYMENT.md)", "transparent_huge_pages", thp)
	}
	if r.disk != nil {
		r.loadSnapshot(b)
	}
	for range cfg.Refill {
		r.wg.Go(r.fill)
	}
	return r, nil
}

// Ready returns how many jobs could start now without waiting.
func (r *Runner) Ready() int { return len(r.pool) }

// Changed returns a channel that receives a value when Ready may have
// changed, so that readiness can be reported as it happens.
func (r *Runner) Changed() <-chan struct{} { return r.changed }

func (r *Runner) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// offer puts a ready host in the pool.
func (r *Runner) offer(h *host) {
	r.pool <- h
	r.poke()
}

// Close stops the browser and waits for the runner's goroutines.
func (r *Runner) Close() error {
	r.cancel()
	r.wg.Wait()
	r.drain()
	r.current().close()
	return nil
}

// current returns the running browser.
func (r *Runner) current() *browser {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.browser
}

// Restarts returns how often Chromium has been restarted after it died.
func (r *Runner) Restarts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.restarts
}

// drain closes the hosts waiting in the pool and frees their slots.
func (r *Runner) drain() {
	for {
		select {
		case h := <-r.pool:
			h.close()
			select {
			case r.slots <- struct{}{}:
			default:
			}
			r.poke()
		default:
			return
		}
	}
}

// supervise restarts Chromium whenever it dies (a crash, a kill, a lost
// DevTools pipe) until Close. Hosts of the dead browser fail their jobs as
// infrastructure failures and are replaced on the new one.
func (r *Runner) supervise() {
	backoff := 500 * time.Millisecond
	for {
		b := r.current()
		select {
		case <-r.ctx.Done():
			return
		case <-b.ctx.Done():
		}
		if r.ctx.Err() != nil {
			return
		}
		r.log.Error("chromium exited; restarting it")
		b.close()
		r.drain()
		for {
			nb, err := r.launch(r.ctx)
			if err == nil {
				r.mu.Lock()
				r.browser = nb
				r.restarts++
				r.mu.Unlock()
				if f := r.cfg.Hooks.Restarted; f != nil {
					f()
				}
				backoff = 500 * time.Millisecond
				break
			}
			if r.ctx.Err() != nil {
				return
			}
			r.log.Error("restart chromium", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-r.ctx.Done():
				return
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}
}

// Run runs spec in a fresh interpreter and returns its result. An error
// means the infrastructure failed (the browser, the host page), not the
// Python code; the job may be retried elsewhere.
func (r *Runner) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Result, error) {
	if r.cfg.Naive != NotNaive {
		h, err := r.newHost(ctx, page.ColdSandboxPath)
		if err != nil {
			return sandpit.Result{}, err
		}
		defer h.close()
		return h.run(ctx, page.MethodRun, spec, r.cfg.Limits)
	}
	h, err := r.take(ctx)
	if err != nil {
		return sandpit.Result{}, err
	}
	res, err := h.run(ctx, page.MethodRun, spec, r.cfg.Limits)
	if errors.Is(err, ErrCrashed) && r.cfg.Hooks.Crashed != nil {
		r.cfg.Hooks.Crashed()
	}
	r.wg.Go(func() { r.recycle(h, err == nil) })
	return res, err
}

// take waits for a ready host that may run a job of the tenant ctx names
// (see WithTenant): one that has run no job yet, or only jobs of that
// tenant. A host of another tenant found in the pool is put back when a
// fitting one is ready too, and otherwise retired, so that a fresh host is
// built in its place: two tenants' jobs never run one after the other in
// one renderer process.
func (r *Runner) take(ctx context.Context) (*host, error) {
	tenant := tenantOf(ctx)
	retired := false
	for {
		var h *host
		select {
		case h = <-r.pool:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.ctx.Done():
			return nil, ErrClosed
		}
		if h.serves(tenant) {
			h.bindTenant(tenant)
			r.poke()
			return h, nil
		}
		if fit := r.takeFitting(tenant); fit != nil {
			r.offer(h)
			return fit, nil
		}
		if !retired {
			// One host makes room for a fresh one, not every host in turn.
			retired = true
			if f := r.cfg.Hooks.TenantSwitched; f != nil {
				f()
			}
			r.wg.Go(func() { r.retire(h) })
			continue
		}
		built := r.builtSignal()
		r.offer(h)
		select {
		case <-built:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// builtSignal returns a channel closed when the next new host is offered.
func (r *Runner) builtSignal() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.built == nil {
		r.built = make(chan struct{})
	}
	return r.built
}

// announceBuilt wakes those waiting for a new host.
func (r *Runner) announceBuilt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.built != nil {
		close(r.built)
		r.built = nil
	}
}

// takeFitting takes a ready host that may serve tenant from those in the
// pool now, without waiting, and puts the others back.
func (r *Runner) takeFitting(tenant string) *host {
	var others []*host
	defer func() {
		for _, o := range others {
			r.offer(o)
		}
	}()
	for {
		select {
		case h := <-r.pool:
			if h.serves(tenant) {
				h.bindTenant(tenant)
				r.poke()
				return h
			}
			others = append(others, h)
		default:
			return nil
		}
	}
}

// retire closes a host and frees its slot for a fresh one.
func (r *Runner) retire(h *host) {
	h.close()
	select {
	case r.slots <- struct{}{}:
	default: // already freed by a drain
	}
	r.poke()
}

// recycle makes a host ready for its next job and puts it back in the pool,
// or replaces it when it failed or has served its share of jobs.
func (r *Runner) recycle(h *host, healthy bool) {
	if healthy && h.jobs < jobsPerHost {
		start := time.Now()
		err := h.reset(r.ctx)
		if err == nil {
			if f := r.cfg.Hooks.Refilled; f != nil {
				f(time.Since(start))
			}
			r.offer(h)
			return
		}
		if r.ctx.Err() == nil {
			r.log.Warn("reset host", "err", err)
		}
	}
	r.retire(h)
}

// fill builds hosts while there are free slots, until Close.
func (r *Runner) fill() {
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-r.slots:
		case <-r.ctx.Done():
			return
		}
		for {
			start := time.Now()
			h, err := r.build()
			if err == nil {
				if f := r.cfg.Hooks.Refilled; f != nil {
					f(time.Since(start))
				}
				r.offer(h)
				r.announceBuilt()
				// A build answers its page's requests for tens of megabytes
				// of assets, base64 in JSON: garbage once the host is up,
				// which the heap would otherwise keep until enough jobs
				// come to trigger a collection, and an idle worker has none.
				// It is returned once nothing is left to build, not after
				// every build, where the next build would fault it in again.
				if len(r.slots) == 0 {
					debug.FreeOSMemory()
				}
				backoff = 100 * time.Millisecond
				break
			}
			if r.ctx.Err() != nil {
				return
			}
			r.log.Warn("build host", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-r.ctx.Done():
				return
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// build builds a host for the pool. A host that makes its own snapshot
// boots Pyodide from scratch, seconds of CPU; so the runner takes the
// snapshot of the first host it builds, before that host is given
// anything, and every later host boots from it (page.SharedSandboxPath),
// through a Chromium restart too, and so do the first hosts of later
// processes when the runner keeps it in a snapshot directory. The
// snapshot was made, in a renderer that had run no job, from the same
// files as every host's own would be. A host that fails to boot from it,
// while the runner is not closing, stops the sharing and removes the kept
// file, and the next host makes a snapshot of its own to share. Where a
// host's snapshot cannot be shared (packages are preloaded, and their
// files live outside it), each host makes its own.
func (r *Runner) build() (*host, error) {
	if r.assets.sharing() {
		h, err := r.newHost(r.ctx, page.SharedSandboxPath)
		if err != nil {
			if r.ctx.Err() == nil {
				r.assets.share(nil)
				if r.disk != nil {
					r.disk.drop()
				}
			}
			return nil, fmt.Errorf("boot from the shared snapshot: %w", err)
		}
		h.shared = true
		return h, nil
	}
	h, err := r.newHost(r.ctx, page.SandboxPath)
	if err != nil || r.unshareable.Load() {
		return h, err
	}
	snapshot, err := h.snapshot()
	switch {
	case err != nil:
		r.log.Warn("take a host's snapshot to share", "err", err)
	case snapshot == nil:
		r.unshareable.Store(true)
	default:
		if r.disk != nil {
			if err := r.disk.store(snapshot); err != nil {
				r.log.Warn("keep the snapshot for later processes", "err", err)
			}
		}
		r.assets.share(snapshot)
	}
	return h, nil
}

// loadSnapshot keys the snapshot directory by b's version and the assets a
// snapshot is made from, and shares the snapshot kept there under that key,
// if any, so that the first host boots from it. Without a key (the browser
// does not say its version), nothing is kept.
func (r *Runner) loadSnapshot(b *browser) {
	v, err := chromedp.CallBrowser(b.ctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		r.log.Warn("no snapshot cache: the browser's version is unknown", "err", err)
		r.disk = nil
		return
	}
	r.disk.key = snapshotKey(v.Product+" "+v.Revision, page.SnapshotInputs, r.assets.get)
	snapshot, err := r.disk.load()
	switch {
	case err != nil:
		r.log.Warn("a kept snapshot is not used", "err", err)
		r.disk.drop()
	case snapshot != nil:
		r.assets.share(snapshot)
		r.log.Info("hosts boot from a kept snapshot", "path", r.disk.path())
	}
}

// browser is one running Chromium.
type browser struct {
	ctx     context.Context // a chromedp context holding the browser
	cancel  context.CancelFunc
	dataDir string
	netns   bool
	cgroup  *memoryCgroup // nil when the OS allows none
	iso     Isolation     // the layers it got
	// shared is the browser context every tab opens in, for
	// NaiveWarmContext; empty otherwise, when each tab has one of its own.
	shared cdp.BrowserContextID
}

// tabContext returns the option that puts a new tab in its browser
// context: the shared one, or a new one of its own.
func (b *browser) tabContext() chromedp.ContextOption {
	if b.shared != "" {
		return chromedp.WithExistingBrowserContext(b.shared)
	}
	return chromedp.WithNewBrowserContext()
}

func (b *browser) close() {
	b.cancel()
	os.RemoveAll(b.dataDir)
	b.cgroup.remove()
}

// launch starts Chromium and its request interception.
func (r *Runner) launch(ctx context.Context) (*browser, error) {
	execPath, err := FindChromium(r.cfg.Chromium)
	if err != nil {
		return nil, err
	}
	id, err := browserIdentity(r.cfg.User)
	if err != nil {
		return nil, err
	}
	var iso Isolation
	missing := map[string]string{}
	unshare, netns := "", false
	if r.cfg.NoNetns {
		missing[LayerNetns] = "turned off"
	} else if u, err := netnsWorks(id); err != nil {
		missing[LayerNetns] = err.Error() + "; request interception and the proxy flags remain"
	} else {
		unshare, netns = u, true
	}
	iso.Netns = netns
	if err := r.require(missing); err != nil {
		return nil, err
	}
	dataDir, err := makeDataDir(id)
	if err != nil {
		return nil, err
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(r.ctx, allocatorOptions(execPath, dataDir, id, unshare, netns)...)
	bctx, bcancel := chromedp.NewContext(allocCtx)
	b := &browser{ctx: bctx, cancel: func() { bcancel(); allocCancel() }, dataDir: dataDir, netns: netns}

	start := make(chan error, 1)
	go func() { start <- chromedp.Do(bctx) }()
	select {
	case err = <-start:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		b.close()
		return nil, fmt.Errorf("start chromium: %w", err)
	}

	missing = map[string]string{}
	pid := chromedp.FromContext(bctx).Browser.Process().Pid
	if limit := r.browserMemory(); limit > 0 {
		cg, err := newMemoryCgroup("sandpit-chromium-", limit, pid)
		b.cgroup = cg
		iso.MemoryCgroup = cg != nil || r.enclosed(err)
		if !iso.MemoryCgroup {
			missing[LayerMemoryCgroup] = err.Error() + "; memory allocated through JavaScript is bounded only by the machine"
		}
	} else {
		missing[LayerMemoryCgroup] = "no memory cap was asked for"
	}
	if err := awaitSandbox(ctx, pid); err != nil {
		missing[LayerSandbox] = err.Error()
	}
	iso.Sandbox = missing[LayerSandbox] == ""
	if err := r.require(missing); err != nil {
		b.close()
		return nil, err
	}
	b.iso = iso

	// Every request of every target is paused at the browser and answered
	// from memory or refused.
	c := chromedp.FromContext(bctx)
	events := chromedp.BrowserEvents(bctx, fetch.RequestPaused)
	if _, err := chromedp.CallBrowser(bctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "*"}},
	}); err != nil {
		b.close()
		return nil, fmt.Errorf("intercept requests: %w", err)
	}
	r.wg.Go(func() { r.assets.intercept(bctx, c.Browser, events) })
	if r.cfg.Naive == NaiveWarmContext {
		res, err := chromedp.CallBrowser(bctx, target.CreateBrowserContext, target.CreateBrowserContextParams{})
		if err != nil {
			b.close()
			return nil, fmt.Errorf("create the shared browser context: %w", err)
		}
		b.shared = res.BrowserContextID
	}
	r.log.Info("chromium started", "path", execPath, "netns", netns, "user", r.cfg.User)
	return b, nil
}
