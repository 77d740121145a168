// Package pkgrepo writes small Pyodide package repositories for tests: pure
// Python wheels built on the spot and the pyodide-lock.json that names them.
package pkgrepo

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Package is one pure-Python package.
type Package struct {
	Name    string
	Version string
	// Files maps paths inside the wheel, such as "greet/__init__.py", to
	// their contents; the first path element of each .py file is an
	// import name of the package.
	Files   map[string]string
	Depends []string
}

// Write builds a wheel for each package in dir and a pyodide-lock.json
// for Python version python that names them all.
func Write(dir, python string, pkgs ...Package) error {
	packages := map[string]any{}
	for _, p := range pkgs {
		whl, err := wheel(p)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s-%s-py3-none-any.whl", strings.ReplaceAll(p.Name, "-", "_"), p.Version)
		if err := os.WriteFile(filepath.Join(dir, name), whl, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(whl)
		packages[p.Name] = map[string]any{
			"name": p.Name, "version": p.Version, "file_name": name,
			"install_dir": "site", "sha256": hex.EncodeToString(sum[:]),
			"package_type": "package", "imports": imports(p), "depends": nonNil(p.Depends),
			"unvendored_tests": false, "shared_library": false,
		}
	}
	lock, err := json.MarshalIndent(map[string]any{
		"info":     map[string]any{"arch": "wasm32", "python": python},
		"packages": packages,
	}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "pyodide-lock.json"), lock, 0o644)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// imports are the top-level names of a package's Python files.
func imports(p Package) []string {
	var names []string
	for path := range p.Files {
		if !strings.HasSuffix(path, ".py") {
			continue
		}
		top, _, _ := strings.Cut(path, "/")
		top = strings.TrimSuffix(top, ".py")
		if !slices.Contains(names, top) {
			names = append(names, top)
		}
	}
	slices.Sort(names)
	return names
}

// wheel zips a package with the metadata a wheel needs.
func wheel(p Package) ([]byte, error) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	dist := fmt.Sprintf("%s-%s.dist-info", strings.ReplaceAll(p.Name, "-", "_"), p.Version)
	files := map[string]string{
		dist + "/METADATA": fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", p.Name, p.Version),
		dist + "/WHEEL":    "Wheel-Version: 1.0\nGenerator: sandpit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
	}
	for k, v := range p.Files {
		files[k] = v
	}
	var record strings.Builder
	paths := make([]string, 0, len(files))
	for k := range files {
		paths = append(paths, k)
	}
	slices.Sort(paths)
	for _, path := range paths {
		w, err := z.Create(path)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(files[path])); err != nil {
			return nil, err
		}
		fmt.Fprintf(&record, "%s,,\n", path)
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", dist)
	w, err := z.Create(dist + "/RECORD")
	if err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte(record.String())); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
