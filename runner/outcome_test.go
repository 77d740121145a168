package runner

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// TestParseOutcome feeds the page's report parser what a compromised page
// could send: every malformed report ends the job as error (for good: the
// job's code made it), and caps hold whatever the report claims.
func TestParseOutcome(t *testing.T) {
	l := sandpit.Limits{MaxOutputBytes: 10, MaxFiles: 1, MaxFileBytes: 4}.WithDefaults()
	broken := func(why string) func(sandpit.Result) bool {
		return func(r sandpit.Result) bool {
			return r.Status == sandpit.StatusError && r.Message == "the sandbox failed: "+why && r.ExitCode == nil &&
				r.Result == nil && r.Error == nil && len(r.Files) == 0
		}
	}
	tests := []struct {
		name string
		raw  string
		want func(sandpit.Result) bool
	}{
		{"success", `{"status":"succeeded","exit_code":0,"stdout":"hi","files":[]}`,
			func(r sandpit.Result) bool { return r.Stdout == "hi" && *r.ExitCode == 0 }},
		{"not JSON", `{`, broken("it sent a malformed result")},
		{"a field of the wrong type", `{"status":"succeeded","exit_code":0,"result":5}`, broken("it sent a malformed result")},
		{"unknown status", `{"status":"pwned","exit_code":0}`, broken(`its result has unknown status "pwned"`)},
		{"queued is not an outcome", `{"status":"queued"}`, broken(`its result has unknown status "queued"`)},
		{"no exit code", `{"status":"failed"}`, broken("its result has no exit code")},
		{"success with a failing exit code", `{"status":"succeeded","exit_code":3}`, broken("its result has status succeeded with exit code 3")},
		{"failure with exit code 0", `{"status":"failed","exit_code":0}`, broken("its result has status failed with exit code 0")},
		{"sandbox error keeps the output so far", `{"status":"error","message":"boom","stdout":"so far"}`,
			func(r sandpit.Result) bool { return broken("boom")(r) && r.Stdout == "so far" }},
		{"sandbox error without a word", `{"status":"error"}`, broken("unknown error")},
		{"bad base64 file", `{"status":"succeeded","exit_code":0,"files":[{"path":"a","content":"!!","encoding":"base64"}]}`, broken("it sent a bad file")},
		{"stdout over the cap", `{"status":"succeeded","exit_code":0,"stdout":"0123456789abcdef"}`,
			func(r sandpit.Result) bool { return r.Stdout == "0123456789" && r.StdoutTruncated }},
		{"stdout cut at a character", `{"status":"succeeded","exit_code":0,"stdout":"012345678✓"}`,
			func(r sandpit.Result) bool { return r.Stdout == "012345678" && r.StdoutTruncated }},
		{"result over the cap", `{"status":"succeeded","exit_code":0,"result":"'0123456789abcdef'"}`,
			func(r sandpit.Result) bool { return *r.Result == "'012345678" && r.ResultTruncated }},
		{"result the page cut", `{"status":"succeeded","exit_code":0,"result":"'0123","result_truncated":true}`,
			func(r sandpit.Result) bool { return *r.Result == "'0123" && r.ResultTruncated }},
		{"error over the cap", `{"status":"failed","exit_code":1,"error":{"type":"ValueErrorValueError","message":"0123456789abcdef","traceback":"Traceback (most recent call last)"}}`,
			func(r sandpit.Result) bool {
				return r.Error.Type == "ValueError" && r.Error.Message == "0123456789" && r.Error.Traceback == "Traceback "
			}},
		{"too many files", `{"status":"succeeded","exit_code":0,"files":[{"path":"a","content":"YQ==","encoding":"base64"},{"path":"b","content":"Yg==","encoding":"base64"}]}`,
			func(r sandpit.Result) bool { return len(r.Files) == 1 && r.FilesTruncated }},
		{"files over the byte cap", `{"status":"succeeded","exit_code":0,"files":[{"path":"a","content":"YWFhYWFh","encoding":"base64"}]}`,
			func(r sandpit.Result) bool { return len(r.Files) == 0 && r.FilesTruncated }},
		{"timeout", `{"status":"timeout","stdout":"so far"}`,
			func(r sandpit.Result) bool {
				return r.Stdout == "so far" && r.ExitCode == nil && strings.Contains(r.Message, "1s")
			}},
		{"memory limit", `{"status":"memory_limit"}`,
			func(r sandpit.Result) bool { return strings.Contains(r.Message, "64 MB") }},
		{"huge report", `{"status":"succeeded","exit_code":0,"stdout":"` + strings.Repeat("x", 40<<20) + `"}`,
			func(r sandpit.Result) bool {
				return r.Status == sandpit.StatusError && strings.Contains(r.Message, "over")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := parseOutcome([]byte(tc.raw), sandpit.Spec{}, time.Second, 64, l); !tc.want(r) {
				t.Fatalf("result = %+v", r)
			}
		})
	}
}

// TestParseOutcomeOutputs: rich outputs are what the harness makes of
// them, or the report is broken; and the limits hold whatever it claims.
func TestParseOutcomeOutputs(t *testing.T) {
	l := sandpit.Limits{MaxFiles: 2, MaxFileBytes: 100}.WithDefaults()
	broken := func(why string) func(sandpit.Result) bool {
		return func(r sandpit.Result) bool {
			return r.Status == sandpit.StatusError && r.Message == "the sandbox failed: "+why && len(r.Outputs) == 0
		}
	}
	tests := []struct {
		name string
		raw  string
		want func(sandpit.Result) bool
	}{
		{"outputs", `{"status":"succeeded","exit_code":0,"outputs":[{"text/html":"<b>","image/png":"YQ==","application/vnd.plotly.v1+json":"{\"data\":[1e400000]}"}]}`,
			func(r sandpit.Result) bool {
				raw, _ := r.Outputs[0]["application/vnd.plotly.v1+json"].(json.RawMessage)
				return len(r.Outputs) == 1 && r.Outputs[0]["text/html"] == "<b>" && r.Outputs[0]["image/png"] == "YQ==" &&
					string(raw) == `{"data":[1e400000]}` && !r.OutputsTruncated
			}},
		{"an output with a key that is not a MIME type", `{"status":"succeeded","exit_code":0,"outputs":[{"html":"<b>"}]}`, broken("it sent a bad output")},
		{"an empty output", `{"status":"succeeded","exit_code":0,"outputs":[{}]}`, broken("it sent a bad output")},
		{"an image that is not base64", `{"status":"succeeded","exit_code":0,"outputs":[{"image/png":"!!"}]}`, broken("it sent a bad output")},
		{"JSON data that is not JSON", `{"status":"succeeded","exit_code":0,"outputs":[{"application/json":"{"}]}`, broken("it sent a bad output")},
		{"data that is not a string", `{"status":"succeeded","exit_code":0,"outputs":[{"application/json":{"a":1}}]}`, broken("it sent a malformed result")},
		{"too many outputs", `{"status":"succeeded","exit_code":0,"outputs":[{"text/plain":"1"},{"text/plain":"2"},{"text/plain":"3"}]}`,
			func(r sandpit.Result) bool {
				return len(r.Outputs) == 2 && r.Outputs[1]["text/plain"] == "2" && r.OutputsTruncated
			}},
		{"the harness's word that outputs were left out", `{"status":"succeeded","exit_code":0,"outputs":[],"outputs_truncated":true}`,
			func(r sandpit.Result) bool { return len(r.Outputs) == 0 && r.OutputsTruncated }},
		{"outputs over the byte cap", `{"status":"succeeded","exit_code":0,"outputs":[{"text/plain":"` + strings.Repeat("x", 95) + `"},{"text/plain":"1"}]}`,
			func(r sandpit.Result) bool {
				return len(r.Outputs) == 1 && r.Outputs[0]["text/plain"] == "1" && r.OutputsTruncated
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := parseOutcome([]byte(tc.raw), sandpit.Spec{}, time.Second, 64, l); !tc.want(r) {
				t.Fatalf("result = %+v", r)
			}
		})
	}
}

// TestParseOutcomeRefusesBadPaths: an output file whose path could escape
// the job's directory or a header line is left out.
func TestParseOutcomeRefusesBadPaths(t *testing.T) {
	l := sandpit.Limits{}.WithDefaults()
	for _, p := range []string{"", "../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\x00b", "a\\b", "a\r\nSet-Cookie: x", "a\nb", "a\x7f", strings.Repeat("a", 256)} {
		raw := `{"status":"succeeded","exit_code":0,"files":[{"path":` + quote(p) + `,"content":"YQ==","encoding":"base64"},{"path":"ok.txt","content":"YQ==","encoding":"base64"}]}`
		r := parseOutcome([]byte(raw), sandpit.Spec{}, time.Second, 64, l)
		if r.Status != sandpit.StatusSucceeded || len(r.Files) != 1 || r.Files[0].Path != "ok.txt" || !r.FilesTruncated {
			t.Errorf("path %q: status %s files %v truncated %v", p, r.Status, r.Files, r.FilesTruncated)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestParseOutcomeVerdict: a job with a test passed only when the page says
// its test ran to the end, on a success with no error.
func TestParseOutcomeVerdict(t *testing.T) {
	l := sandpit.Limits{}.WithDefaults()
	spec := sandpit.Spec{Code: "1", Test: "2"}
	tests := []struct {
		name, raw string
		passed    bool
	}{
		{"the test ran to the end", `{"status":"succeeded","exit_code":0,"passed":true}`, true},
		{"no word of the test", `{"status":"succeeded","exit_code":0}`, false},
		{"the test did not run to the end", `{"status":"succeeded","exit_code":0,"passed":false}`, false},
		{"a SystemExit with code 0", `{"status":"succeeded","exit_code":0,"passed":true,"error":{"type":"SystemExit","message":"0","traceback":""}}`, false},
		{"a failure that claims a pass", `{"status":"failed","exit_code":1,"passed":true}`, false},
		{"a timeout that claims a pass", `{"status":"timeout","passed":true}`, false},
		{"a memory limit that claims a pass", `{"status":"memory_limit","passed":true}`, false},
		{"a sandbox error that claims a pass", `{"status":"error","passed":true}`, false},
		{"a malformed report that claims a pass", `{"status":"succeeded","exit_code":"0","passed":true}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parseOutcome([]byte(tc.raw), spec, time.Second, 64, l)
			if r.Passed == nil || *r.Passed != tc.passed {
				t.Fatalf("passed = %s, want %v", verdict(r.Passed), tc.passed)
			}
		})
	}
}
