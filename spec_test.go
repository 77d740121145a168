package sandpit

import (
	"strings"
	"testing"
	"time"
)

func TestParseSpec(t *testing.T) {
	l := Limits{MaxSpecBytes: 4096, MaxCodeBytes: 100, MaxTimeout: time.Minute, MaxFiles: 2, MaxFileBytes: 10, MaxStdinBytes: 8}
	tests := []struct {
		name    string
		body    string
		code    string // error code, "" for success
		message string // substring of the error message
	}{
		{"minimal", `{"code": "print(1)"}`, "", ""},
		{"everything", `{"code": "x", "stdin": "in", "timeout_ms": 1000, "files": [{"path": "a/b.txt", "content": "hi"}, {"path": "c", "content": "aGk=", "encoding": "base64"}]}`, "", ""},
		{"empty body", ``, EINVALID, "empty"},
		{"not JSON", `print(1)`, EINVALID, "not valid JSON"},
		{"truncated JSON", `{"code": "x"`, EINVALID, "not valid JSON"},
		{"array", `[1]`, EINVALID, "JSON object"},
		{"two values", `{"code": "x"} {"code": "y"}`, EINVALID, "more than one"},
		{"missing code", `{"stdin": "x"}`, EINVALID, "code: required"},
		{"null code", `{"code": null}`, EINVALID, "code: required"},
		{"blank code", `{"code": "  \n"}`, EINVALID, "code: must not be empty"},
		{"code not a string", `{"code": 1}`, EINVALID, "code: must be a string"},
		{"code too long", `{"code": "` + strings.Repeat("x", 101) + `"}`, EINVALID, "code: longer than 100"},
		{"timeout not a number", `{"code": "x", "timeout_ms": "5"}`, EINVALID, "timeout_ms: must be an integer"},
		{"timeout fractional", `{"code": "x", "timeout_ms": 1.5}`, EINVALID, "timeout_ms"},
		{"negative timeout", `{"code": "x", "timeout_ms": -1}`, EINVALID, "timeout_ms: must not be negative"},
		{"excessive timeout", `{"code": "x", "timeout_ms": 60001}`, EINVALID, "timeout_ms: must be at most 60000"},
		{"unknown field", `{"code": "x", "tiemout_ms": 5}`, EINVALID, "tiemout_ms: unknown field"},
		{"stdin too long", `{"code": "x", "stdin": "123456789"}`, EINVALID, "stdin: longer than 8"},
		{"files not an array", `{"code": "x", "files": {}}`, EINVALID, "files: must be an array"},
		{"too many files", `{"code": "x", "files": [{"path":"a","content":""},{"path":"b","content":""},{"path":"c","content":""}]}`, EINVALID, "files: more than 2"},
		{"absolute path", `{"code": "x", "files": [{"path": "/etc/passwd", "content": ""}]}`, EINVALID, "files[0].path: must be relative"},
		{"dot-dot path", `{"code": "x", "files": [{"path": "../x", "content": ""}]}`, EINVALID, "files[0].path"},
		{"inner dot-dot", `{"code": "x", "files": [{"path": "a/../../x", "content": ""}]}`, EINVALID, "files[0].path"},
		{"empty path", `{"code": "x", "files": [{"content": ""}]}`, EINVALID, "files[0].path: must not be empty"},
		{"duplicate path", `{"code": "x", "files": [{"path": "a", "content": ""}, {"path": "a", "content": ""}]}`, EINVALID, "files[1].path"},
		{"bad encoding", `{"code": "x", "files": [{"path": "a", "content": "", "encoding": "hex"}]}`, EINVALID, "files[0].encoding"},
		{"bad base64", `{"code": "x", "files": [{"path": "a", "content": "!!", "encoding": "base64"}]}`, EINVALID, "files[0].content: not valid base64"},
		{"files too large", `{"code": "x", "files": [{"path": "a", "content": "12345678901"}]}`, EINVALID, "files: more than 10 bytes"},
		{"memory too small", `{"code": "x", "memory_mb": 8}`, EINVALID, "memory_mb: must be between 64 and 2048"},
		{"memory too large", `{"code": "x", "memory_mb": 4096}`, EINVALID, "memory_mb: must be between"},
		{"memory in range", `{"code": "x", "memory_mb": 256}`, "", ""},
		{"spec too large", `{"code": "` + strings.Repeat("x", 5000) + `"}`, ETOOLARGE, "larger than 4096"},
		{"packages", `{"code": "x", "packages": ["numpy", "scikit-learn", "Pillow", "ruamel.yaml", "typing_extensions"]}`, "", ""},
		{"packages not an array", `{"code": "x", "packages": "numpy"}`, EINVALID, "packages: must be an array"},
		{"package not a name", `{"code": "x", "packages": ["numpy", "numpy==1.0"]}`, EINVALID, `packages[1]: "numpy==1.0" is not a package name`},
		{"package a URL", `{"code": "x", "packages": ["https://evil.example/x.whl"]}`, EINVALID, "packages[0]"},
		{"package empty", `{"code": "x", "packages": [""]}`, EINVALID, "packages[0]"},
		{"too many packages", `{"code": "x", "packages": [` + strings.TrimSuffix(strings.Repeat(`"a",`, MaxPackages+1), ",") + `]}`, EINVALID, "packages: more than 64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeSpec(strings.NewReader(tc.body), l)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if ErrorCode(err) != tc.code || !strings.Contains(ErrorMessage(err), tc.message) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.message)
			}
		})
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := Limits{}.WithDefaults()
	if l != DefaultLimits {
		t.Fatalf("zero limits with defaults = %+v, want %+v", l, DefaultLimits)
	}
	if got := l.Timeout(Spec{}); got != DefaultLimits.DefaultTimeout {
		t.Errorf("default timeout = %v", got)
	}
	if got := l.Timeout(Spec{TimeoutMS: 250}); got != 250*time.Millisecond {
		t.Errorf("timeout = %v", got)
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	if ErrorCode(nil) != "" || ErrorMessage(nil) != "" {
		t.Error("nil error has a code or message")
	}
	if c, m := ErrorCode(errString("disk /var/x failed")), ErrorMessage(errString("disk /var/x failed")); c != EINTERNAL || strings.Contains(m, "/var") {
		t.Errorf("internal error: code %q message %q", c, m)
	}
	if c := ErrorCode(Errorf(ECONFLICT, "x")); c != ECONFLICT {
		t.Errorf("code = %q", c)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// FuzzParseSpec checks that no input makes the decoder panic, and that every
// rejection is a caller's error with a message, never an internal one.
func FuzzParseSpec(f *testing.F) {
	for _, seed := range []string{
		`{"code": "print(1)"}`,
		`{"code": "x", "stdin": "in", "timeout_ms": 1000, "files": [{"path": "a/b.txt", "content": "hi"}]}`,
		`{"code": "x", "files": [{"path": "c", "content": "aGk=", "encoding": "base64"}]}`,
		`{"code": 1}`, `[]`, `null`, `{"code": "x", "timeout_ms": -1}`, `{"code":"\u0000"}`,
		`{"code": "x", "files": [{"path": "../../etc/passwd", "content": ""}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseSpec(data, Limits{})
		if err != nil {
			if c := ErrorCode(err); c != EINVALID && c != ETOOLARGE {
				t.Fatalf("error code %q for %q", c, data)
			}
			if ErrorMessage(err) == "" {
				t.Fatal("error without a message")
			}
			return
		}
		if err := spec.Validate(Limits{}); err != nil {
			t.Fatalf("accepted spec fails validation: %v", err)
		}
		for _, f := range spec.Files {
			if strings.HasPrefix(f.Path, "/") || strings.Contains("/"+f.Path+"/", "/../") {
				t.Fatalf("accepted path %q escapes the working directory", f.Path)
			}
		}
	})
}

func TestParseSessionSpec(t *testing.T) {
	l := Limits{MaxSpecBytes: 4096, MaxFiles: 1}
	tests := []struct {
		name, body, code, message string
	}{
		{"empty body: the defaults", ``, "", ""},
		{"empty object", `{}`, "", ""},
		{"everything", `{"memory_mb": 256, "packages": ["greet"], "files": [{"path": "a.txt", "content": "x"}]}`, "", ""},
		{"code is for runs", `{"code": "x"}`, EINVALID, "code: unknown field"},
		{"memory too small", `{"memory_mb": 8}`, EINVALID, "memory_mb: must be between"},
		{"bad package", `{"packages": ["a b"]}`, EINVALID, "packages[0]"},
		{"too many files", `{"files": [{"path": "a", "content": ""}, {"path": "b", "content": ""}]}`, EINVALID, "files: more than 1"},
		{"bad path", `{"files": [{"path": "../a", "content": ""}]}`, EINVALID, "files[0].path"},
		{"two values", `{} {}`, EINVALID, "more than one"},
		{"too large", `{"files": [{"path": "a", "content": "` + strings.Repeat("x", 5000) + `"}]}`, ETOOLARGE, "larger than 4096"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSessionSpec([]byte(tc.body), l)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if ErrorCode(err) != tc.code || !strings.Contains(ErrorMessage(err), tc.message) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.message)
			}
		})
	}
}
