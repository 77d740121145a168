package cgroup

import (
	"strings"
	"testing"
	"testing/fstest"
)

// files builds a fake file system from path, content pairs.
func files(kv ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		fsys[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return fsys
}

const gib = int64(1) << 30

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want Limits
	}{
		{"no cgroup file system", files(), Limits{}},
		{"v2 container, own namespace, 2 CPUs and 4 GiB", files(
			"proc/self/cgroup", "0::/\n",
			"sys/fs/cgroup/cgroup.controllers", "cpu memory\n",
			"sys/fs/cgroup/cpu.max", "200000 100000\n",
			"sys/fs/cgroup/memory.max", "4294967296\n",
		), Limits{CPU: 2, Memory: 4 * gib}},
		{"v2 without limits", files(
			"proc/self/cgroup", "0::/\n",
			"sys/fs/cgroup/cpu.max", "max 100000\n",
			"sys/fs/cgroup/memory.max", "max\n",
		), Limits{}},
		{"v2 fractional quota", files(
			"proc/self/cgroup", "0::/\n",
			"sys/fs/cgroup/cpu.max", "150000 100000\n",
		), Limits{CPU: 1.5}},
		{"v2 host namespace: the limit of a parent binds", files(
			"proc/self/cgroup", "0::/kubepods.slice/pod1/ctr\n",
			"sys/fs/cgroup/kubepods.slice/pod1/ctr/cpu.max", "max 100000\n",
			"sys/fs/cgroup/kubepods.slice/pod1/ctr/memory.max", "8589934592\n",
			"sys/fs/cgroup/kubepods.slice/pod1/cpu.max", "400000 100000\n",
			"sys/fs/cgroup/kubepods.slice/pod1/memory.max", "2147483648\n",
			"sys/fs/cgroup/kubepods.slice/cpu.max", "max 100000\n",
		), Limits{CPU: 4, Memory: 2 * gib}},
		{"v2 cgroup outside the namespace reads the namespace's root", files(
			"proc/self/cgroup", "0::/../../other\n",
			"sys/fs/cgroup/cpu.max", "100000 100000\n",
		), Limits{CPU: 1}},
		{"v1 container: the host path is not mounted, its mount root is", files(
			"proc/self/cgroup", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "300000\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes", "1073741824\n",
		), Limits{CPU: 3, Memory: gib}},
		{"v1 without limits", files(
			"proc/self/cgroup", "4:cpu,cpuacct:/\n12:memory:/\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n",
		), Limits{}},
		{"v1 nested, the tighter of each", files(
			"proc/self/cgroup", "4:cpu,cpuacct:/kubepods/pod1/ctr\n12:memory:/kubepods/pod1/ctr\n",
			"sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/ctr/cpu.cfs_quota_us", "50000\n",
			"sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/ctr/cpu.cfs_period_us", "100000\n",
			"sys/fs/cgroup/cpu,cpuacct/kubepods/cpu.cfs_quota_us", "800000\n",
			"sys/fs/cgroup/cpu,cpuacct/kubepods/cpu.cfs_period_us", "100000\n",
			"sys/fs/cgroup/memory/kubepods/pod1/ctr/memory.limit_in_bytes", "9223372036854771712\n",
			"sys/fs/cgroup/memory/kubepods/memory.limit_in_bytes", "3221225472\n",
		), Limits{CPU: 0.5, Memory: 3 * gib}},
		{"hybrid: cpu and memory on v1, the unified hierarchy ignored", files(
			"proc/self/cgroup", "0::/user.slice\n4:cpu,cpuacct:/\n12:memory:/\n",
			"sys/fs/cgroup/user.slice/cpu.max", "100000 100000\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "200000\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n",
		), Limits{CPU: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Read = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadMalformed(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string // in the error
	}{
		{"bad line in /proc/self/cgroup", files("proc/self/cgroup", "garbage\n"), `malformed line "garbage"`},
		{"bad cpu.max", files("proc/self/cgroup", "0::/\n", "sys/fs/cgroup/cpu.max", "lots\n"), `sys/fs/cgroup/cpu.max: want "QUOTA PERIOD" or "max PERIOD", got "lots"`},
		{"zero period", files("proc/self/cgroup", "0::/\n", "sys/fs/cgroup/cpu.max", "100000 0\n"), "cpu.max"},
		{"bad memory.max", files("proc/self/cgroup", "0::/\n", "sys/fs/cgroup/memory.max", "4G\n"), `sys/fs/cgroup/memory.max: want a number of bytes or "max", got "4G"`},
		{"bad v1 quota", files("proc/self/cgroup", "4:cpu,cpuacct:/\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "x\n",
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n"), `cpu.cfs_quota_us "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestOwn reads this machine's real cgroup files: whatever they say, they
// must parse.
func TestOwn(t *testing.T) {
	lim, err := Own()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("this process's cgroup limits: %+v", lim)
}

func TestMemory(t *testing.T) {
	meminfo := "MemTotal:       16384000 kB\nMemFree:         1000 kB\n"
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		lim  Limits
		want int64
		err  string
	}{
		{"the machine's", files("proc/meminfo", meminfo), Limits{}, 16384000 << 10, ""},
		{"a cgroup limit below it", files("proc/meminfo", meminfo), Limits{Memory: 4 * gib}, 4 * gib, ""},
		{"a cgroup limit above it", files("proc/meminfo", meminfo), Limits{Memory: 64 * gib}, 16384000 << 10, ""},
		{"no meminfo", files(), Limits{Memory: 4 * gib}, 4 * gib, ""},
		{"nothing known", files(), Limits{}, 0, ""},
		{"malformed", files("proc/meminfo", "MemTotal: lots\n"), Limits{}, 0, "MemTotal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Memory(tc.fsys, tc.lim)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Memory = %d, %v; want an error about %s", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Memory = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}
