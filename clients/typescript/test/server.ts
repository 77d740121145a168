// The servers the tests run against: a real `sandpit serve` with its private
// redis-server, and a second API process (`sandpit api`) on the same Redis
// with API keys and a tiny rate limit, as several APIs behind a load
// balancer share one Redis.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The package's directory (the tests run from build/test). */
export const packageDir = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));
const repoRoot = path.resolve(packageDir, "../..");

/** bin/sandpit of the repository, built first when missing; or $SANDPIT_BIN. */
function sandpitBin(): string {
  if (process.env.SANDPIT_BIN) {
    return process.env.SANDPIT_BIN;
  }
  const bin = path.join(repoRoot, "bin", "sandpit");
  if (!existsSync(bin)) {
    execFileSync("make", ["-C", repoRoot, "build"], { stdio: "inherit" });
  }
  return bin;
}

/** A free TCP port on the loopback address. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A sandpit process started by the tests. */
export class SandpitProcess {
  readonly url: string;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private readonly exited: Promise<number | null>;
  private readonly records = new Map<string, Record<string, unknown>>();
  private readonly recordWaiters = new Map<string, (rec: Record<string, unknown>) => void>();

  private constructor(args: string[], env: Record<string, string>, port: number) {
    this.url = `http://127.0.0.1:${port}`;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SANDPIT_")));
    this.child = spawn(sandpitBin(), args, { stdio: ["ignore", "ignore", "pipe"], env: { ...clean, ...env } });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    // Should the tests die without stopping it, the server goes with them.
    const kill = () => this.child.kill("SIGKILL");
    process.once("exit", kill);
    void this.exited.then(() => process.off("exit", kill));
    createInterface({ input: this.child.stderr! }).on("line", (line) => {
      this.tail.push(line);
      if (this.tail.length > 40) {
        this.tail.shift();
      }
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a JSON log line
      }
      const msg = String(rec.msg);
      if (!this.records.has(msg)) {
        this.records.set(msg, rec);
        this.recordWaiters.get(msg)?.(rec);
      }
    });
  }

  /** Starts `sandpit COMMAND --addr 127.0.0.1:PORT ARGS...` and waits until it can run a job. */
  static async start(command: string, args: string[], env: Record<string, string> = {}): Promise<SandpitProcess> {
    const port = await freePort();
    const p = new SandpitProcess([command, "--addr", `127.0.0.1:${port}`, ...args], env, port);
    await p.ready();
    return p;
  }

  /** Resolves with a field of the first log record whose msg is msg. */
  async logged(msg: string, field: string): Promise<string> {
    const rec =
      this.records.get(msg) ??
      (await new Promise<Record<string, unknown>>((resolve) => this.recordWaiters.set(msg, resolve)));
    return String(rec[field]);
  }

  /** Waits until a sandbox is ready to run a job (GET /readyz/sandboxes). */
  private async ready(): Promise<void> {
    const deadline = Date.now() + 180_000;
    let exitCode: number | null | undefined;
    void this.exited.then((c) => (exitCode = c));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`sandpit exited (${exitCode}) before it was ready:\n${this.tail.join("\n")}`);
      }
      try {
        const res = await fetch(this.url + "/readyz/sandboxes");
        if (res.ok) {
          return;
        }
        await res.body?.cancel();
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.stop();
    throw new Error(`sandpit was not ready at ${this.url}/readyz/sandboxes after 180 s:\n${this.tail.join("\n")}`);
  }

  /** Stops the process with SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The servers of the test run. */
export interface Servers {
  /** `sandpit serve` with its private Redis: no keys, the default limits. */
  main: SandpitProcess;
  /** `sandpit api` on main's Redis, with the key in apiKey and a rate of 1 request a second, burst 1. */
  keyed: SandpitProcess;
  apiKey: string;
  stop(): Promise<void>;
}

let servers: Promise<Servers> | undefined;

/** Starts the servers once for the whole run. */
export function startServers(): Promise<Servers> {
  servers ??= (async () => {
    // Each session takes a sandbox host out of the pool for good, and the
    // pool builds another in its place: four hosts keep jobs from waiting
    // for those builds behind the tests' sessions.
    const main = await SandpitProcess.start("serve", [
      "--log-level",
      "info",
      "--pool-size",
      "4",
      "--max-sessions",
      "4",
      "--shutdown-grace",
      "5s",
    ]);
    const redisUrl = await main.logged("started private redis-server", "url");
    const apiKey = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
    let keyed: SandpitProcess;
    try {
      keyed = await SandpitProcess.start(
        "api",
        ["--redis-url", redisUrl, "--rate-limit", "1", "--rate-burst", "1", "--log-level", "warn", "--shutdown-grace", "2s"],
        { SANDPIT_API_KEYS: apiKey },
      );
    } catch (err) {
      await main.stop();
      throw err;
    }
    return {
      main,
      keyed,
      apiKey,
      async stop() {
        await keyed.stop();
        await main.stop();
      },
    };
  })();
  return servers;
}
