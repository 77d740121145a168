package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonClientEvaluation is the Python client's module that builds
// HumanEval programs as `sandpit bench --humaneval` does.
const pythonClientEvaluation = "../../clients/python/src/sandpit_client/evaluation.py"

// readPreamblePy prints, as JSON, the string that the Python module at
// argv[1] assigns to _PREAMBLE at its top level, parsed by Python itself.
const readPreamblePy = `
import ast, json, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    tree = ast.parse(f.read(), path)
values = [
    node.value
    for node in tree.body
    if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["_PREAMBLE"])
    or (isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "_PREAMBLE" and node.value)
]
if len(values) != 1:
    sys.exit(f"{path}: want one top-level assignment _PREAMBLE = '...', found {len(values)}")
try:
    value = ast.literal_eval(values[0])
except ValueError:
    sys.exit(f"{path}: _PREAMBLE is assigned {ast.unparse(values[0])}, want a str literal")
if not isinstance(value, str):
    sys.exit(f"{path}: _PREAMBLE is assigned a {type(value).__name__}, want a str literal")
print(json.dumps(value))
`

// pythonPreamble returns the string literal the Python module at path
// assigns to _PREAMBLE.
func pythonPreamble(path string) (string, error) {
	out, err := exec.Command("python3", "-c", readPreamblePy, path).Output()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		return "", fmt.Errorf("read _PREAMBLE: %s", strings.TrimSpace(string(exit.Stderr)))
	}
	if err != nil {
		return "", fmt.Errorf("read _PREAMBLE with python3: %w", err)
	}
	var s string
	if err := json.Unmarshal(out, &s); err != nil {
		return "", fmt.Errorf("read _PREAMBLE: python3 printed %q: %w", out, err)
	}
	return s, nil
}

// TestHumanEvalPreambleMatchesPythonClient checks that `sandpit bench
// --humaneval` and the Python client's evaluation module put the same
// preamble before each sample: each keeps a copy of its own, and the two
// must change together.
func TestHumanEvalPreambleMatchesPythonClient(t *testing.T) {
	got, err := pythonPreamble(pythonClientEvaluation)
	if err != nil {
		t.Fatal(err)
	}
	if got != humanEvalPreamble {
		t.Fatalf("the preambles differ: change both together\n%s _PREAMBLE: %q\ncmd/sandpit humanEvalPreamble: %q",
			pythonClientEvaluation, got, humanEvalPreamble)
	}
}

// TestPythonPreambleErrors checks that a module whose _PREAMBLE cannot be
// read makes the comparison fail, with what is wrong, rather than pass.
func TestPythonPreambleErrors(t *testing.T) {
	for _, tc := range []struct{ name, source, want string }{
		{"none", "PREAMBLE = 'x'\n", "want one top-level assignment _PREAMBLE = '...', found 0"},
		{"nested", "def f():\n    _PREAMBLE = 'x'\n", "found 0"},
		{"twice", "_PREAMBLE = 'x'\n_PREAMBLE = 'y'\n", "found 2"},
		{"not a literal", "_PREAMBLE = 'x'.upper()\n", "_PREAMBLE is assigned 'x'.upper(), want a str literal"},
		{"not a str", "_PREAMBLE = b'x'\n", "_PREAMBLE is assigned a bytes, want a str literal"},
		{"not Python", "_PREAMBLE = 'x\n", "SyntaxError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "evaluation.py")
			if err := os.WriteFile(path, []byte(tc.source), 0o600); err != nil {
				t.Fatal(err)
			}
			if s, err := pythonPreamble(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("read %q: %q, %v; want an error with %q", tc.source, s, err, tc.want)
			}
		})
	}
	// Python's escapes are read as Python reads them.
	path := filepath.Join(t.TempDir(), "evaluation.py")
	if err := os.WriteFile(path, []byte(`_PREAMBLE: str = 'a\'"\n\x41\u00e9\N{BULLET}'`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := pythonPreamble(path); err != nil || s != "a'\"\nAé•" {
		t.Errorf("escapes read as %q, %v", s, err)
	}
}
