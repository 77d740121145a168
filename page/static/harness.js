// The page side of a headless sandbox host: the runner drives it over
// DevTools through the globals below. The host (host.js) keeps a fresh
// interpreter ready in a module worker and runs each job in a new one.

import { Host } from "./host.js";

// A page opened as sandbox.html#cold boots its one worker from scratch, with
// no snapshot: the naive design, kept as the baseline of `sandpit bench`.
// /config.json names the packages to preload into the snapshot.
const host = fetch("/config.json")
  .then((r) => r.json())
  .then(({ preload }) => new Host({ workerURL: "/worker.js", cold: location.hash === "#cold", preload }));

// sandpitReady resolves when the host can take a job.
globalThis.sandpitReady = async () => (await host).ready();

// sandpitRun runs one job in the ready worker and resolves with its outcome
// as a JSON string. limits: {timeout_ms, max_output_bytes, max_files,
// max_file_bytes, max_memory_bytes}.
globalThis.sandpitRun = async (spec, limits) => JSON.stringify(await (await host).run(spec, limits));

// sandpitSessionRun runs one job of the session this host serves, in the
// session's one worker, and resolves with its outcome as a JSON string.
globalThis.sandpitSessionRun = async (spec, limits) => JSON.stringify(await (await host).runInSession(spec, limits));

// sandpitSessionInterrupt stops the session's running code.
globalThis.sandpitSessionInterrupt = async () => (await host).interruptSession();
