package helm

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// schemaFile is the file kubeconform looks for, for a kind, with the
// location template {{ .ResourceKind }}{{ .KindSuffix }}.json.
func schemaFile(kind, apiVersion string) string {
	group, version, found := strings.Cut(apiVersion, "/")
	suffix := "-" + strings.ToLower(strings.Split(group, ".")[0])
	if found {
		suffix += "-" + strings.ToLower(version)
	}
	return strings.ToLower(kind) + suffix + ".json"
}

// writeKubernetesSchemas writes a standalone, strict JSON schema for each of
// kinds, from the OpenAPI (Swagger 2.0) document of the k8s.io/kubernetes
// module, as openapi2jsonschema --strict does for kubeconform's own: each
// kind's definition with every definition it refers to, objects closed to
// unknown fields, and IntOrString and Quantity taking numbers too.
func writeKubernetesSchemas(t *testing.T, dir string, kinds map[string]string) {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", kubernetesModule).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", kubernetesModule, err)
	}
	var mod struct{ Dir string }
	json.Unmarshal(out, &mod)
	data, err := os.ReadFile(filepath.Join(mod.Dir, "api/openapi-spec/swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Definitions map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	defs := spec.Definitions
	numberOrString := func(number string) map[string]any {
		return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": number}}}
	}
	defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = numberOrString("integer")
	defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = numberOrString("number")
	var strict func(v any)
	strict = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["properties"]; ok {
				if _, ok := v["additionalProperties"]; !ok {
					v["additionalProperties"] = false
				}
			}
			for _, x := range v {
				strict(x)
			}
		case []any:
			for _, x := range v {
				strict(x)
			}
		}
	}
	strict(defs)
	byGVK := map[string]string{} // "apiVersion kind" → definition
	for name, def := range defs {
		gvks, _ := def.(map[string]any)["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			g := g.(map[string]any)
			apiVersion := fmt.Sprint(g["version"])
			if group := fmt.Sprint(g["group"]); group != "" {
				apiVersion = group + "/" + apiVersion
			}
			byGVK[apiVersion+" "+fmt.Sprint(g["kind"])] = name
		}
	}
	refRE := regexp.MustCompile(`"#/definitions/([^"]+)"`)
	for file, gvk := range kinds {
		root, ok := byGVK[gvk]
		if !ok {
			t.Fatalf("Kubernetes %s has no %s", kubeVersion, gvk)
		}
		closure := map[string]any{}
		var add func(name string)
		add = func(name string) {
			if _, ok := closure[name]; ok {
				return
			}
			closure[name] = defs[name]
			b, _ := json.Marshal(defs[name])
			for _, m := range refRE.FindAllStringSubmatch(string(b), -1) {
				add(m[1])
			}
		}
		add(root)
		schema := maps.Clone(defs[root].(map[string]any))
		schema["definitions"] = closure
		b, err := json.Marshal(schema)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, file), b, 0o644)
	}
}
