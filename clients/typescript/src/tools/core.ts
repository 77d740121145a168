// What every framework's tool shares: the input schema, the description, the
// run (in a fresh sandbox or in the conversation's session), and the result
// as text and images, which each adapter turns into its framework's content.
import { z } from "zod";

import { Sandpit, type SandpitOptions } from "../client.js";
import { ConflictError, ConnectionFailedError, SandpitError } from "../errors.js";
import type { Session } from "../session.js";
import { base64ToBytes, bytesToBase64 } from "../files.js";
import type { Job, OutputFile, SessionInfo, SessionRunOptions, SessionSpec } from "../types.js";

/** Options of a tool that runs Python in sandpit. */
export interface SandpitToolOptions {
  /** The client to run with, or the options to make one. */
  client: Sandpit | SandpitOptions;
  /** The tool's name as the model sees it (default "run_python"). */
  name?: string;
  /** The tool's description as the model sees it (default: one that says what the sandbox allows). */
  description?: string;
  /**
   * Keep one sandpit session for the conversation: every call runs in the
   * same interpreter, so variables, imports and files carry over. true, or
   * what the session starts with (memory_mb, packages, files). The session
   * opens at the first call; close() closes it. Without it, every call runs
   * in a fresh sandbox.
   */
  session?: boolean | SessionSpec;
  /** The timeout of a call that gives none, in ms (default: the server's). */
  defaultTimeoutMs?: number;
  /** Text output files longer than this many bytes are listed, not shown (default 65536). */
  maxTextFileBytes?: number;
}

/** The input a model gives the tool. */
export const inputSchema = z.object({
  code: z
    .string()
    .min(1)
    .describe(
      "the Python program, run as __main__; the value of its last line, when that is an expression, is reported as result",
    ),
  files: z
    .array(
      z.object({
        path: z.string().describe("path relative to the working directory, such as data/input.csv"),
        content: z.string().describe("the file's content: text, or base64 when encoding is base64"),
        encoding: z.enum(["utf-8", "base64"]).nullish().describe("utf-8 (the default) for text, base64 for binary content"),
      }),
    )
    .nullish()
    .describe("files written to the working directory before the code runs"),
  packages: z
    .array(z.string())
    .nullish()
    .describe("packages of the server's package repository to load before the code runs, such as numpy"),
  timeout_ms: z
    .number()
    .int()
    .min(0)
    .nullish()
    .describe("wall-clock limit in milliseconds; absent or 0: the server's default (10000 unless configured otherwise)"),
});

/** The input a model gives the tool. */
export type SandpitToolInput = z.infer<typeof inputSchema>;

/** An image the code wrote, as base64. */
export interface ToolImage {
  path: string;
  mediaType: string;
  /** The image's bytes in base64. */
  data: string;
}

/** The job of a run, less its files' contents. */
export type JobSummary = Omit<Job, "files"> & { files: Omit<OutputFile, "content" | "encoding">[] };

/**
 * The outcome of one call: text that says the status and shows the output,
 * the images the code wrote, and the job; isError when the job did not
 * succeed or sandpit refused the call.
 */
export interface SandpitToolResult {
  isError: boolean;
  text: string;
  images: ToolImage[];
  /** The job, absent when sandpit refused the call. */
  job?: JobSummary;
  /** The API's code and message when sandpit refused the call. */
  refused?: { code: string; message: string };
}

/** Image types returned as images: those the models behind agents accept. */
const imageTypes = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

const sandboxDoc =
  "The code runs in Pyodide (CPython compiled to WebAssembly) inside a sandboxed headless browser. There is no network access: no HTTP requests, no sockets, no pip installs from the internet. The standard library is available; other packages come only from the server's package repository: those the code imports load by themselves (name in packages those loaded without an import statement), and an unknown one fails with a ModuleNotFoundError listing what the server has. The working directory is /home/pyodide: input files are written there before the code runs, and every file the code creates or changes there is returned, images (PNG, JPEG, GIF, WebP) as images. Matplotlib figures (shown with plt.show() or still open at the end) come back as PNG images by themselves; save other charts there as PNG files. Standard input is empty. Top-level await works. The result reports the status, stdout, stderr, the repr() of the last line's value when it is an expression (as in a notebook cell), and the traceback of an uncaught exception; a run that raises, exits non-zero, times out or runs out of memory is reported as an error that says why. The run is stopped after timeout_ms and its memory is capped.";

/** The default description of the tool. */
export function describeTool(session: boolean): string {
  const state = session
    ? "Run Python 3 code in this conversation's interpreter, like a notebook cell: the variables, imports, functions and files that earlier calls left are still there. "
    : "Run Python 3 code in a fresh, isolated interpreter and return its output. Every call starts from nothing: no variables, imports or files carry over from earlier calls. ";
  return state + sandboxDoc;
}

/**
 * SandpitRunner runs the tool's calls: each in a fresh sandbox, or all in one
 * session opened at the first call.
 */
export class SandpitRunner {
  readonly client: Sandpit;
  readonly name: string;
  readonly description: string;
  private readonly sessionSpec: SessionSpec | undefined;
  private readonly defaultTimeoutMs: number | undefined;
  private readonly maxTextFileBytes: number;
  private session: Promise<Session> | undefined;
  private closed = false;

  constructor(options: SandpitToolOptions) {
    if (options === null || typeof options !== "object" || options.client === undefined) {
      throw new TypeError("sandpit tool: options.client is required: a Sandpit client, or its options ({baseUrl, apiKey})");
    }
    this.client = options.client instanceof Sandpit ? options.client : new Sandpit(options.client);
    this.name = options.name ?? "run_python";
    this.sessionSpec = options.session === true ? {} : options.session || undefined;
    this.description = options.description ?? describeTool(this.sessionSpec !== undefined);
    this.defaultTimeoutMs = options.defaultTimeoutMs;
    this.maxTextFileBytes = options.maxTextFileBytes ?? 65536;
  }

  /**
   * Runs one call. A refusal of sandpit's (a bad timeout, a rate limit) is a
   * result with isError, with the API's code and message, so that the model
   * can correct its call; a failure to reach sandpit is thrown.
   */
  async call(input: SandpitToolInput, signal?: AbortSignal): Promise<SandpitToolResult> {
    const parsed = inputSchema.parse(input);
    // A model sends null for what it leaves out; the API wants it absent.
    const spec: SessionRunOptions = {};
    if (parsed.files) {
      spec.files = parsed.files.map(({ path, content, encoding }) => (encoding ? { path, content, encoding } : { path, content }));
    }
    if (parsed.packages) {
      spec.packages = parsed.packages;
    }
    const timeout = parsed.timeout_ms || this.defaultTimeoutMs;
    if (timeout) {
      spec.timeout_ms = timeout;
    }
    try {
      if (this.sessionSpec === undefined) {
        return this.result(await this.client.run(parsed.code, spec, { signal }));
      }
      return await this.runInSession(parsed.code, spec, signal);
    } catch (err) {
      if (err instanceof SandpitError && !(err instanceof ConnectionFailedError)) {
        return refusal(err);
      }
      throw err;
    }
  }

  /**
   * Runs code in the conversation's session. A session that has ended
   * (expired while idle, or lost with its worker) is replaced by a new one,
   * and the result says that the earlier state is gone.
   */
  private async runInSession(code: string, spec: SessionRunOptions, signal?: AbortSignal): Promise<SandpitToolResult> {
    if (this.closed) {
      throw new Error(`${this.name}: the tool's session was closed by close(); make a new tool for a new conversation`);
    }
    const s = await this.openSession(signal);
    try {
      return this.result(await s.run(code, spec, { signal }));
    } catch (err) {
      if (!(err instanceof ConflictError)) {
        throw err;
      }
      const ended: SessionInfo = await s.get({ signal }).catch(() => s.info);
      if (ended.status === "open") {
        throw err;
      }
      if (this.session !== undefined && (await this.session.catch(() => undefined)) === s) {
        this.session = undefined;
      }
      const fresh = await this.openSession(signal);
      const res = this.result(await fresh.run(code, spec, { signal }));
      const why = ended.message ? `: ${ended.message}` : "";
      res.text =
        `note: the session had ended (${ended.status}${why}); this ran in a new session, and the variables, imports and files of earlier calls are gone\n\n` +
        res.text;
      return res;
    }
  }

  /** The session, opened at the first call; concurrent first calls share it. */
  private openSession(signal?: AbortSignal): Promise<Session> {
    if (this.session === undefined) {
      const opening = this.client.session(this.sessionSpec, { signal });
      this.session = opening;
      opening.catch(() => {
        if (this.session === opening) {
          this.session = undefined; // the next call tries again
        }
      });
    }
    return this.session;
  }

  /** The session's id, once a call has opened it. */
  async sessionId(): Promise<string | undefined> {
    return (await this.session?.catch(() => undefined))?.id;
  }

  /** Closes the session, if one was opened; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const s = await this.session?.catch(() => undefined);
    this.session = undefined;
    await s?.close();
  }

  /** The result of a finished job. */
  result(job: Job): SandpitToolResult {
    const images: ToolImage[] = [];
    const texts: string[] = [];
    const notes = new Map<string, string>();
    for (const f of job.files ?? []) {
      const mt = (f.mime_type ?? "").split(";")[0]!.trim().toLowerCase();
      if (imageTypes.has(mt)) {
        images.push({ path: f.path, mediaType: mt, data: base64Of(f) });
        notes.set(f.path, "an image, shown below");
        continue;
      }
      const text = textOf(f, mt);
      if (text === undefined) {
        notes.set(f.path, "binary, not shown");
      } else if (new TextEncoder().encode(text).length > this.maxTextFileBytes) {
        notes.set(f.path, "text too long to show");
      } else {
        texts.push(`\n--- ${f.path} ---\n${text}${text.endsWith("\n") ? "" : "\n"}`);
        notes.set(f.path, "text, shown below");
      }
    }
    const { files, ...rest } = job;
    const summary: JobSummary = {
      ...rest,
      files: (files ?? []).map(({ content: _c, encoding: _e, ...meta }) => meta),
    };
    return {
      isError: job.status !== "succeeded",
      text: jobText(job, notes) + texts.join(""),
      images,
      job: summary,
    };
  }
}

/** The result of a call sandpit refused. */
function refusal(err: SandpitError): SandpitToolResult {
  const retry = err.retryAfter !== undefined ? ` (try again in ${Math.ceil(err.retryAfter)} s)` : "";
  return {
    isError: true,
    text: `error: ${err.code}: ${err.message}${retry}`,
    images: [],
    refused: { code: err.code, message: err.message },
  };
}

/** The job's status and output as a model reads them. */
export function jobText(job: Job, notes: Map<string, string> = new Map()): string {
  let b = `status: ${statusLine(job)}\n`;
  const section = (name: string, body: string, truncated?: boolean) => {
    if (body === "" && !truncated) {
      return;
    }
    const note = truncated ? " (longer than the server keeps: only the beginning is shown)" : "";
    b += `\n${name}${note}:\n${body}${body.endsWith("\n") ? "" : "\n"}`;
  };
  const stdout = job.stdout ?? "";
  const stderr = job.stderr ?? "";
  section("stdout", stdout, job.stdout_truncated);
  section("stderr", stderr, job.stderr_truncated);
  // CPython prints the traceback at the end of stderr; show it apart only
  // when stderr does not already end with it.
  const tb = job.error?.traceback ?? "";
  if (tb !== "" && !stderr.trimEnd().endsWith(tb.trimEnd())) {
    section("traceback", tb);
  }
  const result = job.result;
  if (result !== null && result !== undefined) {
    if (result.includes("\n")) {
      section("result", result);
    } else {
      b += `\nresult: ${result}\n`;
    }
  }
  const files = job.files ?? [];
  if (files.length > 0 || job.files_truncated) {
    b += "\nfiles (in the working directory):\n";
    for (const f of files) {
      const note = notes.get(f.path);
      b += `- ${f.path} (${f.mime_type ?? "application/octet-stream"}, ${f.size ?? 0} bytes)${note ? ": " + note : ""}\n`;
    }
    if (job.files_truncated) {
      b += "- more files were made than the server returns; the rest are left out\n";
    }
  }
  if (stdout === "" && stderr === "" && (result === null || result === undefined) && files.length === 0 && job.status === "succeeded") {
    b += "\n(no output: nothing printed, no result, no files)\n";
  }
  return b;
}

/** How the job ended and, when it did not succeed, why. */
function statusLine(job: Job): string {
  const exit = job.exit_code !== null && job.exit_code !== undefined ? ` (exit code ${job.exit_code})` : "";
  switch (job.status) {
    case "succeeded":
      return "succeeded" + exit;
    case "failed": {
      const e = job.error;
      if (!e || !e.type) {
        return "failed" + exit;
      }
      if (e.type === "SystemExit") {
        return "failed: the code called sys.exit" + exit;
      }
      let msg = (e.message ?? "").split("\n")[0]!;
      if (msg.length > 200) {
        msg = msg.slice(0, 200) + "…";
      }
      return `failed: the code raised ${e.type}${msg ? ": " + msg : ""}${exit}`;
    }
    case "timeout": {
      let line =
        "timeout: " + (job.message || "the code ran longer than its timeout") + " (pass a larger timeout_ms, or make the code faster)";
      if (job.stdout || job.stderr) {
        line += "; what it printed until then is below";
      }
      return line;
    }
    case "memory_limit":
      return "memory_limit: " + (job.message || "the code used more memory than allowed");
  }
  return `${job.status}${exit}: ${job.message || "no reason given"}`;
}

/** A file's content as base64. */
function base64Of(f: OutputFile): string {
  return f.encoding === "base64" ? f.content : bytesToBase64(new TextEncoder().encode(f.content));
}

/** A file's content as text, when it is text; else undefined. */
function textOf(f: OutputFile, mediaType: string): string | undefined {
  const bytes = f.encoding === "base64" ? base64ToBytes(f.content) : new TextEncoder().encode(f.content);
  const textual =
    mediaType.startsWith("text/") ||
    mediaType.endsWith("+json") ||
    mediaType.endsWith("+xml") ||
    ["application/json", "application/xml", "application/javascript", "application/x-python", "application/toml", "application/yaml", "application/x-yaml", "application/sql"].includes(mediaType) ||
    mediaType === "application/octet-stream" ||
    mediaType === "";
  if (!textual) {
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // An unknown type is text only when it has no control characters but whitespace.
  // eslint-disable-next-line no-control-regex
  if ((mediaType === "application/octet-stream" || mediaType === "") && /[\x00-\x08\x0b\x0e-\x1f\x7f]/.test(text)) {
    return undefined;
  }
  return text;
}
