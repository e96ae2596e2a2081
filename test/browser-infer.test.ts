// A private inference with the client in headless Chromium (web/infer.html, the party in its Worker) and the server
// in Node: the serve loop with a TCP and a WebSocket listener, the bundled model, 1 HE thread. The page gets the
// logits and kept counts of the in-process run exactly, both ends count the same bytes, the page's main thread runs
// no long task, and the page requests nothing but itself and its bundle (the public model comes through the protocol,
// then from IndexedDB; no file of weights is ever fetched). On the default HE backend it never fetches node-seal's
// chunk, which loads in the page as src/he/seal.ts imports it; a bad option shows the Worker's error naming it.
// Never skipped: without Chromium the test fails saying how to install it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeHeThreads } from "../src/he/threads.js";
import { resolveModel } from "../src/cli/model.js";
import { serveLoop, type ServeSummary } from "../src/cli/serve.js";
import { runLocal, runParty } from "../src/cli/session.js";
import type { Traffic } from "../src/net/channel.js";
import { listen } from "../src/net/tcp.js";
import { listenWs } from "../src/net/ws-server.js";
import type { InferResult } from "../web/infer-worker.js";
import { build } from "../web/build.mjs";
import { launchChromium } from "../web/chromium.mjs";
import { serve } from "../web/serve.mjs";

const SEQ = 16;
const TEXT = "You won a free prize! Claim it now.";

describe("private inference with the client in Chromium", () => {
  let dir: string;
  /** The .js files of the build, and the one holding node-seal. */
  let bundle: string[];
  let sealChunk: string;
  let site: { url: string; close: () => Promise<unknown> };
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipherprune-infer-"));
    bundle = (await build({ outDir: dir })).filter((f) => f.endsWith(".js")).map((f) => basename(f));
    sealChunk = bundle.find((f) => f.startsWith("throws_wasm_web_es-"))!;
    expect(sealChunk).toBeDefined();
    site = await serve({ dir });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gives the in-process logits and kept counts, with equal bytes on both ends, no file fetched, no node-seal; a second run takes the model from IndexedDB", { timeout: 200_000 }, async () => {
    const { model, name } = await resolveModel(undefined);
    const origin = new URL(site.url).origin;
    const tcp = await listen(0, "127.0.0.1", { hold: true });
    const ws = await listenWs(0, "127.0.0.1", { hold: true, origins: [origin] });
    const serverTraffic: Traffic[] = [];
    const lines: string[] = [];
    const served: Promise<ServeSummary> = serveLoop([tcp, ws], { sessions: 1, maxSessions: 2, write: (l) => lines.push(l) }, async (ch, ctx) => {
      const out = await runParty("server", ch, { model, seq: SEQ, heThreads: 1, startThreads: nodeHeThreads, onPhase: ctx.phase });
      serverTraffic.push(ch.traffic);
      return { model: name, seq: out.seq, kept: out.kept.map((t) => t.kept) };
    });

    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => requests.push(new URL(r.url()).pathname));
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => void (m.type() === "error" && problems.push(`console error: ${m.text()}`)));
    page.on("worker", (w) => w.on("console", (m) => void (m.type() === "error" && problems.push(`worker console error: ${m.text()}`))));
    // The page's main thread stays live: the party computes in the Worker. Collect the main thread's long tasks (50 ms+).
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => w.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: "longtask" });
    });
    const finish = async () => {
      await page.waitForFunction(() => document.title === "done" || document.title === "error", undefined, { timeout: 80_000 });
      const shown = await page.evaluate(() => ({
        title: document.title,
        error: document.getElementById("error")!.textContent,
        label: document.getElementById("label")!.textContent,
        result: (window as unknown as { result?: InferResult }).result,
        longTasks: (window as unknown as { longTasks: number[] }).longTasks,
      }));
      expect(shown.error).toBe("");
      expect(shown.title).toBe("done");
      expect(problems).toEqual([]);
      // The set-up and the layers run in the Worker: none of them is a task of the page.
      expect(shown.longTasks.filter((ms) => ms > 500)).toEqual([]);
      return shown;
    };
    try {
      await page.goto(`${site.url}infer.html?ws=${encodeURIComponent(ws.url)}&text=${encodeURIComponent(TEXT)}`);
      const first = await finish();
      await page.click("#run");
      const second = await finish();
      const summary = await served;
      expect(summary.ok).toBe(2);
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(/: ok in /);

      const local = await runLocal({ model, seq: SEQ, text: TEXT, heThreads: 0 });
      // Each page has a context of its own, so an empty IndexedDB: the first run fetches, the second finds the model.
      for (const [i, { result, label }] of [first, second].entries()) {
        const r = result!;
        expect(r.logits).toEqual(Array.from(local.outcome.logits!));
        expect(r.kept).toEqual(local.outcome.kept.map((t) => t.kept));
        expect(r.tokens).toEqual(local.outcome.tokens);
        expect(r.source).toBe(i === 0 ? "fetched" : "cached");
        expect(label).toBe(model.config.labelNames?.[r.label] ?? `label ${r.label}`);
        // The page's byte counts are the server's, mirrored (rounds are each end's own flights, in its program order).
        expect(r.bytesSent).toBe(serverTraffic[i].bytesReceived);
        expect(r.bytesReceived).toBe(serverTraffic[i].bytesSent);
        expect(r.bytes).toBe(r.bytesSent + r.bytesReceived);
      }
      expect(second.result!.bytesReceived).toBeLessThan(first.result!.bytesReceived);
      // Nothing but the page and its bundle: the public model came through the protocol.
      expect(requests).toEqual(expect.arrayContaining(["/infer.html", "/infer.js", "/infer-worker.js"]));
      expect(requests.filter((p) => p !== "/infer.html" && !bundle.includes(p.slice(1)))).toEqual([]);
      expect(new Set(requests).size).toBe(requests.length);
      expect(requests).not.toContain(`/${sealChunk}`);
    } finally {
      await page.close();
      tcp.close();
      ws.close();
    }
  });

  it("shows the Worker's error naming the bad option, and a Worker that failed to load", async () => {
    for (const [query, message] of [
      ["seq=1", '?seq must be an integer ≥ 2, got "1"'],
      ["he=ckks", '?he must be one of simd, seal, got "ckks"'],
    ]) {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      try {
        await page.goto(`${site.url}infer.html?text=hello&${query}`);
        await page.waitForFunction(() => document.title === "done" || document.title === "error");
        expect(await page.title()).toBe("error");
        expect(await page.locator("#error").textContent()).toBe(message);
        expect(await page.locator("#status").textContent()).toBe("failed");
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    }
    // A Worker that cannot load fails the run instead of leaving the page waiting.
    const page = await browser.newPage();
    try {
      await page.route("**/infer-worker.js", (r) => r.fulfill({ status: 404, body: "" }));
      await page.goto(`${site.url}infer.html?text=hello`);
      await page.waitForFunction(() => document.title === "done" || document.title === "error");
      expect(await page.title()).toBe("error");
      expect(await page.locator("#error").textContent()).toMatch(/^worker: .* \(reload the page\)$/);
    } finally {
      await page.close();
    }
  });

  // A whole inference on the seal backend takes minutes (it gives the same logits, and the page fetches this chunk):
  // here the chunk alone, as a page's dynamic import of it (src/he/seal.ts) loads it.
  it("node-seal's chunk is an ES module whose default export starts SEAL in the page", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${site.url}infer.html`);
      await page.waitForFunction(() => document.title === "ready");
      // As a string: vitest rewrites import() in functions it compiles.
      const got = await page.evaluate(`import(${JSON.stringify(site.url + sealChunk)}).then(async ({ default: factory }) => {
        const seal = await factory();
        return { context: typeof seal.Context, bfv: seal.SchemeType.bfv !== undefined };
      })`);
      expect(got).toEqual({ context: "function", bfv: true });
    } finally {
      await page.close();
    }
  });
});
