package pkgrelease

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit/internal/pkgrepo"
	"github.com/sandpit-dev/sandpit/page"
)

// release lays out a small Pyodide release in a temporary directory, as the
// real archive has it: pyodide/ with the lock, the wheels it names, and
// files that are not packages (the runtime, a directory). edit, when set,
// changes the lock's JSON before it is written back.
func release(t *testing.T, edit func(lock map[string]any)) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "pyodide")
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := pkgrepo.Write(dir, page.PythonVersion(),
		pkgrepo.Package{Name: "greet", Version: "1.0", Files: map[string]string{"greet/__init__.py": "def hi():\n    return 'hi'\n"}},
		pkgrepo.Package{Name: "shout", Version: "2.0", Files: map[string]string{"shout.py": "import greet\n"}, Depends: []string{"greet"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "pyodide-lock.json")
	data, _ := os.ReadFile(lockPath)
	var lock map[string]any
	json.Unmarshal(data, &lock)
	// The lock of a real release carries the platform and ABI too.
	lock["info"] = page.LockInfo()
	if edit != nil {
		edit(lock)
	}
	data, _ = json.Marshal(lock)
	for name, content := range map[string]string{
		"pyodide-lock.json": string(data),
		"pyodide.asm.wasm":  "\x00asm",
		"python_stdlib.zip": "PK",
		"package.json":      `{"name": "pyodide"}`,
		"docs/index.html":   "<p>docs</p>",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// tarBz2 packs root's pyodide/ directory as the release is packed.
func tarBz2(t *testing.T, root string) string {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "pyodide-test.tar.bz2")
	if out, err := exec.Command("tar", "-C", root, "-cjf", archive, "pyodide").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	return archive
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestUnpack(t *testing.T) {
	archive := tarBz2(t, release(t, nil))
	out := filepath.Join(t.TempDir(), "packages")
	sum, err := Unpack(archive, out, page.LockInfo())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"greet-1.0-py3-none-any.whl", "pyodide-lock.json", "shout-2.0-py3-none-any.whl"}
	if got := list(t, out); !slices.Equal(got, want) {
		t.Errorf("the repository holds %v, want %v: the lock and what it names", got, want)
	}
	if sum.Packages != 2 || sum.Bytes == 0 {
		t.Errorf("summary = %+v", sum)
	}
	// sandpit takes it as a package repository, with both packages.
	if _, err := page.New(page.Options{PackagesDir: out, Allow: []string{"shout"}}); err != nil {
		t.Fatalf("page.New on the unpacked repository: %v", err)
	}
	// Unpacking again replaces it.
	if _, err := Unpack(archive, out, page.LockInfo()); err != nil {
		t.Fatalf("unpack over a repository: %v", err)
	}
	if _, err := Check(out, page.LockInfo()); err != nil {
		t.Fatal(err)
	}
}

func TestUnpackGzipAndPlainTar(t *testing.T) {
	root := release(t, nil)
	for _, gz := range []bool{true, false} {
		archive := filepath.Join(t.TempDir(), "pyodide.tar")
		f, _ := os.Create(archive)
		var w = (interface{ Write([]byte) (int, error) })(f)
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(f)
			w = zw
		}
		tw := tar.NewWriter(w)
		if err := tw.AddFS(os.DirFS(root)); err != nil {
			t.Fatal(err)
		}
		tw.Close()
		if zw != nil {
			zw.Close()
		}
		f.Close()
		if _, err := Unpack(archive, filepath.Join(t.TempDir(), "packages"), page.LockInfo()); err != nil {
			t.Errorf("gzip %v: %v", gz, err)
		}
	}
}

func TestUnpackRefuses(t *testing.T) {
	setPython := func(v string) func(map[string]any) {
		return func(lock map[string]any) {
			info := map[string]any{}
			for k, x := range page.LockInfo() {
				info[k] = x
			}
			info["python"] = v
			lock["info"] = info
		}
	}
	tests := []struct {
		name    string
		archive func(t *testing.T) string
		want    string
	}{
		{"another Python", func(t *testing.T) string { return tarBz2(t, release(t, setPython("3.12.1"))) },
			"info.python is 3.12.1, but sandpit's Pyodide needs " + page.PythonVersion()},
		{"another platform", func(t *testing.T) string {
			return tarBz2(t, release(t, func(lock map[string]any) {
				lock["info"].(map[string]any)["platform"] = "emscripten_3_1_58"
			}))
		}, "info.platform is emscripten_3_1_58"},
		{"a wheel that does not match its sha256", func(t *testing.T) string {
			root := release(t, nil)
			os.WriteFile(filepath.Join(root, "pyodide", "greet-1.0-py3-none-any.whl"), []byte("tampered"), 0o644)
			return tarBz2(t, root)
		}, `package "greet": greet-1.0-py3-none-any.whl has sha256`},
		{"a wheel missing", func(t *testing.T) string {
			root := release(t, nil)
			os.Remove(filepath.Join(root, "pyodide", "shout-2.0-py3-none-any.whl"))
			return tarBz2(t, root)
		}, `package "shout": open`},
		{"no lock", func(t *testing.T) string {
			root := release(t, nil)
			os.Remove(filepath.Join(root, "pyodide", "pyodide-lock.json"))
			return tarBz2(t, root)
		}, "no pyodide-lock.json: not a Pyodide release"},
		{"an entry outside the archive", func(t *testing.T) string {
			archive := filepath.Join(t.TempDir(), "evil.tar")
			f, _ := os.Create(archive)
			tw := tar.NewWriter(f)
			for _, name := range []string{"pyodide/pyodide-lock.json", "pyodide/../../evil"} {
				tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
				tw.Write([]byte("{}"))
			}
			tw.Close()
			f.Close()
			return archive
		}, `entry "pyodide/../../evil" is outside the archive`},
		{"not an archive", func(t *testing.T) string {
			name := filepath.Join(t.TempDir(), "x.tar.bz2")
			os.WriteFile(name, []byte("BZh9 not really"), 0o644)
			return name
		}, "read:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "packages")
			_, err := Unpack(tc.archive(t), out, page.LockInfo())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Unpack error = %v, want one containing %q", err, tc.want)
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Errorf("a failed unpack left %s behind", out)
			}
		})
	}
}

// TestUnpackKeepsOtherDirectories: an --out that holds something else is
// left alone.
func TestUnpackKeepsOtherDirectories(t *testing.T) {
	archive := tarBz2(t, release(t, nil))
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	_, err := Unpack(archive, out, page.LockInfo())
	if err == nil || !strings.Contains(err.Error(), "refusing to replace it") {
		t.Fatalf("Unpack into a directory of other files: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "notes.txt")); string(data) != "mine" {
		t.Error("the directory's file was touched")
	}
}
