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
  const out32 = new Uint32Array(out.buffer);
  // Lanes are reduced on 32-bit halves: the low word whole (bits ≥ 32) or masked, the high word masked.
  const loMask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const hiMask = bits >= 64 ? 0xffffffff : bits > 32 ? 2 ** (bits - 32) - 1 : 0;
  const src = new Uint8Array(CHUNK_BLOCKS * 16);
  const src32 = new Uint32Array(src.buffer);
  const dst = new Uint8Array(CHUNK_BLOCKS * 16);
  const dst32 = new Uint32Array(dst.buffer);
  const key32 = new Uint32Array(keys.slice().buffer);
  const total = count * perKey;
  let k = 0; // key of the next block
  let j = 0; // its counter within the key
  for (let block = 0; block < total; ) {
    const nb = Math.min(CHUNK_BLOCKS, total - block);
    for (let b = 0, kk = k, jj = j; b < nb; b++) {
      src32[4 * b] = key32[4 * kk] ^ jj;
      src32[4 * b + 1] = key32[4 * kk + 1];
      src32[4 * b + 2] = key32[4 * kk + 2];
      src32[4 * b + 3] = key32[4 * kk + 3];
      if (++jj === perKey) {
        jj = 0;
        kk++;
      }
    }
    h.hashBlocks(src.subarray(0, nb * 16), dst.subarray(0, nb * 16));
    for (let b = 0; b < nb; b++) {
      const lane = k * w + 2 * j; // first of the block's two lanes
      out32[2 * lane] = dst32[4 * b] & loMask;
      out32[2 * lane + 1] = dst32[4 * b + 1] & hiMask;
      if (2 * j + 1 < w) {
        out32[2 * lane + 2] = dst32[4 * b + 2] & loMask;
        out32[2 * lane + 3] = dst32[4 * b + 3] & hiMask;
      }
      if (++j === perKey) {
        j = 0;
        k++;
      }
    }
    block += nb;
  }
  return out;
}
