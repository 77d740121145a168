package main

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchReportsCPU runs `sandpit bench` against a real `sandpit serve`
// on this machine, found by its port, and checks that the throughput run
// reports the CPU time per job of each group of the server's processes.
func TestBenchReportsCPU(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1")
	waitReady(t, base, p)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "bench", "--server", base,
		"--latency-samples", "1", "--jobs", "8", "--concurrency", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "process "+strconv.Itoa(p.cmd.Process.Pid)+" and its children") {
		t.Fatalf("bench did not measure the server's process %d:\n%s", p.cmd.Process.Pid, text)
	}
	perJob := func(group string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(group) + ` +(-?[0-9.]+) ms`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no CPU line for %q:\n%s", group, text)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	total := perJob("all of the server")
	var sum float64
	for _, g := range cpuGroups {
		if g != groupOther {
			sum += perJob(g)
		}
	}
	// Each job boots an interpreter in a renderer: tens of milliseconds
	// of CPU at the least, and less than a minute at the most.
	if renderers := perJob(groupRenderers); renderers <= 0 || total < renderers || total > 60000 {
		t.Fatalf("implausible CPU per job: all %v ms, renderers %v ms:\n%s", total, renderers, text)
	}
	if sum > total+0.5 {
		t.Fatalf("the groups (%v ms) add up to more than the whole (%v ms):\n%s", sum, total, text)
	}
	if perJob("machine") < total-0.5 {
		t.Fatalf("the machine used less CPU than the server:\n%s", text)
	}
}

// TestBenchCPUNotLocal checks that bench says why it cannot measure CPU
// when the server is not a `sandpit serve` of this machine.
func TestBenchCPUNotLocal(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"remote host", "http://sandpit.example.com:8080", "not on this machine's loopback; pass --server-pid"},
		{"nothing listens", "http://" + freeAddr(t), "no process of this machine listens on port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newCPUMeter(tc.url, 0, 0)
			m.start()
			var b strings.Builder
			if err := m.report(&b, 10); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "CPU per job: cannot be measured: ") || !strings.Contains(b.String(), tc.want) {
				t.Fatalf("report = %q, want it to say %q", b.String(), tc.want)
			}
		})
	}
}
