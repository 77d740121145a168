//go:build linux

package proctree

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestThreads names a thread of this process, makes it use CPU time, and
// finds it, by id and name, with that time.
func TestThreads(t *testing.T) {
	const name = "proctree-burn"
	type burnt struct {
		tid int
		cpu time.Duration
	}
	done := make(chan burnt)
	go func() {
		runtime.LockOSThread() // the thread dies with the goroutine, its name with it
		tid := syscall.Gettid()
		if err := os.WriteFile(fmt.Sprintf("/proc/self/task/%d/comm", tid), []byte(name), 0); err != nil {
			t.Error(err)
		}
		start := time.Now()
		for time.Since(start) < 300*time.Millisecond {
		}
		var ru syscall.Rusage
		if err := syscall.Getrusage(rusageThread, &ru); err != nil {
			t.Error(err)
		}
		done <- burnt{tid, time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
		<-done // keep the thread until it has been read
	}()
	b := <-done
	defer close(done)
	threads, err := Threads(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range threads {
		if s.PID != b.tid {
			continue
		}
		if s.Comm != name {
			t.Errorf("thread %d is named %q, want %q", b.tid, s.Comm, name)
		}
		// /proc counts in ticks of 10 ms.
		if d := s.Own - b.cpu; d < -20*time.Millisecond || d > 20*time.Millisecond {
			t.Errorf("thread %d used %v, the thread's own clock says %v", b.tid, s.Own, b.cpu)
		}
		return
	}
	t.Fatalf("no thread %d among the %d of this process", b.tid, len(threads))
}

// rusageThread is Linux's RUSAGE_THREAD: the calling thread's usage.
const rusageThread = 1

func TestThreadsOfNoProcess(t *testing.T) {
	if _, err := Threads(1 << 30); err == nil {
		t.Fatal("Threads of a process that does not exist succeeded")
	}
}
