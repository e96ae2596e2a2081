// Stretches 128-bit random-OT keys into rows of ring lanes, G(k) = (H(k ⊕ 0), H(k ⊕ 1), …) with the fixed-key
// MMO hash H(x) = AES(x) ⊕ x: each 16-byte block gives two lanes. Random-OT keys are uniform and used once, so
// the rows are pseudorandom (the same correlation-robustness assumption as the OT extension's own hash).
import { fixedKeyAes, type Aes, type AesBackend } from "../core/aes.js";
import { wasm } from "../core/wasm.js";
import { kernelBlocks } from "../core/mpc-kernels.js";

// A public key of its own, so these blocks never coincide with the OT extension's hash inputs.
const EXPAND_KEY = new TextEncoder().encode("prune.expand.key");
const CHUNK_BLOCKS = 1024; // 16 KiB per AES call, the rate stack.md measured as best

/** The fixed-key hash H behind G, on `backend`. */
export function expandHash(backend: AesBackend): Aes {
  return fixedKeyAes(EXPAND_KEY, backend);
}

/**
 * Lanes j < w of G(key_i) mod 2^bits for the `count` keys in `keys` (16 bytes each), as count × w lanes, written to
 * `out` (at least count × w lanes) when given, on `backend`: that of the party's PRG (Party.prg.backend), so that a
 * party on the WASM kernel runs it here too.
 */
export function expandKeys(keys: Uint8Array, count: number, w: number, bits: number, backend: AesBackend, out?: BigUint64Array): BigUint64Array {
  if (keys.length !== count * 16) throw new RangeError(`expandKeys: keys must hold ${count} keys of 16 bytes, got ${keys.length} bytes`);
  if (!Number.isInteger(w) || w < 1) throw new RangeError(`expandKeys: w must be a positive integer, got ${w}`);
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new RangeError(`expandKeys: bits must be an integer in [1, 64], got ${bits}`);
  if (out && out.length < count * w) throw new RangeError(`expandKeys: out must hold ${count * w} lanes, got ${out.length}`);
  if (out && wasm().owns(out)) throw new RangeError("expandKeys: out must lie outside kernel memory (its scratch may grow it)");
  const h = expandHash(backend);
  const lanes = out ? out.subarray(0, count * w) : new BigUint64Array(count * w);
  expand(h, keys, count, w, lanes);
  reduceLanes(lanes, bits);
  return lanes;
}

/**
 * Whole keys per AES call (at least one), so each key's lanes come out contiguous and copy as one block. The inputs
 * are built and hashed in kernel memory by `keyedBlocks`, the kernel translate.ts and Ferret's 1-of-N use too.
 */
function expand(h: Aes, keys: Uint8Array, count: number, w: number, out: BigUint64Array): void {
  const perKey = Math.ceil(w / 2);
  const keysPerCall = Math.max(1, Math.floor(CHUNK_BLOCKS / perKey));
  const k = wasm();
  const blocks = kernelBlocks([16 * keysPerCall, 16 * keysPerCall * perKey]);
  const [pk, pin] = blocks.ptrs;
  // Copies go through 32-bit views: V8 copies those with memmove, BigUint64Array sources element by element.
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length * 2);
  try {
    for (let k0 = 0; k0 < count; k0 += keysPerCall) {
      const nk = Math.min(keysPerCall, count - k0);
      k.u8(pk, 16 * nk).set(keys.subarray(16 * k0, 16 * (k0 + nk)));
      k.k.keyedBlocks(pin, pk, nk, perKey);
      // h was keyed before the blocks were allocated, so hashing grows no memory and the view stays valid.
      const inputs = k.u8(pin, 16 * nk * perKey);
      h.hashBlocks(inputs, inputs);
      const dst32 = new Uint32Array(inputs.buffer, inputs.byteOffset, 4 * nk * perKey);
      for (let i = 0; i < nk; i++) out32.set(dst32.subarray(4 * i * perKey, 4 * i * perKey + 2 * w), 2 * (k0 + i) * w);
    }
  } finally {
    blocks.free();
  }
}

/** Reduces every lane mod 2^bits, working on the 32-bit halves. */
function reduceLanes(out: BigUint64Array, bits: number): void {
  if (bits === 64) return;
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length * 2);
  if (bits > 32) {
    const hi = 2 ** (bits - 32) - 1;
    for (let i = 1; i < words.length; i += 2) words[i] &= hi;
    return;
  }
  const lo = bits === 32 ? -1 : 2 ** bits - 1;
  for (let i = 0; i < words.length; i += 2) {
    words[i] &= lo;
    words[i + 1] = 0;
  }
}
