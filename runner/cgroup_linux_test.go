package runner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A cgroup left behind under the name a new browser would take (a killed
// process's, whose PID is reused) does not stop the new one: each gets a
// cgroup of its own, and its processes are in it.
func TestMemoryCgroupBesideALeftOne(t *testing.T) {
	name := "sandpit-test-" + strconv.Itoa(os.Getpid())
	var groups []*memoryCgroup
	for range 2 {
		cmd := exec.Command("sleep", "60")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		cg, err := newMemoryCgroup(name, 256<<20, cmd.Process.Pid)
		if err != nil {
			t.Fatalf("a cgroup beside %d left under the name %s: %v", len(groups), name, err)
		}
		groups = append(groups, cg)
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); cg.remove() })
		in, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cgroup")
		if !strings.Contains(string(in), "/"+filepath.Base(cg.dir)+"\n") {
			t.Fatalf("process %d is not in %s: %s", cmd.Process.Pid, cg.dir, in)
		}
	}
	if groups[0].dir == groups[1].dir {
		t.Fatalf("both browsers in %s", groups[0].dir)
	}
}
