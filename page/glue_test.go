package page

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGluePatched checks that every lazy-GOT patch applies once to the
// pinned Pyodide's glue, that both the sandbox's and the web frame's glue
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
