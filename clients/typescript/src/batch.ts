// Batches: many items submitted at once, their jobs read back in order.
import type { RequestOptions } from "./client.js";
import { ConnectionFailedError, SandpitError } from "./errors.js";
import { type Transport, describe, sleep } from "./http.js";
import type { BatchInfo, Item, Job } from "./types.js";

/** Options of results. */
export interface ResultsOptions extends RequestOptions {
  /**
   * The index of the first item to yield (default 0): to go on after the
   * last job seen, pass its index + 1.
   */
  start?: number;
  /** Reconnections in a row without a new job before giving up (default: the client's maxRetries). */
  maxReconnects?: number;
}

/**
 * Batch is a submitted batch. Its results() yields the items' jobs in
 * submission order, each as soon as it has ended, and picks up where it was
 * when the connection breaks.
 */
export class Batch implements AsyncIterable<Job> {
  /** The batch's id. */
  readonly id: string;
  /** The batch as last reported by the server. */
  info: BatchInfo;

  constructor(
    private readonly transport: Transport,
    info: BatchInfo,
  ) {
    this.id = info.id;
    this.info = info;
  }

  private get path(): string {
    return `/v1/batches/${encodeURIComponent(this.id)}`;
  }

  /** The batch's progress now: total, done, pending, counts by status, passed and failed tests. */
  async get(options: RequestOptions = {}): Promise<BatchInfo> {
    this.info = await this.transport.json<BatchInfo>({
      method: "GET",
      path: this.path,
      replayable: true,
      signal: options.signal,
    });
    return this.info;
  }

  /** Cancels the items that have not ended. */
  async cancel(options: RequestOptions = {}): Promise<BatchInfo> {
    this.info = await this.transport.json<BatchInfo>({
      method: "DELETE",
      path: this.path,
      replayable: false,
      signal: options.signal,
    });
    return this.info;
  }

  /**
   * Yields the items' jobs in submission order, each as soon as it has ended.
   * When the connection breaks (or the stream ends before the last item),
   * the stream is opened again from the next item (?from=), so each job is
   * yielded once.
   */
  async *results(options: ResultsOptions = {}): AsyncGenerator<Job, void, undefined> {
    const maxReconnects = options.maxReconnects ?? this.transport.retry.maxRetries;
    let next = options.start ?? 0; // the index of the next job to yield
    if (!Number.isSafeInteger(next) || next < 0) {
      throw new TypeError(`results: start must be a whole number of items, at least 0, not ${String(options.start)}`);
    }
    let failures = 0;
    for (;;) {
      let lastError: unknown;
      try {
        const res = await this.transport.send({
          method: "GET",
          path: `${this.path}/results?from=${next}`,
          accept: "application/x-ndjson",
          replayable: true,
          signal: options.signal,
        });
        for await (const line of lines(res.body, options.signal)) {
          const job = parseJob(line, this.id);
          const index = job.index ?? next;
          if (index < next) {
            continue; // a server that ignores from= starts again at 0
          }
          next = index + 1;
          failures = 0;
          yield job;
        }
      } catch (err) {
        if (err instanceof SandpitError || options.signal?.aborted) {
          throw err;
        }
        lastError = err; // the connection broke: read on from a new one
      }
      const info = await this.get(options);
      if (info.complete && next >= info.total) {
        return;
      }
      if (++failures > maxReconnects) {
        throw new ConnectionFailedError(
          `GET ${this.path}/results: the stream broke off ${failures} times in a row after item ${next} of ${info.total}` +
            (lastError ? `: ${describe(lastError)}` : ""),
          { status: 0, code: "connection", cause: lastError },
        );
      }
      await sleep(this.transport.backoff(failures - 1), options.signal);
    }
  }

  /** Iterating a batch iterates its results(). */
  [Symbol.asyncIterator](): AsyncGenerator<Job, void, undefined> {
    return this.results();
  }
}

/**
 * Writes items as JSON lines, checking each is an object, into a Blob that
 * can be sent again if the upload is refused for a while (429, 503).
 */
export async function encodeItems(items: Iterable<Item> | AsyncIterable<Item>): Promise<Blob> {
  if (items === null || typeof items !== "object" || !(Symbol.iterator in items || Symbol.asyncIterator in items)) {
    throw new TypeError("submitBatch: items must be an iterable or async iterable of job specs");
  }
  const parts: string[] = [];
  let n = 0;
  for await (const item of items as AsyncIterable<Item>) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new TypeError(`submitBatch: item ${n} must be a job spec object, not ${item === null ? "null" : typeof item}`);
    }
    parts.push(JSON.stringify(item) + "\n");
    n++;
  }
  if (n === 0) {
    throw new TypeError("submitBatch: the batch has no items");
  }
  return new Blob(parts, { type: "application/x-ndjson" });
}

function parseJob(line: string, batch: string): Job {
  try {
    return JSON.parse(line) as Job;
  } catch (err) {
    throw new SandpitError(`results of batch ${batch}: a line is not JSON: ${describe(err)}`, {
      status: 200,
      code: "internal",
      cause: err,
    });
  }
}

/** Yields the non-blank lines of a body as they arrive. */
async function* lines(body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): AsyncGenerator<string> {
  if (body === null) {
    return;
  }
  const reader = body.getReader();
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        buf += decoder.decode();
        break;
      }
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== "") {
          yield line;
        }
      }
    }
    if (buf.trim() !== "") {
      // A last line without its newline: the stream was cut inside it.
      throw new TypeError("the stream ended inside a line");
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Leaving early (a break, an error) closes the connection.
    reader.cancel().catch(() => undefined);
  }
}
