// A representative set of protocols on Ferret's silent OT (the insecure tiny preset, so the tests cross many rounds),
// each against its plaintext twin, exactly: the same protocol code as on IKNP. (Every protocol test also runs on
// Ferret with CIPHERPRUNE_TEST_OT=ferret-tiny; their byte counts are IKNP's.)
import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { and } from "../src/mpc/and.js";
import { b2a } from "../src/mpc/b2a.js";
import { extend } from "../src/mpc/extend.js";
import { millionaire } from "../src/mpc/millionaire.js";
import { mult } from "../src/mpc/mult.js";
import { PlainFx, SecureFx, type Fx, type Lanes } from "../src/nonlinear/engine.js";
import { gelu } from "../src/nonlinear/gelu.js";
import { compactPlain, keepPlain } from "../src/prune/plain.js";
import { swapPrune } from "../src/prune/swap.js";
import { edgeValues, makePair, open, randomBits, randomRing, share, shareBits, withEdges, type Pair } from "./mpc-util.js";
import { runBoth } from "./nonlinear-util.js";
import { withParties } from "./pair.js";

const ring = new Ring(37, 12);
const n = 600;

let pair: Pair;
beforeAll(async () => {
  pair = await makePair("ferret-tiny");
}, 30_000);

/** Runs `fn` on the plain engine and on both parties, expecting equal outputs. */
async function same(x: Lanes, fn: (E: Fx, x: Lanes) => Promise<Lanes>, outRing = ring): Promise<void> {
  const { plain, secure } = await runBoth(pair, ring, x, fn, outRing);
  expect(Array.from(secure)).toEqual(Array.from(plain));
}

const bitsToLanes = (b: Uint8Array, count: number) => BigUint64Array.from({ length: count }, (_, i) => BigInt((b[i >>> 3] >>> (i & 7)) & 1));

/** Like `same` for bit outputs (XOR shares). */
async function sameBits(x: Lanes, fn: (E: Fx, x: Lanes) => Promise<Uint8Array>): Promise<void> {
  const plain = await fn(new PlainFx(), x);
  const [xs, xc] = share(x, ring);
  const [a, b] = await pair.both((p) => fn(new SecureFx(p), p.isServer ? xs : xc));
  expect(Array.from(bitsToLanes(a.map((v, i) => v ^ b[i]), x.length))).toEqual(Array.from(bitsToLanes(plain, x.length)));
}

describe("protocols on ferret-tiny equal their plaintext twins", { timeout: 30_000 }, () => {
  const x = () => withEdges(n, ring, edgeValues(ring));
  const quarter = () => randomRing(n, ring).map((e) => ring.reduce(ring.signed(e) >> 3n));

  it("millionaire (gt and eq) on private values", async () => {
    const bits = 37;
    const [a, b] = [randomRing(n, ring), randomRing(n, ring)];
    a[0] = b[0];
    const [rs, rc] = await pair.both((p) => millionaire(p, p.isServer ? a : b, bits, { equal: true }));
    for (let i = 0; i < n; i++) {
      const gt = ((rs.gt[i >>> 3] ^ rc.gt[i >>> 3]) >>> (i & 7)) & 1;
      expect(gt, `gt at ${i}`).toBe(a[i] > b[i] ? 1 : 0);
      const eq = ((rs.eq![i >>> 3] ^ rc.eq![i >>> 3]) >>> (i & 7)) & 1;
      expect(eq, `eq at ${i}`).toBe(a[i] === b[i] ? 1 : 0);
    }
  });

  it("drelu, lessThanConst, mux, mult, square and truncation (sign unknown and known)", async () => {
    await sameBits(x(), (E, v) => E.drelu(v, ring));
    // x < c compares x − c, so its inputs stay within a quarter of the ring.
    await sameBits(quarter(), (E, v) => E.lessThanConst(v, 12345n, ring));
    const y = randomRing(n, ring);
    await same(x(), async (E, v) => E.mux(await E.drelu(v, ring), v, ring));
    const v = x();
    const [v0, v1] = share(v, ring);
    const [y0, y1] = share(y, ring);
    const prod = open(await pair.both((p) => mult(p, p.isServer ? v0 : v1, p.isServer ? y0 : y1, ring)), ring);
    expect(Array.from(prod)).toEqual(Array.from(v, (e, i) => (e * y[i]) & ring.mask));
    await same(x(), (E, v) => E.square(v, ring));
    await same(x(), (E, v) => E.trunc(v, 12, ring));
    await same(x().map((v) => v & (ring.half - 1n)), (E, v) => E.trunc(v, 12, ring, "nonneg"));
  });

  it("lookup table, row max and extension", async () => {
    const small = new Ring(4);
    const table = randomRing(16, ring);
    await same(randomRing(n, small), (E, v) => E.lookup(table, v, 4, ring));
    // Row max compares differences, so its inputs stay within a quarter of the ring.
    await same(quarter(), (E, v) => E.rowMax(v, n / 6, 6, ring));
    const wide = new Ring(50, 12);
    const v = x().map((e) => e & (ring.half - 1n));
    const [v0, v1] = share(v, ring);
    const got = open(await pair.both((p) => extend(p, p.isServer ? v0 : v1, ring, wide)), wide);
    expect(Array.from(got)).toEqual(Array.from(v, (e) => wide.reduce(ring.signed(e))));
  });

  it("and and b2a", async () => {
    const [a, b] = [randomBits(n), randomBits(n)];
    const [a0, a1] = shareBits(a, n);
    const [b0, b1] = shareBits(b, n);
    const [z0, z1] = await pair.both((p) => and(p, p.isServer ? a0 : a1, p.isServer ? b0 : b1, n));
    for (let i = 0; i < n; i++) expect(((z0[i >>> 3] ^ z1[i >>> 3]) >>> (i & 7)) & 1).toBe(((a[i >>> 3] & b[i >>> 3]) >>> (i & 7)) & 1);
    const got = open(await pair.both((p) => b2a(p, p.isServer ? a0 : a1, n, ring)), ring);
    expect(Array.from(got)).toEqual(Array.from(bitsToLanes(a, n)));
  });

  it("GELU (the high-degree form)", async () => {
    await same(x(), (E, v) => gelu(E, v, ring, { degree: "high" }));
  });

  it("swap pruning keeps the rows whose score passes θ, in order", async () => {
    const tokens = 24;
    const d = 4;
    const rows = randomRing(tokens * d, ring);
    const scores = BigUint64Array.from({ length: tokens }, (_, i) => ring.fromSigned(BigInt(((i * 37) % 41) - 20)));
    const theta = 3n;
    const [r0, r1] = share(rows, ring);
    const [s0, s1] = share(scores, ring);
    const run = await withParties((p) => swapPrune(p, p.isServer ? r0 : r1, p.isServer ? s0 : s1, tokens, d, theta, ring), undefined, "ferret-tiny");
    const want = compactPlain(rows, d, keepPlain(ring, scores, theta));
    expect(run.server.kept).toBe(want.length / d);
    expect(Array.from(open([run.server.rows, run.client.rows], ring))).toEqual(Array.from(want));
  });
});
