package redteam

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit"
)

// verdictAttack is a sample that tries to pass its test without the test
// running to the end. HumanEval's own checker (openai/human-eval's
// execution.py) fails every one: it counts a sample passed only when code
// and test ran to the end as one program, and reports any exception,
// SystemExit included, as "failed: <str(e)>".
type verdictAttack struct {
	name, code, test string
	// errType and errMsg are the error the job must carry: what a client
	// needs to give the checker's "failed: <str(e)>".
	errType, errMsg string
}

// The function under test is wrong in each, so that only a skipped test
// could pass it.
var verdictAttacks = []verdictAttack{
	{name: "pass a test by exiting 0 before it runs",
		code: "import sys\ndef add(a, b): return a - b\nsys.exit(0)", errType: "SystemExit", errMsg: "0"},
	{name: "pass a test with a main guard that exits with main's None",
		code: "import sys\ndef add(a, b): return a - b\ndef main(): pass\nif __name__ == '__main__':\n    sys.exit(main())", errType: "SystemExit", errMsg: ""},
	{name: "pass a test by raising SystemExit(None)",
		code: "def add(a, b): return a - b\nraise SystemExit(None)", errType: "SystemExit", errMsg: "None"},
	{name: "pass a test by calling exit()",
		code: "def add(a, b): return a - b\nexit()", errType: "SystemExit", errMsg: "None"},
	{name: "pass a test by exiting inside the function under test",
		code: "import sys\ndef add(a, b):\n    sys.exit(0)", errType: "SystemExit", errMsg: "0"},
	{name: "pass a test by exiting from the test with a message",
		code: "import sys\ndef add(a, b):\n    sys.exit('ok')", errType: "SystemExit", errMsg: "ok"},
	{name: "pass a test by raising KeyboardInterrupt",
		code: "def add(a, b):\n    raise KeyboardInterrupt", errType: "KeyboardInterrupt", errMsg: ""},
	{name: "pass a test by ending the interpreter with os._exit",
		code: "import os\ndef add(a, b): return a - b\nos._exit(0)"},
}

const verdictTest = "assert add(2, 3) == 5"

// TestVerdictAttacks runs each sample through the API: none passes, and
// its error is the exception that stopped it.
func TestVerdictAttacks(t *testing.T) {
	for _, a := range verdictAttacks {
		t.Run(a.name, func(t *testing.T) {
			code, job := full.run(t, map[string]any{"code": a.code, "test": verdictTest})
			if code != 200 {
				t.Fatalf("HTTP %d", code)
			}
			if job.Passed == nil || *job.Passed {
				t.Fatalf("passed = %v; status %s error %+v", job.Passed != nil && *job.Passed, job.Status, job.Error)
			}
			if a.errType != "" && (job.Error == nil || job.Error.Type != a.errType || job.Error.Message != a.errMsg) {
				t.Fatalf("error = %+v, want %s %q", job.Error, a.errType, a.errMsg)
			}
			if a.errType == "" && job.Status == sandpit.StatusSucceeded {
				t.Fatalf("status succeeded: %+v", job)
			}
			if contact := bird.Take(); len(contact) > 0 {
				t.Fatalf("the canary was contacted: %v", contact)
			}
		})
	}
	full.healthy(t)
}

// TestVerdictAttacksInABatch submits the samples as a batch beside one
// honest sample: the batch counts one pass.
func TestVerdictAttacksInABatch(t *testing.T) {
	items := []map[string]any{{"id": "honest", "code": "def add(a, b): return a + b", "test": verdictTest}}
	for _, a := range verdictAttacks {
		items = append(items, map[string]any{"id": a.name, "code": a.code, "test": verdictTest})
	}
	body, _ := json.Marshal(map[string]any{"jobs": items})
	resp, err := http.Post(full.url+"/v1/batches", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var b sandpit.Batch
	json.NewDecoder(resp.Body).Decode(&b)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: HTTP %d", resp.StatusCode)
	}
	// The results stream ends once every item has ended.
	resp, err = http.Get(full.url + "/v1/batches/" + b.ID + "/results")
	if err != nil {
		t.Fatal(err)
	}
	passed := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var job sandpit.Job
		if err := json.Unmarshal(sc.Bytes(), &job); err != nil {
			t.Fatal(err)
		}
		passed[job.ItemID] = job.Passed != nil && *job.Passed
	}
	resp.Body.Close()
	if len(passed) != len(items) || !passed["honest"] {
		t.Fatalf("results: %v", passed)
	}
	for name, p := range passed {
		if p && name != "honest" {
			t.Errorf("%s passed", name)
		}
	}
	resp, err = http.Get(full.url + "/v1/batches/" + b.ID)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&b)
	resp.Body.Close()
	if b.Passed != 1 || b.Failed != len(verdictAttacks) {
		t.Fatalf("batch counts %d passed, %d failed; want 1 and %d", b.Passed, b.Failed, len(verdictAttacks))
	}
}
