// Package helm tests the Helm chart in sandpit/ against the Kubernetes API,
// KEDA, the sandpit binary's flags and the queue's streams.
package helm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/queue"
)

// The tools that check the Helm chart, pinned, run with `go run` from the
// Go module proxy; and the Kubernetes whose API it is validated against,
// the oldest it supports (Chart.yaml's kubeVersion), whose OpenAPI document
// comes with the k8s.io/kubernetes module. No schema is downloaded from
// anywhere else; KEDA's are in deploy/helm/schemas.
const (
	helmModule        = "helm.sh/helm/v3/cmd/helm@v3.22.0"
	kubeconformModule = "github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0"
	kubernetesModule  = "k8s.io/kubernetes@v1.30.14"
	kubeVersion       = "1.30.14"
	chartDir          = "sandpit"
)

// noOpt builds the tools without optimisation: they run for seconds, and a
// fresh machine compiles helm in 40 % less CPU time so (2 minutes and a
// half against 4 on 2 cores).
const noOpt = "-gcflags=all=-N -l"

// binary is sandpit, built for the tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sandpit-chart-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sandpit")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/sandpit").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sandpit: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var flagRE = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)

// checkArgs fails on each --flag of args that `sandpit command` lacks.
func checkArgs(t *testing.T, where, command string, args []string) {
	t.Helper()
	help, _ := exec.Command(binary, command, "--help").CombinedOutput()
	var flags []string
	for _, m := range flagRE.FindAllStringSubmatch(string(help), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) == 0 {
		t.Fatalf("sandpit %s --help lists no flags:\n%s", command, help)
	}
	for _, arg := range args {
		if f, ok := strings.CutPrefix(arg, "--"); ok && !slices.Contains(flags, strings.SplitN(f, "=", 2)[0]) {
			t.Errorf("%s uses --%s, which `sandpit %s` does not have (it has %v)", where, f, command, flags)
		}
	}
}

// checkRedis checks the Redis flags of one container's args, in the form
// sandpit takes them, and its Redis credentials, for the value sets that
// name a Sentinel set or a Cluster.
func checkRedis(t *testing.T, set, command string, c map[string]any) {
	t.Helper()
	args := toStrings(c["args"])
	env := map[string]string{}
	list, _ := c["env"].([]any)
	for _, e := range list {
		e, _ := e.(map[string]any)
		env[fmt.Sprint(e["name"])] = fmt.Sprint(object(e).get("valueFrom", "secretKeyRef", "name"))
	}
	_, url := env["SANDPIT_REDIS_URL"]
	if single := set != "Redis Sentinel" && set != "Redis Cluster"; url != single {
		t.Errorf("%s: %s has SANDPIT_REDIS_URL: %v, want %v", set, command, url, single)
	}
	if set == "Redis Sentinel" && env["SANDPIT_REDIS_PASSWORD"] != "redis-auth" {
		t.Errorf("%s: %s takes SANDPIT_REDIS_PASSWORD from %q, want the Secret redis-auth", set, command, env["SANDPIT_REDIS_PASSWORD"])
	}
	want := map[string]string{"redis-sentinel": "", "redis-cluster": "", "redis-wait-replicas": ""}
	switch set {
	case "Redis Sentinel":
		want["redis-sentinel"] = "mymaster@s1:26379,s2:26379"
		want["redis-wait-replicas"] = "1"
	case "Redis Cluster":
		want["redis-cluster"] = "r1:6379,r2:6379,r3:6379"
	}
	for flag, v := range want {
		if got := argValue(args, flag); got != v {
			t.Errorf("%s: %s --%s %q, want %q", set, command, flag, got, v)
		}
	}
}

// checkRedisTLS checks one container's TLS flags for Redis: on for the
// value sets that ask for TLS, each file they name in the Secret's volume
// under the key a cert-manager Secret gives it.
func checkRedisTLS(t *testing.T, set, command string, d object, c map[string]any) {
	t.Helper()
	args := toStrings(c["args"])
	if on := slices.Contains(args, "--redis-tls"); on != (set == "Redis Sentinel" || set == "Redis Cluster") {
		t.Errorf("%s: %s --redis-tls %v", set, command, on)
	}
	want := map[string]string{"redis-tls-ca": "", "redis-tls-cert": "", "redis-tls-key": ""}
	if set == "Redis Cluster" {
		want = map[string]string{"redis-tls-ca": "ca.crt", "redis-tls-cert": "tls.crt", "redis-tls-key": "tls.key"}
	}
	for flag, key := range want {
		file := argValue(args, flag)
		if key == "" {
			if file != "" {
				t.Errorf("%s: %s --%s %q, want none", set, command, flag, file)
			}
			continue
		}
		if secret, got := mountedSecret(d, c, file); secret != "redis-tls" || got != key {
			t.Errorf("%s: %s --%s %q is key %q of Secret %q, want %q of redis-tls", set, command, flag, file, got, secret, key)
		}
	}
}

// mountedSecret says which Secret, and which key of it, file is in the
// container c of the Deployment d, if the container's user may read it.
func mountedSecret(d object, c map[string]any, file string) (secret, key string) {
	mounts, _ := c["volumeMounts"].([]any)
	volumes, _ := d.get("spec", "template", "spec", "volumes").([]any)
	for _, m := range mounts {
		m := m.(map[string]any)
		rest, ok := strings.CutPrefix(file, fmt.Sprint(m["mountPath"])+"/")
		if !ok {
			continue
		}
		for _, v := range volumes {
			if v := object(v.(map[string]any)); v["name"] == m["name"] && v.get("secret", "secretName") != nil {
				if !readable(d, c, v) {
					return "unreadable " + fmt.Sprint(v.get("secret", "secretName")), rest
				}
				return fmt.Sprint(v.get("secret", "secretName")), rest
			}
		}
	}
	return "", ""
}

// readable says whether the user of container c of Deployment d may read
// the files of the Secret volume v: root may; another user, when the mode
// lets others read, or lets the group read and the pod's fsGroup (which
// the files get) is the user's group.
func readable(d object, c map[string]any, v object) bool {
	mode := 0o644 // Kubernetes's default
	if m := v.get("secret", "defaultMode"); m != nil {
		mode = toInt(m)
	}
	pod, _ := d.get("spec", "template", "spec", "securityContext").(map[string]any)
	user, group := object(c).get("securityContext", "runAsUser"), object(c).get("securityContext", "runAsGroup")
	if user == nil {
		user = pod["runAsUser"]
	}
	if group == nil {
		group = pod["runAsGroup"]
	}
	fsGroup := pod["fsGroup"]
	return user != nil && toInt(user) == 0 || mode&0o004 != 0 ||
		mode&0o040 != 0 && fsGroup != nil && group != nil && toInt(fsGroup) == toInt(group)
}

// checkAPITLS checks that the API serves HTTPS, with the certificate and
// key of the Secret of one's own, for the value set that gives one, and
// that its probes ask over HTTPS then; over HTTP else.
func checkAPITLS(t *testing.T, set string, api object) {
	t.Helper()
	c := api.get("spec", "template", "spec", "containers", 0).(map[string]any)
	args := toStrings(c["args"])
	https := set == "an external Redis and Secrets of one's own"
	for flag, key := range map[string]string{"tls-cert": "tls.crt", "tls-key": "tls.key"} {
		file := argValue(args, flag)
		if !https {
			if file != "" {
				t.Errorf("%s: api --%s %q, want none", set, flag, file)
			}
			continue
		}
		if secret, got := mountedSecret(api, c, file); secret != "api-tls" || got != key {
			t.Errorf("%s: api --%s %q is key %q of Secret %q, want %q of api-tls", set, flag, file, got, secret, key)
		}
	}
	want := map[bool]string{true: "HTTPS", false: "HTTP"}[https]
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		if got := object(c).get(probe, "httpGet", "scheme"); got != want {
			t.Errorf("%s: api %s scheme %v, want %s", set, probe, got, want)
		}
	}
}

// checkKEDATLS checks that KEDA reaches Redis as sandpit does: over TLS for
// the value sets that ask for it, trusting the same authority and showing
// the same client certificate.
func checkKEDATLS(t *testing.T, set string, objs map[string]object, so object) {
	t.Helper()
	for _, tr := range so.get("spec", "triggers").([]any) {
		tr := object(tr.(map[string]any))
		enable := tr.get("metadata", "enableTLS")
		switch set {
		case "Redis Cluster":
			// An authority of one's own: TLS from the TriggerAuthentication,
			// which KEDA refuses beside enableTLS.
			if enable != nil {
				t.Errorf("%s: trigger has enableTLS %v beside TLS from its TriggerAuthentication", set, enable)
			}
			ta := objs[fmt.Sprint("TriggerAuthentication/", tr.get("authenticationRef", "name"))]
			if ta == nil {
				t.Fatalf("%s: trigger has no TriggerAuthentication", set)
			}
			refs := map[string]string{}
			for _, r := range ta.get("spec", "secretTargetRef").([]any) {
				r := r.(map[string]any)
				refs[fmt.Sprint(r["parameter"])] = fmt.Sprint(r["name"], "/", r["key"])
			}
			for param, ref := range map[string]string{"ca": "redis-tls/ca.crt", "cert": "redis-tls/tls.crt", "key": "redis-tls/tls.key"} {
				if refs[param] != ref {
					t.Errorf("%s: KEDA's %s is %q, want %q", set, param, refs[param], ref)
				}
			}
			secret, key, _ := strings.Cut(refs["tls"], "/")
			if v := objs["Secret/"+secret].get("stringData", key); v != "enable" {
				t.Errorf("%s: KEDA's tls parameter is %q of Secret %q, want \"enable\"", set, v, secret)
			}
		case "Redis Sentinel":
			if enable != "true" {
				t.Errorf("%s: trigger enableTLS %v, want \"true\"", set, enable)
			}
		default:
			if enable != "false" {
				t.Errorf("%s: trigger enableTLS %v, want \"false\"", set, enable)
			}
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

// goRun runs a pinned Go command and returns its output; the first run
// compiles it (helm takes minutes), later ones come from the build cache.
func goRun(t *testing.T, module string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", noOpt, module}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// helmTemplate renders the chart with values given as --set pairs.
func helmTemplate(t *testing.T, sets ...string) (string, error) {
	t.Helper()
	args := []string{"template", "sandpit", chartDir, "--kube-version", kubeVersion}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return goRun(t, helmModule, args...)
}

// object is one rendered Kubernetes object.
type object map[string]any

// get follows a path of map keys and list indexes.
func (o object) get(path ...any) any {
	var v any = map[string]any(o)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func parseObjects(t *testing.T, rendered string) map[string]object {
	t.Helper()
	objs := map[string]object{}
	dec := yaml.NewDecoder(strings.NewReader(rendered))
	for {
		// Decoded as a plain map, so that nested maps are plain maps too.
		var m map[string]any
		err := dec.Decode(&m)
		o := object(m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered chart is not YAML: %v\n%s", err, rendered)
		}
		if o == nil {
			continue
		}
		objs[fmt.Sprint(o["kind"], "/", o.get("metadata", "name"))] = o
	}
	return objs
}

// chartValues are the value sets the chart is rendered and validated with.
var chartValues = map[string][]string{
	"defaults": {"apiKeys.keys=k1"},
	"keda, packages, a Redis password": {"apiKeys.keys=k1", "keda.enabled=true",
		"packages.volume.persistentVolumeClaim.claimName=pyodide-packages", "packages.volume.persistentVolumeClaim.readOnly=true",
		"packages.allow=numpy", "keda.redis.passwordSecret=redis-auth", "api.extraArgs={--rate-limit,20}", "worker.extraArgs={--max-sessions,4}"},
	"an external Redis and Secrets of one's own": {"redis.enabled=false", "redis.existingSecret=my-redis",
		"apiKeys.existingSecret=my-keys", "packages.builtIn=true", "worker.appArmorProfile=null", "api.tls.existingSecret=api-tls",
		"worker.seccompProfile.type=Localhost", "worker.seccompProfile.localhostProfile=profiles/chromium.json"},
	"Redis Sentinel": {"apiKeys.keys=k1", "redis.enabled=false", "redis.sentinel.enabled=true",
		"redis.sentinel.addresses=s1:26379\\,s2:26379", "keda.enabled=true", "redis.waitReplicas=1",
		"redis.passwordSecret=redis-auth", "redis.tls.enabled=true"},
	"Redis Cluster": {"apiKeys.keys=k1", "redis.enabled=false", "redis.cluster.enabled=true",
		"redis.cluster.addresses=r1:6379\\,r2:6379\\,r3:6379", "keda.enabled=true",
		"redis.tls.enabled=true", "redis.tls.existingSecret=redis-tls", "redis.tls.clientCertificate=true"},
}

// TestHelmChart lints the chart, renders it with several value sets,
// validates every object against the Kubernetes API and KEDA's resources
// with kubeconform, strictly, offline, and checks what no schema can: the
// commands against the binary's flags, termination grace above the drain,
// the probes, the security context Chromium needs, and that KEDA watches the
// streams the queue really writes.
func TestHelmChart(t *testing.T) {
	start := time.Now()
	if out, err := goRun(t, helmModule, "lint", "--strict", chartDir, "--set", "apiKeys.keys=k1", "--set", "keda.enabled=true"); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
	t.Logf("helm lint: %v (the first run compiles helm)", time.Since(start).Round(time.Second))

	dir := t.TempDir()
	rendered := map[string]map[string]object{}
	var files []string
	for name, sets := range chartValues {
		out, err := helmTemplate(t, sets...)
		if err != nil {
			t.Fatalf("helm template (%s): %v\n%s", name, err, out)
		}
		file := filepath.Join(dir, strings.NewReplacer(" ", "-", ",", "", "'", "").Replace(name)+".yaml")
		os.WriteFile(file, []byte(out), 0o644)
		files = append(files, file)
		rendered[name] = parseObjects(t, out)
	}
	validate(t, dir, rendered, files)

	for name, objs := range rendered {
		t.Run(name, func(t *testing.T) { checkChart(t, name, objs) })
	}

	// Values no schema can refuse fail the render, saying why.
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{nil, "apiKeys: set apiKeys.existingSecret"},
		{[]string{"apiKeys.keys=k1", "worker.shutdownGraceSeconds=60"}, "worker.terminationGracePeriodSeconds (45) must be longer than worker.shutdownGraceSeconds (60)"},
		{[]string{"apiKeys.keys=k1", "redis.enabled=false"}, "redis: set redis.enabled, redis.url or redis.existingSecret"},
		{[]string{"apiKeys.keys=k1", "redis.tls.enabled=true"}, "redis: redis.tls is for a Redis of your own"},
		{[]string{"apiKeys.keys=k1", "redis.enabled=false", "redis.url=rediss://r:6379", "redis.tls.enabled=true", "redis.tls.clientCertificate=true"},
			"redis: redis.tls.clientCertificate needs redis.tls.existingSecret"},
	} {
		if out, err := helmTemplate(t, tc.sets...); err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("helm template %v: %v, want it to fail with %q:\n%s", tc.sets, err, tc.want, out)
		}
	}
}

// validate runs kubeconform on the rendered files against schemas made from
// the Kubernetes OpenAPI document and KEDA's shipped ones; every object
// must have a schema.
func validate(t *testing.T, dir string, rendered map[string]map[string]object, files []string) {
	t.Helper()
	schemas := filepath.Join(dir, "schemas")
	os.Mkdir(schemas, 0o755)
	kinds := map[string]string{} // file name → Kubernetes definition, for the built-in kinds
	for _, objs := range rendered {
		for _, o := range objs {
			apiVersion, kind := fmt.Sprint(o["apiVersion"]), fmt.Sprint(o["kind"])
			file := schemaFile(kind, apiVersion)
			if strings.HasPrefix(apiVersion, "keda.sh/") {
				data, err := os.ReadFile(filepath.Join("schemas", file))
				if err != nil {
					t.Fatalf("no schema for %s %s: %v", apiVersion, kind, err)
				}
				os.WriteFile(filepath.Join(schemas, file), data, 0o644)
				continue
			}
			kinds[file] = apiVersion + " " + kind
		}
	}
	writeKubernetesSchemas(t, schemas, kinds)
	cmd := exec.Command("go", append([]string{"run", noOpt, kubeconformModule, "-strict", "-summary", "-output", "json",
		"-schema-location", schemas + "/{{ .ResourceKind }}{{ .KindSuffix }}.json"}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	out := string(stdout) + stderr.String()
	var report struct {
		Resources []struct {
			Filename, Kind, Name, Status, Msg string
		}
		Summary struct{ Valid, Invalid, Errors, Skipped int }
	}
	if jerr := json.Unmarshal(stdout, &report); jerr != nil {
		t.Fatalf("kubeconform: %v: %v\n%s", err, jerr, out)
	}
	for _, r := range report.Resources {
		t.Errorf("kubeconform: %s %s in %s: %s: %s", r.Kind, r.Name, filepath.Base(r.Filename), r.Status, r.Msg)
	}
	total := 0
	for _, objs := range rendered {
		total += len(objs)
	}
	if err != nil || report.Summary.Valid != total || report.Summary.Skipped != 0 {
		t.Fatalf("kubeconform: %v: %+v, want all %d objects valid", err, report.Summary, total)
	}
	t.Logf("kubeconform: %d objects valid against Kubernetes %s and KEDA", total, kubeVersion)
}

// checkChart checks one rendered value set.
func checkChart(t *testing.T, name string, objs map[string]object) {
	sentinel, cluster := name == "Redis Sentinel", name == "Redis Cluster"
	var api, worker object
	for key, o := range objs {
		if strings.HasPrefix(key, "Deployment/") {
			switch o.get("metadata", "labels", "app.kubernetes.io/component") {
			case "api":
				api = o
			case "worker":
				worker = o
			}
		}
	}
	if api == nil || worker == nil {
		t.Fatalf("no api or worker Deployment among %v", slices.Sorted(maps.Keys(objs)))
	}
	for _, d := range []object{api, worker} {
		c := d.get("spec", "template", "spec", "containers", 0).(map[string]any)
		args := toStrings(c["args"])
		command := args[0]
		checkArgs(t, name+": "+command+" args", command, args[1:])
		checkRedis(t, name, command, c)
		checkRedisTLS(t, name, command, d, c)
		grace, err := time.ParseDuration(argValue(args, "shutdown-grace"))
		if err != nil {
			t.Fatalf("%s: no --shutdown-grace: %v", command, err)
		}
		term := time.Duration(toInt(d.get("spec", "template", "spec", "terminationGracePeriodSeconds"))) * time.Second
		if sleep := preStopSleep(c); term <= sleep+grace {
			t.Errorf("%s: terminationGracePeriodSeconds %v, but it sleeps %v before SIGTERM and drains for %v", command, term, sleep, grace)
		}
	}
	checkAPITLS(t, name, api)
	// The API is ready when it can accept jobs; a worker, when its own
	// /readyz says so, on the port its --metrics-addr names.
	if p := api.get("spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("api readiness probe path %v, want /readyz", p)
	}
	wc := worker.get("spec", "template", "spec", "containers", 0).(map[string]any)
	_, port, _ := net.SplitHostPort(argValue(toStrings(wc["args"]), "metrics-addr"))
	ports := object(wc).get("ports", 0, "containerPort")
	if fmt.Sprint(ports) != port {
		t.Errorf("worker serves metrics on %s but exposes port %v", port, ports)
	}
	// The API's metrics need a key on its own port: they are scraped on
	// their own, which Prometheus's annotations name.
	ac := api.get("spec", "template", "spec", "containers", 0).(map[string]any)
	_, port, _ = net.SplitHostPort(argValue(toStrings(ac["args"]), "metrics-addr"))
	scraped := api.get("spec", "template", "metadata", "annotations", "prometheus.io/port")
	if exposed := object(ac).get("ports", 1, "containerPort"); port == "" || fmt.Sprint(exposed) != port || scraped != port {
		t.Errorf("api serves metrics on %q, exposes %v, is scraped on %v: want one port", port, exposed, scraped)
	}
	// The worker keeps its snapshot in a volume that outlives a restart of
	// its container, in a directory of its own.
	snapshots := argValue(toStrings(wc["args"]), "snapshot-dir")
	mounts, _ := object(wc).get("volumeMounts").([]any)
	volumes, _ := worker.get("spec", "template", "spec", "volumes").([]any)
	var kept bool
	for _, m := range mounts {
		m := m.(map[string]any)
		if !strings.HasPrefix(snapshots, fmt.Sprint(m["mountPath"])+"/") {
			continue
		}
		for _, v := range volumes {
			v := v.(map[string]any)
			kept = kept || v["name"] == m["name"] && v["emptyDir"] != nil
		}
	}
	if !kept {
		t.Errorf("worker --snapshot-dir %q is not in a directory of an emptyDir volume", snapshots)
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz", "startupProbe": "/healthz"} {
		if got := object(wc).get(probe, "httpGet", "path"); got != path {
			t.Errorf("worker %s path %v, want %s", probe, got, path)
		}
	}
	// Chromium's sandbox needs user namespaces: seccomp must let it make them.
	if sc := object(wc).get("securityContext", "seccompProfile", "type"); sc != "Unconfined" && sc != "Localhost" {
		t.Errorf("worker seccompProfile %v: the runtime's default refuses user namespaces", sc)
	}
	if object(wc).get("securityContext", "allowPrivilegeEscalation") != false {
		t.Error("worker allows privilege escalation")
	}
	for _, pdb := range []string{"PodDisruptionBudget/sandpit-api", "PodDisruptionBudget/sandpit-worker"} {
		if objs[pdb] == nil {
			t.Errorf("no %s", pdb)
		}
	}

	so := objs["ScaledObject/sandpit-worker"]
	if so == nil {
		if worker.get("spec", "replicas") == nil {
			t.Error("worker Deployment without KEDA has no replicas")
		}
		return
	}
	if worker.get("spec", "replicas") != nil {
		t.Error("worker Deployment sets replicas that KEDA owns")
	}
	want := queueStreams(t, "sandpit")
	var streams []string
	perWorker := map[string]int{}
	for _, tr := range so.get("spec", "triggers").([]any) {
		md := tr.(map[string]any)["metadata"].(map[string]any)
		if _, ok := md["consumerGroup"]; ok {
			t.Errorf("trigger %v counts pending entries, which only count jobs workers already hold", md)
		}
		streams = append(streams, fmt.Sprint(md["stream"]))
		var n int
		fmt.Sscan(fmt.Sprint(md["streamLength"]), &n)
		perWorker[fmt.Sprint(md["stream"])] = n
		wantType := "redis-streams"
		if sentinel {
			wantType = "redis-sentinel-streams"
		}
		if cluster {
			wantType = "redis-cluster-streams"
		}
		if tr.(map[string]any)["type"] != wantType {
			t.Errorf("trigger type %v, want %s", tr.(map[string]any)["type"], wantType)
		}
	}
	checkKEDATLS(t, name, objs, so)
	slices.Sort(streams)
	if !slices.Equal(streams, want) {
		t.Fatalf("KEDA watches streams %v, but the queue writes %v", streams, want)
	}
	if perWorker["{sandpit}:stream:batch"] <= perWorker["{sandpit}:stream"] {
		t.Errorf("a worker per %d batch items and per %d interactive jobs: batch items should weigh less", perWorker["{sandpit}:stream:batch"], perWorker["{sandpit}:stream"])
	}
}

// queueStreams returns the job streams a queue with prefix writes, read
// from a real Redis after a worker has started on it (a worker's own stream
// of session runs is not one).
func queueStreams(t *testing.T, prefix string) []string {
	t.Helper()
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	opts, _ := redis.ParseURL(rs.URL())
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	q := queue.New(rdb, queue.Options{Prefix: prefix})
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Work(ctx, queue.HandlerFunc(func(context.Context, queue.Task) (sandpit.Result, error) {
			return sandpit.Result{}, nil
		}), queue.WorkerOptions{Grace: time.Millisecond})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		keys, _, err := rdb.ScanType(context.Background(), 0, "*", 1000, "stream").Result()
		if err != nil {
			t.Fatal(err)
		}
		var streams []string
		for _, k := range keys {
			if !strings.Contains(k, ":worker:") {
				streams = append(streams, k)
			}
		}
		if len(streams) >= 2 || time.Now().After(deadline) {
			slices.Sort(streams)
			return streams
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func preStopSleep(c map[string]any) time.Duration {
	cmd := toStrings(object(c).get("lifecycle", "preStop", "exec", "command"))
	if len(cmd) == 2 && cmd[0] == "sleep" {
		d, _ := time.ParseDuration(cmd[1] + "s")
		return d
	}
	return 0
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = fmt.Sprint(x)
	}
	return out
}

func toInt(v any) int {
	n, _ := v.(int)
	return n
}
