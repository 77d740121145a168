package runner

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCache is a snapshot cache in a directory of the test's own, keyed
// "k".
func testCache(t *testing.T) *snapshotCache {
	t.Helper()
	c, err := openSnapshotCache(filepath.Join(t.TempDir(), "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	c.key = "k"
	return c
}

// TestSnapshotCacheKeepsWhatItStores checks that the directory is made for
// its owner alone and that a snapshot stored is loaded byte for byte, with
// nothing of the write left beside it.
func TestSnapshotCacheKeepsWhatItStores(t *testing.T) {
	c := testCache(t)
	if fi, err := os.Stat(c.dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the cache's directory: %v, %v; want mode 0700", fi, err)
	}
	if got, err := c.load(); got != nil || err != nil {
		t.Fatalf("an empty cache loaded %d bytes, %v; want none and no error", len(got), err)
	}
	snapshot := bytes.Repeat([]byte("interpreter"), 1000)
	if err := c.store(snapshot); err != nil {
		t.Fatal(err)
	}
	got, err := c.load()
	if err != nil || !bytes.Equal(got, snapshot) {
		t.Fatalf("loaded %d bytes, %v; want the %d stored", len(got), err, len(snapshot))
	}
	entries, _ := os.ReadDir(c.dir)
	if len(entries) != 1 || entries[0].Name() != "snapshot-k" {
		t.Fatalf("the directory holds %v, want snapshot-k alone", entries)
	}
	c.drop()
	if got, err := c.load(); got != nil || err != nil {
		t.Fatalf("after drop, loaded %d bytes, %v; want none", len(got), err)
	}
}

// TestSnapshotCacheRefusesWhatItCannotTrust checks that a kept file is
// served only whole, unaltered and writable by its owner alone.
func TestSnapshotCacheRefusesWhatItCannotTrust(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, path string)
		want   string
	}{
		{"a byte changed", func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			data[len(data)-1] ^= 1
			os.WriteFile(path, data, 0o600)
		}, "does not match its digest"},
		{"cut short", func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			os.WriteFile(path, data[:len(data)-100], 0o600)
		}, "does not match its digest"},
		{"shorter than its header", func(t *testing.T, path string) {
			os.WriteFile(path, []byte(snapshotMagic), 0o600)
		}, "not a snapshot"},
		{"another format", func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			copy(data, "sandpit snapshot 0\n")
			os.WriteFile(path, data, 0o600)
		}, "not a snapshot of this sandpit"},
		{"writable by others", func(t *testing.T, path string) {
			os.Chmod(path, 0o666)
		}, "writable by users other than its owner"},
		{"a link", func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "elsewhere")
			os.Rename(path, other)
			os.Symlink(other, path)
		}, "too many levels of symbolic links"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testCache(t)
			if err := c.store(bytes.Repeat([]byte{7}, 4096)); err != nil {
				t.Fatal(err)
			}
			tc.tamper(t, c.path())
			got, err := c.load()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("loaded %d bytes, %v; want an error saying %q", len(got), err, tc.want)
			}
		})
	}
}

// TestSnapshotCacheDirectory checks that a directory that others could
// write to, or that is not one, is refused with an error naming it and
// what is wrong, and so is one of another user.
func TestSnapshotCacheDirectory(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o600)
	for dir, want := range map[string]string{
		open:   "writable by users other than its owner (mode 0777)",
		notDir: "not a directory",
	} {
		_, err := openSnapshotCache(dir)
		if !errors.Is(err, ErrUntrustedSnapshotDir) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), want) {
			t.Errorf("openSnapshotCache(%s): %v; want an error naming it and saying %q", dir, err, want)
		}
	}
	fi, err := os.Stat(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := trusted(fi, os.Geteuid()+1, true); err == nil || !strings.Contains(err.Error(), "belongs to uid") {
		t.Errorf("a directory of another user: %v; want it refused", err)
	}
}

// TestSnapshotKey checks that the key tells apart snapshots of another
// browser and of any other byte or status of any input.
func TestSnapshotKey(t *testing.T) {
	inputs := []string{"/a", "/b"}
	assets := map[string]*response{"/a": {status: http.StatusOK, body: []byte("one")}, "/b": {status: http.StatusOK, body: []byte("two")}}
	key := func(browser string) string {
		return snapshotKey(browser, inputs, func(p string) *response { return assets[p] })
	}
	base := key("Chrome/1")
	if key("Chrome/1") != base {
		t.Fatal("the same inputs gave two keys")
	}
	if key("Chrome/2") == base {
		t.Error("another browser gave the same key")
	}
	assets["/b"] = &response{status: http.StatusOK, body: []byte("twO")}
	if key("Chrome/1") == base {
		t.Error("another byte of an input gave the same key")
	}
	assets["/b"] = &response{status: http.StatusNotFound, body: []byte("two")}
	if key("Chrome/1") == base {
		t.Error("another status of an input gave the same key")
	}
	assets["/a"], assets["/b"] = &response{status: http.StatusOK, body: []byte("onet")}, &response{status: http.StatusOK, body: []byte("wo")}
	if key("Chrome/1") == base {
		t.Error("the same bytes split otherwise between the inputs gave the same key")
	}
}

// TestSnapshotCachePrunes checks that storing a snapshot removes the files
// of other keys and the half-written files no process has touched for a
// week, and keeps younger ones.
func TestSnapshotCachePrunes(t *testing.T) {
	c := testCache(t)
	old := time.Now().Add(-snapshotCacheAge - time.Hour)
	for name, mtime := range map[string]time.Time{
		"snapshot-old":   old,
		".snapshot-123":  old,
		"snapshot-young": time.Now(),
		"unrelated":      old,
	} {
		p := filepath.Join(c.dir, name)
		os.WriteFile(p, nil, 0o600)
		os.Chtimes(p, mtime, mtime)
	}
	if err := c.store([]byte("new")); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(c.dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "snapshot-k snapshot-young unrelated"; got != want {
		t.Errorf("after store the directory holds %q, want %q", got, want)
	}
}
