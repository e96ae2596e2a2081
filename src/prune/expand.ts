// Stretches 128-bit random-OT keys into rows of ring lanes, G(k) = (H(k ⊕ 0), H(k ⊕ 1), …) with the fixed-key
// MMO hash H(x) = AES(x) ⊕ x: each 16-byte block gives two lanes. Random-OT keys are uniform and used once, so
// the rows are pseudorandom (the same correlation-robustness assumption as the OT extension's own hash).
import { createAes, type Aes } from "../core/aes.js";

// A public key of its own, so these blocks never coincide with the OT extension's hash inputs.
const EXPAND_KEY = new TextEncoder().encode("prune.expand.key");
const CHUNK_BLOCKS = 1024; // 16 KiB per AES call, the rate stack.md measured as best

let aes: Promise<Aes> | undefined;

/**
 * Lanes j < w of G(key_i) mod 2^bits for the `count` keys in `keys` (16 bytes each), as count × w lanes.
 */
export async function expandKeys(keys: Uint8Array, count: number, w: number, bits: number): Promise<BigUint64Array> {
  if (keys.length !== count * 16) throw new RangeError(`expandKeys: keys must hold ${count} keys of 16 bytes, got ${keys.length} bytes`);
  if (!Number.isInteger(w) || w < 1) throw new RangeError(`expandKeys: w must be a positive integer, got ${w}`);
  const h = await (aes ??= createAes(EXPAND_KEY));
  const perKey = Math.ceil(w / 2);
  const out = new BigUint64Array(count * w);
  const mask = (1n << BigInt(bits)) - 1n;
  const src = new Uint8Array(CHUNK_BLOCKS * 16);
  const src32 = new Uint32Array(src.buffer);
  const dst = new Uint8Array(CHUNK_BLOCKS * 16);
  const lanes = new BigUint64Array(dst.buffer);
  const key32 = new Uint32Array(keys.slice().buffer);
  let block = 0; // global block index: key block / perKey, counter block % perKey
  const total = count * perKey;
  while (block < total) {
    const nb = Math.min(CHUNK_BLOCKS, total - block);
    for (let b = 0; b < nb; b++) {
      const g = block + b;
      const k = (g / perKey) | 0;
      const j = g - k * perKey;
      src32[4 * b] = key32[4 * k] ^ j;
      src32[4 * b + 1] = key32[4 * k + 1];
      src32[4 * b + 2] = key32[4 * k + 2];
      src32[4 * b + 3] = key32[4 * k + 3];
    }
    h.hashBlocks(src.subarray(0, nb * 16), dst.subarray(0, nb * 16));
    for (let b = 0; b < nb; b++) {
      const g = block + b;
      const k = (g / perKey) | 0;
      const t = 2 * (g - k * perKey);
      const o = k * w + t;
      out[o] = lanes[2 * b] & mask;
      if (t + 1 < w) out[o + 1] = lanes[2 * b + 1] & mask;
    }
    block += nb;
  }
  return out;
}
