// The page side of a headless sandbox host: the runner drives it over
// DevTools through the two globals below. The host (host.js) keeps a fresh
// interpreter ready in a module worker and runs each job in a new one.

import { Host } from "./host.js";

// A page opened as sandbox.html#cold boots its one worker from scratch, with
// no snapshot: the naive design, kept as the baseline of `sandpit bench`.
const host = new Host({ workerURL: "/worker.js", cold: location.hash === "#cold" });

// sandpitReady resolves when the host can take a job.
globalThis.sandpitReady = () => host.ready();

// sandpitRun runs one job in the ready worker and resolves with its outcome
// as a JSON string. limits: {timeout_ms, max_output_bytes, max_files,
// max_file_bytes, max_memory_bytes}.
globalThis.sandpitRun = async (spec, limits) => JSON.stringify(await host.run(spec, limits));
