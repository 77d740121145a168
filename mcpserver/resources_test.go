package mcpserver

import (
	"context"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// The files a result names are resources, read by the caller that ran the
// job and by nobody else.
func TestFileResources(t *testing.T) {
	rec := &recorder{finish: func(sandpit.Spec) ([]step, sandpit.Job) {
		return nil, sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0), Files: []sandpit.File{
			b64("out dir/report.txt", "text/plain; charset=utf-8", []byte("all good\n")),
			b64("big.csv", "text/csv", []byte(strings.Repeat("1,2\n", 10000))),
			b64("data.bin", "application/octet-stream", []byte{0, 1, 2}),
		}}}
	}}
	url := server(t, rec, Options{})
	mine, theirs := dial(t, url, "k1", "", nil), dial(t, url, "k2", "", nil)
	res := call(t, mine, "run_python", map[string]any{"code": "files"})
	var uris []string
	for _, c := range res.Content[1:] {
		switch c := c.(type) {
		case *mcp.EmbeddedResource:
			uris = append(uris, c.Resource.URI)
		case *mcp.ResourceLink:
			uris = append(uris, c.URI)
		}
	}
	if len(uris) != 3 {
		t.Fatalf("%d files named in the result, want 3: %+v", len(uris), res.Content)
	}
	ctx := context.Background()
	wants := []struct {
		text string
		blob []byte
	}{{text: "all good\n"}, {text: strings.Repeat("1,2\n", 10000)}, {blob: []byte{0, 1, 2}}}
	for i, uri := range uris {
		got, err := mine.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil || len(got.Contents) != 1 || got.Contents[0].Text != wants[i].text || string(got.Contents[0].Blob) != string(wants[i].blob) {
			t.Errorf("read %s = %+v, %v", uri, got, err)
		}
		if _, err := theirs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri}); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("another caller read %s: %v, want not found", uri, err)
		}
	}
	for _, uri := range []string{
		strings.Replace(uris[0], "report.txt", "missing.txt", 1),
		"sandpit://jobs/nosuchjob/files/a.txt",
		"sandpit://jobs/j1/files/",
		"sandpit://jobs/j1/files/a%zz",
	} {
		if _, err := mine.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri}); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("read %s: %v, want not found", uri, err)
		}
	}
}

func TestParseFileURI(t *testing.T) {
	for uri, want := range map[string][2]string{
		"sandpit://jobs/j1/files/a.txt":                {"j1", "a.txt"},
		"sandpit://jobs/j1/files/my%20dir/a%23b.txt":   {"j1", "my dir/a#b.txt"},
		"sandpit://jobs/j1/files/figures/figure_1.png": {"j1", "figures/figure_1.png"},
	} {
		if id, path, ok := parseFileURI(uri); !ok || id != want[0] || path != want[1] {
			t.Errorf("parseFileURI(%q) = %q, %q, %v; want %q", uri, id, path, ok, want)
		}
		if id, path, _ := parseFileURI(fileURI(want[0], want[1])); id != want[0] || path != want[1] {
			t.Errorf("fileURI(%q) does not parse back: %q, %q", want, id, path)
		}
	}
	for _, uri := range []string{"sandpit://jobs/j1/files/", "sandpit://jobs//files/a", "http://jobs/j1/files/a", "sandpit://jobs/j1/files/a//b"} {
		if _, _, ok := parseFileURI(uri); ok {
			t.Errorf("parseFileURI(%q) is ok", uri)
		}
	}
}
