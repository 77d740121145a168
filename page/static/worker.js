// The worker side of one sandbox: a fresh Pyodide that runs one job.
// Output goes to the page byte for byte as it is written, so that a job
// stopped by its timeout still returns what it printed so far.

import { loadPyodide } from "/pyodide/pyodide.mjs";

// Bytes written per stream; past the page's cap the worker stops sending.
const sent = { 1: 0, 2: 0 };
let outputCap = Infinity;

function writer(fd) {
  return {
    write(buf) {
      if (sent[fd] <= outputCap) {
        sent[fd] += buf.length;
        // buf is a view into the interpreter's memory: copy it.
        self.postMessage({ type: "out", fd, data: buf.slice() });
      }
      return buf.length;
    },
  };
}

let pyodide;
let run;
try {
  pyodide = await loadPyodide({
    indexURL: "/pyodide/",
    env: { HOME: "/home/pyodide", USER: "pyodide", LANG: "C.UTF-8" },
    stdout: () => {},
    stderr: () => {},
  });
  pyodide.setStdout(writer(1));
  pyodide.setStderr(writer(2));
  const source = await (await fetch("/harness.py")).text();
  pyodide.runPython(source, { filename: "<sandpit>" });
  run = pyodide.globals.get("_sandpit_run");
  self.postMessage({ type: "ready" });
} catch (e) {
  self.postMessage({ type: "fatal", message: String(e && e.message ? e.message : e) });
}

self.onmessage = async (ev) => {
  const m = ev.data;
  if (!m || m.type !== "run" || run === undefined) return;
  outputCap = m.limits.max_output_bytes;
  let result;
  try {
    result = await run(m.spec);
  } catch (e) {
    result = JSON.stringify({ status: "error", message: "harness: " + String(e && e.message ? e.message : e) });
  }
  self.postMessage({ type: "done", result });
};
