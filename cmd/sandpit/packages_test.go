package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/pkgrepo"
	"github.com/sandpit-dev/sandpit/page"
)

// TestServePackagesAndFiles runs jobs that import packages of a local
// package repository, with an allow-list and a preload, and downloads a
// job's output file.
func TestServePackagesAndFiles(t *testing.T) {
	dir := t.TempDir()
	err := pkgrepo.Write(dir, page.PythonVersion(),
		pkgrepo.Package{Name: "greet", Version: "1.0", Files: map[string]string{"greet/__init__.py": "def hello():\n    return 'hello'\n"}},
		pkgrepo.Package{Name: "secret-tool", Version: "1.0", Files: map[string]string{"secret_tool.py": "X = 1\n"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1", "--packages-dir", dir, "--packages", "greet", "--preload", "greet")
	waitReady(t, base, p)
	c, _ := client.New(base)
	ctx := context.Background()

	job, err := c.Run(ctx, sandpit.Spec{Code: "import greet\nprint(greet.hello())"})
	if err != nil || job.Stdout != "hello\n" {
		t.Fatalf("import of an allowed package: %+v, %v", job, err)
	}
	job, err = c.Run(ctx, sandpit.Spec{Code: "import secret_tool"})
	if err != nil || job.Status != sandpit.StatusFailed || job.Error == nil || job.Error.Type != "ModuleNotFoundError" {
		t.Fatalf("import of a package off the allow-list: %+v, %v", job, err)
	}
	if _, listed, _ := strings.Cut(job.Error.Message, "available on this server: "); listed != "greet)" {
		t.Errorf("error %q lists %q, want only the allowed package", job.Error.Message, listed)
	}
	job, err = c.Run(ctx, sandpit.Spec{Code: "pass", Packages: []string{"secret-tool"}})
	if err != nil || job.Status != sandpit.StatusFailed || job.Error == nil || !strings.Contains(job.Error.Message, "'secret-tool'") {
		t.Fatalf("a named package off the allow-list: %+v, %v", job, err)
	}

	job, err = c.Run(ctx, sandpit.Spec{Code: "import os\nos.mkdir('out')\nopen('out/data.csv', 'w').write('a,b\\n1,2\\n')"})
	if err != nil || len(job.Files) != 1 {
		t.Fatalf("job with an output file: %+v, %v", job, err)
	}
	resp, err := http.Get(base + "/v1/jobs/" + job.ID + "/files/out/data.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "a,b\n1,2\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("download: %d %q %v", resp.StatusCode, body, resp.Header)
	}
}

func TestServeRefusesBadPackagesDir(t *testing.T) {
	p := start(t, "serve", "--addr", freeAddr(t), "--packages-dir", t.TempDir())
	<-p.done
	if code := p.cmd.ProcessState.ExitCode(); code == 0 || !strings.Contains(p.out.String(), "packages: packages directory") {
		t.Fatalf("exit %d, output %q; want a failure naming the packages directory", code, p.out.String())
	}
}
