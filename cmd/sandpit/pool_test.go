package main

import (
	"testing"
	"testing/fstest"

	"github.com/sandpit-dev/sandpit/internal/cgroup"
)

// TestPoolSizes sizes the pool from fake cgroup files, as a container on a
// large host would see them.
func TestPoolSizes(t *testing.T) {
	v2 := func(cpuMax, memMax string) fstest.MapFS {
		return fstest.MapFS{
			"proc/self/cgroup":         {Data: []byte("0::/\n")},
			"sys/fs/cgroup/cpu.max":    {Data: []byte(cpuMax + "\n")},
			"sys/fs/cgroup/memory.max": {Data: []byte(memMax + "\n")},
		}
	}
	tests := []struct {
		name              string
		cpus              int
		fsys              fstest.MapFS
		jobMB             int
		wantPool, wantRef int
	}{
		{"no cgroup: the host's CPUs", 16, fstest.MapFS{}, 512, 16, 8},
		{"no limits: the host's CPUs", 16, v2("max 100000", "max"), 512, 16, 8},
		{"--scale worker=4 on 16 cores, 2 CPUs each", 16, v2("200000 100000", "max"), 512, 2, 1},
		{"a quota of 1.5 CPUs rounds up", 16, v2("150000 100000", "max"), 512, 2, 1},
		{"half a CPU still gets one sandbox", 16, v2("50000 100000", "max"), 512, 1, 1},
		{"a quota above the CPUs there are", 4, v2("800000 100000", "max"), 512, 4, 2},
		{"4 GiB holds 3 sandboxes of 512 MiB jobs", 16, v2("max 100000", "4294967296"), 512, 3, 1},
		{"4 GiB holds 1 sandbox of 2 GiB jobs", 16, v2("max 100000", "4294967296"), 2048, 1, 1},
		{"16 GiB and 8 CPUs: the CPUs bind", 32, v2("800000 100000", "17179869184"), 512, 8, 4},
		{"8 GiB and 16 CPUs: the memory binds", 32, v2("1600000 100000", "8589934592"), 512, 7, 3},
		{"too little memory for one still gets one", 16, v2("max 100000", "536870912"), 512, 1, 1},
		{"v1 quota and limit", 16, fstest.MapFS{
			"proc/self/cgroup":                            {Data: []byte("4:cpu,cpuacct:/docker/x\n12:memory:/docker/x\n")},
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us":  {Data: []byte("400000\n")},
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": {Data: []byte("100000\n")},
			"sys/fs/cgroup/memory/memory.limit_in_bytes":  {Data: []byte("6442450944\n")},
		}, 512, 4, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim, err := cgroup.Read(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			pool, refill := poolSizes(tc.cpus, lim, tc.jobMB)
			if pool != tc.wantPool || refill != tc.wantRef {
				t.Errorf("poolSizes(%d, %+v, %d) = %d, %d; want %d, %d", tc.cpus, lim, tc.jobMB, pool, refill, tc.wantPool, tc.wantRef)
			}
		})
	}
}
