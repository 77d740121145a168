// Jobs in the browser: the checks a spec passes before it runs, and the job
// a host's outcome becomes. Both follow the server's own (spec.go and the
// runner's parseOutcome), so that code run in an end user's browser gives
// a job with the same fields, the same limits and the same messages as
// POST /v1/run. limits are the server's, as page.Limits gives them.

// SpecError is a spec that breaks a rule; its message names the field, as
// the server's 400 answers do.
export class SpecError extends Error {
  constructor(message) {
    super(message);
    this.name = "SpecError";
    this.code = "invalid";
  }
}

const fields = new Set(["code", "stdin", "timeout_ms", "memory_mb", "files", "test", "packages"]);
const fileFields = new Set(["path", "content", "encoding", "mime_type", "size"]);
const utf8 = new TextEncoder();

function bytes(s) {
  return utf8.encode(s).length;
}

function isInt(v) {
  return typeof v === "number" && Number.isInteger(v);
}

// decodeBase64 returns the bytes of s, or null when s is not base64.
function decodeBase64(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function checkPath(p, max) {
  if (p === "") return "must not be empty";
  if (bytes(p) > max) return `longer than ${max} bytes`;
  if (/[\0\\]/.test(p)) return "must be valid UTF-8 without NUL or backslash";
  if (p.startsWith("/")) return "must be relative to the working directory";
  if (p.split("/").some((s) => s === "" || s === "." || s === "..")) {
    return "must be a clean path inside the working directory (no '.', '..' or '//')";
  }
  return null;
}

// checkSpec returns spec, with every field set, if it is a valid job spec
// within limits, and throws a SpecError naming the field otherwise.
export function checkSpec(spec, limits) {
  const fail = (msg) => {
    throw new SpecError(msg);
  };
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) fail("job spec must be a JSON object");
  for (const k of Object.keys(spec)) if (!fields.has(k)) fail(`${k}: unknown field`);
  // A null field is an absent one, as when the server decodes JSON.
  const code = spec.code ?? undefined;
  const stdin = spec.stdin ?? "";
  const test = spec.test ?? "";
  const timeout_ms = spec.timeout_ms ?? 0;
  const memory_mb = spec.memory_mb ?? 0;
  const files = spec.files ?? [];
  const packages = spec.packages ?? [];
  if (code === undefined) fail("code: required");
  for (const [name, v] of [["code", code], ["stdin", stdin], ["test", test]]) {
    if (typeof v !== "string") fail(`${name}: must be a string`);
  }
  if (code.trim() === "") fail("code: must not be empty");
  if (bytes(code) > limits.max_code_bytes) fail(`code: longer than ${limits.max_code_bytes} bytes`);
  if (bytes(test) > limits.max_code_bytes) fail(`test: longer than ${limits.max_code_bytes} bytes`);
  if (bytes(stdin) > limits.max_stdin_bytes) fail(`stdin: longer than ${limits.max_stdin_bytes} bytes`);
  if (!isInt(timeout_ms)) fail("timeout_ms: must be an integer");
  if (timeout_ms < 0) fail("timeout_ms: must not be negative");
  if (timeout_ms > limits.max_timeout_ms) fail(`timeout_ms: must be at most ${limits.max_timeout_ms}`);
  if (!isInt(memory_mb)) fail("memory_mb: must be an integer");
  if (memory_mb !== 0 && (memory_mb < limits.min_memory_mb || memory_mb > limits.max_memory_mb)) {
    fail(`memory_mb: must be between ${limits.min_memory_mb} and ${limits.max_memory_mb}`);
  }
  if (!Array.isArray(packages)) fail("packages: must be an array");
  if (packages.length > limits.max_packages) fail(`packages: more than ${limits.max_packages} packages`);
  packages.forEach((n, i) => {
    if (typeof n !== "string" || !/^[A-Za-z0-9._-]{1,100}$/.test(n)) {
      fail(`packages[${i}]: ${JSON.stringify(n)} is not a package name (letters, digits, '-', '_' and '.', at most 100)`);
    }
  });
  if (!Array.isArray(files)) fail("files: must be an array");
  if (files.length > limits.max_files) fail(`files: more than ${limits.max_files} files`);
  const seen = new Set();
  let total = 0;
  files.forEach((f, i) => {
    const field = `files[${i}]`;
    if (!f || typeof f !== "object" || Array.isArray(f)) fail(`${field}: must be an object`);
    for (const k of Object.keys(f)) if (!fileFields.has(k)) fail(`${field}.${k}: unknown field`);
    if (typeof f.path !== "string") fail(`${field}.path: must be a string`);
    const bad = checkPath(f.path, limits.max_path_bytes);
    if (bad) fail(`${field}.path: ${bad}`);
    if (seen.has(f.path)) fail(`${field}.path: ${JSON.stringify(f.path)} given twice`);
    seen.add(f.path);
    if (typeof f.content !== "string") fail(`${field}.content: must be a string`);
    const enc = f.encoding ?? "";
    if (enc === "" || enc === "utf-8") {
      total += bytes(f.content);
    } else if (enc === "base64") {
      const data = decodeBase64(f.content);
      if (data === null) fail(`${field}.content: not valid base64`);
      total += data.length;
    } else {
      fail(`${field}.encoding: must be "utf-8" or "base64", not ${JSON.stringify(enc)}`);
    }
    if (total > limits.max_file_bytes) fail(`files: more than ${limits.max_file_bytes} bytes in all`);
  });
  return { code, stdin, timeout_ms, memory_mb, files, test, packages };
}

// timeoutMS is the spec's timeout, or the default when it gives none.
export function timeoutMS(spec, limits) {
  return spec.timeout_ms || limits.default_timeout_ms;
}

// memoryMB is the spec's memory cap, or the default when it gives none.
export function memoryMB(spec, limits) {
  return spec.memory_mb || limits.default_memory_mb;
}

// goDuration writes a whole number of milliseconds as Go's
// time.Duration.String does: 300ms, 10s, 1.5s, 1m30s.
export function goDuration(ms) {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3600000);
  const m = Math.floor((ms % 3600000) / 60000);
  const s = `${(ms % 60000) / 1000}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

// newID returns a random job id of the server's form: 32 hex digits.
export function newID() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// cap returns the head of s that fits in n bytes of UTF-8, cut at a
// character, as the server's runner does. The host already capped what it
// reports; this holds whatever it reported.
function cap(s, n) {
  const b = utf8.encode(s);
  if (b.length <= n) return s;
  let end = n;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(b.subarray(0, end));
}

// outputPath reports whether p may name an output file: a path an input
// file could have, with no control character (as the server's runner has
// it).
function outputPath(p, max) {
  return typeof p === "string" && checkPath(p, max) === null && !/[\x00-\x1f\x7f]/.test(p);
}

function mimeType(path, types) {
  const dot = path.lastIndexOf(".");
  const ext = dot > path.lastIndexOf("/") ? path.slice(dot).toLowerCase() : "";
  return types[ext] || "application/octet-stream";
}

// outputKind says how data of a MIME type is carried in an output: "json",
// "text" or "binary" (base64), as the server's sandpit.OutputKind has it.
export function outputKind(mime) {
  const t = mime.toLowerCase();
  if (t === "application/json" || t.endsWith("+json")) return "json";
  if (t.startsWith("text/") || t.endsWith("+xml") || t === "application/xml" || t === "application/javascript") return "text";
  return "binary";
}

const mimePattern = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

// richOutputs checks the rich outputs of an outcome and keeps those within
// the limits, as the server's runner does (richOutputs in outcome.go): at
// most max_files of them and max_file_bytes bytes (of MIME types and data,
// each datum a string in the outcome), and says whether any were left
// out. It returns null when an output is not one the harness makes.
function richOutputs(list, limits) {
  const out = [];
  let total = 0;
  let truncated = false;
  for (const bundle of Array.isArray(list) ? list : []) {
    if (!bundle || typeof bundle !== "object" || Array.isArray(bundle)) return null;
    const entries = Object.entries(bundle);
    if (entries.length === 0) return null;
    const o = {};
    let size = 0;
    for (const [t, data] of entries) {
      if (!mimePattern.test(t) || typeof data !== "string") return null;
      const kind = outputKind(t);
      if (kind === "json") {
        try {
          o[t] = JSON.parse(data);
        } catch {
          return null;
        }
      } else if (kind === "binary") {
        if (decodeBase64(data) === null) return null;
        o[t] = data;
      } else {
        o[t] = data;
      }
      size += t.length + bytes(data);
    }
    if (out.length >= limits.max_files || total + size > limits.max_file_bytes) {
      truncated = true;
      continue;
    }
    total += size;
    out.push(o);
  }
  return { out, truncated };
}

function pyError(e) {
  if (e === null || e === undefined) return null;
  if (typeof e !== "object") return undefined;
  const { type, message, traceback } = e;
  if (![type, message, traceback].every((s) => typeof s === "string")) return undefined;
  return { type, message, traceback };
}

function capError(e, n) {
  return e === null ? null : { type: cap(e.type, n), message: cap(e.message, n), traceback: cap(e.traceback, n) };
}

// toJob turns a host's outcome into a job. The outcome comes from a worker
// that ran untrusted code, so it is checked field by field; a malformed one
// ends the job as error. times: {created, started, finished} (Dates).
export function toJob(outcome, spec, config, times) {
  const { limits, mime_types: types = {} } = config;
  const o = outcome && typeof outcome === "object" ? outcome : {};
  const str = (v) => (typeof v === "string" ? v : "");
  const stdout = str(o.stdout);
  const stderr = str(o.stderr);
  const res = {
    status: o.status,
    exit_code: null,
    stdout: cap(stdout, limits.max_output_bytes),
    stderr: cap(stderr, limits.max_output_bytes),
    stdout_truncated: o.stdout_truncated === true || bytes(stdout) > limits.max_output_bytes,
    stderr_truncated: o.stderr_truncated === true || bytes(stderr) > limits.max_output_bytes,
    result: null,
    result_truncated: false,
    error: null,
    files: [],
    files_truncated: false,
    outputs: [],
    outputs_truncated: false,
    passed: null,
    message: "",
  };
  const failedTest = spec.test ? false : null;
  // A report that is wrong was made so by the job's code: the job ends as
  // error, with its output so far.
  const broken = (why) => ({
    ...res, status: "error", exit_code: null, result: null, result_truncated: false, error: null, files: [],
    files_truncated: false, outputs: [], outputs_truncated: false, passed: failedTest, message: "the sandbox failed: " + why,
  });
  let job = res;
  switch (o.status) {
    case "succeeded":
    case "failed": {
      if (!isInt(o.exit_code)) {
        job = broken("its result has no exit code");
        break;
      }
      if ((o.exit_code === 0) !== (o.status === "succeeded")) {
        job = broken(`its result has status ${o.status} with exit code ${o.exit_code}`);
        break;
      }
      const error = pyError(o.error);
      if (error === undefined || (o.result !== null && o.result !== undefined && typeof o.result !== "string")) {
        job = broken("it sent a malformed result");
        break;
      }
      res.exit_code = o.exit_code;
      if (typeof o.result === "string") {
        res.result = cap(o.result, limits.max_output_bytes);
        res.result_truncated = o.result_truncated === true || res.result.length < o.result.length;
      }
      res.error = capError(error, limits.max_output_bytes);
      // Passed only when the harness saw the test run to the end: a job
      // that exited or raised before, with any code, did not pass.
      if (spec.test) res.passed = o.passed === true && o.status === "succeeded" && error === null;
      res.files_truncated = o.files_truncated === true;
      let total = 0;
      for (const f of Array.isArray(o.files) ? o.files : []) {
        const data = f && typeof f.content === "string" && f.encoding === "base64" ? decodeBase64(f.content) : null;
        if (data === null) {
          job = broken("it sent a bad file");
          break;
        }
        if (!outputPath(f.path, limits.max_path_bytes)) {
          res.files_truncated = true;
          continue;
        }
        total += data.length;
        if (res.files.length >= limits.max_files || total > limits.max_file_bytes) {
          res.files_truncated = true;
          break;
        }
        res.files.push({ path: f.path, content: f.content, encoding: "base64", mime_type: mimeType(f.path, types), size: data.length });
      }
      if (job !== res) break;
      const outputs = richOutputs(o.outputs, limits);
      if (outputs === null) {
        job = broken("it sent a bad output");
        break;
      }
      res.outputs = outputs.out;
      res.outputs_truncated = o.outputs_truncated === true || outputs.truncated;
      break;
    }
    case "timeout":
      res.message = `the code ran longer than its timeout of ${goDuration(timeoutMS(spec, limits))}`;
      res.passed = failedTest;
      break;
    case "cancelled":
      res.message = "the job was cancelled";
      res.passed = failedTest;
      break;
    case "memory_limit": {
      const error = pyError(o.error);
      if (error === undefined) {
        job = broken("it sent a malformed result");
        break;
      }
      res.message = `the code tried to use more than its memory limit of ${memoryMB(spec, limits)} MB`;
      res.error = capError(error, limits.max_output_bytes);
      res.passed = failedTest;
      break;
    }
    case "error":
      job = broken(cap(str(o.message), 500) || "unknown error");
      break;
    default:
      job = broken(`its result has unknown status ${JSON.stringify(String(o.status))}`);
  }
  return shape(job, times);
}

// shape orders a job's fields as the server writes them and leaves out the
// ones the server leaves out when empty.
function shape(r, { created, started, finished }) {
  const job = { id: newID(), status: r.status, exit_code: r.exit_code, stdout: r.stdout, stderr: r.stderr };
  if (r.stdout_truncated) job.stdout_truncated = true;
  if (r.stderr_truncated) job.stderr_truncated = true;
  job.result = r.result;
  if (r.result_truncated) job.result_truncated = true;
  job.error = r.error;
  job.files = r.files;
  if (r.files_truncated) job.files_truncated = true;
  if (r.outputs.length) job.outputs = r.outputs;
  if (r.outputs_truncated) job.outputs_truncated = true;
  if (r.passed !== null) job.passed = r.passed;
  if (r.message) job.message = r.message;
  job.created_at = created.toISOString();
  job.started_at = started.toISOString();
  job.finished_at = finished.toISOString();
  job.duration_ms = Math.max(0, Math.round(finished - started));
  return job;
}
