package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit/internal/cgroup"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// --require-isolation is on for a worker and for a serve reachable from
// other machines, unless told otherwise; off for a serve on loopback.
func TestRequireIsolationDefault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		public  bool
		args    []string
		env     string
		require bool
	}{
		{"worker", true, nil, "", true},
		{"serve on a public address", true, nil, "", true},
		{"serve on loopback", false, nil, "", false},
		{"serve on loopback, asked", false, []string{"--require-isolation"}, "", true},
		{"worker, turned off", true, []string{"--require-isolation=false"}, "", false},
		{"worker, turned off by the variable", true, nil, "false", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("SANDPIT_REQUIRE_ISOLATION", tc.env)
			}
			f := newFlags("test", "test", io.Discard)
			var wc workerConfig
			wc.register(f)
			if err := f.parse(tc.args); err != nil {
				t.Fatal(err)
			}
			wc.resolveIsolation(f, tc.public)
			if wc.requireIsolation != tc.require {
				t.Errorf("requireIsolation = %v, want %v", wc.requireIsolation, tc.require)
			}
		})
	}
}

// A worker refuses to start without a layer of isolation, with an error
// that names the layer and how to start without it: a flag that turns a
// layer off, or a Chromium that runs without its sandbox (here, a wrapper
// that adds --no-sandbox, as a line in /etc/chromium.d could).
func TestWorkerRefusesToRunWithoutALayer(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	dir, err := os.MkdirTemp("", "sandpit-unsandboxed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // the browser's own user runs the wrapper
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(dir, "chromium")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+chromium+" --no-sandbox \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no network namespace", []string{"--no-netns"}, []string{"--no-netns turns off the network namespace", "--require-isolation"}},
		{"no memory cgroup", []string{"--browser-memory-mb", "-1"}, []string{"turns off the memory cgroup", "--require-isolation"}},
		{"no sandbox", []string{"--chromium", wrapper}, []string{"Chromium's own sandbox (sandbox: --no-sandbox: process",
			"--require-isolation=false (SANDPIT_REQUIRE_ISOLATION=false)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, append([]string{"worker", "--redis-url", rs.URL(), "--pool-size", "1"}, tc.args...)...)
			out, _ := cmd.CombinedOutput()
			if cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("worker exited %d, want 1:\n%s", cmd.ProcessState.ExitCode(), out)
			}
			last := strings.TrimSpace(string(out))
			last = last[strings.LastIndex(last, "\n")+1:]
			for _, want := range tc.want {
				if !strings.Contains(last, want) {
					t.Errorf("error %q does not say %q", last, want)
				}
			}
		})
	}
}

// A worker that cannot make a memory cgroup of Chromium's own (it does not
// run as root, as in most containers) has its memory layer from the
// memory limit of the cgroup it runs in, if there is one: with it, the
// worker starts, reporting the layer; without, it refuses to.
func TestUnprivilegedWorkerMemoryLayer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: to make a cgroup with a memory limit and start a worker in it as another user")
	}
	root, limitFile := "/sys/fs/cgroup", "memory.max"
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err == nil {
		root, limitFile = "/sys/fs/cgroup/memory", "memory.limit_in_bytes"
	}
	// The browser's own user runs the worker: it needs the binary and a
	// Redis it can reach.
	dir, err := os.MkdirTemp("", "sandpit-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "sandpit")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	redisAddr := freeAddr(t)
	_, port, _ := net.SplitHostPort(redisAddr)
	redis := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "")
	if err := redis.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { redis.Process.Kill(); redis.Wait() })
	u, err := user.Lookup("sandpit")
	if err != nil {
		t.Fatal(err)
	}

	// worker runs a worker as the user sandpit, in cgroup cg ("" for the
	// test's own).
	worker := func(cg string, args ...string) *proc {
		script := `exec setpriv --reuid=` + u.Uid + ` --regid=` + u.Gid + ` --clear-groups -- "$@"`
		if cg != "" {
			script = `echo $$ > ` + filepath.Join(cg, "cgroup.procs") + ` && ` + script
		}
		cmdArgs := append([]string{"-c", script, "sh", bin, "worker", "--redis-url", "redis://" + redisAddr, "--pool-size", "1"}, args...)
		p := &proc{cmd: exec.Command("/bin/sh", cmdArgs...), out: &testenv.Buffer{}, done: make(chan struct{})}
		p.cmd.Env = []string{"HOME=" + u.HomeDir, "PATH=/usr/local/bin:/usr/bin:/bin"}
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
		return p
	}

	t.Run("no memory limit: refused", func(t *testing.T) {
		if lim, _ := cgroup.Own(); lim.Memory > 0 {
			t.Skip("the tests run in a cgroup with a memory limit")
		}
		p := worker("")
		select {
		case <-p.done:
		case <-time.After(2 * time.Minute):
			t.Fatal("the worker did not exit")
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(p.out.String(), "a memory cgroup (memory_cgroup:") {
			t.Fatalf("worker exited %d: %s\nwant 1, and an error naming the memory cgroup", code, p.out.String())
		}
	})
	t.Run("in a cgroup with a memory limit: started", func(t *testing.T) {
		cg := filepath.Join(root, "sandpit-test-"+strconv.Itoa(os.Getpid()))
		if err := os.Mkdir(cg, 0o755); err != nil {
			t.Fatal(err)
		}
		// Removed once the worker's processes, killed, have left it.
		t.Cleanup(func() { testenv.WaitFor(10*time.Second, func() bool { return os.Remove(cg) == nil }) })
		if err := os.WriteFile(filepath.Join(cg, limitFile), []byte(strconv.FormatInt(8<<30, 10)), 0o644); err != nil {
			t.Fatal(err)
		}
		maddr := freeAddr(t)
		p := worker(cg, "--metrics-addr", maddr)
		testenv.Eventually(t, 2*time.Minute, func() bool {
			select {
			case <-p.done:
				t.Fatalf("the worker exited: %s", p.out.String())
			default:
			}
			resp, err := http.Get("http://" + maddr + "/metrics")
			if err != nil {
				return false
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return strings.Contains(string(body), `sandpit_isolation_layer{layer="memory_cgroup"} 1`)
		}, "the worker never reported its memory layer: %s", p.out.String())
		p.cmd.Process.Kill()
		<-p.done
	})
}
