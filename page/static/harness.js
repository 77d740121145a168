// The page side of a sandbox host. The page makes a snapshot of a ready
// interpreter once, then keeps one fresh worker booted from it, ready for
// the next job. Each job runs in its own worker, which is terminated when
// the job ends: no interpreter ever runs two jobs.
//
// The page enforces each job's limits from outside its worker: the
// wall-clock timeout terminates the worker, and output is capped here
// whatever the worker claims. Everything a worker sends is untrusted: the
// job's Python code can post messages of its own through the js module, so
// the page accepts only the shapes it expects, and only from that worker.

const WORKER_URL = "/worker.js";

// The compiled module and the snapshot every sandbox boots from.
let base = null;

// spawnWorker starts a worker and resolves with it once it posted "ready"
// (or, for the snapshot maker, "snapshot").
function spawnWorker(boot, expect) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_URL, { type: "module", name: "sandpit" });
    w.onmessage = (ev) => {
      const m = ev.data;
      if (!m || typeof m !== "object") return;
      if (m.type === expect) {
        w.onmessage = null;
        w.onerror = null;
        resolve({ worker: w, message: m });
      } else if (m.type === "fatal") {
        w.terminate();
        reject(new Error(String(m.message)));
      }
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      w.terminate();
      reject(new Error("worker failed to start: " + (ev.message || "unknown error")));
    };
    w.postMessage(boot);
  });
}

async function makeBase() {
  const { preload } = await (await fetch("/config.json")).json();
  const [{ worker, message }, stdlib, lock] = await Promise.all([
    spawnWorker({ type: "make", preload }, "snapshot"),
    fetch("/pyodide/python_stdlib.zip").then((r) => r.blob()),
    fetch("/pyodide/pyodide-lock.json").then((r) => r.json()),
  ]);
  worker.terminate();
  const { module, snapshot, files, loaded } = message;
  return { module, snapshot, files, loaded, stdlib: URL.createObjectURL(stdlib), lock };
}

// Each worker gets an interrupt buffer of its own: on a timeout the page
// raises KeyboardInterrupt in the interpreter before it terminates the
// worker, since Chromium stops a busy worker only seconds after terminate().
const interrupts = new WeakMap();

function interruptBuffer() {
  return globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
}

function spawnSandbox() {
  // The snapshot is copied into each worker, never shared: a job must not
  // be able to write to the bytes the next interpreter starts from.
  const interrupt = interruptBuffer();
  return spawnWorker({ type: "boot", ...base, interrupt }, "ready").then((r) => {
    interrupts.set(r.worker, interrupt);
    return r.worker;
  });
}

// The next job's worker, booting or ready.
let next = null;
let busy = false;

// A page opened as sandbox.html#cold boots its one worker from scratch, with
// no snapshot: the naive design, kept as the baseline of `sandpit bench`.
const cold = location.hash === "#cold";

const ready = (async () => {
  if (cold) {
    const interrupt = interruptBuffer();
    next = spawnWorker({ type: "cold", interrupt }, "ready").then((r) => {
      interrupts.set(r.worker, interrupt);
      return r.worker;
    });
  } else {
    base = await makeBase();
    next = spawnSandbox();
  }
  await next;
  return true;
})();

// sandpitReady resolves when the host can take a job.
globalThis.sandpitReady = async () => {
  await ready;
  if (next === null) throw new Error("host has no sandbox to offer");
  await next;
  return true;
};

class Stream {
  constructor(limit) {
    this.limit = limit;
    this.chunks = [];
    this.size = 0;
    this.truncated = false;
  }
  freeze() {
    this.frozen = true;
  }
  write(bytes) {
    if (!(bytes instanceof Uint8Array) || this.frozen) return;
    const room = this.limit - this.size;
    if (bytes.length > room) {
      this.truncated = true;
      bytes = bytes.subarray(0, Math.max(room, 0));
    }
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
  }
  text() {
    const all = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder("utf-8").decode(all);
  }
}

// runIn runs one job in worker w and resolves with its outcome. The worker
// is terminated after the job, unless keep is set (a session's worker),
// in which case it is terminated only when it does not stop on a timeout,
// and the outcome says so with stopped.
function runIn(w, spec, limits, keep = false) {
  return new Promise((resolve) => {
    const stdout = new Stream(limits.max_output_bytes);
    const stderr = new Stream(limits.max_output_bytes);
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      w.onmessage = null;
      w.onerror = null;
      const stopped = !keep || outcome.stopped === true;
      if (stopped) w.terminate();
      resolve({
        stopped,
        ...outcome,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdout_truncated: stdout.truncated,
        stderr_truncated: stderr.truncated,
      });
    };
    // On timeout the output is frozen as it is, the interpreter is
    // interrupted, and the worker is terminated once it stops or after a
    // short grace, whichever comes first.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stdout.freeze();
      stderr.freeze();
      const interrupt = interrupts.get(w);
      if (!interrupt) return finish({ status: "timeout", stopped: true });
      Atomics.store(interrupt, 0, 2); // SIGINT
      // A session's interpreter is worth a longer wait: stopping it ends
      // the session.
      setTimeout(() => finish({ status: "timeout", stopped: true }), keep ? 2000 : 250);
    }, limits.timeout_ms);
    w.onmessage = (ev) => {
      const m = ev.data;
      if (!m || typeof m !== "object") return;
      if (m.type === "out") {
        (m.fd === 2 ? stderr : stdout).write(m.data);
      } else if (m.type === "done" && timedOut) {
        finish({ status: "timeout" });
      } else if (m.type === "done" && typeof m.result === "string") {
        let outcome;
        try {
          outcome = JSON.parse(m.result);
        } catch {
          outcome = { status: "error", message: "sandbox sent a malformed result" };
        }
        if (!outcome || typeof outcome !== "object") {
          outcome = { status: "error", message: "sandbox sent a malformed result" };
        } else if (m.memory_limit === true) {
          outcome = { ...outcome, status: "memory_limit", exit_code: null, result: null, files: [] };
        }
        finish(outcome);
      } else if (m.type === "fatal") {
        finish({ status: "error", message: String(m.message), stopped: true });
      }
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      finish({ status: "error", message: "sandbox worker failed: " + (ev.message || "unknown error"), stopped: true });
    };
    w.postMessage({ type: "run", spec: JSON.stringify({ ...spec, _limits: limits, _session: keep }), limits, keep });
  });
}

// sandpitRun runs one job in the ready worker and resolves with its outcome
// as a JSON string. limits: {timeout_ms, max_output_bytes, max_files,
// max_file_bytes}. The next worker starts booting at once.
globalThis.sandpitRun = async (spec, limits) => {
  if (busy) throw new Error("host is busy");
  busy = true;
  try {
    await ready;
    const w = await next;
    next = null;
    return JSON.stringify(await runIn(w, spec, limits));
  } finally {
    // The next worker boots once the job is over, so that it takes no CPU
    // from the job, and once its result is on its way: handing the worker
    // its snapshot copies tens of megabytes.
    if (!cold) {
      next = new Promise((resolve) => setTimeout(() => resolve(spawnSandbox()), 0));
      next.catch(() => {}); // reported by sandpitReady
    }
    busy = false;
  }
};

// A host given to a session keeps one worker for all the session's runs,
// so that the interpreter's state lasts from one run to the next. Once that
// worker had to be stopped, the session is over.
let session = null;

// sandpitSessionRun runs one job of the session in the session's worker,
// taking the host's ready worker for it on the first run. Runs go one after
// another: one that comes while another is still going (say, the other's
// caller gave up on it) waits for it.
let sessionQueue = Promise.resolve();

globalThis.sandpitSessionRun = (spec, limits) => {
  const run = sessionQueue.then(() => runInSessionWorker(spec, limits));
  sessionQueue = run.catch(() => {});
  return run;
};

async function runInSessionWorker(spec, limits) {
  await ready;
  if (session === null) {
    session = await next;
    next = null;
  }
  if (session === "stopped") throw new Error("the session's interpreter was stopped");
  const outcome = await runIn(session, spec, limits, true);
  if (outcome.stopped) session = "stopped";
  return JSON.stringify(outcome);
}

// sandpitSessionInterrupt raises KeyboardInterrupt in the session's
// running code, for a run whose caller has gone.
globalThis.sandpitSessionInterrupt = () => {
  const buffer = session && session !== "stopped" ? interrupts.get(session) : null;
  if (buffer) Atomics.store(buffer, 0, 2); // SIGINT
};
