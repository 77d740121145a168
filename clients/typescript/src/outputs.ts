// Rich outputs of a job: their data by MIME type, decoded.
import { base64ToBytes } from "./files.js";
import type { Output } from "./types.js";

/** Whether data of the MIME type is JSON in an output (application/json, *\/*+json). */
export function isJSONType(mimeType: string): boolean {
  const t = mimeType.toLowerCase();
  return t === "application/json" || t.endsWith("+json");
}

/** Whether data of the MIME type is text in an output (text/*, *\/*+xml). */
export function isTextType(mimeType: string): boolean {
  const t = mimeType.toLowerCase();
  return t.startsWith("text/") || t.endsWith("+xml") || t === "application/xml" || t === "application/javascript";
}

/**
 * The data of mimeType in an output: a string for a text type, the JSON value
 * for a JSON type, bytes (decoded from base64) for any other; undefined when
 * the output has none.
 */
export function outputData(output: Output, mimeType: string): string | Uint8Array | unknown {
  if (!(mimeType in output)) return undefined;
  const v = output[mimeType];
  if (isJSONType(mimeType) || isTextType(mimeType)) return v;
  return base64ToBytes(String(v));
}
