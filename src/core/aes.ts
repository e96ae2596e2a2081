// AES-128 encryption of many 16-byte blocks, with interchangeable backends chosen at creation:
// - "node": node:crypto's aes-128-ecb (AES-NI). One cipher object is reused and fed 64 KiB per update(): about the
//   fastest size here (16 KiB calls are 15–25% slower, 1 MiB calls halve the rate, single blocks run ≈250× slower).
//   Every update() returns a freshly allocated buffer. Where glibc hands the freed buffers back to the OS (its
//   default 128 KiB trim threshold), each call then page-faults on new memory and the rate falls to the WASM
//   kernel's; a process started with MALLOC_TRIM_THRESHOLD_=268435456 keeps the AES-NI rate (≈10× here; README,
//   "Allocator settings", for MALLOC_MMAP_THRESHOLD_ beside it).
// - "wasm": the bitsliced kernel of assembly/aes-bitsliced.ts, for browsers and wherever node:crypto is absent. No
//   memory access or branch depends on key or data, so it is constant-time like AES-NI: it handles PRG seeds and
//   secret OT values on machines whose caches other origins share. It is also faster than the T-table kernel: ≈1.5×
//   its rate on 64 KiB calls, ≈9× slower than AES-NI (bench:aes, shared 2-core machine); keying takes ≈1.5 µs.
// - "wasm-table": the T-table kernel of assembly/aes.ts. Its table lookups depend on key and data (cache-timing side
//   channels), so "auto" never picks it; it stays only as the baseline that bench/aes.ts measures the bitsliced
//   kernel against, and as a second implementation the tests cross-check.
// node:crypto is loaded by dynamic import only where it exists, so this module also runs in browsers.
//
// `hashBlocks` is Matyas–Meyer–Oseas, π(x) ⊕ x with π = AES_k, without a tweak: the OT extension builds its salted,
// tweaked hash on it (src/ot/crhash.ts), and the pad expansions use it under keys of their own as a PRG on
// uniform, single-use keys, each block's input made distinct by a counter.
import type * as NodeCrypto from "node:crypto";
import { wasm, type Wasm } from "./wasm.js";

export type AesBackend = "node" | WasmBackend;
/** "wasm": the constant-time bitsliced kernel; "wasm-table": the T-table kernel, kept only to measure against. */
export type WasmBackend = "wasm" | "wasm-table";

function isWasmBackend(backend: unknown): backend is WasmBackend {
  return backend === "wasm" || backend === "wasm-table";
}

export interface AesOptions {
  /** "auto" (default) picks node:crypto when it is available, else the bitsliced WASM kernel. */
  backend?: "auto" | AesBackend;
}

/** A keyed AES-128 block permutation over arrays of 16-byte blocks. */
export interface Aes {
  readonly backend: AesBackend;
  /** dst = AES_k(src) blockwise (ECB); src.length a multiple of 16, dst the same length (default: a new array). dst may be src. */
  encryptBlocks(src: Uint8Array, dst?: Uint8Array): Uint8Array;
  /** dst = AES_k(src) ⊕ src blockwise (Matyas–Meyer–Oseas). dst may be src. */
  hashBlocks(src: Uint8Array, dst?: Uint8Array): Uint8Array;
}

export const BLOCK_BYTES = 16;
/** Bytes per node:crypto update() and per pass through a WASM scratch buffer. */
const CHUNK_BYTES = 65536;

const NODE_CRYPTO = "node:crypto";
let nodeCryptoLoad: Promise<typeof NodeCrypto | undefined> | undefined;
/** Set once the load has succeeded, so that keyed objects can then be made synchronously. */
let nodeCrypto: typeof NodeCrypto | undefined;

/**
 * node:crypto when the runtime has it with the AES modes used here, else undefined. The specifier is a variable so
 * that browser bundlers do not try to resolve it.
 */
function loadNodeCrypto(): Promise<typeof NodeCrypto | undefined> {
  // Outside Node, never attempt the import: a page's main thread would log a failed (CORS-blocked) fetch of it.
  if (typeof process === "undefined" || !process.versions?.node) return Promise.resolve(undefined);
  return (nodeCryptoLoad ??= import(/* @vite-ignore */ NODE_CRYPTO).then(
    (m: typeof NodeCrypto) => {
      const ciphers = m.getCiphers();
      if (ciphers.includes("aes-128-ecb") && ciphers.includes("aes-128-ctr")) nodeCrypto = m;
      return nodeCrypto;
    },
    () => undefined,
  ));
}

/** The backend "auto" resolves to in this runtime; after it returns, that backend can be used synchronously. */
export async function resolveBackend(backend: AesOptions["backend"] = "auto"): Promise<AesBackend> {
  if (backend !== "auto" && backend !== "node" && !isWasmBackend(backend)) {
    throw new RangeError(`AES backend must be "auto", "node", "wasm" or "wasm-table", got ${String(backend)}`);
  }
  if (isWasmBackend(backend)) return backend;
  if (await loadNodeCrypto()) return "node";
  if (backend === "node") throw new Error('AES backend "node" requested but node:crypto is not available');
  return "wasm";
}

/** node:crypto, which `resolveBackend` has loaded before any "node" backend object is made. */
function loadedNodeCrypto(): typeof NodeCrypto {
  if (!nodeCrypto) throw new Error('AES backend "node" used before resolveBackend() loaded node:crypto');
  return nodeCrypto;
}

export function checkKey(key: Uint8Array, field: string): void {
  if (!(key instanceof Uint8Array)) throw new TypeError(`${field} must be a Uint8Array`);
  if (key.length !== 16) throw new RangeError(`${field} must be 16 bytes, got ${key.length}`);
}

function checkBlocks(fn: string, src: Uint8Array, dst: Uint8Array | undefined): Uint8Array {
  if (!(src instanceof Uint8Array)) throw new TypeError(`${fn}: src must be a Uint8Array`);
  if (src.length % BLOCK_BYTES !== 0) throw new RangeError(`${fn}: src length ${src.length} is not a multiple of 16`);
  if (dst === undefined) return new Uint8Array(src.length);
  if (!(dst instanceof Uint8Array)) throw new TypeError(`${fn}: dst must be a Uint8Array`);
  if (dst.length !== src.length) throw new RangeError(`${fn}: dst must be ${src.length} bytes, got ${dst.length}`);
  const partial =
    dst.buffer === src.buffer &&
    dst.byteOffset !== src.byteOffset &&
    dst.byteOffset < src.byteOffset + src.byteLength &&
    src.byteOffset < dst.byteOffset + dst.byteLength;
  if (partial) throw new RangeError(`${fn}: dst must be src itself or not overlap it`);
  return dst;
}

/** Two chunk-sized buffers in kernel memory for the SIMD xor of the node backend's hash, allocated once. */
let xorScratch: [number, number] | undefined;

class NodeAes implements Aes {
  readonly backend = "node";
  private readonly cipher: NodeCrypto.Cipher;
  private readonly w = wasm();
  private readonly scratch: [number, number];

  constructor(key: Uint8Array) {
    this.cipher = loadedNodeCrypto().createCipheriv("aes-128-ecb", key, null);
    this.cipher.setAutoPadding(false);
    this.scratch = xorScratch ??= [this.w.alloc(CHUNK_BYTES), this.w.alloc(CHUNK_BYTES)];
  }

  encryptBlocks(src: Uint8Array, dst?: Uint8Array): Uint8Array {
    const out = checkBlocks("encryptBlocks", src, dst);
    for (let o = 0; o < src.length; o += CHUNK_BYTES) {
      out.set(this.cipher.update(src.subarray(o, o + CHUNK_BYTES)), o);
    }
    return out;
  }

  hashBlocks(src: Uint8Array, dst?: Uint8Array): Uint8Array {
    const out = checkBlocks("hashBlocks", src, dst);
    // The xor runs in WASM (≈4× a JS loop): straight on arrays in kernel memory, else through the scratch pair.
    const w = this.w;
    const [a, b] = this.scratch;
    const direct = w.owns(src) && w.owns(out);
    for (let o = 0; o < src.length; o += CHUNK_BYTES) {
      const len = Math.min(CHUNK_BYTES, src.length - o);
      const x = src.subarray(o, o + len);
      w.u8(b, len).set(this.cipher.update(x));
      if (direct) {
        w.k.xorBytes(out.byteOffset + o, src.byteOffset + o, b, len);
      } else {
        w.u8(a, len).set(x);
        w.k.xorBytes(a, a, b, len);
        out.set(w.u8(a, len), o);
      }
    }
    return out;
  }
}

/**
 * The entry points of one WASM AES kernel: ECB, MMO and CTR over a context that holds the round keys (keyBytes from
 * keyOffset, saved per instance) and whatever else the kernel needs.
 */
interface WasmKernel {
  contextBytes(w: Wasm): number;
  /** Prepares a fresh context, where the kernel needs it (the T-table kernel fills its tables). */
  init?(w: Wasm, ctx: number): void;
  keyOffset(w: Wasm, ctx: number): number;
  keyBytes(w: Wasm): number;
  readonly expandKey: string;
  readonly encrypt: string;
  readonly hash: string;
  readonly ctr: string;
}

const KERNELS: Record<WasmBackend, WasmKernel> = {
  wasm: {
    contextBytes: (w) => w.k.aesBsContextBytes() as number,
    keyOffset: () => 0,
    keyBytes: (w) => w.k.aesBsKeyBytes() as number,
    expandKey: "aesBsExpandKey",
    encrypt: "aesBsEncrypt",
    hash: "aesBsHash",
    ctr: "aesBsCtr",
  },
  "wasm-table": {
    contextBytes: (w) => w.k.aesContextBytes() as number,
    init: (w, ctx) => w.k.aesInit(ctx),
    keyOffset: (w, ctx) => (w.k.aesRoundKeys(ctx) as number) - ctx,
    keyBytes: () => 176,
    expandKey: "aesExpandKey",
    encrypt: "aesEncrypt",
    hash: "aesHash",
    ctr: "aesCtr",
  },
};

/** The process-wide state of one WASM kernel: a context (with the round keys of the last key used) and a scratch buffer. */
interface WasmAesState {
  w: Wasm;
  kernel: WasmKernel;
  ctx: number;
  /** Where the round keys sit in ctx, and how many bytes they take. */
  rk: number;
  rkBytes: number;
  scratch: number;
  loaded: WasmAes | undefined;
}

const wasmStates = new Map<WasmBackend, WasmAesState>();

function wasmAesState(backend: WasmBackend): WasmAesState {
  let s = wasmStates.get(backend);
  if (s) return s;
  const w = wasm();
  const kernel = KERNELS[backend];
  const ctx = w.alloc(kernel.contextBytes(w));
  kernel.init?.(w, ctx);
  s = { w, kernel, ctx, rk: ctx + kernel.keyOffset(w, ctx), rkBytes: kernel.keyBytes(w), scratch: w.alloc(CHUNK_BYTES), loaded: undefined };
  wasmStates.set(backend, s);
  return s;
}

/** AES on a WASM kernel. Each instance keeps its round keys and loads them into the kernel's context when needed. */
class WasmAes implements Aes {
  private readonly roundKeys: Uint8Array;

  constructor(
    key: Uint8Array,
    readonly backend: WasmBackend,
  ) {
    const s = wasmAesState(backend);
    // The key goes through the scratch buffer, so no memory is allocated.
    s.w.u8(s.scratch, 16).set(key);
    s.w.k[s.kernel.expandKey](s.ctx, s.scratch);
    this.roundKeys = s.w.u8(s.rk, s.rkBytes).slice();
    s.loaded = this;
  }

  /** The kernel state with this key's round keys in place. */
  private context(): WasmAesState {
    const s = wasmAesState(this.backend);
    if (s.loaded !== this) {
      s.w.u8(s.rk, s.rkBytes).set(this.roundKeys);
      s.loaded = this;
    }
    return s;
  }

  encryptBlocks(src: Uint8Array, dst?: Uint8Array): Uint8Array {
    const out = checkBlocks("encryptBlocks", src, dst);
    this.run("encrypt", src, out);
    return out;
  }

  hashBlocks(src: Uint8Array, dst?: Uint8Array): Uint8Array {
    const out = checkBlocks("hashBlocks", src, dst);
    this.run("hash", src, out);
    return out;
  }

  /** Writes the keystream blocks for the big-endian counters ctr, ctr + 1, … into dst (a multiple of 16 bytes). */
  ctrBlocks(dst: Uint8Array, ctr: number): void {
    const s = this.context();
    const fn = s.w.k[s.kernel.ctr];
    const n = dst.length >>> 4;
    if (s.w.owns(dst)) {
      fn(s.ctx, dst.byteOffset, n, ctr >>> 0, Math.floor(ctr / 2 ** 32));
      return;
    }
    for (let o = 0; o < dst.length; o += CHUNK_BYTES) {
      const len = Math.min(CHUNK_BYTES, dst.length - o);
      const c = ctr + o / BLOCK_BYTES;
      fn(s.ctx, s.scratch, len >>> 4, c >>> 0, Math.floor(c / 2 ** 32));
      dst.set(s.w.u8(s.scratch, len), o);
    }
  }

  /** Runs a block kernel: directly on arrays in kernel memory, else chunk by chunk through the scratch buffer. */
  private run(kernel: "encrypt" | "hash", src: Uint8Array, dst: Uint8Array): void {
    const s = this.context();
    const fn = s.w.k[s.kernel[kernel]];
    if (s.w.owns(src) && s.w.owns(dst)) {
      fn(s.ctx, dst.byteOffset, src.byteOffset, src.length >>> 4);
      return;
    }
    for (let o = 0; o < src.length; o += CHUNK_BYTES) {
      const len = Math.min(CHUNK_BYTES, src.length - o);
      s.w.u8(s.scratch, len).set(src.subarray(o, o + len));
      fn(s.ctx, s.scratch, s.scratch, len >>> 4);
      dst.set(s.w.u8(s.scratch, len), o);
    }
  }
}

/** Creates AES-128 under `key` (16 bytes) on the requested backend. */
export async function createAes(key: Uint8Array, opts: AesOptions = {}): Promise<Aes> {
  checkKey(key, "createAes: key");
  return aesOn(key, await resolveBackend(opts.backend));
}

/**
 * AES-128 under `key` on a backend that `resolveBackend` has returned, synchronously: a protocol can key it between
 * two messages without yielding to the event loop.
 */
export function aesOn(key: Uint8Array, backend: AesBackend): Aes {
  checkKey(key, "aesOn: key");
  if (backend !== "node" && !isWasmBackend(backend)) {
    throw new RangeError(`aesOn: backend must be "node" or "wasm" (or "wasm-table" to compare), got ${String(backend)}`);
  }
  return backend === "node" ? new NodeAes(key) : new WasmAes(key, backend);
}

const fixedKeys = new Map<string, Aes>();

/**
 * AES-128 under a public fixed key (a hash's permutation) on a backend, keyed once per (key, backend) for the
 * process: the fixed-key hashes of the protocols take the backend of the party's PRG.
 */
export function fixedKeyAes(key: Uint8Array, backend: AesBackend): Aes {
  const id = `${backend}:${Array.from(key, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  let aes = fixedKeys.get(id);
  if (!aes) fixedKeys.set(id, (aes = aesOn(key, backend)));
  return aes;
}

/** The AES-128-CTR keystream of a key with a zero IV (big-endian block counter from 0). */
export interface CtrKeystream {
  /** Writes the next dst.length bytes (a multiple of 16) of the keystream into dst. */
  next(dst: Uint8Array): void;
}

const ZEROS = new Uint8Array(CHUNK_BYTES);

class NodeCtr implements CtrKeystream {
  private readonly cipher: NodeCrypto.Cipher;

  constructor(key: Uint8Array) {
    this.cipher = loadedNodeCrypto().createCipheriv("aes-128-ctr", key, ZEROS.subarray(0, 16));
  }

  next(dst: Uint8Array): void {
    for (let o = 0; o < dst.length; o += CHUNK_BYTES) {
      dst.set(this.cipher.update(ZEROS.subarray(0, Math.min(CHUNK_BYTES, dst.length - o))), o);
    }
  }
}

class WasmCtr implements CtrKeystream {
  private readonly aes: WasmAes;
  private ctr = 0;

  constructor(key: Uint8Array, backend: WasmBackend) {
    this.aes = new WasmAes(key, backend);
  }

  next(dst: Uint8Array): void {
    this.aes.ctrBlocks(dst, this.ctr);
    this.ctr += dst.length / BLOCK_BYTES;
  }
}

/**
 * The CTR keystream of `key` on a backend that `resolveBackend` has returned (synchronous, so that PRGs can be
 * derived from seeds on the fly). Both backends give the same bytes.
 */
export function ctrKeystream(key: Uint8Array, backend: AesBackend): CtrKeystream {
  checkKey(key, "ctrKeystream: key");
  return backend === "node" ? new NodeCtr(key) : new WasmCtr(key, backend);
}
