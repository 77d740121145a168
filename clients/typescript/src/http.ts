// The transport: one HTTP request with the client's credentials, retried
// with backoff where a retry is safe.
import { ConnectionFailedError, SandpitError, errorFromResponse } from "./errors.js";

/** What the client is told before it waits to try a request again. */
export interface RetryInfo {
  /** The request, as "METHOD /path". */
  request: string;
  /** 1 for the first retry. */
  attempt: number;
  /** How long the client waits before it, in milliseconds. */
  delayMs: number;
  /** Why: the error answer (429, 503) or the ConnectionFailedError. */
  error: SandpitError;
}

/** How requests are retried. */
export interface RetryPolicy {
  /** Retries of one request after the first try; 0 turns retries off. */
  maxRetries: number;
  /** The first backoff, doubled at each retry (with jitter), when the server gives no Retry-After. */
  initialDelayMs: number;
  /** The longest backoff. */
  maxDelayMs: number;
  /** The longest Retry-After waited for: a longer one is thrown at once. */
  maxRetryAfterMs: number;
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
   * true for reads and for submissions with an Idempotency-Key. A request
   * that never left (the connection was refused), and one refused with a
   * 429 that says when to come back or a 503, are retried either way.
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
   * that is safe: after a 429 with Retry-After (waiting as long as it says)
   * or a 503; after a connection that could not be made; and, for a
   * replayable call, after a connection that broke before the answer was
   * read.
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
          const delay = this.afterAnswer(e, attempt);
          if (delay === undefined) {
            throw e;
          }
          await this.pause(what, attempt, delay, e, call.signal);
          continue;
        }
        result = await read(res);
      } catch (err) {
        if (err instanceof SandpitError || call.signal?.aborted) {
          throw call.signal?.aborted ? (call.signal.reason ?? err) : err;
        }
        const doing = res === undefined ? "" : "read the answer: ";
        const e = new ConnectionFailedError(`${what}: ${doing}${describe(err)}`, {
          status: res?.status ?? 0,
          code: "connection",
          cause: err,
        });
        const unsent = res === undefined && neverSent(err);
        if (!(call.replayable || unsent) || attempt >= this.retry.maxRetries) {
          throw e;
        }
        await this.pause(what, attempt, this.backoff(attempt), e, call.signal);
        continue;
      }
      return result;
    }
  }

  /**
   * The wait before trying again after an error answer, or undefined to
   * give up: a 429 waits what its Retry-After says (one without it is a
   * limit that waiting does not lift, such as a key's open sessions), a 503
   * too, or backs off when it does not say.
   */
  private afterAnswer(e: SandpitError, attempt: number): number | undefined {
    if (attempt >= this.retry.maxRetries || (e.status !== 429 && e.status !== 503)) {
      return undefined;
    }
    if (e.retryAfter === undefined) {
      return e.status === 503 ? this.backoff(attempt) : undefined;
    }
    const ms = e.retryAfter * 1000;
    if (ms > this.retry.maxRetryAfterMs) {
      return undefined;
    }
    // Up to a tenth more, so that clients refused together do not return together.
    return ms * (1 + Math.random() / 10);
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

/** Codes of the errors of a connection that could not be made: the request never left. */
const connectCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * Reports whether a fetch error says the connection could not be made, so
 * that the request never reached the server. Runtimes that do not say why
 * (browsers) get false: the request may have left.
 */
export function neverSent(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && connectCodes.has(code)) {
      return true;
    }
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0 && errors.every((x) => neverSent(x))) {
      return true;
    }
  }
  return false;
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
