package runner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/cgroup"
)

// The browser's default memory cap is a share of the memory sandpit may
// use, whatever the pool's size: never a sum per sandbox that a machine
// with many CPUs would not hold.
func TestBrowserMemoryDefault(t *testing.T) {
	total, err := cgroup.OwnMemory()
	if err != nil || total <= 0 {
		t.Fatalf("memory of this machine: %d, %v", total, err)
	}
	want := int64(float64(total) * memoryShare)
	for _, pool := range []int{1, 2, 64, 512} {
		r := &Runner{cfg: Config{PoolSize: pool, MaxSessions: pool, Limits: sandpit.DefaultLimits}}
		if got := r.browserMemory(); got != want || got > total {
			t.Errorf("pool of %d: cap %d MiB, want %d MiB (3/4 of %d MiB)", pool, got>>20, want>>20, total>>20)
		}
	}
	for mb, want := range map[int]int64{1000: 1000 << 20, -1: 0} {
		r := &Runner{cfg: Config{BrowserMemoryMB: mb, PoolSize: 2}}
		if got := r.browserMemory(); got != want {
			t.Errorf("BrowserMemoryMB %d: cap %d, want %d", mb, got, want)
		}
	}

	// The running browser's cgroup holds that cap (rounded to pages).
	if os.Geteuid() != 0 {
		t.Skip("making a cgroup needs root; the cap's size is checked above")
	}
	cg := testRunner.current().cgroup
	if cg == nil {
		t.Fatal("the test browser has no memory cgroup")
	}
	var limit string
	for _, name := range []string{"memory.max", "memory.limit_in_bytes"} {
		if b, err := os.ReadFile(filepath.Join(cg.dir, name)); err == nil {
			limit = strings.TrimSpace(string(b))
		}
	}
	got, err := strconv.ParseInt(limit, 10, 64)
	if err != nil || got > want || want-got >= 64<<10 {
		t.Errorf("the browser's cgroup limit is %q, want %d", limit, want)
	}
	if !testRunner.Isolation().MemoryCgroup {
		t.Error("the runner does not report its memory cgroup")
	}
}
