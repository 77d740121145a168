package runner

import (
	"context"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
)

// TestHostsBootFromOneSnapshot checks that the runner makes one snapshot,
// in its first host, and that later hosts boot from it and run jobs in
// fresh interpreters; that only a host that made its snapshot itself and
// ran nothing hands it out; and that a shared snapshot that fails to boot
// ends the sharing until a host has made a new one.
func TestHostsBootFromOneSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	testenv.Eventually(t, 3*time.Minute, testRunner.assets.sharing, "the runner shares no snapshot")
	jobIn := func(h *host) {
		t.Helper()
		res, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: "print('leftover' in globals())\nleftover = 1"}, testRunner.cfg.Limits)
		if err != nil || res.Stdout != "False\n" {
			t.Fatalf("job: %+v, %v", res, err)
		}
	}

	h, err := testRunner.build()
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	if !h.shared {
		t.Fatal("a host built once the runner shares a snapshot did not boot from it")
	}
	jobIn(h)
	jobIn(h) // the next job, in the host's next worker, sees nothing of the last
	if snap, err := h.snapshot(); err != nil || snap != nil {
		t.Fatalf("a host that booted from the shared snapshot handed out %d bytes (%v), want none", len(snap), err)
	}

	own, err := testRunner.newHost(ctx, page.SandboxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer own.close()
	snap, err := own.snapshot()
	if err != nil || len(snap) < 1<<20 {
		t.Fatalf("a host that made its snapshot and ran nothing handed out %d bytes (%v), want all of it", len(snap), err)
	}
	if want := testRunner.assets.get(page.SharedSnapshotPath).body; len(snap) != len(want) {
		t.Errorf("two hosts' snapshots are %d and %d bytes, want the same size", len(snap), len(want))
	}
	jobIn(own)
	if snap, err := own.snapshot(); err != nil || snap != nil {
		t.Fatalf("a host that ran a job handed out %d bytes of its snapshot (%v), want none", len(snap), err)
	}

	testRunner.assets.share(make([]byte, 4<<20))
	if h, err := testRunner.build(); err == nil {
		h.close()
		t.Fatal("a host booted from a snapshot of zeros")
	}
	if testRunner.assets.sharing() {
		t.Fatal("the runner still shares a snapshot that failed to boot")
	}
	fresh, err := testRunner.build()
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.close()
	if fresh.shared || !testRunner.assets.sharing() {
		t.Fatalf("after a failed boot: the next host booted from a shared snapshot %v, the runner shares one %v; want a new one made and shared",
			fresh.shared, testRunner.assets.sharing())
	}
	jobIn(fresh)
}
