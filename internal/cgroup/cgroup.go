// Package cgroup reads the CPU quota and memory limit that a process's
// control group (cgroup v2 or v1) sets, so that a container sizes itself by
// what it may use rather than by the size of its host.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
)

// Limits are the tightest limits of a cgroup and its ancestors.
type Limits struct {
	// CPU is the CPU quota in CPUs (quota divided by period, 1.5 for
	// "150000 100000"); 0 means none.
	CPU float64
	// Memory is the memory limit in bytes; 0 means none.
	Memory int64
}

// noMemoryLimit is where cgroup v1 reports "no limit": the largest page
// multiple of an int64, 9223372036854771712 with 4 KiB pages. Anything at
// or above 2^62 is taken as no limit.
const noMemoryLimit = int64(1) << 62

// Read returns the limits of the calling process's cgroup from fsys, a file
// system rooted at "/": it reads proc/self/cgroup for the process's cgroup
// and then, in sys/fs/cgroup, the limit files of that cgroup and of each of
// its ancestors, since a limit set higher up binds too. Files that are
// missing are skipped: no cgroup file system means no limits.
func Read(fsys fs.FS) (Limits, error) {
	self, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if errors.Is(err, fs.ErrNotExist) {
		return Limits{}, nil
	}
	if err != nil {
		return Limits{}, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	v1, unified, err := parseSelf(string(self))
	if err != nil {
		return Limits{}, err
	}
	var lim Limits
	cpuDir, cpuOK := v1["cpu"]
	memDir, memOK := v1["memory"]
	if cpuOK {
		err = walk(fsys, cpuDir, func(dir string) error { return readCFS(fsys, dir, &lim) })
	} else if unified != "" {
		err = walk(fsys, unified, func(dir string) error { return readCPUMax(fsys, dir, &lim) })
	}
	if err != nil {
		return Limits{}, err
	}
	if memOK {
		err = walk(fsys, memDir, func(dir string) error { return readMemory(fsys, dir, "memory.limit_in_bytes", &lim) })
	} else if unified != "" {
		err = walk(fsys, unified, func(dir string) error { return readMemory(fsys, dir, "memory.max", &lim) })
	}
	if err != nil {
		return Limits{}, err
	}
	return lim, nil
}

// parseSelf reads /proc/self/cgroup: lines "ID:CONTROLLERS:PATH". It returns
// the directory of the cpu and memory controllers of cgroup v1, each under
// its mount in sys/fs/cgroup, and the directory of the unified (v2)
// hierarchy when there is one.
func parseSelf(s string) (v1 map[string]string, unified string, err error) {
	v1 = map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			return nil, "", fmt.Errorf("/proc/self/cgroup: malformed line %q", line)
		}
		controllers, p := parts[1], path.Clean(parts[2])
		if p == "/.." || strings.HasPrefix(p, "/../") {
			// A cgroup outside this cgroup namespace: what the namespace
			// shows of it is its mount root.
			p = "/"
		}
		if parts[0] == "0" && controllers == "" {
			unified = path.Join("sys/fs/cgroup", p)
			continue
		}
		for _, c := range strings.Split(controllers, ",") {
			if c == "cpu" || c == "memory" {
				// Mounted by its full controller list, such as
				// sys/fs/cgroup/cpu,cpuacct, as systemd and Docker do.
				v1[c] = path.Join("sys/fs/cgroup", controllers, p)
			}
		}
	}
	return v1, unified, sc.Err()
}

// walk calls f on dir and each of its ancestors up to the cgroup mount
// (the directory right under sys/fs/cgroup for v1, sys/fs/cgroup for v2).
// Inside a container the cgroup's own path may not exist: its namespace
// shows the container's cgroup at the mount; walking up reaches it.
func walk(fsys fs.FS, dir string, f func(dir string) error) error {
	for {
		if st, err := fs.Stat(fsys, dir); err == nil && st.IsDir() {
			if err := f(dir); err != nil {
				return err
			}
		}
		parent := path.Dir(dir)
		if dir == "sys/fs/cgroup" || parent == "sys/fs/cgroup" && isV1Mount(dir) {
			return nil
		}
		if parent == dir || parent == "." {
			return nil
		}
		dir = parent
	}
}

// isV1Mount says whether dir, right under sys/fs/cgroup, is a v1
// controller's mount (cpu,cpuacct, memory) rather than a v2 cgroup.
func isV1Mount(dir string) bool {
	name := path.Base(dir)
	for _, c := range strings.Split(name, ",") {
		if c == "cpu" || c == "memory" || c == "cpuacct" {
			return true
		}
	}
	return false
}

// readFile returns the trimmed content of dir/name, or "" when it is missing.
func readFile(fsys fs.FS, dir, name string) (string, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read /%s: %w", path.Join(dir, name), err)
	}
	return strings.TrimSpace(string(data)), nil
}

// readCPUMax reads cgroup v2's cpu.max, "QUOTA PERIOD" or "max PERIOD".
func readCPUMax(fsys fs.FS, dir string, lim *Limits) error {
	s, err := readFile(fsys, dir, "cpu.max")
	if s == "" || err != nil {
		return err
	}
	quota, period, ok := strings.Cut(s, " ")
	if quota == "max" {
		return nil
	}
	q, err1 := strconv.ParseFloat(quota, 64)
	p, err2 := strconv.ParseFloat(period, 64)
	if !ok || err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return fmt.Errorf("/%s: want \"QUOTA PERIOD\" or \"max PERIOD\", got %q", path.Join(dir, "cpu.max"), s)
	}
	lim.CPU = tighter(lim.CPU, q/p)
	return nil
}

// readCFS reads cgroup v1's cpu.cfs_quota_us (-1: none) and
// cpu.cfs_period_us.
func readCFS(fsys fs.FS, dir string, lim *Limits) error {
	quota, err := readFile(fsys, dir, "cpu.cfs_quota_us")
	if quota == "" || quota == "-1" || err != nil {
		return err
	}
	period, err := readFile(fsys, dir, "cpu.cfs_period_us")
	if err != nil {
		return err
	}
	q, err1 := strconv.ParseFloat(quota, 64)
	p, err2 := strconv.ParseFloat(period, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return fmt.Errorf("/%s: cpu.cfs_quota_us %q and cpu.cfs_period_us %q are not positive numbers", dir, quota, period)
	}
	lim.CPU = tighter(lim.CPU, q/p)
	return nil
}

// readMemory reads a memory limit file: a number of bytes, or "max" (v2).
func readMemory(fsys fs.FS, dir, name string, lim *Limits) error {
	s, err := readFile(fsys, dir, name)
	if s == "" || s == "max" || err != nil {
		return err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("/%s: want a number of bytes or \"max\", got %q", path.Join(dir, name), s)
	}
	if n >= noMemoryLimit {
		return nil
	}
	lim.Memory = int64(tighter(float64(lim.Memory), float64(n)))
	return nil
}

// tighter returns the smaller limit, where 0 means none.
func tighter(a, b float64) float64 {
	if a == 0 {
		return b
	}
	return math.Min(a, b)
}
