//go:build soak

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
)

// TestSoak runs many jobs (SANDPIT_SOAK_JOBS, default 5000) through an api
// and two workers while faults are injected at random: a worker killed
// with SIGKILL and started again, a renderer killed, Redis killed and
// restarted. It reports jobs lost (must be 0) and jobs started more than
// once (at-least-once execution; one recorded outcome each).
//
//	go test -tags soak -run TestSoak -timeout 3h -v ./cmd/sandpit
func TestSoak(t *testing.T) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("SANDPIT_SOAK_JOBS")); err == nil && v > 0 {
		n = v
	}
	d := deploy(t, 2, "--lease", "5s")
	workerArgs := []string{"worker", "--redis-url", d.redis.URL(), "--pool-size", "1", "--lease", "5s"}

	ctx, stopFaults := context.WithCancel(context.Background())
	var faults sync.WaitGroup
	var mu sync.Mutex
	injected := map[string]int{}
	faults.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(20+rand.IntN(40)) * time.Second):
			}
			mu.Lock()
			switch rand.IntN(3) {
			case 0: // a worker dies and comes back
				i := rand.IntN(len(d.workers))
				d.workers[i].cmd.Process.Signal(syscall.SIGKILL)
				<-d.workers[i].done
				d.workers[i] = start(t, workerArgs...)
				injected["worker kill -9"]++
			case 1: // a renderer dies
				for _, w := range d.workers {
					for _, pid := range childRenderers(w.cmd.Process.Pid) {
						syscall.Kill(pid, syscall.SIGKILL)
						injected["renderer kill -9"]++
						break
					}
				}
			case 2: // Redis dies and comes back with its data
				dir := d.redis.Dir()
				d.redis.Kill()
				time.Sleep(time.Second)
				rs, err := redisserver.Start(context.Background(), dir)
				if err != nil {
					t.Errorf("restart redis: %v", err)
				} else {
					d.redis = rs
				}
				injected["redis restart"]++
			}
			mu.Unlock()
		}
	})

	began := time.Now()
	ids := make([]string, n)
	var submit sync.WaitGroup
	var next int64
	var nmu sync.Mutex
	for range 4 {
		submit.Go(func() {
			for {
				nmu.Lock()
				i := next
				next++
				nmu.Unlock()
				if i >= int64(n) {
					return
				}
				for {
					job, err := d.client.Submit(context.Background(), sandpit.Spec{Code: fmt.Sprintf("print(%d)", i)})
					if err == nil {
						ids[i] = job.ID
						break
					}
					time.Sleep(200 * time.Millisecond) // Redis down or queue full: the caller retries
				}
			}
		})
	}
	submit.Wait()

	lost, wrong, statuses := 0, 0, map[sandpit.Status]int{}
	deadline := time.Now().Add(time.Duration(n) * time.Second)
	for i, id := range ids {
		var job sandpit.Job
		for {
			var err error
			job, err = d.client.Get(context.Background(), id)
			if err == nil && job.Status.Terminal() {
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !job.Status.Terminal() {
			lost++
			continue
		}
		statuses[job.Status]++
		if job.Status == sandpit.StatusSucceeded && job.Stdout != fmt.Sprintf("%d\n", i) {
			wrong++
		}
	}
	stopFaults()
	faults.Wait()
	elapsed := time.Since(began)

	started := map[string]int{}
	mu.Lock()
	for _, w := range d.workers {
		for _, line := range strings.Split(w.out.String(), "\n") {
			if i := strings.Index(line, `"job started","job":"`); i >= 0 {
				started[line[i+21:i+53]]++
			}
		}
	}
	mu.Unlock()
	dup := 0
	for _, c := range started {
		if c > 1 {
			dup++
		}
	}
	t.Logf("soak: %d jobs in %v (%.1f jobs/s); statuses %v; faults %v", n, elapsed.Round(time.Second), float64(n)/elapsed.Seconds(), statuses, injected)
	t.Logf("soak: lost %d, wrong output %d, started more than once %d (by the logs of the workers alive at the end)", lost, wrong, dup)
	if lost > 0 || wrong > 0 {
		t.Fatalf("lost %d jobs, %d with wrong output", lost, wrong)
	}
}

// childRenderers finds renderer processes among pid's descendants.
func childRenderers(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		if !strings.Contains(string(cmd), "--type=renderer") {
			continue
		}
		for q := p; q > 1; {
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", q))
			if err != nil {
				break
			}
			f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
			q, _ = strconv.Atoi(f[1])
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// TestBatchLarge runs a batch of HumanEval-like items with tests
// (SANDPIT_BATCH_ITEMS, default 2000) through `sandpit batch`, with the
// progress bar on, and checks every result line and the pass-rate summary.
//
//	go test -tags soak -run TestBatchLarge -timeout 1h -v ./cmd/sandpit
func TestBatchLarge(t *testing.T) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("SANDPIT_BATCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr)
	waitReady(t, base, p)
	var in strings.Builder
	wantPassed := 0
	for i := range n {
		want := i * i
		if i%4 == 0 {
			want = -1
		} else {
			wantPassed++
		}
		fmt.Fprintf(&in, `{"id": "HumanEval/%d", "code": "def square(x):\n    return x * x", "test": "assert square(%d) == %d"}`+"\n", i, i, want)
	}
	file := t.TempDir() + "/in.jsonl"
	os.WriteFile(file, []byte(in.String()), 0o644)
	before := resources(t, base, p)
	cmd := exec.Command(binary, "batch", "--server", base, "--progress", "always", file)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("sandpit batch: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != n {
		t.Fatalf("%d result lines, want %d", len(lines), n)
	}
	for i, line := range lines {
		if !strings.Contains(line, fmt.Sprintf(`"item_id":"HumanEval/%d"`, i)) {
			t.Fatalf("line %d out of order: %.200s", i, line)
		}
	}
	summary := stderr.String()[strings.LastIndexByte(strings.TrimSpace(stderr.String()), '\r')+1:]
	want := fmt.Sprintf("tests: %d passed, %d failed, pass rate %.1f%%", wantPassed, n-wantPassed, 100*float64(wantPassed)/float64(n))
	if !strings.Contains(summary, want) || !strings.Contains(stderr.String(), fmt.Sprintf("/%d, ", n)) {
		t.Fatalf("summary %q, want %q and a progress bar", summary, want)
	}
	t.Logf("batch: %d items in %v (%.2f items/s): %s", n, time.Since(began).Round(time.Second), float64(n)/time.Since(began).Seconds(), strings.TrimSpace(summary))

	// Throughput per window of the run, from the jobs' own times: a service
	// that slowed down would show it here.
	var finished []time.Time
	for _, line := range lines {
		var job sandpit.Job
		json.Unmarshal([]byte(line), &job)
		if job.FinishedAt != nil {
			finished = append(finished, *job.FinishedAt)
		}
	}
	slices.SortFunc(finished, func(a, b time.Time) int { return a.Compare(b) })
	window := max(n/4, 1)
	for i := 0; i+window <= len(finished); i += window {
		d := finished[i+window-1].Sub(finished[i])
		t.Logf("items %d-%d: %.2f items/s", i, i+window-1, float64(window-1)/d.Seconds())
	}
	time.Sleep(5 * time.Second) // let the pool refill
	after := resources(t, base, p)
	t.Logf("before: %v", before)
	t.Logf("after:  %v", after)
}

// resources reads what could leak: goroutines and memory of the sandpit
// process, Chromium's processes, and Redis keys.
func resources(t *testing.T, base string, p *proc) map[string]string {
	t.Helper()
	out := map[string]string{}
	resp, err := http.Get(base + "/metrics")
	if err == nil {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(data), "\n") {
			for _, name := range []string{"go_goroutines ", "process_resident_memory_bytes ", "sandpit_pool_ready "} {
				if strings.HasPrefix(line, name) {
					out[strings.TrimSpace(name)] = strings.TrimPrefix(line, name)
				}
			}
		}
	}
	procs, _ := exec.Command("pgrep", "-c", "-f", "chromium").Output()
	out["chromium_processes"] = strings.TrimSpace(string(procs))
	if i := strings.Index(p.out.String(), `"url":"unix://`); i >= 0 {
		sock := p.out.String()[i+14:]
		sock = sock[:strings.IndexByte(sock, '"')]
		keys, _ := exec.Command("redis-cli", "-s", sock, "dbsize").Output()
		out["redis_keys"] = strings.TrimSpace(string(keys))
	}
	return out
}
