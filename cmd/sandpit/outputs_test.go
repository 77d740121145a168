package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chartCode makes an object that shows itself as plotly's figures do, by
// the MIME type of plotly's JSON; plotly itself is not installed.
const chartCode = `class Chart:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {'application/vnd.plotly.v1+json': {'data': [{'type': 'bar', 'x': [1, 2], 'y': [3, 4]}], 'layout': {}}}
    def __repr__(self):
        return 'Chart()'
`

// TestRunOutputs runs code through POST /v1/run that shows an object of
// each kind the display protocol knows, and reads the job's outputs: in
// order, each a bundle with its text/plain, JSON as JSON, binary data in
// base64, capped in count with outputs_truncated set, and a repr method
// that raises said on stderr, not failing the job.
func TestRunOutputs(t *testing.T) {
	t.Run("every MIME type, in order", func(t *testing.T) {
		job := apiRun(t, map[string]any{"code": richCode + chartCode + `class Tree:
    def _repr_json_(self):
        return {'a': [1, None]}
    def __repr__(self):
        return 'Tree()'
class Maths:
    def _repr_latex_(self):
        return '$x^2$'
    def _repr_svg_(self):
        return '<svg xmlns="http://www.w3.org/2000/svg"/>'
    def __repr__(self):
        return 'Maths()'
class Photo:
    def _repr_jpeg_(self):
        return b'\xff\xd8\xff'
    def __repr__(self):
        return 'Photo()'
display(Frame(), Doc())
print('between')
display(Tree())
`})
		want := `[{"text/html": "<table><tr><th>city</th></tr><tr><td>Oslo</td></tr></table>", "text/plain": "   city\n0  Oslo"},
			{"text/markdown": "# a title", "text/plain": "Doc()"},
			{"application/json": {"a": [1, null]}, "text/plain": "Tree()"}]`
		sameOutputs(t, job, want)
		job = apiRun(t, map[string]any{"code": richCode + chartCode + "display(Picture(), Figure())\nChart()"})
		want = `[{"image/png": "` + pngDot + `", "text/plain": "Picture()"},
			{"application/vnd.plotly.v1+json": {"data": [{"type": "bar", "x": ["a", "b"], "y": [3, 5]}], "layout": {"title": {"text": "visits"}}}, "text/plain": "Figure()"},
			{"application/vnd.plotly.v1+json": {"data": [{"type": "bar", "x": [1, 2], "y": [3, 4]}], "layout": {}}, "text/plain": "Chart()"}]`
		sameOutputs(t, job, want)
		if job["result"] != "Chart()" {
			t.Errorf("result %v, want Chart()", job["result"])
		}
		job = apiRun(t, map[string]any{"code": "class M:\n    def _repr_latex_(self):\n        return '$x^2$'\n    def _repr_svg_(self):\n        return '<svg/>'\n    def _repr_jpeg_(self):\n        return b'\\xff\\xd8\\xff'\n    def __repr__(self):\n        return 'M()'\nM()"})
		sameOutputs(t, job, `[{"text/latex": "$x^2$", "image/svg+xml": "<svg/>", "image/jpeg": "/9j/", "text/plain": "M()"}]`)
	})
	t.Run("a plain last value is the result only", func(t *testing.T) {
		job := apiRun(t, map[string]any{"code": "'x' * 10000"})
		if _, ok := job["outputs"]; ok || job["result_truncated"] != true {
			t.Errorf("outputs %v, result_truncated %v; want no outputs, the result cut", job["outputs"], job["result_truncated"])
		}
	})
	t.Run("capped in count", func(t *testing.T) {
		job := apiRun(t, map[string]any{"code": "for i in range(5):\n    display(i)"})
		sameOutputs(t, job, `[{"text/plain": "0"}, {"text/plain": "1"}, {"text/plain": "2"}]`)
		if job["outputs_truncated"] != true || !strings.Contains(job["stderr"].(string), "the job has its most outputs, 3; left out") {
			t.Errorf("outputs_truncated %v, stderr %q; want both to say outputs were left out", job["outputs_truncated"], job["stderr"])
		}
	})
	t.Run("a repr method that raises", func(t *testing.T) {
		job := apiRun(t, map[string]any{"code": "class Bad:\n    def _repr_html_(self):\n        raise ValueError('no html')\n    def __repr__(self):\n        return 'Bad()'\ndisplay(Bad())\nBad()"})
		sameOutputs(t, job, `[{"text/plain": "Bad()"}]`)
		if job["status"] != "succeeded" || job["result"] != "Bad()" ||
			!strings.Contains(job["stderr"].(string), "sandpit: display: _repr_html_ of Bad: it raised ValueError: no html; left out") {
			t.Errorf("status %v result %v stderr %q", job["status"], job["result"], job["stderr"])
		}
	})
}

// sameOutputs checks a job's outputs against want, as JSON.
func sameOutputs(t *testing.T, job map[string]any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(job["outputs"], w) {
		got, _ := json.Marshal(job["outputs"])
		t.Errorf("outputs:\n got %s\nwant %s\nstderr %v", got, want, job["stderr"])
	}
}

// TestClientPageDrawsPlotly opens a client-side page whose code shows a
// plotly chart, an HTML table and an image: plotly.js draws the chart in
// its frame, the HTML is in the sanitised frame with no permission, the
// image inline.
func TestClientPageDrawsPlotly(t *testing.T) {
	url := createPage(t, map[string]any{"code": richCode + chartCode + "display(Frame(), Picture())\nChart()"})
	ctx := tab(t)
	do(t, ctx, time.Minute, chromedp.Navigate(url))
	if st := waitStatus(t, ctx); st != "succeeded" {
		t.Fatalf("status %s: %s", st, eval[string](t, ctx, 5*time.Second, `document.body.innerText`))
	}
	chartDrawn(t, ctx)
	if sb := eval[string](t, ctx, 5*time.Second, `document.querySelector("iframe.chart").getAttribute("sandbox")`); sb != "allow-scripts" {
		t.Errorf("the chart frame's sandbox is %q, want allow-scripts alone", sb)
	}
	if sb := eval[string](t, ctx, 5*time.Second, `document.querySelector("figure.output.html iframe.html").getAttribute("sandbox")`); sb != "" {
		t.Errorf("the HTML output's sandbox is %q, want none", sb)
	}
	if w := eval[int](t, ctx, 5*time.Second, `document.querySelector("figure.output.image img").naturalWidth`); w != 1 {
		t.Errorf("the image output's decoded width is %d, want 1", w)
	}
	if n := eval[int](t, ctx, 5*time.Second, `document.querySelectorAll("figure.output").length`); n != 3 {
		t.Errorf("%d outputs shown, want 3", n)
	}
}

// chartDrawn waits for the page's chart frame to say how many of plotly's
// SVG layers it drew, and fails the test unless it drew some.
func chartDrawn(t *testing.T, ctx context.Context) {
	t.Helper()
	drawn := eval[string](t, ctx, 2*time.Minute, `new Promise((resolve) => {
		const frame = document.querySelector("figure.output.chart iframe.chart");
		if (!frame) return resolve("no chart frame: " + document.body.innerText);
		const done = () => frame.dataset.drawn || (frame.dataset.failed && "failed: " + frame.dataset.failed);
		if (done()) return resolve(done());
		new MutationObserver(() => done() && resolve(done())).observe(frame, { attributes: true });
	})`)
	if drawn == "" || drawn == "0" || strings.HasPrefix(drawn, "failed") || strings.HasPrefix(drawn, "no chart") {
		t.Fatalf("the chart frame reports %q, want plotly's SVG layers drawn", drawn)
	}
}

// TestPlaygroundDrawsPlotly runs a plotly-protocol object in the
// playground, on the server and in the browser: plotly.js draws it as an
// interactive chart in the chart frame.
func TestPlaygroundDrawsPlotly(t *testing.T) {
	for _, mode := range []string{"server", "browser"} {
		t.Run(mode, func(t *testing.T) {
			p := openPlayground(t)
			if status, text := p.run(mode, chartCode+"Chart()", false); status != "succeeded" {
				t.Fatalf("status %s: %s", status, text)
			}
			chartDrawn(t, p.ctx)
		})
	}
}

// TestSDKRendersOutputs runs a plotly chart with the SDK in an application
// page on another site and shows the job with the SDK's render: plotly.js
// draws it in sandpit's chart frame.
func TestSDKRendersOutputs(t *testing.T) {
	ctx := sdkPage(t)
	code, _ := json.Marshal(chartCode + "Chart()")
	drawn := eval[string](t, ctx, 3*time.Minute, `(async () => {
		const job = await window.sdk.run(`+string(code)+`);
		const out = document.createElement("div");
		document.body.append(out);
		await window.sdk.render(out, job);
		const frame = out.querySelector("figure.output.chart iframe.chart");
		if (!frame) return "no chart frame: " + out.innerText;
		return await new Promise((resolve) => {
			const done = () => frame.dataset.drawn || (frame.dataset.failed && "failed: " + frame.dataset.failed);
			if (done()) return resolve(done());
			new MutationObserver(() => done() && resolve(done())).observe(frame, { attributes: true });
		});
	})()`)
	if drawn == "" || drawn == "0" || strings.HasPrefix(drawn, "failed") || strings.HasPrefix(drawn, "no chart") {
		t.Fatalf("the SDK's chart reports %q, want plotly's SVG layers drawn", drawn)
	}
}
