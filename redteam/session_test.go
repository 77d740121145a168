package redteam

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// A session's code runs during its runs only: what a run leaves behind
// (asyncio tasks, callbacks, JavaScript timers, a message loop) must not
// run on between runs, where no timeout bounds it.
func TestKeepCodeRunningBetweenSessionRuns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start string // run 1: starts the leftovers and lets them tick
		check string // run 2, after a pause: prints OK or what ran
	}{
		{
			name: "an endless asyncio task, a call_soon chain and a setInterval",
			start: `import asyncio, js
from pyodide.ffi import create_proxy
ticks = {"task": 0, "soon": 0, "interval": 0}
last = {}
def tick(kind):
    ticks[kind] += 1
    last[kind] = js.Date.now()
async def forever():
    while True:
        tick("task")
        await asyncio.sleep(0.01)
task = asyncio.create_task(forever())
loop = asyncio.get_event_loop()
def soon():
    tick("soon")
    loop.call_soon(soon)
loop.call_soon(soon)
interval = js.setInterval(create_proxy(lambda: tick("interval")), 10)
await asyncio.sleep(0.3)
print(all(n > 3 for n in ticks.values()), ticks)`,
			check: `import asyncio, js
idle = {k: js.Date.now() - v for k, v in last.items()}
before = dict(ticks)
await asyncio.sleep(0.3)
if before == ticks and all(ms >= 900 for ms in idle.values()) and task.cancelled():
    print("OK")
else:
    print("ran on:", "ticks", before, ticks, "ms since last tick", idle, "task cancelled", task.cancelled())`,
		},
		{
			name: "a task that swallows its cancellation, and a message loop",
			start: `import asyncio, js
from pyodide.ffi import create_proxy
ticks = {"stubborn": 0, "ping": 0}
gap = {"ping": 0}
prev = {"ping": js.Date.now()}
async def stubborn():
    while True:
        try:
            ticks["stubborn"] += 1
            await asyncio.sleep(0.01)
        except BaseException:
            pass
task = asyncio.create_task(stubborn())
ch = js.MessageChannel.new()
def ping(ev):
    now = js.Date.now()
    gap["ping"] = max(gap["ping"], now - prev["ping"])
    prev["ping"] = now
    ticks["ping"] += 1
    ch.port2.postMessage(0)
ch.port1.onmessage = create_proxy(ping)
ch.port2.postMessage(0)
await asyncio.sleep(0.3)
gap["ping"] = 0
print(all(n > 3 for n in ticks.values()), ticks)`,
			// The message loop can be stopped by nothing inside the worker:
			// it goes on during later runs, under their timeouts, and
			// must have stood still between them.
			check: `stubborn = ticks["stubborn"]
import asyncio
await asyncio.sleep(0.3)
if ticks["stubborn"] == stubborn and gap["ping"] >= 900:
    print("OK")
else:
    print("ran on:", ticks, "longest pause of the message loop (ms)", gap["ping"])`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			s, res, err := full.runner.OpenSession(ctx, sandpit.Spec{Code: "pass"})
			if err != nil || s == nil {
				t.Fatalf("OpenSession: %+v, %v", res, err)
			}
			defer s.Close()
			res, err = s.Run(ctx, sandpit.Spec{Code: tc.start, TimeoutMS: 10000})
			if err != nil || !strings.HasPrefix(res.Stdout, "True") {
				t.Fatalf("run 1: %v; stdout %q, error %+v", err, res.Stdout, res.Error)
			}
			// What would run on between runs has a second to show itself.
			time.Sleep(time.Second)
			res, err = s.Run(ctx, sandpit.Spec{Code: tc.check, TimeoutMS: 10000})
			if err != nil || res.Stdout != "OK\n" {
				t.Fatalf("run 2: %v; stdout %q, error %+v", err, res.Stdout, res.Error)
			}
		})
	}
}
