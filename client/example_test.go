package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/api"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/runner"
	"github.com/sandpit-dev/sandpit/service"
	"github.com/sandpit-dev/sandpit/worker"
)

// serverURL is a whole sandpit (API, Redis queue, worker, Chromium) that the
// examples talk to; fullURL an API whose queue is full once it holds a job.
var serverURL, fullURL string

// hold keeps the job "hold" of fullURL's queue running until it is closed.
var hold = make(chan struct{})

// holdHandler runs the jobs of fullURL's queue: each prints its code, the
// job "hold" once hold is closed.
var holdHandler = queue.HandlerFunc(func(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	if t.Spec.Code == "hold" {
		select {
		case <-hold:
		case <-ctx.Done():
			return sandpit.Result{}, ctx.Err()
		}
	}
	zero := 0
	return sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: &zero, Stdout: t.Spec.Code, Files: []sandpit.File{}}, nil
})

func TestMain(m *testing.M) {
	os.Exit(func() int {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rs, err := redisserver.Start(ctx, "")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer rs.Close()
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		r, err := runner.New(ctx, runner.Config{Assets: page.Handler(), PoolSize: 1, Logger: quiet})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer r.Close()
		o, _ := redis.ParseURL(rs.URL())
		rdb := redis.NewClient(o)
		defer rdb.Close()
		q := queue.New(rdb, queue.Options{Logger: quiet})
		defer q.Close()
		done := make(chan struct{})
		go func() {
			worker.New(q, worker.Chromium(r), worker.Config{Concurrency: 1, Logger: quiet}).Run(ctx)
			close(done)
		}()
		defer func() { cancel(); <-done }()
		web, err := page.NewWeb(page.WebConfig{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		svc := service.New(q, service.Config{Logger: quiet})
		srv := httptest.NewServer(seen.observe(api.New(api.Config{Jobs: svc, Batches: svc, Sessions: svc, Pages: svc, Web: web, Logger: quiet})))
		defer srv.Close()
		serverURL = srv.URL
		// A second API on the same Redis whose queue holds one job and
		// has no worker: its second submission is refused with 429.
		full := queue.New(rdb, queue.Options{Prefix: "full", MaxDepth: 1, Logger: quiet})
		defer full.Close()
		fullDone := make(chan struct{})
		go func() {
			full.Work(ctx, holdHandler, queue.WorkerOptions{Ready: func() int { return 1 }})
			close(fullDone)
		}()
		defer func() { cancel(); <-fullDone }()
		fullSrv := httptest.NewServer(api.New(api.Config{Jobs: service.New(full, service.Config{Logger: quiet}), Logger: quiet}))
		defer fullSrv.Close()
		fullURL = fullSrv.URL
		return m.Run()
	}())
}

func ExampleClient_Run() {
	c, err := client.New(serverURL)
	if err != nil {
		panic(err)
	}
	job, err := c.Run(context.Background(), sandpit.Spec{Code: "print('hello')\n6 * 7"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %q %s\n", job.Status, job.Stdout, *job.Result.Result)
	// Output: succeeded "hello\n" 42
}

func ExampleClient_Run_exception() {
	c, _ := client.New(serverURL)
	job, err := c.Run(context.Background(), sandpit.Spec{Code: "1 / 0"})
	if err != nil {
		panic(err)
	}
	fmt.Println(job.Status, *job.ExitCode, job.Error.Type)
	// Output: failed 1 ZeroDivisionError
}

// A job's rich outputs: each display(obj) call, and a last value with a
// rich repr (as a pandas DataFrame's HTML), is a MIME bundle.
func ExampleClient_Run_outputs() {
	c, _ := client.New(serverURL)
	code := `class Table:
    def _repr_html_(self):
        return '<table><tr><td>1</td></tr></table>'
    def __repr__(self):
        return 'Table()'
display({'application/json': {'a': [1, 2]}}, raw=True)
Table()`
	job, err := c.Run(context.Background(), sandpit.Spec{Code: code})
	if err != nil {
		panic(err)
	}
	data, _ := job.Outputs[0].Text("application/json")
	html, _ := job.Outputs[1].Text("text/html")
	fmt.Println(len(job.Outputs), data, html, *job.Result.Result)
	// Output: 2 {"a":[1,2]} <table><tr><td>1</td></tr></table> Table()
}

func ExampleClient_Submit() {
	c, _ := client.New(serverURL)
	ctx := context.Background()
	job, err := c.Submit(ctx, sandpit.Spec{Code: "import time\ntime.sleep(30)"})
	if err != nil {
		panic(err)
	}
	fmt.Println(job.Status)
	// Poll, or call Run to wait; here the job is cancelled instead.
	if _, err := c.Cancel(ctx, job.ID); err != nil {
		fmt.Println("already ended")
	} else {
		fmt.Println("cancelled")
	}
	// Output:
	// queued
	// cancelled
}

func ExampleClient_Run_invalid() {
	c, _ := client.New(serverURL)
	_, err := c.Run(context.Background(), sandpit.Spec{Code: "x", TimeoutMS: -1})
	var e *sandpit.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Message)
	}
	// Output: invalid timeout_ms: must not be negative
}

func ExampleClient_SubmitBatch() {
	c, _ := client.New(serverURL)
	ctx := context.Background()
	items := strings.NewReader(`{"id": "add", "code": "def add(a, b): return a + b", "test": "assert add(2, 3) == 5"}
{"id": "sub", "code": "def add(a, b): return a - b", "test": "assert add(2, 3) == 5"}
`)
	b, err := c.SubmitBatch(ctx, items)
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Total, "items")
	for job, err := range c.BatchResults(ctx, b.ID) {
		if err != nil {
			panic(err)
		}
		fmt.Println(job.ItemID, *job.Passed)
	}
	// Output:
	// 2 items
	// add true
	// sub false
}

func ExampleClient_CreatePage() {
	c, _ := client.New(serverURL)
	p, err := c.CreatePage(context.Background(), sandpit.Spec{Code: "print('hello from your browser')"})
	if err != nil {
		panic(err)
	}
	// Hand p.URL to the user, or embed it: <iframe src="{p.URL}">. The code
	// runs in the browser that opens it, until the page expires.
	fmt.Println(p.URL == serverURL+"/p/"+p.ID, time.Until(p.ExpiresAt).Round(time.Hour))
	// Output: true 24h0m0s
}

func ExampleClient_Get_notFound() {
	c, _ := client.New(serverURL)
	_, err := c.Get(context.Background(), "0123456789abcdef0123456789abcdef")
	// The server's error codes match sandpit's sentinel errors.
	fmt.Println(errors.Is(err, sandpit.ErrNotFound))
	// The HTTP status and Retry-After are kept on the error.
	if e, ok := errors.AsType[*client.Error](err); ok {
		fmt.Println(e.StatusCode, e.Err.Message)
	}
	// Output:
	// true
	// 404 job not found
}

func ExampleClient_Wait() {
	c, _ := client.New(serverURL)
	ctx := context.Background()
	job, err := c.Submit(ctx, sandpit.Spec{Code: "import time\ntime.sleep(0.2)\nprint('done')"})
	if err != nil {
		panic(err)
	}
	job, err = c.Wait(ctx, job.ID)
	if err != nil {
		panic(err)
	}
	fmt.Print(job.Status, " ", job.Stdout)
	// Output: succeeded done
}

func ExampleClient_File() {
	c, _ := client.New(serverURL)
	ctx := context.Background()
	job, err := c.Run(ctx, sandpit.Spec{Code: "open('report.txt', 'w').write('all good')"})
	if err != nil {
		panic(err)
	}
	data, err := c.File(ctx, job.ID, "report.txt")
	if err != nil {
		panic(err)
	}
	fmt.Println(job.Files[0].Path, job.Files[0].MimeType, string(data))
	// Output: report.txt text/plain; charset=utf-8 all good
}

func ExampleWithIdempotencyKey() {
	c, _ := client.New(serverURL)
	// A key of the caller's own, kept with the work it stands for, makes a
	// submission safe to repeat, even from another process after a crash.
	ctx := client.WithIdempotencyKey(context.Background(), "eval-42-sample-7")
	a, _ := c.Submit(ctx, sandpit.Spec{Code: "print(7)"})
	b, _ := c.Submit(ctx, sandpit.Spec{Code: "print(7)"})
	fmt.Println(a.ID == b.ID)
	// Output: true
}

func ExampleClient_BatchEvents() {
	c, _ := client.New(serverURL)
	ctx := context.Background()
	b, err := c.SubmitBatch(ctx, strings.NewReader(`{"code": "print(1)"}
{"code": "1 / 0"}
`))
	if err != nil {
		panic(err)
	}
	for ev, err := range c.BatchEvents(ctx, b.ID) {
		if err != nil {
			panic(err)
		}
		if ev.Type == "done" {
			fmt.Println(ev.Batch.Done, "done:", ev.Batch.Counts)
		}
	}
	// Output: 2 done: map[failed:1 succeeded:1]
}

func ExampleClient_Info() {
	c, _ := client.New(serverURL)
	info, err := c.Info(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(info.PythonVersion, info.Limits.MaxTimeoutMS, info.Packages)
	// Output: 3.14.2 300000 []
}

func ExampleClient_RunStream() {
	c, _ := client.New(serverURL)
	job, err := c.RunStream(context.Background(), sandpit.Spec{Code: "for i in range(3):\n    print('step', i)"},
		func(ev sandpit.Event) {
			if ev.Type == sandpit.EventStdout {
				fmt.Print(ev.Data) // as the code prints it
			}
		})
	fmt.Println(job.Status, err)
	// Output:
	// step 0
	// step 1
	// step 2
	// succeeded <nil>
}
