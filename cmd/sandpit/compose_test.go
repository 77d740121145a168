package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// composeService is what TestComposeFile reads of a service.
type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Restart     string            `yaml:"restart"`
	Init        bool              `yaml:"init"`
	StopGrace   string            `yaml:"stop_grace_period"`
	CPUs        string            `yaml:"cpus"`
	MemLimit    string            `yaml:"mem_limit"`
	SecurityOpt []string          `yaml:"security_opt"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

var flagRE = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)

// helpOf returns the flags `sandpit command --help` lists, and the help.
func helpOf(t *testing.T, command string) ([]string, string) {
	t.Helper()
	help, _ := exec.Command(binary, command, "--help").CombinedOutput()
	var flags []string
	for _, m := range flagRE.FindAllStringSubmatch(string(help), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) == 0 {
		t.Fatalf("sandpit %s --help lists no flags:\n%s", command, help)
	}
	return flags, string(help)
}

// checkArgs fails on each --flag of args that `sandpit command` lacks.
func checkArgs(t *testing.T, where, command string, args []string) {
	t.Helper()
	flags, _ := helpOf(t, command)
	for _, arg := range args {
		if f, ok := strings.CutPrefix(arg, "--"); ok && !slices.Contains(flags, strings.SplitN(f, "=", 2)[0]) {
			t.Errorf("%s uses --%s, which `sandpit %s` does not have (it has %v)", where, f, command, flags)
		}
	}
}

// argValue returns the value of --name in args, or "".
func argValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// effectiveGrace is the shutdown grace a service's sandpit runs with: its
// flag, else its variable, else the binary's default.
func effectiveGrace(t *testing.T, svc composeService) time.Duration {
	t.Helper()
	v := argValue(svc.Command, "shutdown-grace")
	if v == "" {
		v = svc.Environment["SANDPIT_SHUTDOWN_GRACE"]
	}
	if v == "" {
		_, help := helpOf(t, svc.Command[0])
		m := regexp.MustCompile(`-shutdown-grace duration\n[^\n]*\(default ([0-9a-z.]+)\)`).FindStringSubmatch(help)
		if m == nil {
			t.Fatalf("sandpit %s --help gives no default for --shutdown-grace", svc.Command[0])
		}
		v = m[1]
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("shutdown grace %q: %v", v, err)
	}
	return d
}

// TestComposeFile checks docker-compose.yml and the Dockerfile against the
// binary, since no Docker engine runs here: the services and images, that
// every command is one of sandpit's with flags it really has, the health
// checks and what they probe, restart policies, an init that reaps
// Chromium's children, stop grace periods longer than the drain, the
// workers' limits and security options, and the package repository.
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range compose.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"api", "redis", "worker"}) {
		t.Fatalf("services = %v, want api, redis, worker", names)
	}
	for name, svc := range compose.Services {
		if !slices.Contains([]string{"always", "unless-stopped", "on-failure"}, svc.Restart) {
			t.Errorf("%s has restart policy %q: it would stay down after a crash or a reboot", name, svc.Restart)
		}
		if len(svc.Healthcheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
	redis := compose.Services["redis"]
	if !strings.HasPrefix(redis.Image, "redis:") || !slices.Contains(redis.Command, "--appendonly") {
		t.Errorf("redis service: %+v", redis)
	}

	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(dockerfile)
	for _, want := range []string{"npm ci", "useradd"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	install := regexp.MustCompile(`apt-get install .*chromium.*`).FindString(df)
	for _, pkg := range []string{"chromium", "util-linux", "redis-server", "tini"} {
		if !slices.Contains(strings.Fields(install), pkg) {
			t.Errorf("the image does not install %s (%q)", pkg, install)
		}
	}
	// The image's PID 1 is tini, which reaps the processes Chromium leaves
	// behind; a Go PID 1 would not.
	entrypoint := jsonInstruction(t, df, "ENTRYPOINT")
	imageInit := len(entrypoint) > 1 && strings.HasSuffix(entrypoint[0], "/tini") && strings.HasSuffix(entrypoint[len(entrypoint)-1], "/sandpit")
	if !imageInit {
		t.Errorf("Dockerfile ENTRYPOINT %v does not run sandpit under tini", entrypoint)
	}
	// The default command starts: serve, with flags it has, and the
	// redis-server its private Redis needs is installed (checked above).
	cmd := jsonInstruction(t, df, "CMD")
	if len(cmd) == 0 || cmd[0] != "serve" {
		t.Fatalf("Dockerfile CMD = %v, want serve ...", cmd)
	}
	checkArgs(t, "Dockerfile CMD", "serve", cmd[1:])
	if argValue(cmd, "redis-url") != "" {
		t.Errorf("Dockerfile CMD %v names a Redis; the default command is to start its own", cmd)
	}
	// The packages stage runs `sandpit packages` with flags it has, on the
	// Pyodide release page/package-lock.json pins, and the full image points
	// --packages-dir where compose mounts the repository.
	m := regexp.MustCompile(`RUN /sandpit (packages .*)`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile has no stage that runs sandpit packages")
	}
	checkArgs(t, "Dockerfile packages stage", "packages", strings.Fields(m[1])[1:])
	lock, _ := os.ReadFile("../../page/package-lock.json")
	var pkgLock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	json.Unmarshal(lock, &pkgLock)
	pinned := pkgLock.Packages["node_modules/pyodide"].Version
	for _, arg := range regexp.MustCompile(`ARG PYODIDE_VERSION=(\S+)`).FindAllStringSubmatch(df, -1) {
		if arg[1] != pinned {
			t.Errorf("Dockerfile builds packages from Pyodide %s, but page/package-lock.json pins %s", arg[1], pinned)
		}
	}
	// The build context leaves out what is large and built anew: a package
	// repository made by `make packages`, its archive, node_modules.
	ignore, _ := os.ReadFile("../../.dockerignore")
	for _, dir := range []string{"packages/", ".cache/", "page/node_modules/"} {
		if !slices.Contains(strings.Fields(string(ignore)), dir) {
			t.Errorf(".dockerignore does not leave out %s", dir)
		}
	}
	const packagesDir = "/srv/pyodide-packages"
	if !strings.Contains(df, "ENV SANDPIT_PACKAGES_DIR="+packagesDir) {
		t.Errorf("the full image does not set SANDPIT_PACKAGES_DIR=%s", packagesDir)
	}

	for _, name := range []string{"api", "worker"} {
		svc := compose.Services[name]
		if svc.Image != "sandpit:latest" || svc.Build == nil {
			t.Errorf("%s: image %q, build %v: want sandpit:latest built from this directory", name, svc.Image, svc.Build)
		}
		if !imageInit && !svc.Init {
			t.Errorf("%s runs with no init to reap Chromium's children", name)
		}
		if svc.DependsOn["redis"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for a healthy redis", name)
		}
		if len(svc.Command) == 0 || svc.Command[0] != name {
			t.Fatalf("%s command = %v, want sandpit %s ...", name, svc.Command, name)
		}
		checkArgs(t, name+" command", name, svc.Command[1:])
		if !slices.Contains(svc.Command, "--redis-url") {
			t.Errorf("%s command has no --redis-url", name)
		}
		// Docker's default stop timeout is 10 s; sandpit drains for its
		// shutdown grace, and needs a moment more to close Chromium.
		grace := effectiveGrace(t, svc)
		stop, err := time.ParseDuration(svc.StopGrace)
		if err != nil || stop < grace+5*time.Second {
			t.Errorf("%s: stop_grace_period %q, but it drains for %v after SIGTERM: want %v or more", name, svc.StopGrace, grace, grace+5*time.Second)
		}
		if _, ok := svc.Environment["SANDPIT_PACKAGES_DIR"]; !ok || !slices.ContainsFunc(svc.Volumes, func(v string) bool {
			return strings.Contains(v, ":"+packagesDir+":ro")
		}) {
			t.Errorf("%s does not mount the package repository at %s, read-only, with SANDPIT_PACKAGES_DIR to point at it", name, packagesDir)
		}
	}
	if api := compose.Services["api"]; api.Environment["SANDPIT_API_KEYS"] == "" && !slices.Contains(api.Command, "--insecure") {
		t.Error("the api listens on 0.0.0.0 but gets no SANDPIT_API_KEYS: it would refuse to start")
	}
	// The API is ready when it can accept jobs, not when a sandbox is.
	if hc := strings.Join(compose.Services["api"].Healthcheck.Test, " "); !strings.Contains(hc, "/readyz") || strings.Contains(hc, "sandboxes") {
		t.Errorf("api health check %q: want /readyz", hc)
	}
	worker := compose.Services["worker"]
	_, port, err := net.SplitHostPort(argValue(worker.Command, "metrics-addr"))
	if err != nil {
		t.Fatalf("worker has no --metrics-addr to answer its health check: %v", err)
	}
	if hc := strings.Join(worker.Healthcheck.Test, " "); !strings.Contains(hc, ":"+port+"/readyz") {
		t.Errorf("worker health check %q does not probe its /readyz on port %s", hc, port)
	}
	if !slices.Contains(worker.SecurityOpt, "seccomp=unconfined") {
		t.Errorf("worker security_opt %v: Chromium's sandbox needs user namespaces, which the default seccomp profile refuses", worker.SecurityOpt)
	}
	// Without limits every worker would size its pool by the host's CPUs:
	// --scale worker=4 on 16 cores would ask for 64 sandboxes.
	if worker.CPUs == "" || worker.MemLimit == "" {
		t.Errorf("worker has cpus %q and mem_limit %q: its pool would follow the host's size", worker.CPUs, worker.MemLimit)
	}
}

// jsonInstruction returns the exec-form arguments of the last instruction
// named name in a Dockerfile.
func jsonInstruction(t *testing.T, dockerfile, name string) []string {
	t.Helper()
	ms := regexp.MustCompile(`(?m)^`+name+` (\[.*\])$`).FindAllStringSubmatch(dockerfile, -1)
	if ms == nil {
		t.Fatalf("Dockerfile has no %s in exec form", name)
	}
	var args []string
	if err := json.Unmarshal([]byte(ms[len(ms)-1][1]), &args); err != nil {
		t.Fatalf("Dockerfile %s: %v", name, err)
	}
	return args
}
