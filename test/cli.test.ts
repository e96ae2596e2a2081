// The command line, run as separate processes from the compiled build (npm run build:ts): bad inputs give one error
// line and a non-zero exit; serve + infer --connect run private inferences over TCP on an ephemeral port, the client
// holding only the public model (exported, fetched from the server, then cached), and the client's logits equal the
// fixed-point twin. The model there is a narrow one-layer BERT saved as a Hugging Face directory (so the directory
// loader is exercised too), to keep the HE time short.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetModel } from "../src/cli/model.js";
import { RING } from "../src/model/quantize.js";
import { presetConfig } from "../src/model/config.js";
import { saveModel, type Model } from "../src/model/directory.js";
import { fixedForward } from "../src/model/fixed.js";
import { readSafetensors } from "../src/model/safetensors.js";
import { embeddingTensors, randomWeights } from "../src/model/weights.js";

const MAIN = new URL("../dist/src/cli/main.js", import.meta.url).pathname;

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<Done>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  const stderrMatch = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(stderr);
        if (m) resolve(m);
      };
      child.stderr.on("data", check);
      child.on("close", () => reject(new Error(`process ended before printing ${re}: ${stderr}`)));
    });
  return { child, done, stderrMatch };
}

const run = (args: string[]) => start(args).done;

/** The one error line a failed command prints. */
function errorLine(d: Done): string {
  const lines = d.stderr.split("\n").filter((l) => l.startsWith("cipherprune:"));
  expect(lines).toHaveLength(1);
  return lines[0];
}

let dir: string;
let small: Model;
let other: string;

async function save(model: Model, where: string): Promise<void> {
  await saveModel((name, data) => writeFile(join(where, name), data), model);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cipherprune-cli-"));
  const base = presetModel("tiny");
  const config = presetConfig("tiny", { layers: 1, hidden: 32, heads: 1, intermediate: 64, vocabSize: base.config.vocabSize, maxPositions: 64 });
  small = { config, weights: randomWeights(config, 3), tokenizer: base.tokenizer };
  for (const l of [small.weights.pooler, small.weights.classifier]) for (let i = 0; i < l.weight.length; i++) l.weight[i] *= 8;
  await save(small, dir);
  other = mkdtempSync(join(tmpdir(), "cipherprune-cli-other-"));
  await save({ ...small, weights: randomWeights(config, 4) }, other);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(other, { recursive: true, force: true });
});

describe("cipherprune command line", () => {
  it("unknown model directory: one error line, exit 1", async () => {
    const d = await run(["infer", "--text", "good", "--model", join(dir, "missing")]);
    expect(d.code).toBe(1);
    expect(errorLine(d)).toMatch(/unknown model .*missing.*preset/);
  }, 20_000);

  it("malformed safetensors: names the file", async () => {
    const bad = mkdtempSync(join(tmpdir(), "cipherprune-cli-bad-"));
    try {
      await save(small, bad);
      writeFileSync(join(bad, "model.safetensors"), new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0, 123, 34, 120]));
      const d = await run(["infer", "--text", "good", "--model", bad]);
      expect(d.code).toBe(1);
      expect(errorLine(d)).toMatch(/model\.safetensors/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  }, 20_000);

  it("a broken thresholds.json or vocab.txt: the error names the file", async () => {
    for (const [file, content, pattern] of [
      ["thresholds.json", "{ not json", /thresholds\.json/],
      ["thresholds.json", JSON.stringify({ theta: [0.1], beta: [0] }), /thresholds\.json: beta\[0\] = 0 is below theta\[0\]/],
      ["vocab.txt", "", /vocab\.txt/],
    ] as const) {
      const bad = mkdtempSync(join(tmpdir(), "cipherprune-cli-bad-"));
      try {
        await save(small, bad);
        writeFileSync(join(bad, file), content);
        const d = await run(["infer", "--text", "good", "--model", bad]);
        expect(d.code).toBe(1);
        expect(errorLine(d)).toMatch(pattern);
      } finally {
        await rm(bad, { recursive: true, force: true });
      }
    }
  }, 30_000);

  it("--connect to a port where nothing listens: says it is retrying, then that there is no server", async () => {
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const d = await run(["infer", "--connect", `127.0.0.1:${free}`, "--text", "good"]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/retrying/);
    expect(errorLine(d)).toMatch(new RegExp(`no cipherprune server at 127\\.0\\.0\\.1:${free}`));
  }, 30_000);

  it("text longer than the sequence: one error line", async () => {
    const d = await run(["infer", "--text", "a b c d e f g h i j", "--model", dir, "--seq", "8"]);
    expect(d.code).toBe(1);
    expect(errorLine(d)).toMatch(/longer than the maximum 8/);
  }, 20_000);

  /** A one-connection server and a client whose handshake must fail on both sides naming `field`. */
  async function expectHandshakeMismatch(serverArgs: string[], clientArgs: string[], field: string): Promise<void> {
    const server = start(["serve", "--port", "0", "--seq", "64", "--once", ...serverArgs]);
    const [, port] = await server.stderrMatch(/serving .* on 127\.0\.0\.1:(\d+)/);
    const client = await run(["infer", "--connect", `127.0.0.1:${port}`, "--text", "good", "--seq", "64", ...clientArgs]);
    const pattern = new RegExp(`parameter "${field}" differs`);
    expect(client.code).toBe(1);
    expect(errorLine(client)).toMatch(pattern);
    const s = await server.done;
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(pattern);
  }

  it("a server with another model: the handshake names the file that differs on both sides", () => expectHandshakeMismatch(["--model", other], ["--model", dir], "model\\.embeddings"), 30_000);

  it("empty text, and export-client without --out: one error line each", async () => {
    const empty = await run(["infer", "--text", "  ", "--model", dir]);
    expect(empty.code).toBe(1);
    expect(errorLine(empty)).toMatch(/--text is empty/);
    const noOut = await run(["export-client", "--model", dir]);
    expect(noOut.code).toBe(1);
    expect(errorLine(noOut)).toMatch(/export-client needs --out/);
  }, 20_000);

  it("a server model that is a client directory: names what is missing and why", async () => {
    const pub = mkdtempSync(join(tmpdir(), "cipherprune-cli-pub-"));
    try {
      expect((await run(["export-client", "--model", dir, "--out", pub])).code).toBe(0);
      const d = await run(["infer", "--text", "good", "--model", pub]);
      expect(d.code).toBe(1);
      expect(errorLine(d)).toMatch(/model\.safetensors: tensor "bert\.encoder\.layer\.0\..*" is missing \(the file holds only the embedding tables: a client model/);
    } finally {
      await rm(pub, { recursive: true, force: true });
    }
  }, 20_000);

  it("unknown --he backend: one error line naming the choices", async () => {
    const d = await run(["infer", "--text", "good", "--model", dir, "--he", "bfv"]);
    expect(d.code).toBe(1);
    expect(errorLine(d)).toMatch(/--he must be one of simd, seal, got "bfv"/);
  }, 20_000);

  it("client and server on different HE backends: the handshake names the field he", () => expectHandshakeMismatch(["--model", dir, "--he", "seal"], ["--model", dir, "--he", "simd"], "he"), 30_000);

  it("client and server on different OTs: the handshake names the field ot", () => expectHandshakeMismatch(["--model", dir, "--ot", "ferret-b11"], ["--model", dir, "--ot", "iknp"], "ot"), 30_000);

  it("serve + infer --connect over TCP: a client with an exported, a fetched and a cached public model gets the twin's logits", async () => {
    const text = "a great movie!";
    const pub = mkdtempSync(join(tmpdir(), "cipherprune-cli-pub-"));
    const cache = mkdtempSync(join(tmpdir(), "cipherprune-cli-cache-"));
    const server = start(["serve", "--model", dir, "--port", "0", "--seq", "64"]);
    const listening = server.stderrMatch(/serving .* on 127\.0\.0\.1:(\d+)/);
    try {
      expect((await run(["export-client", "--model", dir, "--out", pub])).code).toBe(0);
      // The client directory holds the embedding tables and nothing else of the model.
      expect(readdirSync(pub).sort()).toEqual(["config.json", "model.safetensors", "vocab.txt"]);
      const names = [...readSafetensors(new Uint8Array(readFileSync(join(pub, "model.safetensors")))).keys()].sort();
      expect(names).toEqual([...embeddingTensors(small.config).keys()].sort());
      const [, port] = await listening;
      const enc = small.tokenizer.encode(text, 64);
      const twin = Array.from(await fixedForward(small.weights, RING, enc.ids, enc.mask));
      for (const [args, source] of [
        [["--model", pub], pub],
        [["--cache", cache], "the server's (fetched)"],
        [["--cache", cache], "the server's (cached)"],
      ] as const) {
        const client = await run(["infer", "--connect", `127.0.0.1:${port}`, "--text", text, ...args, "--json"]);
        expect(client.code, client.stderr).toBe(0);
        const lines = client.stdout.trim().split("\n");
        const out = JSON.parse(lines[lines.length - 1]) as { model: string; seq: number; logits: number[]; label: number; bytes: number; stages: Record<string, unknown> };
        expect(out.model).toBe(source);
        expect(out.seq).toBe(64);
        expect(out.logits).toEqual(twin);
        expect(out.label).toBe(out.logits[1] > out.logits[0] ? 1 : 0);
        expect(out.bytes).toBeGreaterThan(0);
        expect(Object.keys(out.stages)).toEqual(expect.arrayContaining(["qkv", "softmax", "gelu", "classifier"]));
        expect(client.stderr).toMatch(/layer 1\/1/);
      }
      // The fetched model was cached as a client directory, again without any encoder tensor.
      const [key] = readdirSync(join(cache, "models"));
      const cached = [...readSafetensors(new Uint8Array(readFileSync(join(cache, "models", key, "model.safetensors")))).keys()].sort();
      expect(cached).toEqual(names);
    } finally {
      server.child.kill();
      await server.done;
      await rm(pub, { recursive: true, force: true });
      await rm(cache, { recursive: true, force: true });
    }
  }, 300_000);
});
