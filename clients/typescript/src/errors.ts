// Errors: one class per code of the API's error answers
// ({"error": {"code", "message"}}), each a SandpitError.
import type { ErrorCode } from "./types.js";

/** Where a SandpitError came from, besides its message. */
export interface ErrorDetails {
  /** The HTTP status of the answer; 0 when no answer came. */
  status: number;
  /** The API's error code, such as "invalid"; "connection" when no answer came. */
  code: string;
  /** Seconds to wait before trying again, from the answer's Retry-After. */
  retryAfter?: number;
  /** The server's X-Request-Id of the request, to find it in the server's logs. */
  requestId?: string;
  /** The error this one stands for, such as the network error of a failed fetch. */
  cause?: unknown;
}

/**
 * SandpitError is every error the client throws for an answer of the server
 * (or its absence). `message` is the server's own, naming what is wrong
 * ("timeout_ms: must not be negative"); `code` is the API's error code.
 */
export class SandpitError extends Error {
  /** The HTTP status of the answer; 0 when no answer came. */
  readonly status: number;
  /** The API's error code, such as "invalid". */
  readonly code: string;
  /** Seconds to wait before trying again, when the server said (429, 503). */
  readonly retryAfter: number | undefined;
  /** The server's request id, to find the request in its logs. */
  readonly requestId: string | undefined;

  constructor(message: string, details: ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code;
    this.retryAfter = details.retryAfter;
    this.requestId = details.requestId;
  }

  override toString(): string {
    return `${this.name}: ${this.code}: ${this.message}`;
  }
}

/** invalid (400): not JSON, a missing or mistyped field, a limit broken. */
export class InvalidError extends SandpitError {}
/** unauthorized (401): the server has API keys and the request has no valid one. */
export class UnauthorizedError extends SandpitError {}
/** forbidden (403): a server without API keys refuses a request from a web page of another origin. */
export class ForbiddenError extends SandpitError {}
/** not_found (404): no such job, batch, session or page (or it expired), or no such endpoint. */
export class NotFoundError extends SandpitError {}
/** method (405): the method is not allowed on the endpoint. */
export class MethodNotAllowedError extends SandpitError {}
/** conflict (409): cancelling a job that has ended; running in a session that has ended. */
export class ConflictError extends SandpitError {}
/** too_large (413): the spec is over the server's size limit. */
export class TooLargeError extends SandpitError {}
/** unsupported (415): a body type the server does not read. */
export class UnsupportedMediaTypeError extends SandpitError {}
/** queue_full (429): the queue is at its depth limit; see retryAfter. */
export class QueueFullError extends SandpitError {}
/** rate_limited (429): the key is over its rate, its requests in flight or its pages; see retryAfter. */
export class RateLimitedError extends SandpitError {}
/** internal (500): a fault of the server's own. */
export class InternalError extends SandpitError {}
/** unavailable (503): a dependency of the server (Redis, the browser) is down. */
export class UnavailableError extends SandpitError {}
/** timeout (504): the server waited too long. */
export class ServerTimeoutError extends SandpitError {}
/**
 * No answer came: the server could not be reached, or the connection broke
 * and the request was not tried again (it may not be repeated safely) or
 * every retry failed too. The network error is its cause.
 */
export class ConnectionFailedError extends SandpitError {}

/** The class of each error code. */
export const errorClasses: Readonly<Record<ErrorCode | "forbidden", typeof SandpitError>> = {
  invalid: InvalidError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  method: MethodNotAllowedError,
  conflict: ConflictError,
  too_large: TooLargeError,
  unsupported: UnsupportedMediaTypeError,
  queue_full: QueueFullError,
  rate_limited: RateLimitedError,
  internal: InternalError,
  unavailable: UnavailableError,
  timeout: ServerTimeoutError,
};

/**
 * Reads Retry-After, in seconds or as an HTTP date, as seconds from now;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") {
    return undefined;
  }
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) {
    return Number(v);
  }
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** Turns an error answer into the SandpitError of its code. */
export async function errorFromResponse(res: Response, what: string): Promise<SandpitError> {
  const details: ErrorDetails = {
    status: res.status,
    code: "",
    retryAfter: parseRetryAfter(res.headers.get("Retry-After")),
    requestId: res.headers.get("X-Request-Id") ?? undefined,
  };
  let text = "";
  try {
    text = await res.text();
  } catch {
    // The body broke off; the status still says what happened.
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (e && typeof e.code === "string" && e.code !== "") {
    details.code = e.code;
    const cls = (errorClasses as Record<string, typeof SandpitError>)[e.code] ?? SandpitError;
    return new cls(typeof e.message === "string" ? e.message : "", details);
  }
  // Not one of sandpit's answers: a proxy in front, say.
  details.code = "http_" + res.status;
  const excerpt = text.trim().slice(0, 200);
  return new SandpitError(`${what}: HTTP ${res.status} ${res.statusText}${excerpt ? ": " + excerpt : ""}`, details);
}
