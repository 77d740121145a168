// What a running job has written so far, shown as it comes: stdout and
// stderr in the order they were written, stderr marked.

export class LiveOutput {
  #pre;
  #last = null; // the span the latest piece went into, and its stream
  #fd = 0;
  // What was written to stdout (1) and stderr (2).
  written = { 1: "", 2: "" };

  // constructor shows, in container, a job running where ("on the server").
  constructor(container, where) {
    const status = document.createElement("p");
    status.className = "status status-running";
    status.dataset.status = "running";
    const strong = document.createElement("strong");
    strong.textContent = "running";
    status.append(strong, " · " + where);
    const section = document.createElement("section");
    section.className = "out live";
    section.setAttribute("aria-label", "Output so far");
    const h = document.createElement("h3");
    h.textContent = "Output so far";
    this.#pre = document.createElement("pre");
    this.#pre.tabIndex = 0;
    section.append(h, this.#pre);
    container.replaceChildren(status, section);
  }

  // write adds text written to fd (1 stdout, 2 stderr).
  write(fd, text) {
    const pre = this.#pre;
    const atEnd = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
    if (fd !== this.#fd) {
      this.#last = document.createElement("span");
      if (fd === 2) this.#last.className = "stderr-text";
      this.#pre.append(this.#last);
      this.#fd = fd;
    }
    this.#last.append(text);
    this.written[fd === 2 ? 2 : 1] += text;
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }
}
