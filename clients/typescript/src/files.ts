// Output files inline in a job: their bytes, without another request.
import type { OutputFile } from "./types.js";

/** The bytes of an output file of a job, decoded from its inline content. */
export function fileBytes(file: Pick<OutputFile, "content" | "encoding">): Uint8Array {
  return file.encoding === "base64" ? base64ToBytes(file.content) : new TextEncoder().encode(file.content);
}

/** Decodes base64 in browsers and Node alike. */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    out[i] = bin.charCodeAt(i);
  }
  return out;
}

/** Encodes base64 in browsers and Node alike. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
