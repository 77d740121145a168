package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"path"
	"sync"
	"time"

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
// jobs running at once never share an origin's storage.
type host struct {
	ctx     context.Context // the tab's chromedp context
	cancel  context.CancelFunc
	page    cdpruntime.RemoteObjectID // the page's protocol object
	jobs    int
	crashed chan struct{} // closed when the tab's renderer dies
}

// newHost opens a tab in a new browser context, loads the page at path and
// waits until its first sandbox is ready.
func (r *Runner) newHost(ctx context.Context, path string) (*host, error) {
	h := &host{crashed: make(chan struct{})}
	var once sync.Once
	tctx, cancel := chromedp.NewContext(r.current().ctx, chromedp.WithNewBrowserContext(),
		chromedp.WithListener(func(ev any) {
			if _, ok := ev.(*inspector.EventTargetCrashed); ok {
				once.Do(func() { close(h.crashed) })
			}
		}))
	h.ctx, h.cancel = tctx, cancel
	// The first action on a tab's context binds the tab's life to the context
	// it is given, so it gets the tab's own context, with no deadline.
	if err := chromedp.Do(tctx); err != nil {
		h.close()
		return nil, fmt.Errorf("open host tab: %w", err)
	}
	sctx, scancel := context.WithTimeout(tctx, startTimeout)
	defer scancel()
	stop := context.AfterFunc(ctx, scancel)
	defer stop()
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

// close closes the tab and disposes of its browser context.
func (h *host) close() { h.cancel() }

// run runs one job through the page's method (page.MethodRun or
// page.MethodRunInSession): spec with its timeout and memory cap made
// explicit, and the limits as their own argument.
func (h *host) run(ctx context.Context, method string, spec sandpit.Spec, l sandpit.Limits) (sandpit.Result, error) {
	h.jobs++
	timeout := l.Timeout(spec)
	memoryMB := l.MemoryMB(spec)
	spec.TimeoutMS, spec.MemoryMB = int(timeout.Milliseconds()), memoryMB
	rctx, cancel := context.WithTimeout(h.ctx, timeout+resultGrace)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
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
	return parseOutcome(raw, spec, timeout, memoryMB, l)
}

// parseOutcome validates the page's report and turns it into a result.
func parseOutcome(raw []byte, spec sandpit.Spec, timeout time.Duration, memoryMB int, l sandpit.Limits) (sandpit.Result, error) {
	// Output is capped in the page; anything much larger is not from it.
	if max := 2*l.MaxOutputBytes*4 + l.MaxFileBytes*2 + l.MaxOutputBytes + 1<<20; len(raw) > max {
		return sandpit.Result{}, fmt.Errorf("sandbox result is %d bytes, over %d", len(raw), max)
	}
	var o page.Outcome
	if err := json.Unmarshal(raw, &o); err != nil {
		return sandpit.Result{}, fmt.Errorf("decode sandbox result: %w", err)
	}
	res := sandpit.Result{
		Status:          o.Status,
		Stdout:          capString(o.Stdout, l.MaxOutputBytes),
		Stderr:          capString(o.Stderr, l.MaxOutputBytes),
		StdoutTruncated: o.StdoutTruncated || len(o.Stdout) > l.MaxOutputBytes,
		StderrTruncated: o.StderrTruncated || len(o.Stderr) > l.MaxOutputBytes,
		Files:           []sandpit.File{},
		FilesTruncated:  o.FilesTruncated,
	}
	switch o.Status {
	case sandpit.StatusSucceeded, sandpit.StatusFailed:
		if o.ExitCode == nil {
			return sandpit.Result{}, errors.New("sandbox result has no exit code")
		}
		res.ExitCode = o.ExitCode
		if (*o.ExitCode == 0) != (o.Status == sandpit.StatusSucceeded) {
			return sandpit.Result{}, fmt.Errorf("sandbox result: status %s with exit code %d", o.Status, *o.ExitCode)
		}
		res.Result = o.Result.Result
		res.Error = o.Error
		if spec.Test != "" {
			// The harness says whether the test ran to the end; a job that
			// exited or raised before, with any code, did not pass.
			passed := o.Passed != nil && *o.Passed && o.Status == sandpit.StatusSucceeded && o.Error == nil
			res.Passed = &passed
		}
		total := 0
		for _, f := range o.Files {
			data, err := base64.StdEncoding.DecodeString(f.Content)
			if err != nil || f.Encoding != sandpit.EncodingBase64 || f.Path == "" {
				return sandpit.Result{}, fmt.Errorf("sandbox result: bad file %q", f.Path)
			}
			total += len(data)
			if len(res.Files) >= l.MaxFiles || total > l.MaxFileBytes {
				res.FilesTruncated = true
				break
			}
			res.Files = append(res.Files, sandpit.File{
				Path:     f.Path,
				Content:  f.Content,
				Encoding: sandpit.EncodingBase64,
				MimeType: mimeType(f.Path),
				Size:     len(data),
			})
		}
	case sandpit.StatusTimeout:
		res.Message = fmt.Sprintf("the code ran longer than its timeout of %v", timeout)
		res.Passed = failedTest(spec)
	case sandpit.StatusMemoryLimit:
		res.Message = fmt.Sprintf("the code tried to use more than its memory limit of %d MB", memoryMB)
		res.Error = o.Error
		res.Passed = failedTest(spec)
	case sandpit.StatusError:
		return sandpit.Result{}, fmt.Errorf("sandbox failed: %s", capString(o.Message, 500))
	default:
		return sandpit.Result{}, fmt.Errorf("sandbox result has unknown status %q", o.Status)
	}
	return res, nil
}

// failedTest is Passed for a job that ended without a verdict of its own.
func failedTest(spec sandpit.Spec) *bool {
	if spec.Test == "" {
		return nil
	}
	f := false
	return &f
}

func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func mimeType(p string) string {
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}
