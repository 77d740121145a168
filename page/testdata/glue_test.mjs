// Tests of the glue as sandpit serves it (page/glue.go), run by
// TestGlueServed: its assignWasmExports and the published one, each run on
// the same stand-in for a module's exports, must give Module the same
// properties with the same values, and every variable the served glue still
// declares the value the published one gives it (compactExports); and the
// function the glue exports keeps its name (eagerGlue).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const head = "function assignWasmExports(wasmExports){";
const tail = "}var wasmImports=";

// exportsCode returns the declaration of the variables and the function, as
// they stand in the glue at path, and the names the declaration declares.
function exportsCode(path) {
  const src = readFileSync(path, "utf8");
  const start = src.indexOf(head);
  const end = src.indexOf(tail, start) + 1;
  const decl = src.lastIndexOf("var ", start);
  assert.ok(start > 0 && end > start && decl > 0, `${path}: no assignWasmExports`);
  const names = src.slice(decl + 4, start - 1).split(",");
  return { code: src.slice(decl, end), names };
}

// exportNames returns the exports the published function reads, as names
// of wasmExports.
function exportNames(code) {
  return [...new Set([...code.matchAll(/wasmExports\["([\w$]+)"\]/g)].map((m) => m[1]))];
}

// run runs code's assignWasmExports on exports and returns Module and the
// values of the variables names.
function run({ code, names }, exports) {
  const f = new Function(
    "wasmExports",
    `var Module={};${code};assignWasmExports(wasmExports);return [Module,{${names.join(",")}}]`,
  );
  return f(exports);
}

const published = exportsCode(process.env.PUBLISHED_GLUE);
const served = exportsCode(process.env.SERVED_GLUE);

// Every export a distinct value: a function, or a WebAssembly global's
// stand-in for a datum, whose address is its index.
function standIn() {
  const exports = {};
  exportNames(published.code).forEach((name, i) => {
    exports[name] = Object.assign(function () {}, { value: 1000 + i });
  });
  return exports;
}

test("Module gets the same exports", () => {
  const exports = standIn();
  const [want] = run(published, exports);
  const [got] = run(served, exports);
  assert.ok(Object.keys(want).length > 4000, `only ${Object.keys(want).length} exports`);
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const k of Object.keys(want)) {
    assert.equal(got[k], want[k], k);
  }
});

test("the glue's function keeps its name", async () => {
  const { default: create } = await import(process.env.SERVED_GLUE);
  assert.equal(typeof create, "function");
  assert.equal(create.name, "_createPyodideModule");
});

test("every variable still declared holds what it held", () => {
  const exports = standIn();
  const [, want] = run({ code: published.code, names: served.names }, exports);
  const [, got] = run(served, exports);
  assert.ok(served.names.length < published.names.length / 10, `${served.names.length} of ${published.names.length} variables still declared`);
  assert.ok(served.names.includes("_malloc") && got._malloc === exports.malloc);
  for (const name of served.names) {
    assert.equal(got[name], want[name], name);
  }
});
