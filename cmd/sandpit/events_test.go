package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// sseEvent is one server-sent event, with when it arrived.
type sseEvent struct {
	id, event, data string
	at              time.Time
}

// readEvents reads server-sent events from resp until it ends.
func readEvents(t *testing.T, resp *http.Response) []sseEvent {
	t.Helper()
	defer resp.Body.Close()
	var out []sseEvent
	var ev sseEvent
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.event != "" {
				ev.at = time.Now()
				out = append(out, ev)
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
	return out
}

// streamRun posts spec to path asking for its events.
func streamRun(t *testing.T, url, spec string) []sseEvent {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(spec))
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("POST %s for events = %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return readEvents(t, resp)
}

// A job that prints with pauses is seen line by line while it runs, in
// real Chromium, and a reader that comes back later with the id of an
// event misses nothing after it.
func TestServeEvents(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1")
	waitReady(t, base, p)

	code := `{"code": "import sys, time\nfor i in range(3):\n    print('line', i)\n    time.sleep(0.6)\nprint('oops', file=sys.stderr)\n6 * 7"}`
	events := streamRun(t, base+"/v1/run", code)
	var stdout []sseEvent
	var stderr, done *sseEvent
	for i, ev := range events {
		switch ev.event {
		case "stdout":
			stdout = append(stdout, ev)
		case "stderr":
			stderr = &events[i]
		case "done":
			done = &events[i]
		}
	}
	if done == nil || len(stdout) < 3 || stderr == nil {
		t.Fatalf("events %+v: want at least 3 stdout, a stderr and a done", events)
	}
	// The lines came as they were printed, not all at the end.
	if gap := done.at.Sub(stdout[0].at); gap < time.Second {
		t.Errorf("the first line came %v before the end, want the run's pauses (1.8 s) between", gap)
	}
	var text strings.Builder
	for _, ev := range stdout {
		var d struct{ Data string }
		if err := json.Unmarshal([]byte(ev.data), &d); err != nil || ev.id == "" {
			t.Fatalf("stdout event %+v: %v", ev, err)
		}
		text.WriteString(d.Data)
	}
	if text.String() != "line 0\nline 1\nline 2\n" {
		t.Errorf("stdout events hold %q", text.String())
	}
	var job sandpit.Job
	if err := json.Unmarshal([]byte(done.data), &job); err != nil || job.Status != sandpit.StatusSucceeded ||
		job.Result.Result == nil || *job.Result.Result != "42" || job.Stdout != text.String() {
		t.Fatalf("done event: %+v, %v", job, err)
	}

	// A reader that comes back after the first line gets the rest.
	req, _ := http.NewRequest("GET", base+"/v1/jobs/"+job.ID+"/events", nil)
	req.Header.Set("Last-Event-ID", stdout[0].id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rest []string
	for _, ev := range readEvents(t, resp) {
		rest = append(rest, ev.event)
	}
	if strings.Join(rest, ",") != strings.Repeat("stdout,", len(stdout)-1)+"stderr,done" {
		t.Errorf("events after the first line: %v", rest)
	}
}
