package page

import (
	_ "embed"
	"encoding/json"
)

//go:embed node_modules/pyodide/package.json
var pyodidePackage []byte

// PyodideVersion is the version of the pinned Pyodide npm package that
// sandboxes and browsers run.
func PyodideVersion() string {
	var p struct {
		Version string `json:"version"`
	}
	json.Unmarshal(pyodidePackage, &p)
	return p.Version
}

// PyodideVersion is the version of the Pyodide that w serves.
func (w *Web) PyodideVersion() string { return PyodideVersion() }

// PythonVersion is the version of the Python that w's Pyodide runs.
func (w *Web) PythonVersion() string { return PythonVersion() }

// Packages are the packages of the repository that jobs may load: the
// allow-list with its dependencies, by canonical name, sorted.
func (w *Web) Packages() []string { return append([]string{}, w.repo.names...) }
