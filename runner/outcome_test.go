package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// TestParseOutcome feeds the page's report parser what a compromised page
// could send: every malformed report is refused, and caps hold whatever
// the report claims.
func TestParseOutcome(t *testing.T) {
	l := sandpit.Limits{MaxOutputBytes: 10, MaxFiles: 1, MaxFileBytes: 4}.WithDefaults()
	tests := []struct {
		name string
		raw  string
		ok   bool
		want func(sandpit.Result) bool
	}{
		{"success", `{"status":"succeeded","exit_code":0,"stdout":"hi","files":[]}`, true,
			func(r sandpit.Result) bool { return r.Stdout == "hi" && *r.ExitCode == 0 }},
		{"not JSON", `{`, false, nil},
		{"unknown status", `{"status":"pwned","exit_code":0}`, false, nil},
		{"queued is not an outcome", `{"status":"queued"}`, false, nil},
		{"no exit code", `{"status":"failed"}`, false, nil},
		{"success with a failing exit code", `{"status":"succeeded","exit_code":3}`, false, nil},
		{"failure with exit code 0", `{"status":"failed","exit_code":0}`, false, nil},
		{"sandbox error", `{"status":"error","message":"boom"}`, false, nil},
		{"bad base64 file", `{"status":"succeeded","exit_code":0,"files":[{"path":"a","content":"!!","encoding":"base64"}]}`, false, nil},
		{"file without a path", `{"status":"succeeded","exit_code":0,"files":[{"path":"","content":"","encoding":"base64"}]}`, false, nil},
		{"stdout over the cap", `{"status":"succeeded","exit_code":0,"stdout":"0123456789abcdef"}`, true,
			func(r sandpit.Result) bool { return r.Stdout == "0123456789" && r.StdoutTruncated }},
		{"too many files", `{"status":"succeeded","exit_code":0,"files":[{"path":"a","content":"YQ==","encoding":"base64"},{"path":"b","content":"Yg==","encoding":"base64"}]}`, true,
			func(r sandpit.Result) bool { return len(r.Files) == 1 && r.FilesTruncated }},
		{"files over the byte cap", `{"status":"succeeded","exit_code":0,"files":[{"path":"a","content":"YWFhYWFh","encoding":"base64"}]}`, true,
			func(r sandpit.Result) bool { return len(r.Files) == 0 && r.FilesTruncated }},
		{"timeout", `{"status":"timeout","stdout":"so far"}`, true,
			func(r sandpit.Result) bool {
				return r.Stdout == "so far" && r.ExitCode == nil && strings.Contains(r.Message, "1s")
			}},
		{"memory limit", `{"status":"memory_limit"}`, true,
			func(r sandpit.Result) bool { return strings.Contains(r.Message, "64 MB") }},
		{"huge report", `{"status":"succeeded","exit_code":0,"stdout":"` + strings.Repeat("x", 40<<20) + `"}`, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseOutcome([]byte(tc.raw), sandpit.Spec{}, time.Second, 64, l)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if tc.ok && !tc.want(r) {
				t.Fatalf("result = %+v", r)
			}
		})
	}
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseOutcome([]byte(tc.raw), spec, time.Second, 64, l)
			if err != nil {
				t.Fatal(err)
			}
			if r.Passed == nil || *r.Passed != tc.passed {
				t.Fatalf("passed = %v, want %v", r.Passed, tc.passed)
			}
		})
	}
}
