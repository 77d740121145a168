package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/inspector"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/page"
)

// startTimeout bounds how long a host may take to become ready, which
// includes booting Pyodide from scratch once to make its snapshot.
const startTimeout = 90 * time.Second

// resultGrace is how long past the job's own timeout the runner waits for the
// page to answer before it gives the host up.
const resultGrace = 5 * time.Second

// jobsPerHost bounds how many jobs one host page serves before it is
// replaced, so that nothing a page accumulates can grow without bound.
const jobsPerHost = 500

// ErrCrashed is returned by Run when the sandbox's renderer process died
// during the job (killed for memory, or crashed).
var ErrCrashed = errors.New("the sandbox's renderer crashed")

// host is one tab, in a browser context of its own, whose page keeps a fresh
// interpreter ready in a module worker. It runs one job at a time, each in a
// new worker; the browser context is never shared with another host, so two
// jobs running at once never share an origin's storage. (The one exception
// is the NaiveWarmContext baseline, which is not for serving: its tabs share
// one browser context by design.)
type host struct {
	ctx     context.Context // the tab's chromedp context
	cancel  context.CancelFunc
	frame   cdp.FrameID               // the tab's, whose requests the assets answer
	assets  *assetCache               // which keeps the tab's fetch budget
	page    cdpruntime.RemoteObjectID // the page's protocol object
	jobs    int
	crashed chan struct{} // closed when the tab's renderer dies
	used    bool          // the host has been taken for a job or a session
	shared  bool          // it booted from the runner's shared snapshot
	tenant  string        // whose jobs it runs, once used

	mu   sync.Mutex
	sink *outputSink // of the job running, nil when none watches
}

// newHost opens a tab in a new browser context (or, for NaiveWarmContext,
// in the browser's shared one), loads the page at path and waits until its
// first sandbox is ready.
func (r *Runner) newHost(ctx context.Context, path string) (*host, error) {
	h := &host{crashed: make(chan struct{}), assets: r.assets}
	var once sync.Once
	tctx, cancel := r.openTab(chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *inspector.EventTargetCrashed:
			once.Do(func() { close(h.crashed) })
		case *cdpruntime.EventBindingCalled:
			if ev.Name == page.OutputBinding {
				h.output(ev.Payload)
			}
		}
	}))
	h.ctx, h.cancel = tctx, cancel
	// The first action on a tab's context binds the tab's life to the context
	// it is given, so it gets the tab's own context, with no deadline.
	if err := chromedp.Do(tctx); err != nil {
		h.close()
		return nil, fmt.Errorf("open host tab: %w", err)
	}
	h.frame = cdp.FrameID(chromedp.FromContext(tctx).Target.TargetID)
	h.assets.open(h.frame)
	sctx, scancel := context.WithTimeout(tctx, startTimeout)
	defer scancel()
	stop := context.AfterFunc(ctx, scancel)
	defer stop()
	// The binding outlives navigations: the page finds it when it loads.
	if _, err := chromedp.Call(sctx, cdpruntime.AddBinding, cdpruntime.AddBindingParams{Name: page.OutputBinding}); err != nil {
		h.close()
		return nil, fmt.Errorf("add the output binding: %w", err)
	}
	err := chromedp.Do(sctx,
		chromedp.Navigate(Origin+path),
		h.bind(),
		h.awaitReady(),
	)
	if err != nil {
		h.close()
		return nil, fmt.Errorf("start host: %w", err)
	}
	return h, nil
}

// openTab makes the context of a new tab of the running browser, in its
// browser context (see browser.tabContext). The tab opens on the context's
// first run.
func (r *Runner) openTab(opts ...chromedp.ContextOption) (context.Context, context.CancelFunc) {
	b := r.current()
	return chromedp.NewContext(b.ctx, append([]chromedp.ContextOption{b.tabContext()}, opts...)...)
}

// bind finds the page's protocol object, on which every later call is
// made.
func (h *host) bind() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		var none chromedp.Void
		obj, err := chromedp.Evaluate[*cdpruntime.RemoteObject]("globalThis."+page.ProtocolObject)(ctx, t)
		if err != nil {
			return none, fmt.Errorf("find the page's protocol object: %w", err)
		}
		if obj == nil || obj.ObjectID == "" {
			return none, fmt.Errorf("the page has no protocol object %q", page.ProtocolObject)
		}
		h.page = obj.ObjectID
		return none, nil
	}
}

// pageCall is the one function the runner runs in a page: it calls the
// protocol object's method with the arguments, which come as protocol
// values, never as source text.
const pageCall = "function (method, ...args) { return this[method](...args); }"

// call calls method of the page's protocol object with args, waits for the
// promise it returns, and decodes what that resolves with into T.
func call[T any](h *host, method string, args ...any) chromedp.Action[T] {
	await := true
	return chromedp.CallFunctionOn[T](pageCall, func(p *cdpruntime.CallFunctionOnParams) {
		p.ObjectID = h.page
		p.AwaitPromise = &await
	}, append([]any{method}, args...)...)
}

// awaitReady waits until the host's next sandbox has booted.
func (h *host) awaitReady() chromedp.Action[chromedp.Void] {
	return call[chromedp.Void](h, page.MethodReady)
}

// snapshotChunkBytes is how much of a snapshot one DevTools message
// carries: a few megabytes, in base64.
const snapshotChunkBytes = 4 << 20

// snapshot reads the snapshot the host made, for other hosts to boot from,
// or nil when it has none to share (see page.SnapshotChunk).
func (h *host) snapshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(h.ctx, startTimeout)
	defer cancel()
	var out []byte
	for {
		c, err := chromedp.Run(ctx, call[*page.SnapshotChunk](h, page.MethodSnapshotChunk, len(out), snapshotChunkBytes))
		if err != nil {
			return nil, fmt.Errorf("read the host's snapshot: %w", err)
		}
		if c == nil {
			return nil, nil
		}
		if out == nil {
			if c.Size <= 0 || c.Size > maxSnapshotBytes {
				return nil, fmt.Errorf("the host's snapshot is %d bytes", c.Size)
			}
			out = make([]byte, 0, c.Size)
		}
		if len(c.Data) == 0 || len(out)+len(c.Data) > c.Size || c.Size != cap(out) {
			return nil, fmt.Errorf("the host's snapshot came in pieces that do not add up (%d bytes of %d, then %d)", len(out), cap(out), len(c.Data))
		}
		out = append(out, c.Data...)
		if len(out) == c.Size {
			return out, nil
		}
	}
}

// maxSnapshotBytes bounds a snapshot the runner keeps: the interpreter's
// memory when it was made, tens of megabytes.
const maxSnapshotBytes = 1 << 30

// bootStages returns how long the host's last sandbox boot took in each of
// its stages, in ms (see page.MethodBootStages), for benchmarks.
func (h *host) bootStages(ctx context.Context) (map[string]float64, error) {
	rctx, cancel := context.WithTimeout(h.ctx, startTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	stages, err := chromedp.Run(rctx, call[map[string]float64](h, page.MethodBootStages))
	if err != nil {
		return nil, fmt.Errorf("boot stages: %w", err)
	}
	if stages == nil {
		return nil, errors.New("boot stages: the page has booted no sandbox from its snapshot")
	}
	return stages, nil
}

// reset makes the host fit for its next job: it wipes every kind of storage
// of the page's origin, so that nothing the last job stored (had it found a
// way to) is there for the next, and waits for the next sandbox.
func (h *host) reset(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(h.ctx, startTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	_, err := chromedp.Call(rctx, storage.ClearDataForOrigin, storage.ClearDataForOriginParams{
		Origin: Origin, StorageTypes: "all",
	})
	if err != nil {
		return fmt.Errorf("wipe host storage: %w", err)
	}
	if err := chromedp.Do(rctx, h.awaitReady()); err != nil {
		return fmt.Errorf("wait for next sandbox: %w", err)
	}
	return nil
}

// close closes the tab and disposes of its browser context, unless that is
// the shared one.
func (h *host) close() {
	h.cancel()
	h.assets.forget(h.frame)
}

// run runs one job through the page's method (page.MethodRun or
// page.MethodRunInSession): spec with its timeout and memory cap made
// explicit, and the limits as their own argument.
func (h *host) run(ctx context.Context, method string, spec sandpit.Spec, l sandpit.Limits) (sandpit.Result, error) {
	h.jobs++
	h.assets.open(h.frame) // each job has a fetch budget of its own
	timeout := l.Timeout(spec)
	memoryMB := l.MemoryMB(spec)
	spec.TimeoutMS, spec.MemoryMB = int(timeout.Milliseconds()), memoryMB
	rctx, cancel := context.WithTimeout(h.ctx, timeout+resultGrace)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	if watch := outputOf(ctx); watch != nil {
		h.watch(&outputSink{fn: watch, room: 2*l.WithDefaults().MaxOutputBytes + 1<<10})
		defer h.watch(nil)
	}
	go func() {
		select {
		case <-h.crashed:
			cancel()
		case <-rctx.Done():
		}
	}()
	raw, err := chromedp.Run(rctx, call[[]byte](h, method, spec, page.LimitsOf(l)))
	if err != nil {
		select {
		case <-h.crashed:
			return sandpit.Result{}, ErrCrashed
		default:
		}
		if ctx.Err() != nil {
			return sandpit.Result{}, ctx.Err()
		}
		return sandpit.Result{}, fmt.Errorf("run in sandbox: %w", err)
	}
	return parseOutcome(raw, spec, timeout, memoryMB, l), nil
}
