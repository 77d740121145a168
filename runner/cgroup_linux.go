package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
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

// newMemoryCgroup makes a cgroup named prefix, pgid and a unique suffix,
// limited to limit bytes, and moves every process of the browser's process
// group (the browser, its zygotes and helpers, whose later children inherit
// it) into it. The suffix keeps a cgroup left behind by a process that was
// killed, named after a PID now reused, from stopping this one; and such
// cgroups, empty and older than staleCgroupAge, are removed first.
func newMemoryCgroup(prefix string, limit int64, pgid int) (*memoryCgroup, error) {
	for _, root := range cgroupRoots {
		if !root.usable(root.dir) {
			continue
		}
		sweepCgroups(filepath.Join(root.dir, prefix), staleCgroupAge)
		dir, err := os.MkdirTemp(root.dir, prefix+strconv.Itoa(pgid)+"-")
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

// staleCgroupAge is how old an empty cgroup of sandpit's must be for
// another process's sweep to remove it: far longer than the moment between
// a cgroup's creation and its browser's move into it.
const staleCgroupAge = time.Minute

// sweepCgroups removes the cgroups whose path starts with prefix, made
// before age ago, that hold no process: those of browsers whose sandpit was
// killed before it could remove them. The kernel refuses to remove a cgroup
// that holds a process, so a live browser's stays.
func sweepCgroups(prefix string, age time.Duration) {
	dirs, _ := filepath.Glob(prefix + "*")
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > age {
			os.Remove(d)
		}
	}
}

// remove deletes the cgroup. Chromium's renderers outlive its browser
// process by a moment, and the kernel keeps a cgroup that holds a process,
// so the processes left in it are killed and waited for, a few seconds at
// most.
func (cg *memoryCgroup) remove() {
	if cg == nil {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := os.Remove(cg.dir)
		if err == nil || errors.Is(err, fs.ErrNotExist) || time.Now().After(deadline) {
			return
		}
		procs, _ := os.ReadFile(filepath.Join(cg.dir, "cgroup.procs"))
		for _, f := range strings.Fields(string(procs)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
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
