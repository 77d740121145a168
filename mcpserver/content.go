package mcpserver

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// jobResult is the tool result of a finished job: a text with its status and
// output, then one content block per output file. IsError is set unless the
// job succeeded.
func jobResult(job sandpit.Job) *mcp.CallToolResult {
	res := &mcp.CallToolResult{IsError: job.Status != sandpit.StatusSucceeded}
	var files []mcp.Content
	unreadable := map[string]bool{}
	for _, f := range job.Files {
		c, err := fileContent(job.ID, f)
		if err != nil {
			unreadable[f.Path] = true
			continue
		}
		files = append(files, c)
	}
	res.Content = append([]mcp.Content{&mcp.TextContent{Text: jobText(job, unreadable)}}, files...)
	return res
}

// jobText is the job's status and output as an agent reads them.
func jobText(job sandpit.Job, unreadable map[string]bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", statusLine(job))
	section := func(name, body string, truncated bool) {
		if body == "" && !truncated {
			return
		}
		note := ""
		if truncated {
			note = " (longer than the server keeps: only the beginning is shown)"
		}
		fmt.Fprintf(&b, "\n%s%s:\n%s", name, note, body)
		if !strings.HasSuffix(body, "\n") {
			b.WriteByte('\n')
		}
	}
	section("stdout", job.Stdout, job.StdoutTruncated)
	section("stderr", job.Stderr, job.StderrTruncated)
	// CPython prints the traceback at the end of stderr; show it apart only
	// when stderr does not already end with it.
	if e := job.Error; e != nil && e.Traceback != "" && !strings.HasSuffix(strings.TrimRight(job.Stderr, "\n"), strings.TrimRight(e.Traceback, "\n")) {
		section("traceback", e.Traceback, false)
	}
	if r := job.Result.Result; r != nil {
		if strings.Contains(*r, "\n") {
			section("result", *r, false)
		} else {
			fmt.Fprintf(&b, "\nresult: %s\n", *r)
		}
	}
	if len(job.Files) > 0 || job.FilesTruncated {
		b.WriteString("\nfiles (in the working directory; their contents follow this text in this order):\n")
		for _, f := range job.Files {
			fmt.Fprintf(&b, "- %s (%s, %d bytes)", f.Path, f.MimeType, f.Size)
			if unreadable[f.Path] {
				b.WriteString(": content unreadable, not returned")
			}
			b.WriteByte('\n')
		}
		if job.FilesTruncated {
			b.WriteString("- more files were made than the server returns; the rest are left out\n")
		}
	}
	if job.Stdout == "" && job.Stderr == "" && job.Result.Result == nil && len(job.Files) == 0 &&
		job.Status == sandpit.StatusSucceeded {
		b.WriteString("\n(no output: nothing printed, no result, no files)\n")
	}
	return b.String()
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

func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
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
	rc := &mcp.ResourceContents{URI: fileURI(jobID, f.Path), MIMEType: f.MimeType}
	if (isText(mt) || mt == "application/octet-stream" && looksText(data)) && utf8.Valid(data) {
		rc.Text = string(data)
	} else {
		rc.Blob = data
	}
	return &mcp.EmbeddedResource{Resource: rc}, nil
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

// fileURI names an output file of a job: sandpit://jobs/ID/files/PATH.
func fileURI(jobID, p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return "sandpit://jobs/" + url.PathEscape(jobID) + "/files/" + strings.Join(parts, "/")
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
