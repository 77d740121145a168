package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
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
// ends the sharing until a host has made a new one. The snapshot is
// served compressed, as page.SharedSnapshotPath says.
func TestHostsBootFromOneSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	testenv.Eventually(t, 3*time.Minute, testRunner.assets.sharing, "the runner shares no snapshot")
	served := testRunner.assets.get(page.SharedSnapshotPath).body
	zr, err := gzip.NewReader(bytes.NewReader(served))
	if err != nil {
		t.Fatalf("the shared snapshot is not served compressed with gzip: %v", err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, testRunner.assets.sharedSnapshot()) || len(served) >= len(plain)/2 {
		t.Fatalf("the shared snapshot is served as %d bytes that decompress to %d (%v), want the %d of the snapshot in under half",
			len(served), len(plain), err, len(testRunner.assets.sharedSnapshot()))
	}
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
	if want := testRunner.assets.sharedSnapshot(); len(snap) != len(want) {
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
	if kept, err := testRunner.disk.load(); kept != nil || err != nil {
		t.Fatalf("the runner still keeps %d bytes (%v) after a shared snapshot failed to boot, want none", len(kept), err)
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
	if kept, err := testRunner.disk.load(); err != nil || !bytes.Equal(kept, testRunner.assets.sharedSnapshot()) {
		t.Fatalf("after a new snapshot was made, the runner keeps %d bytes (%v), want the new one", len(kept), err)
	}
	jobIn(fresh)
}

// TestSnapshotKeptBetweenRunners checks that the runner keeps the snapshot
// it shares in its snapshot directory, under a key over every asset its
// first host loaded; that a kept file that is no snapshot is removed; that
// the first host of a later runner boots from it; and that a runner closed
// while a host boots from it leaves it kept.
func TestSnapshotKeptBetweenRunners(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	testenv.Eventually(t, 3*time.Minute, testRunner.assets.sharing, "the runner shares no snapshot")
	assets := page.Handler()
	requested.Range(func(k, _ any) bool {
		p := k.(string)
		rec := httptest.NewRecorder()
		assets.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code == http.StatusOK && !slices.Contains(page.SnapshotInputs, p) {
			t.Errorf("a page loaded %s, which is not in page.SnapshotInputs: a snapshot kept between processes is not keyed by it", p)
		}
		return true
	})
	kept, err := testRunner.disk.load()
	if err != nil || !bytes.Equal(kept, testRunner.assets.sharedSnapshot()) {
		t.Fatalf("the runner keeps %d bytes (%v), want the snapshot it shares", len(kept), err)
	}

	// A kept file that cannot be trusted is removed at the start, and
	// the runner goes on sharing what it has.
	os.WriteFile(testRunner.disk.path(), []byte(snapshotMagic+"not a snapshot"), 0o600)
	testRunner.loadSnapshot(testRunner.current())
	if _, err := os.Stat(testRunner.disk.path()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a kept file that is no snapshot was not removed: %v", err)
	}
	if !bytes.Equal(testRunner.assets.sharedSnapshot(), kept) {
		t.Fatal("a kept file that is no snapshot changed what the runner shares")
	}
	if err := testRunner.disk.store(kept); err != nil {
		t.Fatal(err)
	}

	r, err := New(ctx, Config{Assets: page.Handler(), PoolSize: 1, SnapshotDir: snapshotDir})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.disk.key != testRunner.disk.key {
		t.Fatalf("two runners of the same assets and browser have the keys %s and %s", r.disk.key, testRunner.disk.key)
	}
	h, err := r.take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !h.shared {
		t.Fatal("the first host of a later runner booted from scratch, not from the kept snapshot")
	}
	res, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: "print(6 * 7)"}, r.cfg.Limits)
	if err != nil || res.Stdout != "42\n" {
		t.Fatalf("a job in a host booted from the kept snapshot: %+v, %v", res, err)
	}
	h.close()

	r.Close()
	if h, err := r.build(); err == nil {
		h.close()
		t.Fatal("a closed runner built a host")
	}
	if kept, err := r.disk.load(); err != nil || kept == nil {
		t.Fatalf("a runner closed while a host booted from the kept snapshot left %d bytes (%v), want it kept", len(kept), err)
	}
}
