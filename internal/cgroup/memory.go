package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Memory returns how many bytes of memory a process under lim may use:
// its cgroup's limit when there is one below the machine's total, else
// that total, read from proc/meminfo in fsys (a file system rooted at
// "/"); 0 when neither is known.
func Memory(fsys fs.FS, lim Limits) (int64, error) {
	total, err := memTotal(fsys)
	if err != nil {
		return 0, err
	}
	if lim.Memory > 0 && (total == 0 || lim.Memory < total) {
		return lim.Memory, nil
	}
	return total, nil
}

// memTotal reads MemTotal from proc/meminfo, 0 when there is none.
func memTotal(fsys fs.FS) (int64, error) {
	f, err := fsys.Open("proc/meminfo")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read /proc/meminfo: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil || kb <= 0 {
			return 0, fmt.Errorf("/proc/meminfo: MemTotal %q is not a number of kB", strings.TrimSpace(rest))
		}
		return kb << 10, nil
	}
	return 0, sc.Err()
}
