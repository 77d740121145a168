package runner

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpio "github.com/chromedp/cdproto/io"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/proctree"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
)

// The Trace benchmarks say where the browser's CPU time goes, thread by
// thread, two ways: from /proc/PID/task/TID/stat of every thread of
// Chromium's processes, before and after the work (untouched by any
// tracing), and from a trace of the same work taken with the DevTools
// Tracing domain, which names the tasks each thread ran.
var (
	traceCategories = flag.String("trace.categories",
		"toplevel,v8,v8.execute,v8.wasm,blink,devtools,devtools.timeline,disabled-by-default-devtools.timeline,disabled-by-default-v8.compile,disabled-by-default-v8.wasm.detailed,ipc,mojom,loading,navigation",
		"the trace categories of the Trace benchmarks, comma-separated")
	traceCycles = flag.Int("trace.cycles", 3, "how many cycles of BenchmarkTraceJob the trace holds")
	traceOut    = flag.String("trace.out", "", "a path prefix: each trace the Trace benchmarks take is also written to PREFIX<name>.json, for Perfetto or chrome://tracing")
	traceTop    = flag.Int("trace.top", 8, "how many of each thread's tasks and slices, by CPU, the Trace benchmarks list")
)

// BenchmarkTraceJob takes a job of print(1) and the boot of the next
// sandbox after it, a cycle, apart by thread: the browser's CPU time per
// cycle by process kind (<kind>-cpu-ms/op, from /proc), and in the log each
// thread's share, then a trace of -trace.cycles more cycles with each
// thread's top slices.
func BenchmarkTraceJob(b *testing.B) {
	ctx := context.Background()
	// The pool full, so that no host is being built beside the cycles.
	if !testenv.WaitFor(3*time.Minute, func() bool { return testRunner.Ready() == testRunner.cfg.PoolSize }) {
		b.Fatal("the pool did not fill")
	}
	h := <-testRunner.pool
	defer testRunner.recycle(h, true)
	cycle := func() {
		res, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: "print(1)"}, testRunner.cfg.Limits)
		if err != nil || res.Stdout != "1\n" {
			b.Fatalf("run: %+v, %v", res, err)
		}
		if err := h.reset(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cycle() // the host's first job, so that every measured one follows another
	before := browserThreads(b)
	for b.Loop() {
		cycle()
	}
	reportThreads(b, browserThreads(b).since(before), b.N)

	n := max(1, *traceCycles)
	events := traceBrowser(b, "job", func() {
		for range n {
			cycle()
		}
	})
	b.Log("\n" + formatThreads(mergeThreads(summariseTrace(events)), n, *traceTop, 500*time.Microsecond))
}

// BenchmarkTraceHostBuild takes a new host apart by thread, as
// BenchmarkTraceJob does a cycle: one that boots Pyodide from scratch to
// make its own snapshot, and one that boots from the snapshot the runner
// shares (see BenchmarkHostBuild). The trace holds one more build.
func BenchmarkTraceHostBuild(b *testing.B) {
	ctx := context.Background()
	for _, bc := range hostKinds(b) {
		b.Run(bc.name, func(b *testing.B) {
			build := func() *host {
				h, err := testRunner.newHost(ctx, bc.path)
				if err != nil {
					b.Fatal(err)
				}
				return h
			}
			var used threadTimes
			for b.Loop() {
				before := browserThreads(b)
				h := build()
				used = used.plus(browserThreads(b).since(before))
				h.close()
			}
			reportThreads(b, used, b.N)
			var h *host
			events := traceBrowser(b, "host-"+bc.name, func() { h = build() })
			h.close()
			b.Log("\n" + formatThreads(mergeThreads(summariseTrace(events)), 1, *traceTop, 2*time.Millisecond))
		})
	}
}

// threadTimes is the CPU time of the browser's threads, by process id and
// thread id; thread id 0 holds the process's own time, which counts the
// threads that have exited too.
type threadTimes map[threadKey]threadTime

type threadTime struct {
	kind string // browser, renderer, gpu-process, utility, zygote; sandpit for this process
	comm string // the thread's name, at most 15 bytes; "main" for the process's first thread
	cpu  time.Duration
}

// exitedThreads names the time of threads that exited between two
// readings: in a renderer, each job's worker thread.
const exitedThreads = "(exited)"

// browserThreads reads the CPU time of every thread of every process of
// the running browser.
func browserThreads(b *testing.B) threadTimes {
	b.Helper()
	pid := testRunner.BrowserPID()
	if pid == 0 {
		b.Fatal("no browser process")
	}
	out := threadTimes{}
	// This process stands for sandpit: the runner's DevTools client and
	// request interception (and the readings of /proc themselves).
	if st, err := proctree.ReadStat(os.Getpid()); err == nil {
		out[threadKey{st.PID, 0}] = threadTime{kind: "sandpit", comm: "(all threads)", cpu: st.Own}
	}
	for _, p := range groupPIDs(pid) {
		st, err := proctree.ReadStat(p)
		if err != nil {
			continue // gone
		}
		threads, err := proctree.Threads(p)
		if err != nil {
			continue
		}
		kind := processKind(p)
		out[threadKey{p, 0}] = threadTime{kind: kind, comm: exitedThreads, cpu: st.Own}
		for _, t := range threads {
			comm := t.Comm
			if t.PID == p {
				comm = "main"
			}
			out[threadKey{p, t.PID}] = threadTime{kind: kind, comm: comm, cpu: t.Own}
		}
	}
	return out
}

// processKind names a Chromium process by its --type flag; the browser
// process has none.
func processKind(pid int) string {
	if kind := proctree.ChromiumType(pid); kind != "" {
		return kind
	}
	return "browser"
}

// since returns what each thread used after before was read; a thread
// or process that came since counts in full. What threads that exited in
// between used is the process's time less that of its threads still
// there, under thread id 0; a process that exited is left out.
func (t threadTimes) since(before threadTimes) threadTimes {
	out := threadTimes{}
	for k, v := range t {
		v.cpu -= before[k].cpu
		out[k] = v
	}
	for k, v := range out {
		if k.tid != 0 {
			p := out[threadKey{k.pid, 0}]
			p.cpu -= v.cpu
			out[threadKey{k.pid, 0}] = p
		}
	}
	return out
}

// plus sums two readings of since, thread by thread.
func (t threadTimes) plus(o threadTimes) threadTimes {
	out := threadTimes{}
	for k, v := range t {
		out[k] = v
	}
	for k, v := range o {
		w := out[k]
		w.kind, w.comm, w.cpu = v.kind, v.comm, w.cpu+v.cpu
		out[k] = w
	}
	return out
}

// reportThreads reports the CPU time per op by process kind as metrics, and
// logs it by kind and thread name.
func reportThreads(b *testing.B, t threadTimes, n int) {
	b.Helper()
	type row struct {
		kind, comm string
		cpu        time.Duration
		threads    int
	}
	kinds := map[string]time.Duration{}
	rows := map[[2]string]*row{}
	var total time.Duration
	for _, v := range t {
		if v.cpu == 0 {
			continue
		}
		kinds[v.kind] += v.cpu
		total += v.cpu
		k := [2]string{v.kind, v.comm}
		if rows[k] == nil {
			rows[k] = &row{kind: v.kind, comm: v.comm}
		}
		rows[k].cpu += v.cpu
		rows[k].threads++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	var sorted []*row
	for _, r := range rows {
		sorted = append(sorted, r)
	}
	slices.SortFunc(sorted, func(a, b *row) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), cmp.Compare(b.cpu, a.cpu), strings.Compare(a.comm, b.comm))
	})
	var s strings.Builder
	fmt.Fprintf(&s, "\nCPU per op from /proc, %d op(s): %.1f ms\n", n, ms(total))
	for _, r := range sorted {
		threads := fmt.Sprintf("%3d thread(s)", r.threads)
		if r.comm == exitedThreads {
			threads = fmt.Sprintf("%3d process(es)", r.threads)
		}
		fmt.Fprintf(&s, "%-12s %-16s %-16s %8.1f ms %5.1f %%\n", r.kind, r.comm, threads, ms(r.cpu), 100*float64(r.cpu)/float64(total))
	}
	b.Log(s.String())
	for kind, d := range kinds {
		b.ReportMetric(ms(d), kind+"-cpu-ms/op")
	}
	b.ReportMetric(ms(total), "cpu-ms/op")
}

// traceBrowser records a trace of all of the browser's processes while
// work runs, and returns its events.
func traceBrowser(b *testing.B, name string, work func()) []traceEvent {
	b.Helper()
	ctx, cancel := context.WithTimeout(testRunner.current().ctx, 5*time.Minute)
	defer cancel()
	complete := chromedp.BrowserEvents(ctx, tracing.TracingComplete)
	_, err := chromedp.CallBrowser(ctx, tracing.Start, tracing.StartParams{
		TransferMode: tracing.StartTransferModeReturnAsStream,
		StreamFormat: tracing.StreamFormatJSON,
		TraceConfig: &tracing.TraceConfig{
			RecordMode:         tracing.TraceConfigRecordModeRecordAsMuchAsPossible,
			IncludedCategories: strings.Split(*traceCategories, ","),
		},
	})
	if err != nil {
		b.Fatalf("start tracing: %v", err)
	}
	work()
	if _, err := chromedp.CallBrowser(ctx, tracing.End, cdp.Empty{}); err != nil {
		b.Fatalf("end tracing: %v", err)
	}
	var done tracing.EventTracingComplete
	for ev, err := range complete {
		if err != nil {
			b.Fatalf("wait for the trace: %v", err)
		}
		done = ev
		break
	}
	if done.DataLossOccurred {
		b.Log("the trace lost events: its buffer was full")
	}
	var data []byte
	for {
		r, err := chromedp.CallBrowser(ctx, cdpio.Read, cdpio.ReadParams{Handle: done.Stream, Size: 4 << 20})
		if err != nil {
			b.Fatalf("read the trace: %v", err)
		}
		data = append(data, r.Data...)
		if r.EOF {
			break
		}
	}
	chromedp.CallBrowser(ctx, cdpio.Close, cdpio.CloseParams{Handle: done.Stream})
	if *traceOut != "" {
		if err := os.WriteFile(*traceOut+name+".json", data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	events, err := readTrace(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	return events
}
