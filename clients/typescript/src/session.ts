// Sessions: one interpreter that keeps its state across runs.
import type { RequestOptions } from "./client.js";
import { ConflictError, NotFoundError } from "./errors.js";
import type { Transport } from "./http.js";
import { toSpec } from "./spec.js";
import type { Job, SessionInfo, SessionRunOptions } from "./types.js";

/**
 * Session is an open session of a Sandpit client: each run sees the
 * variables, imports and files the earlier runs left. It is an
 * AsyncDisposable, so `await using s = await sandpit.session()` closes it at
 * the end of the block.
 */
export class Session implements AsyncDisposable {
  /** The session's id. */
  readonly id: string;
  /** The session as last reported by the server. */
  info: SessionInfo;

  constructor(
    private readonly transport: Transport,
    info: SessionInfo,
  ) {
    this.id = info.id;
    this.info = info;
  }

  private get path(): string {
    return `/v1/sessions/${encodeURIComponent(this.id)}`;
  }

  /**
   * Runs code in the session's interpreter and resolves with the finished
   * job. A session that has ended (closed, expired, or lost with its worker)
   * refuses it with a ConflictError saying why.
   */
  async run(code: string, spec: SessionRunOptions = {}, options: RequestOptions = {}): Promise<Job> {
    return this.transport.json<Job>({
      method: "POST",
      path: `${this.path}/run`,
      json: toSpec(code, spec),
      // The run changes the session's state: it is not sent twice.
      replayable: false,
      signal: options.signal,
    });
  }

  /** The session as it is now; also updates info. */
  async get(options: RequestOptions = {}): Promise<SessionInfo> {
    this.info = await this.transport.json<SessionInfo>({
      method: "GET",
      path: this.path,
      replayable: true,
      signal: options.signal,
    });
    return this.info;
  }

  /**
   * Closes the session and frees its interpreter; its state is lost.
   * Closing a session that has already ended, or is gone, resolves with its
   * last known state.
   */
  async close(options: RequestOptions = {}): Promise<SessionInfo> {
    try {
      this.info = await this.transport.json<SessionInfo>({
        method: "DELETE",
        path: this.path,
        replayable: false,
        signal: options.signal,
      });
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof NotFoundError)) {
        throw err;
      }
    }
    return this.info;
  }

  /** Closes the session, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
