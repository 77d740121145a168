// Keys, rate limits, retries, idempotency and broken connections, against
// real servers and a proxy that breaks connections.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  ConnectionFailedError,
  InvalidError,
  type Job,
  RateLimitedError,
  type RetryInfo,
  Sandpit,
  UnauthorizedError,
} from "@sandpit/client";

import { Proxy, bodyOf } from "./proxy.js";
import { type Servers, freePort, startServers } from "./server.js";

let srv: Servers;

before(async () => {
  srv = await startServers();
});

describe("API keys", () => {
  test("a request without a key is an UnauthorizedError", async () => {
    const anon = new Sandpit({ baseUrl: srv.keyed.url });
    const err = await anon.submit("1").catch((e: unknown) => e);
    assert.ok(err instanceof UnauthorizedError, String(err));
    assert.equal(err.status, 401);
    assert.equal(err.code, "unauthorized");
    assert.match(err.message, /an API key is required/);
  });

  test("a wrong key is an UnauthorizedError", async () => {
    const wrong = new Sandpit({ baseUrl: srv.keyed.url, apiKey: "not-" + srv.apiKey });
    const err = await wrong.get("0".repeat(32)).catch((e: unknown) => e);
    assert.ok(err instanceof UnauthorizedError, String(err));
    assert.equal(err.message, "the API key is not valid");
  });

  test("the right key is let in", async () => {
    const keyed = new Sandpit({ baseUrl: srv.keyed.url, apiKey: srv.apiKey });
    const job = await keyed.run("6 * 7");
    assert.equal(job.result, "42");
  });
});

describe("retries", () => {
  test("a 429 is retried after its Retry-After", async () => {
    const retries: RetryInfo[] = [];
    const keyed = new Sandpit({ baseUrl: srv.keyed.url, apiKey: srv.apiKey, onRetry: (r) => retries.push(r) });
    // The key may send 1 request a second with a burst of 1: of three
    // submissions at once, at least two wait for the limiter.
    const started = Date.now();
    const jobs = await Promise.all([keyed.submit("1"), keyed.submit("2"), keyed.submit("3")]);
    const took = Date.now() - started;
    assert.equal(new Set(jobs.map((j) => j.id)).size, 3);
    assert.ok(retries.length >= 2, `retries: ${JSON.stringify(retries)}`);
    for (const r of retries) {
      assert.ok(r.error instanceof RateLimitedError, String(r.error));
      assert.equal(r.error.retryAfter, 1);
      assert.ok(r.delayMs >= 1000 && r.delayMs <= 1100, `the wait is the Retry-After, and at most a tenth more: ${r.delayMs}`);
      assert.equal(r.request, "POST /v1/jobs");
    }
    assert.ok(took >= 1900, `two of the three waited a second each at least: took ${took} ms`);
  });

  test("without retries a 429 is a RateLimitedError with its retryAfter", async () => {
    const keyed = new Sandpit({ baseUrl: srv.keyed.url, apiKey: srv.apiKey, maxRetries: 0 });
    const results = await Promise.allSettled([keyed.get("0".repeat(32)), keyed.get("0".repeat(32)), keyed.get("0".repeat(32))]);
    const limited = results.filter((r) => r.status === "rejected" && r.reason instanceof RateLimitedError);
    assert.ok(limited.length >= 2, JSON.stringify(results.map((r) => r.status === "rejected" && String(r.reason))));
    const err = (limited[0] as PromiseRejectedResult).reason as RateLimitedError;
    assert.equal(err.status, 429);
    assert.equal(err.code, "rate_limited");
    assert.equal(err.retryAfter, 1);
    assert.match(err.message, /rate limit of 1 requests per second reached/);
  });

  test("a 400 is not retried", async () => {
    const retries: RetryInfo[] = [];
    const sandpit = new Sandpit({ baseUrl: srv.main.url, onRetry: (r) => retries.push(r) });
    const err = await sandpit.run("1", { timeout_ms: -1 }).catch((e: unknown) => e);
    assert.ok(err instanceof InvalidError, String(err));
    assert.equal(err.message, "timeout_ms: must not be negative");
    assert.deepEqual(retries, []);
  });

  test("a server that does not answer is a ConnectionFailedError after the retries", async () => {
    const port = await freePort(); // nothing listens there
    const retries: RetryInfo[] = [];
    const sandpit = new Sandpit({
      baseUrl: `http://127.0.0.1:${port}`,
      maxRetries: 2,
      initialRetryDelayMs: 10,
      onRetry: (r) => retries.push(r),
    });
    const err = await sandpit.get("0".repeat(32)).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionFailedError, String(err));
    assert.equal(err.status, 0);
    assert.equal(err.code, "connection");
    assert.match(err.message, /ECONNREFUSED/);
    assert.deepEqual(
      retries.map((r) => r.attempt),
      [1, 2],
    );
    // A request that never left is tried again even when it could not be
    // repeated safely once sent.
    retries.length = 0;
    const notSent = await sandpit.session().catch((e: unknown) => e);
    assert.ok(notSent instanceof ConnectionFailedError, String(notSent));
    assert.deepEqual(
      retries.map((r) => [r.request, r.attempt]),
      [
        ["POST /v1/sessions", 1],
        ["POST /v1/sessions", 2],
      ],
    );
  });
});

describe("idempotency", () => {
  let proxy: Proxy;

  before(async () => {
    proxy = await Proxy.start(srv.main.url);
  });
  after(() => proxy.close());

  test("the same Idempotency-Key gives the same job", async () => {
    const sandpit = new Sandpit({ baseUrl: srv.main.url });
    const key = "job-" + Math.random().toString(36).slice(2);
    const a = await sandpit.submit("print('once')", {}, { idempotencyKey: key });
    const b = await sandpit.submit("print('once')", {}, { idempotencyKey: key });
    assert.equal(b.id, a.id);
    const c = await sandpit.run("print('once')", {}, { idempotencyKey: key });
    assert.equal(c.id, a.id);
    assert.equal(c.stdout, "once\n");
    const other = await sandpit.submit("print('once')");
    assert.notEqual(other.id, a.id, "without a key of its own a submission is a new job");
  });

  for (const [method, path] of [
    ["submit", "/v1/jobs"],
    ["run", "/v1/run"],
  ] as const) {
    test(`${method} retried after its answer was lost gets the job of the first try`, async () => {
      const retries: RetryInfo[] = [];
      const sandpit = new Sandpit({ baseUrl: proxy.url, initialRetryDelayMs: 10, onRetry: (r) => retries.push(r) });
      const lost = proxy.dropNextAnswer((head) => head.startsWith(`POST ${path} `));
      const job = await sandpit[method]("print('ran')");
      const first = JSON.parse(bodyOf(await lost)) as Job;
      assert.equal(retries.length, 1);
      assert.ok(retries[0]!.error instanceof ConnectionFailedError);
      assert.equal(job.id, first.id, "the retry got the job the first try made, not a second one");
      const done = await sandpit.wait(job);
      assert.equal(done.stdout, "ran\n");
    });
  }

  test("a session run is not sent twice when its answer is lost", async () => {
    const retries: RetryInfo[] = [];
    const sandpit = new Sandpit({ baseUrl: proxy.url, initialRetryDelayMs: 10, onRetry: (r) => retries.push(r) });
    await sandpit.withSession(async (s) => {
      await s.run("n = 0");
      const lost = proxy.dropNextAnswer((head) => head.startsWith(`POST /v1/sessions/${s.id}/run `));
      const err = await s.run("n += 1\nn").catch((e: unknown) => e);
      assert.ok(err instanceof ConnectionFailedError, String(err));
      assert.match(await lost, /"result":"1"/);
      assert.deepEqual(retries, []);
      assert.equal((await s.run("n")).result, "1", "the run went once");
    });
  });

  test("a cancel is not sent twice when its answer is lost", async () => {
    const retries: RetryInfo[] = [];
    const sandpit = new Sandpit({ baseUrl: proxy.url, initialRetryDelayMs: 10, onRetry: (r) => retries.push(r) });
    const job = await sandpit.submit("import time\ntime.sleep(30)");
    const lost = proxy.dropNextAnswer((head) => head.startsWith(`DELETE /v1/jobs/${job.id} `));
    const err = await sandpit.cancel(job).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionFailedError, String(err));
    assert.match(await lost, /"status":"cancelled"/);
    assert.deepEqual(retries, []);
    assert.equal((await sandpit.get(job)).status, "cancelled");
  });
});

describe("batch results", () => {
  test("results picks up where it was after the connection breaks", async () => {
    const proxy = await Proxy.start(srv.main.url);
    try {
      const sandpit = new Sandpit({ baseUrl: proxy.url, initialRetryDelayMs: 10 });
      // Two items end at once, four a second later: the stream is cut
      // between them.
      const items = Array.from({ length: 6 }, (_, i) => ({
        id: `item-${i}`,
        code: i < 2 ? `${i}` : `import time\ntime.sleep(1)\n${i}`,
      }));
      const batch = await sandpit.submitBatch(items);
      const got: Job[] = [];
      for await (const job of batch.results()) {
        got.push(job);
        if (got.length === 2) {
          proxy.cutAll();
        }
      }
      assert.deepEqual(
        got.map((j) => [j.index, j.item_id, j.result]),
        items.map((it, i) => [i, it.id, String(i)]),
      );
      // The stream was opened again from the first job not yet seen.
      const opened = proxy.requests.filter((r) => r.startsWith(`GET /v1/batches/${batch.id}/results`));
      assert.ok(opened.length >= 2, JSON.stringify(proxy.requests));
      assert.match(opened[0]!, /\?from=0 /);
      assert.match(opened[1]!, /\?from=2 /);
    } finally {
      await proxy.close();
    }
  });
});
