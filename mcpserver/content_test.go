package mcpserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

func ptr[T any](v T) *T { return &v }

// b64 is a job output file as the API returns it.
func b64(path, mimeType string, data []byte) sandpit.File {
	return sandpit.File{Path: path, Content: base64.StdEncoding.EncodeToString(data), Encoding: sandpit.EncodingBase64,
		MimeType: mimeType, Size: len(data)}
}

// png is the smallest PNG header, enough to stand for an image's bytes.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

// TestJobText checks the text an agent reads for each way a job can end.
func TestJobText(t *testing.T) {
	tb := "Traceback (most recent call last):\n  File \"main.py\", line 1, in <module>\nZeroDivisionError: division by zero\n"
	tests := []struct {
		name    string
		job     sandpit.Job
		isError bool
		want    []string // in this order
		notWant []string
	}{
		{
			name: "succeeded with output and result",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
				Stdout: "hello\n", Stderr: "warn", Result: ptr("42")}},
			want:    []string{"status: succeeded (exit code 0)\n", "\nstdout:\nhello\n", "\nstderr:\nwarn\n", "\nresult: 42\n"},
			notWant: []string{"no output", "traceback", "files"},
		},
		{
			name:    "succeeded silently",
			job:     sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0)}},
			want:    []string{"status: succeeded (exit code 0)\n", "(no output: nothing printed, no result, no files)"},
			notWant: []string{"stdout", "stderr", "result:"},
		},
		{
			name: "multi-line result",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
				Result: ptr("   a\n0  1")}},
			want: []string{"\nresult:\n   a\n0  1\n"},
		},
		{
			name: "raised: traceback once, from stderr",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusFailed, ExitCode: ptr(1), Stdout: "before\n", Stderr: tb,
				Error: &sandpit.PyError{Type: "ZeroDivisionError", Message: "division by zero", Traceback: tb}}},
			isError: true,
			want: []string{"status: failed: the code raised ZeroDivisionError: division by zero (exit code 1)\n",
				"\nstdout:\nbefore\n", "\nstderr:\n" + tb},
			notWant: []string{"traceback:"},
		},
		{
			name: "raised with stderr truncated: traceback apart",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusFailed, ExitCode: ptr(1), Stderr: "x", StderrTruncated: true,
				Error: &sandpit.PyError{Type: "ZeroDivisionError", Message: "division by zero", Traceback: tb}}},
			isError: true,
			want:    []string{"\nstderr (longer than the server keeps: only the beginning is shown):\nx\n", "\ntraceback:\n" + tb},
		},
		{
			name: "sys.exit",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusFailed, ExitCode: ptr(3),
				Error: &sandpit.PyError{Type: "SystemExit", Message: "3"}}},
			isError: true,
			want:    []string{"status: failed: the code called sys.exit (exit code 3)\n"},
		},
		{
			name: "timeout keeps the output so far",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusTimeout, Stdout: "tick\n",
				Message: "the code ran longer than its timeout of 500ms"}},
			isError: true,
			want: []string{"status: timeout: the code ran longer than its timeout of 500ms (pass a larger timeout_ms, or make the code faster); what it printed until then is below\n",
				"\nstdout:\ntick\n"},
			notWant: []string{"exit code", "no output"},
		},
		{
			name:    "timeout without output",
			job:     sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusTimeout, Message: "the code ran longer than its timeout of 1s"}},
			isError: true,
			want:    []string{"status: timeout: the code ran longer than its timeout of 1s (pass a larger timeout_ms, or make the code faster)\n"},
			notWant: []string{"below", "no output"},
		},
		{
			name: "memory limit",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusMemoryLimit,
				Message: "the code tried to use more than its memory limit of 64 MB"}},
			isError: true,
			want:    []string{"status: memory_limit: the code tried to use more than its memory limit of 64 MB\n"},
		},
		{
			name:    "sandbox error",
			job:     sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusError, Message: "the sandbox failed 3 times"}},
			isError: true,
			want:    []string{"status: error: the sandbox failed 3 times\n"},
		},
		{
			name:    "cancelled",
			job:     sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusCancelled, Message: "the job was cancelled"}},
			isError: true,
			want:    []string{"status: cancelled: the job was cancelled\n"},
		},
		{
			name: "files listed in order, truncation said",
			job: sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0), FilesTruncated: true,
				Files: []sandpit.File{b64("plot.png", "image/png", png), b64("out/data.csv", "text/csv; charset=utf-8", []byte("a,b\n"))}}},
			want: []string{"\nfiles (in the working directory; their contents follow this text in this order):\n",
				"- plot.png (image/png, 16 bytes)\n", "- out/data.csv (text/csv; charset=utf-8, 4 bytes)\n",
				"- more files were made than the server returns"},
			notWant: []string{"no output"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := render(tc.job, links{}, DefaultMaxText)
			if res.IsError != tc.isError {
				t.Errorf("IsError = %v, want %v", res.IsError, tc.isError)
			}
			text := res.Content[0].(*mcp.TextContent).Text
			rest := text
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("text lacks %q (in order):\n%s", w, text)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("text has %q:\n%s", w, text)
				}
			}
		})
	}
}

// TestFileContent checks which content block each kind of output file
// becomes.
func TestFileContent(t *testing.T) {
	tests := []struct {
		name string
		file sandpit.File
		// image: want image content of this type; else a resource with
		// text or blob.
		image string
		text  string
		blob  []byte
	}{
		{name: "png", file: b64("plot.png", "image/png", png), image: "image/png"},
		{name: "jpeg", file: b64("a/b.jpg", "image/jpeg", []byte{0xff, 0xd8, 0xff}), image: "image/jpeg"},
		{name: "webp", file: b64("x.webp", "image/webp", []byte("RIFF")), image: "image/webp"},
		{name: "svg is text, not an image block", file: b64("c.svg", "image/svg+xml", []byte("<svg/>")), text: "<svg/>"},
		{name: "bmp is a blob", file: b64("c.bmp", "image/bmp", []byte("BM\x00\x01")), blob: []byte("BM\x00\x01")},
		{name: "csv", file: b64("data.csv", "text/csv; charset=utf-8", []byte("a,b\n1,2\n")), text: "a,b\n1,2\n"},
		{name: "json", file: b64("r.json", "application/json", []byte(`{"a": 1}`)), text: `{"a": 1}`},
		{name: "text of unknown type", file: b64("notes", "application/octet-stream", []byte("line\n")), text: "line\n"},
		{name: "binary of unknown type", file: b64("data.bin", "application/octet-stream", []byte{0, 1, 2}), blob: []byte{0, 1, 2}},
		{name: "text type that is not UTF-8", file: b64("latin.txt", "text/plain", []byte{0xe9}), blob: []byte{0xe9}},
		{name: "utf-8 encoded", file: sandpit.File{Path: "u.txt", Content: "héllo", MimeType: "text/plain"}, text: "héllo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := fileContent("0123abcd", tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if tc.image != "" {
				img, ok := c.(*mcp.ImageContent)
				want, _ := base64.StdEncoding.DecodeString(tc.file.Content)
				if !ok || img.MIMEType != tc.image || !bytes.Equal(img.Data, want) {
					t.Fatalf("content = %#v, want an image of type %s with the file's bytes", c, tc.image)
				}
				return
			}
			res, ok := c.(*mcp.EmbeddedResource)
			if !ok {
				t.Fatalf("content = %#v, want an embedded resource", c)
			}
			r := res.Resource
			if want := "sandpit://jobs/0123abcd/files/" + tc.file.Path; r.URI != want {
				t.Errorf("URI = %q, want %q", r.URI, want)
			}
			if r.MIMEType != tc.file.MimeType {
				t.Errorf("MIMEType = %q, want %q", r.MIMEType, tc.file.MimeType)
			}
			if r.Text != tc.text || !bytes.Equal(r.Blob, tc.blob) {
				t.Errorf("text %q blob %q, want text %q blob %q", r.Text, r.Blob, tc.text, tc.blob)
			}
		})
	}
	t.Run("path is escaped in the URI", func(t *testing.T) {
		c, _ := fileContent("j", b64("my dir/a#b.txt", "text/plain", []byte("x")))
		if got := c.(*mcp.EmbeddedResource).Resource.URI; got != "sandpit://jobs/j/files/my%20dir/a%23b.txt" {
			t.Errorf("URI = %q", got)
		}
	})
}

// TestJobResultContent checks the blocks of a whole result: the text first,
// then the files in order, and an unreadable file named, not dropped
// silently.
func TestJobResultContent(t *testing.T) {
	job := sandpit.Job{ID: "j1", Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0), Files: []sandpit.File{
		b64("a.png", "image/png", png),
		{Path: "bad.bin", Content: "!!not base64", Encoding: sandpit.EncodingBase64, MimeType: "application/octet-stream", Size: 3},
		b64("b.txt", "text/plain; charset=utf-8", []byte("hi")),
	}}}
	res, _ := render(job, links{}, DefaultMaxText)
	if len(res.Content) != 3 {
		t.Fatalf("%d content blocks, want 3 (text, a.png, b.txt)", len(res.Content))
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(text, "- bad.bin (application/octet-stream, 3 bytes): content unreadable, not returned\n") {
		t.Errorf("text does not name the unreadable file:\n%s", text)
	}
	if _, ok := res.Content[1].(*mcp.ImageContent); !ok {
		t.Errorf("block 1 = %T, want the image", res.Content[1])
	}
	if r, ok := res.Content[2].(*mcp.EmbeddedResource); !ok || r.Resource.Text != "hi" {
		t.Errorf("block 2 = %#v, want b.txt", res.Content[2])
	}
}

// TestOutput checks the structured output: the job without the files'
// contents, with links to them.
func TestOutput(t *testing.T) {
	now := time.Now()
	job := sandpit.Job{ID: "j1", Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0), Stdout: "x",
		Result: ptr("1"), Files: []sandpit.File{b64("a b.png", "image/png", png)}},
		CreatedAt: now, StartedAt: &now, FinishedAt: &now, DurationMS: ptr(int64(5))}
	_, out := render(job, links{"https://sandpit.example.com"}, DefaultMaxText)
	want := fileInfo{Path: "a b.png", MimeType: "image/png", Size: 16, URI: "sandpit://jobs/j1/files/a%20b.png",
		URL: "https://sandpit.example.com/v1/jobs/j1/files/a%20b.png", Included: true}
	if out.ID != "j1" || out.Status != sandpit.StatusSucceeded || *out.ExitCode != 0 || out.Stdout != "x" || *out.Result != "1" ||
		!out.CreatedAt.Equal(now) || !out.StartedAt.Equal(now) || !out.FinishedAt.Equal(now) || *out.DurationMS != 5 ||
		out.JobURL != "https://sandpit.example.com/v1/jobs/j1" || len(out.Files) != 1 || out.Files[0] != want {
		t.Fatalf("output = %+v", out)
	}
	if _, out := render(sandpit.Job{}, links{}, DefaultMaxText); out.Files == nil || out.JobURL != "" {
		t.Errorf("output of a job without files, the URL unknown: %+v; want files [] and no job_url", out)
	}
}

// resultText counts the characters of a result that are text to the
// model: text blocks, embedded text, the base64 of embedded bytes, and
// what a resource link says. Images are not text.
func resultText(res *mcp.CallToolResult) int {
	n := 0
	for _, c := range res.Content {
		switch c := c.(type) {
		case *mcp.TextContent:
			n += runeCount(c.Text)
		case *mcp.EmbeddedResource:
			n += runeCount(c.Resource.Text) + base64.StdEncoding.EncodedLen(len(c.Resource.Blob)) + len(c.Resource.URI)
		case *mcp.ResourceLink:
			n += runeCount(c.URI) + runeCount(c.Name) + runeCount(c.Description)
		}
	}
	return n
}

// TestResultCap renders jobs of every shape under caps small and large:
// the text stays within the cap, what is cut is said with the job's id
// and URL, and what fits is whole.
func TestResultCap(t *testing.T) {
	tb := "Traceback (most recent call last):\n" + strings.Repeat("  File \"main.py\", line 1, in f\n", 400) + "RecursionError: maximum recursion depth exceeded\n"
	textFile := func(path string, n int) sandpit.File {
		return b64(path, "text/plain; charset=utf-8", []byte(strings.Repeat("t", n)))
	}
	var manyFiles []sandpit.File
	for i := range 100 {
		manyFiles = append(manyFiles, textFile(fmt.Sprintf("out/part-%03d.txt", i), 1000))
	}
	tests := []struct {
		name string
		job  sandpit.Job
	}{
		{"a long stdout", sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Stdout: strings.Repeat("line of output\n", 20000)}}},
		{"every part long", sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusFailed, ExitCode: ptr(1),
			Stdout: strings.Repeat("o", 100000), Stderr: strings.Repeat("e\n", 50000),
			Error:  &sandpit.PyError{Type: "RecursionError", Message: "maximum recursion depth exceeded", Traceback: tb},
			Result: ptr(strings.Repeat("r\n", 20000))}}},
		{"characters of several bytes", sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Stdout: strings.Repeat("日本語のテキスト😀\n", 10000)}}},
		{"a hundred files", sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Stdout: strings.Repeat("x", 30000), Files: manyFiles}}},
		{"a long text file among short ones", sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Files: []sandpit.File{textFile("small.txt", 10), textFile("big.txt", 50000), b64("plot.png", "image/png", png), textFile("last.txt", 10)}}}},
		{"bytes", sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Files: []sandpit.File{b64("data.bin", "application/octet-stream", bytes.Repeat([]byte{0, 1, 2}, 20000))}}}},
	}
	l := links{"https://sandpit.example.com"}
	for _, tc := range tests {
		for _, max := range []int{MinMaxText, 5000, DefaultMaxText} {
			t.Run(fmt.Sprintf("%s within %d", tc.name, max), func(t *testing.T) {
				job := tc.job
				job.ID = "0123abcd"
				res, out := render(job, l, max)
				if n := resultText(res); n > max {
					t.Fatalf("%d characters of text, over the cap of %d:\n%.3000s", n, max, text(res))
				}
				txt := text(res)
				if out.StdoutOmitted+out.StderrOmitted+out.ResultOmitted > 0 &&
					!strings.Contains(txt, "cut here; the whole is in job 0123abcd: GET https://sandpit.example.com/v1/jobs/0123abcd") {
					t.Errorf("output cut without saying where the whole is:\n%.3000s", txt)
				}
				links := map[string]bool{}
				for _, c := range res.Content[1:] {
					if link, ok := c.(*mcp.ResourceLink); ok {
						links[link.URI] = true
					}
				}
				unlisted := 0
				for _, f := range out.Files {
					switch {
					case f.Included:
					case links[f.URI]:
						if !strings.Contains(txt, "- "+f.Path+" (") || !strings.Contains(txt, "linked, too long") {
							t.Errorf("file %s linked without saying so:\n%.3000s", f.Path, txt)
						}
					default:
						unlisted++
					}
				}
				if unlisted > 0 && !strings.Contains(txt, fmt.Sprintf("- and %d more files, not in this result", unlisted)) {
					t.Errorf("%d files left out without saying so:\n%.3000s", unlisted, txt)
				}
				if unlisted == 0 && len(res.Content) != 1+len(job.Files) {
					t.Errorf("%d blocks for %d files", len(res.Content), len(job.Files))
				}
				data, _ := json.Marshal(out)
				if runeCount(out.Stdout)+runeCount(out.Stderr) > max || len(data) > 3*max+200*len(job.Files) {
					t.Errorf("structured output of %d bytes, stdout %d, stderr %d characters", len(data), runeCount(out.Stdout), runeCount(out.Stderr))
				}
				if !utf8.ValidString(out.Stdout) || !utf8.ValidString(txt) {
					t.Error("a character was cut in two")
				}
			})
		}
	}
	t.Run("what fits is whole", func(t *testing.T) {
		job := sandpit.Job{ID: "j", Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Stdout: strings.Repeat("a", 9000), Stderr: strings.Repeat("b", 9000), Files: []sandpit.File{textFile("f.txt", 1000)}}}
		res, out := render(job, l, DefaultMaxText)
		if strings.Contains(text(res), "cut here") || out.Stdout != job.Stdout || out.Stderr != job.Stderr || !out.Files[0].Included {
			t.Errorf("a job within the cap was cut: %+v", out)
		}
	})
	t.Run("the head and the tail are kept", func(t *testing.T) {
		job := sandpit.Job{ID: "j", Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Stdout: "FIRST LINE\n" + strings.Repeat("middle\n", 10000) + "LAST LINE\n"}}
		res, out := render(job, l, DefaultMaxText)
		if !strings.Contains(text(res), "\nstdout:\nFIRST LINE\n") || !strings.HasSuffix(out.Stdout, "LAST LINE\n") ||
			out.StdoutOmitted != runeCount(job.Stdout)-(runeCount(out.Stdout)-runeCount(noteOf(out.Stdout))) {
			t.Errorf("stdout as shown: %.200s … %.200s (omitted %d)", out.Stdout, out.Stdout[len(out.Stdout)-200:], out.StdoutOmitted)
		}
	})
}

// noteOf is the note of what was cut out of s.
func noteOf(s string) string {
	i := strings.Index(s, "[… ")
	j := strings.Index(s, " …]\n")
	if i < 0 || j < 0 {
		return ""
	}
	return s[i : j+len(" …]\n")]
}
