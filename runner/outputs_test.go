package runner

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit"
)

// displayClasses are objects that implement the display protocol as
// pandas, plotly and the rest do, for the tests below.
const displayClasses = `import base64, math
class Frame:
    def _repr_html_(self):
        return "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>"
    def __repr__(self):
        return "   a\n0  1"
class Figure:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"application/vnd.plotly.v1+json": {"data": [{"type": "bar", "x": ["a", "b"], "y": [1, math.nan]}], "layout": {"title": {"text": "t"}}}}
    def _repr_html_(self):
        return "<div>a chart</div>"
    def __repr__(self):
        return "Figure()"
class Doc:
    def _repr_markdown_(self):
        return "# title\n*emphasis*"
    def _repr_latex_(self):
        return r"$\alpha^2$"
    def __repr__(self):
        return "Doc()"
class Drawing:
    def _repr_svg_(self):
        return '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'
    def __repr__(self):
        return "Drawing()"
class Png:
    def _repr_png_(self):
        return b"\x89PNG\r\n\x1a\nfake"
    def __repr__(self):
        return "Png()"
class Jpeg:
    def _repr_jpeg_(self):
        # base64 text, wrapped, as some libraries give it
        return base64.encodebytes(b"\xff\xd8\xff" * 40).decode()
    def __repr__(self):
        return "Jpeg()"
class Tree:
    def _repr_json_(self):
        return ({"a": [1, 2.5, None, math.inf], "b": {"c": "✓"}}, {"expanded": True})
    def __repr__(self):
        return "Tree()"
`

func TestOutputs(t *testing.T) {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake"))
	jpeg := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\xff\xd8\xff", 40)))
	tests := []struct {
		name   string
		code   string
		want   string // the outputs as JSON
		result string
		stderr string // a substring of stderr, when set
	}{
		{"a DataFrame's HTML, as the last line", "Frame()",
			`[{"text/html": "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"}]`, "   a\n0  1", ""},
		{"a plotly figure's bundle, and its HTML", "Figure()",
			`[{"application/vnd.plotly.v1+json": {"data": [{"type": "bar", "x": ["a", "b"], "y": [1, null]}], "layout": {"title": {"text": "t"}}},
			  "text/html": "<div>a chart</div>", "text/plain": "Figure()"}]`, "Figure()", ""},
		{"markdown and LaTeX", "display(Doc())",
			`[{"text/markdown": "# title\n*emphasis*", "text/latex": "$\\alpha^2$", "text/plain": "Doc()"}]`, "<nil>", ""},
		{"SVG", "display(Drawing())",
			`[{"image/svg+xml": "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>", "text/plain": "Drawing()"}]`, "<nil>", ""},
		{"PNG from bytes", "display(Png())", `[{"image/png": "` + png + `", "text/plain": "Png()"}]`, "<nil>", ""},
		{"JPEG from wrapped base64", "display(Jpeg())", `[{"image/jpeg": "` + jpeg + `", "text/plain": "Jpeg()"}]`, "<nil>", ""},
		{"JSON with its metadata, and no NaN", "display(Tree())",
			`[{"application/json": {"a": [1, 2.5, null, null], "b": {"c": "✓"}}, "text/plain": "Tree()"}]`, "<nil>", ""},
		{"in order, several at a time", "display(Doc(), Drawing())\nprint('between')\ndisplay(Png())\nFrame()",
			`[{"text/markdown": "# title\n*emphasis*", "text/latex": "$\\alpha^2$", "text/plain": "Doc()"},
			  {"image/svg+xml": "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>", "text/plain": "Drawing()"},
			  {"image/png": "` + png + `", "text/plain": "Png()"},
			  {"text/html": "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"}]`, "   a\n0  1", ""},
		{"a raw bundle", `display({"text/html": "<i>raw</i>", "image/png": b"\x89PNG\r\n\x1a\nfake", "application/geo+json": '{"type": "Point"}'}, raw=True)`,
			`[{"text/html": "<i>raw</i>", "image/png": "` + png + `", "application/geo+json": {"type": "Point"}}]`, "<nil>", ""},
		{"IPython.display without IPython", "from IPython.display import display, HTML, Markdown, Image\ndisplay(HTML('<b>b</b>'), Markdown('*m*'), Image(data=b'\\x89PNG\\r\\n\\x1a\\nfake'))",
			`[{"text/html": "<b>b</b>", "text/plain": "<IPython.core.display.HTML object>"},
			  {"text/markdown": "*m*", "text/plain": "<IPython.core.display.Markdown object>"},
			  {"image/png": "` + png + `", "text/plain": "<IPython.core.display.Image object>"}]`, "<nil>", ""},
		{"a plain value is the result only", "6 * 7", `null`, "42", ""},
		{"a str, a list, a dict are the result only", "['a', {'b': 1}]", `null`, "['a', {'b': 1}]", ""},
		{"a _repr_mimebundle_ that raises leaves the text", "class Bad:\n    def _repr_mimebundle_(self, include=None, exclude=None):\n        raise RuntimeError('broken')\n    def __repr__(self):\n        return 'Bad()'\ndisplay(Bad())",
			`[{"text/plain": "Bad()"}]`, "<nil>", "sandpit: display: _repr_mimebundle_ of Bad: it raised RuntimeError: broken; left out"},
		{"a rich value's huge repr is cut in its text, once", "class Wide:\n    def _repr_html_(self):\n        return '<b>w</b>'\n    def __repr__(self):\n        return 'w' * (1 << 20)\nWide()",
			`[{"text/html": "<b>w</b>", "text/plain": "` + strings.Repeat("w", testOutputCap) + `"}]`, strings.Repeat("w", testOutputCap), ""},
		{"a plain value displayed", "display(6 * 7)", `[{"text/plain": "42"}]`, "<nil>", ""},
		{"a class is not asked for its HTML", "display(Frame)", `[{"text/plain": "<class '__main__.Frame'>"}]`, "<nil>", ""},
		{"an object that answers every attribute", "class Any:\n    def __getattr__(self, name):\n        return lambda *a, **k: '<b>x</b>'\n    def __repr__(self):\n        return 'Any()'\ndisplay(Any())",
			`[{"text/plain": "Any()"}]`, "<nil>", ""},
		{"a method that raises is left out, and said", "class Bad:\n    def _repr_html_(self):\n        raise ValueError('no html')\n    def _repr_png_(self):\n        return 'not base64!'\n    def __repr__(self):\n        return 'Bad()'\nBad()",
			`null`, "Bad()", "sandpit: display: _repr_html_ of Bad: it raised ValueError: no html; left out"},
		{"data of the wrong type is left out, and said", "class Wrong:\n    def _repr_svg_(self):\n        return 5\n    def __repr__(self):\n        return 'Wrong()'\ndisplay(Wrong())",
			`[{"text/plain": "Wrong()"}]`, "<nil>", "its image/svg+xml is of type int, not str; left out"},
		{"a key that is not a MIME type is left out, and said", "class K:\n    def _repr_mimebundle_(self, include=None, exclude=None):\n        return {'html': '<b>', 'text/html': '<b>ok</b>'}\n    def __repr__(self):\n        return 'K()'\nK()",
			`[{"text/html": "<b>ok</b>", "text/plain": "K()"}]`, "K()", "'html' is not a MIME type"},
		{"outputs made before an exception are kept", "display(Png())\nraise ValueError('after')",
			`[{"image/png": "` + png + `", "text/plain": "Png()"}]`, "<nil>", "ValueError: after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, sandpit.Spec{Code: displayClasses + tc.code})
			if r.Status == sandpit.StatusError {
				t.Fatalf("status %s: %s", r.Status, r.Message)
			}
			got, _ := json.Marshal(r.Outputs)
			if !sameJSON(t, got, tc.want) {
				t.Errorf("outputs:\n got %s\nwant %s\nstderr %s", got, tc.want, r.Stderr)
			}
			if str(r.Result) != tc.result {
				t.Errorf("result = %s, want %s", str(r.Result), tc.result)
			}
			if !strings.Contains(r.Stderr, tc.stderr) {
				t.Errorf("stderr = %q, want it to hold %q", r.Stderr, tc.stderr)
			}
		})
	}
}

// sameJSON reports whether the JSON texts a and b hold the same value.
func sameJSON(t *testing.T, a []byte, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// TestOutputLimits: a job has at most as many outputs as output files,
// and as many bytes; those past the limits are left out, and stderr says
// so.
func TestOutputLimits(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "for i in range(8):\n    display(i)"})
	if len(r.Outputs) != 5 || r.Outputs[4]["text/plain"] != "4" || !r.OutputsTruncated {
		t.Errorf("outputs %v (truncated %v), want the first 5, truncated", r.Outputs, r.OutputsTruncated)
	}
	if n := strings.Count(r.Stderr, "sandpit: display: the int: the job has its most outputs, 5; left out"); n != 3 {
		t.Errorf("stderr says %d times that an output was left out, want 3:\n%s", n, r.Stderr)
	}
	// 1 MiB of outputs: the second half-MiB string does not fit, a small
	// one after it does.
	r = run(t, sandpit.Spec{Code: "display({'text/plain': 'x' * 600_000}, raw=True)\ndisplay({'text/plain': 'y' * 600_000}, raw=True)\ndisplay('small')"})
	if len(r.Outputs) != 2 || r.Outputs[1]["text/plain"] != "'small'" || !r.OutputsTruncated {
		t.Errorf("%d outputs (truncated %v), want the first and the small one, truncated", len(r.Outputs), r.OutputsTruncated)
	}
	if !strings.Contains(r.Stderr, "sandpit: display: a raw bundle: 600010 bytes, past the job's 1048576 bytes of outputs; left out") {
		t.Errorf("stderr does not say the output was left out:\n%s", r.Stderr)
	}
}

// TestHugeOutputs: data past the job's bytes of outputs is left out before
// it is copied, and a displayed value's repr is cut to the cap on text.
func TestHugeOutputs(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "class Big:\n    def _repr_html_(self):\n        return 'x' * (2 << 20)\n    def __repr__(self):\n        return 'Big()'\ndisplay(Big())\ndisplay('y' * (2 << 20))", MemoryMB: 512})
	if r.Status != sandpit.StatusSucceeded || len(r.Outputs) != 2 || !r.OutputsTruncated {
		t.Fatalf("status %s (%s), outputs %d, truncated %v; want two outputs, cut", r.Status, r.Message, len(r.Outputs), r.OutputsTruncated)
	}
	if _, ok := r.Outputs[0]["text/html"]; ok || r.Outputs[0]["text/plain"] != "Big()" {
		t.Errorf("the first output holds %v, want its text only", keysOf(r.Outputs[0]))
	}
	if s, _ := r.Outputs[1]["text/plain"].(string); len(s) != testOutputCap || !strings.HasPrefix(s, "'yyy") {
		t.Errorf("the displayed str is %d bytes, want the cap of %d", len(s), testOutputCap)
	}
	if !strings.Contains(r.Stderr, "sandpit: display: _repr_html_ of Big: its text/html is past the job's bytes of outputs; left out") {
		t.Errorf("stderr does not say the HTML was left out:\n%.500s", r.Stderr)
	}
}

// keysOf returns the MIME types of an output.
func keysOf(o sandpit.Output) []string {
	var k []string
	for t := range o {
		k = append(k, t)
	}
	return k
}

// TestOutputsInASession: each run of a session gives its own outputs.
func TestOutputsInASession(t *testing.T) {
	s := openSession(t, sandpit.Spec{})
	first := runIn(t, s, sandpit.Spec{Code: "display('one')"})
	second := runIn(t, s, sandpit.Spec{Code: "display('two')"})
	if len(first.Outputs) != 1 || len(second.Outputs) != 1 || second.Outputs[0]["text/plain"] != "'two'" {
		t.Errorf("outputs %v then %v, want one each", first.Outputs, second.Outputs)
	}
}
