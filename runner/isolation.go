package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sandpit-dev/sandpit/internal/cgroup"
)

// The layers of isolation sandpit gives Chromium besides those of the page
// (SECURITY.md): each can be missing where the machine does not allow it.
const (
	// LayerNetns is the empty network namespace Chromium runs in.
	LayerNetns = "netns"
	// LayerSandbox is Chromium's own sandbox of its renderers.
	LayerSandbox = "sandbox"
	// LayerMemoryCgroup is the memory cgroup that caps all of Chromium.
	LayerMemoryCgroup = "memory_cgroup"
)

// Layers are the layers of isolation, in the order they are reported.
var Layers = []string{LayerNetns, LayerSandbox, LayerMemoryCgroup}

// Isolation says which layers the running browser has.
type Isolation struct {
	Netns, Sandbox, MemoryCgroup bool
}

// Has reports whether layer is active.
func (i Isolation) Has(layer string) bool {
	switch layer {
	case LayerNetns:
		return i.Netns
	case LayerSandbox:
		return i.Sandbox
	case LayerMemoryCgroup:
		return i.MemoryCgroup
	}
	return false
}

// Isolation returns the layers the running browser has.
func (r *Runner) Isolation() Isolation { return r.current().iso }

// IsolationError is returned by New when Config.RequireIsolation is set and
// a layer could not be had; Missing maps each missing layer to why.
type IsolationError struct {
	Missing map[string]string
}

// layerNames are the layers as an operator knows them.
var layerNames = map[string]string{
	LayerNetns:        "an empty network namespace",
	LayerSandbox:      "Chromium's own sandbox",
	LayerMemoryCgroup: "a memory cgroup",
}

func (e *IsolationError) Error() string {
	var parts []string
	for _, l := range Layers {
		if why, ok := e.Missing[l]; ok {
			parts = append(parts, fmt.Sprintf("%s (%s: %s)", layerNames[l], l, why))
		}
	}
	return "chromium would run without " + strings.Join(parts, ", and without ")
}

// require fails with the layers of missing when isolation is required, and
// otherwise warns of them.
func (r *Runner) require(missing map[string]string) error {
	if len(missing) == 0 {
		return nil
	}
	if r.cfg.RequireIsolation {
		return &IsolationError{Missing: missing}
	}
	for _, l := range Layers {
		if why, ok := missing[l]; ok {
			r.log.Warn("chromium runs without "+layerNames[l], "layer", l, "why", why)
		}
	}
	return nil
}

// errNoZygote says that the browser has no sandboxed zygote (yet).
var errNoZygote = errors.New("no sandboxed zygote process was found")

// errNoSandboxFlag says that a process of the browser runs with
// --no-sandbox: waiting changes nothing.
var errNoSandboxFlag = errors.New("--no-sandbox")

// sandboxWait is how long a new browser is given to start its sandboxed
// zygote.
const sandboxWait = 10 * time.Second

// awaitSandbox checks Chromium's sandbox (sandboxed), giving the browser
// whose process group is pgid sandboxWait to start its zygote and to
// sandbox its first renderer.
func awaitSandbox(ctx context.Context, pgid int) error {
	deadline := time.Now().Add(sandboxWait)
	for {
		err := sandboxed(pgid)
		if err == nil || errors.Is(err, errNoSandboxFlag) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// enclosed reports whether the browser, which could not have a memory
// cgroup of its own (err), is capped by the memory limit of sandpit's own
// cgroup, as in a container with a memory limit: the browser's processes
// are in it too.
func (r *Runner) enclosed(err error) bool {
	lim, lerr := cgroup.Own()
	if lerr != nil || lim.Memory <= 0 {
		return false
	}
	r.log.Info("no memory cgroup of chromium's own; the memory limit of sandpit's cgroup caps it", "limit_mib", lim.Memory>>20, "why", err)
	return true
}

// memoryShare is the part of the memory sandpit may use that the browser
// is capped at by default: the rest is for sandpit and Redis clients,
// and for the machine's own needs.
const memoryShare = 0.75

// browserMemory is the browser's memory cap in bytes, 0 for none: by
// default three quarters of the memory sandpit may use (its cgroup's
// limit, or the machine's), whatever the pool's size; where that is not
// known, enough for the pool and the sessions at their largest.
func (r *Runner) browserMemory() int64 {
	mb := r.cfg.BrowserMemoryMB
	if mb < 0 {
		return 0
	}
	if mb > 0 {
		return int64(mb) << 20
	}
	if total, err := cgroup.OwnMemory(); err == nil && total > 0 {
		return int64(float64(total) * memoryShare)
	}
	return int64((r.cfg.PoolSize+r.cfg.MaxSessions)*(r.cfg.Limits.MaxMemoryMB+512)) << 20
}
