package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit/internal/pkgrepo"
	"github.com/sandpit-dev/sandpit/page"
)

// smallRelease packs a Pyodide release of one package as the real archive
// is packed (pyodide/ with the lock and wheels, tar and bzip2), with the
// lock's info as given.
func smallRelease(t *testing.T, info map[string]any) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "pyodide")
	os.Mkdir(dir, 0o755)
	if err := pkgrepo.Write(dir, page.PythonVersion(), pkgrepo.Package{Name: "greet", Version: "1.0",
		Files: map[string]string{"greet/__init__.py": "def hi():\n    return 'hi'\n"}}); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "pyodide-lock.json")
	data, _ := os.ReadFile(lockPath)
	var lock map[string]any
	json.Unmarshal(data, &lock)
	lock["info"] = info
	data, _ = json.Marshal(lock)
	os.WriteFile(lockPath, data, 0o644)
	os.WriteFile(filepath.Join(dir, "pyodide.asm.wasm"), []byte("\x00asm"), 0o644)
	archive := filepath.Join(t.TempDir(), "pyodide-test.tar.bz2")
	if out, err := exec.Command("tar", "-C", root, "-cjf", archive, "pyodide").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	return archive
}

// TestPackagesCommand makes a package repository from a release archive
// with `sandpit packages` and with `make packages PYODIDE_ARCHIVE=...`, as
// the image's packages stage and an operator without network do, and has a
// worker accept it.
func TestPackagesCommand(t *testing.T) {
	archive := smallRelease(t, page.LockInfo())
	out := filepath.Join(t.TempDir(), "repo")
	got, err := exec.Command(binary, "packages", "--archive", archive, "--out", out).CombinedOutput()
	if err != nil || !strings.Contains(string(got), "1 packages") {
		t.Fatalf("sandpit packages: %v: %s", err, got)
	}
	if _, err := os.Stat(filepath.Join(out, "pyodide.asm.wasm")); !os.IsNotExist(err) {
		t.Error("the repository holds the release's runtime files, not only its packages")
	}
	// A worker's start-up check accepts it: it goes on to Redis, which is
	// not there.
	check := exec.Command(binary, "worker", "--redis-url", "redis://127.0.0.1:1", "--packages-dir", out, "--packages", "greet")
	if got, _ := check.CombinedOutput(); !strings.Contains(string(got), "connect to redis") {
		t.Errorf("worker refused the repository: %s", got)
	}

	made := filepath.Join(t.TempDir(), "made")
	cmd := exec.Command("make", "-C", "../..", "packages", "PYODIDE_ARCHIVE="+archive, "PACKAGES_DIR="+made)
	if got, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make packages: %v: %s", err, got)
	}
	if _, err := os.Stat(filepath.Join(made, "greet-1.0-py3-none-any.whl")); err != nil {
		t.Errorf("make packages made no repository: %v", err)
	}

	// A release of another Pyodide is refused, saying why.
	other := map[string]any{}
	for k, v := range page.LockInfo() {
		other[k] = v
	}
	other["abi_version"] = "2024_0"
	bad := exec.Command(binary, "packages", "--archive", smallRelease(t, other), "--out", filepath.Join(t.TempDir(), "bad"))
	got, err = bad.CombinedOutput()
	if code := bad.ProcessState.ExitCode(); err == nil || code != 1 || !strings.Contains(string(got), "info.abi_version is 2024_0") {
		t.Fatalf("sandpit packages with another ABI: exit %d: %s", code, got)
	}
}
