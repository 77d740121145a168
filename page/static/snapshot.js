// A memory snapshot kept by its pages.
//
// A Pyodide memory snapshot is a header (a magic number, the header's length,
// the build's id, the interpreter's configuration as JSON) followed by the
// whole of the interpreter's memory: 31 MB, about half of it pages of zeros,
// the empty stretches of the heap and the stack. A host keeps only the pages
// that hold something (packSnapshot), and hands each new worker a copy of
// those, which the worker writes into the memory of its new instance
// (restorePages). The instance's memory starts as zeros, so the empty pages
// are neither copied nor written, and the machine never backs them with
// memory: on the way to every sandbox, half the snapshot's copy and half its
// restore are not done, and each ready sandbox holds half the memory. What a
// used snapshot leaves, the worker's copy among it, is freed by a garbage
// collection once the page has nothing to do (collectGarbage, idleCollect).

// pageSize is the unit the snapshot is kept in: the machine's page.
export const pageSize = 4096;

// headerSize returns the length of a snapshot's header: the second of its
// little-endian 32-bit words.
function headerSize(bytes) {
  if (bytes.length < 16) throw new Error(`snapshot: ${bytes.length} bytes is too short for a snapshot`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  if (n < 16 || n > bytes.length) throw new Error(`snapshot: header of ${n} bytes in a snapshot of ${bytes.length}`);
  return n;
}

// words returns the 32-bit words of bytes[from, to), from and to multiples
// of 4; a view when the bytes are aligned for one, else a copy.
function words(bytes, from, to) {
  const at = bytes.byteOffset + from;
  if (at % 4 === 0) return new Int32Array(bytes.buffer, at, (to - from) / 4);
  return new Int32Array(bytes.slice(from, to).buffer);
}

// zero reports whether w[from, to) holds only zeros.
function zero(w, from, to) {
  for (let i = from; i < to; i++) if (w[i] !== 0) return false;
  return true;
}

// packSnapshot returns snapshot (a Uint8Array) kept by its pages: {header,
// size, runs, data}. header is a copy of the header's bytes; size the
// snapshot's length; data the pages of the memory with a byte other than
// zero, one after another; and runs an Int32Array of triples, one per
// stretch of such pages in the memory, in order: the stretch's offset in the
// memory, its length, and its offset in data. The memory's last page may be
// short.
export function packSnapshot(snapshot) {
  const start = headerSize(snapshot);
  const memory = snapshot.length - start;
  const full = memory - (memory % pageSize);
  const w = words(snapshot, start, start + full);
  const runs = [];
  let length = 0;
  for (let at = 0; at < memory; at += pageSize) {
    const end = Math.min(at + pageSize, memory);
    const empty = end - at === pageSize ? zero(w, at / 4, end / 4) : snapshot.subarray(start + at, start + end).every((b) => b === 0);
    if (empty) continue;
    const last = runs.length - 3;
    if (last >= 0 && runs[last] + runs[last + 1] === at) runs[last + 1] += end - at;
    else runs.push(at, end - at, length);
    length += end - at;
  }
  const data = new Uint8Array(length);
  for (let i = 0; i < runs.length; i += 3) {
    data.set(snapshot.subarray(start + runs[i], start + runs[i] + runs[i + 1]), runs[i + 2]);
  }
  return { header: snapshot.slice(0, start), size: snapshot.length, runs: Int32Array.from(runs), data };
}

// snapshotBytes returns bytes [offset, offset+length) of the snapshot that
// packed keeps, as the snapshot itself has them, cut short at its end.
export function snapshotBytes(packed, offset, length) {
  const { header, size, runs, data } = packed;
  const end = Math.min(offset + length, size);
  const out = new Uint8Array(Math.max(end - offset, 0));
  const copy = (src, from) => {
    // src holds the snapshot's bytes from `from` on.
    const a = Math.max(offset, from);
    const b = Math.min(end, from + src.length);
    if (a < b) out.set(src.subarray(a - from, b - from), a - offset);
  };
  copy(header, 0);
  for (let i = 0; i < runs.length; i += 3) {
    copy(data.subarray(runs[i + 2], runs[i + 2] + runs[i + 1]), header.length + runs[i]);
  }
  return out;
}

// stackWindow is how deep below its base the instance's stack may have been
// written before the restore. The runtime's start, the only code that runs
// in an instance before Pyodide restores it, uses a few kilobytes of it
// (TestSnapshotPages measures it against this).
export const stackWindow = 256 * 1024;

// restorePages writes the memory of the snapshot that packed keeps into
// heap, the memory of a new instance (a Uint8Array over all of it), as
// Pyodide's restore would: the pages that hold something are written, and
// every other page of the snapshot's memory must be zeros. The instance's
// memory started as zeros, and what the instance wrote since lies below
// written.brk, the break of its heap, and outside the part of its stack
// (from written.stackEnd up to written.stackBase) deeper than stackWindow:
// a page the snapshot has empty is zeroed there if the instance wrote to
// it, and not looked at elsewhere. Looking at a page costs what writing it
// does: the machine backs it with memory.
export function restorePages(heap, packed, written) {
  const { header, size, runs, data } = packed;
  const memory = size - header.length;
  if (heap.length < memory) throw new Error(`snapshot: ${memory} bytes of memory, the instance has ${heap.length}`);
  const w = new Int32Array(heap.buffer, heap.byteOffset, heap.length >> 2);
  const top = Math.min(Math.ceil(written.brk / pageSize) * pageSize, memory);
  const deepFrom = Math.ceil(written.stackEnd / pageSize) * pageSize;
  const deepTo = Math.floor((written.stackBase - stackWindow) / pageSize) * pageSize;
  const clear = (from, to) => {
    const end = Math.min(to, top);
    for (let at = from; at < end; at += pageSize) {
      if (at >= deepFrom && at < deepTo) {
        at = deepTo - pageSize;
        continue;
      }
      const next = Math.min(at + pageSize, end);
      if (!zero(w, at >> 2, (next + 3) >> 2)) heap.fill(0, at, next);
    }
  };
  let at = 0;
  for (let i = 0; i < runs.length; i += 3) {
    clear(at, runs[i]);
    heap.set(data.subarray(runs[i + 2], runs[i + 2] + runs[i + 1]), runs[i]);
    at = runs[i] + runs[i + 1];
  }
  clear(at, memory);
}

// collectGarbage runs a full garbage collection of the realm's isolate
// where the browser lets a page (sandpit's Chromium runs with V8's
// --expose-gc), and does nothing elsewhere (the page also runs in users'
// browsers). It is what frees a snapshot once it has been used: the buffers
// a page gets from fetch or postMessage are the browser's objects, whose
// memory goes at a full collection, and detaching them does not free it; an
// idle page may have no full collection for a minute or more. The collector
// is taken off the global object when this module is evaluated, which is
// before any job's code runs in the realm, so that only the modules that
// import collectGarbage can call it: V8 declares it as a global function,
// which cannot be deleted but can be overwritten.
const gc = typeof globalThis.gc === "function" ? globalThis.gc : null;
if (gc) globalThis.gc = undefined;

export function collectGarbage() {
  if (gc) gc();
}

// idleCollect is how long, in ms, a page with nothing to do waits before
// it collects its garbage: a ready sandbox that no job has taken (a job
// ends its worker, and all of its memory with it), and a host whose next
// sandbox is ready and that has no job to run (what the last job's
// messages and the runner's calls left). A sandbox taken at once, which is
// every sandbox of a busy pool, spends nothing on it; a job that comes
// while a collection runs waits for it, once, some 20 ms.
export const idleCollect = 1000;
