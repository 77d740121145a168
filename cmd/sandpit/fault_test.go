package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// Fault injection with real processes: an api and workers as separate
// sandpit processes on a real redis-server, killed and restarted mid-run.

// deployment is a redis-server, one api and some workers.
type deployment struct {
	redis   *redisserver.Server
	base    string
	api     *proc
	workers []*proc
	client  *client.Client
}

func deploy(t *testing.T, workers int, workerArgs ...string) *deployment {
	t.Helper()
	return deployWith(t, workers, workerArgs, nil)
}

// deployWith is deploy with flags for the workers and for the api.
func deployWith(t *testing.T, workers int, workerArgs, apiArgs []string) *deployment {
	t.Helper()
	rs, err := redisserver.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Kill() })
	d := &deployment{redis: rs}
	for range workers {
		args := append([]string{"worker", "--redis-url", rs.URL(), "--pool-size", "1"}, workerArgs...)
		d.workers = append(d.workers, start(t, args...))
	}
	addr := freeAddr(t)
	d.base = "http://" + addr
	d.api = start(t, append([]string{"api", "--addr", addr, "--redis-url", rs.URL()}, apiArgs...)...)
	waitReady(t, d.base, d.api)
	d.client, _ = client.New(d.base)
	return d
}

// waitStatus polls a job until it has one of the statuses.
func (d *deployment) waitStatus(t *testing.T, id string, within time.Duration, want ...sandpit.Status) sandpit.Job {
	t.Helper()
	var job sandpit.Job
	testenv.Eventually(t, within, func() bool {
		var err error
		job, err = d.client.Get(context.Background(), id)
		return err == nil && slices.Contains(want, job.Status)
	}, "job %s is not %v", id, want)
	return job
}

// holder returns the worker whose log shows it started job id.
func (d *deployment) holder(t *testing.T, id string) *proc {
	t.Helper()
	var holder *proc
	testenv.Eventually(t, 30*time.Second, func() bool {
		for _, w := range d.workers {
			if strings.Contains(w.out.String(), `"job started","job":"`+id) {
				holder = w
			}
		}
		return holder != nil
	}, "no worker started job %s", id)
	return holder
}

func TestWorkerKilledMidJobIsTakenOver(t *testing.T) {
	d := deploy(t, 2, "--lease", "2s")
	job, err := d.client.Submit(context.Background(), sandpit.Spec{Code: "import time\ntime.sleep(3)\nprint('done')", TimeoutMS: 30000})
	if err != nil {
		t.Fatal(err)
	}
	d.waitStatus(t, job.ID, time.Minute, sandpit.StatusRunning)
	victim := d.holder(t, job.ID)
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.done
	got := d.waitStatus(t, job.ID, 2*time.Minute, sandpit.StatusSucceeded, sandpit.StatusFailed, sandpit.StatusError, sandpit.StatusTimeout)
	if got.Status != sandpit.StatusSucceeded || got.Stdout != "done\n" {
		t.Fatalf("job after its worker was killed: %+v", got)
	}
	finished := 0
	for _, w := range d.workers {
		finished += strings.Count(w.out.String(), `"job finished","job":"`+job.ID)
	}
	if finished != 1 {
		t.Fatalf("the job's result was recorded by %d workers, want 1", finished)
	}
}

func TestWorkerSIGTERMFinishesJobInFlight(t *testing.T) {
	d := deploy(t, 1, "--shutdown-grace", "20s")
	job, err := d.client.Submit(context.Background(), sandpit.Spec{Code: "import time\ntime.sleep(2)\nprint('done')"})
	if err != nil {
		t.Fatal(err)
	}
	d.waitStatus(t, job.ID, time.Minute, sandpit.StatusRunning)
	if code := d.workers[0].stop(t); code != 0 {
		t.Fatalf("worker exited %d after SIGTERM, want 0", code)
	}
	got, err := d.client.Get(context.Background(), job.ID)
	if err != nil || got.Status != sandpit.StatusSucceeded || got.Stdout != "done\n" {
		t.Fatalf("job after SIGTERM = %+v, %v; want it finished", got, err)
	}
}

func TestRedisRestartLosesNoAcceptedJob(t *testing.T) {
	d := deploy(t, 1)
	var ids []string
	for range 4 {
		job, err := d.client.Submit(context.Background(), sandpit.Spec{Code: "import time\ntime.sleep(0.5)\nprint('ok')"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, job.ID)
	}
	// Redis writes each command to its append-only file before it answers,
	// so a killed redis-server keeps every job it accepted.
	dir := d.redis.Dir()
	d.redis.Kill()
	testenv.Eventually(t, 10*time.Second, func() bool {
		resp, err := http.Get(d.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 503
	}, "/readyz did not report not ready while Redis was down")
	rs, err := redisserver.Start(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	d.redis = rs
	t.Cleanup(func() { rs.Kill() })
	for _, id := range ids {
		got := d.waitStatus(t, id, 2*time.Minute, sandpit.StatusSucceeded, sandpit.StatusFailed, sandpit.StatusError)
		if got.Status != sandpit.StatusSucceeded || got.Stdout != "ok\n" {
			t.Errorf("job %s after the Redis restart: %+v", id, got)
		}
	}
	waitReady(t, d.base, d.api)
}
