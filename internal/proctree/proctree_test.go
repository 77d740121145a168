package proctree

import (
	"net"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and a parenthesis, as a process may choose.
	line := "4242 (a b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 7 3 20 0 1 0 987654 1000 10 18446744073709551615\n"
	s, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{PID: 4242, PPID: 17, Comm: "a b) c", Start: 987654,
		Own: 2800 * time.Millisecond, Reaped: 100 * time.Millisecond}
	if s != want {
		t.Fatalf("parseStat = %+v, want %+v", s, want)
	}
	for _, bad := range []string{"", "4242 no parens", "x (a) S 1", "4242 (a) S 1 2 3"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

// TestTreeCountsReapedChildren runs a child that burns CPU and exits: its
// time shows in this process's tree once reaped, and not before it ran, in
// the group that classify names for this process's reaped children.
func TestTreeCountsReapedChildren(t *testing.T) {
	self := os.Getpid()
	classify := func(s Stat) (string, string) {
		if s.PID == self {
			return "self", "children"
		}
		return "children", "children"
	}
	before, err := Measure([]int{self}, classify)
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 5")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	// While it lives, the child is in the tree.
	var tree []Stat
	for range 100 {
		if tree, err = Tree(self); err != nil {
			t.Fatal(err)
		}
		if len(tree) > 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if tree[0].PID != self || !slices.ContainsFunc(tree, func(s Stat) bool { return s.PID == child.Process.Pid }) {
		t.Fatalf("tree of %d = %+v, without the child %d", self, tree, child.Process.Pid)
	}
	// The child is killed once it has used CPU time of its own, in its
	// loop, whatever the machine's speed.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		st, err := ReadStat(child.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if st.Own >= 20*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child used %v of CPU time in a minute", st.Own)
		}
	}
	child.Process.Kill()
	child.Wait()
	after, err := Measure([]int{self}, classify)
	if err != nil {
		t.Fatal(err)
	}
	used := after.Since(before)
	if used["children"] < 10*time.Millisecond {
		t.Fatalf("the reaped child's CPU time is not counted in its group: %v", used)
	}
	if used["children"] < 0 || used["self"] < 0 {
		t.Fatalf("a group's time went down when its process exited: %v", used)
	}
	if used.Total() != used["self"]+used["children"] {
		t.Fatalf("Total = %v, groups %v", used.Total(), used)
	}
}

// TestChromiumType checks that a process's --type is found in its
// arguments, whether apart or joined by spaces into one, as Chromium
// rewrites them, and that a process without one has none.
func TestChromiumType(t *testing.T) {
	for _, args := range [][]string{
		{"-c", "sleep 30; true", "sh", "--lang=en", "--type=renderer"},
		{"-c", "sleep 30; true", "sh --lang=en --type=renderer"},
	} {
		cmd := exec.Command("sh", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Until the child has run sh, its arguments are the test's.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if a := Cmdline(cmd.Process.Pid); len(a) > 0 && a[0] == "sh" {
				break
			}
		}
		got := ChromiumType(cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		if got != "renderer" {
			t.Errorf("ChromiumType of sh %q = %q, want renderer", args, got)
		}
	}
	if got := ChromiumType(os.Getpid()); got != "" {
		t.Errorf("ChromiumType of the test = %q, want none", got)
	}
}

func TestTreeOfNoProcess(t *testing.T) {
	if _, err := Tree(1 << 30); err == nil {
		t.Fatal("Tree of a process that does not exist succeeded")
	}
}

func TestListeners(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	pids, err := Listeners(port)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pids, []int{os.Getpid()}) {
		t.Fatalf("Listeners(%d) = %v, want this process %d", port, pids, os.Getpid())
	}
	ln.Close()
	if pids, err := Listeners(port); err != nil || len(pids) != 0 {
		t.Fatalf("Listeners(%d) after close = %v, %v", port, pids, err)
	}
}

func TestMachine(t *testing.T) {
	busy, err := MachineBusy()
	if err != nil || busy <= 0 {
		t.Fatalf("MachineBusy = %v, %v", busy, err)
	}
	if _, err := LoadAverage(); err != nil {
		t.Fatal(err)
	}
}

func TestParseHugePages(t *testing.T) {
	for line, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never\n": "always",
		"always madvise [never]":   "never",
	} {
		if got, err := parseHugePages([]byte(line)); err != nil || got != want {
			t.Errorf("parseHugePages(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, bad := range []string{"", "always madvise never", "[] x", "[always"} {
		if got, err := parseHugePages([]byte(bad)); err == nil {
			t.Errorf("parseHugePages(%q) = %q, want an error", bad, got)
		}
	}
	// This machine's setting, which every Linux since 2.6.38 has.
	if mode, err := HugePages(); err != nil || !slices.Contains([]string{"always", "madvise", "never"}, mode) {
		t.Errorf("HugePages() = %q, %v", mode, err)
	}
}
