// Package proctree reads the CPU time that a tree of processes has used,
// from Linux's /proc: each process's own time and that of the children it
// has reaped, so that work done by processes that came and went is counted
// too; and the machine's state that such figures depend on (its busy time,
// load average and transparent huge pages). Elsewhere it reports that it
// cannot.
package proctree

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the times in /proc/PID/stat (USER_HZ, 100 on
// every Linux architecture Go supports).
const clockTick = 100

// ErrUnsupported is returned where there is no /proc to read.
var ErrUnsupported = errors.New("no /proc on this system: CPU time cannot be read")

// Stat is what /proc/PID/stat says of one process.
type Stat struct {
	PID, PPID int
	Comm      string        // the executable's name, at most 15 bytes
	Start     uint64        // clock ticks after boot: with PID, names one process
	Own       time.Duration // user and system time of the process itself (fields 14, 15)
	Reaped    time.Duration // that of its children waited for (fields 16, 17)
}

// CPU is the process's own CPU time and that of the children it reaped.
func (s Stat) CPU() time.Duration { return s.Own + s.Reaped }

// ReadStat reads /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, fmt.Errorf("read stat of process %d: %w", pid, err)
	}
	return parseStat(data)
}

// parseStat parses the text of /proc/PID/stat.
func parseStat(data []byte) (Stat, error) {
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 1 || end < open {
		return Stat{}, fmt.Errorf("malformed stat %.40q", data)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data[:open])))
	if err != nil {
		return Stat{}, fmt.Errorf("malformed stat %.40q: pid: %w", data, err)
	}
	// The fields after the command name (which may hold spaces or
	// parentheses) count from 3, the state.
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 20 {
		return Stat{}, fmt.Errorf("malformed stat of process %d: %d fields", pid, len(f)+2)
	}
	field := func(n int) uint64 {
		v, _ := strconv.ParseUint(f[n-3], 10, 64)
		return v
	}
	ticks := func(a, b int) time.Duration {
		return time.Duration(field(a)+field(b)) * time.Second / clockTick
	}
	return Stat{
		PID:    pid,
		PPID:   int(field(4)),
		Comm:   string(data[open+1 : end]),
		Start:  field(22),
		Own:    ticks(14, 15),
		Reaped: ticks(16, 17),
	}, nil
}

// Tree returns the stat of root and of every process descended from it,
// root first. A process that exits while the tree is read is left out
// (its time goes to its parent once reaped).
func Tree(root int) ([]Stat, error) {
	all, err := readAll()
	if err != nil {
		return nil, err
	}
	children := make(map[int][]Stat)
	var top *Stat
	for i, s := range all {
		children[s.PPID] = append(children[s.PPID], s)
		if s.PID == root {
			top = &all[i]
		}
	}
	if top == nil {
		return nil, fmt.Errorf("no process %d", root)
	}
	out := []Stat{*top}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i].PID]...)
	}
	return out, nil
}

// readAll reads the stat of every process there is.
func readAll() ([]Stat, error) {
	entries, err := os.ReadDir("/proc")
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrUnsupported
	} else if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var all []Stat
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		s, err := ReadStat(pid)
		if err != nil {
			continue // gone since listed
		}
		all = append(all, s)
	}
	return all, nil
}

// ChromiumType returns the --type of a Chromium process ("renderer",
// "zygote", "gpu-process", ...), or "" for the browser process and any
// process without one. Chromium rewrites the command line of the processes
// its zygote forks as one string of arguments joined by spaces.
func ChromiumType(pid int) string {
	for _, a := range strings.Fields(strings.Join(Cmdline(pid), " ")) {
		if t, ok := strings.CutPrefix(a, "--type="); ok {
			return t
		}
	}
	return ""
}

// Cmdline returns the arguments a process was started with, empty when it
// cannot be read (a process gone, or a kernel thread).
func Cmdline(pid int) []string {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}
