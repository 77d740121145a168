// @sandpit/client: the client of sandpit's HTTP API.
export {
  Sandpit,
  type JobRef,
  type RequestOptions,
  type SandpitOptions,
  type SubmitOptions,
  type WaitOptions,
} from "./client.js";
export { WaitTimeoutError } from "./client.js";
export { Session } from "./session.js";
export { Batch, type ResultsOptions } from "./batch.js";
export {
  SandpitError,
  InvalidError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  MethodNotAllowedError,
  ConflictError,
  TooLargeError,
  UnsupportedMediaTypeError,
  QueueFullError,
  RateLimitedError,
  InternalError,
  UnavailableError,
  ServerTimeoutError,
  ConnectionFailedError,
  errorClasses,
  type ErrorDetails,
} from "./errors.js";
export type { RetryInfo } from "./http.js";
export { fileBytes } from "./files.js";
export { outputData, isJSONType, isTextType } from "./outputs.js";
export {
  isTerminal,
  terminalStatuses,
  type BatchInfo,
  type ErrorCode,
  type Info,
  type InputFile,
  type Item,
  type Job,
  type JobStatus,
  type Output,
  type OutputFile,
  type Page,
  type PyError,
  type RunOptions,
  type SessionInfo,
  type SessionRunOptions,
  type SessionSpec,
  type Spec,
} from "./types.js";
export type { components, paths } from "./openapi.js";
