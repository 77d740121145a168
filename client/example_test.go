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
)

// serverURL is a whole sandpit (API, Redis queue, worker, Chromium) that the
// examples talk to.
var serverURL string

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
			q.Work(ctx, queue.HandlerFunc(func(ctx context.Context, t queue.Task) (sandpit.Result, error) {
				return r.Run(ctx, t.Spec)
			}), queue.WorkerOptions{Ready: r.Ready})
			close(done)
		}()
		defer func() { cancel(); <-done }()
		web, err := page.NewWeb(page.WebConfig{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		svc := service.New(q, service.Config{Logger: quiet})
		srv := httptest.NewServer(api.New(api.Config{Jobs: svc, Batches: svc, Pages: svc, Web: web, Logger: quiet}))
		defer srv.Close()
		serverURL = srv.URL
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
