package runner

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
)

// BenchmarkRun runs print(1), each time in a fresh interpreter, one job after
// another through the shared runner's pool.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		res, err := testRunner.Run(ctx, sandpit.Spec{Code: "print(1)"})
		if err != nil || res.Stdout != "1\n" {
			b.Fatalf("run: %+v, %v", res, err)
		}
	}
}

// BenchmarkWarmJob measures one job in a sandbox that is already booted:
// the part of a job's latency that the pool does not hide, and the CPU
// time the browser spent on it.
func BenchmarkWarmJob(b *testing.B) {
	ctx := context.Background()
	h := <-testRunner.pool
	defer testRunner.recycle(h, true)
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := h.reset(ctx); err != nil {
			b.Fatal(err)
		}
		before := browserCPU(b)
		b.StartTimer()
		res, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: "print(1)"}, testRunner.cfg.Limits)
		if err != nil || res.Stdout != "1\n" {
			b.Fatalf("run: %+v, %v", res, err)
		}
		b.StopTimer()
		cpu += browserCPU(b) - before
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// browserCPU returns the CPU time the browser has used so far.
func browserCPU(b *testing.B) time.Duration {
	u, err := testRunner.Usage()
	if err != nil {
		b.Fatal(err)
	}
	return u.CPU
}

// BenchmarkSandboxBoot measures what a new sandbox costs: the wall time from
// the end of a job to the next interpreter being ready in the same host
// (storage wipe, new worker, module instantiation, snapshot restore), and
// the CPU time the browser spent on it (cpu-ms/op). The page starts the
// next worker as soon as a job's result is sent, before the runner has it,
// so some of the boot's CPU time can come before cpu-ms/op starts
// counting: cycle-cpu-ms/op counts all of a cycle, a job of `pass` and
// the boot after it. The page's own marks say where the boot's wall time
// went, stage by stage (<stage>-ms/op, see page/static/bootstages.js).
func BenchmarkSandboxBoot(b *testing.B) {
	ctx := context.Background()
	h := <-testRunner.pool
	defer testRunner.recycle(h, true)
	var boot, cpu, cycle time.Duration
	stages := map[string]float64{}
	for b.Loop() {
		first := browserCPU(b)
		if _, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: "pass"}, testRunner.cfg.Limits); err != nil {
			b.Fatal(err)
		}
		before := browserCPU(b)
		start := time.Now()
		if err := h.reset(ctx); err != nil {
			b.Fatal(err)
		}
		boot += time.Since(start)
		after := browserCPU(b)
		cpu += after - before
		cycle += after - first
		b.StopTimer()
		got, err := h.bootStages(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for k, ms := range got {
			stages[k] += ms
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(boot.Microseconds())/1000/n, "boot-ms/op")
	b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/op")
	b.ReportMetric(float64(cycle.Microseconds())/1000/n, "cycle-cpu-ms/op")
	for _, name := range append(bootStageNames, "total") {
		b.ReportMetric(stages[name]/n, name+"-ms/op")
	}
}

// BenchmarkIdleMemory reports the memory of the browser with pools of one
// and of three ready hosts, and the difference per host: as built, and
// again once each host has run a job and has its next sandbox ready.
func BenchmarkIdleMemory(b *testing.B) {
	ctx := context.Background()
	// settle waits for r's pool to be ready and its pages to settle, past
	// the collection of an idle page (page/static/snapshot.js, idleCollect).
	settle := func(r *Runner, pool int) Usage {
		for r.Ready() < pool {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		u, err := r.Usage()
		if err != nil {
			b.Fatal(err)
		}
		return u
	}
	measure := func(pool int) (built, worked Usage) {
		r, err := New(ctx, Config{Assets: page.Handler(), PoolSize: pool, Refill: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		built = settle(r, pool)
		// As many jobs at once as hosts: each host runs one.
		var wg sync.WaitGroup
		for range pool {
			wg.Go(func() {
				if _, err := r.Run(ctx, sandpit.Spec{Code: "print(1)"}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		return built, settle(r, pool)
	}
	for b.Loop() {
		one, oneWorked := measure(1)
		three, threeWorked := measure(3)
		b.ReportMetric(float64(one.PSS)/(1<<20), "pool1-pss-MB")
		b.ReportMetric(float64(three.PSS)/(1<<20), "pool3-pss-MB")
		b.ReportMetric(float64(three.PSS-one.PSS)/2/(1<<20), "per-host-pss-MB")
		b.ReportMetric(float64(three.RSS-one.RSS)/2/(1<<20), "per-host-rss-MB")
		b.ReportMetric(float64(threeWorked.PSS-oneWorked.PSS)/2/(1<<20), "worked-per-host-pss-MB")
		b.ReportMetric(float64(oneWorked.PSS)/(1<<20), "worked-pool1-pss-MB")
	}
}

// hostKinds are the two kinds of host the benchmarks build, by the page
// each loads, once the runner shares a snapshot.
func hostKinds(b *testing.B) []struct{ name, path string } {
	b.Helper()
	if !testenv.WaitFor(3*time.Minute, testRunner.assets.sharing) {
		b.Fatal("the runner shares no snapshot")
	}
	return []struct{ name, path string }{
		{"own-snapshot", page.SandboxPath},
		{"shared-snapshot", page.SharedSandboxPath},
	}
}

// BenchmarkHostBuild measures what a new host costs (a tab in a browser
// context of its own, with its first sandbox ready), in wall time and in
// the browser's CPU time: one that makes its own snapshot, booting Pyodide
// from scratch, and one that boots from the snapshot the runner shares.
func BenchmarkHostBuild(b *testing.B) {
	ctx := context.Background()
	for _, bc := range hostKinds(b) {
		b.Run(bc.name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				before := browserCPU(b)
				h, err := testRunner.newHost(ctx, bc.path)
				if err != nil {
					b.Fatal(err)
				}
				cpu += browserCPU(b) - before
				b.StopTimer()
				h.close()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
