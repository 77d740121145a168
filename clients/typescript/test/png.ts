// A small PNG (8x8, red) for the tests of image output files.
const b64 = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR42mO4IyeHFTEMLQkAid1GAQVcagkAAAAASUVORK5CYII=";

/** The PNG's bytes in base64. */
export const redPngBase64 = b64;

/** The PNG's bytes. */
export const redPng = new Uint8Array(Buffer.from(b64, "base64"));

/** Python that writes the PNG to path (creating its directory). */
export function pngCode(path: string): string {
  return [
    "import base64, os",
    `os.makedirs(os.path.dirname(${JSON.stringify(path)}) or ".", exist_ok=True)`,
    `with open(${JSON.stringify(path)}, "wb") as f:`,
    `    f.write(base64.b64decode(${JSON.stringify(b64)}))`,
    `print("wrote ${path}")`,
  ].join("\n");
}
