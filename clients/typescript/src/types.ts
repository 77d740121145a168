// The API's types, named from the schemas of api/openapi.json (generated
// into openapi.ts by `npm run generate`).
import type { components } from "./openapi.js";

type Schemas = components["schemas"];

/** A job spec: what to run and under which limits. */
export type Spec = Schemas["Spec"];

/** The fields of a spec besides its code, as `run(code, options)` takes them. */
export type RunOptions = Omit<Spec, "code">;

/** An input file of a spec: text, or base64 when `encoding` is "base64". */
export type InputFile = Omit<Schemas["File"], "mime_type" | "size">;

/** An output file of a job: `content` is base64, with its `mime_type` and `size`. */
export type OutputFile = Schemas["File"];

/**
 * A rich output of a job, as Jupyter's display data: MIME type to data. JSON
 * types (application/json, application/vnd.plotly.v1+json) hold JSON values,
 * text types (text/html, text/markdown, image/svg+xml) strings, others
 * (image/png, image/jpeg) base64 strings; `outputData` decodes any of them.
 */
export type Output = Schemas["Output"];

/** A job: its spec's outcome, or its progress while it runs. */
export type Job = Schemas["Job"];

/** Where a job is in its life. */
export type JobStatus = Job["status"];

/** The uncaught exception that ended a failed job. */
export type PyError = Schemas["PyError"];

/**
 * An item of a batch: a spec that may carry `id`, the caller's own id for the
 * item (given back as the job's `item_id`); its `test`, Python run after the
 * code, gives the job's `passed`.
 */
export type Item = Schemas["Item"];

/** A batch and its progress. */
export type BatchInfo = Schemas["Batch"];

/** What a new session is given: its memory cap, packages and files. */
export type SessionSpec = Schemas["SessionSpec"];

/** What a run in a session takes besides its code: no memory_mb (set when the session starts) and no test. */
export type SessionRunOptions = Omit<Schemas["SessionRun"], "code">;

/** A session as the server reports it. */
export type SessionInfo = Schemas["Session"];

/** A spec stored as a page that runs in its viewer's browser. */
export type Page = Schemas["Page"];

/** The server's version, the interpreter jobs run in, the limits in force and the packages jobs may import. */
export type Info = Schemas["Info"];

/** The code of an error answer. */
export type ErrorCode = Schemas["Error"]["error"]["code"];

/** The statuses a job ends in. */
export const terminalStatuses: readonly JobStatus[] = [
  "succeeded",
  "failed",
  "timeout",
  "memory_limit",
  "cancelled",
  "error",
];

/** Reports whether a job has ended. */
export function isTerminal(status: JobStatus): boolean {
  return status !== "queued" && status !== "running";
}
