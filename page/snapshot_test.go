package page

import (
	"os/exec"
	"testing"
)

// TestSnapshotPages runs testdata/snapshot_test.mjs with Node: the tests of
// static/snapshot.js, which keeps a host's snapshot by its pages, the last of
// them against a snapshot of Pyodide's own. Node runs with V8's collector
// exposed, as sandpit's Chromium does.
func TestSnapshotPages(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node, which runs the page's JavaScript tests: %v", err)
	}
	out, err := exec.Command(node, "--expose-gc", "--test", "--test-reporter=spec", "testdata/snapshot_test.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test testdata/snapshot_test.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
