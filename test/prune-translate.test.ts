// The share translation's parts: punctured GGM trees against the holder's, and Permute+Share by either method against
// the permutation applied in the clear, with exact online bytes.
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/core/aes.js";
import { Ring } from "../src/core/ring.js";
import { lanesBytes } from "../src/core/lanes.js";
import type { Party } from "../src/mpc/party.js";
import { frameBytes } from "../src/net/frame.js";
import { ggmExpand, ggmPunctured } from "../src/prune/ggm.js";
import { counted } from "../src/prune/result.js";
import { permuteMethodFor, permuteShares, setupPermutation, TRANSLATION_MAX_ROWS, type PermuteMethod } from "../src/prune/permute.js";
import { translationDepth } from "../src/prune/translate.js";
import { withParties } from "./pair.js";

const ring = new Ring(37, 12);

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

/** The holder's off-path sums for `points`: per tree and level, the sum of the side the path does not take. */
function offPathOf(sums: Uint8Array, points: Uint32Array, depth: number): Uint8Array {
  const out = new Uint8Array(16 * points.length * depth);
  points.forEach((a, j) => {
    for (let h = 0; h < depth; h++) {
      const side = 1 - ((a >>> (depth - 1 - h)) & 1);
      const o = j * depth + h;
      out.set(sums.subarray(32 * o + 16 * side, 32 * o + 16 * side + 16), 16 * o);
    }
  });
  return out;
}

describe("punctured GGM trees", () => {
  beforeAll(async () => {
    await resolveBackend("node");
  });

  it("rebuild every leaf but the punctured one, at every depth and point", () => {
    for (const depth of [1, 2, 3, 5, 7]) {
      const trees = 5;
      const width = 2 ** depth;
      const { leaves, sums } = ggmExpand(randomBytes(16 * trees), trees, depth, "node");
      expect(leaves.length).toBe(16 * trees * width);
      // Points at both edges and in between.
      const points = Uint32Array.from({ length: trees }, (_, j) => [0, width - 1, width >>> 1, (3 * j + 1) % width, j % width][j]);
      const got = ggmPunctured(points, offPathOf(sums, points, depth), depth, "node");
      for (let j = 0; j < trees; j++) {
        for (let i = 0; i < width; i++) {
          const at = 16 * (j * width + i);
          const want = i === points[j] ? new Uint8Array(16) : leaves.subarray(at, at + 16);
          expect(got.subarray(at, at + 16), `depth ${depth}, tree ${j}, leaf ${i}`).toEqual(want);
        }
      }
    }
  });

  it("every backend expands the same trees", () => {
    const roots = randomBytes(48);
    const a = ggmExpand(roots, 3, 4, "node");
    const b = ggmExpand(roots, 3, 4, "wasm");
    expect(b.leaves).toEqual(a.leaves);
    expect(b.sums).toEqual(a.sums);
  });

  it("a wrong off-path sum gives wrong leaves: the sums carry the tree (negative control)", () => {
    const depth = 4;
    const { leaves, sums } = ggmExpand(randomBytes(16), 1, depth, "node");
    const points = Uint32Array.of(6); // path 0110
    const wrongLeaves = (level: number) => {
      const offPath = offPathOf(sums, points, depth);
      offPath[16 * level] ^= 1;
      const got = ggmPunctured(points, offPath, depth, "node");
      const out: number[] = [];
      for (let i = 0; i < 16; i++) if (i !== 6 && got.subarray(16 * i, 16 * i + 16).some((v, q) => v !== leaves[16 * i + q])) out.push(i);
      return out;
    };
    // The last level's sum gives the sibling leaf 7 alone; level 3's gives node 010's leaves 4 and 5, and through
    // the next level's sum (leaf 5 is on leaf 7's side) leaf 7.
    expect(wrongLeaves(3)).toEqual([7]);
    expect(wrongLeaves(2)).toEqual([4, 5, 7]);
  });

  it("rejects bad arguments, naming them", () => {
    expect(() => ggmExpand(new Uint8Array(15), 1, 3, "node")).toThrow(/roots must hold 1 roots/);
    expect(() => ggmExpand(new Uint8Array(16), 1, 0, "node")).toThrow(/depth/);
    expect(() => ggmPunctured(Uint32Array.of(8), new Uint8Array(48), 3, "node")).toThrow(/points\[0\] = 8/);
    expect(() => ggmPunctured(Uint32Array.of(1), new Uint8Array(32), 3, "node")).toThrow(/offPath must hold 3 blocks/);
  });
});

describe("Permute+Share by share translation and by the network", () => {
  const apply = (src: BigUint64Array, dest: Uint32Array, w: number) => {
    const out = new BigUint64Array(src.length);
    dest.forEach((d, i) => out.set(src.subarray(i * w, (i + 1) * w), d * w));
    return out;
  };

  it("both methods permute shared rows exactly, either party permuting; the translation's online bytes are n·w·ℓ bits", { timeout: 60_000 }, async () => {
    const w = 5;
    for (const n of [1, 2, 3, 8, 33, 130]) {
      const rows = BigUint64Array.from({ length: n * w }, (_, i) => (i < 4 ? [0n, 1n, ring.mask, ring.half][i] : BigInt(i) * 0x9e3779b97n) & ring.mask);
      const mask = rows.map(() => BigInt(Math.floor(Math.random() * 2 ** 32)) * 97n & ring.mask);
      const share = (p: Party) => (p.isServer ? mask.slice() : rows.map((v, i) => (v - mask[i]) & ring.mask));
      for (const method of ["translation", "network"] as PermuteMethod[]) {
        const { server, client } = await withParties(async (p) => {
          const x = share(p);
          const bySrv = await setupPermutation(p, n, "server", method);
          const byCli = await setupPermutation(p, n, "client", method);
          const once = await counted(p, () => permuteShares(p, bySrv, x, w, ring));
          const twice = await permuteShares(p, byCli, once.value, w, ring);
          return { dest: [bySrv.dest, byCli.dest], once, twice };
        });
        const open = (a: BigUint64Array, b: BigUint64Array) => a.map((v, i) => (v + b[i]) & ring.mask);
        const at = `${method}, n = ${n}`;
        expect(open(server.once.value, client.once.value), at).toEqual(apply(rows, server.dest[0]!, w));
        expect(open(server.twice, client.twice), at).toEqual(apply(apply(rows, server.dest[0]!, w), client.dest[1]!, w));
        expect(client.dest[0], at).toBeUndefined();
        if (method === "translation") {
          // One frame, helper to permuter, of the masked rows; nothing else online.
          expect(client.once.counters.bytesSent, at).toBe(n > 1 ? frameBytes("prune.permute".length, lanesBytes(n * w, ring.bits)) : 0);
          expect(server.once.counters.bytesSent, at).toBe(0);
        }
      }
    }
  });

  it("the default method is the translation up to TRANSLATION_MAX_ROWS rows", () => {
    expect(permuteMethodFor(TRANSLATION_MAX_ROWS)).toBe("translation");
    expect(permuteMethodFor(TRANSLATION_MAX_ROWS + 1)).toBe("network");
    expect(translationDepth(2)).toBe(1);
    expect(translationDepth(129)).toBe(8);
  });

  it("rejects an unknown method, naming it", async () => {
    await withParties(async (p) => {
      await expect(setupPermutation(p, 4, "server", "bubble" as PermuteMethod)).rejects.toThrow(/method must be "network" or "translation", got bubble/);
    });
  });
});
