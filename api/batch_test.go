package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/queue"
)

func (e *env) post(t *testing.T, path, ct, body string) (int, map[string]any) {
	t.Helper()
	status, _, m := e.do(t, "POST", path, ct, body)
	return status, m
}

func TestBatchJSONLinesRoundTrip(t *testing.T) {
	e := newEnv(t, queue.Options{}, true)
	lines := `{"id": "a", "code": "one"}
{"id": 2, "code": "two", "test": "t"}

{"code": "three"}
`
	status, b := e.post(t, "/v1/batches", "application/x-ndjson", lines)
	if status != 202 || b["total"] != float64(3) || b["complete"] != true {
		t.Fatalf("submit = %d %v", status, b)
	}
	id := b["id"].(string)

	resp, err := http.Get(e.srv.URL + "/v1/batches/" + id + "/results")
	if err != nil {
		t.Fatal(err)
	}
	var jobs []sandpit.Job
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var j sandpit.Job
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatalf("result line %q: %v", sc.Text(), err)
		}
		jobs = append(jobs, j)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/x-ndjson" || len(jobs) != 3 {
		t.Fatalf("results: %s, %d lines", resp.Header.Get("Content-Type"), len(jobs))
	}
	for i, want := range []struct{ item, stdout string }{{"a", "one"}, {"2", "two"}, {"", "three"}} {
		j := jobs[i]
		if j.ItemID != want.item || j.Stdout != want.stdout || j.Index == nil || *j.Index != i || !j.Status.Terminal() {
			t.Errorf("result %d = %+v", i, j)
		}
	}

	// A reader whose connection dropped resumes from the next item.
	resp, err = http.Get(e.srv.URL + "/v1/batches/" + id + "/results?from=2")
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var third sandpit.Job
	if err := json.Unmarshal(rest, &third); err != nil || third.Index == nil || *third.Index != 2 || strings.Count(string(rest), "\n") != 1 {
		t.Errorf("results from 2: %q", rest)
	}
	if status, _, m := e.do(t, "GET", "/v1/batches/"+id+"/results?from=-1", "", ""); status != 400 || !strings.HasPrefix(errMessage(m), "from:") {
		t.Errorf("results from -1 = %d %v, want 400 naming from", status, m)
	}

	status, _, b = e.do(t, "GET", "/v1/batches/"+id, "", "")
	if status != 200 || b["finished"] != true || b["done"] != float64(3) || b["pending"] != float64(0) {
		t.Fatalf("batch = %d %v", status, b)
	}

	resp, err = http.Get(e.srv.URL + "/v1/batches/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	events, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" || !strings.Contains(string(events), "event: done\ndata: {") {
		t.Fatalf("events of a finished batch: %q", events)
	}
}

func TestBatchJSONArrayAndErrors(t *testing.T) {
	e := newEnv(t, queue.Options{}, false)
	tests := []struct {
		name, ct, body string
		status         int
		message        string
	}{
		{"array", "application/json", `{"jobs": [{"code": "a"}, {"code": "b", "id": "x"}]}`, 202, ""},
		{"bad line rejects the whole batch", "application/x-ndjson", "{\"code\": \"a\"}\n{\"stdin\": \"b\"}\n", 400, "line 2: code: required"},
		{"bad item in the array", "application/json", `{"jobs": [{"code": "a"}, {"code": 5}]}`, 400, "jobs[1]: code: must be a string"},
		{"not an object", "application/json", `[1]`, 400, "jobs"},
		{"unknown field", "application/json", `{"items": []}`, 400, "items: unknown field"},
		{"empty", "application/x-ndjson", "\n\n", 400, "no items"},
		{"wrong type", "application/xml", "<x/>", 415, "Content-Type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, m := e.post(t, "/v1/batches", tc.ct, tc.body)
			if status != tc.status {
				t.Fatalf("status = %d %v, want %d", status, m, tc.status)
			}
			if tc.message != "" {
				if msg, _ := m["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tc.message) {
					t.Fatalf("message = %q, want %q", msg, tc.message)
				}
			}
		})
	}
	if n, _ := e.q.BatchDepth(t.Context()); n != 2 {
		t.Fatalf("batch queue holds %d items after the rejected uploads, want the valid batch's 2", n)
	}
}

func TestBatchCancel(t *testing.T) {
	e := newEnv(t, queue.Options{}, false)
	_, b := e.post(t, "/v1/batches", "application/x-ndjson", "{\"code\": \"a\"}\n{\"code\": \"b\"}\n")
	status, _, b := e.do(t, "DELETE", "/v1/batches/"+b["id"].(string), "", "")
	counts, _ := b["counts"].(map[string]any)
	if status != 200 || b["finished"] != true || counts["cancelled"] != float64(2) {
		t.Fatalf("cancel = %d %v", status, b)
	}
	if status, _, _ := e.do(t, "GET", "/v1/batches/0123456789abcdef0123456789abcdef", "", ""); status != 404 {
		t.Fatalf("unknown batch = %d", status)
	}
}

// While no item ends, the results stream sends a blank line every
// resultsHeartbeat, and the items still come after.
func TestBatchResultsHeartbeat(t *testing.T) {
	defer func(d time.Duration) { resultsHeartbeat = d }(resultsHeartbeat)
	resultsHeartbeat = 100 * time.Millisecond
	e := newEnv(t, queue.Options{}, false) // no worker: the item waits
	_, b := e.post(t, "/v1/batches", "application/x-ndjson", "{\"id\": \"a\", \"code\": \"a\"}\n")
	id := b["id"].(string)
	resp, err := http.Get(e.srv.URL + "/v1/batches/" + id + "/results")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	start := time.Now()
	for i := range 3 {
		line, err := rd.ReadString('\n')
		if err != nil || line != "\n" {
			t.Fatalf("line %d of a quiet stream = %q, %v; want a blank line", i, line, err)
		}
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("3 blank lines in %v, want one every 100ms", took)
	}
	if status, _, _ := e.do(t, "DELETE", "/v1/batches/"+id, "", ""); status != 200 {
		t.Fatalf("cancel = %d", status)
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended without the item: %v", err)
		}
		if line == "\n" {
			continue
		}
		var job sandpit.Job
		if err := json.Unmarshal([]byte(line), &job); err != nil || job.ItemID != "a" || job.Status != sandpit.StatusCancelled {
			t.Fatalf("item line %q: %+v, %v", line, job, err)
		}
		break
	}
	if rest, err := io.ReadAll(rd); err != nil || strings.TrimLeft(string(rest), "\n") != "" {
		t.Errorf("after the last item: %q, %v", rest, err)
	}
}

// TestBatchHundredThousandLines uploads 100,000 JSON lines in one streamed
// request, produced as they are sent: every item is accepted, in order.
func TestBatchHundredThousandLines(t *testing.T) {
	e := newEnv(t, queue.Options{}, false)
	const n = 100_000
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		for i := range n {
			fmt.Fprintf(w, `{"id": "%d", "code": "print(%d)"}`+"\n", i, i)
		}
		w.Flush()
		pw.Close()
	}()
	resp, err := http.Post(e.srv.URL+"/v1/batches", "application/x-ndjson", pr)
	if err != nil {
		t.Fatal(err)
	}
	var b sandpit.Batch
	json.NewDecoder(resp.Body).Decode(&b)
	resp.Body.Close()
	if resp.StatusCode != 202 || b.Total != n || !b.Complete {
		t.Fatalf("upload = %d %+v", resp.StatusCode, b)
	}

	ids, _ := e.q.Items(t.Context(), b.ID, n-1, 1)
	j, _ := e.q.Get(t.Context(), ids[0], "")
	if j.ItemID != fmt.Sprint(n-1) || j.Index == nil || *j.Index != n-1 {
		t.Fatalf("last item = %+v", j)
	}
}

// endlessItem is a batch body whose second item never ends: a string of
// n bytes of "x" that goes on past any limit. It counts what was read.
type endlessItem struct {
	head string
	n    int64
	read int64
}

func (e *endlessItem) Read(p []byte) (int, error) {
	if e.read >= int64(len(e.head))+e.n {
		return 0, io.EOF
	}
	i := 0
	for ; i < len(p) && e.read < int64(len(e.head))+e.n; i++ {
		if e.read < int64(len(e.head)) {
			p[i] = e.head[e.read]
		} else {
			p[i] = 'x'
		}
		e.read++
	}
	return i, nil
}

// An item of a JSON array is bounded while it is read: an item past the
// spec size limit is refused with 413 naming it, after the server has read
// little more than the limit of it, not the whole upload.
func TestBatchItemBoundedWhileDecoding(t *testing.T) {
	const maxSpec = 1 << 10 // the test server's MaxSpecBytes
	h := New(Config{Jobs: newFakeService(), Batches: newFakeService(), Logger: quiet,
		Limits: sandpit.Limits{MaxSpecBytes: maxSpec}})
	for _, tc := range []struct {
		name, head, where string
	}{
		{"an item's string", `{"jobs": [{"code": "x"}, {"code": "`, "jobs[1]: item is larger than 1024 bytes"},
		{"blanks before an item", `{"jobs": [{"code": "x"},` + strings.Repeat(" ", 2*maxSpec+itemSlack), "larger than 1024 bytes"},
		{"a key", `{"`, "request body: a JSON value or run of blanks is larger than 1024 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &endlessItem{head: tc.head, n: 64 << 20}
			req := httptest.NewRequest("POST", "/v1/batches", body)
			req.Host = "127.0.0.1"
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 413 || !strings.Contains(rec.Body.String(), tc.where) {
				t.Fatalf("answer = %d %s, want 413 saying %q", rec.Code, rec.Body, tc.where)
			}
			if bound := int64(len(tc.head)) + 2*(maxSpec+itemSlack) + 64<<10; body.read > bound {
				t.Fatalf("the server read %d bytes of the body before refusing it, want at most %d", body.read, bound)
			}
		})
	}
}
