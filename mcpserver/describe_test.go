package mcpserver

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit"
)

// The tool descriptions tell the model what Pyodide cannot do, the
// packages the server has and the limits in force.
func TestDescriptions(t *testing.T) {
	info := &sandpit.Info{Packages: []string{"numpy", "pandas"}, Limits: sandpit.Limits{}.Info()}
	descriptions := func(opts Options) map[string]string {
		cs := dial(t, server(t, &recorder{}, opts), "k1", "", nil)
		tools, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, tool := range tools.Tools {
			out[tool.Name] = tool.Description
			data := fmt.Sprint(tool.InputSchema)
			out[tool.Name+" input"] = data
		}
		return out
	}
	d := descriptions(Options{Info: info, MaxText: 12000})
	for _, tool := range []string{"run_python", "run_in_session"} {
		for _, want := range []string{"threads", "subprocess", "multiprocessing", "sockets", "no HTTP requests",
			"This server has: numpy, pandas.", "timeout_ms (default 10000, at most 300000)", "512 MiB", "at most 12000 characters"} {
			if !strings.Contains(d[tool], want) {
				t.Errorf("%s's description lacks %q:\n%s", tool, want, d[tool])
			}
		}
	}
	if in := d["run_python input"]; !strings.Contains(in, "the server's default, 10000; at most 300000") {
		t.Errorf("run_python's timeout_ms is not described with the limits: %s", in)
	}
	if in := d["create_session input"]; !strings.Contains(in, "64 to 2048") {
		t.Errorf("create_session's memory_mb is not described with the limits: %s", in)
	}

	many := &sandpit.Info{Limits: info.Limits}
	for i := range 100 {
		many.Packages = append(many.Packages, fmt.Sprintf("pkg%03d", i))
	}
	if d := descriptions(Options{Info: many})["run_python"]; !strings.Contains(d, "100 packages, among them: pkg000,") || strings.Contains(d, "pkg099") {
		t.Errorf("with 100 packages:\n%s", d)
	}
	if d := descriptions(Options{Info: &sandpit.Info{Limits: info.Limits}})["run_python"]; !strings.Contains(d, "no packages beyond the standard library") {
		t.Errorf("with no packages:\n%s", d)
	}
	if d := descriptions(Options{})["run_python"]; strings.Contains(d, "This server has") || !strings.Contains(d, "threads") {
		t.Errorf("without the server's info:\n%s", d)
	}
}
