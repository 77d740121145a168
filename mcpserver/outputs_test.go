package mcpserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// TestOutputsContent: each rich output is a text block naming its MIME
// types with the one that reads best, and an image block for a PNG or a
// JPEG; a figure that is an output file too is not sent twice.
func TestOutputsContent(t *testing.T) {
	pngB64 := base64.StdEncoding.EncodeToString(png)
	jpeg := base64.StdEncoding.EncodeToString([]byte("\xff\xd8\xff\xe0jpeg"))
	job := sandpit.Job{ID: "j1", Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
		Files: []sandpit.File{b64("figures/figure_1.png", "image/png", png)},
		Outputs: []sandpit.Output{
			{"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"},
			{"application/vnd.plotly.v1+json": json.RawMessage(`{"data":[{"type":"bar"}]}`), "text/html": "<div>", "text/plain": "Figure()"},
			{"text/markdown": "# title", "text/plain": "Doc()"},
			{"application/json": json.RawMessage(`{"a":[1,2]}`), "text/plain": "Tree()"},
			{"image/jpeg": jpeg, "text/plain": "Photo()"},
			{"image/png": pngB64, "text/plain": "<Figure size 640x480 with 1 Axes>"},
		}}}
	res, out := render(job, links{}, DefaultMaxText)
	// text, the figure file, then the outputs: five text blocks and the
	// JPEG's image.
	want := []string{"*mcp.TextContent", "*mcp.ImageContent",
		"*mcp.TextContent", "*mcp.TextContent", "*mcp.TextContent", "*mcp.TextContent", "*mcp.TextContent", "*mcp.ImageContent", "*mcp.TextContent"}
	var got []string
	for _, c := range res.Content {
		got = append(got, fmt.Sprintf("%T", c))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("blocks %v, want %v", got, want)
	}
	texts := []string{
		"output 1 of 6 (text/html, text/plain); shown as text/html:\n<table><tr><td>1</td></tr></table>",
		"output 2 of 6 (application/vnd.plotly.v1+json, text/html, text/plain); shown as application/vnd.plotly.v1+json:\n{\"data\":[{\"type\":\"bar\"}]}",
		"output 3 of 6 (text/markdown, text/plain); shown as text/markdown:\n# title",
		"output 4 of 6 (application/json, text/plain); shown as application/json:\n{\"a\":[1,2]}",
		"output 5 of 6 (image/jpeg, text/plain); its image/jpeg follows as an image; shown as text/plain:\nPhoto()",
		"output 6 of 6 (image/png, text/plain); its image is the output file figures/figure_1.png; shown as text/plain:\n<Figure size 640x480 with 1 Axes>",
	}
	blocks := []mcp.Content{res.Content[2], res.Content[3], res.Content[4], res.Content[5], res.Content[6], res.Content[8]}
	for i, c := range blocks {
		if got := c.(*mcp.TextContent).Text; got != texts[i] {
			t.Errorf("output %d block:\n got %q\nwant %q", i+1, got, texts[i])
		}
	}
	if img := res.Content[7].(*mcp.ImageContent); img.MIMEType != "image/jpeg" || string(img.Data) != "\xff\xd8\xff\xe0jpeg" {
		t.Errorf("image block %s %q", img.MIMEType, img.Data)
	}
	if !strings.Contains(allText(res), "outputs: 6 rich outputs; they follow the files' blocks") {
		t.Errorf("the text does not say the outputs follow:\n%s", text(res))
	}
	if len(out.Outputs) != 6 || out.Outputs[1].Text != "Figure()" || !out.Outputs[1].Included ||
		strings.Join(out.Outputs[1].MimeTypes, ",") != "application/vnd.plotly.v1+json,text/html,text/plain" {
		t.Errorf("structured outputs %+v", out.Outputs)
	}
}

// TestOutputsCap: outputs take at most a third of the result's text, say
// what they cut and where the whole is, and leave out of the structured
// output all but a little of each.
func TestOutputsCap(t *testing.T) {
	var outputs []sandpit.Output
	for i := range 100 {
		outputs = append(outputs, sandpit.Output{"text/html": strings.Repeat("<td>x</td>", 5000), "text/plain": strings.Repeat(fmt.Sprint(i), 100000)})
	}
	for _, max := range []int{MinMaxText, 5000, DefaultMaxText} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			job := sandpit.Job{ID: "0123abcd", Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
				Stdout: strings.Repeat("o", 50000), Outputs: outputs, OutputsTruncated: true}}
			res, out := render(job, links{"https://sandpit.example.com"}, max)
			if n := resultText(res); n > max {
				t.Fatalf("%d characters of text, over the cap of %d", n, max)
			}
			outText := 0
			for _, c := range res.Content[1:] {
				outText += runeCount(c.(*mcp.TextContent).Text)
			}
			if outText > max/3 {
				t.Errorf("outputs take %d characters, over a third of %d", outText, max)
			}
			all := allText(res)
			if !strings.Contains(all, "More outputs were made than the server returns") ||
				!strings.Contains(all, "The job's 100 outputs whole: GET https://sandpit.example.com/v1/jobs/0123abcd") {
				t.Errorf("the result does not say where the outputs are:\n%.3000s", all)
			}
			placed := 0
			for _, o := range out.Outputs {
				if len(o.Text) > structuredPlainMax+len("…") {
					t.Fatalf("structured output text of %d bytes", len(o.Text))
				}
				if o.Included {
					placed++
					if o.Omitted == 0 {
						t.Errorf("an output shown whole, too long for the result")
					}
				}
			}
			if placed == 0 || placed == 100 {
				t.Errorf("%d outputs placed, want some but not all", placed)
			}
			if !strings.Contains(all, fmt.Sprintf("%d more outputs, not in this result", 100-placed)) ||
				!strings.Contains(all, "characters of output 1 (text/html) cut here; the whole is in job 0123abcd") {
				t.Errorf("the result does not say what it cut:\n%.3000s", all)
			}
			if b, _ := json.Marshal(out); len(b) > 100<<10 {
				t.Errorf("structured output of %d bytes", len(b))
			}
			if !out.OutputsTruncated {
				t.Error("outputs_truncated not set")
			}
		})
	}
}

// allText is every text block of a result, joined.
func allText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if c, ok := c.(*mcp.TextContent); ok {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}
