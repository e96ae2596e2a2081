// The simd HE backend: coefficient-encoded matrix products (blocks.ts) on this project's RLWE kernels (scheme.ts),
// with t = 2^ell so that answers decrypt straight to shares in Z_2^ell.
//
// Per batch of products, one message each way:
// 1. the client sends its blocks as seeded symmetric encryptions: c0 in NTT form, every c1 drawn from one seed;
// 2. the server transforms each weight block (pruned NTT), multiply-accumulates, interleaves up to `pack` answers
//    into one ciphertext, re-randomises it with the public key, adds a uniform mask r in Z_2^ell to every
//    coefficient and noise 2^sigma above the bound, and sends c1's top bits and c0's top bits at the result
//    positions only; it keeps −r at the result positions;
// 3. the client decrypts Y + r mod 2^ell exactly.
// Keys (the public key and the packing Galois keys, seeded) go once per session.
import { SEED_BYTES } from "../../core/prg.js";
import type { Ring } from "../../core/ring.js";
import type { Party, Role } from "../../mpc/party.js";
import { noThreads, type HeBackend, type HePlan, type HeThreads, type HeWorkers, type ProductItem } from "../backend.js";
import { exchangeHeParams } from "../params.js";
import { answersSize, blockRows, chooseLayout, layoutCost, resultPositions, sectionBytes, uploadsSize, type ProductLayout } from "./blocks.js";
import { DEFAULT_SIMD, simdHandshakeParams, type SimdParams } from "./params.js";
import { productTasks, runTask, type GroupAnswer, type ServerKeys, type SimdTask } from "./evaluate.js";
import { packingElements, rlweContext, type GaloisKey, type RlweContext, type SecretKey } from "./scheme.js";
import { WireKind, WireReader, WireWriter } from "./wire.js";

/** The layout of a product shape, memoised per context. */
const layouts = new WeakMap<RlweContext, Map<string, ProductLayout>>();
export function layoutOf(ctx: RlweContext, plan: HePlan): ProductLayout {
  let m = layouts.get(ctx);
  if (!m) layouts.set(ctx, (m = new Map()));
  const key = `${plan.n},${plan.k},${plan.m},${plan.wBits}`;
  let l = m.get(key);
  if (!l) m.set(key, (l = chooseLayout(ctx.params, ctx.primes, plan.n, plan.k, plan.m, plan.wBits)));
  return l;
}

/** Estimated server + client cost of plans (µs, bytes included: blocks.ts layoutCost), at the default parameters. */
export function simdCost(plans: HePlan[], params: SimdParams = DEFAULT_SIMD): number {
  const ctx = rlweContext(params);
  return plans.reduce((s, pl) => s + layoutCost(ctx.params, layoutOf(ctx, pl)), 0);
}

function checkPlan(plan: HePlan, idx: number, ell: number): void {
  for (const [name, v] of Object.entries(plan)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`items[${idx}].plan.${name} must be a positive integer, got ${String(v)}`);
  }
  if (plan.aBits !== ell) throw new RangeError(`items[${idx}].plan.aBits must equal the plaintext modulus bits ${ell}, got ${plan.aBits}`);
  if (plan.wBits > 53) throw new RangeError(`items[${idx}].plan.wBits must be at most 53, got ${plan.wBits}`);
}

export class SimdBackend implements HeBackend {
  readonly kind = "simd" as const;

  private constructor(
    readonly role: Role,
    readonly ctx: RlweContext,
    private readonly client?: { sk: SecretKey },
    private readonly server?: ServerKeys,
  ) {}

  private workers?: HeWorkers<SimdTask, GroupAnswer | null>;

  /** Parameter check and key exchange; both parties call it at the same time. The keys do not depend on the plans. */
  static async setup(p: Party, _plans: HePlan[] = [], params: SimdParams = DEFAULT_SIMD): Promise<SimdBackend> {
    const ctx = rlweContext(params);
    return p.scope("he.setup", async () => {
      await exchangeHeParams(p, simdHandshakeParams(ctx.params, ctx.primes));
      const elements = packingElements(ctx.n, ctx.params.maxPack);
      const top = ctx.top;
      const vecBytes = sectionBytes(ctx.n, 30);
      const body = top * vecBytes + SEED_BYTES + elements.length * (ctx.galoisVectors * vecBytes + SEED_BYTES);
      if (p.role === "client") {
        const sk = ctx.secretKey(p.prg);
        const msg = new WireWriter(WireKind.Keys, elements.length, body);
        const pkSeed = p.prg.seed();
        const pk = ctx.publicKey(sk, p.prg, p.prg.withSeed(pkSeed));
        msg.packed(ctx.rns, pk.b, top * ctx.n, 30, false);
        msg.bytes(pkSeed);
        ctx.free(pk.a, pk.b);
        for (const g of elements) {
          const seed = p.prg.seed();
          const key = ctx.galoisKey(sk, g, p.prg, p.prg.withSeed(seed));
          msg.packed(ctx.rns, key.k0, ctx.galoisVectors * ctx.n, 30, false);
          msg.bytes(seed);
          ctx.free(key.k0, key.k1);
        }
        p.ch.send("he.keys", msg.finish());
        return new SimdBackend("client", ctx, { sk });
      }
      const r = new WireReader(await p.ch.recv("he.keys"), WireKind.Keys, elements.length, body, "he.keys");
      // the context outlives the session (one per thread): free what a malformed key message leaves behind
      const held: number[] = [];
      const alloc = (count: number) => {
        const ptr = ctx.alloc(count);
        held.push(ptr);
        return ptr;
      };
      const keys = new Map<number, GaloisKey>();
      let pk: ServerKeys["pk"];
      try {
        const b = alloc(top);
        for (let j = 0; j < top; j++) r.unpacked(ctx.rns, ctx.vec(b, j), ctx.n, 30, false, ctx.primes[j], `pk[${j}]`);
        pk = ctx.publicKeyFrom(b, p.prg.withSeed(r.bytes(SEED_BYTES)));
        held.push(pk.a);
        for (const g of elements) {
          const k0 = alloc(ctx.galoisVectors);
          for (let v = 0; v < ctx.galoisVectors; v++) {
            const j = v % (top + 1);
            r.unpacked(ctx.rns, ctx.vec(k0, v), ctx.n, 30, false, ctx.primes[j], `galois[${g}][${v}]`);
          }
          const k1 = ctx.galoisA(p.prg.withSeed(r.bytes(SEED_BYTES)));
          held.push(k1);
          keys.set(g, { g, k0, k1 });
        }
      } catch (e) {
        ctx.free(...held);
        throw e;
      }
      return new SimdBackend("server", ctx, undefined, { pk, keys });
    });
  }

  cost(plans: HePlan[]): number {
    return simdCost(plans, this.ctx.params);
  }

  /**
   * Moves the server's products onto `threads` workers started by `start` (0: this thread); replaces any running
   * pool. In Node, while shareSimdThreads (pool.ts) is on, any threads > 0 joins the process's shared threads instead.
   */
  async startWorkers(threads: number, start?: HeThreads): Promise<void> {
    if (!Number.isInteger(threads) || threads < 0) throw new RangeError(`startWorkers: threads must be a non-negative integer, got ${threads}`);
    if (this.role !== "server") return;
    const old = this.workers;
    this.workers = undefined;
    await old?.close();
    if (threads === 0) return;
    if (start === undefined) throw noThreads(threads);
    this.workers = await start.simd(this.ctx.params, this.server!, threads);
  }

  async close(): Promise<void> {
    const ctx = this.ctx;
    await this.workers?.close();
    this.workers = undefined;
    if (this.client) ctx.free(this.client.sk.sNtt);
    if (this.server) {
      ctx.free(this.server.pk.a, this.server.pk.b);
      for (const k of this.server.keys.values()) ctx.free(k.k0, k.k1);
      this.server.keys.clear();
    }
  }

  products(p: Party, ring: Ring, items: ProductItem[]): Promise<BigUint64Array[]> {
    if (ring.bits !== this.ctx.ell) throw new RangeError(`simd HE: the ring has ${ring.bits} bits, the plaintext modulus 2^${this.ctx.ell}`);
    const lays = items.map((it, idx) => {
      checkPlan(it.plan, idx, this.ctx.ell);
      return layoutOf(this.ctx, it.plan);
    });
    return p.scope("he.product", () => (p.role === "client" ? this.clientSide(p, items, lays) : this.serverSide(p, items, lays)));
  }

  private async clientSide(p: Party, items: ProductItem[], lays: ProductLayout[]): Promise<BigUint64Array[]> {
    const ctx = this.ctx;
    const { sk } = this.client!;
    const n = ctx.n;
    const t = 1n << BigInt(ctx.ell);
    const up = uploadsSize(ctx.params, lays);
    const msg = new WireWriter(WireKind.Uploads, up.count, up.bytes);
    const seed = p.prg.seed();
    msg.bytes(seed);
    const seedPrg = p.prg.withSeed(seed);
    const mPtr = ctx.rns.w.alloc(8 * n);
    items.forEach((it, idx) => {
      const l = lays[idx];
      const a = it.a;
      if (!(a instanceof BigUint64Array) || a.length !== l.n * l.k) throw new RangeError(`items[${idx}].a must be a BigUint64Array of ${l.n}×${l.k} shares`);
      for (let r = 0; r < l.rb; r++) {
        for (let c = 0; c < l.cb; c++) {
          const m = new BigUint64Array(ctx.rns.w.memory.buffer, mPtr, n);
          m.fill(0n);
          const rows = blockRows(l, r);
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < l.nw; j++) {
              const col = c * l.nw + j;
              if (col >= l.k) break;
              const v = a[(r * l.mw + i) * l.k + col] & (t - 1n);
              const e = i * l.nw * l.kw - j;
              if (e >= 0) m[e] = v;
              else m[n + e] = (t - v) & (t - 1n); // X^−j = −X^(N−j)
            }
          }
          const c1 = ctx.alloc(l.L);
          ctx.uniform(seedPrg, c1, ctx.dataPrimes(l.L));
          const c0 = ctx.encryptSymmetric(sk, mPtr, l.L, c1, p.prg);
          msg.packed(ctx.rns, c0, l.L * n, 30, false);
          ctx.free(c0, c1);
        }
      }
    });
    ctx.rns.w.free(mPtr);
    p.ch.send("he.product.in", msg.finish());

    const down = answersSize(ctx.params, lays);
    const timeoutMs = 60_000 + lays.reduce((s, l) => s + layoutCost(ctx.params, l), 0) / 100;
    const rd = new WireReader(await p.ch.recv("he.product.out", { timeoutMs }), WireKind.Answers, down.count, down.bytes, "he.product.out");
    const c0 = ctx.rns.w.alloc(8 * n);
    const part = ctx.rns.w.alloc(8 * n);
    const c1 = ctx.rns.w.alloc(8 * n);
    const out = ctx.rns.w.alloc(8 * n);
    try {
      return lays.map((l) => {
        const y = new BigUint64Array(l.n * l.m);
        for (let r = 0; r < l.rb; r++) {
          const rows = blockRows(l, r);
          for (let g = 0; g < l.groups; g++) {
            rd.unpacked(ctx.rns, c1, n, ctx.b1, true, 0, "c1");
            const { pos, entry } = resultPositions(l, g, rows);
            rd.unpacked(ctx.rns, part, pos.length, ctx.b0, true, 0, "c0");
            // c0's top bits at the result positions, zero elsewhere (those coefficients are not decoded)
            const h0 = new Uint32Array(ctx.rns.w.memory.buffer, c0, 2 * n).fill(0);
            moveWide(h0, pos, new Uint32Array(ctx.rns.w.memory.buffer, part, 2 * pos.length), undefined);
            ctx.decodeAnswer(sk, c0, c1, out);
            const dec = new BigUint64Array(ctx.rns.w.memory.buffer, out, n);
            for (let k = 0; k < pos.length; k++) y[r * l.mw * l.m + entry[k]] = dec[pos[k]];
          }
        }
        return y;
      });
    } finally {
      for (const ptr of [c0, c1, out, part]) ctx.rns.w.free(ptr);
    }
  }

  private async serverSide(p: Party, items: ProductItem[], lays: ProductLayout[]): Promise<BigUint64Array[]> {
    const ctx = this.ctx;
    const n = ctx.n;
    const weights = items.map((it, idx) => {
      const l = lays[idx];
      const w = it.w;
      if (!(w instanceof BigInt64Array) || w.length !== l.k * l.m) throw new RangeError(`items[${idx}].w must be a BigInt64Array of ${l.k}×${l.m} integers`);
      // read through 32-bit halves (no BigInt arithmetic): exact for |w| < 2^53
      const halves = new Int32Array(w.buffer, w.byteOffset, 2 * w.length);
      const lim = 2 ** (l.wBits - 1);
      const out = new Float64Array(w.length);
      for (let i = 0; i < w.length; i++) {
        const v = halves[2 * i + 1] * 2 ** 32 + (halves[2 * i] >>> 0);
        if (v < -lim || v >= lim) throw new RangeError(`items[${idx}].w[${i}] = ${w[i]} does not fit in ${l.wBits} signed bits`);
        out[i] = v;
      }
      return out;
    });
    const up = uploadsSize(ctx.params, lays);
    const rd = new WireReader(await p.ch.recv("he.product.in"), WireKind.Uploads, up.count, up.bytes, "he.product.in");
    const seedPrg = p.prg.withSeed(rd.bytes(SEED_BYTES));
    // uploads as plain arrays (c0 from the wire, c1 from the seed), then the two phases of tasks (evaluate.ts)
    const tmp = ctx.alloc(1);
    let uploads: Uint32Array[];
    try {
      uploads = lays.map((l, idx) => {
        // shared memory when workers run: every task of this product reads the same uploads without a copy
        const words = 2 * l.L * l.rb * l.cb * n;
        const arr = this.workers ? new Uint32Array(new SharedArrayBuffer(4 * words)) : new Uint32Array(words);
        for (let u = 0; u < l.rb * l.cb; u++) {
          for (let j = 0; j < l.L; j++) {
            rd.unpacked(ctx.rns, tmp, n, 30, false, ctx.primes[j], `upload[${idx}][${u}][${j}]`);
            arr.set(ctx.rns.view(tmp), (2 * u * l.L + j) * n);
          }
          for (let j = 0; j < l.L; j++) {
            ctx.uniform(seedPrg, tmp, [j]);
            arr.set(ctx.rns.view(tmp), ((2 * u + 1) * l.L + j) * n);
          }
        }
        return arr;
      });
    } finally {
      ctx.free(tmp);
    }
    const shared = this.workers !== undefined;
    const perItem = lays.map((l, idx) => productTasks(l, weights[idx], uploads[idx], n, () => p.prg.seed(), shared));
    const run = (tasks: SimdTask[]) => (this.workers ? this.workers.run(tasks) : this.runInline(tasks));
    await run(perItem.flatMap((t) => t.macs));
    const packs = perItem.flatMap((t) => t.packs);
    const answers = await run(packs);
    // the pack tasks, hence the answers, are in wire order (item, row block, group); shares are −mask at each result
    const shares = lays.map((l) => new BigUint64Array(l.n * l.m));
    const top = 2 ** ctx.ell;
    const down = answersSize(ctx.params, lays);
    const msg = new WireWriter(WireKind.Answers, down.count, down.bytes);
    const buf = ctx.rns.w.alloc(8 * n);
    const part = ctx.rns.w.alloc(8 * n);
    let at = 0;
    lays.forEach((l, idx) => {
      const share = new Uint32Array(shares[idx].buffer, shares[idx].byteOffset, 2 * shares[idx].length);
      for (let r = 0; r < l.rb; r++) {
        for (let g = 0; g < l.groups; g++) {
          const a = answers[at++]!;
          new BigUint64Array(ctx.rns.w.memory.buffer, buf, n).set(a.c1);
          msg.packed(ctx.rns, buf, n, ctx.b1, true);
          const { pos, entry } = resultPositions(l, g, blockRows(l, r));
          moveWide(new Uint32Array(ctx.rns.w.memory.buffer, part, 2 * n), undefined, new Uint32Array(a.c0.buffer, a.c0.byteOffset, 2 * n), pos);
          msg.packed(ctx.rns, part, pos.length, ctx.b0, true);
          // the share −mask mod 2^ell, through 32-bit halves (masks are below 2^ell ≤ 2^40)
          const mask = new Uint32Array(a.mask.buffer, a.mask.byteOffset, 2 * n);
          for (let k = 0; k < pos.length; k++) {
            const v = (top - (mask[2 * pos[k] + 1] * 2 ** 32 + mask[2 * pos[k]])) % top;
            const e = r * l.mw * l.m + entry[k];
            share[2 * e] = v % 2 ** 32;
            share[2 * e + 1] = Math.floor(v / 2 ** 32);
          }
        }
      }
    });
    ctx.rns.w.free(buf);
    ctx.rns.w.free(part);
    p.ch.send("he.product.out", msg.finish());
    return shares;
  }

  private async runInline(tasks: SimdTask[]): Promise<(GroupAnswer | null)[]> {
    const out: (GroupAnswer | null)[] = [];
    for (const t of tasks) out.push(await runTask(this.ctx, this.server!, t));
    return out;
  }
}

/**
 * Copies u64 values given as u32 halves: dst[to[k]] = src[from[k]] for k < the positions' count (an omitted index
 * list means k itself).
 */
function moveWide(dst: Uint32Array, to: Int32Array | undefined, src: Uint32Array, from: Int32Array | undefined): void {
  const count = (to ?? from)!.length;
  for (let k = 0; k < count; k++) {
    const d = to ? to[k] : k;
    const s = from ? from[k] : k;
    dst[2 * d] = src[2 * s];
    dst[2 * d + 1] = src[2 * s + 1];
  }
}
