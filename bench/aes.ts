// AES-128 throughput per backend (tinybench) on 64 KiB calls, the chunk size of src/core/aes.ts: node:crypto's
// AES-NI (ECB; run under MALLOC_TRIM_THRESHOLD_, as `npm run bench:aes` does, to keep its rate), the constant-time
// bitsliced WASM kernel (ECB, MMO hash, CTR keystream) and the T-table WASM kernel it replaced (the same three), and
// the cost of keying each WASM kernel. The WASM kernels run on arrays in kernel memory, as the OT's hot loops do.
// The rows run in turn, `--rounds` times over, and each row reports its best round's median call: on a shared machine
// that keeps a burst of other load from landing on one row only.
// Usage: node dist/bench/aes.js [--json] [--time MS per row] [--rounds R]
import { Bench } from "tinybench";
import { aesOn, ctrKeystream, resolveBackend, type Aes, type AesBackend } from "../src/core/aes.js";
import { wasm } from "../src/core/wasm.js";
import { arg } from "./args.js";

const json = process.argv.includes("--json");
const time = arg("--time", 1500);
const rounds = arg("--rounds", 5);
const BYTES = 65536;

await resolveBackend("node");
const key = crypto.getRandomValues(new Uint8Array(16));
const w = wasm();
const src = w.allocU8(BYTES);
const dst = w.allocU8(BYTES);
crypto.getRandomValues(src);
const plain = src.slice();
const plainOut = new Uint8Array(BYTES);
const aes = (backend: AesBackend): Aes => aesOn(key, backend);
const [node, bs, table] = [aes("node"), aes("wasm"), aes("wasm-table")];
const [bsCtr, tableCtr] = [ctrKeystream(key, "wasm"), ctrKeystream(key, "wasm-table")];

/** Row name → [function, bytes per call]. */
const rows: [string, () => void, number][] = [
  ["node:crypto ECB", () => node.encryptBlocks(plain, plainOut), BYTES],
  ["bitsliced ECB", () => bs.encryptBlocks(src, dst), BYTES],
  ["bitsliced MMO", () => bs.hashBlocks(src, dst), BYTES],
  ["bitsliced CTR", () => bsCtr.next(dst), BYTES],
  ["T-table ECB", () => table.encryptBlocks(src, dst), BYTES],
  ["T-table MMO", () => table.hashBlocks(src, dst), BYTES],
  ["T-table CTR", () => tableCtr.next(dst), BYTES],
  ["bitsliced key setup", () => aes("wasm"), 0],
  ["T-table key setup", () => aes("wasm-table"), 0],
];

process.stderr.write(`timing AES-128 on 64 KiB calls, ${time} ms per row in ${rounds} rounds…\n`);
const us: Record<string, number> = {};
for (let r = 0; r < rounds; r++) {
  const bench = new Bench({ time: time / rounds });
  for (const [name, fn] of rows) bench.add(name, fn);
  await bench.run();
  for (const t of bench.tasks) {
    const median = ((t.result as { latency?: { p50?: number } } | undefined)?.latency?.p50 ?? NaN) * 1000;
    us[t.name] = Math.min(us[t.name] ?? Infinity, median);
  }
}
const mbps: Record<string, number> = {};
for (const [name, , bytes] of rows) if (bytes) mbps[name] = bytes / us[name];
for (const [name, , bytes] of rows) {
  const rate = bytes ? `${mbps[name].toFixed(1).padStart(8)} MB/s` : "";
  console.log(`${name.padEnd(22)} ${us[name].toFixed(2).padStart(9)} µs per call ${rate}`);
}
const ratios = {
  bitslicedOverTable: mbps["bitsliced ECB"] / mbps["T-table ECB"],
  nodeOverBitsliced: mbps["node:crypto ECB"] / mbps["bitsliced ECB"],
  keySetupBitslicedOverTable: us["bitsliced key setup"] / us["T-table key setup"],
};
console.log(
  `bitsliced ECB ÷ T-table ECB: ${ratios.bitslicedOverTable.toFixed(2)}×; node:crypto ÷ bitsliced: ${ratios.nodeOverBitsliced.toFixed(1)}×; ` +
    `key setup bitsliced ÷ T-table: ${ratios.keySetupBitslicedOverTable.toFixed(1)}×`,
);
if (json) console.log(JSON.stringify({ callBytes: BYTES, rounds, msPerRow: time, mbps, us, ratios }));
