package page

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Options configure what Handler serves besides the harness and Pyodide.
type Options struct {
	// PackagesDir is a local Pyodide package repository: a pyodide-lock.json
	// and the wheels it names (a full Pyodide release unpacked, for one).
	// Empty: the standard library only.
	PackagesDir string
	// Allow names the packages of the repository that jobs may load, each
	// with its dependencies; empty: all of them.
	Allow []string
	// Preload names packages loaded and imported into the interpreter's
	// memory snapshot, so that jobs importing them pay no load cost. They
	// must be pure Python: a snapshot cannot hold a shared library.
	Preload []string
}

// lockFile is the part of pyodide-lock.json that sandpit reads; packages
// are kept as they are.
type lockFile struct {
	Info     map[string]any             `json:"info"`
	Packages map[string]json.RawMessage `json:"packages"`
}

// lockEntry is what sandpit reads of one package of a lock file.
type lockEntry struct {
	Name     string   `json:"name"`
	FileName string   `json:"file_name"`
	Depends  []string `json:"depends"`
	Imports  []string `json:"imports"`
}

// repository is the package repository as served: the lock that the
// browser gets and the wheel file of each package in it.
type repository struct {
	dir     string
	lock    []byte            // the lock file served to the browser
	files   map[string]string // wheel file name → package name
	names   []string          // package names, sorted
	preload []string          // canonical names
}

var nonCanonical = regexp.MustCompile(`[-_.]+`)

// canonical is a package's name as Pyodide's lock file keys it (PEP 503).
func canonical(name string) string {
	return nonCanonical.ReplaceAllString(strings.ToLower(name), "-")
}

// openRepository reads the lock of opts.PackagesDir and keeps the packages
// whose wheels are there and that opts.Allow lets in, with their
// dependencies. Without a directory it serves an empty lock with Pyodide's
// own info, so that nothing beyond the standard library loads.
func openRepository(base []byte, opts Options) (*repository, error) {
	var pinned lockFile
	if err := json.Unmarshal(base, &pinned); err != nil {
		return nil, fmt.Errorf("read Pyodide's pyodide-lock.json: %w", err)
	}
	repo := &repository{dir: opts.PackagesDir, files: map[string]string{}}
	served := lockFile{Info: pinned.Info, Packages: map[string]json.RawMessage{}}
	if opts.PackagesDir == "" {
		if len(opts.Allow) > 0 || len(opts.Preload) > 0 {
			return nil, errors.New("packages allow-list and preload need a packages directory")
		}
		repo.lock, _ = json.Marshal(served)
		return repo, nil
	}
	data, err := os.ReadFile(filepath.Join(opts.PackagesDir, "pyodide-lock.json"))
	if err != nil {
		return nil, fmt.Errorf("packages directory: %w", err)
	}
	var lock lockFile
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("packages directory: pyodide-lock.json: %w", err)
	}
	if got, want := lock.Info["python"], pinned.Info["python"]; got != want {
		return nil, fmt.Errorf("packages directory: pyodide-lock.json is for Python %v, but this Pyodide runs Python %v", got, want)
	}
	entries := map[string]lockEntry{}
	for key, raw := range lock.Packages {
		var e lockEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("packages directory: pyodide-lock.json: package %q: %w", key, err)
		}
		// Only wheels held in the directory itself are served.
		if e.FileName == "" || e.FileName != filepath.Base(e.FileName) || strings.Contains(e.FileName, ":") {
			continue
		}
		if st, err := os.Stat(filepath.Join(opts.PackagesDir, e.FileName)); err != nil || !st.Mode().IsRegular() {
			continue
		}
		entries[canonical(key)] = e
	}
	// A package whose dependencies are not all there cannot load.
	for changed := true; changed; {
		changed = false
		for c, e := range entries {
			for _, d := range e.Depends {
				if _, ok := entries[canonical(d)]; !ok {
					delete(entries, c)
					changed = true
					break
				}
			}
		}
	}
	keep := map[string]bool{}
	var add func(name string, why string) error
	add = func(name, why string) error {
		c := canonical(name)
		if keep[c] {
			return nil
		}
		if _, ok := entries[c]; !ok {
			return fmt.Errorf("%s: package %q is not in the packages directory %s, or its wheel or a dependency is missing", why, name, opts.PackagesDir)
		}
		keep[c] = true
		for _, d := range entries[c].Depends {
			if err := add(d, fmt.Sprintf("%s: dependency of %q", why, name)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(opts.Allow) == 0 {
		for c := range entries {
			keep[c] = true
		}
	}
	for _, n := range opts.Allow {
		if err := add(n, "allow-list"); err != nil {
			return nil, err
		}
	}
	for _, n := range opts.Preload {
		if !keep[canonical(n)] {
			return nil, fmt.Errorf("preload: package %q is not among the loadable packages", n)
		}
		repo.preload = append(repo.preload, canonical(n))
	}
	for key, raw := range lock.Packages {
		c := canonical(key)
		if keep[c] {
			served.Packages[c] = raw
			repo.files[entries[c].FileName] = c
			repo.names = append(repo.names, c)
		}
	}
	slices.Sort(repo.names)
	repo.lock, err = json.Marshal(served)
	return repo, err
}

// wheel returns the bytes of a served wheel by file name.
func (r *repository) wheel(name string) ([]byte, error) {
	if _, ok := r.files[name]; !ok {
		return nil, fs.ErrNotExist
	}
	return os.ReadFile(filepath.Join(r.dir, name))
}

// config is what the host page learns of the repository.
func (r *repository) config() []byte {
	data, _ := json.Marshal(map[string]any{
		"preload":  append([]string{}, r.preload...),
		"packages": append([]string{}, r.names...),
	})
	return data
}

// PythonVersion is the version of the Python that the pinned Pyodide runs,
// which a package repository's lock file must name.
func PythonVersion() string {
	v, _ := LockInfo()["python"].(string)
	return v
}

// LockInfo is the "info" of the pinned Pyodide's pyodide-lock.json: the
// Python version, platform and ABI that a package repository's wheels must
// be built for.
func LockInfo() map[string]any {
	data, err := readPyodide("pyodide-lock.json")
	if err != nil {
		return nil
	}
	var lock lockFile
	json.Unmarshal(data, &lock)
	return lock.Info
}
