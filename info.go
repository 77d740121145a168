package sandpit

// Info is what a server tells of itself: its version, the interpreter jobs
// run in, the limits in force and the packages jobs may import.
type Info struct {
	// Version is the server's version: a release tag, or a development
	// build's commit.
	Version        string     `json:"version"`
	PyodideVersion string     `json:"pyodide_version"`
	PythonVersion  string     `json:"python_version"`
	Limits         LimitsInfo `json:"limits"`
	// Packages are the packages of the server's package repository that
	// jobs may load (its allow-list with their dependencies), by canonical
	// name, sorted; empty when jobs have the standard library only.
	Packages []string `json:"packages"`
}

// LimitsInfo is Limits as a caller reads them, in the units of the job
// spec's own fields.
type LimitsInfo struct {
	DefaultTimeoutMS int64 `json:"default_timeout_ms"`
	MaxTimeoutMS     int64 `json:"max_timeout_ms"`
	DefaultMemoryMB  int   `json:"default_memory_mb"`
	MinMemoryMB      int   `json:"min_memory_mb"`
	MaxMemoryMB      int   `json:"max_memory_mb"`
	MaxSpecBytes     int   `json:"max_spec_bytes"`
	MaxCodeBytes     int   `json:"max_code_bytes"`
	MaxStdinBytes    int   `json:"max_stdin_bytes"`
	MaxOutputBytes   int   `json:"max_output_bytes"`
	MaxFiles         int   `json:"max_files"`
	MaxFileBytes     int   `json:"max_file_bytes"`
	MaxPathBytes     int   `json:"max_path_bytes"`
	MaxPackages      int   `json:"max_packages"`
}

// Info returns l, with its defaults, as a caller reads it.
func (l Limits) Info() LimitsInfo {
	l = l.WithDefaults()
	return LimitsInfo{
		DefaultTimeoutMS: l.DefaultTimeout.Milliseconds(),
		MaxTimeoutMS:     l.MaxTimeout.Milliseconds(),
		DefaultMemoryMB:  l.DefaultMemoryMB,
		MinMemoryMB:      MinMemoryMB,
		MaxMemoryMB:      l.MaxMemoryMB,
		MaxSpecBytes:     l.MaxSpecBytes,
		MaxCodeBytes:     l.MaxCodeBytes,
		MaxStdinBytes:    l.MaxStdinBytes,
		MaxOutputBytes:   l.MaxOutputBytes,
		MaxFiles:         l.MaxFiles,
		MaxFileBytes:     l.MaxFileBytes,
		MaxPathBytes:     l.MaxPathBytes,
		MaxPackages:      MaxPackages,
	}
}
