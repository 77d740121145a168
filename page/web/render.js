// Shows a job: status and timing, result, rich outputs, output, the error
// with its traceback, and the files it wrote. Used by the playground and by
// client-side pages. Everything in a job came from untrusted code, so text
// goes in as text, images as data: URLs in <img> (which runs no script,
// even in an SVG), and HTML only inside a frame sandboxed with no
// permission at all: an opaque origin that runs no script, submits no
// form, and loads nothing but data: images. A plotly chart is drawn by
// plotly.js in a frame of its own (chart.html), sandboxed on an opaque
// origin with a policy that lets it reach nothing.

import DOMPurify from "./purify.es.mjs";

// The policy of the frame an HTML output file is shown in, on top of the
// one it inherits from the page.
const htmlFramePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

// htmlForFrame returns an HTML output file as it is shown. The frame's
// sandbox and policy refuse every request, but Chromium opens a connection
// ahead of some of them whatever the policy says: for a preconnect link,
// and for a nested frame's navigation, which the policy then blocks. So the
// file goes through DOMPurify, which keeps only the elements and
// attributes it knows to be inert, shadow roots' contents included, and
// beyond its defaults drops every element that hints, navigates or nests a
// document, and the attributes that make declarative shadow roots (the
// frame's srcdoc would attach them where no sanitiser looked). Inline
// styles stay; the frame's policy holds what they could load. DNS
// prefetching is turned off, for good, before anything else in the
// document.
const forbiddenTags = ["link", "base", "meta", "script", "iframe", "frame", "frameset", "object", "embed", "portal", "fencedframe", "template"];
const forbiddenAttrs = ["shadowroot", "shadowrootmode", "shadowrootdelegatesfocus", "shadowrootclonable", "shadowrootserializable", "ping"];

function htmlForFrame(text) {
  const clean = DOMPurify.sanitize(text, {
    WHOLE_DOCUMENT: true,
    FORBID_TAGS: forbiddenTags,
    FORBID_ATTR: forbiddenAttrs,
  });
  const doc = new DOMParser().parseFromString(clean, "text/html");
  const off = doc.createElement("meta");
  off.httpEquiv = "x-dns-prefetch-control";
  off.content = "off";
  doc.head.prepend(off);
  return "<!doctype html>\n" + doc.documentElement.outerHTML;
}

// Text files longer than this are cut in the display (the job keeps them).
const maxTextShown = 100000;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function decode(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function isText(mime) {
  return /^text\//.test(mime) || /^application\/(json|xml|x-ndjson)/.test(mime);
}

function section(name, className, ...children) {
  return el("section", { class: "out " + className, "aria-label": name }, el("h3", { text: name }), ...children);
}

function pre(text, className = "") {
  return el("pre", { class: className, tabindex: "0", text });
}

// htmlFrame is HTML shown in a frame sandboxed with no permission.
function htmlFrame(text, title) {
  const frame = el("iframe", { sandbox: "", csp: htmlFramePolicy, title, class: "html" });
  frame.srcdoc = htmlForFrame(text);
  return frame;
}

// fileView shows one output file as what it is.
function fileView(f) {
  const mime = (f.mime_type || "").split(";")[0].trim();
  const caption = el("figcaption", {}, el("code", { text: f.path }), ` ${mime}, ${f.size} bytes`);
  if (mime.startsWith("image/")) {
    return el("figure", { class: "file image" }, el("img", { src: `data:${mime};base64,${f.content}`, alt: f.path }), caption);
  }
  const bytes = decode(f.content);
  if (mime === "text/html") {
    return el("figure", { class: "file html" }, htmlFrame(new TextDecoder().decode(bytes), f.path), caption);
  }
  if (isText(mime)) {
    let text = new TextDecoder().decode(bytes.subarray(0, maxTextShown));
    if (bytes.length > maxTextShown) text += "\n…";
    return el("figure", { class: "file text" }, pre(text), caption);
  }
  const link = el("a", { href: `data:application/octet-stream;base64,${f.content}`, download: f.path.split("/").pop(), text: "download" });
  return el("figure", { class: "file binary" }, caption, " ", link);
}

// The chart frame: plotly.js draws a chart there, on an opaque origin of
// its own (see chart.js), never in this page.
const chartURL = new URL("chart.html", import.meta.url).href;

// charts are the chart frames shown, with the figure each waits to draw.
const charts = new Map();

window.addEventListener("message", (e) => {
  for (const [frame, figure] of charts) {
    if (!frame.isConnected) {
      charts.delete(frame);
      continue;
    }
    if (e.source !== frame.contentWindow || !e.data || typeof e.data !== "object") continue;
    const what = e.data.sandpitChart;
    if (what === "ready") frame.contentWindow.postMessage({ figure }, "*");
    else if (what === "drawn") frame.dataset.drawn = String(Number(e.data.svgs) || 0);
    else if (what === "failed") frame.dataset.failed = String(e.data.error).slice(0, 200);
  }
});

function chartView(figure) {
  const frame = el("iframe", { sandbox: "allow-scripts", src: chartURL, title: "chart", class: "chart" });
  charts.set(frame, figure);
  return frame;
}

// jsonView shows JSON data as a tree of collapsible objects and arrays,
// open to the second level, each leaf as its JSON text.
function jsonView(v, depth = 0) {
  if (v === null || typeof v !== "object") return el("code", { text: JSON.stringify(v) });
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  const summary = Array.isArray(v) ? `[${entries.length}]` : `{${entries.length}}`;
  const items = entries.map(([k, x]) => el("li", {}, el("span", { class: "key", text: `${k}: ` }), jsonView(x, depth + 1)));
  const d = el("details", { class: "json" }, el("summary", { text: summary }), el("ul", {}, ...items));
  if (depth < 2) d.open = true;
  return d;
}

// utf8Base64 is text in base64, for a data: URL.
function utf8Base64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

const plotlyType = "application/vnd.plotly.v1+json";

// outputView shows one rich output by the richest of its MIME types that
// the page shows: a plotly chart, HTML, an image, markdown (as text), JSON,
// LaTeX (as text), then its plain text.
function outputView(o) {
  const has = (t) => Object.prototype.hasOwnProperty.call(o, t);
  const types = Object.keys(o);
  const caption = el("figcaption", { text: types.join(", ") });
  const figure = (kind, ...children) => el("figure", { class: "output " + kind, "data-types": types.join(" ") }, ...children, caption);
  const json = types.find((t) => t !== plotlyType && (t === "application/json" || t.endsWith("+json")));
  if (has(plotlyType) && o[plotlyType] && typeof o[plotlyType] === "object") return figure("chart", chartView(o[plotlyType]));
  if (has("text/html")) return figure("html", htmlFrame(String(o["text/html"]), "output"));
  for (const t of ["image/png", "image/jpeg", "image/gif", "image/webp"]) {
    if (has(t)) return figure("image", el("img", { src: `data:${t};base64,${o[t]}`, alt: String(o["text/plain"] || t) }));
  }
  if (has("image/svg+xml")) {
    return figure("image", el("img", { src: `data:image/svg+xml;base64,${utf8Base64(String(o["image/svg+xml"]))}`, alt: "SVG" }));
  }
  if (has("text/markdown")) return figure("markdown", pre(String(o["text/markdown"])));
  if (json) return figure("json", jsonView(o[json]));
  if (has("text/latex")) return figure("latex", pre(String(o["text/latex"])));
  return figure("text", pre(String(o["text/plain"] ?? "")));
}

const statusText = {
  succeeded: "succeeded",
  failed: "failed",
  timeout: "timed out",
  memory_limit: "hit its memory limit",
  cancelled: "cancelled",
  error: "could not run",
};

// renderJob replaces the contents of container with job. where says where
// it ran ("on the server", "in this browser"); wall is the time in ms from
// the click to the answer, when known.
export function renderJob(container, job, { where = "", wall = null } = {}) {
  const parts = [];
  const facts = [];
  if (job.exit_code !== null && job.exit_code !== undefined) facts.push(`exit code ${job.exit_code}`);
  if (job.duration_ms !== null && job.duration_ms !== undefined) facts.push(`ran ${job.duration_ms} ms`);
  if (wall !== null) facts.push(`${Math.round(wall)} ms in all`);
  if (where) facts.push(where);
  parts.push(
    el("p", { class: `status status-${job.status}`, "data-status": job.status },
      el("strong", { text: statusText[job.status] || job.status }), facts.length ? " · " + facts.join(" · ") : ""),
  );
  if (job.message) parts.push(el("p", { class: "message", text: job.message }));
  if (job.result !== null && job.result !== undefined) parts.push(section("Result", "result", pre(job.result)));
  if (job.outputs && job.outputs.length) {
    parts.push(section(job.outputs_truncated ? "Outputs (some left out: over the limit)" : "Outputs", "outputs", ...job.outputs.map(outputView)));
  }
  if (job.stdout) parts.push(section(job.stdout_truncated ? "Output (cut at the limit)" : "Output", "stdout", pre(job.stdout)));
  if (job.error) {
    parts.push(section("Error", "error",
      el("p", {}, el("strong", { text: job.error.type }), job.error.message ? ": " + job.error.message : ""),
      job.error.traceback ? pre(job.error.traceback, "traceback") : ""));
  }
  // An uncaught exception's traceback is on stderr too; show stderr when
  // it holds more than that.
  const stderr = job.error && job.error.traceback ? job.stderr.replace(job.error.traceback, "") : job.stderr;
  if (stderr && stderr.trim()) parts.push(section(job.stderr_truncated ? "Errors (cut at the limit)" : "Errors", "stderr", pre(job.stderr)));
  if (job.files && job.files.length) {
    parts.push(section(job.files_truncated ? "Files (some left out: over the limit)" : "Files", "files", ...job.files.map(fileView)));
  }
  container.replaceChildren(...parts);
}

// renderProblem shows why there is no job: the server unreachable, a
// refused request, a sandbox that could not start.
export function renderProblem(container, title, detail) {
  container.replaceChildren(
    el("p", { class: "status status-problem", role: "alert", "data-status": "problem" }, el("strong", { text: title })),
    detail ? el("p", { class: "message", text: detail }) : "",
  );
}
