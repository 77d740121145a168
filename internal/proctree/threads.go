package proctree

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Threads reads the stat of each thread of process pid, from
// /proc/PID/task/TID/stat: Comm is the thread's name, Own its own user and
// system time, PID its thread id. A thread that exits while they are read
// is left out.
func Threads(pid int) ([]Stat, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "task")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no process %d", pid)
	} else if err != nil {
		return nil, fmt.Errorf("list threads of process %d: %w", pid, err)
	}
	var out []Stat
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "stat"))
		if err != nil {
			continue // gone since listed
		}
		s, err := parseStat(data)
		if err != nil {
			return nil, fmt.Errorf("thread %s of process %d: %w", e.Name(), pid, err)
		}
		out = append(out, s)
	}
	return out, nil
}
