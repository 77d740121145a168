// Tests of static/snapshot.js, run by TestSnapshotPages with Node: a
// snapshot kept by its pages gives back the snapshot's bytes, and restores
// into an instance's memory exactly what Pyodide's own restore writes, for
// made-up snapshots and for one of Pyodide's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";
import createPyodideModule from "../node_modules/pyodide/pyodide.asm.mjs";

// static/snapshot.js is an ES module in a package Node reads as CommonJS.
const source = readFileSync(new URL("../static/snapshot.js", import.meta.url));
const hadCollector = typeof globalThis.gc === "function"; // node --expose-gc
const { packSnapshot, snapshotBytes, restorePages, pageSize, stackWindow, collectGarbage } = await import(
  "data:text/javascript;base64," + source.toString("base64")
);

// made returns a snapshot with a header of headerSize bytes and a memory of
// pages, each 0 (empty), 1 (full of bytes) or "edge" (one byte set, at the
// page's last byte), the last page cut to last bytes when given.
function made(headerSize, pages, last) {
  const memory = pages.length * pageSize - (last === undefined ? 0 : pageSize - last);
  const s = new Uint8Array(headerSize + memory);
  new DataView(s.buffer).setUint32(0, 0x706e73, true);
  new DataView(s.buffer).setUint32(4, headerSize, true);
  for (let i = 8; i < headerSize; i++) s[i] = i % 251;
  pages.forEach((p, i) => {
    const from = headerSize + i * pageSize;
    const to = Math.min(from + pageSize, s.length);
    if (p === 1) for (let j = from; j < to; j++) s[j] = (j * 7 + 1) % 256 || 1;
    if (p === "edge") s[to - 1] = 9;
  });
  return s;
}

const cases = {
  "empty pages between and at both ends": made(64, [0, 1, 1, 0, 0, "edge", 0, 1, 0]),
  "no empty page": made(128, [1, 1, "edge"]),
  "only empty pages": made(32, [0, 0, 0]),
  "a short last page that holds something": made(48, [1, 0, 1], 100),
  "a short last page that is empty": made(48, [1, 0, 0], 100),
};

test("a packed snapshot keeps only the pages that hold something", () => {
  const p = packSnapshot(cases["empty pages between and at both ends"]);
  assert.deepEqual(Array.from(p.runs), [pageSize, 2 * pageSize, 0, 5 * pageSize, pageSize, 2 * pageSize, 7 * pageSize, pageSize, 3 * pageSize]);
  assert.equal(p.data.length, 4 * pageSize);
  assert.equal(p.header.length, 64);
  assert.equal(packSnapshot(cases["only empty pages"]).data.length, 0);
  assert.deepEqual(Array.from(packSnapshot(cases["no empty page"]).runs), [0, 3 * pageSize, 0]);
});

test("a packed snapshot gives back the snapshot's bytes, any range of them", () => {
  for (const [name, s] of Object.entries(cases)) {
    const p = packSnapshot(s);
    assert.equal(p.size, s.length, name);
    assert.deepEqual(snapshotBytes(p, 0, s.length), s, name);
    for (const [offset, length] of [[0, 1], [10, 4000], [p.header.length - 3, 10], [pageSize - 5, pageSize + 10], [s.length - 7, 100], [s.length, 10]]) {
      assert.deepEqual(snapshotBytes(p, offset, length), s.subarray(offset, offset + length), `${name}: ${length} bytes from ${offset}`);
    }
  }
});

test("restorePages writes the snapshot's memory, and zeros what the instance wrote below its break", () => {
  for (const [name, s] of Object.entries(cases)) {
    const p = packSnapshot(s);
    const memory = s.subarray(p.header.length);
    const size = Math.ceil(memory.length / 65536) * 65536 || 65536;
    const brk = Math.min(3 * pageSize + 17, memory.length);
    // What an instance wrote before its restore lies below its break.
    const heap = new Uint8Array(size);
    heap.fill(0xee, 0, brk);
    restorePages(heap, p, { brk, stackEnd: 0, stackBase: 0 });
    assert.deepEqual(heap.subarray(0, memory.length), memory, name);
    assert.ok(heap.subarray(memory.length).every((b) => b === 0), name);
  }
  assert.throws(() => restorePages(new Uint8Array(pageSize), packSnapshot(made(64, [1, 1])), { brk: 0, stackEnd: 0, stackBase: 0 }), /8192 bytes of memory/);
});

test("restorePages does not look at the stack deeper than stackWindow", () => {
  // A memory of 1 page of data, a stack of 100 pages above it, growing
  // down from its base, and 3 pages of heap, the last of them empty.
  const stackPages = 100;
  const layout = [1, ...Array(stackPages).fill(0), 1, 1, 0];
  const p = packSnapshot(made(64, layout));
  const stackEnd = pageSize;
  const stackBase = (1 + stackPages) * pageSize;
  const heap = new Uint8Array(65536 * Math.ceil((layout.length * pageSize) / 65536));
  heap.fill(0xee, stackEnd, stackBase); // the stack written through
  restorePages(heap, p, { brk: layout.length * pageSize, stackEnd, stackBase });
  const deep = Math.floor((stackBase - stackWindow) / pageSize) * pageSize;
  assert.ok(heap.subarray(deep, stackBase).every((b) => b === 0), "the stack's top was not zeroed");
  assert.ok(heap.subarray(stackEnd, deep).every((b) => b === 0xee), "the stack deeper than stackWindow was looked at");
});

test("packSnapshot refuses what is not a snapshot", () => {
  assert.throws(() => packSnapshot(new Uint8Array(8)), /too short/);
  const s = made(64, [1]);
  new DataView(s.buffer).setUint32(4, s.length + 1, true);
  assert.throws(() => packSnapshot(s), /header of/);
});

test("an interpreter restored page by page has the memory Pyodide's restore gives it", async () => {
  const maker = await loadPyodide({ _makeSnapshot: true });
  maker.runPython("import json, re\nkept = [json.dumps({'n': i}) for i in range(2000)]");
  const snapshot = maker.makeMemorySnapshot();
  const packed = packSnapshot(snapshot);
  assert.ok(packed.data.length < snapshot.length * 0.75, `${packed.data.length} of ${snapshot.length} bytes kept`);
  const memory = snapshot.subarray(packed.header.length);
  let compared = false;
  const pyodide = await loadPyodide({
    _loadSnapshot: packed.header,
    createPyodideModule: (settings) => {
      settings.INITIAL_MEMORY = packed.size;
      return createPyodideModule(settings).then((m) => {
        const restore = m.API.restoreSnapshot;
        m.API.restoreSnapshot = (header) => {
          const config = restore(header);
          const written = { brk: m._sbrk(0) >>> 0, stackEnd: m._emscripten_stack_get_end() >>> 0, stackBase: m._emscripten_stack_get_base() >>> 0 };
          // How deep the runtime's start wrote into the stack: its lowest page
          // with a byte other than zero.
          let low = written.stackBase;
          for (let at = written.stackEnd; at < written.stackBase; at++) {
            if (m.HEAPU8[at] !== 0) {
              low = at;
              break;
            }
          }
          assert.ok(written.stackBase - low < stackWindow / 4, `the runtime's start wrote ${written.stackBase - low} bytes deep into the stack`);
          restorePages(m.HEAPU8, packed, written);
          assert.ok(Buffer.from(m.HEAPU8.buffer, 0, memory.length).equals(memory), "the restored memory differs from the snapshot's");
          compared = true;
          return config;
        };
        return m;
      });
    },
  });
  assert.ok(compared);
  assert.equal(pyodide.runPython("len(kept), json.loads(kept[-1])['n']").toJs().join(","), "2000,1999");
});

test("collectGarbage is the collector, and the global object no longer holds it", async () => {
  assert.ok(hadCollector, "node runs without --expose-gc");
  assert.equal(globalThis.gc, undefined);
  let ref;
  (() => {
    ref = new WeakRef({ bytes: new Uint8Array(1 << 20) });
  })();
  // A WeakRef's target lives until the task that made it is over.
  await new Promise((resolve) => setTimeout(resolve, 0));
  collectGarbage();
  assert.equal(ref.deref(), undefined);
});
