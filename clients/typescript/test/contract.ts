// The committed types follow the contract: src/openapi.ts is what
// `npm run generate` makes of api/openapi.json now.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { packageDir } from "./server.js";

test("src/openapi.ts is up to date with api/openapi.json (run npm run generate)", () => {
  const fresh = execFileSync(process.execPath, [path.join(packageDir, "scripts", "generate.mjs"), "--stdout"], {
    encoding: "utf8",
  });
  const committed = readFileSync(path.join(packageDir, "src", "openapi.ts"), "utf8");
  assert.ok(fresh.includes("export interface paths"), "the generator made types");
  assert.equal(committed, fresh, "src/openapi.ts differs from a fresh generation: run `npm run generate` in clients/typescript");
});
