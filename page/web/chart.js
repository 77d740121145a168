// Draws one plotly chart, a job's application/vnd.plotly.v1+json output,
// in the chart frame (chart.html): a frame sandboxed on an opaque origin
// with a policy of its own, so that plotly.js reads untrusted JSON where it
// can reach neither the page that shows the job nor the network. The page
// sends the figure once the frame says it is ready, and hears back whether
// it was drawn.

const chart = document.getElementById("chart");
let drawn = false;

window.addEventListener("message", async (e) => {
  if (e.source !== window.parent || drawn) return;
  const fig = e.data && typeof e.data === "object" ? e.data.figure : null;
  if (!fig || typeof fig !== "object") return;
  drawn = true;
  try {
    const data = Array.isArray(fig.data) ? fig.data : [];
    const layout = fig.layout && typeof fig.layout === "object" ? fig.layout : {};
    await window.Plotly.newPlot(chart, data, layout, { responsive: true, displaylogo: false });
    window.parent.postMessage({ sandpitChart: "drawn", svgs: chart.querySelectorAll(".main-svg").length }, "*");
  } catch (err) {
    window.parent.postMessage({ sandpitChart: "failed", error: String(err && err.message ? err.message : err) }, "*");
  }
});

window.parent.postMessage({ sandpitChart: "ready" }, "*");
