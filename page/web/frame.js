// The frame that runs code in an end user's own browser, for the SDK and
// for client-side pages. It is loaded in an iframe sandboxed without
// allow-same-origin, and its Content-Security-Policy sandboxes it again, so
// the frame and every worker it starts live on an opaque origin: the code
// can read no cookie, storage or DOM of the page that embeds it, nor of
// sandpit's own origin.
//
// The frame runs the server's harness: a host (host.js) that runs each job
// in a fresh module worker (worker.js, harness.py) and enforces its limits.
// A document on an opaque origin may not start a worker from sandpit's URL,
// so the worker is started from a blob: URL of the frame's own, and imports
// worker.js; such a worker inherits the frame's policy, which lets it
// connect to nothing but Pyodide's files and the harness. It is a classic
// worker that imports worker.js with import(): Chromium refuses a module
// worker from a blob: URL of an opaque origin ("Refused to cross-origin
// redirects of the top-level worker script").
//
// Protocol, by postMessage with the parent only:
//   frame → parent  {sandpit: "ready"}                once listening
//   parent → frame  {sandpit: "run", id, spec}
//   parent → frame  {sandpit: "stop", id}             end run id as cancelled
//   frame → parent  {sandpit: "output", id, fd, text} stdout (fd 1) or stderr
//                                                     (2) as the job writes it
//   frame → parent  {sandpit: "job", id, job}         the finished job
//   frame → parent  {sandpit: "error", id, error: {code, message}}

import { Host } from "./host.js";
import { checkSpec, toJob } from "./job.js";

const config = JSON.parse(document.getElementById("sandpit-config").textContent);
// The worker's bootstrap keeps the messages that arrive while worker.js
// loads and hands them to it, and hides importScripts, by which Pyodide
// tells a classic worker (where it would not load) from a module one.
const workerSource = `"use strict";
for (let o = self; o; o = Object.getPrototypeOf(o)) delete o.importScripts;
const early = [];
self.onmessage = (ev) => early.push(ev);
import(${JSON.stringify(new URL("worker.js", import.meta.url).href)}).then(
  () => { for (const ev of early) self.onmessage(ev); },
  (e) => self.postMessage({ type: "fatal", message: "load worker.js: " + e }),
);
`;
const workerURL = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
const host = new Host({ workerURL, workerType: "classic" });

// The runs asked for and not yet answered, by id, each with what ends its
// wait for Python to start once it is asked to stop; current is the id of
// the run under way.
const stops = new Map();
let current = null;

// stopper returns run id's entry, made on first use.
function stopper(id) {
  if (!stops.has(id)) {
    let fire;
    const stopped = new Promise((resolve) => (fire = resolve));
    stops.set(id, { stopped, fire, asked: false });
  }
  return stops.get(id);
}

// runOne runs one request; send gets its output as it comes.
async function runOne(id, request, send) {
  const created = new Date();
  const spec = checkSpec(request, config.limits);
  const stop = stopper(id);
  const cancelled = () => toJob({ status: "cancelled", stdout: "", stderr: "" }, spec, config, { created, started: new Date(), finished: new Date() });
  if (stop.asked) return cancelled();
  current = id;
  try {
    await Promise.race([host.ready(), stop.stopped]);
  } catch (e) {
    throw Object.assign(new Error("Python could not start in this browser: " + (e && e.message ? e.message : e)), {
      code: "unavailable",
    });
  }
  if (stop.asked) return cancelled();
  const started = new Date();
  const outcome = await host.run(spec, config.limits, send);
  return toJob(outcome, spec, config, { created, started, finished: new Date() });
}

// stopRun ends run id as cancelled, whether it runs or waits its turn.
function stopRun(id) {
  if (!stops.has(id)) return; // answered already, or never asked for
  const stop = stops.get(id);
  stop.asked = true;
  stop.fire();
  if (current === id) host.stop();
}

// Jobs run one at a time, in the order they came.
let queue = Promise.resolve();

addEventListener("message", (ev) => {
  if (ev.source !== parent || parent === window) return;
  const m = ev.data;
  if (!m || typeof m !== "object") return;
  if (m.sandpit === "stop") {
    stopRun(m.id);
    return;
  }
  if (m.sandpit !== "run") return;
  const to = ev.origin === "null" ? "*" : ev.origin;
  stopper(m.id);
  const send = (fd, text) => parent.postMessage({ sandpit: "output", id: m.id, fd, text }, to);
  const done = () => {
    stops.delete(m.id);
    current = null;
  };
  queue = queue.then(() =>
    runOne(m.id, m.spec, send).then(
      (job) => parent.postMessage({ sandpit: "job", id: m.id, job }, to),
      (e) => parent.postMessage({ sandpit: "error", id: m.id, error: { code: e.code || "internal", message: String(e.message || e) } }, to),
    ).finally(done),
  );
});

if (parent !== window) parent.postMessage({ sandpit: "ready" }, "*");
