// The transport: one HTTP request with the client's credentials, retried
// with backoff where a retry is safe.
import { ConnectionError, SandpitError, errorFromResponse } from "./errors.js";

/** What the client is told before it waits to try a request again. */
export interface RetryInfo {
  /** The request, as "METHOD /path". */
  request: string;
  /** 1 for the first retry. */
  attempt: number;
  /** How long the client waits before it, in milliseconds. */
  delayMs: number;
  /** Why: the error answer (429, 503) or the ConnectionError. */
  error: SandpitError;
}

/** How requests are retried. */
export interface RetryPolicy {
  /** Retries of one request after the first try; 0 turns retries off. */
  maxRetries: number;
  /** The first backoff, doubled at each retry, when the server gives no Retry-After. */
  initialDelayMs: number;
  /** The longest wait: a Retry-After longer than this is not waited for but thrown. */
  maxDelayMs: number;
  /** Called before each wait. */
  onRetry?: (info: RetryInfo) => void;
}

/** One request of the client. */
export interface Call {
  method: "GET" | "POST" | "DELETE";
  /** The path and query, such as "/v1/jobs". */
  path: string;
  /** A JSON body, or a Blob sent as it is with contentType. */
  json?: unknown;
  blob?: Blob;
  contentType?: string;
  accept?: string;
  idempotencyKey?: string;
  /**
   * Whether a request that may have reached the server can be sent again:
   * true for reads, cancels and submissions with an Idempotency-Key. Answers
   * that say the server did nothing (429, 503) are retried either way.
   */
  replayable: boolean;
  signal?: AbortSignal;
}

/** Transport sends the client's requests. */
export class Transport {
  constructor(
    private readonly base: string,
    private readonly apiKey: string | undefined,
    private readonly fetchFn: typeof fetch,
    readonly retry: RetryPolicy,
    private readonly headers: Record<string, string>,
  ) {}

  /** The absolute URL of a path. */
  url(path: string): string {
    return this.base + path;
  }

  /**
   * Sends call and returns the successful answer, its body unread; an error
   * answer is thrown as the SandpitError of its code.
   */
  send(call: Call): Promise<Response> {
    return this.request(call, async (res) => res);
  }

  /** Sends call and decodes its JSON answer. */
  json<T>(call: Call): Promise<T> {
    return this.request(call, async (res) => (await res.json()) as T);
  }

  /** Sends call and returns its answer's bytes. */
  bytes(call: Call): Promise<Uint8Array> {
    return this.request(call, async (res) => new Uint8Array(await res.arrayBuffer()));
  }

  /**
   * Sends call and reads its successful answer with read, trying again where
   * that is safe: after a 429 or 503 (waiting as long as Retry-After says),
   * and, for a replayable call, after the connection failed or broke before
   * the answer was read.
   */
  private async request<T>(call: Call, read: (res: Response) => Promise<T>): Promise<T> {
    const what = `${call.method} ${call.path}`;
    for (let attempt = 0; ; attempt++) {
      call.signal?.throwIfAborted();
      let res: Response | undefined;
      let result: T;
      try {
        res = await this.fetchFn(this.url(call.path), this.init(call));
        if (!res.ok) {
          const e = await errorFromResponse(res, what);
          const delay = e.retryAfter !== undefined ? e.retryAfter * 1000 : this.backoff(attempt);
          if ((res.status === 429 || res.status === 503) && attempt < this.retry.maxRetries && delay <= this.retry.maxDelayMs) {
            await this.pause(what, attempt, delay, e, call.signal);
            continue;
          }
          throw e;
        }
        result = await read(res);
      } catch (err) {
        if (err instanceof SandpitError || call.signal?.aborted) {
          throw call.signal?.aborted ? (call.signal.reason ?? err) : err;
        }
        const doing = res === undefined ? "" : "read the answer: ";
        const e = new ConnectionError(`${what}: ${doing}${describe(err)}`, {
          status: res?.status ?? 0,
          code: "connection",
          cause: err,
        });
        if (!call.replayable || attempt >= this.retry.maxRetries) {
          throw e;
        }
        await this.pause(what, attempt, this.backoff(attempt), e, call.signal);
        continue;
      }
      return result;
    }
  }

  private init(call: Call): RequestInit {
    const headers: Record<string, string> = { ...this.headers, Accept: call.accept ?? "application/json" };
    if (this.apiKey) {
      headers["Authorization"] = `Bearer ${this.apiKey}`;
    }
    if (call.idempotencyKey) {
      headers["Idempotency-Key"] = call.idempotencyKey;
    }
    let body: BodyInit | undefined;
    if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers["Content-Type"] = "application/json";
    } else if (call.blob !== undefined) {
      body = call.blob;
      headers["Content-Type"] = call.contentType ?? "application/octet-stream";
    }
    return { method: call.method, headers, body, signal: call.signal };
  }

  /** The wait before retry attempt+1: doubling from the first delay, with jitter, capped. */
  backoff(attempt: number): number {
    const d = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** attempt);
    return d / 2 + (Math.random() * d) / 2;
  }

  private async pause(what: string, attempt: number, delayMs: number, error: SandpitError, signal?: AbortSignal) {
    this.retry.onRetry?.({ request: what, attempt: attempt + 1, delayMs, error });
    await sleep(delayMs, signal);
  }
}

/** Waits ms milliseconds, or until signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A network error's message with its cause's, which says what broke (ECONNREFUSED, say). */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) {
    return String(err);
  }
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message && !err.message.includes(cause.message)) {
    return `${err.message}: ${cause.message}`;
  }
  return err.message;
}

/** A fresh Idempotency-Key: a random UUID. */
export function newIdempotencyKey(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) {
    return c.randomUUID();
  }
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) {
    c.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = Math.floor(Math.random() * 256);
    }
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
