// A client-side page: runs the job spec it was served with in the viewer's
// browser, through the SDK, and shows the job. The page itself is
// sandboxed on an opaque origin; the code runs in the SDK's frame, another
// one. The finished job is also posted to the window that embeds the page,
// if any, as {sandpit: "page", job}.

import { Sandbox } from "../sdk/sandpit.js";
import { renderJob, renderProblem } from "./render.js";

const spec = JSON.parse(document.getElementById("sandpit-spec").textContent);
const { code, ...options } = spec;
const output = document.getElementById("output");
const again = document.getElementById("again");
document.getElementById("code").textContent = code;

const sandbox = new Sandbox();

async function go() {
  again.disabled = true;
  document.body.dataset.status = "running";
  const start = performance.now();
  try {
    const job = await sandbox.run(code, options);
    renderJob(output, job, { where: "in this browser", wall: performance.now() - start });
    document.body.dataset.status = job.status;
    if (parent !== window) parent.postMessage({ sandpit: "page", job }, "*");
  } catch (e) {
    renderProblem(output, "The code could not run in this browser.", e.message);
    document.body.dataset.status = "problem";
  }
  again.disabled = false;
}

again.addEventListener("click", go);
go();
