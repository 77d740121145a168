package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	santhosh "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sandpit-dev/sandpit"
)

// variedJob ends as its code says, so that the structured outputs of
// results of every shape can be checked.
func variedJob(spec sandpit.Spec) ([]step, sandpit.Job) {
	tb := "Traceback (most recent call last):\n  File \"main.py\", line 1, in <module>\nZeroDivisionError: division by zero\n"
	job := sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0), Files: []sandpit.File{}}}
	switch spec.Code {
	case "fail":
		job.Result = sandpit.Result{Status: sandpit.StatusFailed, ExitCode: ptr(1), Stderr: tb, Files: []sandpit.File{},
			Error: &sandpit.PyError{Type: "ZeroDivisionError", Message: "division by zero", Traceback: tb}}
	case "timeout":
		job.Result = sandpit.Result{Status: sandpit.StatusTimeout, Stdout: "tick\n", Files: []sandpit.File{},
			Message: "the code ran longer than its timeout of 500ms"}
	case "files":
		job.Files = []sandpit.File{b64("plot.png", "image/png", png), b64("out/data.csv", "text/csv", []byte("a,b\n")),
			b64("big.txt", "text/plain", []byte(strings.Repeat("x", 30000))), b64("blob.bin", "application/octet-stream", []byte{0, 1})}
		job.FilesTruncated = true
	case "long":
		job.Stdout = strings.Repeat("out\n", 20000)
		job.Stderr = strings.Repeat("err\n", 20000)
		job.StdoutTruncated = true
		job.Result.Result = ptr(strings.Repeat("r", 30000))
	default:
		job.Result.Result = ptr("42")
	}
	return nil, job
}

// typeLists returns where v, a JSON schema, gives a value a list of types.
func typeLists(v any, at string) []string {
	var found []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if _, isList := x.([]any); isList && k == "type" {
				found = append(found, fmt.Sprintf("%s/type = %v", at, x))
			}
			found = append(found, typeLists(x, at+"/"+k)...)
		}
	case []any:
		for i, x := range v {
			found = append(found, typeLists(x, fmt.Sprintf("%s/%d", at, i))...)
		}
	}
	return found
}

// compile checks schema, a JSON value, against JSON Schema 2020-12 with a
// checker other than the SDK's.
func compile(t *testing.T, name string, schema any) *santhosh.Schema {
	t.Helper()
	data, _ := json.Marshal(schema)
	doc, err := santhosh.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := santhosh.NewCompiler()
	c.DefaultDraft(santhosh.Draft2020)
	if err := c.AddResource(name+".json", doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s, err := c.Compile(name + ".json")
	if err != nil {
		t.Fatalf("%s is not a valid JSON schema: %v", name, err)
	}
	return s
}

// TestSchemas walks every schema the server publishes: none gives a value
// a list of types (Gemini refuses them), each is a valid JSON schema, and
// the structured output of results of every shape is valid by its tool's
// output schema, checked apart from the SDK's own check.
func TestSchemas(t *testing.T) {
	cs := dial(t, server(t, &recorder{finish: variedJob}, Options{}), "k1", "", nil)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]*santhosh.Schema{}
	for _, tool := range tools.Tools {
		for kind, schema := range map[string]any{"input": tool.InputSchema, "output": tool.OutputSchema} {
			name := tool.Name + " " + kind
			data, _ := json.Marshal(schema)
			var v any
			json.Unmarshal(data, &v)
			if lists := typeLists(v, ""); len(lists) > 0 {
				t.Errorf("%s schema gives lists of types: %v", name, lists)
			}
			if strings.Contains(string(data), `"null"`) {
				t.Errorf("%s schema names null: %s", name, data)
			}
			s := compile(t, strings.ReplaceAll(name, " ", "-"), v)
			if kind == "output" {
				outputs[tool.Name] = s
			}
		}
	}
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"run_python", map[string]any{"code": "ok"}},
		{"run_python", map[string]any{"code": "fail"}},
		{"run_python", map[string]any{"code": "timeout"}},
		{"run_python", map[string]any{"code": "files"}},
		{"run_python", map[string]any{"code": "long"}},
		{"run_in_session", map[string]any{"session_id": "s1", "code": "fail"}},
		{"create_session", map[string]any{}},
		{"close_session", map[string]any{"session_id": "s1"}},
	}
	for _, c := range calls {
		res := call(t, cs, c.tool, c.args)
		data, _ := json.Marshal(res.StructuredContent)
		v, err := santhosh.UnmarshalJSON(bytes.NewReader(data))
		if err != nil || res.StructuredContent == nil {
			t.Fatalf("%s %v: structured content %s (%v)", c.tool, c.args, data, err)
		}
		if err := outputs[c.tool].Validate(v); err != nil {
			t.Errorf("%s %v: the output does not match its schema: %v\n%s", c.tool, c.args, err, data)
		}
	}
	templates, err := cs.ListResourceTemplates(context.Background(), nil)
	if err != nil || len(templates.ResourceTemplates) != 1 || templates.ResourceTemplates[0].URITemplate != "sandpit://jobs/{id}/files/{+path}" {
		t.Errorf("resource templates = %+v, %v", templates, err)
	}
}

// TestPlainTypes checks the conversion on what the inference gives.
func TestPlainTypes(t *testing.T) {
	type inner struct {
		N *int `json:"n,omitempty"`
	}
	type outer struct {
		S  *string          `json:"s,omitempty"`
		L  []inner          `json:"l"`
		M  map[string][]int `json:"m"`
		P  *inner           `json:"p,omitempty"`
		PP []*inner         `json:"pp"`
	}
	data, _ := json.Marshal(schemaFor[outer]())
	var v any
	json.Unmarshal(data, &v)
	if lists := typeLists(v, ""); len(lists) > 0 {
		t.Fatalf("lists of types left: %v in %s", lists, data)
	}
	for _, want := range []string{`"s":{"type":"string"}`, `"l":{"type":"array"`, `"n":{"type":"integer"}`, `"additionalProperties":{"type":"array"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("schema lacks %s: %s", want, data)
		}
	}
}
