package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// fleetWorkers is how many `sandpit worker` processes share the queue at
// first: four, not more, on this 2-CPU machine, where every Chromium
// builds a fresh sandbox after each job and six would mostly wait for the
// CPU.
const fleetWorkers = 4

// finishedCount counts, over the logs of workers, the outcomes recorded
// of job id: each worker logs "job finished" once it has recorded one.
func finishedCount(workers []*proc, id string) int {
	n := 0
	for _, w := range workers {
		n += strings.Count(w.out.String(), `"job finished","job":"`+id+`"`)
	}
	return n
}

// Many workers, one queue: a batch and interactive jobs run on several
// `sandpit worker` processes while half of them are stopped (SIGTERM:
// they drain) and new ones join, which take a second batch once ready.
// Every job ends exactly once, as the workers' own logs count it, with its
// own result; the interactive jobs end while the batch still has items
// waiting, for they never queue behind it.
func TestManyWorkersOneQueue(t *testing.T) {
	workerArgs := []string{"--shutdown-grace", "2m"}
	d := deployWith(t, 1, workerArgs, nil)
	worker := func() *proc {
		return start(t, append([]string{"worker", "--redis-url", d.redis.URL(), "--pool-size", "1"}, workerArgs...)...)
	}
	// The others join one at a time, each with its sandbox ready before
	// the next starts its Chromium, so that a loaded machine's CPU goes to
	// one cold start at a time and what follows hangs on none.
	for n := 2; n <= fleetWorkers; n++ {
		d.workers = append(d.workers, worker())
		waitSandboxes(t, d.base, n)
	}
	ctx := context.Background()
	const items = 24
	batch, err := d.client.SubmitBatch(ctx, strings.NewReader(sleepyItems(items, 0.5)))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 2*time.Minute, func() bool {
		b, err := d.client.GetBatch(ctx, batch.ID)
		return err == nil && b.Done >= 2
	}, "the batch did not start")

	// Interactive jobs come in while the batch runs: each takes the next
	// free worker, before any batch item waiting.
	const interactive = 3
	jobs := make([]sandpit.Job, interactive)
	errs := make([]error, interactive)
	var wg sync.WaitGroup
	for i := range interactive {
		wg.Go(func() {
			jobs[i], errs[i] = d.client.Run(ctx, sandpit.Spec{Code: fmt.Sprintf("print('interactive %d')", i)})
		})
	}
	wg.Wait()
	b, err := d.client.GetBatch(ctx, batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Done >= b.Total {
		t.Errorf("the batch had ended (%d of %d items) when the interactive jobs did: they waited behind it", b.Done, b.Total)
	}
	for i, job := range jobs {
		if errs[i] != nil || job.Status != sandpit.StatusSucceeded || job.Stdout != fmt.Sprintf("interactive %d\n", i) {
			t.Errorf("interactive job %d: %+v, %v", i, job, errs[i])
		}
	}

	// Scale down: two workers get SIGTERM and drain. Scale up: two new
	// ones join. The batch goes on.
	leaving, staying := d.workers[:2], d.workers[2:]
	for _, w := range leaving {
		w.cmd.Process.Signal(syscall.SIGTERM)
	}
	joining := []*proc{worker(), worker()}

	for i, w := range leaving {
		select {
		case <-w.done:
		case <-time.After(2 * time.Minute):
			t.Fatalf("stopped worker %d did not drain and exit within 2 minutes", i+1)
		}
		if code := w.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("stopped worker %d exited %d, want 0", i+1, code)
		}
	}
	// On a loaded machine the first batch can run out before the joiners
	// have a sandbox ready; a second batch comes in once they have, so
	// that there is work for them to take.
	waitSandboxes(t, d.base, fleetWorkers)
	const moreItems = 8
	more, err := d.client.SubmitBatch(ctx, strings.NewReader(sleepyItems(moreItems, 0.5)))
	if err != nil {
		t.Fatal(err)
	}

	all := append(append(append([]*proc{}, leaving...), staying...), joining...)
	ids := make([]string, 0, items+moreItems+interactive)
	for _, bt := range []struct {
		id    string
		items int
	}{{batch.ID, items}, {more.ID, moreItems}} {
		testenv.Eventually(t, 5*time.Minute, func() bool {
			b, err = d.client.GetBatch(ctx, bt.id)
			return err == nil && b.Finished
		}, "batch %s did not finish", bt.id)
		if b.Done != bt.items || b.Counts[sandpit.StatusSucceeded] != bt.items {
			t.Errorf("batch %s: %d items done, %v; want %d succeeded", bt.id, b.Done, b.Counts, bt.items)
		}
		i := 0
		for job, err := range d.client.BatchResults(ctx, bt.id) {
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("%d\n", i); job.Status != sandpit.StatusSucceeded || job.Stdout != want || job.ItemID != fmt.Sprintf("item-%d", i) {
				t.Errorf("batch %s, item %d: %s %q %q, want succeeded %q", bt.id, i, job.Status, job.ItemID, job.Stdout, want)
			}
			ids = append(ids, job.ID)
			i++
		}
		if i != bt.items {
			t.Errorf("batch %s: %d results, want %d", bt.id, i, bt.items)
		}
	}
	for _, job := range jobs {
		ids = append(ids, job.ID)
	}
	total := 0
	for _, id := range ids {
		if n := finishedCount(all, id); n != 1 {
			t.Errorf("job %s: %d outcomes recorded by the workers, want 1", id, n)
		}
	}
	for _, w := range all {
		total += strings.Count(w.out.String(), `"job finished"`)
	}
	if total != len(ids) {
		t.Errorf("the workers recorded %d outcomes for %d jobs", total, len(ids))
	}
	joined := 0
	for _, w := range joining {
		joined += strings.Count(w.out.String(), `"job finished"`)
	}
	if joined == 0 {
		t.Error("the workers that joined mid-run ran no job")
	}
	t.Logf("outcomes recorded: %d by the stopped workers, %d by those that stayed, %d by those that joined",
		countFinished(leaving), countFinished(staying), joined)
}

// waitSandboxes waits until the workers behind the API at base have n
// sandboxes ready in all.
func waitSandboxes(t *testing.T, base string, n int) {
	t.Helper()
	testenv.Eventually(t, 5*time.Minute, func() bool {
		resp, err := http.Get(base + "/readyz/sandboxes")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var c struct {
			SandboxesReady int `json:"sandboxes_ready"`
		}
		return json.NewDecoder(resp.Body).Decode(&c) == nil && c.SandboxesReady >= n
	}, "the workers do not have %d sandboxes ready", n)
}

// countFinished counts the outcomes workers recorded.
func countFinished(workers []*proc) int {
	n := 0
	for _, w := range workers {
		n += strings.Count(w.out.String(), `"job finished"`)
	}
	return n
}
