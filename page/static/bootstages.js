// How long each stage of a sandbox's boot took, for benchmarks: the host
// (host.js) times a worker's boot from outside and the worker (worker.js)
// marks each of its own stages; bootStages puts the two together. The
// runner reads the last boot's stages through the page's bootStages method
// (page.MethodBootStages).

// bootStages turns the times at which a worker's boot got past each stage
// into how long each stage took, in ms: copy, the snapshot's copy; spawn,
// from there to the worker's start (the origin of its clock), while the page
// hands over the boot message; then the worker's stages (worker.js): glue,
// fetching, compiling and running worker.js and Pyodide's JavaScript;
// message, taking in what the page handed over; imports, Pyodide's and
// Emscripten's set-up up to instantiation; instantiate, the module's
// instantiation; link, Emscripten's dynamic-linking set-up of the instance;
// runtime, the runtime's start (the standard library's file, the file
// system); restore, the snapshot written into memory; bootstrap, Pyodide
// taking up the interpreter's state; files, the preloaded packages' files
// written; serve, the worker readied for its job; and deliver, the "ready"
// message reaching the page. total is all of them, from the copy to the page
// having "ready". A worker that reports no stages gives null.
export function bootStages(begin, copied, end, m) {
  const s = m.stages;
  if (!s || typeof s !== "object" || typeof m.origin !== "number") return null;
  const order = ["glue", "message", "imports", "instantiate", "link", "runtime", "restore", "bootstrap", "files", "ready"];
  const names = { ready: "serve" };
  const offset = m.origin - performance.timeOrigin; // the worker's clock, in the page's
  const out = { copy: copied - begin, spawn: offset - copied };
  let last = 0;
  for (const k of order) {
    if (typeof s[k] !== "number") return null;
    out[names[k] || k] = s[k] - last;
    last = s[k];
  }
  out.deliver = end - (offset + last);
  out.total = end - begin;
  return out;
}
