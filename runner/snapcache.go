package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// snapshotCache keeps the snapshot the runner shares between its hosts in a
// directory, so that a later process on the machine (a restart, another
// worker) boots its first host from it instead of from scratch, which
// costs seconds of CPU. A snapshot is the starting state of every job's
// interpreter, so the directory is trusted as the binary is: it must be
// the process's own and writable by nobody else, and each file is checked
// the same way and against the digest written with it before its bytes
// are served to a page. A file is named by a key over everything the
// snapshot was made from (snapshotKey), so that a snapshot of other
// assets or of another browser is never taken for this one.
type snapshotCache struct {
	dir string
	uid int    // the owner the directory and files must have
	key string // set once the browser is known (see snapshotKey)
}

// snapshotMagic opens every file of the cache, before the snapshot's
// SHA-256 and its bytes.
const snapshotMagic = "sandpit snapshot 1\n"

// snapshotCacheAge is how long a file of the cache that no process has
// read or written is kept: files of other keys (an older sandpit, another
// Chromium) are removed once they are this old.
const snapshotCacheAge = 7 * 24 * time.Hour

// ErrUntrustedSnapshotDir is wrapped by New's error when Config.SnapshotDir
// may not be trusted to hold snapshots.
var ErrUntrustedSnapshotDir = errors.New("may not hold snapshots")

// openSnapshotCache makes dir (mode 0700) when it does not exist and checks
// that it is fit to hold snapshots: a directory, owned by this process's
// user and writable by no other.
func openSnapshotCache(dir string) (*snapshotCache, error) {
	c := &snapshotCache{dir: dir, uid: os.Geteuid()}
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			fi, err = os.Lstat(dir)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	if err := trusted(fi, c.uid, true); err != nil {
		return nil, fmt.Errorf("snapshot directory %s %w: it %w; make it sandpit's user's own, mode 0700, or give another", dir, ErrUntrustedSnapshotDir, err)
	}
	return c, nil
}

// trusted reports why a file or directory of the cache may not be trusted
// to hold a snapshot, or nil when it may: it must be what it claims to be
// (not a link), belong to uid, and be writable by its owner alone.
func trusted(fi fs.FileInfo, uid int, dir bool) error {
	switch {
	case dir && !fi.IsDir():
		return fmt.Errorf("is not a directory (mode %v)", fi.Mode())
	case !dir && !fi.Mode().IsRegular():
		return fmt.Errorf("is not a regular file (mode %v)", fi.Mode())
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("is writable by users other than its owner (mode %#o)", fi.Mode().Perm())
	}
	if owner, ok := fileOwner(fi); ok && owner != uid {
		return fmt.Errorf("belongs to uid %d, not to uid %d that sandpit runs as", owner, uid)
	}
	return nil
}

// snapshotKey is the name of the snapshot made by browser (its product and
// revision) from the assets at page.SnapshotInputs, whose status and bytes
// get gives in that order: any difference in any of them is another key.
func snapshotKey(browser string, inputs []string, get func(string) *response) string {
	h := sha256.New()
	field := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	field([]byte(snapshotMagic))
	field([]byte(browser))
	for _, p := range inputs {
		r := get(p)
		field([]byte(p))
		field(binary.BigEndian.AppendUint64(nil, uint64(r.status)))
		field(r.body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// path is the file of the cache's key.
func (c *snapshotCache) path() string {
	return filepath.Join(c.dir, "snapshot-"+c.key)
}

// load returns the snapshot of the cache's key: nil and no error when there
// is none, an error when there is one that cannot be trusted or read whole.
func (c *snapshotCache) load() ([]byte, error) {
	f, err := os.OpenFile(c.path(), os.O_RDONLY|openNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := trusted(fi, c.uid, false); err != nil {
		return nil, fmt.Errorf("%s %w", c.path(), err)
	}
	head := len(snapshotMagic) + sha256.Size
	if fi.Size() < int64(head) || fi.Size() > int64(head+maxSnapshotBytes) {
		return nil, fmt.Errorf("%s is %d bytes, not a snapshot", c.path(), fi.Size())
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("read %s: %w", c.path(), err)
	}
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return nil, fmt.Errorf("%s is not a snapshot of this sandpit", c.path())
	}
	sum, body := data[len(snapshotMagic):head], data[head:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%s does not match its digest", c.path())
	}
	now := time.Now()
	os.Chtimes(c.path(), now, now) // kept while it is read (see prune)
	return body, nil
}

// store writes snapshot as the file of the cache's key, whole or not at
// all: into a file of its own first, then renamed over the key's.
func (c *snapshotCache) store(snapshot []byte) error {
	f, err := os.CreateTemp(c.dir, ".snapshot-*")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(snapshot)
	_, err = f.Write(append([]byte(snapshotMagic), sum[:]...))
	if err == nil {
		_, err = f.Write(snapshot)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path())
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("keep the snapshot in %s: %w", c.dir, err)
	}
	c.prune(time.Now())
	return nil
}

// drop removes the file of the cache's key, after a host failed to boot
// from its snapshot.
func (c *snapshotCache) drop() {
	os.Remove(c.path())
}

// prune removes the files of other keys that no process has read or
// written for snapshotCacheAge, and files left half-written as long.
func (c *snapshotCache) prune(now time.Time) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "snapshot-") && !strings.HasPrefix(name, ".snapshot-") || name == filepath.Base(c.path()) {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > snapshotCacheAge {
			os.Remove(filepath.Join(c.dir, name))
		}
	}
}
