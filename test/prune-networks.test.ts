import { describe, expect, it } from "vitest";
import { applyNetwork, routePermutation, switchCount, uniformPermutation, waksmanNetwork } from "../src/prune/waksman.js";
import { bitonicLayers, bubbleLayers, comparatorCount, type Layer } from "../src/prune/schedules.js";

/** A small deterministic byte source (xorshift), enough to drive the plaintext tests. */
function testBytes(seed: number) {
  let s = seed >>> 0 || 1;
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        out[i] = s & 255;
      }
      return out;
    },
  };
}

function routed(dest: Uint32Array): number[] {
  const n = dest.length;
  const net = waksmanNetwork(n);
  const out = applyNetwork(net, routePermutation(dest), Array.from({ length: n }, (_, i) => i));
  return out;
}

function expected(dest: Uint32Array): number[] {
  const out = new Array<number>(dest.length);
  for (let i = 0; i < dest.length; i++) out[dest[i]] = i;
  return out;
}

function permutations(n: number): Uint32Array[] {
  if (n === 0) return [new Uint32Array(0)];
  const out: Uint32Array[] = [];
  for (const p of permutations(n - 1)) {
    for (let at = 0; at < n; at++) {
      const q = Array.from(p);
      q.splice(at, 0, n - 1);
      out.push(Uint32Array.from(q));
    }
  }
  return out;
}

describe("AS-Waksman network", () => {
  it("has S(n) = Σ⌈log2 i⌉ switches on disjoint in-range wires", () => {
    expect(switchCount(1)).toBe(0);
    expect(switchCount(2)).toBe(1);
    expect(switchCount(3)).toBe(3);
    expect(switchCount(128)).toBe(769);
    expect(switchCount(512)).toBe(4097);
    for (const n of [1, 2, 3, 5, 55, 128, 229]) {
      const net = waksmanNetwork(n);
      expect(net.a.length).toBe(switchCount(n));
      for (let s = 0; s < net.a.length; s++) {
        expect(net.a[s]).toBeLessThan(net.b[s]);
        expect(net.b[s]).toBeLessThan(n);
      }
    }
  });

  it("routes every permutation of up to 7 wires", () => {
    for (let n = 1; n <= 7; n++) {
      for (const dest of permutations(n)) expect(routed(dest)).toEqual(expected(dest));
    }
  });

  it("routes random permutations of sizes that are not powers of two", () => {
    const rng = testBytes(7);
    for (const n of [8, 9, 31, 33, 55, 64, 100, 127, 128, 129, 229, 256 + 101, 512]) {
      for (let t = 0; t < 4; t++) {
        const dest = uniformPermutation(n, rng);
        expect(routed(dest)).toEqual(expected(dest));
      }
    }
  });

  it("routes the identity and the reversal", () => {
    for (const n of [2, 10, 128, 129]) {
      const id = Uint32Array.from({ length: n }, (_, i) => i);
      const rev = Uint32Array.from({ length: n }, (_, i) => n - 1 - i);
      expect(routed(id)).toEqual(expected(id));
      expect(routed(rev)).toEqual(expected(rev));
    }
  });

  it("rejects inputs that are not permutations, naming the entry", () => {
    expect(() => routePermutation(Uint32Array.from([0, 0, 1]))).toThrow(/entry 1 is 0/);
    expect(() => routePermutation(Uint32Array.from([0, 3, 1]))).toThrow(/not a permutation/);
    expect(() => waksmanNetwork(0)).toThrow(RangeError);
    expect(() => applyNetwork(waksmanNetwork(3), new Uint8Array(3), [1, 2])).toThrow(/items/);
  });

  it("draws each permutation of 4 elements about equally often", () => {
    const rng = testBytes(99);
    const counts = new Map<string, number>();
    const runs = 24 * 400;
    for (let t = 0; t < runs; t++) {
      const key = uniformPermutation(4, rng).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    let chi = 0;
    for (const c of counts.values()) chi += (c - 400) ** 2 / 400;
    expect(chi).toBeLessThan(49.7); // 23 degrees of freedom, p = 0.001
  });
});

/** True when every layer's pairs are ordered, in range and disjoint (so a layer can run as one batch). */
function wellFormed(layers: Layer[], n: number): boolean {
  return layers.every((l) => {
    const seen = new Set<number>();
    for (let i = 0; i < l.lo.length; i++) {
      const a = l.lo[i];
      const b = l.hi[i];
      if (!(a < b && b < n) || seen.has(a) || seen.has(b)) return false;
      seen.add(a).add(b);
    }
    return true;
  });
}

function applyLayers(layers: Layer[], keys: number[], before: (x: number, y: number) => boolean): number[] {
  for (const l of layers) {
    for (let i = 0; i < l.lo.length; i++) {
      const a = l.lo[i];
      const b = l.hi[i];
      if (before(keys[b], keys[a])) [keys[a], keys[b]] = [keys[b], keys[a]];
    }
  }
  return keys;
}

describe("bitonic layers", () => {
  it("have the expected size", () => {
    expect(bitonicLayers(128).length).toBe(28);
    expect(comparatorCount(bitonicLayers(128))).toBe(1792);
    expect(bitonicLayers(512).length).toBe(45);
    expect(bitonicLayers(1).length).toBe(0);
  });

  it("sort every 0/1 input up to 12 keys (so every input, by the 0-1 principle)", () => {
    for (let n = 1; n <= 12; n++) {
      const layers = bitonicLayers(n);
      expect(wellFormed(layers, n)).toBe(true);
      let failures = 0;
      for (let v = 0; v < 1 << n; v++) {
        const keys = Array.from({ length: n }, (_, i) => (v >> i) & 1);
        const want = [...keys].sort((a, b) => a - b);
        if (applyLayers(layers, keys, (x, y) => x < y).join() !== want.join()) failures++;
      }
      expect(failures).toBe(0);
    }
  });

  it("sort random keys with ties, both directions, for n not a power of two", () => {
    const rng = testBytes(3);
    for (const n of [13, 55, 100, 128, 229]) {
      const layers = bitonicLayers(n);
      expect(wellFormed(layers, n)).toBe(true);
      const keys = Array.from(rng.bytes(n), (b) => b % 17);
      expect(applyLayers(layers, [...keys], (x, y) => x < y)).toEqual([...keys].sort((a, b) => a - b));
      expect(applyLayers(layers, [...keys], (x, y) => x > y)).toEqual([...keys].sort((a, b) => b - a));
    }
  });
});

describe("bubble layers", () => {
  it("match CipherPrune's sequential loop swap for swap", () => {
    const rng = testBytes(11);
    for (const n of [1, 2, 3, 10, 37, 128]) {
      for (let t = 0; t < 5; t++) {
        const pruned: number[] = Array.from(rng.bytes(n), (b, i) => (i > 0 && b < 150 ? 1 : 0));
        const m = pruned.reduce((a, b) => a + b, 0);
        const ids = Array.from({ length: n }, (_, i) => i);
        const seq = [...ids];
        for (let k = 0; k < m; k++) {
          for (let i = 0; i <= n - 2 - k; i++) if (pruned[seq[i]]) [seq[i], seq[i + 1]] = [seq[i + 1], seq[i]];
        }
        const layers = bubbleLayers(n, m);
        expect(wellFormed(layers, n)).toBe(true);
        const par = applyLayers(layers, [...ids], (_y, x) => pruned[x] === 1);
        expect(par).toEqual(seq);
        expect(par.slice(0, n - m).every((i) => !pruned[i])).toBe(true);
        expect(par.slice(0, n - m)).toEqual(ids.filter((i) => !pruned[i]));
        let swaps = 0;
        for (let k = 0; k < m; k++) swaps += n - 1 - k;
        expect(comparatorCount(layers)).toBe(swaps);
        if (m > 0) expect(layers.length).toBe(n + m - 2);
      }
    }
    expect(comparatorCount(bubbleLayers(128, 73))).toBe(6643);
    expect(comparatorCount(bubbleLayers(512, 292))).toBe(106726);
  });
});
