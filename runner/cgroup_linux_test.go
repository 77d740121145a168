package runner

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A cgroup left behind under the name a new browser would take (a killed
// process's, whose PID is reused) does not stop the new one: each gets a
// cgroup of its own, and its processes are in it.
func TestMemoryCgroupBesideALeftOne(t *testing.T) {
	name := "sandpit-test-" + strconv.Itoa(os.Getpid()) + "-"
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

// startGroup starts a process in a process group of its own, killed at the
// end of the test.
func startGroup(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// A new cgroup removes the empty ones a killed sandpit left, and leaves
// those that are new (another process may be about to move its browser in)
// or hold a process.
func TestMemoryCgroupSweepsLeftOnes(t *testing.T) {
	prefix := "sandpit-test-" + strconv.Itoa(os.Getpid()) + "-"
	holder, err := newMemoryCgroup(prefix, 256<<20, startGroup(t).Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(holder.remove)
	root := filepath.Dir(holder.dir)
	old := time.Now().Add(-2 * staleCgroupAge)
	stale := filepath.Join(root, prefix+"1-stale")
	fresh := filepath.Join(root, prefix+"2-fresh")
	for _, d := range []string{stale, fresh} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(d) })
	}
	for _, d := range []string{stale, holder.dir} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	cg, err := newMemoryCgroup(prefix, 256<<20, startGroup(t).Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cg.remove)
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an empty cgroup left %v ago is still there: %v", 2*staleCgroupAge, err)
	}
	for _, d := range []string{fresh, holder.dir, cg.dir} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}

// remove removes a cgroup that still holds processes (renderers outlive
// their browser by a moment): it kills them and waits.
func TestMemoryCgroupRemoveEndsItsProcesses(t *testing.T) {
	cmd := startGroup(t)
	cg, err := newMemoryCgroup("sandpit-test-"+strconv.Itoa(os.Getpid())+"-", 256<<20, cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	cg.remove()
	if _, err := os.Stat(cg.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s is still there: %v", cg.dir, err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the process in the cgroup ended with %v, want killed", err)
	}
}
