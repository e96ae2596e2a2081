// The token pruning comparison (bench:protocols) in headless Chromium: builds the pages, serves them on loopback,
// runs the protocols page and prints the same table as the Node bench (stdout; with --json, its JSON plus
// "runtime":"chromium"), progress on stderr, and a screenshot in bench/out/protocols-browser.png.
// The same process also runs the Node bench at every n, alternating with the page, once with the parties on the WASM
// AES backend (the one browsers have) and once on node:crypto's AES-NI (for reference), and prints Chromium's time
// over Node's per method and n ("chromiumOverNode" in the JSON: geometric means over n). The backend option reaches
// the parties' PRGs and OT hashing; the fixed-key expansions of src/prune/expand.ts and src/mpc/matmul.ts pick
// node:crypto in Node either way, so the WASM comparison still favours Node where those dominate.
// Usage: node web/run.mjs [--json] [--n 32,64,128,256,512] [--d 768] [--keep 0.4296875] [--methods a,b]
//        node web/run.mjs --serve [--port 8080]   (build and serve only, for a browser of your own)
import { mkdirSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "./build.mjs";
import { chromiumPath, launchChromium } from "./chromium.mjs";
import { serve } from "./serve.mjs";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    serve: { type: "boolean", default: false },
    port: { type: "string" },
    n: { type: "string" },
    d: { type: "string" },
    keep: { type: "string" },
    methods: { type: "string" },
  },
});

if (values.serve) {
  await build();
  const { url } = await serve({ port: Number(values.port ?? 8080) });
  console.log(`serving web/dist (Ctrl-C to stop): open ${url}protocols.html?n=32,64,128 in a browser`);
} else {
  await bench();
}

async function bench() {
  const core = new URL("../dist/bench/protocols-run.js", import.meta.url);
  try {
    statSync(core);
  } catch {
    throw new Error(`${core.pathname} is missing: run npm run build:ts first (npm run bench:protocols:browser does)`);
  }
  const { DEFAULT_NS, DEFAULT_D, DEFAULT_KEEP, checkOptions, runProtocols, table, textTable } = await import(core.href);
  const opts = {
    ns: values.n?.split(",").map(Number) ?? DEFAULT_NS,
    d: values.d === undefined ? DEFAULT_D : Number(values.d),
    keep: values.keep === undefined ? DEFAULT_KEEP : Number(values.keep),
    methods: values.methods?.split(","),
  };
  checkOptions(opts);
  const log = (line) => process.stderr.write(`${line}\n`);

  chromiumPath(); // fails early, saying how to get Chromium
  const files = await build({ minify: true });
  log(`built ${files.filter((f) => f.endsWith(".js")).join(", ")}`);
  const server = await serve({ port: Number(values.port ?? 0) });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // The page echoes its progress to the console (info): relay it.
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text()}`);
      else if (m.type() === "info") log(`chromium: ${m.text()}`);
    });
    page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && problems.push(`worker console error: ${m.text()}`)));
    // Bytes of every script and page the first load fetches (the Worker's script included); source maps excluded.
    const loaded = new Map();
    page.on("response", async (r) => {
      if (r.ok() && !r.url().endsWith(".map")) loaded.set(new URL(r.url()).pathname, (await r.body()).length);
    });
    await page.goto(`${server.url}protocols.html?manual`);
    await page.waitForFunction(() => document.title === "ready" || document.title === "error");
    if ((await page.title()) === "error") throw new Error(`the page failed: ${await page.locator("#error").textContent()}`);
    log(`Chromium ${browser.version()}, ${server.url}protocols.html`);

    // One runtime at a time, alternating per n (the order reversed every other n), each warming up on its first run.
    const runtimes = {
      chromium: (o) => page.evaluate((o) => window.runProtocols(o), o),
      nodeWasm: async (o) => (await runProtocols({ ...o, aes: "wasm", log })).rows,
      nodeCrypto: async (o) => (await runProtocols({ ...o, aes: "node", log })).rows,
    };
    const rows = { chromium: [], nodeWasm: [], nodeCrypto: [] };
    for (const [i, n] of opts.ns.entries()) {
      const order = i % 2 === 0 ? ["chromium", "nodeWasm", "nodeCrypto"] : ["nodeCrypto", "nodeWasm", "chromium"];
      for (const rt of order) {
        if (rt !== "chromium") log(`node (${rt === "nodeWasm" ? "WASM" : "node:crypto"} AES):`);
        rows[rt].push(...(await runtimes[rt]({ ...opts, ns: [n], warmUp: i === 0 })));
      }
    }
    if (problems.length) throw new Error(`the page reported errors:\n${problems.join("\n")}`);

    const shot = new URL("../bench/out/protocols-browser.png", import.meta.url);
    mkdirSync(new URL(".", shot), { recursive: true });
    await page.screenshot({ path: shot.pathname, fullPage: true });
    log(`screenshot: ${shot.pathname}`);
    const firstLoadBytes = [...loaded.values()].reduce((a, b) => a + b, 0);
    log(`first load: ${firstLoadBytes} bytes (${[...loaded].map(([p, b]) => `${p} ${b}`).join(", ")})`);

    const round2 = (x) => Math.round(x * 100) / 100;
    const find = (list, r) => list.find((x) => x.method === r.method && x.n === r.n);
    const perN = rows.chromium.map((r) => ({ method: r.method, n: r.n, c: r.ms, w: find(rows.nodeWasm, r).ms, a: find(rows.nodeCrypto, r).ms }));
    const geo = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
    const chromiumOverNode = {};
    for (const method of new Set(perN.map((p) => p.method))) {
      const ps = perN.filter((p) => p.method === method);
      chromiumOverNode[method] = { wasm: round2(geo(ps.map((p) => p.c / p.w))), nodeCrypto: round2(geo(ps.map((p) => p.c / p.a))) };
    }

    console.log(table(rows.chromium));
    console.log();
    console.log("Chromium time over Node time, same sizes, alternating in one run (Node on the WASM AES and on node:crypto's AES-NI)");
    console.log(
      textTable(
        ["method", "n", "Chromium ms", "Node WASM ms", "Node AES-NI ms", "÷ Node WASM", "÷ Node AES-NI"],
        [
          ...perN.map((p) => [p.method, String(p.n), p.c.toFixed(1), p.w.toFixed(1), p.a.toFixed(1), (p.c / p.w).toFixed(2), (p.c / p.a).toFixed(2)]),
          ...Object.entries(chromiumOverNode).map(([m, r]) => [m, "geo-mean", "", "", "", r.wasm.toFixed(2), r.nodeCrypto.toFixed(2)]),
        ],
      ),
    );
    console.log(`first load: ${firstLoadBytes} bytes`);
    if (values.json) console.log(JSON.stringify({ results: rows.chromium, runtime: "chromium", chromiumOverNode, firstLoadBytes }));
  } finally {
    await browser?.close();
    await server.close();
  }
}
