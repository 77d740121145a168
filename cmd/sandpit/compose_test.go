package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeFile checks docker-compose.yml against the binary, since no
// Docker engine runs here: the services and images, that every command is
// one of sandpit's with flags it really has, and the health checks.
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
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
	redis := compose.Services["redis"]
	if !strings.HasPrefix(redis.Image, "redis:") || !slices.Contains(redis.Command, "--appendonly") || len(redis.Healthcheck.Test) == 0 {
		t.Errorf("redis service: %+v", redis)
	}
	flagRE := regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	for _, name := range []string{"api", "worker"} {
		svc := compose.Services[name]
		if svc.Image != "sandpit:latest" {
			t.Errorf("%s image = %q", name, svc.Image)
		}
		if svc.DependsOn["redis"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for a healthy redis", name)
		}
		if len(svc.Command) == 0 || svc.Command[0] != name {
			t.Fatalf("%s command = %v, want sandpit %s ...", name, svc.Command, name)
		}
		help, _ := exec.Command(binary, name, "--help").CombinedOutput()
		var flags []string
		for _, m := range flagRE.FindAllStringSubmatch(string(help), -1) {
			flags = append(flags, m[1])
		}
		for _, arg := range svc.Command[1:] {
			if f, ok := strings.CutPrefix(arg, "--"); ok && !slices.Contains(flags, strings.SplitN(f, "=", 2)[0]) {
				t.Errorf("%s command uses --%s, which `sandpit %s` does not have (it has %v)", name, f, name, flags)
			}
		}
		if !slices.Contains(svc.Command, "--redis-url") {
			t.Errorf("%s command has no --redis-url", name)
		}
	}
	if api := compose.Services["api"]; api.Environment["SANDPIT_API_KEYS"] == "" && !slices.Contains(api.Command, "--insecure") {
		t.Error("the api listens on 0.0.0.0 but gets no SANDPIT_API_KEYS: it would refuse to start")
	}
	if hc := compose.Services["api"].Healthcheck.Test; !strings.Contains(strings.Join(hc, " "), "/healthz") {
		t.Errorf("api health check %v does not probe /healthz", hc)
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"apt-get install", "chromium", "npm ci", "useradd", "ENTRYPOINT"} {
		if !strings.Contains(string(dockerfile), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
