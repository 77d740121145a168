package page

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit/internal/pkgrepo"
)

func writeRepo(t *testing.T, python string) string {
	t.Helper()
	dir := t.TempDir()
	err := pkgrepo.Write(dir, python,
		pkgrepo.Package{Name: "app", Version: "1", Depends: []string{"lib"}, Files: map[string]string{"app.py": ""}},
		pkgrepo.Package{Name: "lib", Version: "1", Files: map[string]string{"lib.py": ""}},
		pkgrepo.Package{Name: "other", Version: "1", Files: map[string]string{"other.py": ""}},
		pkgrepo.Package{Name: "broken", Version: "1", Depends: []string{"absent"}, Files: map[string]string{"broken.py": ""}},
		pkgrepo.Package{Name: "gone", Version: "1", Files: map[string]string{"gone.py": ""}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "gone-1-py3-none-any.whl")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func servedPackages(t *testing.T, h http.Handler) []string {
	t.Helper()
	var lock lockFile
	if err := json.Unmarshal(get(t, h, "/pyodide/pyodide-lock.json").Body.Bytes(), &lock); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range lock.Packages {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func TestRepository(t *testing.T) {
	dir := writeRepo(t, PythonVersion())
	tests := []struct {
		name   string
		opts   Options
		served []string
	}{
		{"all whose wheels and dependencies are there", Options{PackagesDir: dir}, []string{"app", "lib", "other"}},
		{"an allow-list brings dependencies", Options{PackagesDir: dir, Allow: []string{"App"}}, []string{"app", "lib"}},
		{"no directory serves none", Options{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := servedPackages(t, h); !slices.Equal(got, tt.served) {
				t.Errorf("served %v, want %v", got, tt.served)
			}
			for _, n := range []string{"app", "lib", "other"} {
				rec := get(t, h, "/packages/"+n+"-1-py3-none-any.whl")
				if want := slices.Contains(tt.served, n); (rec.Code == http.StatusOK) != want {
					t.Errorf("wheel of %s: status %d, want served=%v", n, rec.Code, want)
				}
			}
		})
	}
	for _, path := range []string{"/packages/pyodide-lock.json", "/packages/../pyodide-lock.json", "/packages/gone-1-py3-none-any.whl"} {
		if rec := get(t, mustNew(t, Options{PackagesDir: dir}), path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, rec.Code)
		}
	}
}

func mustNew(t *testing.T, opts Options) http.Handler {
	t.Helper()
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRepositoryErrors(t *testing.T) {
	dir := writeRepo(t, PythonVersion())
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"wrong Python", Options{PackagesDir: writeRepo(t, "2.7.18")}, "is for Python 2.7.18"},
		{"no lock", Options{PackagesDir: t.TempDir()}, "pyodide-lock.json"},
		{"allow-list names a package not there", Options{PackagesDir: dir, Allow: []string{"nosuch"}}, `allow-list: package "nosuch" is not in the packages directory`},
		{"allow-list names a package whose dependency is missing", Options{PackagesDir: dir, Allow: []string{"broken"}}, `"broken"`},
		{"preload outside the allow-list", Options{PackagesDir: dir, Allow: []string{"lib"}, Preload: []string{"other"}}, `preload: package "other" is not among the loadable packages`},
		{"allow-list without a directory", Options{Allow: []string{"x"}}, "need a packages directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestConfigNamesPreload(t *testing.T) {
	h := mustNew(t, Options{PackagesDir: writeRepo(t, PythonVersion()), Preload: []string{"app"}})
	var cfg struct{ Preload, Packages []string }
	if err := json.Unmarshal(get(t, h, "/config.json").Body.Bytes(), &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Preload, []string{"app"}) || !slices.Equal(cfg.Packages, []string{"app", "lib", "other"}) {
		t.Errorf("config %+v", cfg)
	}
}
