import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { extend, reduce } from "../src/mpc/extend.js";
import { edgeValues, makePair, open, share, withEdges, type Pair } from "./mpc-util.js";

let pair: Pair;
beforeAll(async () => {
  pair = await makePair();
}, 30_000);

describe("extend and reduce", { timeout: 30_000 }, () => {
  for (const [f, t] of [[2, 3], [16, 37], [20, 37], [32, 64], [37, 64], [63, 64], [16, 16]]) {
    it(`extends ${f} → ${t} bits exactly, signed and unsigned`, async () => {
      const from = new Ring(f), to = new Ring(t);
      const n = f === 20 ? 1024 + 101 : 97;
      const x = withEdges(n, from, edgeValues(from));
      const [x0, x1] = share(x, from);
      const signed = open(await pair.both((p) => extend(p, p.isServer ? x0 : x1, from, to)), to);
      expect(Array.from(signed)).toEqual(Array.from(x, (v) => to.reduce(from.signed(v))));
      const unsigned = open(await pair.both((p) => extend(p, p.isServer ? x0 : x1, from, to, { signed: false })), to);
      expect(Array.from(unsigned)).toEqual(Array.from(x));
    });
  }

  it("reduces locally mod 2^l'", () => {
    const from = new Ring(64), to = new Ring(37);
    const x = withEdges(50, from, edgeValues(from));
    const [x0, x1] = share(x, from);
    const r = open([reduce(x0, from, to), reduce(x1, from, to)], to);
    expect(Array.from(r)).toEqual(Array.from(x, (v) => v & to.mask));
    expect(() => reduce(x0, to, from)).toThrow(/use extend/);
  });

  it("rejects a smaller target ring", async () => {
    await expect(extend(pair.server, new BigUint64Array(1), new Ring(37), new Ring(20))).rejects.toThrow(/use reduce/);
  });
});
