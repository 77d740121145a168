package proctree

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Sample is the CPU time the processes of some trees have used so far, by
// group.
type Sample map[string]time.Duration

// Measure sums the CPU time of the trees rooted at roots by group: for each
// process, classify names the group of its own time and the group of the
// time of its children that have exited and been reaped, whose time the
// kernel then counts in their parent's. Naming the group the children were
// in while they lived keeps a group's time from moving to another when its
// processes exit.
func Measure(roots []int, classify func(Stat) (own, reaped string)) (Sample, error) {
	out := make(Sample)
	seen := make(map[int]bool)
	for _, root := range roots {
		tree, err := Tree(root)
		if err != nil {
			return nil, err
		}
		for _, s := range tree {
			if seen[s.PID] {
				continue
			}
			seen[s.PID] = true
			own, reaped := classify(s)
			out[own] += s.Own
			out[reaped] += s.Reaped
		}
	}
	return out, nil
}

// Since returns what each group used between before and s.
func (s Sample) Since(before Sample) Sample {
	out := make(Sample)
	for g, d := range s {
		out[g] = d - before[g]
	}
	for g, d := range before {
		if _, ok := s[g]; !ok {
			out[g] = -d
		}
	}
	return out
}

// Total is the time of all groups together.
func (s Sample) Total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// MachineBusy returns the CPU time all the machine's processors have spent
// on anything but idling and waiting for I/O since boot, from /proc/stat.
func MachineBusy() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat: %.60q", line)
	}
	var ticks uint64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is already in user
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTick, nil
}

// LoadAverage returns the machine's load average over the last minute.
func LoadAverage() (float64, error) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, fmt.Errorf("read /proc/loadavg: %w", err)
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, fmt.Errorf("malformed /proc/loadavg: %q", data)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("malformed /proc/loadavg: %w", err)
	}
	return v, nil
}

// hugePagesPath is where Linux says when it backs a process's memory with
// transparent huge pages.
const hugePagesPath = "/sys/kernel/mm/transparent_hugepage/enabled"

// HugePages returns when Linux backs anonymous memory with transparent huge
// pages: "always", "madvise" (only memory a process asks for), or "never".
// Memory a process touches for the first time costs a page fault per page:
// per 4 KiB without them, per 2 MiB with.
func HugePages() (string, error) {
	data, err := os.ReadFile(hugePagesPath)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", hugePagesPath, err)
	}
	return parseHugePages(data)
}

// parseHugePages returns the mode in brackets of a line such as
// "always [madvise] never".
func parseHugePages(data []byte) (string, error) {
	for _, f := range strings.Fields(string(data)) {
		if mode, ok := strings.CutPrefix(f, "["); ok {
			if mode, ok := strings.CutSuffix(mode, "]"); ok && mode != "" {
				return mode, nil
			}
		}
	}
	return "", fmt.Errorf("malformed %s: %.60q", hugePagesPath, data)
}
