package page

import (
	"github.com/sandpit-dev/sandpit"
)

// The protocol between the runner and the headless sandbox page. The runner
// opens SandboxPath in a tab and calls the methods of the page's protocol
// object (globalThis[ProtocolObject], set up by static/harness.js) with
// DevTools' Runtime.callFunctionOn, each argument a protocol value:
//
//	ready()                       resolves once a fresh sandbox is ready
//	run(spec, limits)             runs spec in a fresh interpreter; resolves with an Outcome
//	runInSession(spec, limits)    runs spec in the session's one interpreter; resolves with an Outcome
//	interruptSession()            raises KeyboardInterrupt in the session's running code
//	snapshotChunk(offset, length) resolves with a SnapshotChunk of the host's snapshot, or null
//	bootStages()                  resolves with the ms the last sandbox's boot took per stage, or null
//
// spec is a sandpit.Spec and limits a Limits. While a job runs, the page
// calls OutputBinding, a function the runner adds to it with DevTools'
// Runtime.addBinding, with the JSON [fd, text] for each piece of output as
// it comes (fd 1 for stdout, 2 for stderr), all before the job's outcome.
// The frame that runs code in an
// end user's browser (web/frame.js) runs the same host (static/host.js) with
// the same Limits and the same Outcome.
const (
	// SandboxPath is the page a sandbox tab opens.
	SandboxPath = "/sandbox.html"
	// ColdSandboxPath is the same page booting its one interpreter from
	// scratch, with no snapshot: the naive design, kept as the baseline
	// that benchmarks compare against.
	ColdSandboxPath = SandboxPath + "#cold"
	// SharedSandboxPath is the same page booting from the snapshot served
	// at SharedSnapshotPath, which another host made, instead of making
	// one of its own. The snapshot is served compressed with gzip, with no
	// Content-Encoding: the page decompresses it.
	SharedSandboxPath  = SandboxPath + "#shared"
	SharedSnapshotPath = "/shared/snapshot"

	// ProtocolObject is the name of the page's global that holds the
	// methods below.
	ProtocolObject = "sandpit"

	MethodReady            = "ready"
	MethodRun              = "run"
	MethodRunInSession     = "runInSession"
	MethodInterruptSession = "interruptSession"
	MethodSnapshotChunk    = "snapshotChunk"
	MethodBootStages       = "bootStages"

	// OutputBinding is the page's function that takes a job's output as
	// it comes.
	OutputBinding = "sandpitOutput"
)

// SnapshotInputs are the assets a host's page loads to make its snapshot:
// the snapshot is a function of their bytes and of the browser that runs
// them, so a snapshot kept between processes is keyed by them all.
var SnapshotInputs = []string{
	SandboxPath,
	"/host.js",
	"/bootstages.js",
	"/snapshot.js",
	"/harness.js",
	"/worker.js",
	"/harness.py",
	"/config.json",
	"/pyodide/pyodide.mjs",
	"/pyodide/pyodide.asm.mjs",
	"/pyodide/pyodide.asm.wasm",
	"/pyodide/python_stdlib.zip",
	"/pyodide/pyodide-lock.json",
}

// SnapshotChunk is a piece of a host's snapshot: Data holds its bytes from
// the offset asked for on, and Size is the whole snapshot's. A host shares
// its snapshot only if it made it itself, with nothing preloaded, and has
// been given no job or session.
type SnapshotChunk struct {
	Size int    `json:"size"`
	Data []byte `json:"data"`
}

// Limits are the limits a sandbox enforces, as the headless page and the
// browser's frame both take them: the frame checks a spec against them as
// the server does, and the host derives each job's timeout and memory cap
// from the spec, or from the defaults when the spec gives none.
type Limits struct {
	MaxCodeBytes     int   `json:"max_code_bytes"`
	DefaultTimeoutMS int64 `json:"default_timeout_ms"`
	MaxTimeoutMS     int64 `json:"max_timeout_ms"`
	MaxFiles         int   `json:"max_files"`
	MaxFileBytes     int   `json:"max_file_bytes"`
	MaxOutputBytes   int   `json:"max_output_bytes"`
	MaxStdinBytes    int   `json:"max_stdin_bytes"`
	MaxPathBytes     int   `json:"max_path_bytes"`
	DefaultMemoryMB  int   `json:"default_memory_mb"`
	MinMemoryMB      int   `json:"min_memory_mb"`
	MaxMemoryMB      int   `json:"max_memory_mb"`
	MaxPackages      int   `json:"max_packages"`
}

// LimitsOf returns l, with its defaults filled in, as the page takes it.
func LimitsOf(l sandpit.Limits) Limits {
	l = l.WithDefaults()
	return Limits{
		MaxCodeBytes:     l.MaxCodeBytes,
		DefaultTimeoutMS: l.DefaultTimeout.Milliseconds(),
		MaxTimeoutMS:     l.MaxTimeout.Milliseconds(),
		MaxFiles:         l.MaxFiles,
		MaxFileBytes:     l.MaxFileBytes,
		MaxOutputBytes:   l.MaxOutputBytes,
		MaxStdinBytes:    l.MaxStdinBytes,
		MaxPathBytes:     l.MaxPathBytes,
		DefaultMemoryMB:  l.DefaultMemoryMB,
		MinMemoryMB:      sandpit.MinMemoryMB,
		MaxMemoryMB:      l.MaxMemoryMB,
		MaxPackages:      sandpit.MaxPackages,
	}
}

// Outcome is what the page reports of one job: the job's result as the
// page saw it, and whether the job's worker was stopped. It comes from a
// page that ran untrusted code, so its reader checks it field by field
// before it becomes a result.
type Outcome struct {
	sandpit.Result
	// Outputs are the job's rich outputs with every datum a string: JSON
	// data as JSON text, so that the harness, the browser and the runner
	// count an output's bytes alike. The reader makes them
	// sandpit.Outputs.
	Outputs []map[string]string `json:"outputs"`
	// Stopped says the worker was terminated: always after a fresh job, and
	// after a session's run only when its interpreter could not be kept.
	Stopped bool `json:"stopped"`
}
