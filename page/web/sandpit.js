// sandpit's browser SDK: runs Python in the end user's own browser, with the
// same harness, limits and job fields as the server's POST /v1/run.
//
//   import { run } from "https://sandpit.example.com/sdk/sandpit.js";
//   const job = await run("print('hi')", { timeout_ms: 5000 });
//   job.status, job.stdout, job.result, job.error, job.files, job.outputs, ...
//   await render(document.getElementById("out"), job);  // as sandpit shows it
//
//   const stop = new AbortController();
//   run(code, { onStdout: (text) => ..., onStderr: (text) => ..., signal: stop.signal });
//   stop.abort();  // the run resolves with a job whose status is "cancelled"
//
// The code runs in a hidden iframe of sandpit's, sandboxed without
// allow-same-origin: on an opaque origin, it can reach nothing of the page
// that imports this module (cookies, storage, DOM) nor the network.

const frameURL = new URL("frame.html", import.meta.url).href;

// How long the frame may take to load before run gives up (Python's own
// start, which downloads Pyodide, is not bounded by this).
const loadTimeoutMS = 30000;

// SandpitError is a run that did not get as far as a job: an invalid spec
// (code "invalid"), or a sandbox that could not start ("unavailable").
export class SandpitError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "SandpitError";
    this.code = code;
  }
}

// Sandbox is one hidden frame that runs jobs one at a time, each in a fresh
// interpreter. Its first job waits for Python to start; later ones start
// from a snapshot in a fraction of a second.
export class Sandbox {
  #frame;
  #ready;
  #pending = new Map();
  #seq = 0;
  #onMessage;

  constructor() {
    const f = document.createElement("iframe");
    f.setAttribute("sandbox", "allow-scripts");
    f.setAttribute("aria-hidden", "true");
    f.tabIndex = -1;
    f.title = "sandpit";
    f.style.display = "none";
    f.src = frameURL;
    this.#frame = f;
    let loaded;
    this.#ready = new Promise((resolve, reject) => {
      loaded = resolve;
      setTimeout(() => reject(new SandpitError("unavailable", `sandpit's frame did not load from ${frameURL}`)), loadTimeoutMS);
    });
    this.#ready.catch(() => {});
    this.#onMessage = (ev) => {
      if (ev.source !== f.contentWindow || !f.contentWindow) return;
      const m = ev.data;
      if (!m || typeof m !== "object") return;
      if (m.sandpit === "ready") loaded();
      const p = this.#pending.get(m.id);
      if (!p) return;
      if (m.sandpit === "output") {
        const to = m.fd === 2 ? p.onStderr : p.onStdout;
        if (typeof to === "function" && typeof m.text === "string") {
          try {
            to(m.text);
          } catch (e) {
            globalThis.reportError?.(e);
          }
        }
      } else if (m.sandpit === "job") {
        this.#pending.delete(m.id);
        p.done();
        p.resolve(m.job);
      } else if (m.sandpit === "error") {
        this.#pending.delete(m.id);
        p.done();
        p.reject(new SandpitError(String(m.error?.code), String(m.error?.message)));
      }
    };
    addEventListener("message", this.#onMessage);
    (document.body || document.documentElement).append(f);
  }

  // run runs code with options (any fields of a job spec: files, stdin,
  // timeout_ms, memory_mb, packages, test) and resolves with the finished
  // job. It rejects with a SandpitError when the spec is invalid or Python
  // cannot start. Three options are the caller's own: onStdout and
  // onStderr are called with each piece of text the job writes, as it
  // writes it, all before run resolves; signal, an AbortSignal, stops the
  // run when it aborts, and run resolves with the job, cancelled, and what
  // it wrote until then.
  async run(code, options = {}) {
    if (!options || typeof options !== "object") throw new SandpitError("invalid", "options must be an object");
    const { onStdout, onStderr, signal, ...spec } = options;
    for (const [name, f] of [["onStdout", onStdout], ["onStderr", onStderr]]) {
      if (f !== undefined && typeof f !== "function") throw new SandpitError("invalid", `${name} must be a function`);
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new SandpitError("invalid", "signal must be an AbortSignal");
    await this.#ready;
    const id = ++this.#seq;
    const stop = () => this.#frame.contentWindow?.postMessage({ sandpit: "stop", id }, "*");
    return new Promise((resolve, reject) => {
      const done = () => signal?.removeEventListener("abort", stop);
      this.#pending.set(id, { resolve, reject, onStdout, onStderr, done });
      this.#frame.contentWindow.postMessage({ sandpit: "run", id, spec: { ...spec, code } }, "*");
      if (signal?.aborted) stop();
      else signal?.addEventListener("abort", stop, { once: true });
    });
  }

  // close removes the frame; pending runs reject.
  close() {
    removeEventListener("message", this.#onMessage);
    this.#frame.remove();
    for (const p of this.#pending.values()) {
      p.done();
      p.reject(new SandpitError("cancelled", "the sandbox was closed"));
    }
    this.#pending.clear();
  }
}

let shared = null;

// run runs code in a sandbox shared by the page's calls; see Sandbox.run.
export function run(code, options = {}) {
  shared ??= new Sandbox();
  return shared.run(code, options);
}

// preload starts the shared sandbox ahead of the first run.
export function preload() {
  shared ??= new Sandbox();
}

// render shows a job in container as sandpit's own pages do: its status,
// result, rich outputs, output, error and files. HTML shows in a frame
// sandboxed with no permission, images as data: URLs, and a plotly chart
// in sandpit's chart frame (/web/chart.html), sandboxed on an opaque
// origin; a page with a Content-Security-Policy of its own must allow
// that frame (frame-src) and data: images (img-src).
export async function render(container, job) {
  const { renderJob } = await import(new URL("../web/render.js", import.meta.url).href);
  renderJob(container, job);
}
