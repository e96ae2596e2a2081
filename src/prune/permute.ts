// Permute+Share: one party (the permuter) applies a uniformly random permutation, known only to it, to additively
// shared rows; both end with fresh shares of the permuted rows. Up to TRANSLATION_MAX_ROWS rows the correlation is a
// share translation (translate.ts: n·w·ℓ bits online); above, an oblivious switching network (this file).
//
// The network: the permuter routes its permutation through the AS-Waksman network, so it knows every switch bit c in
// the clear. A switch on shared rows x, y outputs x + δ, y − δ with δ = c·(y − x). The permuter's part c·(y_P − x_P) is
// local. The other part c·v, v = y_H − x_H held by the helper, comes from one random OT per switch: the helper
// holds (k0, k1), the permuter k_c; the helper sends e = G(k0) − G(k1) + v, and the permuter computes
// G(k_c) + c·e = G(k0) + c·v while the helper takes −G(k0) as its share. The helper's new shares depend only on
// its own keys, so all its corrections for the whole network leave in one message (S(n) rows), and no secret
// control bit ever enters the payload path. Every key serves one switch of one call and is then discarded.
import type { Ring } from "../core/ring.js";
import type { Party, Role } from "../mpc/party.js";
import { packBits } from "../core/bits.js";
import { ProtocolError } from "../net/errors.js";
import { lanesBytes, packLanes, unpackLanes } from "../core/lanes.js";
import { expandKeys } from "./expand.js";
import { translateShares, translationLeaves } from "./translate.js";
import { routePermutation, uniformPermutation, waksmanNetwork, type Network } from "./waksman.js";

const CHUNK = 64; // switches per chunk (a multiple of 8)

/** How the correlation is made: a switching network (S(n)·w·ℓ bits) or a share translation (n·w·ℓ bits). */
export type PermuteMethod = "network" | "translation";

/**
 * The largest n that takes a share translation by default. The translation's PRG work grows as n²·w lanes per
 * party, the network's bytes as S(n)·w. compactPrune at n = 128, d = 768 (bench:protocols, both parties in one
 * process) took 0.81 s and 1.06 MB by translation against 0.32 s and 5.5 MB by network, and 2.7 s and 2.2 MB
 * against 0.38 s and 12.9 MB at n = 256. Up to here the bytes saved roughly pay for the PRG on a 200 Mbps link
 * (each party does half of that work on its own machine); above, the network wins on any link.
 */
export const TRANSLATION_MAX_ROWS = 128;

/** The default method for n rows. */
export function permuteMethodFor(n: number): PermuteMethod {
  return n <= TRANSLATION_MAX_ROWS ? "translation" : "network";
}

/** Correlations for one Permute+Share on n rows; usable once. */
export interface PermutationSetup {
  readonly n: number;
  readonly permuter: Role;
  readonly method: PermuteMethod;
  /** Permuter only: the permutation (row i goes to position dest[i]); for the network its switch bits too. */
  readonly dest?: Uint32Array;
  readonly bits?: Uint8Array;
  /** Network. Permuter: k_c per switch; helper: k0 and k1 per switch (16 bytes each). */
  readonly keys?: Uint8Array;
  readonly keys1?: Uint8Array;
  /** Translation: the leaves of the GGM trees (the permuter's punctured), and the permuter's src = dest⁻¹. */
  readonly leaves?: Uint8Array;
  readonly src?: Uint32Array;
  used: boolean;
}

function checkRows(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 20) throw new RangeError(`${field} must be an integer in [1, 2^20], got ${n}`);
}

/** src[dest[i]] = i. */
function inverse(dest: Uint32Array): Uint32Array {
  const src = new Uint32Array(dest.length);
  dest.forEach((d, i) => (src[d] = i));
  return src;
}

/**
 * Input-independent set-up: the permuter draws a uniform permutation of n rows. For the network it routes it and
 * obtains one random OT per switch with the switch bit as its choice; for the translation, its punctured GGM trees.
 * Both parties call it at the same point, with the same method.
 */
export async function setupPermutation(p: Party, n: number, permuter: Role, method: PermuteMethod = permuteMethodFor(n)): Promise<PermutationSetup> {
  checkRows(n, "setupPermutation: n");
  if (permuter !== "server" && permuter !== "client") throw new TypeError(`setupPermutation: permuter must be "server" or "client", got ${String(permuter)}`);
  if (method !== "network" && method !== "translation") throw new TypeError(`setupPermutation: method must be "network" or "translation", got ${String(method)}`);
  const dest = p.role === permuter ? uniformPermutation(n, p.prg) : undefined;
  if (method === "translation") {
    const src = dest && inverse(dest);
    // One row has nothing to permute.
    const leaves = n > 1 ? await translationLeaves(p, n, permuter, src) : new Uint8Array(0);
    return { n, permuter, method, dest, src, leaves, used: false };
  }
  const switches = waksmanNetwork(n).a.length;
  if (dest) {
    const bits = routePermutation(dest);
    const keys = switches ? await p.ot.rotRecv(packBits(bits), switches) : new Uint8Array(0);
    return { n, permuter, method, dest, bits, keys, used: false };
  }
  if (!switches) return { n, permuter, method, keys: new Uint8Array(0), keys1: new Uint8Array(0), used: false };
  const { m0, m1 } = await p.ot.rotSend(switches);
  return { n, permuter, method, keys: m0, keys1: m1, used: false };
}

/**
 * Shares of the rows (n × w lanes mod 2^l, row-major) permuted by the permuter's permutation: output position
 * dest[i] holds input row i. Consumes `setup`.
 */
export async function permuteShares(p: Party, setup: PermutationSetup, rows: BigUint64Array, w: number, ring: Ring): Promise<BigUint64Array> {
  if (setup.used) throw new Error("permuteShares: this set-up was already used; correlations are never reused");
  if (!Number.isInteger(w) || w < 1) throw new RangeError(`permuteShares: w must be a positive integer, got ${w}`);
  if (rows.length !== setup.n * w) throw new RangeError(`permuteShares: rows must hold ${setup.n} × ${w} lanes, got ${rows.length}`);
  setup.used = true;
  if (setup.method === "translation") {
    if (setup.n === 1) return rows.slice();
    return p.scope("permute", () => translateShares(p, setup.leaves!, setup.permuter, rows, setup.n, w, ring, setup.src));
  }
  const net = waksmanNetwork(setup.n);
  const switches = net.a.length;
  const out = rows.slice();
  if (!switches) return out;
  const l = ring.bits;
  const mask = ring.mask;
  // Switches go in chunks, so no S(n)-row intermediate is ever allocated; a chunk is a multiple of 8 switches,
  // so each chunk's corrections start on a byte of the packed message.
  const g = new BigUint64Array(CHUNK * w);
  const e = new BigUint64Array(CHUNK * w);
  const chunkBytes = (from: number) => (from * w * l) / 8;
  return p.scope("permute", async () => {
    if (p.role === setup.permuter) {
      const bytes = await p.ch.recv("prune.permute");
      const want = lanesBytes(switches * w, l);
      if (bytes.length !== want) throw new ProtocolError(`prune.permute: expected ${want} bytes of switch corrections, got ${bytes.length}`);
      for (let s0 = 0; s0 < switches; s0 += CHUNK) {
        const cn = Math.min(CHUNK, switches - s0);
        expandKeys(setup.keys!.subarray(16 * s0, 16 * (s0 + cn)), cn, w, l, p.prg.backend, g);
        unpackLanes(bytes.subarray(chunkBytes(s0)), cn * w, l, e);
        applyAsPermuter(net, s0, cn, out, g, e, setup.bits!, w, mask);
      }
      return out;
    }
    const g1 = new BigUint64Array(CHUNK * w);
    const msg = new Uint8Array(lanesBytes(switches * w, l));
    for (let s0 = 0; s0 < switches; s0 += CHUNK) {
      const cn = Math.min(CHUNK, switches - s0);
      expandKeys(setup.keys!.subarray(16 * s0, 16 * (s0 + cn)), cn, w, l, p.prg.backend, g);
      expandKeys(setup.keys1!.subarray(16 * s0, 16 * (s0 + cn)), cn, w, l, p.prg.backend, g1);
      applyAsHelper(net, s0, cn, out, g, g1, e, w, mask);
      msg.set(packLanes(e, cn * w, l), chunkBytes(s0));
    }
    p.ch.send("prune.permute", msg);
    return out;
  });
}

/**
 * Helper side for switches s0..s0+cn−1: corrections e = G(k0) − G(k1) + (y − x), and its shares x −= G(k0),
 * y += G(k0), switch by switch.
 */
function applyAsHelper(net: Network, s0: number, cn: number, y: BigUint64Array, g0: BigUint64Array, g1: BigUint64Array, e: BigUint64Array, w: number, mask: bigint): void {
  for (let s = 0; s < cn; s++) {
    const i = net.a[s0 + s] * w;
    const j = net.b[s0 + s] * w;
    const o = s * w;
    for (let t = 0; t < w; t++) {
      const xs = y[i + t];
      const ys = y[j + t];
      const k0 = g0[o + t];
      e[o + t] = (k0 - g1[o + t] + ys - xs) & mask;
      y[i + t] = (xs - k0) & mask;
      y[j + t] = (ys + k0) & mask;
    }
  }
}

/** Permuter side for switches s0..s0+cn−1: t = G(k_c) + c·e = G(k0) + c·v; x' = x + c(y − x) + t, y' = y − c(y − x) − t. */
function applyAsPermuter(net: Network, s0: number, cn: number, x: BigUint64Array, g: BigUint64Array, e: BigUint64Array, bits: Uint8Array, w: number, mask: bigint): void {
  for (let s = 0; s < cn; s++) {
    const i = net.a[s0 + s] * w;
    const j = net.b[s0 + s] * w;
    const o = s * w;
    const c = bits[s0 + s];
    for (let t = 0; t < w; t++) {
      const xs = x[i + t];
      const ys = x[j + t];
      const share = c ? g[o + t] + e[o + t] : g[o + t];
      x[i + t] = ((c ? ys : xs) + share) & mask;
      x[j + t] = ((c ? xs : ys) - share) & mask;
    }
  }
}
