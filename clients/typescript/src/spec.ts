// Checks of what callers pass, before anything is sent.
import type { RunOptions, Spec } from "./types.js";

/** Joins code and the rest of a spec, checking the code is a string. */
export function toSpec(code: string, spec: RunOptions): Spec {
  if (typeof code !== "string") {
    throw new TypeError(`code must be a string of Python, not ${code === null ? "null" : typeof code}`);
  }
  if (spec === null || typeof spec !== "object" || "code" in spec) {
    throw new TypeError("the spec must be an object of a job spec's fields besides code (timeout_ms, files, ...)");
  }
  return { ...spec, code };
}

