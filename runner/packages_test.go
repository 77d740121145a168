package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/pkgrepo"
	"github.com/sandpit-dev/sandpit/page"
)

// testPackages is the package repository of the package tests: greet
// (preloaded) depends on helper; hidden-pkg is imported under a name its
// code does not spell out.
var testPackages = []pkgrepo.Package{
	{Name: "greet", Version: "1.0", Depends: []string{"helper"}, Files: map[string]string{
		"greet/__init__.py": "from helper import shout\ndef hello():\n    return shout('hello')\n",
		"greet/extra.py":    "WORD = 'extra'\n",
	}},
	{Name: "helper", Version: "0.1", Files: map[string]string{
		"helper.py": "def shout(s):\n    return s.upper()\n",
	}},
	{Name: "hidden-pkg", Version: "2.0", Files: map[string]string{
		"hidden/__init__.py": "VALUE = 42\n",
	}},
	fakeMatplotlib,
	fakeIPython,
}

// fakeIPython stands in for the real IPython where the package repository
// has it: its display, which prints outside a notebook, lives in
// IPython.core.display_functions, and IPython.display takes it from there.
var fakeIPython = pkgrepo.Package{Name: "ipython", Version: "0.0", Files: map[string]string{
	"IPython/__init__.py":               "from .core.display_functions import display\n",
	"IPython/core/__init__.py":          "",
	"IPython/core/display_functions.py": "def display(*objs, **kwargs):\n    print('printed by IPython:', *objs)\n",
	"IPython/display.py":                "from IPython.core.display_functions import display\nclass HTML:\n    def __init__(self, data):\n        self.data = data\n    def _repr_html_(self):\n        return self.data\n",
}}

// fakeMatplotlib stands in for matplotlib's side of the backend protocol
// that the harness's figure capture relies on: pyplot loads the backend
// that MPLBACKEND names and calls its show; figures are saved through
// savefig. TestMatplotlibFigures checks the real package where there is one.
var fakeMatplotlib = pkgrepo.Package{Name: "matplotlib", Version: "0.0", Files: map[string]string{
	"matplotlib/__init__.py":          "",
	"matplotlib/backend_bases.py":     "class FigureManagerBase:\n    pass\n",
	"matplotlib/backends/__init__.py": "",
	"matplotlib/backends/backend_agg.py": `class FigureCanvasAgg:
    def __init__(self, figure):
        self.figure = figure
    def print_png(self, path):
        with open(path, "wb") as f:
            f.write(b"\x89PNG " + repr(self.figure.data).encode())
`,
	"matplotlib/pyplot.py": `import importlib, os
_figures = {}
_current = None
class Figure:
    def __init__(self):
        self.data = []
    def savefig(self, path, format=None):
        _backend().FigureCanvas(self).print_png(path)
def _backend():
    return importlib.import_module(os.environ["MPLBACKEND"].removeprefix("module://"))
def figure(num=None):
    global _current
    if num is None:
        num = max(_figures, default=0) + 1
    _current = num
    return _figures.setdefault(num, Figure())
def plot(*data):
    (figure(_current) if _current in _figures else figure()).data.extend(data)
def get_fignums():
    return sorted(_figures)
def close(num):
    _figures.pop(num, None)
def show():
    _backend().show()
`,
}}

func packagesRunner(t *testing.T) *Runner {
	t.Helper()
	dir := t.TempDir()
	if err := pkgrepo.Write(dir, page.PythonVersion(), testPackages...); err != nil {
		t.Fatal(err)
	}
	assets, err := page.New(page.Options{PackagesDir: dir, Preload: []string{"greet"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(context.Background(), Config{Assets: assets, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestPackages(t *testing.T) {
	r := packagesRunner(t)
	tests := []struct {
		name   string
		spec   sandpit.Spec
		status sandpit.Status
		stdout string
		errTyp string
		errHas []string
	}{
		{name: "a preloaded package is imported before the code runs",
			spec:   sandpit.Spec{Code: "import sys\nprint('greet' in sys.modules, 'helper' in sys.modules)"},
			status: sandpit.StatusSucceeded, stdout: "True True\n"},
		{name: "a preloaded package works, submodules not imported at preload too",
			spec:   sandpit.Spec{Code: "import greet, greet.extra\nprint(greet.hello(), greet.extra.WORD)"},
			status: sandpit.StatusSucceeded, stdout: "HELLO extra\n"},
		{name: "imports load their package",
			spec:   sandpit.Spec{Code: "import sys\nprint('hidden' in sys.modules)\nimport hidden\nprint(hidden.VALUE)"},
			status: sandpit.StatusSucceeded, stdout: "False\n42\n"},
		{name: "imports in the test load their package",
			spec:   sandpit.Spec{Code: "x = 1", Test: "import hidden\nassert hidden.VALUE == 42"},
			status: sandpit.StatusSucceeded},
		{name: "named packages load though no import shows them",
			spec:   sandpit.Spec{Code: "import importlib\nprint(importlib.import_module('hid' + 'den').VALUE)", Packages: []string{"Hidden_Pkg"}},
			status: sandpit.StatusSucceeded, stdout: "42\n"},
		{name: "a package not named nor imported is not loaded",
			spec:   sandpit.Spec{Code: "import importlib\nimportlib.import_module('hid' + 'den')"},
			status: sandpit.StatusFailed, errTyp: "ModuleNotFoundError",
			errHas: []string{"No module named 'hidden'", "packages available on this server: greet, helper, hidden-pkg, ipython, matplotlib"}},
		{name: "an unknown named package fails the job and lists what there is",
			spec:   sandpit.Spec{Code: "print(1)", Packages: []string{"greet", "nosuch"}},
			status: sandpit.StatusFailed, errTyp: "ModuleNotFoundError",
			errHas: []string{"'nosuch'", "available: greet, helper, hidden-pkg, ipython, matplotlib"}},
		{name: "an unknown import fails as CPython would, listing what there is",
			spec:   sandpit.Spec{Code: "import numpy"},
			status: sandpit.StatusFailed, errTyp: "ModuleNotFoundError",
			errHas: []string{"No module named 'numpy'", "greet, helper, hidden-pkg, ipython, matplotlib"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := r.Run(ctx, tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status {
				t.Fatalf("status %s, want %s; error %+v stderr %q", res.Status, tt.status, res.Error, res.Stderr)
			}
			if res.Stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", res.Stdout, tt.stdout)
			}
			if tt.errTyp == "" {
				return
			}
			if res.Error == nil || res.Error.Type != tt.errTyp {
				t.Fatalf("error %+v, want type %s", res.Error, tt.errTyp)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(res.Error.Message, s) {
					t.Errorf("error message %q lacks %q", res.Error.Message, s)
				}
			}
		})
	}
	// The preloaded packages' files live outside the snapshot, so the
	// runner shares none: every host makes its own, with them.
	if !r.unshareable.Load() || r.assets.sharing() {
		t.Errorf("a runner that preloads packages: hosts' snapshots unshareable %v, one shared %v; want unshareable and none shared",
			r.unshareable.Load(), r.assets.sharing())
	}
}

func TestNoPackageRepository(t *testing.T) {
	res := run(t, sandpit.Spec{Code: "import numpy"})
	if res.Error == nil || res.Error.Type != "ModuleNotFoundError" ||
		!strings.Contains(res.Error.Message, "no package repository beyond the standard library") {
		t.Fatalf("error %+v, want ModuleNotFoundError saying there is no package repository", res.Error)
	}
	res = run(t, sandpit.Spec{Code: "print(1)", Packages: []string{"numpy"}})
	if res.Status != sandpit.StatusFailed || res.Error == nil || !strings.Contains(res.Error.Message, "'numpy'") {
		t.Fatalf("status %s error %+v, want failed naming numpy", res.Status, res.Error)
	}
}

func TestFiguresBecomeFiles(t *testing.T) {
	r := packagesRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx, sandpit.Spec{Code: "import matplotlib.pyplot as plt\nplt.plot(1)\nplt.show()\nplt.figure()\nplt.plot(2)\n"})
	if err != nil || res.Status != sandpit.StatusSucceeded {
		t.Fatalf("run: %+v, %v", res, err)
	}
	want := map[string]string{"figures/figure_1.png": "\x89PNG [1]", "figures/figure_2.png": "\x89PNG [2]"}
	if len(res.Files) != len(want) {
		t.Fatalf("files %+v, want %v", res.Files, want)
	}
	for _, f := range res.Files {
		data, _ := base64.StdEncoding.DecodeString(f.Content)
		if want[f.Path] != string(data) || f.MimeType != "image/png" {
			t.Errorf("file %s (%s) = %q, want %q", f.Path, f.MimeType, data, want[f.Path])
		}
	}
	// Each figure is an image/png output too, in the order shown.
	if len(res.Outputs) != 2 {
		t.Fatalf("outputs %v, want the two figures", res.Outputs)
	}
	for i, o := range res.Outputs {
		png, _ := o.Text("image/png")
		data, _ := base64.StdEncoding.DecodeString(png)
		if string(data) != want[fmt.Sprintf("figures/figure_%d.png", i+1)] {
			t.Errorf("output %d is %q, want figure %d", i, data, i+1)
		}
	}
}

// TestRealIPythonDisplay: where the package repository has IPython, its
// display gives outputs too, instead of printing.
func TestRealIPythonDisplay(t *testing.T) {
	r := packagesRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx, sandpit.Spec{Code: "from IPython.display import display, HTML\nimport IPython\ndisplay(HTML('<b>real</b>'))\nIPython.display.display(1)\nprint(IPython.__file__)"})
	if err != nil || res.Status != sandpit.StatusSucceeded {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if !strings.Contains(res.Stdout, "site-packages/IPython/__init__.py") || strings.Contains(res.Stdout, "printed by IPython") {
		t.Errorf("stdout %q: want the real package loaded, and nothing printed by its display", res.Stdout)
	}
	if len(res.Outputs) != 2 || res.Outputs[0]["text/html"] != "<b>real</b>" || res.Outputs[1]["text/plain"] != "1" {
		t.Errorf("outputs %v, want the HTML and the 1", res.Outputs)
	}
}

// TestMatplotlibFigures runs real matplotlib from the package repository
// in SANDPIT_TEST_PACKAGES_DIR (a Pyodide release unpacked, say).
func TestMatplotlibFigures(t *testing.T) {
	dir := os.Getenv("SANDPIT_TEST_PACKAGES_DIR")
	if dir == "" {
		t.Skip("matplotlib is not in Pyodide's npm package and nothing is downloaded: set SANDPIT_TEST_PACKAGES_DIR to a Pyodide package repository holding it")
	}
	assets, err := page.New(page.Options{PackagesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(context.Background(), Config{Assets: assets, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, sandpit.Spec{Code: "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\nplt.figure()\nplt.bar([1], [2])", TimeoutMS: 60000})
	if err != nil || res.Status != sandpit.StatusSucceeded {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if len(res.Files) != 2 {
		t.Fatalf("files %+v, want two figures", res.Files)
	}
	for _, f := range res.Files {
		data, _ := base64.StdEncoding.DecodeString(f.Content)
		if !strings.HasPrefix(string(data), "\x89PNG\r\n") {
			t.Errorf("%s is not a PNG", f.Path)
		}
	}
	if len(res.Outputs) != 2 {
		t.Fatalf("outputs %v, want the two figures", res.Outputs)
	}
	for i, o := range res.Outputs {
		png, _ := o.Text("image/png")
		if png != res.Files[i].Content {
			t.Errorf("output %d is not the PNG of %s", i, res.Files[i].Path)
		}
	}
	// display(fig) shows it at once, and a figure closed is not shown
	// again at the end.
	res, err = r.Run(ctx, sandpit.Spec{Code: "import matplotlib.pyplot as plt\nfig = plt.figure()\nplt.plot([1, 2])\ndisplay(fig)\nprint('after')", TimeoutMS: 60000})
	if err != nil || res.Status != sandpit.StatusSucceeded {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if len(res.Outputs) != 1 || len(res.Files) != 1 || !strings.HasPrefix(res.Outputs[0]["text/plain"].(string), "<Figure size") {
		t.Errorf("outputs %v and %d files, want the figure once", res.Outputs, len(res.Files))
	}
}

// TestRichLibraries displays the objects of the real pandas and plotly
// from the package repository in SANDPIT_TEST_PACKAGES_DIR: a DataFrame
// as HTML, a plotly figure as plotly's JSON.
func TestRichLibraries(t *testing.T) {
	dir := os.Getenv("SANDPIT_TEST_PACKAGES_DIR")
	if dir == "" {
		t.Skip("pandas and plotly are not in Pyodide's npm package and nothing is downloaded: set SANDPIT_TEST_PACKAGES_DIR to a Pyodide package repository holding them")
	}
	assets, err := page.New(page.Options{PackagesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(context.Background(), Config{Assets: assets, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, sandpit.Spec{Code: "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})\ndisplay(df)\ndf", TimeoutMS: 120000})
	if err != nil || res.Status != sandpit.StatusSucceeded {
		t.Fatalf("pandas: %+v, %v", res, err)
	}
	if len(res.Outputs) != 2 || !strings.Contains(fmt.Sprint(res.Outputs[0]["text/html"]), "<table") {
		t.Errorf("pandas: outputs %v, want the DataFrame's table twice", res.Outputs)
	}
	res, err = r.Run(ctx, sandpit.Spec{Code: "import plotly.graph_objects as go\ngo.Figure(go.Bar(x=['a', 'b'], y=[1, 2]))", TimeoutMS: 120000})
	if err != nil {
		t.Fatalf("plotly: %v", err)
	}
	if len(res.Outputs) != 1 {
		t.Fatalf("plotly: %s %+v, outputs %v, want the figure", res.Status, res.Error, res.Outputs)
	}
	var fig struct {
		Data []struct{ Type string } `json:"data"`
	}
	raw, _ := res.Outputs[0].Text("application/vnd.plotly.v1+json")
	if err := json.Unmarshal([]byte(raw), &fig); err != nil || len(fig.Data) != 1 || fig.Data[0].Type != "bar" {
		t.Errorf("plotly's output %.300s: %v", raw, err)
	}
}
