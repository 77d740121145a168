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

// TestBench runs `sandpit bench` against a real `sandpit serve` with two
// keys, on this machine, found by its port. The throughput run reports the
// CPU time per job of each group of the server's processes; with
// --switch-keys, the jobs of the keys taken in turn all succeed, beside the
// one-key rate, and the server retired ready hosts for them.
func TestBench(t *testing.T) {
	const k1, k2 = "bench-key-one-0123456789", "bench-key-two-0123456789"
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1", "--api-keys", k1+","+k2)
	waitReady(t, base, p)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "bench", "--server", base, "--api-key", k1, "--switch-keys", k1+","+k2,
		"--latency-samples", "1", "--jobs", "6", "--concurrency", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := string(out)
	if !regexp.MustCompile(`throughput, 6 jobs, 2 in flight, 2 keys in turn: [0-9.]+ jobs/s \([0-9.]+x the one-key rate\)`).MatchString(text) {
		t.Fatalf("no rate of the keys in turn beside the one-key rate:\n%s", text)
	}
	m := regexp.MustCompile(`hosts retired for another key: (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no count of hosts retired for another key:\n%s", text)
	}
	// Jobs of two keys in turn on a pool of one: the host that ran one
	// key's job is ready when the other key's comes, and is retired.
	if n, _ := strconv.Atoi(m[1]); n < 1 {
		t.Fatalf("%d hosts retired for another key, want some for jobs of alternating keys:\n%s", n, text)
	}
	if n := strings.Count(text, "and its children"); n != 2 {
		t.Fatalf("%d CPU reports, want one for each throughput run:\n%s", n, text)
	}
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

// TestBenchRefusesOneSwitchKey checks --switch-keys's own error.
func TestBenchRefusesOneSwitchKey(t *testing.T) {
	out, err := exec.Command(binary, "bench", "--switch-keys", "only-one-key-0123456789").CombinedOutput()
	if err == nil || !regexp.MustCompile(`switch-keys.*two keys or more`).Match(out) {
		t.Fatalf("sandpit bench --switch-keys with one key: %v\n%s", err, out)
	}
}
