package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupRoots are where cgroup v2 (unified) and v1 (memory controller) live.
var cgroupRoots = []struct {
	dir, limitFile string
	usable         func(dir string) bool
}{
	{"/sys/fs/cgroup", "memory.max", func(dir string) bool {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		return err == nil && strings.Contains(" "+string(b)+" ", " memory ")
	}},
	{"/sys/fs/cgroup/memory", "memory.limit_in_bytes", func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "memory.limit_in_bytes"))
		return err == nil
	}},
}

// newMemoryCgroup makes a cgroup named name and a unique suffix, limited to
// limit bytes, and moves every process of the browser's process group (the
// browser, its zygotes and helpers, whose later children inherit it) into
// it. The suffix keeps a cgroup left behind by a process that was killed,
// named after a PID now reused, from stopping this one.
func newMemoryCgroup(name string, limit int64, pgid int) (*memoryCgroup, error) {
	for _, root := range cgroupRoots {
		if !root.usable(root.dir) {
			continue
		}
		dir, err := os.MkdirTemp(root.dir, name+"-")
		if err != nil {
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		cg := &memoryCgroup{dir: dir}
		if err := os.WriteFile(filepath.Join(dir, root.limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
			cg.remove()
			return nil, fmt.Errorf("set cgroup memory limit: %w", err)
		}
		for _, pid := range groupPIDs(pgid) {
			if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
				cg.remove()
				return nil, fmt.Errorf("move browser into cgroup: %w", err)
			}
		}
		return cg, nil
	}
	return nil, errors.New("no writable memory cgroup controller")
}

// groupPIDs lists the processes whose process group is pgid.
func groupPIDs(pgid int) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			pid, _ := strconv.Atoi(filepath.Base(d))
			pids = append(pids, pid)
		}
	}
	return pids
}
