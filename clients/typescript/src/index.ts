// @sandpit/client: the client of sandpit's HTTP API.
export {
  Sandpit,
  type JobRef,
  type RequestOptions,
  type SandpitOptions,
  type SubmitOptions,
  type WaitOptions,
} from "./client.js";
export { Session, type SessionRunOptions } from "./session.js";
export { Batch, type ResultsOptions } from "./batch.js";
export {
  SandpitError,
  InvalidError,
  UnauthorizedError,
  NotFoundError,
  MethodNotAllowedError,
  ConflictError,
  TooLargeError,
  UnsupportedError,
  QueueFullError,
  RateLimitedError,
  InternalError,
  UnavailableError,
  ServerTimeoutError,
  ConnectionError,
  errorClasses,
  type ErrorDetails,
} from "./errors.js";
export type { RetryInfo } from "./http.js";
export { fileBytes } from "./files.js";
export {
  isTerminal,
  terminalStatuses,
  type BatchInfo,
  type ErrorCode,
  type InputFile,
  type Item,
  type Job,
  type JobStatus,
  type OutputFile,
  type Page,
  type PyError,
  type RunOptions,
  type SessionInfo,
  type SessionSpec,
  type Spec,
} from "./types.js";
export type { components, paths } from "./openapi.js";
