package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sandpit-dev/sandpit/internal/proctree"
)

// The groups of processes whose CPU time bench reports, in the order shown.
const (
	groupSandpit   = "sandpit"
	groupBrowser   = "chromium browser"
	groupZygote    = "chromium zygote"
	groupHelpers   = "chromium gpu, utility"
	groupRenderers = "chromium renderers"
	groupRedis     = "redis-server"
	groupOther     = "other"
)

var cpuGroups = []string{groupSandpit, groupBrowser, groupZygote, groupHelpers, groupRenderers, groupRedis, groupOther}

// cpuMeter measures the CPU time that a server on this machine uses: its
// process and all it started (Chromium, a private redis-server), and an
// external redis-server when given, each with the children it reaped.
type cpuMeter struct {
	server  int
	roots   []int
	reason  string // why CPU cannot be measured, when it cannot
	before  proctree.Sample
	busy    time.Duration // the machine's, at the start
	load    float64       // the machine's load average, at the start
	thp     string        // when Linux uses transparent huge pages, at the start
	started time.Time
}

// newCPUMeter finds the server's process: serverPID when given, else the
// `sandpit serve` listening on serverURL's port on this machine.
func newCPUMeter(serverURL string, serverPID, redisPID int) *cpuMeter {
	m := &cpuMeter{server: serverPID}
	if m.server == 0 {
		pid, err := localServer(serverURL)
		if err != nil {
			m.reason = err.Error()
			return m
		}
		m.server = pid
	}
	m.roots = []int{m.server}
	if redisPID != 0 {
		m.roots = append(m.roots, redisPID)
	}
	return m
}

// localServer returns the process of the `sandpit serve` that listens on
// the port of serverURL, which must be on this machine.
func localServer(serverURL string) (int, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return 0, fmt.Errorf("--server %q: %w", serverURL, err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0, fmt.Errorf("the server (%s) is not on this machine's loopback; pass --server-pid if it runs here", host)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		port = map[string]int{"http": 80, "https": 443}[u.Scheme]
	}
	pids, err := proctree.Listeners(port)
	if err != nil {
		return 0, err
	}
	for _, pid := range pids {
		if args := proctree.Cmdline(pid); slices.Contains(args, "serve") {
			return pid, nil
		}
	}
	if len(pids) == 0 {
		return 0, fmt.Errorf("no process of this machine listens on port %d; pass --server-pid", port)
	}
	return 0, fmt.Errorf("the process listening on port %d (%d) is not `sandpit serve`; pass --server-pid", port, pids[0])
}

// classify names the group of process s, and that of its children that
// have exited: the children of Chromium's zygote are renderers, so a host's
// renderer that exits during a run stays in the renderers' time.
func (m *cpuMeter) classify(s proctree.Stat) (own, reaped string) {
	g := m.group(s)
	if g == groupZygote {
		return g, groupRenderers
	}
	return g, g
}

// group names the group of process s.
func (m *cpuMeter) group(s proctree.Stat) string {
	switch {
	case s.PID == m.server:
		return groupSandpit
	case s.Comm == "redis-server":
		return groupRedis
	case !strings.Contains(s.Comm, "chrom") && !strings.Contains(s.Comm, "headless"):
		return groupOther
	}
	switch proctree.ChromiumType(s.PID) {
	case "":
		return groupBrowser
	case "zygote":
		return groupZygote
	case "renderer":
		return groupRenderers
	default:
		return groupHelpers
	}
}

// start takes the first reading, before the jobs.
func (m *cpuMeter) start() {
	if m.reason != "" {
		return
	}
	s, err := proctree.Measure(m.roots, m.classify)
	if err != nil {
		m.reason = err.Error()
		return
	}
	m.before = s
	m.busy, _ = proctree.MachineBusy()
	m.load, _ = proctree.LoadAverage()
	m.thp, _ = proctree.HugePages()
	m.started = time.Now()
}

// report takes the second reading and prints the CPU time per job of
// each group between the two; run names what ran between them.
func (m *cpuMeter) report(w io.Writer, run string, jobs int) error {
	if m.reason == "" && jobs <= 0 {
		m.reason = "no jobs were run"
	}
	if m.reason != "" {
		_, err := fmt.Fprintf(w, "CPU per job: cannot be measured: %s\n\n", m.reason)
		return err
	}
	after, err := proctree.Measure(m.roots, m.classify)
	if err != nil {
		return fmt.Errorf("measure CPU: %w", err)
	}
	used := after.Since(m.before)
	wall := time.Since(m.started)
	perJob := func(d time.Duration) string {
		return fmt.Sprintf("%7.1f ms", float64(d)/float64(time.Millisecond)/float64(jobs))
	}
	fmt.Fprintf(w, "CPU per job during %s (from /proc: process %d and its children", run, m.server)
	if len(m.roots) > 1 {
		fmt.Fprintf(w, ", process %d", m.roots[1])
	}
	fmt.Fprintf(w, "), over %s of wall time:\n", wall.Round(time.Millisecond))
	fmt.Fprintf(w, "  %-24s %s\n", "all of the server", perJob(used.Total()))
	for _, g := range cpuGroups {
		if _, ok := used[g]; ok || g != groupOther {
			fmt.Fprintf(w, "  %-24s %s\n", g, perJob(used[g]))
		}
	}
	if busy, err := proctree.MachineBusy(); err == nil {
		load, _ := proctree.LoadAverage()
		fmt.Fprintf(w, "  %-24s %s (every process of the machine, the server's and others'); load average %.2f at the start, %.2f at the end\n",
			"machine", perJob(busy-m.busy), m.load, load)
	}
	if m.thp != "" {
		// Each new interpreter faults in tens of megabytes of fresh
		// memory, so this setting moves the figures above.
		fmt.Fprintf(w, "  transparent huge pages: %s\n", m.thp)
	}
	fmt.Fprintln(w)
	return nil
}
