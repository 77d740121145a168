package redteam

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit/page"
)

// Each test here checks one layer of SECURITY.md directly, so that turning
// that layer off fails a test even while the other layers still stop the
// attacks.

// browserProcs returns the pids and command lines of the full server's
// browser processes.
func browserProcs(t *testing.T) map[int]string {
	t.Helper()
	pgid := full.runner.BrowserPID()
	if pgid == 0 {
		t.Fatal("no browser process")
	}
	procs := map[int]string{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			pid, _ := strconv.Atoi(filepath.Base(d))
			cmd, _ := os.ReadFile(d + "/cmdline")
			procs[pid] = strings.ReplaceAll(string(cmd), "\x00", " ")
		}
	}
	return procs
}

func procStatus(t *testing.T, pid int, field string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Layer 1: Chromium has no network of its own to reach.
func TestLayerEmptyNetworkNamespace(t *testing.T) {
	if !full.runner.Netns() {
		t.Fatal("Chromium was started without an empty network namespace")
	}
	ours, _ := os.Readlink("/proc/self/ns/net")
	theirs, err := os.Readlink("/proc/" + strconv.Itoa(full.runner.BrowserPID()) + "/ns/net")
	if err != nil || theirs == ours {
		t.Fatalf("browser network namespace %q, ours %q: want a different one", theirs, ours)
	}
}

// Layer 1: the flags that keep Chromium off the network, and its sandbox on.
func TestLayerBrowserFlags(t *testing.T) {
	cmd := browserProcs(t)[full.runner.BrowserPID()]
	for _, want := range []string{"--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--webrtc-ip-handling-policy=disable_non_proxied_udp",
		"--disable-background-networking", "--remote-debugging-pipe"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("browser command line lacks %s: %s", want, cmd)
		}
	}
	for pid, cmd := range browserProcs(t) {
		if strings.Contains(cmd, "--no-sandbox") {
			t.Errorf("process %d runs with --no-sandbox: %s", pid, cmd)
		}
	}
}

// Layer 1: every document and worker script carries a strict CSP.
func TestLayerContentSecurityPolicy(t *testing.T) {
	h := page.Handler()
	for _, tc := range []struct{ path, want string }{
		{"/sandbox.html", "connect-src 'self' blob:"},
		{"/harness.js", "default-src 'none'"},
		{"/worker.js", "worker-src 'none'"},
		{"/pyodide/pyodide.mjs", "default-src 'none'"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		csp := rec.Header().Get("Content-Security-Policy")
		if rec.Code != 200 || !strings.Contains(csp, tc.want) || strings.Contains(strings.ReplaceAll(csp, "'wasm-unsafe-eval'", ""), "unsafe") {
			t.Errorf("%s: status %d, CSP %q; want it to hold %q and nothing unsafe but wasm-unsafe-eval", tc.path, rec.Code, csp, tc.want)
		}
	}
}

// Layer 2: Chromium runs unprivileged, and its renderers are sandboxed
// (seccomp-bpf filtering, no new privileges).
func TestLayerChromiumSandbox(t *testing.T) {
	procs := browserProcs(t)
	renderers := 0
	for pid, cmd := range procs {
		if uid := strings.Fields(procStatus(t, pid, "Uid")); len(uid) > 0 && uid[0] == "0" {
			t.Errorf("chromium process %d runs as root", pid)
		}
		if !strings.Contains(cmd, "--type=renderer") {
			continue
		}
		renderers++
		if s := procStatus(t, pid, "Seccomp"); s != "2" {
			t.Errorf("renderer %d: Seccomp %q, want 2 (filtering)", pid, s)
		}
		if s := procStatus(t, pid, "NoNewPrivs"); s != "1" {
			t.Errorf("renderer %d: NoNewPrivs %q, want 1", pid, s)
		}
	}
	if renderers == 0 {
		t.Fatal("no renderer process found")
	}
}

// Layer 4: the browser's memory as a whole is capped by a cgroup.
func TestLayerBrowserMemoryCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a cgroup needs root; sandpit then warns that the browser's memory is uncapped")
	}
	pid := strconv.Itoa(full.runner.BrowserPID())
	for _, f := range []string{"/proc/" + pid + "/cgroup"} {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), "sandpit-chromium-"+pid) {
			t.Fatalf("browser is not in its memory cgroup: %s", b)
		}
	}
}
