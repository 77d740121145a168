// The playground: write Python, run it on the server (POST /v1/run) or in
// this browser (the SDK), and see the job.

import { Sandbox } from "../sdk/sandpit.js";
import { renderJob, renderProblem } from "./render.js";

const $ = (id) => document.getElementById(id);
const form = $("form");
const code = $("code");
const output = $("output");
const busy = $("busy");
const runButton = $("run");
const keyField = $("key-field");
const key = $("key");
const timeout = $("timeout");
const stdin = $("stdin");
const fileList = $("files");

// Input files of the next run: {path, content, encoding}.
let files = [];

const csv = "city,visitors\nLisbon,120\nOslo,80\nNairobi,150\nQuito,60\n";

const examples = {
  hello: { label: "Hello, world", code: 'print("hello, world")\n\nsum(range(10))\n' },
  exception: {
    label: "An exception",
    code: 'def ratio(a, b):\n    return a / b\n\nprint("about to divide")\nratio(1, 0)\n',
  },
  loop: {
    label: "An endless loop (hits the timeout)",
    code: 'print("looping forever…")\nwhile True:\n    pass\n',
    timeout_ms: 2000,
  },
  stdin: { label: "Read stdin", code: 'name = input("name? ")\nprint(f"hello, {name}")\n', stdin: "Ada\n" },
  files: {
    label: "Files in and out: CSV in; summary, SVG chart, HTML table out",
    files: [{ path: "visits.csv", content: csv }],
    code: `import csv

with open("visits.csv") as f:
    rows = [(r["city"], int(r["visitors"])) for r in csv.DictReader(f)]

total = sum(n for _, n in rows)
with open("summary.txt", "w") as f:
    f.write(f"{len(rows)} cities, {total} visitors\\n")

# A bar chart as SVG, drawn by hand.
bar, gap, top = 40, 16, max(n for _, n in rows)
bars = "".join(
    f'<rect x="{i * (bar + gap) + gap}" y="{170 - 150 * n / top:.0f}" width="{bar}" '
    f'height="{150 * n / top:.0f}" fill="#0969da"/>'
    f'<text x="{i * (bar + gap) + gap + bar / 2}" y="188" font-size="11" text-anchor="middle">{city}</text>'
    for i, (city, n) in enumerate(rows)
)
width = len(rows) * (bar + gap) + gap
with open("chart.svg", "w") as f:
    f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="200">{bars}</svg>')

# An HTML table.
td = 'style="border: 1px solid #d0d7de; padding: 4px 10px"'
cells = "".join(f"<tr><td {td}>{c}</td><td {td}>{n}</td></tr>" for c, n in rows)
with open("table.html", "w") as f:
    f.write(f'<table style="border-collapse: collapse; font-family: sans-serif">'
            f"<tr><th {td}>city</th><th {td}>visitors</th></tr>{cells}</table>")

print("wrote summary.txt, chart.svg and table.html")
total
`,
  },
};

// A chart drawn with matplotlib, where the server's package repository
// has it: the figure comes back as a PNG without the code saving it.
const packages = JSON.parse(document.body.dataset.packages || "[]");
if (packages.includes("matplotlib")) {
  examples.chart = {
    label: "A matplotlib chart",
    code: `import matplotlib.pyplot as plt

cities = ["Lyon", "Oslo", "Quito", "Pune"]
visitors = [120, 80, 150, 95]
plt.bar(cities, visitors, color="#0969da")
plt.title("Visitors by city")
plt.show()
`,
  };
}

const select = $("example");
for (const [id, ex] of Object.entries(examples)) select.append(new Option(ex.label, id));
select.addEventListener("change", () => {
  const ex = examples[select.value];
  if (!ex) return;
  code.value = ex.code;
  stdin.value = ex.stdin || "";
  timeout.value = ex.timeout_ms || "";
  files = (ex.files || []).map((f) => ({ ...f }));
  showFiles();
  if (ex.files || ex.stdin || ex.timeout_ms) $("more").open = true;
  code.focus();
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
});

if (document.body.dataset.keyRequired === "true") keyField.hidden = false;

function spec() {
  const s = { code: code.value };
  if (stdin.value) s.stdin = stdin.value;
  if (timeout.value !== "") s.timeout_ms = Number(timeout.value);
  if (files.length) s.files = files;
  return s;
}

// runOnServer posts the spec to /v1/run and resolves with the job, or
// shows why there is none and resolves with null.
async function runOnServer(s) {
  const headers = { "Content-Type": "application/json" };
  if (key.value) headers.Authorization = "Bearer " + key.value;
  let resp;
  try {
    resp = await fetch("/v1/run", { method: "POST", headers, body: JSON.stringify(s) });
  } catch {
    renderProblem(output, "The server is unreachable.", "Check that sandpit is running and that this browser can reach it, then try again.");
    return null;
  }
  let body = null;
  try {
    body = await resp.json();
  } catch {}
  if (resp.ok && body && body.status) return body;
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
  return null;
}

let sandbox = null;

async function runInBrowser(s) {
  const first = sandbox === null;
  sandbox ??= new Sandbox();
  if (first) busy.textContent = "Starting Python in this browser (the first run loads Pyodide)…";
  try {
    const { code: source, ...options } = s;
    return await sandbox.run(source, options);
  } catch (e) {
    renderProblem(output, e.code === "invalid" ? "The job is not valid." : "The code could not run in this browser.", e.message);
    return null;
  }
}

let running = false;

async function run() {
  if (running) return;
  running = true;
  runButton.disabled = true;
  const mode = form.elements.mode.value;
  busy.textContent = mode === "server" ? "Running on the server…" : "Running in this browser…";
  document.body.dataset.status = "running";
  const start = performance.now();
  const s = spec();
  const job = mode === "server" ? await runOnServer(s) : await runInBrowser(s);
  if (job) renderJob(output, job, { where: mode === "server" ? "on the server" : "in this browser", wall: performance.now() - start });
  document.body.dataset.status = job ? job.status : "problem";
  busy.textContent = "";
  runButton.disabled = false;
  running = false;
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  run();
});

document.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    run();
  }
});
