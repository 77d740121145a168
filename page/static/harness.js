// The page side of one sandbox. It starts a module worker that loads a fresh
// Pyodide, runs exactly one job in it, and enforces the job's limits from
// outside the worker: the wall-clock timeout terminates the worker, and the
// output the worker sends is capped here whatever the worker claims.
//
// Everything the worker sends is untrusted: Python code can post messages of
// its own through the js module. The page only accepts the shapes it expects.

const worker = new Worker("/worker.js", { type: "module", name: "sandpit" });

let readyResolve, readyReject;
const ready = new Promise((resolve, reject) => {
  readyResolve = resolve;
  readyReject = reject;
});

// The job being run, or null.
let job = null;

class Stream {
  constructor(limit) {
    this.limit = limit;
    this.chunks = [];
    this.size = 0;
    this.truncated = false;
  }
  write(bytes) {
    if (!(bytes instanceof Uint8Array)) return;
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

function finish(outcome) {
  if (job === null) return;
  const j = job;
  job = null;
  clearTimeout(j.timer);
  j.resolve(
    JSON.stringify({
      ...outcome,
      stdout: j.stdout.text(),
      stderr: j.stderr.text(),
      stdout_truncated: j.stdout.truncated,
      stderr_truncated: j.stderr.truncated,
    }),
  );
}

worker.onmessage = (ev) => {
  const m = ev.data;
  if (m === null || typeof m !== "object") return;
  switch (m.type) {
    case "ready":
      readyResolve(true);
      break;
    case "fatal":
      readyReject(new Error(String(m.message)));
      if (job) finish({ status: "error", message: String(m.message) });
      break;
    case "out":
      if (job) (m.fd === 2 ? job.stderr : job.stdout).write(m.data);
      break;
    case "done":
      if (job && typeof m.result === "string") {
        let outcome;
        try {
          outcome = JSON.parse(m.result);
        } catch {
          outcome = { status: "error", message: "sandbox sent a malformed result" };
        }
        finish(outcome);
      }
      break;
  }
};

worker.onerror = (ev) => {
  ev.preventDefault();
  const message = "sandbox worker failed: " + (ev.message || "unknown error");
  readyReject(new Error(message));
  finish({ status: "error", message });
};

// sandpitReady resolves when the interpreter is loaded and idle.
globalThis.sandpitReady = () => ready;

// sandpitRun runs one job and resolves with its outcome as a JSON string.
// limits: {timeout_ms, max_output_bytes}.
globalThis.sandpitRun = async (spec, limits) => {
  await ready;
  if (job !== null) throw new Error("sandbox is busy");
  return new Promise((resolve) => {
    job = {
      resolve,
      stdout: new Stream(limits.max_output_bytes),
      stderr: new Stream(limits.max_output_bytes),
      timer: setTimeout(() => {
        worker.terminate();
        finish({ status: "timeout" });
      }, limits.timeout_ms),
    };
    worker.postMessage({ type: "run", spec: JSON.stringify({ ...spec, _limits: limits }), limits });
  });
};
