package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// TestSnapshotDir checks that a sandpit keeps its snapshot in
// --snapshot-dir (here from SANDPIT_SNAPSHOT_DIR, which the tests set) and
// that the next one to start boots its sandboxes from it and runs jobs.
func TestSnapshotDir(t *testing.T) {
	kept := func() bool {
		files, _ := filepath.Glob(filepath.Join(snapshotDir, "snapshot-*"))
		return len(files) > 0
	}
	addr := freeAddr(t)
	first := start(t, "serve", "--addr", addr, "--pool-size", "1")
	waitReady(t, "http://"+addr, first)
	testenv.Eventually(t, time.Minute, kept, "sandpit keeps no snapshot in %s", snapshotDir)
	first.stop(t)

	addr = freeAddr(t)
	next := start(t, "serve", "--addr", addr, "--pool-size", "1")
	waitReady(t, "http://"+addr, next)
	if !strings.Contains(next.out.String(), "hosts boot from a kept snapshot") {
		t.Fatalf("the next sandpit did not boot from the kept snapshot:\n%s", next.out.String())
	}
	if status, job := postJSON(t, "http://"+addr+"/v1/run", `{"code": "print(6 * 7)"}`); status != 200 || job.Status != sandpit.StatusSucceeded || job.Stdout != "42\n" {
		t.Fatalf("a job in a sandbox booted from the kept snapshot: %d %+v", status, job)
	}
}

// TestSnapshotDirRefused checks that a snapshot directory other users
// could write to stops sandpit at its start, with an error naming the
// flag, the directory and what is wrong.
func TestSnapshotDirRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	p := start(t, "serve", "--addr", freeAddr(t), "--snapshot-dir", dir)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatal("sandpit did not exit")
	}
	want := "--snapshot-dir (SANDPIT_SNAPSHOT_DIR): runner: snapshot directory " + dir + " may not hold snapshots: it is writable by users other than its owner (mode 0777)"
	if code := p.cmd.ProcessState.ExitCode(); code == 0 || !strings.Contains(p.out.String(), want) {
		t.Fatalf("exit %d, output %q; want a failure saying %q", code, p.out.String(), want)
	}
}
