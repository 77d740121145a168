package main

import (
	"math"

	"github.com/sandpit-dev/sandpit/internal/cgroup"
)

const (
	// sandboxOverheadMB is what a sandbox takes besides its job's
	// interpreter: the host page, its copy of the memory snapshot and its
	// renderer process (docs/PERFORMANCE.md: 232 MB PSS, 466 MB RSS). The
	// browser's memory cap counts the same per sandbox.
	sandboxOverheadMB = 512
	// baseMB is what a worker takes before any sandbox: the sandpit
	// process and Chromium's browser, GPU and network processes.
	baseMB = 768
)

// poolSizes returns the default pool size and refill of a worker on cpus
// CPUs (runtime.NumCPU, which follows the CPU affinity) in a cgroup with
// limits lim: one sandbox per CPU of the quota, rounded up; no more than the
// memory limit holds, each sandbox counted at jobMB for its job's
// interpreter plus its overhead, after baseMB; at least one. A container
// thus sizes its pool by what it may use, not by the size of its host.
func poolSizes(cpus int, lim cgroup.Limits, jobMB int) (pool, refill int) {
	pool = cpus
	if lim.CPU > 0 {
		pool = min(pool, int(math.Ceil(lim.CPU)))
	}
	if lim.Memory > 0 {
		free := lim.Memory>>20 - baseMB
		pool = min(pool, int(free/int64(jobMB+sandboxOverheadMB)))
	}
	pool = max(pool, 1)
	return pool, max(1, pool/2)
}

// ownPoolSizes is poolSizes for this process, with the cgroup it runs in;
// when its cgroup files cannot be read it counts the CPUs alone.
func ownPoolSizes(cpus, jobMB int) (pool, refill int) {
	lim, err := cgroup.Own()
	if err != nil {
		lim = cgroup.Limits{}
	}
	return poolSizes(cpus, lim, jobMB)
}
