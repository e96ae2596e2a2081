// Node CLI of the token pruning comparison (bench/protocols-run.ts): the table on stdout, the chart in
// bench/out/protocols.svg, progress on stderr; web/run.mjs runs the same comparison in headless Chromium.
// Usage: node dist/bench/protocols.js [--json] [--n 32,64,128,256,512] [--d 768] [--keep 0.4296875]
//        [--methods compactPrune,swapPrune,…] [--aes auto|wasm]
import { mkdirSync, writeFileSync } from "node:fs";
import type { AesOptions } from "../src/core/aes.js";
import { DEFAULT_D, DEFAULT_KEEP, DEFAULT_NS, runProtocols, table } from "./protocols-run.js";
import { arg, option } from "./args.js";

async function main(): Promise<void> {
  const { rows, svg } = await runProtocols({
    ns: option("--n")?.split(",").map(Number) ?? DEFAULT_NS,
    d: arg("--d", DEFAULT_D),
    keep: Number(option("--keep") ?? DEFAULT_KEEP),
    methods: option("--methods")?.split(","),
    aes: option("--aes") as AesOptions["backend"],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const out = new URL("./out/", new URL("../../bench/", import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL("protocols.svg", out), svg);
  process.stderr.write(`chart: ${new URL("protocols.svg", out).pathname}\n`);
  console.log(table(rows));
  if (process.argv.includes("--json")) console.log(JSON.stringify({ results: rows }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
