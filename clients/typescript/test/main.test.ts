// The test run: one sandpit serve (and one API process on its Redis) for
// every suite, started once and stopped at the end.
import { after } from "node:test";

import { startServers } from "./server.js";

import "./contract.js";
import "./client.js";
import "./resilience.js";
import "./tools.js";

after(async () => {
  await (await startServers()).stop();
});
