// A host runs jobs, each in a fresh module worker holding a new Pyodide
// interpreter, and enforces each job's limits from outside that worker. Two
// places use it: the headless sandbox page (harness.js), and the frame that
// runs code in a viewer's own browser (the client-side mode).
//
// A host makes a snapshot of a ready interpreter once, then keeps one fresh
// worker booted from it, ready for the next job. Each job runs in its own
// worker, which is terminated when the job ends: no interpreter ever runs
// two jobs. A cold host boots its one worker from scratch instead. A host
// may also be given the snapshot another host made (see snapshotChunk),
// and then makes none.
//
// Everything a worker sends is untrusted: the job's Python code can post
// messages of its own through the js module, so the host accepts only the
// shapes it expects, only from that worker, and caps output whatever the
// worker claims.

import { bootStages } from "./bootstages.js";
import { collectGarbage, idleCollect, packSnapshot, snapshotBytes } from "./snapshot.js";

// Pyodide's files sit next to this module, wherever it is served from.
const assets = new URL("pyodide/", import.meta.url);

// spawnWorker starts a worker from url, of type ("module" or "classic"),
// hands it boot (moving what transfer lists), and resolves with it once it
// posted expect ("ready", or "snapshot" for the snapshot maker).
function spawnWorker(url, type, boot, expect, transfer = []) {
  return new Promise((resolve, reject) => {
    const w = new Worker(url, { type, name: "sandpit" });
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
    w.postMessage(boot, transfer);
  });
}

// Each worker gets an interrupt buffer of its own where the page is
// cross-origin isolated: on a timeout the host raises KeyboardInterrupt in
// the interpreter before it terminates the worker, since Chromium stops a
// busy worker only seconds after terminate(). Elsewhere the worker is
// terminated at once.
function interruptBuffer() {
  return globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
}

// Stream keeps what a job writes to stdout or stderr, up to limit bytes,
// and hands each piece it keeps, as text, to onText as it comes.
export class Stream {
  constructor(limit, onText = null) {
    this.limit = limit;
    this.chunks = [];
    this.size = 0;
    this.truncated = false;
    this.onText = onText;
    this.decoder = onText ? new TextDecoder("utf-8") : null;
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
    if (this.onText) {
      // A character cut between two writes comes with the second.
      const text = this.decoder.decode(bytes, { stream: true });
      if (text) this.onText(text);
    }
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

// Relay hands a job's output to send as it comes, gathering what is written
// within a short while into one piece per stream, so that a loop of small
// prints makes a few messages, not thousands.
export class Relay {
  static wait = 50; // ms
  static most = 16 << 10; // characters held before a piece goes at once
  constructor(send) {
    this.send = send;
    this.pending = []; // [fd, text] in order; the last one grows
    this.size = 0;
    this.timer = null;
  }
  push(fd, text) {
    const last = this.pending[this.pending.length - 1];
    if (last && last[0] === fd) last[1] += text;
    else this.pending.push([fd, text]);
    this.size += text.length;
    if (this.size >= Relay.most) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), Relay.wait);
  }
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const pending = this.pending;
    this.pending = [];
    this.size = 0;
    for (const [fd, text] of pending) {
      try {
        this.send(fd, text);
      } catch {
        // Whoever watches may have gone; the job goes on.
      }
    }
  }
}

// jobLimits are the limits of one job: limits are the server's
// (page.Limits), and the spec may set its own timeout and memory cap.
function jobLimits(spec, limits) {
  return {
    timeout_ms: spec.timeout_ms || limits.default_timeout_ms,
    max_output_bytes: limits.max_output_bytes,
    max_files: limits.max_files,
    max_file_bytes: limits.max_file_bytes,
    max_memory_bytes: (spec.memory_mb || limits.default_memory_mb) * 1024 * 1024,
  };
}

const utf8 = new TextEncoder();

// head returns the head of s that fits in n bytes of UTF-8, cut at a
// character, and whether it was cut.
export function head(s, n) {
  if (s.length * 3 <= n) return [s, false];
  const b = utf8.encode(s);
  if (b.length <= n) return [s, false];
  let end = n;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return [new TextDecoder().decode(b.subarray(0, end)), true];
}

// reportLimit is the size past which a worker's report cannot be one the
// harness built: four capped strings (the result and the error's three
// fields), each up to six characters of JSON a byte, the output files in
// base64, and the rich outputs, up to six characters of JSON a byte.
// (stdout and stderr come apart.)
function reportLimit(limits) {
  return 6 * 4 * limits.max_output_bytes + 2 * limits.max_file_bytes + 6 * limits.max_file_bytes + (1 << 20);
}

// outputs keeps the rich outputs of a worker's report within the caps of
// output files, in count and bytes (of MIME types and data, each a string
// as the harness sends it), whatever the worker claims, and says whether
// any were left out; the reader of the outcome checks what they hold.
function outputs(list, limits) {
  const out = [];
  let total = 0;
  let cut = false;
  for (const bundle of Array.isArray(list) ? list : []) {
    let size = 0;
    if (bundle && typeof bundle === "object") {
      for (const [t, d] of Object.entries(bundle)) size += utf8.encode(t).length + (typeof d === "string" ? utf8.encode(d).length : 0);
    }
    if (out.length >= limits.max_files || total + size > limits.max_file_bytes) {
      cut = true;
      continue;
    }
    total += size;
    out.push(bundle);
  }
  return [out, cut];
}

// report takes from a worker's report the fields a host passes on, with
// its strings capped whatever the worker claims; the reader of the outcome
// checks the rest.
function report(o, limits) {
  const cap = (v) => (typeof v === "string" ? head(v, limits.max_output_bytes) : [v, false]);
  const [result, cut] = cap(o.result);
  const [kept, dropped] = outputs(o.outputs, limits);
  let error = o.error;
  if (error && typeof error === "object") {
    error = { type: cap(error.type)[0], message: cap(error.message)[0], traceback: cap(error.traceback)[0] };
  }
  return {
    status: o.status,
    exit_code: o.exit_code,
    result,
    result_truncated: cut || o.result_truncated === true,
    error,
    files: o.files,
    files_truncated: o.files_truncated === true,
    outputs: kept,
    outputs_truncated: dropped || o.outputs_truncated === true,
    passed: o.passed === true,
  };
}

// failed is the outcome of a job whose sandbox failed while it ran.
function failed(message) {
  return { status: "error", message: head(String(message), 1000)[0], stopped: true };
}

// cancelled is the outcome of a job its caller stopped; its worker is
// terminated, whatever it was doing.
function cancelled() {
  return { status: "cancelled", stopped: true };
}

// runIn runs one job in worker w and resolves with its outcome. The worker
// is terminated after the job, unless keep is set (a session's worker),
// in which case it is terminated only when it does not stop on a timeout,
// and the outcome says so with stopped. A session's worker blocks on its
// gate between runs (see worker.js); the gate is opened for this run.
// onOutput, when given, is called with (1 or 2, text) as the job writes to
// stdout or stderr, all of it before the outcome. control, when given, gets
// a stop function that ends the job at once as cancelled.
function runIn(w, interrupt, spec, serverLimits, keep = false, gate = null, onOutput = null, control = null) {
  const limits = jobLimits(spec, serverLimits);
  return new Promise((resolve) => {
    const relay = onOutput ? new Relay(onOutput) : null;
    const stdout = new Stream(limits.max_output_bytes, relay && ((text) => relay.push(1, text)));
    const stderr = new Stream(limits.max_output_bytes, relay && ((text) => relay.push(2, text)));
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      relay?.flush();
      clearTimeout(timer);
      w.onmessage = null;
      w.onerror = null;
      const stopped = !keep || outcome.stopped === true;
      if (stopped) w.terminate();
      resolve({
        ...outcome,
        stopped,
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
      if (!interrupt) return finish({ status: "timeout", stopped: true });
      Atomics.store(interrupt, 0, 2); // SIGINT
      // A session's interpreter is worth a longer wait: stopping it ends
      // the session.
      setTimeout(() => finish({ status: "timeout", stopped: true }), keep ? 4000 : 250);
    }, limits.timeout_ms);
    if (control) control.stop = () => finish(cancelled());
    w.onmessage = (ev) => {
      const m = ev.data;
      if (!m || typeof m !== "object") return;
      if (m.type === "out") {
        (m.fd === 2 ? stderr : stdout).write(m.data);
      } else if (m.type === "done" && timedOut) {
        finish({ status: "timeout" });
      } else if (m.type === "done" && typeof m.result === "string") {
        if (m.result.length > reportLimit(limits)) {
          finish(failed(`the report was ${m.result.length} characters, over ${reportLimit(limits)}`));
          return;
        }
        let outcome;
        try {
          outcome = JSON.parse(m.result);
        } catch {
          outcome = null;
        }
        if (!outcome || typeof outcome !== "object") {
          finish(failed("sandbox sent a malformed result"));
        } else if (m.memory_limit === true) {
          finish({ ...report(outcome, limits), status: "memory_limit", exit_code: null, result: null, result_truncated: false, files: [], outputs: [], outputs_truncated: false });
        } else {
          finish(report(outcome, limits));
        }
      } else if (m.type === "fatal") {
        finish(failed(m.message));
      }
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      finish(failed("sandbox worker failed: " + (ev.message || "unknown error")));
    };
    if (gate) {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    }
    w.postMessage({ type: "run", spec, limits, session: keep, gate });
  });
}

// Host runs one job at a time, each in a new worker started from
// workerURL: worker.js, or a script that imports it (of workerType).
// preload names packages of the package repository to import into the
// snapshot. A host given to a session keeps one worker for all the
// session's runs instead (runInSession).
export class Host {
  #url;
  #type;
  #cold;
  #preload;
  #shared; // the URL of a snapshot made by another host, or null
  #used = false; // a job or session has been given to the host
  #session = null; // the session's worker, once taken; "stopped" once stopped
  #gate = null; // what the session's worker waits on between runs
  #sessionQueue = Promise.resolve();
  #base = null; // the compiled module and the snapshot every sandbox boots from, kept by its pages
  #next = null; // the next job's worker, booting or ready
  #busy = false;
  #collect = null; // the collection once the host is idle (idleCollect)
  #ready;
  #interrupts = new WeakMap();
  #control = null; // how to stop the job run is running
  #stages = null; // where the last worker's boot spent its time

  constructor({ workerURL, workerType = "module", cold = false, preload = [], shared = null }) {
    this.#url = workerURL;
    this.#type = workerType;
    this.#cold = cold;
    this.#preload = preload;
    this.#shared = shared;
    this.#ready = this.#start();
    this.#ready.catch(() => {}); // reported by ready and run
  }

  async #start() {
    if (this.#cold) {
      this.#next = this.#spawn({ type: "cold" });
    } else {
      this.#base = this.#shared ? await this.#loadBase(this.#shared) : await this.#makeBase();
      this.#next = this.#spawn({ type: "boot" });
    }
    await this.#next;
    // What making the host left behind (the whole snapshot, before it was
    // kept by its pages, among it) is freed before the host takes jobs.
    collectGarbage();
  }

  async #makeBase() {
    const [{ worker, message }, stdlib, lock] = await Promise.all([
      spawnWorker(this.#url, this.#type, { type: "make", preload: this.#preload }, "snapshot"),
      fetch(new URL("python_stdlib.zip", assets)).then((r) => r.blob()),
      fetch(new URL("pyodide-lock.json", assets)).then((r) => r.json()),
    ]);
    worker.terminate();
    const { module, snapshot, files, loaded } = message;
    return { module, snapshot: packSnapshot(snapshot), files, loaded, stdlib: URL.createObjectURL(stdlib), lock };
  }

  // #loadBase takes the snapshot at url, which another host made with
  // nothing preloaded, before it was given any job, compressed with gzip;
  // the module is compiled here, from the same file Pyodide's loader
  // compiles.
  async #loadBase(url) {
    const bytes = (u, gzipped = false) =>
      fetch(u).then((r) => {
        if (!r.ok) throw new Error(`fetch ${u}: ${r.status}`);
        return gzipped ? new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer() : r.arrayBuffer();
      });
    const [module, snapshot, stdlib, lock] = await Promise.all([
      bytes(new URL("pyodide.asm.wasm", assets)).then((b) => WebAssembly.compile(b)),
      bytes(url, true).then((b) => packSnapshot(new Uint8Array(b))),
      fetch(new URL("python_stdlib.zip", assets)).then((r) => r.blob()),
      fetch(new URL("pyodide-lock.json", assets)).then((r) => r.json()),
    ]);
    return { module, snapshot, files: [], loaded: [], stdlib: URL.createObjectURL(stdlib), lock };
  }

  // snapshotChunk returns length bytes of the host's snapshot from offset
  // on, in base64, and its whole size, for other hosts to boot from; null
  // when it has none to share: it was given a job, or a session, before,
  // it took its snapshot from another host, or it preloaded packages, whose
  // files live outside the snapshot.
  async snapshotChunk(offset, length) {
    await this.#ready;
    if (this.#used || this.#cold || this.#shared || this.#base.files.length > 0) return null;
    const s = this.#base.snapshot;
    return { size: s.size, data: snapshotBytes(s, offset, length).toBase64() };
  }

  // #spawn boots a job's worker. Each worker gets a copy of the snapshot of
  // its own, never the host's: a job must not be able to write to the bytes
  // the next interpreter starts from. The copy, of the pages that hold
  // something (snapshot.js), is made here, in one memcpy, and moved to the
  // worker, which is half the cost of letting postMessage clone it.
  #spawn(boot) {
    const interrupt = interruptBuffer();
    const begin = performance.now();
    const kept = this.#base?.snapshot;
    const snapshot = kept && { ...kept, data: kept.data.slice() };
    const copied = performance.now();
    const transfer = snapshot ? [snapshot.data.buffer] : [];
    return spawnWorker(this.#url, this.#type, { ...boot, ...this.#base, snapshot, interrupt }, "ready", transfer).then((r) => {
      this.#interrupts.set(r.worker, interrupt);
      this.#stages = bootStages(begin, copied, performance.now(), r.message);
      return r.worker;
    });
  }

  // bootStages returns how long, in ms, the last worker's boot took in
  // each of its stages (see bootstages.js), or null before the first.
  bootStages() {
    return this.#stages;
  }

  // ready resolves when the host can take a job.
  async ready() {
    await this.#ready;
    if (this.#next === null) throw new Error("host has no sandbox to offer");
    await this.#next;
    return true;
  }

  // run runs one job in the ready worker and resolves with its outcome.
  // limits are the server's (page.Limits); the spec's timeout_ms and
  // memory_mb, when set, are the job's own. onOutput, when given, gets the
  // job's output as it comes (see runIn). The next worker starts booting
  // once the job is over.
  async run(spec, limits, onOutput = null) {
    if (this.#busy) throw new Error("host is busy");
    this.#busy = true;
    this.#used = true;
    clearTimeout(this.#collect);
    const control = { stopped: false, stop: null };
    this.#control = control;
    try {
      await this.#ready;
      const w = await this.#next;
      this.#next = null;
      if (control.stopped) {
        w.terminate();
        return { ...cancelled(), stdout: "", stderr: "", stdout_truncated: false, stderr_truncated: false };
      }
      return await runIn(w, this.#interrupts.get(w), spec, limits, false, null, onOutput, control);
    } finally {
      this.#control = null;
      // The next worker boots once the job is over, so that it takes no
      // CPU from the job, and once its result is on its way: handing the
      // worker its snapshot copies tens of megabytes.
      if (!this.#cold) {
        this.#next = new Promise((resolve) => setTimeout(() => resolve(this.#spawn({ type: "boot" })), 0));
        this.#next.catch(() => {}); // reported by ready and run
        const next = this.#next;
        next.then(() => {
          if (!this.#busy && this.#next === next) this.#collect = setTimeout(collectGarbage, idleCollect);
        }, () => {});
      }
      this.#busy = false;
    }
  }

  // stop ends the job run is running, or is about to run, as cancelled:
  // its worker is terminated and run resolves with what it wrote so far.
  stop() {
    const c = this.#control;
    if (!c) return;
    c.stopped = true;
    c.stop?.();
  }

  // runInSession runs one job of the session in the session's worker,
  // taking the host's ready worker for it on the first run, so that the
  // interpreter's state lasts from one run to the next. Runs go one after
  // another: one that comes while another is still going (say, the other's
  // caller gave up on it) waits for it. Once the worker had to be stopped,
  // the session is over.
  runInSession(spec, limits, onOutput = null) {
    const run = this.#sessionQueue.then(() => this.#runInSession(spec, limits, onOutput));
    this.#sessionQueue = run.catch(() => {});
    return run;
  }

  async #runInSession(spec, limits, onOutput) {
    this.#used = true;
    await this.#ready;
    if (this.#session === null) {
      this.#session = await this.#next;
      this.#next = null;
      this.#gate = globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
    }
    if (this.#session === "stopped") throw new Error("the session's interpreter was stopped");
    const w = this.#session;
    const outcome = await runIn(w, this.#interrupts.get(w), spec, limits, true, this.#gate, onOutput);
    if (outcome.stopped) this.#session = "stopped";
    return outcome;
  }

  // interruptSession raises KeyboardInterrupt in the session's running
  // code, for a run whose caller has gone.
  interruptSession() {
    const buffer = this.#session && this.#session !== "stopped" ? this.#interrupts.get(this.#session) : null;
    if (buffer) Atomics.store(buffer, 0, 2); // SIGINT
  }
}
