// The scale-out recipe of deploy/: two `cipherprune serve` replicas behind HAProxy (Debian's package, which .ci/run
// installs) with deploy/haproxy.cfg itself, only its ports changed, and four clients at once through it. Every client
// gets the fixed-point twin's logits, and both replicas serve. Every process is ended by its own id.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { presetModel } from "../src/cli/model.js";
import { presetConfig } from "../src/model/config.js";
import { saveModel } from "../src/model/directory.js";
import { fixedForward } from "../src/model/fixed.js";
import { RING } from "../src/model/quantize.js";
import { randomWeights } from "../src/model/weights.js";

const MAIN = new URL("../dist/src/cli/main.js", import.meta.url).pathname;
const CONFIG = new URL("../deploy/haproxy.cfg", import.meta.url).pathname;
const haproxy = spawnSync("sh", ["-c", "command -v haproxy || ls /usr/sbin/haproxy"], { encoding: "utf8" }).stdout.trim().split("\n")[0];

const children: ChildProcess[] = [];
const dirs: string[] = [];

function start(cmd: string, args: string[]) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const done = new Promise<number | null>((resolve) => child.on("close", resolve));
  const match = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) resolve(m);
      };
      check();
      child.stdout!.on("data", check);
      child.stderr!.on("data", check);
      child.on("close", () => reject(new Error(`${cmd} ended before printing ${re}: ${out}`)));
    });
  return { child, done, match, output: () => out };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("two replicas behind HAProxy", () => {
  it("four clients at once through deploy/haproxy.cfg all get the twin's logits, and both replicas serve", { timeout: 240_000 }, async () => {
    // Not skipped when missing: .ci/run installs Debian's haproxy, and elsewhere `apt-get install haproxy` does.
    if (!haproxy) throw new Error("haproxy is not installed: run .ci/run, or apt-get install haproxy");
    const dir = mkdtempSync(join(tmpdir(), "cipherprune-deploy-"));
    dirs.push(dir);
    const base = presetModel("tiny");
    const config = presetConfig("tiny", { layers: 1, hidden: 32, heads: 1, intermediate: 64, vocabSize: base.config.vocabSize, maxPositions: 32 });
    const model = { config, weights: randomWeights(config, 7), tokenizer: base.tokenizer };
    await saveModel((name, data) => writeFile(join(dir, name), data), model);

    const replicas = [0, 1].map(() => start(process.execPath, [MAIN, "serve", "--model", dir, "--port", "0", "--seq", "16", "--sessions", "2"]));
    const ports = await Promise.all(replicas.map((r) => r.match(/serving .* on 127\.0\.0\.1:(\d+)/).then((m) => Number(m[1]))));
    const front = await freePort();
    const cfg = readFileSync(CONFIG, "utf8")
      .replace(/bind \*:7000/, `bind 127.0.0.1:${front}`)
      .replace(/127\.0\.0\.1:7001/, `127.0.0.1:${ports[0]}`)
      .replace(/127\.0\.0\.1:7002/, `127.0.0.1:${ports[1]}`);
    expect(cfg).toContain(`127.0.0.1:${ports[1]}`);
    writeFileSync(join(dir, "haproxy.cfg"), cfg);
    const lb = start(haproxy, ["-db", "-f", join(dir, "haproxy.cfg")]);
    // Wait until HAProxy accepts connections.
    for (let i = 0; ; i++) {
      const probe = await new Promise<boolean>((resolve) => {
        const s = connect(front, "127.0.0.1");
        s.on("connect", () => (s.destroy(), resolve(true)));
        s.on("error", () => resolve(false));
      });
      if (probe) break;
      if (i > 100 || lb.child.exitCode !== null) throw new Error(`haproxy did not start: ${lb.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const texts = ["a great movie", "boring", "not bad at all", "the best film"];
    const outs = await Promise.all(
      texts.map(async (text) => {
        const c = start(process.execPath, [MAIN, "infer", "--connect", `127.0.0.1:${front}`, "--text", text, "--cache", join(dir, "cache"), "--json"]);
        const code = await c.done;
        expect(code, c.output()).toBe(0);
        const lines = c.output().trim().split("\n");
        return JSON.parse(lines.filter((l) => l.startsWith("{")).at(-1)!) as { logits: number[] };
      }),
    );
    for (const [i, text] of texts.entries()) {
      const enc = model.tokenizer.encode(text, 16);
      expect(outs[i].logits).toEqual(Array.from(await fixedForward(model.weights, RING, enc.ids, enc.mask)));
    }
    for (const r of replicas) expect(r.output()).toMatch(/session \d+ from .*: ok/);
    for (const p of [lb, ...replicas]) {
      p.child.kill("SIGTERM");
      await p.done;
    }
  });
});
