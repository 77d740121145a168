// The playground: write Python in a code editor, run it on the server
// (POST /v1/run, its events followed as they come) or in this browser (the
// SDK), watch its output as it is written, stop it, and share it as a
// client-side page.

import { Sandbox } from "../sdk/sandpit.js";
import { renderJob, renderProblem } from "./render.js";
import { createEditor, setText } from "./editor.js";
import { examples, addChart } from "./examples.js";
import { readEvents } from "./events.js";
import { LiveOutput } from "./live.js";
import * as settings from "./settings.js";

const $ = (id) => document.getElementById(id);
const form = $("form");
const output = $("output");
const busy = $("busy");
const runButton = $("run");
const stopButton = $("stop");
const shareButton = $("share");
const shared = $("shared");
const keyField = $("key-field");
const key = $("key");
const remember = $("remember");
const timeout = $("timeout");
const stdin = $("stdin");
const fileList = $("files");

// Input files of the next run: {path, content, encoding}.
let files = [];

const saved = settings.load();
const editor = createEditor($("code"), {
  doc: typeof saved.code === "string" ? saved.code : examples.hello.code,
  label: "Python code",
  onRun: () => run(),
  onChange: () => keep(),
});
const code = () => editor.state.doc.toString();

// keep saves the code and the settings for the next visit.
function keep() {
  settings.save({
    code: code(),
    mode: form.elements.mode.value,
    stdin: stdin.value,
    timeout: timeout.value,
    files,
    remember: remember.checked,
    key: key.value,
  });
}

addChart(JSON.parse(document.body.dataset.packages || "[]"));
const select = $("example");
for (const [id, ex] of Object.entries(examples)) select.append(new Option(ex.label, id));
select.addEventListener("change", () => {
  const ex = examples[select.value];
  if (!ex) return;
  setText(editor, ex.code);
  stdin.value = ex.stdin || "";
  timeout.value = ex.timeout_ms || "";
  files = (ex.files || []).map((f) => ({ ...f }));
  showFiles();
  if (ex.files || ex.stdin || ex.timeout_ms) $("more").open = true;
  keep();
  editor.focus();
});

function showFiles() {
  fileList.replaceChildren(
    ...files.map((f, i) => {
      const size = f.encoding === "base64" ? Math.floor((f.content.length * 3) / 4) : new TextEncoder().encode(f.content).length;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "remove";
      remove.setAttribute("aria-label", `remove ${f.path}`);
      remove.addEventListener("click", () => {
        files.splice(i, 1);
        showFiles();
        keep();
      });
      const li = document.createElement("li");
      const name = document.createElement("code");
      name.textContent = f.path;
      li.append(name, ` ${size} bytes `, remove);
      return li;
    }),
  );
}

$("add-files").addEventListener("change", async (ev) => {
  for (const file of ev.target.files) {
    const data = new Uint8Array(await file.arrayBuffer());
    let bin = "";
    for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
    files = files.filter((f) => f.path !== file.name);
    files.push({ path: file.name, content: btoa(bin), encoding: "base64" });
  }
  ev.target.value = "";
  showFiles();
  keep();
});

// The saved settings, back in their fields.
if (saved.mode === "server" || saved.mode === "browser") form.elements.mode.value = saved.mode;
if (typeof saved.stdin === "string") stdin.value = saved.stdin;
if (typeof saved.timeout === "string") timeout.value = saved.timeout;
if (Array.isArray(saved.files)) files = saved.files.filter((f) => f && typeof f.path === "string" && typeof f.content === "string");
showFiles();
remember.checked = saved.remember === true;
if (remember.checked && typeof saved.key === "string") key.value = saved.key;
if (document.body.dataset.keyRequired === "true" || key.value) keyField.hidden = false;
for (const el of [stdin, timeout, key, remember, ...form.elements.mode]) el.addEventListener("change", keep);
key.addEventListener("input", keep);

function spec() {
  const s = { code: code() };
  if (stdin.value) s.stdin = stdin.value;
  if (timeout.value !== "") s.timeout_ms = Number(timeout.value);
  if (files.length) s.files = files;
  return s;
}

function headers(extra = {}) {
  const h = { ...extra };
  if (key.value) h.Authorization = "Bearer " + key.value;
  return h;
}

// refused shows why the server answered resp with an error.
async function refused(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {}
  const message = body && body.error ? body.error.message : `HTTP ${resp.status}`;
  if (resp.status === 401) {
    keyField.hidden = false;
    renderProblem(output, "The server needs an API key.", message + ". Enter a key in the API key field.");
    key.focus();
  } else if (resp.status === 429) {
    renderProblem(output, "The server is busy; try again in a moment.", message);
  } else if (resp.status === 400 || resp.status === 413) {
    renderProblem(output, "The server refused the job.", message);
  } else {
    renderProblem(output, `The server answered ${resp.status}.`, message);
  }
}

const unreachable = () =>
  renderProblem(output, "The server is unreachable.", "Check that sandpit is running and that this browser can reach it, then try again.");

// How often the playground follows a job's events again after the
// connection dropped before the job's end.
const resumes = 5;

// runOnServer runs the spec with POST /v1/run, following its events:
// output goes to live as it comes. stopper gets the function that cancels
// the job. It resolves with the finished job, or shows why there is none
// and resolves with null.
async function runOnServer(s, live, stopper) {
  let resp;
  try {
    resp = await fetch("/v1/run", {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify(s),
    });
  } catch {
    unreachable();
    return null;
  }
  if (!resp.ok || !(resp.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
    await refused(resp);
    return null;
  }
  const location = resp.headers.get("Location");
  stopper(() => fetch(location, { method: "DELETE", headers: headers() }).catch(() => {}));
  let job = null;
  let last = "";
  const onEvent = (ev) => {
    if (ev.id) last = ev.id;
    if (ev.type === "stdout" || ev.type === "stderr") live.write(ev.type === "stderr" ? 2 : 1, String(ev.data.data));
    else if (ev.type === "done") job = ev.data;
  };
  for (let i = 0; ; i++) {
    try {
      await readEvents(resp, onEvent);
    } catch {}
    if (job || i === resumes) break;
    try {
      resp = await fetch(location + "/events", { headers: headers(last ? { "Last-Event-ID": last } : {}) });
    } catch {
      continue;
    }
    if (!resp.ok) {
      await refused(resp);
      return null;
    }
  }
  if (!job) unreachable();
  return job;
}

let sandbox = null;

// runInBrowser runs the spec with the SDK, output to live as it comes;
// signal stops it.
async function runInBrowser(s, live, signal) {
  const first = sandbox === null;
  sandbox ??= new Sandbox();
  if (first) busy.textContent = "Starting Python in this browser (the first run loads Pyodide)…";
  try {
    const { code: source, ...options } = s;
    return await sandbox.run(source, {
      ...options,
      onStdout: (text) => live.write(1, text),
      onStderr: (text) => live.write(2, text),
      signal,
    });
  } catch (e) {
    renderProblem(output, e.code === "invalid" ? "The job is not valid." : "The code could not run in this browser.", e.message);
    return null;
  }
}

// stop ends the running job; null while none runs.
let stop = null;

async function run() {
  if (stop) return;
  let cancel = null;
  stop = () => cancel?.();
  runButton.disabled = true;
  stopButton.hidden = false;
  stopButton.disabled = false;
  const mode = form.elements.mode.value;
  const where = mode === "server" ? "on the server" : "in this browser";
  busy.textContent = "";
  document.body.dataset.status = "running";
  const live = new LiveOutput(output, where);
  const start = performance.now();
  const s = spec();
  let job;
  if (mode === "server") {
    job = await runOnServer(s, live, (f) => (cancel = f));
  } else {
    const ctl = new AbortController();
    cancel = () => ctl.abort();
    job = await runInBrowser(s, live, ctl.signal);
  }
  // The server keeps no output of a job it cancelled: show what came.
  if (job && job.status === "cancelled" && !job.stdout && !job.stderr) {
    job = { ...job, stdout: live.written[1], stderr: live.written[2] };
  }
  if (job) renderJob(output, job, { where, wall: performance.now() - start });
  document.body.dataset.status = job ? job.status : "problem";
  busy.textContent = "";
  stopButton.hidden = true;
  runButton.disabled = false;
  stop = null;
}

stopButton.addEventListener("click", () => {
  if (!stop) return;
  stopButton.disabled = true;
  busy.textContent = "Stopping…";
  stop();
});

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  run();
});

// Ctrl/Cmd+Enter runs from anywhere on the page; the editor handles its own.
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && !ev.defaultPrevented) {
    ev.preventDefault();
    run();
  }
});

// share stores the spec as a client-side page (POST /v1/pages) and copies
// its link, which is shown too, for a browser without a clipboard.
async function share() {
  shareButton.disabled = true;
  shared.hidden = false;
  shared.textContent = "Making a page of this code…";
  try {
    let resp;
    try {
      resp = await fetch("/v1/pages", { method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(spec()) });
    } catch {
      shared.textContent = "The server is unreachable; the code was not shared.";
      return;
    }
    let body = null;
    try {
      body = await resp.json();
    } catch {}
    if (!resp.ok || !body || typeof body.url !== "string") {
      const why = body && body.error ? body.error.message : `HTTP ${resp.status}`;
      if (resp.status === 401) keyField.hidden = false;
      shared.textContent = `The page could not be made: ${why}.`;
      return;
    }
    let copied = false;
    try {
      await navigator.clipboard.writeText(body.url);
      copied = true;
    } catch {}
    const link = document.createElement("a");
    link.id = "share-link";
    link.href = body.url;
    link.textContent = body.url;
    const until = body.expires_at ? ` It runs this code in the viewer's browser until ${new Date(body.expires_at).toLocaleString()}.` : "";
    shared.replaceChildren(copied ? "Link copied: " : "Copy this link: ", link, "." + until);
  } finally {
    shareButton.disabled = false;
  }
}

shareButton.addEventListener("click", share);
