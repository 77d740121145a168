// The page side of a headless sandbox host. The runner drives it over
// DevTools by calling the methods of globalThis.sandpit, the protocol object
// declared in page/protocol.go, with its arguments as protocol values. The
// host (host.js) keeps a fresh interpreter ready in a module worker and
// runs each job in a new one.

import { Host } from "./host.js";

// A page opened as sandbox.html#cold boots its one worker from scratch, with
// no snapshot: the naive design, kept as the baseline of `sandpit bench`.
// One opened as sandbox.html#shared boots from the snapshot at
// /shared/snapshot, which another host of the runner made (snapshotChunk).
// /config.json names the packages to preload into the snapshot.
const host = fetch("/config.json")
  .then((r) => r.json())
  .then(
    ({ preload }) =>
      new Host({
        workerURL: "/worker.js",
        cold: location.hash === "#cold",
        shared: location.hash === "#shared" ? "/shared/snapshot" : null,
        preload,
      }),
  );

// output hands a job's output to the runner as it comes, through the
// DevTools binding the runner adds to the page (page.OutputBinding).
const output = (fd, text) => globalThis.sandpitOutput?.(JSON.stringify([fd, text]));

globalThis.sandpit = Object.freeze({
  // ready resolves when the host can take a job.
  ready: async () => (await host).ready(),
  // run runs one job (a job spec) in the ready worker, under limits (the
  // server's, page.Limits), and resolves with its outcome (page.Outcome).
  run: async (spec, limits) => (await host).run(spec, limits, output),
  // runInSession runs one job of the session this host serves, in the
  // session's one worker, and resolves with its outcome.
  runInSession: async (spec, limits) => (await host).runInSession(spec, limits, output),
  // interruptSession stops the session's running code.
  interruptSession: async () => (await host).interruptSession(),
  // snapshotChunk returns a piece of the host's snapshot, in base64, for
  // other hosts to boot from, or null when it has none to share.
  snapshotChunk: async (offset, length) => (await host).snapshotChunk(offset, length),
  // bootStages resolves with how long the last sandbox's boot took in each
  // of its stages, in ms, for benchmarks.
  bootStages: async () => (await host).bootStages(),
});
