package page

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGluePatched checks that every patch of gluePatches applies once to
// the pinned Pyodide's glue, that both the sandbox's and the web frame's glue
// are the patched one, and that a glue a patch does not fit is refused
// with an error that names what is missing.
func TestGluePatched(t *testing.T) {
	orig, err := fs.ReadFile(pyodide, "node_modules/pyodide/"+glueName)
	if err != nil {
		t.Fatal(err)
	}
	patched, err := patchGlue(orig)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range gluePatches {
		if bytes.Contains(patched, []byte(p.old)) || !bytes.Contains(patched, []byte(p.new)) {
			t.Errorf("patch %.40q... not applied", p.old)
		}
	}
	web, err := NewWeb(WebConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, served := range []struct {
		handler http.Handler
		path    string
	}{{Handler(), "/pyodide/" + glueName}, {web, "/web/pyodide/" + glueName}} {
		path := served.path
		rec := httptest.NewRecorder()
		served.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK || !bytes.Equal(body, patched) {
			t.Errorf("GET %s: %d, %d bytes; want the patched glue (%d bytes)", path, rec.Code, len(body), len(patched))
		}
	}
	// A Pyodide whose glue no longer has one of the anchors.
	for _, p := range gluePatches {
		changed := bytes.Replace(orig, []byte(p.old), []byte("/*changed*/"), 1)
		if _, err := patchGlue(changed); err == nil || !strings.Contains(err.Error(), "found it 0 times") || !strings.Contains(err.Error(), "page/glue.go") {
			t.Errorf("patchGlue of a glue without %.40q...: %v", p.old, err)
		}
	}
}

// TestGlueServed checks the glue as served, in Node
// (testdata/glue_test.mjs): its assignWasmExports gives Module every export
// the published one does, with the same value, and every variable it still
// declares the same value (compactExports), and its function keeps its name
// (eagerGlue). No page or worker the glue is served to may run eval, the
// premise of dropping the variables nothing names; and a glue without
// assignWasmExports is refused with an error that says so.
func TestGlueServed(t *testing.T) {
	orig, err := fs.ReadFile(pyodide, "node_modules/pyodide/"+glueName)
	if err != nil {
		t.Fatal(err)
	}
	served, err := readPyodide(glueName)
	if err != nil {
		t.Fatal(err)
	}
	if len(served) > len(orig)*3/4 {
		t.Errorf("the served glue is %d bytes, the published %d: the exports were not compacted", len(served), len(orig))
	}
	dir := t.TempDir()
	published, patched := filepath.Join(dir, "published.mjs"), filepath.Join(dir, "served.mjs")
	if err := os.WriteFile(published, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(patched, served, 0o644); err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node, which runs the served glue: %v", err)
	}
	cmd := exec.Command(node, "--test", "--test-reporter=spec", "testdata/glue_test.mjs")
	cmd.Env = append(os.Environ(), "PUBLISHED_GLUE="+published, "SERVED_GLUE="+patched)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test testdata/glue_test.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	for name, csp := range map[string]string{
		"ContentSecurityPolicy":       ContentSecurityPolicy,
		"WorkerContentSecurityPolicy": WorkerContentSecurityPolicy,
		"FrameCSP":                    FrameCSP("https://sandpit.example"),
	} {
		if strings.Contains(csp, "'unsafe-eval'") || !strings.Contains(csp, "script-src ") {
			t.Errorf("%s lets the glue's eval run: %s", name, csp)
		}
	}

	without := bytes.Replace(orig, []byte(exportsHead), []byte("function assignExports(wasmExports){"), 1)
	if _, err := patchGlue(without); err == nil || !strings.Contains(err.Error(), "compactExports (page/glue.go)") {
		t.Errorf("patchGlue of a glue without assignWasmExports: %v", err)
	}
}
