// One sandbox: a module worker holding a fresh Pyodide that runs one job.
//
// A worker boots in one of two ways. The first worker of a host page boots
// Pyodide from scratch, loads the harness, and hands the page a memory
// snapshot of the ready interpreter and the compiled WebAssembly module.
// Every later worker instantiates that same module (no fetch, no compile) and
// restores the snapshot: a new interpreter in a new JavaScript realm, in a
// fraction of the time of a cold start.
//
// Output goes to the page byte for byte as it is written, so that a job
// stopped by its timeout still returns what it printed so far.

import { loadPyodide } from "./pyodide/pyodide.mjs";
import createPyodideModule from "./pyodide/pyodide.asm.mjs";
import { collectGarbage, idleCollect, restorePages } from "./snapshot.js";

// stages are the times, in ms since the worker started, at which a boot
// got past each of its stages; the worker reports them with "ready", for
// benchmarks to see where a boot's time goes. The first is when Pyodide's
// JavaScript has been fetched, compiled and run.
const stages = { glue: performance.now() };
const stage = (name) => (stages[name] = performance.now());

// The harness and Pyodide's files sit next to this module, wherever it is
// served from: the worker may run from a blob: URL that imports it.
const harnessURL = new URL("harness.py", import.meta.url);

const config = {
  indexURL: new URL("pyodide/", import.meta.url).href,
  packageBaseUrl: new URL("packages/", import.meta.url).href,
  env: { HOME: "/home/pyodide", USER: "pyodide", LANG: "C.UTF-8", PYTHONINSPECT: "" },
  stdout: () => {},
  stderr: () => {},
};

// withModule makes Pyodide instantiate a module compiled before instead of
// fetching and compiling its own, and restore snapshot, the page's snapshot
// kept by its pages (snapshot.js). Pyodide adds two imports of its own when
// it instantiates; they are given here as their plain JavaScript
// equivalents.
//
// It also puts the job's memory cap on the interpreter: the heap grows only
// through emscripten_resize_heap, and past the cap that call fails, so
// Python's allocation fails with MemoryError, and the job is reported as
// having hit its limit.
let memoryCap = Infinity;
let memoryHit = false;

function capHeap(imports) {
  const resize = imports.env.emscripten_resize_heap;
  imports.env.emscripten_resize_heap = (size) => {
    if (size >>> 0 > memoryCap) {
      memoryHit = true;
      return false;
    }
    return resize(size);
  };
}

function withModule(module, snapshot) {
  return (settings) => {
    // Pyodide is given the snapshot's header alone and sizes the memory
    // by it; the memory is the whole snapshot's size, as Pyodide would
    // make it given all of it.
    settings.INITIAL_MEMORY = snapshot.size;
    settings.instantiateWasm = (imports, done) => {
      stage("imports");
      const marker = Symbol("error marker");
      imports.env.Jsv_GetError_import = () => marker;
      imports.env.JsvError_Check = (v) => v === marker;
      capHeap(imports);
      WebAssembly.instantiate(module, imports).then(
        (instance) => {
          stage("instantiate");
          done(instance, module);
          stage("link");
        },
        (e) => self.postMessage({ type: "fatal", message: "instantiate: " + e }),
      );
      return {};
    };
    return createPyodideModule(settings).then((m) => {
      stage("runtime");
      const { restoreSnapshot } = m.API;
      m.API.restoreSnapshot = (header) => {
        // Pyodide checks the header and reads the configuration from it,
        // and writes the memory that follows it, none; the pages are
        // written here.
        const config = restoreSnapshot(header);
        const written = {
          brk: m._sbrk(0) >>> 0,
          stackEnd: m._emscripten_stack_get_end() >>> 0,
          stackBase: m._emscripten_stack_get_base() >>> 0,
        };
        restorePages(m.HEAPU8, snapshot, written);
        // The copy is garbage from here on, which the worker collects if
        // no job comes soon (idleCollect).
        snapshot.data = null;
        stage("restore");
        return config;
      };
      return m;
    });
  };
}

// capturingModule lets Pyodide fetch and instantiate its module as usual,
// under the job's memory cap, and hands the module to keep.
function capturingModule(keep) {
  return (settings) => {
    const instantiate = settings.instantiateWasm;
    settings.instantiateWasm = (imports, done) => {
      capHeap(imports);
      return instantiate(imports, (instance, module) => {
        keep(module);
        done(instance, module);
      });
    };
    return createPyodideModule(settings);
  };
}

// quiet keeps Pyodide's package loader from printing to the console and
// gathers its errors.
function quiet(errors) {
  return { messageCallback: () => {}, errorCallback: (e) => errors.push(String(e)) };
}

// boot: the first worker of a page. It never runs a job. It loads and imports
// the preloaded packages before the snapshot, so that jobs find them in
// memory; their files live outside the snapshot, so they are handed over
// too, for each job's worker to write back.
async function makeSnapshot(m) {
  let module;
  const pyodide = await loadPyodide({
    ...config,
    _makeSnapshot: true,
    createPyodideModule: capturingModule((m) => (module = m)),
  });
  const source = await (await fetch(harnessURL)).text();
  pyodide.runPython(source, { filename: "<sandpit>" });
  const files = m.preload.length > 0 ? await preload(pyodide, m.preload) : [];
  warmUp(pyodide);
  const snapshot = pyodide.makeMemorySnapshot();
  const loaded = preloaded(pyodide, m.preload);
  self.postMessage({ type: "snapshot", module, snapshot, files, loaded }, [snapshot.buffer]);
}

// warmUp runs a job of `pass` through the harness before the snapshot, so
// that what the first run in an interpreter does once (lazy imports and
// caches) is done in the snapshot, not in every job. No job's code has run
// yet: every interpreter starts from the same state, that of this run.
function warmUp(pyodide) {
  const limits = JSON.stringify({ max_output_bytes: 1024, max_files: 0, max_file_bytes: 0 });
  pyodide.runPython(`_sandpit_start('{"code": "pass"}', '${limits}', False).run()`, { filename: "<sandpit>" });
}

// preloaded returns the packages named and all they depend on.
function preloaded(pyodide, names) {
  const lock = pyodide.lockfile.packages;
  const all = new Set();
  const add = (n) => {
    if (all.has(n) || !lock[n]) return;
    all.add(n);
    for (const d of lock[n].depends) add(d);
  };
  names.forEach(add);
  return [...all];
}

// preload installs the named packages and their dependencies and imports
// them, and returns the files it installed as [path, bytes] pairs. It
// unpacks the wheels itself rather than through loadPackage, which leaves
// state behind that a memory snapshot cannot hold.
async function preload(pyodide, names) {
  const lock = pyodide.lockfile.packages;
  const dir = "/tmp/sandpit-preload";
  pyodide.FS.mkdirTree(dir);
  const wheels = [];
  for (const n of preloaded(pyodide, names)) {
    const file = lock[n].file_name;
    const resp = await fetch(new URL(file, config.packageBaseUrl));
    if (!resp.ok) throw new Error(`preload: fetch ${file}: ${resp.status}`);
    pyodide.FS.writeFile(`${dir}/${file}`, new Uint8Array(await resp.arrayBuffer()));
    wheels.push(`${dir}/${file}`);
  }
  const imports = names.flatMap((n) => lock[n].imports);
  const arg = JSON.stringify(JSON.stringify({ wheels, imports }));
  const site = pyodide.runPython(`_sandpit_preload(${arg})`);
  const files = [];
  const walk = (path) => {
    for (const name of pyodide.FS.readdir(path)) {
      if (name === "." || name === "..") continue;
      const p = `${path}/${name}`;
      if (pyodide.FS.isDir(pyodide.FS.stat(p).mode)) walk(p);
      else files.push([p, pyodide.FS.readFile(p)]);
    }
  };
  walk(site);
  const shared = files.find(([path]) => /\.so(\.|$)/.test(path));
  if (shared) throw new Error(`preload: ${shared[0]} is a shared library, which a memory snapshot cannot hold; load its package per job instead`);
  return files;
}

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

// Web APIs that outlive a worker or reach other contexts of the origin:
// storage, cross-context channels and nested workers. A job's worker has no
// use for them, so they are gone before the job's code runs. (The page's
// Content-Security-Policy and the storage wipe after each job hold even if
// code finds a way back to one.)
function dropSharedState() {
  const drop = (obj, names) => {
    for (const n of names) {
      for (let o = obj; o; o = Object.getPrototypeOf(o)) {
        if (Object.prototype.hasOwnProperty.call(o, n)) {
          try {
            delete o[n];
          } catch {}
        }
      }
    }
  };
  drop(self, [
    "indexedDB", "caches", "BroadcastChannel", "Worker", "SharedWorker",
    "importScripts", "WebSocket", "WebSocketStream", "WebTransport", "EventSource",
    "RTCPeerConnection", "RTCDataChannel", "webkitRTCPeerConnection",
  ]);
  drop(self.navigator, ["locks", "storage", "serviceWorker", "storageBuckets"]);
}

// A session's worker runs code only during its runs. When a run ends, the
// harness cancels the asyncio tasks the run left pending and stops the
// asyncio callbacks still scheduled from going ahead; the timers and
// animation frames the run started are cleared; and then the worker blocks
// on its gate (Atomics.wait) until the page opens it for the next run, so
// that nothing at all runs between runs, whatever the code did to the
// objects it can reach. What this needs is taken here, before any code runs.
const { wait: atomicsWait, store: atomicsStore } = Atomics;
const post = self.postMessage.bind(self);
const { setTimeout: setT, clearTimeout: clearT } = self;
const raf = self.requestAnimationFrame, caf = self.cancelAnimationFrame;

// nextIds takes the next id of a timer and of an animation frame. Each
// counts up, one for every timer (or frame) started, so the ids a run took
// are those between the ones taken before and after it.
function nextIds() {
  const t = setT(() => {}, 0);
  clearT(t);
  let f = 0;
  try {
    f = raf(() => {});
    caf(f);
  } catch {} // a worker without animation frames
  return { t, f };
}

// clearSince ends every timer, interval and animation frame started since
// from, a nextIds() taken before.
function clearSince(from) {
  const to = nextIds();
  for (let id = from.t + 1; id < to.t; id++) clearT(id);
  for (let id = from.f + 1; id < to.f; id++) caf(id);
}

// boot: a job's worker booted from scratch (the naive baseline).
async function bootCold(m) {
  const pyodide = await loadPyodide({ ...config, createPyodideModule: capturingModule(() => {}) });
  const source = await (await fetch(harnessURL)).text();
  pyodide.runPython(source, { filename: "<sandpit>" });
  serve(pyodide, m.interrupt);
}

// boot: a job's worker. The page hands it everything it would otherwise
// fetch: the module, the snapshot, the standard library (as a blob: URL of
// the page's) and the package lock.
async function bootSandbox(m) {
  // Pyodide starts fetching its .wasm as soon as it is called unless this
  // global exists; the module is at hand, so that fetch would be wasted.
  self.WasmOffsetConverter = undefined;
  Object.defineProperty(self, "WasmOffsetConverter", { value: null, configurable: true });
  const pyodide = await loadPyodide({
    ...config,
    stdLibURL: m.stdlib,
    lockFileContents: m.lock,
    _loadSnapshot: m.snapshot.header,
    createPyodideModule: withModule(m.module, m.snapshot),
  });
  stage("bootstrap");
  delete self.WasmOffsetConverter;
  for (const [path, data] of m.files) {
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, data);
  }
  for (const name of m.loaded) pyodide.loadedPackages[name] = "preloaded";
  stage("files");
  serve(pyodide, m.interrupt);
}

// serve readies a booted interpreter for its one job.
function serve(pyodide, interrupt) {
  if (interrupt) pyodide.setInterruptBuffer(interrupt);
  pyodide.setStdout(writer(1));
  pyodide.setStderr(writer(2));
  const start = pyodide.globals.get("_sandpit_start");
  const settle = pyodide.globals.get("_sandpit_settle");
  const idle = pyodide.globals.get("_sandpit_idle");
  dropSharedState();
  let collect = null;
  self.onmessage = async (ev) => {
    clearTimeout(collect);
    const m = ev.data;
    if (!m || m.type !== "run") return;
    // One job per worker, but for a session's worker, which takes its
    // runs one after another.
    if (m.session !== true) self.onmessage = null;
    const before = m.session === true ? nextIds() : null;
    outputCap = m.limits.max_output_bytes;
    memoryCap = m.limits.max_memory_bytes;
    sent[1] = sent[2] = 0;
    memoryHit = false;
    let result;
    try {
      result = await loadPackages(pyodide, m.spec);
    } catch (e) {
      result = failure("ImportError", "could not load packages: " + String(e && e.message ? e.message : e).slice(0, 500));
    }
    if (result) return done(m, result);
    try {
      // Code without top-level await runs straight through; only code that
      // awaits goes through the event loop.
      const job = start(JSON.stringify(m.spec), JSON.stringify(m.limits), m.session === true);
      result = job.is_async ? await job.run_async() : job.run();
      job.destroy();
    } catch (e) {
      // The job's own code ran in this realm and could have broken the
      // harness (replaced a function it uses, say): that is the job's
      // failure, not the sandbox's.
      result = failure("HarnessError", "the code broke the sandbox's harness: " + String(e && e.message ? e.message : e).slice(0, 500));
    }
    if (m.session === true) {
      // Code that broke these has broken its own session; the gate below
      // still holds.
      try {
        await settle();
      } catch {}
      try {
        idle();
      } catch {}
      clearSince(before);
    }
    done(m, result);
  };
  stage("ready");
  self.postMessage({ type: "ready", stages, origin: performance.timeOrigin });
  // A job ends the worker, and its garbage with it; a sandbox that waits
  // for one collects it: the snapshot's copy it restored from (15 MB), the
  // standard library's file as fetched, and what its boot left.
  collect = setTimeout(collectGarbage, idleCollect);
}

// done reports a run's result; a session's worker then waits on its gate
// until the page opens it for the next run. The gate is closed before the
// result goes, so that the page cannot open it before it is closed.
function done(m, result) {
  const gate = m.gate instanceof Int32Array ? m.gate : null;
  if (gate) atomicsStore(gate, 0, 0);
  post({ type: "done", result, memory_limit: memoryHit });
  if (gate) atomicsWait(gate, 0, 0);
}

// failure is the outcome of a job that failed before its code ran.
function failure(type, message) {
  return JSON.stringify({
    status: "failed", exit_code: 1, result: null, files: [],
    error: { type, message, traceback: "" },
  });
}

// listed names at most a few of the packages the server offers.
function listed(names) {
  if (names.length === 0) return "none: this server has no package repository beyond the standard library";
  const shown = names.slice(0, 40).join(", ");
  return names.length > 40 ? `${shown} and ${names.length - 40} more` : shown;
}

// loadPackages loads the packages a job names and those its imports need,
// from sandpit's own package repository. It returns a failure outcome when
// the job names a package the repository lacks, and nothing when all loaded.
async function loadPackages(pyodide, spec) {
  const available = Object.keys(pyodide.lockfile?.packages ?? {}).sort();
  const canonical = (n) => n.toLowerCase().replace(/[-_.]+/g, "-");
  const named = (spec.packages || []).map(canonical);
  const unknown = named.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    return failure("ModuleNotFoundError",
      `No package named ${unknown.map((n) => `'${n}'`).join(", ")} in this server's package repository; available: ${listed(available)}`);
  }
  const errors = [];
  if (named.length > 0) await pyodide.loadPackage(named, quiet(errors));
  const code = spec.code + "\n" + (spec.test || "");
  await pyodide.loadPackagesFromImports(code, quiet(errors));
  if (errors.length > 0) return failure("ImportError", "could not load packages: " + errors.join("; ").slice(0, 500));
  pyodide.globals.get("_sandpit_available")(listed(available));
  return null;
}

self.onmessage = (ev) => {
  stage("message");
  const m = ev.data;
  self.onmessage = null;
  const boot = m.type === "make" ? makeSnapshot(m) : m.type === "cold" ? bootCold(m) : bootSandbox(m);
  boot.catch((e) => self.postMessage({ type: "fatal", message: String(e && e.message ? e.message : e) }));
};
