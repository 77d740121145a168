package main

import (
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestBenchTenantSwitches runs `sandpit bench --switch-keys` against a
// server with two keys: the jobs of the keys taken in turn all succeed, and
// the server retired ready hosts for them, which bench reports.
func TestBenchTenantSwitches(t *testing.T) {
	const k1, k2 = "bench-key-one-0123456789", "bench-key-two-0123456789"
	addr := freeAddr(t)
	p := start(t, "serve", "--addr", addr, "--pool-size", "1", "--api-keys", k1+","+k2)
	base := "http://" + addr
	waitReady(t, base, p)
	out, err := exec.Command(binary, "bench", "--server", base, "--api-key", k1, "--switch-keys", k1+","+k2,
		"--latency-samples", "0", "--jobs", "4", "--concurrency", "1").CombinedOutput()
	if err != nil {
		t.Fatalf("sandpit bench: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`throughput, 4 jobs, 1 in flight, 2 keys in turn: [0-9.]+ jobs/s \([0-9.]+x the one-key rate\)`).Match(out) {
		t.Fatalf("no rate of the keys in turn beside the one-key rate:\n%s", out)
	}
	m := regexp.MustCompile(`hosts retired for another key: (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no count of hosts retired for another key:\n%s", out)
	}
	// Four jobs of two keys in turn on a pool of one: the host that ran
	// one key's job is ready when the other key's comes, and is retired.
	if n, _ := strconv.Atoi(string(m[1])); n < 1 {
		t.Fatalf("%d hosts retired for another key, want some for 4 jobs of alternating keys:\n%s", n, out)
	}
}

// TestBenchRefusesOneSwitchKey checks --switch-keys's own error.
func TestBenchRefusesOneSwitchKey(t *testing.T) {
	out, err := exec.Command(binary, "bench", "--switch-keys", "only-one-key-0123456789").CombinedOutput()
	if err == nil || !regexp.MustCompile(`switch-keys.*two keys or more`).Match(out) {
		t.Fatalf("sandpit bench --switch-keys with one key: %v\n%s", err, out)
	}
}
