// The two-party ciphertext × plaintext product: the client holds A (n×k, shares in Z_2^l), the server holds an
// integer matrix W (k×m). The client encrypts A, read as signed integers, under each plaintext prime t_i; the server
// computes Y = A·W homomorphically, adds 2^bound + r with r uniform below 2^(bound+σ), floods the noise and returns
// the ciphertexts without the low bits decryption does not need (response.ts); uploads drop SEAL's padding
// (upload.ts). The client decrypts Y + 2^bound + r mod t_i for every i; since that integer lies in [0, T), CRT gives it
// exactly, and both parties reduce mod 2^l locally: the client keeps it, the server keeps −(2^bound + r).
// The shares sum to A·W mod 2^l exactly, whatever A and W are within their declared bit sizes (|Y| ≤ 2^bound by
// construction). The client's view is within statistical distance 2^(1−σ) per entry of one independent of W (the
// decrypted noise is flooded, slots outside the result hold exact zeros), and the server sees only ciphertexts.
import type { Ring } from "../core/ring.js";
import type { Party } from "../mpc/party.js";
import { ProtocolError } from "../net/errors.js";
import type { ProductItem } from "./backend.js";
import { packChunks, unpackChunks } from "./chunks.js";
import { Crt } from "./crt.js";
import { evaluateProduct, type ProductTask } from "./evaluate.js";
import { forEachSlot, layoutWork, packColumns, uploadCount, uploadVectors } from "./layout.js";
import { errorText, type HeSession, type PlannedProduct } from "./session.js";
import { UploadCodec } from "./upload.js";

/** Runs the server's product tasks: in this thread, or in a worker pool. */
export interface ProductRunner {
  run(tasks: ProductTask[]): Promise<Uint8Array[][]>;
}

/** Evaluates the tasks one after the other in the calling thread. */
export function inlineRunner(he: HeSession): ProductRunner {
  return {
    run: async (tasks) => {
      const s = he.ctx.seal;
      const primes = he.serverPrimes;
      return tasks.map((t) => evaluateProduct(s, primes[t.prime], t));
    },
  };
}

/**
 * Shares of A_i·W_i mod 2^l for every item, with one message each way for the whole batch. Returns, per item, this
 * party's n×m share (row-major).
 */
export async function heProducts(p: Party, he: HeSession, ring: Ring, items: ProductItem[], runner?: ProductRunner): Promise<BigUint64Array[]> {
  const planned = items.map((it, idx) => {
    if (it.plan.aBits !== ring.bits) throw new RangeError(`items[${idx}].plan.aBits must equal the ring's ${ring.bits} bits, got ${it.plan.aBits}`);
    return he.plan(it.plan);
  });
  return p.scope("he.product", () =>
    p.role === "client" ? clientSide(p, he, ring, items, planned) : serverSide(p, he, ring, items, planned, runner ?? inlineRunner(he)),
  );
}

async function clientSide(p: Party, he: HeSession, ring: Ring, items: ProductItem[], planned: PlannedProduct[]): Promise<BigUint64Array[]> {
  const s = he.ctx.seal;
  const keys = he.clientKeys;
  const none = s.ComprModeType.none;
  const chunks: Uint8Array[] = [];
  const upload = new UploadCodec(he.ctx.slots, he.ctx.dataModuli);
  const pt = s.PlainText();
  const ct = s.CipherText();
  try {
    items.forEach((it, idx) => {
      const { plan, layout } = planned[idx];
      const a = it.a;
      if (!(a instanceof BigUint64Array) || a.length !== plan.n * plan.k) {
        throw new RangeError(`items[${idx}].a must be a BigUint64Array of ${plan.n}×${plan.k} shares`);
      }
      const signed = new BigInt64Array(a.length);
      for (let i = 0; i < a.length; i++) signed[i] = ring.signed(a[i] & ring.mask);
      for (let pr = 0; pr < planned[idx].primes; pr++) {
        const pc = he.ctx.primes[pr];
        const t = pc.t;
        const packed = packColumns(layout, signed, plan.k, (len) => new BigUint64Array(len), (x) => (x < 0n ? x + t : x));
        for (const v of uploadVectors(layout, packed)) {
          pc.encoder.encode(v, pt);
          const ser = keys.encryptors[pr].encryptSymmetricSerializable(pt);
          chunks.push(upload.pack(ser.saveArray(none)));
          ser.delete();
        }
      }
    });
    p.ch.send("he.product.in", packChunks(chunks));
    const expected = planned.reduce((n, pp) => n + pp.primes * pp.layout.outCts, 0);
    const outs = unpackChunks(await p.ch.recv("he.product.out", { timeoutMs: productDeadlineMs(planned) }), expected, "he.product.out");
    let at = 0;
    return planned.map((pp) => {
      const { layout: l, plan } = pp;
      const residues: BigUint64Array[][] = [];
      for (let pr = 0; pr < pp.primes; pr++) {
        const pc = he.ctx.primes[pr];
        const perCt: BigUint64Array[] = [];
        for (let c = 0; c < l.outCts; c++) {
          const saved = keys.responses[pr].expand(outs[at++]);
          try {
            ct.loadArray(pc.context, saved);
          } catch (e) {
            throw new ProtocolError(`he.product.out: ciphertext ${at - 1} does not load (${errorText(e)})`);
          }
          keys.decryptors[pr].decrypt(ct, pt);
          perCt.push(pc.encoder.decodeBigInt(pt, false) as BigUint64Array);
        }
        residues.push(perCt);
      }
      const crt = new Crt(he.ctx.plainModuli.slice(0, pp.primes));
      const out = new BigUint64Array(plan.n * plan.m);
      const z: bigint[] = new Array<bigint>(pp.primes);
      forEachOutput(pp, (idx, ctIdx, slot) => {
        for (let pr = 0; pr < pp.primes; pr++) z[pr] = residues[pr][ctIdx][slot];
        out[idx] = crt.toRing(z, ring.mask);
      });
      return out;
    });
  } finally {
    pt.delete();
    ct.delete();
  }
}

async function serverSide(
  p: Party,
  he: HeSession,
  ring: Ring,
  items: ProductItem[],
  planned: PlannedProduct[],
  runner: ProductRunner,
): Promise<BigUint64Array[]> {
  const sigma = he.ctx.params.sigma;
  const moduli = he.ctx.plainModuli;
  const shares: BigUint64Array[] = [];
  const masks: BigUint64Array[][][] = []; // [item][prime][outCt]
  items.forEach((it, idx) => {
    const pp = planned[idx];
    const { plan, layout: l } = pp;
    const w = it.w;
    if (!(w instanceof BigInt64Array) || w.length !== plan.k * plan.m) {
      throw new RangeError(`items[${idx}].w must be a BigInt64Array of ${plan.k}×${plan.m} integers`);
    }
    const lim = 1n << BigInt(plan.wBits - 1);
    for (let i = 0; i < w.length; i++) {
      if (w[i] < -lim || w[i] >= lim) throw new RangeError(`items[${idx}].w[${i}] = ${w[i]} does not fit in ${plan.wBits} signed bits`);
    }
    // r + 2^bound, uniform in [2^bound, 2^bound + 2^(bound+σ)), one per output entry.
    const rBits = pp.boundBits + sigma;
    const words = Math.ceil(rBits / 64);
    const rnd = p.prg.u64(plan.n * plan.m * words);
    const rMask = (1n << BigInt(rBits)) - 1n;
    const offset = 1n << BigInt(pp.boundBits);
    const share = new BigUint64Array(plan.n * plan.m);
    const itemMasks = Array.from({ length: pp.primes }, () => Array.from({ length: l.outCts }, () => new BigUint64Array(l.slots)));
    forEachOutput(pp, (e, ctIdx, slot) => {
      let r = 0n;
      for (let k = 0; k < words; k++) r = (r << 64n) | rnd[e * words + k];
      r = (r & rMask) + offset;
      share[e] = -r & ring.mask;
      for (let pr = 0; pr < pp.primes; pr++) itemMasks[pr][ctIdx][slot] = r % moduli[pr];
    });
    shares.push(share);
    masks.push(itemMasks);
  });
  const expected = planned.reduce((n, pp) => n + pp.primes * uploadCount(pp.layout), 0);
  const upload = new UploadCodec(he.ctx.slots, he.ctx.dataModuli);
  const ins = unpackChunks(await p.ch.recv("he.product.in"), expected, "he.product.in").map((c) => upload.unpack(c, "he.product.in"));
  const tasks: ProductTask[] = [];
  let at = 0;
  items.forEach((it, idx) => {
    const pp = planned[idx];
    for (let pr = 0; pr < pp.primes; pr++) {
      const uploads = uploadCount(pp.layout);
      tasks.push({ prime: pr, layout: pp.layout, weights: it.w!, inputs: ins.slice(at, at + uploads), masks: masks[idx][pr] });
      at += uploads;
    }
  });
  const outs = await runner.run(tasks);
  p.ch.send("he.product.out", packChunks(outs.flat()));
  return shares;
}

/**
 * The client's deadline for the server's answer: the channel's usual minute plus 20 ms per unit of server work
 * (layoutWork: about 1.2 ms each on one idle core), so that large layers on a busy machine do not time out.
 */
function productDeadlineMs(planned: PlannedProduct[]): number {
  let work = 0;
  for (const pp of planned) work += pp.primes * layoutWork(pp.layout);
  return 60_000 + 20 * work;
}

/** Calls fn(entry index i·m + j, output ciphertext, slot) for every entry of the n×m result. */
function forEachOutput(pp: PlannedProduct, fn: (entry: number, ct: number, slot: number) => void): void {
  const { layout: l, plan } = pp;
  forEachSlot(l, plan.m, l.outShift, (i, j, ct, slot) => fn(i * plan.m + j, ct, slot));
}
