// Generates src/openapi.ts, the API's types, from api/openapi.json with
// openapi-typescript: `npm run generate`. With --stdout it prints them
// instead, for the test that checks the committed file is up to date.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import openapiTS, { astToString } from "openapi-typescript";

const contract = new URL("../../../api/openapi.json", import.meta.url);
const target = new URL("../src/openapi.ts", import.meta.url);

const header = `// Generated from api/openapi.json by \`npm run generate\` (openapi-typescript); do not edit.\n\n`;

const ast = await openapiTS(contract, {
  // A default (such as a file's encoding) makes a field optional, not required.
  defaultNonNullable: false,
});
const out = header + astToString(ast);
if (process.argv.includes("--stdout")) {
  process.stdout.write(out);
} else {
  await writeFile(target, out);
  console.log(`wrote ${fileURLToPath(target)}`);
}
