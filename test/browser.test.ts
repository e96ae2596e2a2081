// The protocols bench page in headless Chromium (Debian's package, which .ci/run installs; never skipped: without
// Chromium the test fails saying how to install it). The page runs the bench in a module Worker; its rows must
// match the Node run of the same core on the same sizes in everything but time (the protocols are data-oblivious),
// with no console or page errors, the table and the chart present, the WASM AES backend, and cross-origin isolation.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProtocols, type Row } from "../bench/protocols-run.js";
import { build } from "../web/build.mjs";
import { launchChromium } from "../web/chromium.mjs";
import { serve } from "../web/serve.mjs";

const OPTS = { ns: [16, 32], d: 16 };
const exact = (rows: Row[]) => rows.map(({ method, n, kept, bytes, rounds }) => ({ method, n, kept, bytes, rounds }));

describe("protocols page in Chromium", () => {
  let dir: string;
  let server: { url: string; close: () => Promise<unknown> };
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipherprune-web-"));
    await build({ outDir: dir });
    server = await serve({ dir });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Opens a page on `query` and waits for its title to become "done" or "error"; collects console and page errors. */
  async function open(query: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => void (m.type() === "error" && problems.push(`console error: ${m.text()}`)));
    await page.goto(`${server.url}protocols.html${query}`);
    await page.waitForFunction(() => document.title === "done" || document.title === "error", undefined, { timeout: 20_000 });
    return { page, problems };
  }

  it("gives Node's kept counts, bytes and rounds, with the table and the chart", async () => {
    const { page, problems } = await open(`?n=${OPTS.ns.join(",")}&d=${OPTS.d}`);
    const shown = await page.evaluate(() => ({
      title: document.title,
      error: document.getElementById("error")!.textContent,
      result: window.result,
      rows: document.querySelectorAll("#results tbody tr").length,
      svgs: document.querySelectorAll("svg").length,
      aes: document.getElementById("aes")!.textContent,
      isolated: crossOriginIsolated,
    }));
    expect(shown.error).toBe("");
    expect(shown.title).toBe("done");
    expect(problems).toEqual([]);
    const node = await runProtocols({ ...OPTS, warmUp: false });
    expect(node.rows).toHaveLength(14);
    expect(exact(shown.result!)).toEqual(exact(node.rows));
    expect(shown.rows).toBe(node.rows.length);
    expect(shown.svgs).toBe(1);
    expect(shown.aes).toContain("wasm");
    expect(shown.isolated).toBe(true);
    await page.close();
  }, 30_000);

  it("names the bad option on the page", async () => {
    const { page, problems } = await open("?n=1&methods=compactPrune");
    expect(await page.title()).toBe("error");
    expect(await page.locator("#error").textContent()).toMatch(/^RangeError: n: each size must be an integer in \[2, 4096\], got 1/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("serves nothing outside its folder", async () => {
    for (const path of ["..%2fpackage.json", "%2e%2e%2f%2e%2e%2fpackage.json"]) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(403);
    }
  });
});
