package client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
)

// pausing prints three lines with pauses between them.
const pausing = "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(0.5)\n6 * 7"

// stamped is an event with when it came.
type stamped struct {
	sandpit.Event
	at time.Time
}

// output joins the text of the events of one stream.
func output(events []stamped, stream sandpit.EventType) string {
	var b strings.Builder
	for _, ev := range events {
		if ev.Type == stream {
			b.WriteString(ev.Data)
		}
	}
	return b.String()
}

func TestRunStream(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, serverURL)
	var events []stamped
	job, err := c.RunStream(ctx, sandpit.Spec{Code: pausing}, func(ev sandpit.Event) {
		events = append(events, stamped{ev, time.Now()})
	})
	if err != nil || job.Status != sandpit.StatusSucceeded || job.Result.Result == nil || *job.Result.Result != "42" {
		t.Fatalf("RunStream = %+v, %v", job, err)
	}
	last := events[len(events)-1]
	if last.Type != sandpit.EventDone || last.Job == nil || last.Job.ID != job.ID {
		t.Fatalf("last event %+v, want the job's end", last)
	}
	if out := output(events, sandpit.EventStdout); out != job.Stdout || out != "line 0\nline 1\nline 2\n" {
		t.Errorf("stdout events hold %q, the job %q", out, job.Stdout)
	}
	var first time.Time
	for _, ev := range events {
		if ev.Type == sandpit.EventStdout {
			first = ev.at
			break
		}
	}
	if gap := last.at.Sub(first); gap < time.Second {
		t.Errorf("the first line came %v before the end, want the job's pauses (1.5 s) between", gap)
	}

	t.Run("Events of a job that has ended", func(t *testing.T) {
		var got []sandpit.Event
		for ev, err := range c.Events(ctx, job.ID, "") {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
		}
		if got[0].Type != sandpit.EventStatus || got[0].Data != "succeeded" || got[len(got)-1].Type != sandpit.EventDone {
			t.Fatalf("events %+v, want the status first and the end last", got)
		}
		// After the first line: the others and the end.
		var after string
		for _, ev := range got {
			if ev.Type == sandpit.EventStdout {
				after = ev.ID
				break
			}
		}
		var rest []stamped
		for ev, err := range c.Events(ctx, job.ID, after) {
			if err != nil {
				t.Fatal(err)
			}
			rest = append(rest, stamped{Event: ev})
		}
		if out := output(rest, sandpit.EventStdout); !strings.HasPrefix(job.Stdout, "line 0\n") || "line 0\n"+out != job.Stdout {
			t.Errorf("stdout after the first line %q, job's %q", out, job.Stdout)
		}
	})
	t.Run("Events of an unknown job", func(t *testing.T) {
		for _, err := range c.Events(ctx, unknownID, "") {
			if !errors.Is(err, sandpit.ErrNotFound) {
				t.Errorf("events of an unknown job: %v, want not_found", err)
			}
		}
	})
	t.Run("a Last-Event-ID that is not one", func(t *testing.T) {
		for _, err := range c.Events(ctx, job.ID, "yesterday") {
			if !errors.Is(err, &sandpit.Error{Code: sandpit.EINVALID}) {
				t.Errorf("events after %q: %v, want invalid", "yesterday", err)
			}
		}
	})
}

// A stream that breaks off in the middle of a run is resumed after its
// last event: each line comes once.
func TestRunStreamResumes(t *testing.T) {
	ctx := context.Background()
	target, _ := url.Parse(serverURL)
	p := &faultProxy{target: target}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, client.WithRetry(client.RetryPolicy{MinDelay: 50 * time.Millisecond}))
	p.plan("POST /v1/run", "cut-after-stdout")
	var events []stamped
	job, err := c.RunStream(ctx, sandpit.Spec{Code: pausing}, func(ev sandpit.Event) {
		events = append(events, stamped{Event: ev})
	})
	if err != nil || job.Status != sandpit.StatusSucceeded {
		t.Fatalf("RunStream = %+v, %v", job, err)
	}
	if out := output(events, sandpit.EventStdout); out != "line 0\nline 1\nline 2\n" {
		t.Errorf("stdout events hold %q", out)
	}
	resumed := p.calls("GET /v1/jobs/" + job.ID + "/events")
	if len(resumed) != 1 || resumed[0].lastEventID == "" {
		t.Fatalf("resumed with %+v, want one GET with Last-Event-ID", resumed)
	}
	var firstLine string
	for _, ev := range events {
		if ev.Type == sandpit.EventStdout {
			firstLine = ev.ID
			break
		}
	}
	if resumed[0].lastEventID != firstLine {
		t.Errorf("resumed after %q, want the first line's id %q", resumed[0].lastEventID, firstLine)
	}
}

func TestSessionStreams(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, serverURL)
	s, err := c.CreateSession(ctx, sandpit.SessionSpec{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseSession(ctx, s.ID)
	job, err := c.SubmitInSession(ctx, s.ID, sandpit.Spec{Code: "import time\ntime.sleep(0.3)\nx = 41\nprint('set')"})
	if err != nil || job.ID == "" || job.Status.Terminal() {
		t.Fatalf("SubmitInSession = %+v, %v; want a job that has not ended", job, err)
	}
	var done *sandpit.Job
	var events []stamped
	for ev, err := range c.Events(ctx, job.ID, "") {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, stamped{Event: ev})
		done = ev.Job
	}
	if done == nil || done.Status != sandpit.StatusSucceeded || output(events, sandpit.EventStdout) != "set\n" {
		t.Fatalf("events %+v", events)
	}
	events = nil
	job, err = c.RunInSessionStream(ctx, s.ID, sandpit.Spec{Code: "print(x + 1)"}, func(ev sandpit.Event) {
		events = append(events, stamped{Event: ev})
	})
	if err != nil || job.Stdout != "42\n" || output(events, sandpit.EventStdout) != "42\n" {
		t.Fatalf("RunInSessionStream = %+v, %v; events %+v", job, err, events)
	}
	if _, err := c.SubmitInSession(ctx, unknownID, sandpit.Spec{Code: "1"}); !errors.Is(err, sandpit.ErrNotFound) {
		t.Errorf("SubmitInSession in an unknown session: %v, want not_found", err)
	}
}
