package runner

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/page"
)

// reportBound is the size past which a page's report cannot be one the
// page built: six capped strings (stdout, stderr, result and the error's
// three fields), each up to six bytes of JSON a byte, the output files in
// base64, and the rich outputs, up to six bytes of JSON a byte.
func reportBound(l sandpit.Limits) int {
	return 6*6*l.MaxOutputBytes + 2*l.MaxFileBytes + 6*l.MaxFileBytes + 1<<20
}

// parseOutcome validates the page's report and turns it into a result. The
// report comes from a page that ran the job's code, which can make it say
// anything: whatever is wrong with it is the job's doing, so it ends the job
// as error for good, never as a failure of the runner's that would have the
// job retried. Every field is capped again whatever the page claims; the
// browser's job.js does the same to the same report.
func parseOutcome(raw []byte, spec sandpit.Spec, timeout time.Duration, memoryMB int, l sandpit.Limits) sandpit.Result {
	if max := reportBound(l); len(raw) > max {
		return broken(sandpit.Result{}, spec, fmt.Sprintf("its report is %d bytes, over %d", len(raw), max))
	}
	var o page.Outcome
	if err := json.Unmarshal(raw, &o); err != nil {
		return broken(sandpit.Result{}, spec, "it sent a malformed result")
	}
	res := sandpit.Result{
		Status:          o.Status,
		Stdout:          capString(o.Stdout, l.MaxOutputBytes),
		Stderr:          capString(o.Stderr, l.MaxOutputBytes),
		StdoutTruncated: o.StdoutTruncated || len(o.Stdout) > l.MaxOutputBytes,
		StderrTruncated: o.StderrTruncated || len(o.Stderr) > l.MaxOutputBytes,
		Files:           []sandpit.File{},
	}
	switch o.Status {
	case sandpit.StatusSucceeded, sandpit.StatusFailed:
		if o.ExitCode == nil {
			return broken(res, spec, "its result has no exit code")
		}
		if (*o.ExitCode == 0) != (o.Status == sandpit.StatusSucceeded) {
			return broken(res, spec, fmt.Sprintf("its result has status %s with exit code %d", o.Status, *o.ExitCode))
		}
		res.ExitCode = o.ExitCode
		if r := o.Result.Result; r != nil {
			capped := capString(*r, l.MaxOutputBytes)
			res.Result, res.ResultTruncated = &capped, o.ResultTruncated || len(capped) < len(*r)
		}
		res.Error = capError(o.Error, l.MaxOutputBytes)
		if spec.Test != "" {
			// The harness says whether the test ran to the end; a job that
			// exited or raised before, with any code, did not pass.
			passed := o.Passed != nil && *o.Passed && o.Status == sandpit.StatusSucceeded && o.Error == nil
			res.Passed = &passed
		}
		files, truncated, ok := outputFiles(o.Files, l)
		if !ok {
			return broken(res, spec, "it sent a bad file")
		}
		res.Files, res.FilesTruncated = files, o.FilesTruncated || truncated
		outputs, truncated, ok := richOutputs(o.Outputs, l)
		if !ok {
			return broken(res, spec, "it sent a bad output")
		}
		res.Outputs, res.OutputsTruncated = outputs, o.OutputsTruncated || truncated
	case sandpit.StatusTimeout:
		res.Message = fmt.Sprintf("the code ran longer than its timeout of %v", timeout)
		res.Passed = failedTest(spec)
	case sandpit.StatusMemoryLimit:
		res.Message = fmt.Sprintf("the code tried to use more than its memory limit of %d MB", memoryMB)
		res.Error = capError(o.Error, l.MaxOutputBytes)
		res.Passed = failedTest(spec)
	case sandpit.StatusError:
		why := capString(o.Message, 500)
		if why == "" {
			why = "unknown error"
		}
		return broken(res, spec, why)
	default:
		return broken(res, spec, fmt.Sprintf("its result has unknown status %q", o.Status))
	}
	return res
}

// broken is the result of a job whose sandbox failed while the job's code
// ran: its output so far, and why.
func broken(res sandpit.Result, spec sandpit.Spec, why string) sandpit.Result {
	return sandpit.Result{
		Status:          sandpit.StatusError,
		Stdout:          res.Stdout,
		Stderr:          res.Stderr,
		StdoutTruncated: res.StdoutTruncated,
		StderrTruncated: res.StderrTruncated,
		Files:           []sandpit.File{},
		Passed:          failedTest(spec),
		Message:         "the sandbox failed: " + why,
	}
}

// outputFiles checks the output files of a report and keeps those within
// the limits. A file whose path is not a clean relative one (with "..", a
// leading "/", NUL, a backslash, a control character such as CR or LF, or
// too long) is left out, as are those past the limits; truncated says some
// were. ok is false when a file is not a file at all.
func outputFiles(in []sandpit.File, l sandpit.Limits) (out []sandpit.File, truncated, ok bool) {
	out = []sandpit.File{}
	total := 0
	for _, f := range in {
		data, err := base64.StdEncoding.DecodeString(f.Content)
		if err != nil || f.Encoding != sandpit.EncodingBase64 {
			return nil, false, false
		}
		if !outputPath(f.Path, l.MaxPathBytes) {
			truncated = true
			continue
		}
		total += len(data)
		if len(out) >= l.MaxFiles || total > l.MaxFileBytes {
			return out, true, true
		}
		out = append(out, sandpit.File{
			Path:     f.Path,
			Content:  f.Content,
			Encoding: sandpit.EncodingBase64,
			MimeType: mimeType(f.Path),
			Size:     len(data),
		})
	}
	return out, truncated, true
}

// richOutputs checks the rich outputs of a report and keeps those within
// the limits: as many as there may be output files, and as many bytes (of
// MIME types and data as the report carries them). The harness leaves out
// those past the limits itself, and so does this. ok is false when an
// output is not one the harness makes: empty, with a key that is not a
// MIME type, or with data that is not what its type says (JSON, base64).
func richOutputs(in []map[string]string, l sandpit.Limits) (out []sandpit.Output, truncated, ok bool) {
	total := 0
	for _, bundle := range in {
		if len(bundle) == 0 {
			return nil, false, false
		}
		o := make(sandpit.Output, len(bundle))
		size := 0
		for t, data := range bundle {
			if !sandpit.ValidMIMEType(t) {
				return nil, false, false
			}
			switch sandpit.OutputKind(t) {
			case sandpit.OutputJSON:
				if !json.Valid([]byte(data)) {
					return nil, false, false
				}
				o[t] = json.RawMessage(data)
			case sandpit.OutputBinary:
				if _, err := base64.StdEncoding.DecodeString(data); err != nil {
					return nil, false, false
				}
				o[t] = data
			default:
				o[t] = data
			}
			size += len(t) + len(data)
		}
		if len(out) >= l.MaxFiles || total+size > l.MaxFileBytes {
			truncated = true
			continue
		}
		total += size
		out = append(out, o)
	}
	return out, truncated, true
}

// outputPath reports whether p may name an output file: a path an input
// file could have, with no control character, which would end a header
// line where the file is served.
func outputPath(p string, max int) bool {
	return sandpit.CheckPath(p, max) == nil && !strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// capError caps each field of e.
func capError(e *sandpit.PyError, n int) *sandpit.PyError {
	if e == nil {
		return nil
	}
	return &sandpit.PyError{Type: capString(e.Type, n), Message: capString(e.Message, n), Traceback: capString(e.Traceback, n)}
}

// failedTest is Passed for a job that ended without a verdict of its own.
func failedTest(spec sandpit.Spec) *bool {
	if spec.Test == "" {
		return nil
	}
	f := false
	return &f
}

// capString returns the head of s that fits in n bytes, cut at a character.
func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func mimeType(p string) string {
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}
