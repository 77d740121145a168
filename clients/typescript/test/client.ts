// The core client against a real sandpit serve.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  ConflictError,
  InvalidError,
  type Item,
  NotFoundError,
  Sandpit,
  SandpitError,
  WaitTimeoutError,
  fileBytes,
  outputData,
} from "@sandpit/client";

import { type Servers, startServers } from "./server.js";
import { pngCode, redPng } from "./png.js";

let srv: Servers;
let sandpit: Sandpit;

before(async () => {
  srv = await startServers();
  sandpit = new Sandpit({ baseUrl: srv.main.url });
});

describe("info", () => {
  test("info tells the server's version, interpreter and limits", async () => {
    const info = await sandpit.info();
    assert.match(info.python_version, /^3\.\d+/);
    assert.match(info.pyodide_version, /^\d+\./);
    assert.equal(info.limits.max_timeout_ms, 300_000);
    assert.ok(Array.isArray(info.packages));
  });
});

describe("jobs", () => {
  test("run returns the finished job with its output and result", async () => {
    const job = await sandpit.run("import sys\nprint('hello', file=sys.stdout)\n6 * 7");
    assert.equal(job.status, "succeeded");
    assert.equal(job.exit_code, 0);
    assert.equal(job.stdout, "hello\n");
    assert.equal(job.result, "42");
    assert.match(job.id, /^[0-9a-f]{32}$/);
  });

  test("run returns rich outputs: display() calls and a last value with a rich repr", async () => {
    const code = [
      "class Chart:",
      "    def _repr_mimebundle_(self, include=None, exclude=None):",
      "        return {'application/vnd.plotly.v1+json': {'data': [{'type': 'bar', 'x': [1, 2], 'y': [3, 4]}]}}",
      "    def __repr__(self):",
      "        return 'Chart()'",
      "display({'image/png': b'\\x89PNG', 'text/markdown': '# hi'}, raw=True)",
      "Chart()",
    ].join("\n");
    const job = await sandpit.run(code);
    assert.equal(job.status, "succeeded", job.stderr);
    assert.equal(job.result, "Chart()");
    assert.equal(job.outputs?.length, 2);
    const [first, chart] = job.outputs!;
    assert.deepEqual(outputData(first!, "image/png"), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    assert.equal(outputData(first!, "text/markdown"), "# hi");
    assert.deepEqual(outputData(chart!, "application/vnd.plotly.v1+json"), { data: [{ type: "bar", x: [1, 2], y: [3, 4] }] });
    assert.equal(outputData(chart!, "text/html"), undefined);
    assert.equal(job.outputs_truncated, undefined);
  });

  test("run of code that raises gives a failed job with its error", async () => {
    const job = await sandpit.run("raise ValueError('no good')");
    assert.equal(job.status, "failed");
    assert.equal(job.exit_code, 1);
    assert.equal(job.error?.type, "ValueError");
    assert.equal(job.error?.message, "no good");
    assert.match(job.stderr ?? "", /Traceback/);
  });

  test("run passes the spec: stdin, input files, timeout", async () => {
    const job = await sandpit.run("print(input().upper())\nopen('data/in.csv').read()", {
      stdin: "shout\n",
      files: [{ path: "data/in.csv", content: "a,b\n1,2\n" }],
      timeout_ms: 20_000,
    });
    assert.equal(job.status, "succeeded", job.stderr);
    assert.equal(job.stdout, "SHOUT\n");
    assert.equal(job.result, "'a,b\\n1,2\\n'");
  });

  test("submit queues the job and wait resolves once it has ended", async () => {
    const queued = await sandpit.submit("import time\ntime.sleep(0.3)\n'done'");
    assert.ok(queued.status === "queued" || queued.status === "running", queued.status);
    const job = await sandpit.wait(queued);
    assert.equal(job.id, queued.id);
    assert.equal(job.status, "succeeded");
    assert.equal(job.result, "'done'");
    assert.deepEqual(await sandpit.get(job.id), job);
  });

  test("wait gives up after its timeout, or when its signal aborts; the job runs on", async () => {
    const queued = await sandpit.submit("import time\ntime.sleep(30)");
    try {
      const err = await sandpit.wait(queued, { timeoutMs: 300 }).catch((e: unknown) => e);
      assert.ok(err instanceof WaitTimeoutError, String(err));
      assert.equal(err.job.id, queued.id);
      assert.ok(err.job.status === "queued" || err.job.status === "running", err.job.status);
      await assert.rejects(sandpit.wait(queued, { signal: AbortSignal.timeout(300) }), { name: "TimeoutError" });
    } finally {
      await sandpit.cancel(queued);
    }
  });

  test("cancel cancels a running job; cancelling it again is a ConflictError", async () => {
    const queued = await sandpit.submit("import time\ntime.sleep(30)");
    const cancelled = await sandpit.cancel(queued);
    assert.equal(cancelled.id, queued.id);
    assert.equal(cancelled.status, "cancelled");
    assert.equal((await sandpit.wait(queued)).status, "cancelled");
    const err = await sandpit.cancel(queued).catch((e: unknown) => e);
    assert.ok(err instanceof ConflictError, String(err));
    assert.equal(err.status, 409);
    assert.equal(err.code, "conflict");
  });

  test("file returns an output file's bytes, the same as the job's inline copy", async () => {
    const job = await sandpit.run(pngCode("out/red.png"));
    assert.equal(job.status, "succeeded", job.stderr);
    const f = job.files?.find((x) => x.path === "out/red.png");
    assert.ok(f, JSON.stringify(job.files));
    assert.equal(f.mime_type, "image/png");
    const bytes = await sandpit.file(job, "out/red.png");
    assert.deepEqual(bytes, redPng);
    assert.deepEqual(fileBytes(f), redPng);
    const err = await sandpit.file(job, "out/none.png").catch((e: unknown) => e);
    assert.ok(err instanceof NotFoundError, String(err));
    assert.match(err.message, /has no output file "out\/none.png"/);
  });
});

describe("sessions", () => {
  test("a session keeps its state across runs and await using closes it", async () => {
    let id: string;
    {
      await using s = await sandpit.session({ files: [{ path: "seed.txt", content: "20" }] });
      id = s.id;
      assert.equal(s.info.status, "open");
      const first = await s.run("x = int(open('seed.txt').read()) + 1");
      assert.equal(first.status, "succeeded", first.stderr);
      const second = await s.run("x * 2");
      assert.equal(second.result, "42");
      // A session's memory is set when it starts, not per run.
      const err = await s.run("1", { memory_mb: 128 } as never).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidError, String(err));
      assert.match(err.message, /memory_mb/);
      assert.equal((await s.get()).runs, 2);
    }
    const after = await sandpit.getSession(id);
    assert.equal(after.info.status, "closed");
    const err = await after.run("x").catch((e: unknown) => e);
    assert.ok(err instanceof ConflictError, String(err));
    assert.equal(err.status, 409);
    // Closing again resolves with the session's state.
    assert.equal((await after.close()).status, "closed");
    assert.equal((await sandpit.closeSession(id)).status, "closed");
  });

  test("withSession returns fn's value and closes the session however fn ends", async () => {
    let opened: string | undefined;
    const got = await sandpit.withSession(async (s) => {
      opened = s.id;
      await s.run("import math");
      return (await s.run("math.factorial(5)")).result;
    });
    assert.equal(got, "120");
    assert.equal((await sandpit.getSession(opened!)).info.status, "closed");

    let thrownIn: string | undefined;
    await assert.rejects(
      sandpit.withSession(async (s) => {
        thrownIn = s.id;
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal((await sandpit.getSession(thrownIn!)).info.status, "closed");
  });
});

describe("batches", () => {
  test("submitBatch takes an async iterable and results yields every job in order", async () => {
    async function* items(): AsyncGenerator<Item> {
      yield { id: "slow", code: "import time\ntime.sleep(0.5)\ndef add(a, b):\n    return a + b", test: "assert add(2, 3) == 5" };
      yield { id: "wrong", code: "def add(a, b):\n    return a - b", test: "assert add(2, 3) == 5" };
      yield { id: 7, code: "print('seven')" };
    }
    const batch = await sandpit.submitBatch(items());
    assert.match(batch.id, /^[0-9a-f]{32}$/);
    assert.equal(batch.info.total, 3);
    const jobs = [];
    for await (const job of batch.results()) {
      jobs.push(job);
    }
    assert.deepEqual(
      jobs.map((j) => [j.index, j.item_id, j.status, j.passed]),
      [
        [0, "slow", "succeeded", true],
        [1, "wrong", "failed", false],
        [2, "7", "succeeded", undefined],
      ],
    );
    assert.equal(jobs[2]!.stdout, "seven\n");
    const info = await batch.get();
    assert.equal(info.finished, true);
    assert.equal(info.passed, 1);
    assert.equal(info.failed, 1);
    // A batch is iterable itself, and can be found again by its id.
    const again = await sandpit.getBatch(batch.id);
    const ids = [];
    for await (const job of again) {
      ids.push(job.id);
    }
    assert.deepEqual(ids, jobs.map((j) => j.id));
  });

  test("a bad item refuses the whole batch, naming its line", async () => {
    const err = await sandpit.submitBatch([{ code: "1" }, { code: "2", timeout_ms: -5 }]).catch((e: unknown) => e);
    assert.ok(err instanceof InvalidError, String(err));
    assert.equal(err.status, 400);
    assert.match(err.message, /^line 2: timeout_ms: must not be negative/);
  });

  test("items must be job spec objects", async () => {
    await assert.rejects(sandpit.submitBatch([{ code: "1" }, "print(2)" as never]), {
      name: "TypeError",
      message: "submitBatch: item 1 must be a job spec object, not string",
    });
    await assert.rejects(sandpit.submitBatch([]), { name: "TypeError", message: "submitBatch: the batch has no items" });
  });

  test("batch submits and yields the jobs; batchResults goes on from an item", async () => {
    const items = ["'a'", "'b'", "'c'"].map((code, i) => ({ id: i, code }));
    const results = [];
    for await (const job of sandpit.batch(items)) {
      results.push(job);
    }
    assert.deepEqual(
      results.map((j) => j.result),
      ["'a'", "'b'", "'c'"],
    );
    const rest = [];
    for await (const job of sandpit.batchResults(results[0]!.batch_id!, { start: 1 })) {
      rest.push(job.id);
    }
    assert.deepEqual(rest, [results[1]!.id, results[2]!.id]);
  });

  test("cancel cancels the items that have not ended", async () => {
    const batch = await sandpit.submitBatch(Array.from({ length: 4 }, () => ({ code: "import time\ntime.sleep(30)" })));
    const info = await sandpit.cancelBatch(batch.id);
    assert.equal(info.id, batch.id);
    const statuses = [];
    for await (const job of batch.results()) {
      statuses.push(job.status);
    }
    assert.deepEqual(statuses, ["cancelled", "cancelled", "cancelled", "cancelled"]);
  });
});

describe("pages", () => {
  test("createPage stores the spec as a page anyone with its URL can open", async () => {
    const page = await sandpit.createPage("print('hello from your browser')", { timeout_ms: 5000 });
    assert.match(page.id ?? "", /^[0-9a-f]{32}$/);
    assert.equal(page.url, `${srv.main.url}/p/${page.id}`);
    assert.ok(Date.parse(page.expires_at ?? "") > Date.now());
    const res = await fetch(page.url!);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await res.text(), /hello from your browser/);
  });

  test("createPage refuses a bad spec with an InvalidError", async () => {
    const err = await sandpit.createPage("1", { timeout_ms: -1 }).catch((e: unknown) => e);
    assert.ok(err instanceof InvalidError, String(err));
  });
});

describe("arguments", () => {
  test("a bad baseUrl is refused, naming it", () => {
    assert.throws(() => new Sandpit({ baseUrl: "localhost:8080" }), /baseUrl "localhost:8080": want http:\/\/HOST:PORT/);
    assert.throws(() => new Sandpit({ baseUrl: "not a url" }), /baseUrl "not a url" is not a URL/);
    assert.throws(() => new Sandpit({ maxRetries: -1 }), /maxRetries must be a number of at least 0/);
  });

  test("code must be a string and the spec must not repeat it", async () => {
    await assert.rejects(sandpit.run(42 as never), { name: "TypeError", message: "code must be a string of Python, not number" });
    await assert.rejects(sandpit.run("1", { code: "2" } as never), { name: "TypeError" });
    await assert.rejects(sandpit.get(""), { name: "TypeError", message: "job id must be a non-empty string" });
  });

  test("every error of the server is a SandpitError", async () => {
    const err = await sandpit.get("0".repeat(32)).catch((e: unknown) => e);
    assert.ok(err instanceof NotFoundError);
    assert.ok(err instanceof SandpitError);
    assert.equal(err.status, 404);
    assert.equal(err.code, "not_found");
    assert.equal(err.name, "NotFoundError");
    assert.match(String(err), /^NotFoundError: not_found: /);
  });
});
