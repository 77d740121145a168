package runner

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// This file reads a Chromium trace (the JSON of the DevTools Tracing
// domain) into a table of the CPU time each thread spent, and on what, for
// BenchmarkTraceJob and BenchmarkTraceHostBuild.

// traceEvent is one event of a trace in Chromium's JSON trace format.
type traceEvent struct {
	Name string          `json:"name"`
	Cat  string          `json:"cat"`
	Ph   string          `json:"ph"`
	PID  int             `json:"pid"`
	TID  int             `json:"tid"`
	TS   float64         `json:"ts"`   // wall clock, µs
	Dur  float64         `json:"dur"`  // wall time of a complete (X) event, µs
	TTS  *float64        `json:"tts"`  // the thread's CPU clock, µs, where the thread has one
	TDur *float64        `json:"tdur"` // CPU time of a complete event, µs
	Args json.RawMessage `json:"args"`
}

// readTrace decodes a trace: an object with the events in traceEvents, as
// Tracing's stream gives, or a bare array of events.
func readTrace(r io.Reader) ([]traceEvent, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	var doc struct {
		TraceEvents []traceEvent `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &doc); err == nil {
		return doc.TraceEvents, nil
	}
	var events []traceEvent
	if err := json.Unmarshal(data, &events); err != nil {
		return nil, fmt.Errorf("decode trace: %w", err)
	}
	return events, nil
}

// threadKey names a thread in a trace.
type threadKey struct{ pid, tid int }

// threadCPU is what one thread of a trace did.
type threadCPU struct {
	Process string        // the process's name (Browser, Renderer, GPU Process, ...)
	Thread  string        // the thread's name (CrBrowserMain, DedicatedWorker thread, ...)
	PID     int           // as the trace gives it
	TID     int           // as the trace gives it
	Threads int           // threads of this name in processes of this name, once merged (mergeThreads)
	CPU     time.Duration // thread time of its outermost slices
	Wall    time.Duration // wall time of the same slices
	Slices  int           // slices with thread time, nested ones included
	Tasks   []nameCPU     // thread time of the outermost slices by taskLabel, most first
	Self    []nameCPU     // thread time by slice name, each slice less its children, most first
}

// nameCPU is the thread time spent in slices of one name, less their
// children's.
type nameCPU struct {
	Name  string // "name (category)"
	CPU   time.Duration
	Count int
}

// span is one slice of a thread: a complete event, or a begin and end pair.
type span struct {
	name       string
	args       sliceArgs
	ts, end    float64 // wall µs
	cpu        float64 // thread µs
	childCPU   float64
	hasThreadT bool
	root       *span // the outermost slice it is in, itself if none
}

// sliceArgs are the arguments of a slice that say what a task was: where
// it was posted from (toplevel tasks), and which DevTools command it
// handled (devtools slices).
type sliceArgs struct {
	SrcFile string `json:"src_file"`
	SrcFunc string `json:"src_func"`
	Method  string `json:"method"`
}

// taskLabel names an outermost slice by what it ran: where the task was
// posted from, as the outermost slice in it that says so gives it (from,
// nil if none), else the slice's name; and the DevTools commands handled
// inside it.
func taskLabel(s, from *span, methods []string) string {
	label := s.name
	if from != nil {
		label = path.Base(from.args.SrcFile) + ":" + from.args.SrcFunc
	}
	slices.Sort(methods)
	if methods = slices.Compact(methods); len(methods) > 0 {
		label += " → " + strings.Join(methods, ", ")
	}
	return label
}

// summariseTrace sums each thread's CPU time from the thread-time fields
// of its slices. Slices nest (a task, the script it runs, the compile the
// script asks for); a thread's CPU is that of its outermost slices, and
// each slice's own share is its time less that of the slices inside it, so
// that nothing is counted twice. Slices without thread time (a thread
// without a CPU clock, instant and async events) are left out. Threads
// come out by CPU, most first.
func summariseTrace(events []traceEvent) []threadCPU {
	procs := map[int]string{}
	names := map[threadKey]string{}
	spans := map[threadKey][]*span{}
	open := map[threadKey][]*span{} // B events waiting for their E
	for _, ev := range events {
		k := threadKey{ev.PID, ev.TID}
		switch ev.Ph {
		case "M":
			var a struct {
				Name string `json:"name"`
			}
			json.Unmarshal(ev.Args, &a)
			switch ev.Name {
			case "process_name":
				procs[ev.PID] = a.Name
			case "thread_name":
				names[k] = a.Name
			}
		case "X":
			s := &span{name: sliceName(ev), args: argsOf(ev), ts: ev.TS, end: ev.TS + ev.Dur}
			if ev.TDur != nil {
				s.cpu, s.hasThreadT = *ev.TDur, true
			}
			spans[k] = append(spans[k], s)
		case "B":
			s := &span{name: sliceName(ev), args: argsOf(ev), ts: ev.TS}
			if ev.TTS != nil {
				s.cpu, s.hasThreadT = *ev.TTS, true // the start, until E
			}
			open[k] = append(open[k], s)
		case "E":
			st := open[k]
			if len(st) == 0 {
				continue
			}
			s := st[len(st)-1]
			open[k] = st[:len(st)-1]
			s.end = ev.TS
			if s.hasThreadT && ev.TTS != nil {
				s.cpu = *ev.TTS - s.cpu
			} else {
				s.hasThreadT = false
			}
			spans[k] = append(spans[k], s)
		}
	}

	var out []threadCPU
	for k, ss := range spans {
		ss = slices.DeleteFunc(ss, func(s *span) bool { return !s.hasThreadT })
		if len(ss) == 0 {
			continue
		}
		// Outer slices first: by start, then the longer first.
		slices.SortStableFunc(ss, func(a, b *span) int {
			return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(b.end, a.end))
		})
		t := threadCPU{Process: procs[k.pid], Thread: names[k], PID: k.pid, TID: k.tid, Threads: 1, Slices: len(ss)}
		var stack []*span
		var cpu, wall float64
		methods := map[*span][]string{} // DevTools commands inside each outermost slice
		from := map[*span]*span{}       // the outermost slice in each that says where its task was posted from
		for _, s := range ss {
			for len(stack) > 0 && stack[len(stack)-1].end <= s.ts {
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				cpu += s.cpu
				wall += s.end - s.ts
				s.root = s
			} else {
				stack[len(stack)-1].childCPU += s.cpu
				s.root = stack[0]
			}
			if s.args.Method != "" {
				methods[s.root] = append(methods[s.root], s.args.Method)
			}
			if s.args.SrcFunc != "" && from[s.root] == nil {
				from[s.root] = s
			}
			stack = append(stack, s)
		}
		self, tasks := table{}, table{}
		for _, s := range ss {
			self.add(s.name, s.cpu-s.childCPU)
			if s.root == s {
				tasks.add(taskLabel(s, from[s], methods[s]), s.cpu)
			}
		}
		t.Self, t.Tasks = self.sorted(), tasks.sorted()
		t.CPU, t.Wall = micros(cpu), micros(wall)
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b threadCPU) int {
		return cmp.Or(cmp.Compare(b.CPU, a.CPU), cmp.Compare(a.PID, b.PID), cmp.Compare(a.TID, b.TID))
	})
	return out
}

func sliceName(ev traceEvent) string { return ev.Name + " (" + ev.Cat + ")" }

func argsOf(ev traceEvent) sliceArgs {
	var a sliceArgs
	json.Unmarshal(ev.Args, &a) // a field of another type is left empty
	return a
}

// table sums thread time by name.
type table map[string]*nameCPU

func (t table) add(name string, us float64) {
	t.addCPU(name, micros(max(0, us)), 1)
}

func (t table) addCPU(name string, cpu time.Duration, count int) {
	n := t[name]
	if n == nil {
		n = &nameCPU{Name: name}
		t[name] = n
	}
	n.CPU += cpu
	n.Count += count
}

// sorted returns the rows, most CPU first.
func (t table) sorted() []nameCPU {
	out := make([]nameCPU, 0, len(t))
	for _, n := range t {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b nameCPU) int { return cmp.Or(cmp.Compare(b.CPU, a.CPU), strings.Compare(a.Name, b.Name)) })
	return out
}

// mergeThreads sums the threads of one name in processes of one name (a
// worker thread per job, the renderers of several hosts, a pool's
// threads), keeping the first one's ids; most CPU first.
func mergeThreads(threads []threadCPU) []threadCPU {
	type key struct{ process, thread string }
	byName := map[key]int{}
	var out []threadCPU
	self, tasks := map[key]table{}, map[key]table{}
	for _, t := range threads {
		k := key{t.Process, t.Thread}
		i, ok := byName[k]
		if !ok {
			i = len(out)
			byName[k] = i
			out = append(out, threadCPU{Process: t.Process, Thread: t.Thread, PID: t.PID, TID: t.TID})
			self[k], tasks[k] = table{}, table{}
		}
		m := &out[i]
		m.Threads += t.Threads
		m.CPU += t.CPU
		m.Wall += t.Wall
		m.Slices += t.Slices
		for _, n := range t.Self {
			self[k].addCPU(n.Name, n.CPU, n.Count)
		}
		for _, n := range t.Tasks {
			tasks[k].addCPU(n.Name, n.CPU, n.Count)
		}
	}
	for i := range out {
		k := key{out[i].Process, out[i].Thread}
		out[i].Self, out[i].Tasks = self[k].sorted(), tasks[k].sorted()
	}
	slices.SortStableFunc(out, func(a, b threadCPU) int { return cmp.Compare(b.CPU, a.CPU) })
	return out
}

func micros(us float64) time.Duration { return time.Duration(us * float64(time.Microsecond)) }

// formatThreads renders a trace's threads as a table, CPU per cycle when
// the trace held cycles of the same work, with each thread's top slices;
// threads under minCPU per cycle are summed in one line.
func formatThreads(threads []threadCPU, cycles int, top int, minCPU time.Duration) string {
	var b strings.Builder
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(cycles) }
	var total, rest time.Duration
	restN := 0
	for _, t := range threads {
		total += t.CPU
	}
	fmt.Fprintf(&b, "traced CPU per cycle, %d cycle(s): %.1f ms\n", cycles, per(total))
	fmt.Fprintf(&b, "%-24s %-28s %7s %9s %9s\n", "process", "thread", "threads", "cpu ms", "wall ms")
	for _, t := range threads {
		if t.CPU/time.Duration(cycles) < minCPU {
			rest += t.CPU
			restN++
			continue
		}
		fmt.Fprintf(&b, "%-24s %-28s %7d %9.1f %9.1f\n", t.Process, t.Thread, t.Threads, per(t.CPU), per(t.Wall))
		for _, rows := range []struct {
			what string
			rows []nameCPU
		}{{"task", t.Tasks}, {"self", t.Self}} {
			for _, n := range rows.rows[:min(top, len(rows.rows))] {
				fmt.Fprintf(&b, "    %s %8.1f ms %7.1f×  %s\n", rows.what, per(n.CPU), float64(n.Count)/float64(cycles), n.Name)
			}
		}
	}
	fmt.Fprintf(&b, "%d other thread(s): %.1f ms\n", restN, per(rest))
	return b.String()
}

// TestSummariseTrace reads a small hand-built trace: two processes, nested
// complete events, a begin/end pair, a slice with no thread time, a task
// that handled a DevTools command, two threads of one name, and metadata
// naming the threads.
func TestSummariseTrace(t *testing.T) {
	const trace = `{"traceEvents":[
	{"ph":"M","name":"process_name","pid":1,"tid":0,"args":{"name":"Browser"}},
	{"ph":"M","name":"thread_name","pid":1,"tid":10,"args":{"name":"CrBrowserMain"}},
	{"ph":"M","name":"process_name","pid":2,"tid":0,"args":{"name":"Renderer"}},
	{"ph":"M","name":"thread_name","pid":2,"tid":20,"args":{"name":"DedicatedWorker thread"}},
	{"ph":"M","name":"thread_name","pid":2,"tid":22,"args":{"name":"DedicatedWorker thread"}},
	{"ph":"X","name":"RunTask","cat":"toplevel","pid":1,"tid":10,"ts":100,"dur":50,"tts":1000,"tdur":40,
		"args":{"src_file":"content/browser/devtools/devtools_pipe_handler.cc","src_func":"HandleMessage","src_line":204}},
	{"ph":"X","name":"Wrapped","cat":"toplevel","pid":1,"tid":10,"ts":400,"dur":20,"tts":1200,"tdur":6},
	{"ph":"X","name":"RunTask","cat":"toplevel","pid":1,"tid":10,"ts":401,"dur":18,"tts":1201,"tdur":4,
		"args":{"src_file":"ipc/ipc_mojo_bootstrap.cc","src_func":"Accept"}},
	{"ph":"X","name":"Dispatch","cat":"devtools","pid":1,"tid":10,"ts":110,"dur":20,"tts":1005,"tdur":15,"args":{"method":"Fetch.fulfillRequest"}},
	{"ph":"X","name":"Inner","cat":"ipc","pid":1,"tid":10,"ts":112,"dur":5,"tts":1006,"tdur":5,"args":{"method":7}},
	{"ph":"X","name":"RunTask","cat":"toplevel","pid":1,"tid":10,"ts":200,"dur":30,"tts":1100,"tdur":10},
	{"ph":"X","name":"NoClock","cat":"toplevel","pid":1,"tid":10,"ts":300,"dur":99},
	{"ph":"i","name":"Mark","cat":"blink","pid":1,"tid":10,"ts":305},
	{"ph":"B","name":"EvaluateScript","cat":"devtools.timeline","pid":2,"tid":20,"ts":1000,"tts":500},
	{"ph":"X","name":"v8.compile","cat":"v8","pid":2,"tid":20,"ts":1010,"dur":100,"tts":510,"tdur":90},
	{"ph":"E","pid":2,"tid":20,"ts":1300,"tts":750},
	{"ph":"X","name":"RunTask","cat":"toplevel","pid":2,"tid":22,"ts":2000,"dur":10,"tts":10,"tdur":8},
	{"ph":"X","name":"Orphan","cat":"v8","pid":2,"tid":21,"ts":5,"dur":3,"tts":1,"tdur":2}
	]}`
	events, err := readTrace(strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	ms := func(us float64) time.Duration { return micros(us) }
	browser := threadCPU{Process: "Browser", Thread: "CrBrowserMain", PID: 1, TID: 10, Threads: 1, CPU: ms(56), Wall: ms(100), Slices: 6,
		Tasks: []nameCPU{{"devtools_pipe_handler.cc:HandleMessage → Fetch.fulfillRequest", ms(40), 1}, {"RunTask (toplevel)", ms(10), 1}, {"ipc_mojo_bootstrap.cc:Accept", ms(6), 1}},
		Self:  []nameCPU{{"RunTask (toplevel)", ms(39), 3}, {"Dispatch (devtools)", ms(10), 1}, {"Inner (ipc)", ms(5), 1}, {"Wrapped (toplevel)", ms(2), 1}}}
	orphan := threadCPU{Process: "Renderer", PID: 2, TID: 21, Threads: 1, CPU: ms(2), Wall: ms(3), Slices: 1,
		Tasks: []nameCPU{{"Orphan (v8)", ms(2), 1}}, Self: []nameCPU{{"Orphan (v8)", ms(2), 1}}}
	want := []threadCPU{
		{Process: "Renderer", Thread: "DedicatedWorker thread", PID: 2, TID: 20, Threads: 1, CPU: ms(250), Wall: ms(300), Slices: 2,
			Tasks: []nameCPU{{"EvaluateScript (devtools.timeline)", ms(250), 1}},
			Self:  []nameCPU{{"EvaluateScript (devtools.timeline)", ms(160), 1}, {"v8.compile (v8)", ms(90), 1}}},
		browser,
		{Process: "Renderer", Thread: "DedicatedWorker thread", PID: 2, TID: 22, Threads: 1, CPU: ms(8), Wall: ms(10), Slices: 1,
			Tasks: []nameCPU{{"RunTask (toplevel)", ms(8), 1}}, Self: []nameCPU{{"RunTask (toplevel)", ms(8), 1}}},
		orphan,
	}
	got := summariseTrace(events)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("summariseTrace:\n got %+v\nwant %+v", got, want)
	}

	merged := []threadCPU{
		{Process: "Renderer", Thread: "DedicatedWorker thread", PID: 2, TID: 20, Threads: 2, CPU: ms(258), Wall: ms(310), Slices: 3,
			Tasks: []nameCPU{{"EvaluateScript (devtools.timeline)", ms(250), 1}, {"RunTask (toplevel)", ms(8), 1}},
			Self:  []nameCPU{{"EvaluateScript (devtools.timeline)", ms(160), 1}, {"v8.compile (v8)", ms(90), 1}, {"RunTask (toplevel)", ms(8), 1}}},
		browser,
		orphan,
	}
	if got := mergeThreads(got); fmt.Sprint(got) != fmt.Sprint(merged) {
		t.Fatalf("mergeThreads:\n got %+v\nwant %+v", got, merged)
	}

	// The same events as a bare array.
	bare := strings.TrimSuffix(strings.TrimPrefix(trace, `{"traceEvents":`), "}")
	events2, err := readTrace(strings.NewReader(bare))
	if err != nil || len(events2) != len(events) {
		t.Fatalf("readTrace of a bare array: %d events, %v; want %d", len(events2), err, len(events))
	}
	if _, err := readTrace(strings.NewReader(`{"traceEvents": 3`)); err == nil {
		t.Fatal("readTrace of a broken trace succeeded")
	}
}
