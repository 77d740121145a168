// A job's server-sent events (see api/events.go), read from a fetch
// response, so that the request can carry an API key.

// readEvents calls onEvent({type, id, data}) for each event of resp's body,
// data decoded from JSON, and resolves when the body ends.
export async function readEvents(resp, onEvent) {
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const ev = parse(buf.slice(0, end));
      buf = buf.slice(end + 2);
      if (ev) onEvent(ev);
    }
  }
}

// parse reads one event's lines; comments (keep-alives) give null.
function parse(block) {
  const ev = { type: "message", id: "", data: "" };
  let data = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") ev.type = value;
    else if (field === "id") ev.id = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return null;
  try {
    ev.data = JSON.parse(data.join("\n"));
  } catch {
    return null;
  }
  return ev;
}
