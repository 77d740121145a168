// Package pkgrelease turns a Pyodide release archive (pyodide-VERSION.tar.bz2,
// whose files sit under pyodide/) into a package repository for
// --packages-dir: its pyodide-lock.json and the wheels and libraries it
// names, each checked against the lock's sha256 and the lock checked
// against the Pyodide that sandpit embeds.
package pkgrelease

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// lockName is the lock file of a repository.
const lockName = "pyodide-lock.json"

// Summary says what a repository holds.
type Summary struct {
	Packages int   // packages in the lock
	Bytes    int64 // size of their files
}

// lock is what Check reads of a pyodide-lock.json.
type lock struct {
	Info     map[string]any `json:"info"`
	Packages map[string]struct {
		FileName string `json:"file_name"`
		SHA256   string `json:"sha256"`
	} `json:"packages"`
}

// Unpack reads the release archive at archive (tar, compressed with bzip2
// or gzip, or not) and makes dir a package repository of it: the lock file
// and the files it names, from the archive's top directory, checked by
// Check against want. dir is replaced whole once the new repository is
// complete; a dir that holds something other than a repository is refused.
func Unpack(archive, dir string, want map[string]any) (Summary, error) {
	if err := replaceable(dir); err != nil {
		return Summary{}, err
	}
	f, err := os.Open(archive)
	if err != nil {
		return Summary{}, fmt.Errorf("open the archive: %w", err)
	}
	defer f.Close()
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".packages-")
	if err != nil {
		return Summary{}, fmt.Errorf("make the repository: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := extract(f, tmp); err != nil {
		return Summary{}, fmt.Errorf("%s: %w", archive, err)
	}
	sum, err := keepLocked(tmp, want)
	if err != nil {
		return Summary{}, fmt.Errorf("%s: %w", archive, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Summary{}, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return Summary{}, fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return Summary{}, fmt.Errorf("replace %s: %w", dir, err)
	}
	return sum, nil
}

// replaceable refuses a dir that exists, is not empty and is not a package
// repository, so that a mistyped --out never deletes anything else.
func replaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, lockName)); err != nil {
		return fmt.Errorf("output directory %s is not empty and holds no %s: refusing to replace it", dir, lockName)
	}
	return nil
}

// decompress sees from its first bytes how r is compressed.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), nil
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	}
	return br, nil
}

// extract writes the regular files at the top of the archive's top
// directory (pyodide/NAME) into dir. Files deeper down are not packages and
// are skipped; an entry that names a path outside the archive's directory
// fails it.
func extract(r io.Reader, dir string) error {
	dr, err := decompress(r)
	if err != nil {
		return fmt.Errorf("decompress: %w", err)
	}
	tr := tar.NewReader(dr)
	top := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		clean := path.Clean(name)
		if path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("entry %q is outside the archive", h.Name)
		}
		if clean == "." {
			continue
		}
		first, rest, _ := strings.Cut(clean, "/")
		if top == "" {
			top = first
		}
		if first != top {
			return fmt.Errorf("entry %q is outside the archive's directory %s/", h.Name, top)
		}
		if h.Typeflag != tar.TypeReg || rest == "" || strings.Contains(rest, "/") {
			continue
		}
		out, err := os.OpenFile(filepath.Join(dir, rest), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
	if top == "" {
		return errors.New("the archive is empty")
	}
	return nil
}

// keepLocked checks the repository in dir and removes every file its lock
// does not name.
func keepLocked(dir string, want map[string]any) (Summary, error) {
	l, sum, err := check(dir, want)
	if err != nil {
		return Summary{}, err
	}
	named := []string{lockName}
	for _, p := range l.Packages {
		named = append(named, p.FileName)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Summary{}, err
	}
	for _, e := range entries {
		if !slices.Contains(named, e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return Summary{}, err
			}
		}
	}
	return sum, nil
}

// Check checks the repository in dir: its lock's info has the values of
// want (the embedded Pyodide's Python version, platform and ABI), and every
// package's file is there, a plain name in dir, with the lock's sha256.
func Check(dir string, want map[string]any) (Summary, error) {
	_, sum, err := check(dir, want)
	return sum, err
}

func check(dir string, want map[string]any) (lock, Summary, error) {
	var l lock
	data, err := os.ReadFile(filepath.Join(dir, lockName))
	if errors.Is(err, os.ErrNotExist) {
		return l, Summary{}, fmt.Errorf("no %s: not a Pyodide release", lockName)
	}
	if err != nil {
		return l, Summary{}, err
	}
	if err := json.Unmarshal(data, &l); err != nil {
		return l, Summary{}, fmt.Errorf("%s: %w", lockName, err)
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if w, ok := want[k].(string); ok && l.Info[k] != w {
			return l, Summary{}, fmt.Errorf("%s: info.%s is %v, but sandpit's Pyodide needs %s: use the release of the Pyodide version in page/package-lock.json", lockName, k, l.Info[k], w)
		}
	}
	if len(l.Packages) == 0 {
		return l, Summary{}, fmt.Errorf("%s lists no packages", lockName)
	}
	var names []string
	for name := range l.Packages {
		names = append(names, name)
	}
	slices.Sort(names)
	sum := Summary{Packages: len(names)}
	for _, name := range names {
		p := l.Packages[name]
		if p.FileName == "" || p.FileName != filepath.Base(p.FileName) || p.FileName == lockName {
			return l, Summary{}, fmt.Errorf("package %q: file_name %q is not a file of the repository", name, p.FileName)
		}
		n, digest, err := hashFile(filepath.Join(dir, p.FileName))
		if err != nil {
			return l, Summary{}, fmt.Errorf("package %q: %w", name, err)
		}
		if digest != strings.ToLower(p.SHA256) {
			return l, Summary{}, fmt.Errorf("package %q: %s has sha256 %s, but the lock says %s", name, p.FileName, digest, p.SHA256)
		}
		sum.Bytes += n
	}
	return l, sum, nil
}

func hashFile(name string) (int64, string, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
