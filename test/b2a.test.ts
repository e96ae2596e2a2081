import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { b2a } from "../src/mpc/b2a.js";
import { getBit, packBits } from "../src/core/bits.js";
import { makePair, open, randomBits, shareBits, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

describe("b2a", () => {
  for (const bits of [2, 16, 32, 37, 64]) {
    it(`converts XOR-shared bits to shares mod 2^${bits}`, async () => {
      const ring = new Ring(bits);
      for (const n of [1, 8, 1024 + 101]) {
        const b = randomBits(n);
        const [s, c] = shareBits(b, n);
        const out = await pair.both((p) => b2a(p, p.isServer ? s : c, n, ring));
        const v = open(out, ring);
        for (let i = 0; i < n; i++) expect(v[i]).toBe(BigInt(getBit(b, i)));
      }
    });
  }

  it("handles every share combination of one bit", async () => {
    const ring = new Ring(37);
    // server shares 0,0,1,1 and client shares 0,1,0,1
    const out = await pair.both((p) => b2a(p, packBits(p.isServer ? [0, 0, 1, 1] : [0, 1, 0, 1]), 4, ring));
    expect([...open(out, ring)]).toEqual([0n, 1n, 1n, 0n]);
  });

  it("sends one correlated OT per bit: 128 + l bits plus framing", async () => {
    const ring = new Ring(37);
    const n = 4096;
    const b = randomBits(n);
    const { traffic } = await pair.measured((p) => b2a(p, b, n, ring));
    const perOp = (traffic.bytes * 8) / n;
    expect(perOp).toBeGreaterThanOrEqual(128 + 37);
    expect(perOp).toBeLessThan(128 + 37 + 2);
    expect(traffic.rounds).toBe(2);
  });

  it("returns an empty vector for n = 0 and rejects short inputs", async () => {
    const ring = new Ring(16);
    const out = await pair.both((p) => b2a(p, new Uint8Array(0), 0, ring));
    expect(out[0].length).toBe(0);
    await expect(b2a(pair.server, new Uint8Array(1), 9, ring)).rejects.toThrow(/b2a: bits/);
  });
});
