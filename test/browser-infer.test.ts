// A private inference with the client in headless Chromium (web/infer.html) and the server in Node: the serve loop
// with a TCP and a WebSocket listener, the bundled model, 1 HE thread. The page gets the logits and kept counts of
// the in-process run exactly, both ends count the same bytes, and the page requests nothing but itself and its
// bundle (the public model comes through the protocol; no file of weights is ever fetched). Never skipped: without
// Chromium the test fails saying how to install it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeHeThreads } from "../src/he/threads.js";
import { resolveModel } from "../src/cli/model.js";
import { serveLoop, type ServeSummary } from "../src/cli/serve.js";
import { runLocal, runParty } from "../src/cli/session.js";
import type { Traffic } from "../src/net/channel.js";
import { listen } from "../src/net/tcp.js";
import { listenWs } from "../src/net/ws-server.js";
import type { InferResult } from "../web/infer.js";
import { build } from "../web/build.mjs";
import { launchChromium } from "../web/chromium.mjs";
import { serve } from "../web/serve.mjs";

const SEQ = 16;
const TEXT = "You won a free prize! Claim it now.";

describe("private inference with the client in Chromium", () => {
  let dir: string;
  let site: { url: string; close: () => Promise<unknown> };
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipherprune-infer-"));
    await build({ outDir: dir });
    site = await serve({ dir });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gives the in-process logits and kept counts, with equal bytes on both ends and no file fetched", { timeout: 90_000 }, async () => {
    const { model, name } = await resolveModel(undefined);
    const origin = new URL(site.url).origin;
    const tcp = await listen(0, "127.0.0.1", { hold: true });
    const ws = await listenWs(0, "127.0.0.1", { hold: true, origins: [origin] });
    let serverTraffic: Traffic | undefined;
    const lines: string[] = [];
    const served: Promise<ServeSummary> = serveLoop([tcp, ws], { sessions: 1, maxSessions: 1, write: (l) => lines.push(l) }, async (ch, ctx) => {
      const out = await runParty("server", ch, { model, seq: SEQ, heThreads: 1, startThreads: nodeHeThreads, onPhase: ctx.phase });
      serverTraffic = ch.traffic;
      return { model: name, seq: out.seq, kept: out.kept.map((t) => t.kept) };
    });

    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => void (m.type() === "error" && problems.push(`console error: ${m.text()}`)));
    try {
      await page.goto(`${site.url}infer.html?ws=${encodeURIComponent(ws.url)}&text=${encodeURIComponent(TEXT)}`);
      await page.waitForFunction(() => document.title === "done" || document.title === "error", undefined, { timeout: 80_000 });
      const shown = await page.evaluate(() => ({
        title: document.title,
        error: document.getElementById("error")!.textContent,
        label: document.getElementById("label")!.textContent,
        result: (window as unknown as { result?: InferResult }).result,
      }));
      expect(shown.error).toBe("");
      expect(shown.title).toBe("done");
      expect(problems).toEqual([]);
      const summary = await served;
      expect(summary.ok).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/: ok in /);

      const local = await runLocal({ model, seq: SEQ, text: TEXT, heThreads: 0 });
      const r = shown.result!;
      expect(r.logits).toEqual(Array.from(local.outcome.logits!));
      expect(r.kept).toEqual(local.outcome.kept.map((t) => t.kept));
      expect(r.tokens).toEqual(local.outcome.tokens);
      expect(r.source).toBe("fetched");
      expect(shown.label).toBe(model.config.labelNames?.[r.label] ?? `label ${r.label}`);
      // The page's byte counts are the server's, mirrored (rounds are each end's own flights, in its program order).
      expect(r.bytesSent).toBe(serverTraffic!.bytesReceived);
      expect(r.bytesReceived).toBe(serverTraffic!.bytesSent);
      expect(r.bytes).toBe(r.bytesSent + r.bytesReceived);
      // Nothing but the page and its bundle: the public model came through the protocol.
      expect(requests.map((u) => new URL(u).pathname).sort()).toEqual(["/infer.html", "/infer.js"]);
    } finally {
      await page.close();
      tcp.close();
      ws.close();
    }
  });
});
