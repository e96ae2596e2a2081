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
import type { Prg } from "../../core/prg.js";
import { SEED_BYTES } from "../../core/prg.js";
import type { Ring } from "../../core/ring.js";
import type { Party, Role } from "../../mpc/party.js";
import { ProtocolError } from "../../net/errors.js";
import type { HeBackend, HePlan, ProductItem } from "../backend.js";
import { compareHeParams } from "../params.js";
import { blockRows, chooseLayout, forEachResult, layoutCost, resultCount, uploadBytes, type ProductLayout } from "./blocks.js";
import { DEFAULT_SIMD, simdHandshakeParams, type SimdParams } from "./params.js";
import { packingElements, RlweContext, type Ct, type GaloisKey, type PublicKey, type SecretKey } from "./scheme.js";
import { readResidues, readSeed, readWide, reader, WireKind, writeResidues, writer, writeSeed, writeWide } from "./wire.js";

const contexts = new Map<string, RlweContext>();

/** The RLWE context of these parameters in this thread (tables are built once). */
export function rlweContext(params: SimdParams = DEFAULT_SIMD): RlweContext {
  const key = JSON.stringify(params);
  let ctx = contexts.get(key);
  if (!ctx) contexts.set(key, (ctx = new RlweContext(params)));
  return ctx;
}

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

/** Estimated server + client cost of plans (µs, with bytes at 1 Gbit/s), at the default parameters. */
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
    private readonly server?: { pk: PublicKey; keys: Map<number, GaloisKey> },
  ) {}

  /** Parameter check and key exchange; both parties call it at the same time. Plans only fix nothing here. */
  static async setup(p: Party, _plans: HePlan[] = [], params: SimdParams = DEFAULT_SIMD): Promise<SimdBackend> {
    const ctx = rlweContext(params);
    return p.scope("he.setup", async () => {
      const mine = simdHandshakeParams(ctx.params, ctx.primes);
      p.ch.send("he.params", new TextEncoder().encode(JSON.stringify(mine)));
      compareHeParams(mine, parseRecord(await p.ch.recv("he.params")));
      const elements = packingElements(ctx.n, ctx.params.maxPack);
      const top = ctx.top;
      const vecBytes = (ctx.n * 30) / 8;
      const body = top * vecBytes + SEED_BYTES + elements.length * (ctx.galoisVectors * vecBytes + SEED_BYTES);
      if (p.role === "client") {
        const sk = ctx.secretKey(p.prg);
        const msg = writer(WireKind.Keys, elements.length, body);
        const pkSeed = p.prg.seed();
        const pk = ctx.publicKey(sk, p.prg, p.prg.withSeed(pkSeed));
        writeResidues(msg.bits, ctx.rns.view(pk.b, top));
        writeSeed(msg.bits, pkSeed);
        ctx.free(pk.a, pk.b);
        for (const g of elements) {
          const seed = p.prg.seed();
          const key = ctx.galoisKey(sk, g, p.prg, p.prg.withSeed(seed));
          writeResidues(msg.bits, ctx.rns.view(key.k0, ctx.galoisVectors));
          writeSeed(msg.bits, seed);
          ctx.free(key.k0, key.k1);
        }
        p.ch.send("he.keys", msg.finish());
        return new SimdBackend("client", ctx, { sk });
      }
      const r = reader(await p.ch.recv("he.keys"), WireKind.Keys, elements.length, body, "he.keys");
      const b = ctx.alloc(top);
      for (let j = 0; j < top; j++) readResidues(r, ctx.rns.view(ctx.vec(b, j)), ctx.primes[j], `he.keys.pk[${j}]`);
      const pk = ctx.publicKeyFrom(b, p.prg.withSeed(readSeed(r, SEED_BYTES)));
      const keys = new Map<number, GaloisKey>();
      for (const g of elements) {
        const k0 = ctx.alloc(ctx.galoisVectors);
        for (let v = 0; v < ctx.galoisVectors; v++) {
          const j = v % (top + 1);
          readResidues(r, ctx.rns.view(ctx.vec(k0, v)), ctx.primes[j], `he.keys.galois[${g}][${v}]`);
        }
        keys.set(g, { g, k0, k1: ctx.galoisA(p.prg.withSeed(readSeed(r, SEED_BYTES))) });
      }
      return new SimdBackend("server", ctx, undefined, { pk, keys });
    });
  }

  cost(plans: HePlan[]): number {
    return plans.reduce((s, pl) => s + layoutCost(this.ctx.params, layoutOf(this.ctx, pl)), 0);
  }

  async startWorkers(_threads: number): Promise<void> {}

  async close(): Promise<void> {
    const ctx = this.ctx;
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
    const count = lays.reduce((s, l) => s + l.rb * l.cb, 0);
    const body = SEED_BYTES + lays.reduce((s, l) => s + l.rb * l.cb * uploadBytes(ctx.params, l.L), 0);
    const msg = writer(WireKind.Uploads, count, body);
    const seed = p.prg.seed();
    writeSeed(msg.bits, seed);
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
          writeResidues(msg.bits, ctx.rns.view(c0, l.L));
          ctx.free(c0, c1);
        }
      }
    });
    ctx.rns.w.free(mPtr);
    p.ch.send("he.product.in", msg.finish());

    const answers = lays.reduce((s, l) => s + l.rb * l.groups, 0);
    let bits = 0;
    for (const l of lays) for (let r = 0; r < l.rb; r++) for (let g = 0; g < l.groups; g++) bits += n * ctx.b1 + resultCount(l, g, blockRows(l, r)) * ctx.b0;
    const timeoutMs = 60_000 + lays.reduce((s, l) => s + layoutCost(ctx.params, l), 0) / 100;
    const rd = reader(await p.ch.recv("he.product.out", { timeoutMs }), WireKind.Answers, answers, Math.ceil(bits / 8), "he.product.out");
    const c0 = ctx.rns.w.alloc(8 * n);
    const c1 = ctx.rns.w.alloc(8 * n);
    const out = ctx.rns.w.alloc(8 * n);
    const results = lays.map((l) => {
      const y = new BigUint64Array(l.n * l.m);
      for (let r = 0; r < l.rb; r++) {
        const rows = blockRows(l, r);
        for (let g = 0; g < l.groups; g++) {
          const h1 = new Uint32Array(ctx.rns.w.memory.buffer, c1, 2 * n);
          for (let i = 0; i < n; i++) readWide(rd, h1, i, ctx.b1);
          const h0 = new Uint32Array(ctx.rns.w.memory.buffer, c0, 2 * n).fill(0);
          forEachResult(l, g, (i, _col, pos) => {
            if (i < rows) readWide(rd, h0, pos, ctx.b0);
          });
          ctx.decodeAnswer(sk, c0, c1, out);
          const dec = new BigUint64Array(ctx.rns.w.memory.buffer, out, n);
          forEachResult(l, g, (i, col, pos) => {
            if (i < rows) y[(r * l.mw + i) * l.m + col] = dec[pos];
          });
        }
      }
      return y;
    });
    ctx.rns.w.free(c0);
    ctx.rns.w.free(c1);
    ctx.rns.w.free(out);
    return results;
  }

  private async serverSide(p: Party, items: ProductItem[], lays: ProductLayout[]): Promise<BigUint64Array[]> {
    const ctx = this.ctx;
    const n = ctx.n;
    const weights = items.map((it, idx) => {
      const l = lays[idx];
      const w = it.w;
      if (!(w instanceof BigInt64Array) || w.length !== l.k * l.m) throw new RangeError(`items[${idx}].w must be a BigInt64Array of ${l.k}×${l.m} integers`);
      const lim = 1n << BigInt(l.wBits - 1);
      const out = new Float64Array(w.length);
      for (let i = 0; i < w.length; i++) {
        if (w[i] < -lim || w[i] >= lim) throw new RangeError(`items[${idx}].w[${i}] = ${w[i]} does not fit in ${l.wBits} signed bits`);
        out[i] = Number(w[i]);
      }
      return out;
    });
    const count = lays.reduce((s, l) => s + l.rb * l.cb, 0);
    const body = SEED_BYTES + lays.reduce((s, l) => s + l.rb * l.cb * uploadBytes(ctx.params, l.L), 0);
    const rd = reader(await p.ch.recv("he.product.in"), WireKind.Uploads, count, body, "he.product.in");
    const seedPrg = p.prg.withSeed(readSeed(rd, SEED_BYTES));
    const uploads = lays.map((l, idx) =>
      Array.from({ length: l.rb * l.cb }, (_, u) => {
        const c0 = ctx.alloc(l.L);
        for (let j = 0; j < l.L; j++) readResidues(rd, ctx.rns.view(ctx.vec(c0, j)), ctx.primes[j], `he.product.in[${idx}][${u}]`);
        const c1 = ctx.alloc(l.L);
        ctx.uniform(seedPrg, c1, ctx.dataPrimes(l.L));
        return { c0, c1, L: l.L };
      }),
    );
    const shares: BigUint64Array[] = [];
    const finished: { c0: number; c1: number; results: number }[][] = [];
    lays.forEach((l, idx) => {
      const { share, answers } = this.evaluate(p.prg, l, weights[idx], uploads[idx]);
      shares.push(share);
      finished.push(answers);
      for (const ct of uploads[idx]) ctx.freeCt(ct);
    });
    let bits = 0;
    for (const list of finished) for (const a of list) bits += n * ctx.b1 + a.results * ctx.b0;
    const msg = writer(WireKind.Answers, finished.reduce((s, f) => s + f.length, 0), Math.ceil(bits / 8));
    lays.forEach((l, idx) => {
      finished[idx].forEach((a, at) => {
        const r = Math.floor(at / l.groups);
        const g = at % l.groups;
        const rows = blockRows(l, r);
        const h1 = new Uint32Array(ctx.rns.w.memory.buffer, a.c1, 2 * n);
        for (let i = 0; i < n; i++) writeWide(msg.bits, h1, i, ctx.b1);
        const h0 = new Uint32Array(ctx.rns.w.memory.buffer, a.c0, 2 * n);
        forEachResult(l, g, (i, _col, pos) => {
          if (i < rows) writeWide(msg.bits, h0, pos, ctx.b0);
        });
        ctx.rns.w.free(a.c0);
        ctx.rns.w.free(a.c1);
      });
    });
    p.ch.send("he.product.out", msg.finish());
    return shares;
  }

  /**
   * The server's work for one product: per group of `pack` column blocks, the weight blocks' NTTs, the MACs of
   * every row block, packing, and finished answers (row block major). Returns its share (−mask at each result).
   */
  private evaluate(prg: Prg, l: ProductLayout, w: Float64Array, uploads: Ct[]): { share: BigUint64Array; answers: { c0: number; c1: number; results: number }[] } {
    const ctx = this.ctx;
    const rns = ctx.rns;
    const { pk, keys } = this.server!;
    const n = ctx.n;
    const L = l.L;
    const ell = ctx.ell;
    const share = new BigUint64Array(l.n * l.m);
    const answers: { c0: number; c1: number; results: number }[] = new Array(l.rb * l.groups);
    const wv = ctx.alloc(1);
    const acc = rns.allocAcc(2 * l.rb);
    const mask = rns.w.alloc(8 * n);
    const hiMask = 2 ** (ell - 32) - 1;
    for (let g = 0; g < l.groups; g++) {
      const obs = Math.min(l.pack, l.ob - g * l.pack);
      const size = 2 ** Math.ceil(Math.log2(obs));
      const cts: (Ct | null)[][] = Array.from({ length: l.rb }, () => new Array<Ct | null>(size).fill(null));
      for (let r = 0; r < l.rb; r++) for (let s = 0; s < obs; s++) cts[r][s] = { c0: ctx.alloc(L), c1: ctx.alloc(L), L };
      const coeffs = this.weightCoefficients(l, w, g * l.pack, obs);
      // prime by prime, so that the uploads' vectors of one prime (rb·cb·2 of them) stay in cache across columns
      for (let j = 0; j < L; j++) {
        const q = ctx.primes[j];
        for (let s = 0; s < obs; s++) {
          for (let c = 0; c < l.cb; c++) {
            const v = rns.view(wv);
            const from = (s * l.cb + c) * l.wDeg;
            for (let i = 0; i < l.wDeg; i++) {
              const x = coeffs[from + i] % q;
              v[i] = x < 0 ? x + q : x;
            }
            rns.nttPruned(wv, j, l.wDeg);
            for (let r = 0; r < l.rb; r++) {
              const up = uploads[r * l.cb + c];
              const a = acc + 16 * n * r;
              rns.mac(a, ctx.vec(up.c0, j), wv);
              rns.mac(a + 8 * n, ctx.vec(up.c1, j), wv);
              if (c % 7 === 6) {
                rns.fold(a, j);
                rns.fold(a + 8 * n, j);
              }
            }
          }
          for (let r = 0; r < l.rb; r++) {
            const a = acc + 16 * n * r;
            rns.reduceAcc(ctx.vec(cts[r][s]!.c0, j), a, j);
            rns.reduceAcc(ctx.vec(cts[r][s]!.c1, j), a + 8 * n, j);
          }
        }
      }
      for (let r = 0; r < l.rb; r++) {
        const packed = ctx.pack(cts[r], size, keys);
        const halves = new Uint32Array(rns.w.memory.buffer, mask, 2 * n);
        prg.fill(new Uint8Array(halves.buffer, mask, 8 * n));
        for (let i = 1; i < 2 * n; i += 2) halves[i] &= hiMask;
        const rows = blockRows(l, r);
        const maskView = new BigUint64Array(rns.w.memory.buffer, mask, n);
        const top = 1n << BigInt(ell);
        forEachResult(l, g, (i, col, pos) => {
          if (i < rows) share[(r * l.mw + i) * l.m + col] = (top - maskView[pos]) & (top - 1n);
        });
        answers[r * l.groups + g] = { ...ctx.finishAnswer(packed, pk, mask, l.floodBits, prg), results: resultCount(l, g, rows) };
      }
    }
    ctx.free(wv);
    rns.w.free(acc);
    rns.w.free(mask);
    return { share, answers };
  }

  /**
   * The weight blocks of `count` column blocks from `o0` as integer coefficients, wDeg per (column block, inner
   * block): W_b = Σ W[j,l]·X^(l·nw + j).
   */
  private weightCoefficients(l: ProductLayout, w: Float64Array, o0: number, count: number): Float64Array {
    const out = new Float64Array(count * l.cb * l.wDeg);
    for (let s = 0; s < count; s++) {
      for (let c = 0; c < l.cb; c++) {
        const base = (s * l.cb + c) * l.wDeg;
        for (let x = 0; x < l.kw; x++) {
          const col = (o0 + s) * l.kw + x;
          if (col >= l.m) break;
          for (let j = 0; j < l.nw; j++) {
            const row = c * l.nw + j;
            if (row >= l.k) break;
            out[base + x * l.nw + j] = w[row * l.m + col];
          }
        }
      }
    }
    return out;
  }
}

function parseRecord(raw: Uint8Array): Record<string, string> {
  try {
    const r = JSON.parse(new TextDecoder().decode(raw)) as unknown;
    if (typeof r !== "object" || r === null || Array.isArray(r)) throw new Error("not a record");
    return r as Record<string, string>;
  } catch (e) {
    throw new ProtocolError(`he.params: the peer's parameter list is malformed (${e instanceof Error ? e.message : String(e)})`);
  }
}
