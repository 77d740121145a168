// The client of sandpit's HTTP API.
import { Batch, type ResultsOptions, encodeItems } from "./batch.js";
import { type RetryInfo, Transport, newIdempotencyKey, sleep } from "./http.js";
import { Session } from "./session.js";
import { toSpec } from "./spec.js";
import {
  type BatchInfo,
  type Info,
  type Item,
  type Job,
  type Page,
  type RunOptions,
  type SessionInfo,
  type SessionSpec,
  isTerminal,
} from "./types.js";

/** How a Sandpit client is made. */
export interface SandpitOptions {
  /** The server, such as "http://127.0.0.1:8080" (the default). */
  baseUrl?: string;
  /** An API key, sent as a bearer token; leave it out when the server has none. */
  apiKey?: string;
  /** Retries of a request after its first try (default 4); 0 turns them off. */
  maxRetries?: number;
  /** The first backoff between tries, in ms (default 250), doubled at each retry. */
  initialRetryDelayMs?: number;
  /** The longest backoff, in ms (default 8000). */
  maxRetryDelayMs?: number;
  /** The longest Retry-After waited for, in ms (default 60000): a longer one is thrown at once. */
  maxRetryAfterMs?: number;
  /** Called before each wait to retry a request. */
  onRetry?: (info: RetryInfo) => void;
  /** The fetch to send requests with (default: the global fetch). */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/** Options of one request. */
export interface RequestOptions {
  /** Aborts the request, and its retries and waits. */
  signal?: AbortSignal;
}

/** Options of a submission. */
export interface SubmitOptions extends RequestOptions {
  /**
   * The submission's Idempotency-Key. Every submission carries one (a fresh
   * random one by default), so that a retry after a broken connection gets
   * the job the first try made instead of running it twice; give your own to
   * make a submission idempotent across calls or processes.
   */
  idempotencyKey?: string;
}

/** Options of wait. */
export interface WaitOptions extends RequestOptions {
  /** How long to wait, in ms; past it wait throws a WaitTimeoutError (default: no end). */
  timeoutMs?: number;
  /** The longest pause between two looks at the job, in ms (default 1000). */
  maxPollIntervalMs?: number;
}

/** wait gave up before the job ended; the job runs on. */
export class WaitTimeoutError extends Error {
  /** The job as last seen. */
  readonly job: Job;

  constructor(message: string, job: Job) {
    super(message);
    this.name = "WaitTimeoutError";
    this.job = job;
  }
}

/** A job, or its id. */
export type JobRef = string | Pick<Job, "id">;

/**
 * Sandpit is a client of one sandpit server: it runs Python there, in a fresh
 * sandbox per job, in sessions that keep their state, or in batches.
 *
 * Requests are retried with backoff where that is safe: after 429 and 503
 * answers, waiting as long as their Retry-After says, and after network
 * errors for reads, cancels and job submissions, which carry an
 * Idempotency-Key so that a retry never runs a job twice.
 */
export class Sandpit {
  /** The transport, shared with sessions and batches. */
  readonly transport: Transport;

  constructor(options: SandpitOptions = {}) {
    const base = checkBaseUrl(options.baseUrl ?? "http://127.0.0.1:8080");
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== "function") {
      throw new TypeError("Sandpit: no fetch in this runtime; pass options.fetch");
    }
    this.transport = new Transport(
      base,
      options.apiKey,
      // Called unbound, fetch would lose its receiver in browsers.
      (input, init) => fetchFn(input, init),
      {
        maxRetries: nonNegative("maxRetries", options.maxRetries ?? 4),
        initialDelayMs: nonNegative("initialRetryDelayMs", options.initialRetryDelayMs ?? 250),
        maxDelayMs: nonNegative("maxRetryDelayMs", options.maxRetryDelayMs ?? 8000),
        maxRetryAfterMs: nonNegative("maxRetryAfterMs", options.maxRetryAfterMs ?? 60_000),
        onRetry: options.onRetry,
      },
      options.headers ?? {},
    );
  }

  /** The server's base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.transport.url("");
  }

  /** The server's version, the interpreter jobs run in, the limits in force and the packages jobs may import. */
  async info(options: RequestOptions = {}): Promise<Info> {
    return this.transport.json<Info>({ method: "GET", path: "/v1/info", replayable: true, signal: options.signal });
  }

  /** Runs code in a fresh sandbox and resolves with the finished job, whatever its status. */
  async run(code: string, spec: RunOptions = {}, options: SubmitOptions = {}): Promise<Job> {
    return this.transport.json<Job>({
      method: "POST",
      path: "/v1/run",
      json: toSpec(code, spec),
      idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
      replayable: true,
      signal: options.signal,
    });
  }

  /** Queues code to run and resolves with the queued job at once; see wait. */
  async submit(code: string, spec: RunOptions = {}, options: SubmitOptions = {}): Promise<Job> {
    return this.transport.json<Job>({
      method: "POST",
      path: "/v1/jobs",
      json: toSpec(code, spec),
      idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
      replayable: true,
      signal: options.signal,
    });
  }

  /** The job as it is now. */
  async get(job: JobRef, options: RequestOptions = {}): Promise<Job> {
    return this.transport.json<Job>({ method: "GET", path: jobPath(job), replayable: true, signal: options.signal });
  }

  /**
   * Resolves with the job once it has ended, looking at it with pauses that
   * grow to maxPollIntervalMs. After timeoutMs it gives up with a
   * WaitTimeoutError that holds the job as last seen; the job runs on.
   */
  async wait(job: JobRef, options: WaitOptions = {}): Promise<Job> {
    const maxPause = options.maxPollIntervalMs ?? 1000;
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let pause = 50;
    for (;;) {
      const now = await this.get(job, options);
      if (isTerminal(now.status)) {
        return now;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new WaitTimeoutError(`job ${now.id} is still ${now.status} after ${options.timeoutMs} ms`, now);
      }
      await sleep(Math.min(pause, left), options.signal);
      pause = Math.min(maxPause, pause * 1.5);
    }
  }

  /**
   * Cancels a queued or running job and resolves with it. A job that has
   * already ended is refused with a ConflictError.
   */
  async cancel(job: JobRef, options: RequestOptions = {}): Promise<Job> {
    return this.transport.json<Job>({ method: "DELETE", path: jobPath(job), replayable: false, signal: options.signal });
  }

  /** The bytes of one output file of a finished job, by its path in the job's files. */
  async file(job: JobRef, path: string, options: RequestOptions = {}): Promise<Uint8Array> {
    if (typeof path !== "string" || path === "") {
      throw new TypeError("file: path must be a non-empty string, such as \"out/chart.png\"");
    }
    const p = path.split("/").map(encodeURIComponent).join("/");
    return this.transport.bytes({
      method: "GET",
      path: `${jobPath(job)}/files/${p}`,
      accept: "*/*",
      replayable: true,
      signal: options.signal,
    });
  }

  /**
   * Opens a session: one interpreter that keeps its variables, imports and
   * files from one run to the next. Close it when done, or hold it with
   * `await using` (or use withSession), which closes it for you.
   */
  async session(spec: SessionSpec = {}, options: RequestOptions = {}): Promise<Session> {
    const info = await this.transport.json<SessionInfo>({
      method: "POST",
      path: "/v1/sessions",
      json: spec,
      // A new session per try: a retry after a broken connection could
      // leave one open unseen, so only refusals (429, 503) are retried.
      replayable: false,
      signal: options.signal,
    });
    return new Session(this.transport, info);
  }

  /** Opens a session, calls fn with it, and closes it however fn ends. */
  async withSession<T>(fn: (session: Session) => Promise<T> | T, spec: SessionSpec = {}, options: RequestOptions = {}): Promise<T> {
    const s = await this.session(spec, options);
    try {
      return await fn(s);
    } finally {
      await s.close().catch(() => undefined);
    }
  }

  /** A session opened before, by its id. */
  async getSession(id: string, options: RequestOptions = {}): Promise<Session> {
    const info = await this.transport.json<SessionInfo>({
      method: "GET",
      path: `/v1/sessions/${encodeId("session", id)}`,
      replayable: true,
      signal: options.signal,
    });
    return new Session(this.transport, info);
  }

  /** Closes a session by its id, and resolves with its final state. */
  async closeSession(id: string, options: RequestOptions = {}): Promise<SessionInfo> {
    return this.transport.json<SessionInfo>({
      method: "DELETE",
      path: `/v1/sessions/${encodeId("session", id)}`,
      replayable: false,
      signal: options.signal,
    });
  }

  /**
   * Submits a batch of items and resolves once the server has accepted all
   * of them (each is checked first: one bad item refuses the batch, with its
   * line number). Iterate the batch's results() for its jobs in order.
   */
  async submitBatch(items: Iterable<Item> | AsyncIterable<Item>, options: RequestOptions = {}): Promise<Batch> {
    const body = await encodeItems(items);
    const info = await this.transport.json<BatchInfo>({
      method: "POST",
      path: "/v1/batches",
      blob: body,
      contentType: "application/x-ndjson",
      replayable: false,
      signal: options.signal,
    });
    return new Batch(this.transport, info);
  }

  /**
   * Submits items as one batch and yields their jobs in submission order,
   * each as soon as it has ended:
   * `for await (const job of sandpit.batch(items)) ...`.
   */
  async *batch(items: Iterable<Item> | AsyncIterable<Item>, options: ResultsOptions = {}): AsyncGenerator<Job, void, undefined> {
    const b = await this.submitBatch(items, options);
    yield* b.results(options);
  }

  /** A batch submitted before, by its id, with its progress now. */
  async getBatch(id: string, options: RequestOptions = {}): Promise<Batch> {
    const info = await this.transport.json<BatchInfo>({
      method: "GET",
      path: `/v1/batches/${encodeId("batch", id)}`,
      replayable: true,
      signal: options.signal,
    });
    return new Batch(this.transport, info);
  }

  /** Cancels the items of a batch that have not ended, by its id. */
  async cancelBatch(id: string, options: RequestOptions = {}): Promise<BatchInfo> {
    return new Batch(this.transport, { id } as BatchInfo).cancel(options);
  }

  /**
   * The jobs of a batch submitted before, by its id, in submission order
   * from item options.start (0 by default) on; see Batch.results.
   */
  batchResults(id: string, options: ResultsOptions = {}): AsyncGenerator<Job, void, undefined> {
    encodeId("batch", id);
    return new Batch(this.transport, { id } as BatchInfo).results(options);
  }

  /**
   * Stores spec as a page that runs the code in the browser of whoever opens
   * its URL, and resolves with its id, url and expiry.
   */
  async createPage(code: string, spec: RunOptions = {}, options: RequestOptions = {}): Promise<Page> {
    return this.transport.json<Page>({
      method: "POST",
      path: "/v1/pages",
      json: toSpec(code, spec),
      replayable: false,
      signal: options.signal,
    });
  }
}

function jobPath(job: JobRef): string {
  const id = typeof job === "string" ? job : job?.id;
  return `/v1/jobs/${encodeId("job", id)}`;
}

function encodeId(what: string, id: unknown): string {
  if (typeof id !== "string" || id === "") {
    throw new TypeError(`${what} id must be a non-empty string`);
  }
  return encodeURIComponent(id);
}

function checkBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TypeError(`Sandpit: baseUrl ${JSON.stringify(raw)} is not a URL; want http://HOST:PORT or https://HOST`);
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.host === "" || u.search || u.hash) {
    throw new TypeError(`Sandpit: baseUrl ${JSON.stringify(raw)}: want http://HOST:PORT or https://HOST`);
  }
  return raw.replace(/\/+$/, "");
}

function nonNegative(name: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new TypeError(`Sandpit: ${name} must be a number of at least 0, not ${String(v)}`);
  }
  return v;
}
