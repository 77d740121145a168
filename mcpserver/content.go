package mcpserver

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// A run's result is a text with its status and output, then one content
// block per output file. Its text, that of the text files and the base64
// of the other files that are not images together stay within the
// result's cap (Options.MaxText): a long output loses its middle, with a
// note of how much and where the whole is; a file too long for what is
// left is only linked. Clients count a result's tokens against limits of
// their own (Claude Code refuses one past 25,000 tokens), and a result
// refused is worse than one cut.

// links names a job and its files: as MCP resources, and over the HTTP API
// when its URL is known.
type links struct{ base string }

func (t tools) links(ctx context.Context) links {
	if t.opts.PublicURL != "" {
		return links{t.opts.PublicURL}
	}
	base, _ := ctx.Value(baseURLKey{}).(string)
	return links{base}
}

// job is the job's URL, or its path on the API when the URL is not known.
func (l links) job(id string) string { return l.base + "/v1/jobs/" + url.PathEscape(id) }

// file is an output file's URL, or its path on the API.
func (l links) file(id, path string) string { return l.job(id) + "/files/" + escapePath(path) }

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// fileURI names an output file of a job: sandpit://jobs/ID/files/PATH.
func fileURI(jobID, p string) string {
	return "sandpit://jobs/" + url.PathEscape(jobID) + "/files/" + escapePath(p)
}

func (t tools) result(ctx context.Context, job sandpit.Job) (*mcp.CallToolResult, jobOutput) {
	return render(job, t.links(ctx), t.opts.MaxText)
}

// section is a part of a job's output that may be cut.
type section struct {
	name, body string
	keep       int // characters of body kept
}

// render is the tool result of a finished job, and its structured output,
// within maxText characters of text.
func render(job sandpit.Job, l links, maxText int) (*mcp.CallToolResult, jobOutput) {
	var tb, result string
	if job.Error != nil {
		tb = job.Error.Traceback
	}
	if job.Result.Result != nil {
		result = *job.Result.Result
	}
	secs := []*section{{name: "stdout", body: job.Stdout}, {name: "stderr", body: job.Stderr},
		{name: "traceback", body: tb}, {name: "result", body: result}}
	files := readFiles(job)
	outs := readOutputs(job)
	outContent, outText := placeOutputs(job, outs, l, maxText)
	maxText -= outText
	// The output comes first, then the files in what is left; a quarter of
	// the cap is kept for the list of files, when there are files. Each
	// try that comes out too long (the notes of what was cut take room
	// too) gives the output less.
	budget := maxText - runeCount(statusLine(job)) - 500
	if len(files) > 0 {
		budget -= min(maxText/4, 200*len(files))
	}
	var text string
	for {
		shareOut(secs, max(budget, 0))
		text = jobText(job, secs, l)
		text += placeFiles(job, files, l, maxText-runeCount(text))
		over := runeCount(text) - maxText
		for _, f := range files {
			over += f.taken()
		}
		if over <= 0 || budget <= 0 {
			break
		}
		budget -= over
	}
	res := &mcp.CallToolResult{IsError: job.Status != sandpit.StatusSucceeded, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
	for _, f := range files {
		switch {
		case f.included:
			res.Content = append(res.Content, f.content)
		case f.linked:
			res.Content = append(res.Content, f.link(job.ID))
		}
	}
	res.Content = append(res.Content, outContent...)
	out := output(job, secs, files, l)
	out.Outputs, out.OutputsTruncated = outputInfos(job, outs), job.OutputsTruncated
	return res, out
}

func ptr64(n int64) *int64 { return &n }

// shareOut gives each section as much of budget as it needs, and the
// sections too long for their share equal shares of the rest.
func shareOut(secs []*section, budget int) {
	order := make([]*section, len(secs))
	copy(order, secs)
	// Shortest first: what a short section leaves goes to the longer ones.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && runeCount(order[j].body) < runeCount(order[j-1].body); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for i, s := range order {
		s.keep = min(runeCount(s.body), budget/(len(order)-i))
		budget -= s.keep
	}
}

// cut is a section's body as the result shows it: whole, or its head and
// tail around a note of what was cut and where the whole is. The cut falls
// between lines when a line ends near it.
func (s *section) cut(jobID string, l links) (text string, omitted int) {
	runes := []rune(s.body)
	n := len(runes)
	if n <= s.keep {
		return s.body, 0
	}
	head := s.keep * 2 / 5
	tail := n - (s.keep - head)
	for i := head - 1; i >= head*3/4 && i > 0; i-- {
		if runes[i] == '\n' {
			head = i + 1
			break
		}
	}
	for i := tail; i < n && i < tail+(n-tail)/4; i++ {
		if runes[i] == '\n' {
			tail = i + 1
			break
		}
	}
	omitted = tail - head
	note := fmt.Sprintf("[… %d of the %d characters of %s cut here; the whole is in job %s: GET %s …]\n",
		omitted, n, s.name, jobID, l.job(jobID))
	if head > 0 && runes[head-1] != '\n' {
		note = "\n" + note
	}
	return string(runes[:head]) + note + string(runes[tail:]), omitted
}

// jobText is the job's status and output as an agent reads them, but for
// the list of files.
func jobText(job sandpit.Job, secs []*section, l links) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", statusLine(job))
	section := func(s *section, truncated bool) {
		if s.body == "" && !truncated {
			return
		}
		body, _ := s.cut(job.ID, l)
		note := ""
		if truncated {
			note = " (longer than the server keeps: only the beginning is shown)"
		}
		fmt.Fprintf(&b, "\n%s%s:\n%s", s.name, note, body)
		if !strings.HasSuffix(body, "\n") {
			b.WriteByte('\n')
		}
	}
	section(secs[0], job.StdoutTruncated)
	section(secs[1], job.StderrTruncated)
	// CPython prints the traceback at the end of stderr; show it apart only
	// when stderr does not already end with it.
	if e := job.Error; e != nil && e.Traceback != "" && !strings.HasSuffix(strings.TrimRight(job.Stderr, "\n"), strings.TrimRight(e.Traceback, "\n")) {
		section(secs[2], false)
	}
	if job.Result.Result != nil {
		if body, _ := secs[3].cut(job.ID, l); strings.Contains(body, "\n") {
			section(secs[3], job.ResultTruncated)
		} else {
			fmt.Fprintf(&b, "\nresult: %s\n", body)
		}
	}
	if len(job.Outputs) > 0 {
		fmt.Fprintf(&b, "\noutputs: %d rich outputs; they follow the files' blocks\n", len(job.Outputs))
	}
	if job.Stdout == "" && job.Stderr == "" && job.Result.Result == nil && len(job.Files) == 0 && len(job.Outputs) == 0 &&
		job.Status == sandpit.StatusSucceeded {
		b.WriteString("\n(no output: nothing printed, no result, no files)\n")
	}
	return b.String()
}

// outFile is an output file as a result carries it: its content, a link
// to it when the content is too long for the result, or, past what the
// result can list, nothing but a line that says how many more there are.
type outFile struct {
	sandpit.File
	content  mcp.Content // nil when unreadable
	image    bool
	cost     int // characters its content takes of the result, when not an image
	included bool
	linked   bool
}

func readFiles(job sandpit.Job) []*outFile {
	files := make([]*outFile, len(job.Files))
	for i, f := range job.Files {
		o := &outFile{File: f}
		c, err := fileContent(job.ID, f)
		if err == nil {
			o.content = c
			switch c := c.(type) {
			case *mcp.ImageContent:
				o.image = true
			case *mcp.EmbeddedResource:
				o.cost = runeCount(c.Resource.Text) + base64.StdEncoding.EncodedLen(len(c.Resource.Blob)) + len(c.Resource.URI)
			}
		}
		files[i] = o
	}
	return files
}

// link is a link to the file, as a resource.
func (f *outFile) link(jobID string) *mcp.ResourceLink {
	return &mcp.ResourceLink{URI: fileURI(jobID, f.Path), Name: f.Path, MIMEType: f.MimeType, Size: ptr64(int64(f.Size))}
}

// taken is what the file's block takes of the result's text.
func (f *outFile) taken() int {
	switch {
	case f.included && !f.image:
		return f.cost
	case f.linked:
		return len(fileURI("", f.Path)) + 40 + runeCount(f.Path)
	}
	return 0
}

const (
	unreadableNote = ": content unreadable, not returned"
	linkedNote     = ": linked, too long for this result"
)

// placeFiles decides, in order, which files the result holds within room
// characters (their lines in the list and their blocks), and returns the
// list.
func placeFiles(job sandpit.Job, files []*outFile, l links, room int) string {
	if len(files) == 0 && !job.FilesTruncated {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nfiles (in the working directory; their contents follow this text in this order):\n")
	// The end of the list: how many files it leaves out, where linked
	// files are.
	room -= runeCount(b.String()) + 400 + len(l.base)
	listed, linked := 0, false
	for _, f := range files {
		f.included, f.linked = false, false
		line := fmt.Sprintf("- %s (%s, %d bytes)", f.Path, f.MimeType, f.Size)
		need := runeCount(line) + 1
		switch {
		case f.content == nil:
			line += unreadableNote
		case f.image || need+f.cost <= room:
			f.included = true
		default:
			line += linkedNote
			f.linked = true
		}
		need = runeCount(line) + 1 + f.taken()
		if need > room {
			f.included, f.linked = false, false
			break
		}
		room -= need
		linked = linked || f.linked
		b.WriteString(line + "\n")
		listed++
	}
	if n := len(files) - listed; n > 0 {
		fmt.Fprintf(&b, "- and %d more files, not in this result: the structured output's files names them all\n", n)
	}
	if job.FilesTruncated {
		b.WriteString("- more files were made than the server returns; the rest are left out\n")
	}
	if linked || listed < len(files) {
		fmt.Fprintf(&b, "Read a file left out as the resource sandpit://jobs/%s/files/PATH, or at GET %s.\n", job.ID, l.file(job.ID, "PATH"))
	}
	return b.String()
}

// output is the structured output of a finished job, cut as its text is.
func output(job sandpit.Job, secs []*section, files []*outFile, l links) jobOutput {
	out := jobOutput{ID: job.ID, Status: job.Status, ExitCode: job.ExitCode,
		StdoutTruncated: job.StdoutTruncated, StderrTruncated: job.StderrTruncated, ResultTruncated: job.ResultTruncated,
		FilesTruncated: job.FilesTruncated, Message: job.Message, CreatedAt: job.CreatedAt, StartedAt: job.StartedAt,
		FinishedAt: job.FinishedAt, DurationMS: job.DurationMS, Files: make([]fileInfo, len(files))}
	out.Stdout, out.StdoutOmitted = secs[0].cut(job.ID, l)
	out.Stderr, out.StderrOmitted = secs[1].cut(job.ID, l)
	if e := job.Error; e != nil {
		tb, _ := secs[2].cut(job.ID, l)
		out.Error = &errorOutput{Type: e.Type, Message: capText(e.Message, 2000), Traceback: tb}
	}
	if job.Result.Result != nil {
		r, omitted := secs[3].cut(job.ID, l)
		out.Result, out.ResultOmitted = &r, omitted
	}
	if l.base != "" {
		out.JobURL = l.job(job.ID)
	}
	for i, f := range files {
		out.Files[i] = fileInfo{Path: f.Path, MimeType: f.MimeType, Size: f.Size, URI: fileURI(job.ID, f.Path), Included: f.included}
		if l.base != "" {
			out.Files[i].URL = l.file(job.ID, f.Path)
		}
	}
	return out
}

// statusLine says how the job ended and, when it did not succeed, why.
func statusLine(job sandpit.Job) string {
	exit := ""
	if job.ExitCode != nil {
		exit = fmt.Sprintf(" (exit code %d)", *job.ExitCode)
	}
	switch job.Status {
	case sandpit.StatusSucceeded:
		return "succeeded" + exit
	case sandpit.StatusFailed:
		e := job.Error
		switch {
		case e == nil:
			return "failed" + exit
		case e.Type == "SystemExit":
			return "failed: the code called sys.exit" + exit
		}
		msg, _, _ := strings.Cut(e.Message, "\n")
		if msg != "" {
			msg = ": " + capText(msg, 200)
		}
		return fmt.Sprintf("failed: the code raised %s%s%s", e.Type, msg, exit)
	case sandpit.StatusTimeout:
		line := "timeout: " + orDefault(job.Message, "the code ran longer than its timeout") +
			" (pass a larger timeout_ms, or make the code faster)"
		if job.Stdout != "" || job.Stderr != "" {
			line += "; what it printed until then is below"
		}
		return line
	case sandpit.StatusMemoryLimit:
		return "memory_limit: " + orDefault(job.Message, "the code used more memory than allowed")
	}
	return string(job.Status) + exit + ": " + orDefault(job.Message, "no reason given")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// capText is s cut to n bytes, at a character's start, with an ellipsis.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// headOf is the first n characters of s, and how many it leaves out.
func headOf(s string, n int) (string, int) {
	if runeCount(s) <= n {
		return s, 0
	}
	r := []rune(s)
	return string(r[:n]), len(r) - n
}

// imageTypes are the image types returned as image content: those the
// models behind agents accept. Other images (SVG, BMP, TIFF) come as
// resources, since an image block a model refuses would fail the whole
// answer.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// fileContent is an output file as a content block: image content for the
// image types above, else an embedded resource, as text when it is text.
func fileContent(jobID string, f sandpit.File) (mcp.Content, error) {
	data, err := fileData(f)
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(f.MimeType)
	if imageTypes[mt] {
		return &mcp.ImageContent{Data: data, MIMEType: mt}, nil
	}
	return &mcp.EmbeddedResource{Resource: resourceContents(fileURI(jobID, f.Path), f.MimeType, data)}, nil
}

// resourceContents is a file's content as a resource: text when it is
// text, else bytes.
func resourceContents(uri, mimeType string, data []byte) *mcp.ResourceContents {
	mt, _, _ := mime.ParseMediaType(mimeType)
	rc := &mcp.ResourceContents{URI: uri, MIMEType: mimeType}
	if (isText(mt) || mt == "application/octet-stream" && looksText(data)) && utf8.Valid(data) {
		rc.Text = string(data)
	} else {
		rc.Blob = data
	}
	return rc
}

// fileData decodes a file's content.
func fileData(f sandpit.File) ([]byte, error) {
	switch f.Encoding {
	case sandpit.EncodingBase64:
		data, err := base64.StdEncoding.DecodeString(f.Content)
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", f.Path, err)
		}
		return data, nil
	case "", sandpit.EncodingUTF8:
		return []byte(f.Content), nil
	}
	return nil, fmt.Errorf("file %s: unknown encoding %q", f.Path, f.Encoding)
}

// looksText reports whether data of an unknown type reads as text: UTF-8
// with no control characters but tabs, newlines and form feeds.
func looksText(data []byte) bool {
	return utf8.Valid(data) && !strings.ContainsFunc(string(data), func(r rune) bool {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7f
	})
}

// isText reports whether a media type holds text.
func isText(mt string) bool {
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/x-python",
		"application/x-sh", "application/toml", "application/yaml", "application/x-yaml", "application/sql":
		return true
	}
	return false
}
