// Throughput of one `cipherprune serve` process under C concurrent clients (separate `infer --connect` processes)
// over TCP loopback, on the bundled model by default. For each C: inferences per minute over the wall time of the
// round, p50/p95 client latency, the server's peak RSS (VmHWM from /proc, Linux), and failed clients (must be 0).
// Each round starts a fresh server, so its peak RSS is that round's. JSON, last line with --json:
//   {"results":[{"clients":1,"perMinute":..,"p50Ms":..,"p95Ms":..,"peakRssMb":..,"failures":0},...]}
// Usage: node dist/bench/serve.js [--clients 1,2,4] [--rounds R] [--model DIR|preset] [--sessions K] [--json]
//   R: inferences per client per round (default 2); --sessions is passed to serve (its default otherwise).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, option } from "./args.js";
import { formatTable } from "../src/model/stages.js";

const MAIN = new URL("../src/cli/main.js", import.meta.url).pathname;
const json = process.argv.includes("--json");
const clientCounts = (option("--clients") ?? "1,2,4").split(",").map((v) => {
  const c = Number(v);
  if (!Number.isInteger(c) || c < 1) throw new RangeError(`--clients must list positive integers, got "${v}"`);
  return c;
});
const rounds = arg("--rounds", 2);
const model = option("--model");
const sessions = option("--sessions");
const log = (m: string) => process.stderr.write(`${m}\n`);
const TEXT = "Congratulations, you won a free prize! Click here to claim it now.";

function node(args: string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

/** The peak resident set of a live process in MiB (Linux). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = node(["serve", "--port", "0", ...(model ? ["--model", model] : []), ...(sessions ? ["--sessions", sessions] : [])]);
  let stderr = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on("data", (b: Buffer) => {
      stderr += b.toString();
      const m = /on [^\s:]+:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.on("close", (code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
  return { child, port };
}

/** One client inference; resolves with its latency, or undefined when it failed. */
function infer(port: number, cache: string): Promise<number | undefined> {
  const start = performance.now();
  const child = node(["infer", "--connect", `127.0.0.1:${port}`, "--text", TEXT, "--cache", cache, "--json"]);
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  child.stdout!.resume();
  return new Promise((resolve) =>
    child.on("close", (code) => {
      if (code !== 0) log(`client failed (exit ${code}): ${stderr.trim().split("\n").at(-1)}`);
      resolve(code === 0 ? performance.now() - start : undefined);
    }),
  );
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN;
};

const cache = mkdtempSync(join(tmpdir(), "cipherprune-bench-serve-"));
const results: { clients: number; perMinute: number; p50Ms: number; p95Ms: number; peakRssMb: number; failures: number }[] = [];
try {
  for (const clients of clientCounts) {
    const server = await startServer();
    // One untimed inference fills the client cache and warms the server, as a long-running server would be.
    await infer(server.port, cache);
    log(`${clients} client(s), ${rounds} inference(s) each…`);
    const start = performance.now();
    const lat = await Promise.all(
      Array.from({ length: clients }, async () => {
        const out: (number | undefined)[] = [];
        for (let r = 0; r < rounds; r++) out.push(await infer(server.port, cache));
        return out;
      }),
    );
    const wall = performance.now() - start;
    const ok = lat.flat().filter((v): v is number => v !== undefined);
    const peak = peakRssMb(server.child.pid!);
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.on("close", r));
    results.push({ clients, perMinute: (ok.length * 60_000) / wall, p50Ms: quantile(ok, 0.5), p95Ms: quantile(ok, 0.95), peakRssMb: peak, failures: clients * rounds - ok.length });
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
}

const one = results.find((r) => r.clients === 1);
const rows = results.map((r) => [
  String(r.clients),
  r.perMinute.toFixed(2),
  one ? (r.perMinute / one.perMinute).toFixed(2) : "–",
  r.p50Ms.toFixed(0),
  r.p95Ms.toFixed(0),
  r.peakRssMb.toFixed(0),
  String(r.failures),
]);
process.stdout.write(formatTable([["clients", "per minute", "× 1 client", "p50 ms", "p95 ms", "server peak RSS MiB", "failures"], ...rows]) + "\n");
if (json) process.stdout.write(JSON.stringify({ results: results.map((r) => ({ ...r, perMinute: +r.perMinute.toFixed(3), p50Ms: Math.round(r.p50Ms), p95Ms: Math.round(r.p95Ms), peakRssMb: Math.round(r.peakRssMb) })) }) + "\n");
