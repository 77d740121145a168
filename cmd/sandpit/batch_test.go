package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// sleepyItems is a batch of n items, each sleeping for seconds and then
// printing its index.
func sleepyItems(n int, seconds float64) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id": "item-%d", "code": "import time\ntime.sleep(%g)\nprint(%d)"}`+"\n", i, seconds, i)
	}
	return b.String()
}

// itemIDs reads the item ids of JSON-lines results.
func itemIDs(t *testing.T, lines []string) []string {
	t.Helper()
	var ids []string
	for _, line := range lines {
		var job sandpit.Job
		if err := json.Unmarshal([]byte(line), &job); err != nil {
			t.Fatalf("result line %q: %v", line, err)
		}
		ids = append(ids, job.ItemID)
	}
	return ids
}

// TestBatchCommand attaches to running batches with `sandpit batch`, and
// interrupts it: the batch runs on unless the user cancels it.
func TestBatchCommand(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1")
	waitReady(t, base, p)
	c, _ := client.New(base)
	ctx := context.Background()
	itemsFile := func(n int, seconds float64) string {
		file := filepath.Join(t.TempDir(), "in.jsonl")
		if err := os.WriteFile(file, []byte(sleepyItems(n, seconds)), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}

	t.Run("--attach from an index", func(t *testing.T) {
		b, err := c.SubmitBatch(ctx, strings.NewReader(sleepyItems(4, 0.1)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binary, "batch", "--server", base, "--attach", b.ID, "--from", "2")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sandpit batch --attach: %v\n%s", err, stderr.String())
		}
		ids := itemIDs(t, strings.Split(strings.TrimSpace(string(out)), "\n"))
		if strings.Join(ids, ",") != "item-2,item-3" || !strings.Contains(stderr.String(), "2 items in") {
			t.Errorf("items %v, stderr %q; want item-2, item-3", ids, stderr.String())
		}
		for _, args := range [][]string{{"--from", "1", "in.jsonl"}, {"--attach", b.ID, "in.jsonl"}, {"--attach", b.ID, "--from", "-1"}} {
			cmd := exec.Command(binary, append([]string{"batch", "--server", base}, args...)...)
			if out, _ := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 2 {
				t.Errorf("sandpit batch %v: exit %d, want 2 for a usage error\n%s", args, cmd.ProcessState.ExitCode(), out)
			}
		}
		cmd = exec.Command(binary, "batch", "--server", base, "--attach", b.ID, "--from", "9")
		if out, _ := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "has 4 items") {
			t.Errorf("--from past the end: exit %d, %q", cmd.ProcessState.ExitCode(), out)
		}
	})

	// interrupt starts sandpit batch with args, waits for its first
	// result, sends SIGINT and returns the results it wrote, its stderr and
	// its exit code.
	interrupt := func(t *testing.T, args ...string) (lines []string, stderr string, exit int) {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"batch", "--server", base}, args...)...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errs testenv.Buffer
		cmd.Stderr = &errs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if lines = append(lines, sc.Text()); len(lines) == 1 {
				cmd.Process.Signal(syscall.SIGINT)
			}
		}
		cmd.Wait()
		return lines, errs.String(), cmd.ProcessState.ExitCode()
	}
	attachAgain := regexp.MustCompile(`sandpit batch --server (\S+) --attach ([0-9a-f]{32}) --from (\d+)\n`)

	t.Run("Ctrl+C leaves the batch running", func(t *testing.T) {
		lines, stderr, exit := interrupt(t, itemsFile(4, 0.5))
		m := attachAgain.FindStringSubmatch(stderr)
		if exit != exitCancelled || m == nil || m[1] != base || m[3] != fmt.Sprint(len(lines)) {
			t.Fatalf("exit %d after %d results, stderr %q; want %d and how to attach again from %d", exit, len(lines), stderr, exitCancelled, len(lines))
		}
		// The command it gave writes the rest.
		cmd := exec.Command(binary, "batch", "--server", m[1], "--attach", m[2], "--from", m[3])
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", cmd.Args, err)
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(out)), "\n")...)
		if ids := itemIDs(t, lines); strings.Join(ids, ",") != "item-0,item-1,item-2,item-3" {
			t.Errorf("results before and after attaching again: %v", ids)
		}
		if b, err := c.GetBatch(ctx, m[2]); err != nil || b.Counts[sandpit.StatusSucceeded] != 4 {
			t.Errorf("batch = %+v, %v; want its 4 items succeeded", b, err)
		}
	})

	t.Run("--cancel-on-interrupt", func(t *testing.T) {
		_, stderr, exit := interrupt(t, "--cancel-on-interrupt", itemsFile(4, 1))
		m := regexp.MustCompile(`batch ([0-9a-f]{32}) cancelled`).FindStringSubmatch(stderr)
		if exit != exitCancelled || m == nil {
			t.Fatalf("exit %d, stderr %q; want %d and the batch cancelled", exit, stderr, exitCancelled)
		}
		if b, err := c.GetBatch(ctx, m[1]); err != nil || !b.Finished || b.Counts[sandpit.StatusCancelled] == 0 {
			t.Errorf("batch = %+v, %v; want it finished with items cancelled", b, err)
		}
	})

	t.Run("asked on a terminal", func(t *testing.T) {
		cmd := exec.Command(binary, "batch", "--server", base, itemsFile(4, 1))
		tty, err := pty.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		var out testenv.Buffer
		read := make(chan struct{})
		go func() { io.Copy(&out, tty); close(read) }() // ends once the command has exited
		testenv.Eventually(t, 2*time.Minute, func() bool { return strings.Contains(out.String(), `"item_id":"item-0"`) },
			"no result on the terminal: %q", out.String())
		tty.Write([]byte{3}) // Ctrl+C
		testenv.Eventually(t, 30*time.Second, func() bool { return strings.Contains(out.String(), "[y/N]") },
			"not asked whether to cancel: %q", out.String())
		tty.Write([]byte("y\n"))
		cmd.Wait()
		<-read
		m := regexp.MustCompile(`batch ([0-9a-f]{32}) cancelled`).FindStringSubmatch(out.String())
		if cmd.ProcessState.ExitCode() != exitCancelled || m == nil {
			t.Fatalf("exit %d, terminal %q; want %d and the batch cancelled", cmd.ProcessState.ExitCode(), out.String(), exitCancelled)
		}
		if b, err := c.GetBatch(ctx, m[1]); err != nil || b.Counts[sandpit.StatusCancelled] == 0 {
			t.Errorf("batch = %+v, %v; want items cancelled", b, err)
		}
	})
}
