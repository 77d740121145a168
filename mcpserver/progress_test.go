package mcpserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// slowJob prints two lines, the first after a quiet while.
func slowJob(spec sandpit.Spec) ([]step, sandpit.Job) {
	steps := []step{
		{after: 400 * time.Millisecond, ev: sandpit.Event{Type: sandpit.EventStdout, Data: "line 1\n"}},
		{after: 300 * time.Millisecond, ev: sandpit.Event{Type: sandpit.EventStderr, Data: "warning 1\n"}},
		{after: 10 * time.Millisecond, ev: sandpit.Event{Type: sandpit.EventStdout, Data: "line 2\n"}},
		{after: 300 * time.Millisecond, ev: sandpit.Event{Type: sandpit.EventStatus, Data: "running"}},
	}
	return steps, sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
		Stdout: "line 1\nline 2\n", Stderr: "warning 1\n", Files: []sandpit.File{}}}
}

// While a run lasts, a client that gave a progress token hears progress,
// and every client hears the output as log messages, before the result:
// with the protocol of 2025-11-25 (the TypeScript SDK's) and the latest,
// which asks for log messages in the request itself.
func TestProgressDuringARun(t *testing.T) {
	url := server(t, &recorder{finish: slowJob}, Options{ProgressEvery: 50 * time.Millisecond})
	for _, version := range []string{"2025-11-25", ""} {
		t.Run("protocol "+version, func(t *testing.T) {
			h := &heard{}
			cs := dial(t, url, "k1", version, h)
			params := &mcp.CallToolParams{Name: "run_python", Arguments: map[string]any{"code": "slow"},
				Meta: mcp.Meta{mcp.MetaKeyLogLevel: "info"}}
			params.SetProgressToken("call-1")
			res, err := cs.CallTool(context.Background(), params)
			if err != nil || res.IsError {
				t.Fatalf("CallTool = %+v, %v", res, err)
			}
			// Notifications go out on the call's own stream, before its
			// answer: all have been handled once the call returns.
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.progress) < 5 {
				t.Fatalf("%d progress notifications during a run of 1 s, want one every 50ms", len(h.progress))
			}
			last := -1.0
			for _, p := range h.progress {
				if p.ProgressToken != "call-1" || p.Progress <= last || !strings.HasPrefix(p.Message, "job j") {
					t.Fatalf("progress %+v after %v: want the call's token, a growing progress and what the job does", p, last)
				}
				last = p.Progress
			}
			if m := h.progress[len(h.progress)-1].Message; !strings.Contains(m, ": running, ") || !strings.Contains(m, "3 lines of output") {
				t.Errorf("the last progress says %q, want the lines printed", m)
			}
			var stdout, stderr strings.Builder
			for _, l := range h.logs {
				s, _ := l.Data.(string)
				switch {
				case l.Logger == "stdout" && l.Level == "info":
					stdout.WriteString(s)
				case l.Logger == "stderr" && l.Level == "warning":
					stderr.WriteString(s)
				default:
					t.Errorf("log message %+v", l)
				}
			}
			if stdout.String() != "line 1\nline 2\n" || stderr.String() != "warning 1\n" {
				t.Errorf("logged stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
	t.Run("a call that asks for no progress", func(t *testing.T) {
		h := &heard{}
		cs := dial(t, url, "k1", "2025-11-25", h)
		res := call(t, cs, "run_python", map[string]any{"code": "slow"})
		if res.IsError || !strings.Contains(text(res), "stdout:\nline 1\nline 2\n") {
			t.Fatalf("IsError %v, text %q", res.IsError, text(res))
		}
		if p, _ := h.counts(); p != 0 {
			t.Errorf("%d progress notifications without a progress token", p)
		}
	})
}

// A run that prints more than a result holds sends no more of it as log
// messages either, and says that the rest comes with the result.
func TestLoggedOutputIsBounded(t *testing.T) {
	long := strings.Repeat("0123456789abcdef\n", 1000) // 17,000 characters a piece
	url := server(t, &recorder{finish: func(sandpit.Spec) ([]step, sandpit.Job) {
		var steps []step
		for range 4 {
			steps = append(steps, step{after: 250 * time.Millisecond, ev: sandpit.Event{Type: sandpit.EventStdout, Data: long}})
		}
		return steps, sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0),
			Stdout: strings.Repeat(long, 4), Files: []sandpit.File{}}}
	}}, Options{MaxText: 20000})
	h := &heard{}
	cs := dial(t, url, "k1", "2025-11-25", h)
	call(t, cs, "run_python", map[string]any{"code": "long"})
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, l := range h.logs {
		n += len(l.Data.(string))
	}
	last, _ := h.logs[len(h.logs)-1].Data.(string)
	if n > 20200 || !strings.Contains(last, "comes with its result") {
		t.Errorf("%d characters logged in %d messages, the last ending %q; want at most the cap and a note", n, len(h.logs), last[max(0, len(last)-100):])
	}
}
