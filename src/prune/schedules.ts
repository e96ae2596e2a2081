// Comparator schedules of the baselines: a bitonic sorting network for any n, and CipherPrune's bubble passes
// with every set of independent swaps gathered into one layer. A layer lists pairs (lo[i], hi[i]), lo < hi, that
// touch disjoint positions, so all of them run in one batched protocol step.

export interface Layer {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
}

function checkLength(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 24) throw new RangeError(`${field} must be an integer in [1, 2^24], got ${n}`);
}

function layer(pairs: number[]): Layer {
  const lo = new Uint32Array(pairs.length >>> 1);
  const hi = new Uint32Array(pairs.length >>> 1);
  for (let i = 0; i < lo.length; i++) {
    lo[i] = pairs[2 * i];
    hi[i] = pairs[2 * i + 1];
  }
  return { lo, hi };
}

/**
 * Bitonic sort on n keys in the form whose comparators all point the same way (each first merge step compares i
 * with its mirror i ^ (k−1)). Sorting so that lo receives the key that belongs first, padding to a power of two with
 * keys that belong last never moves a padding key, so comparators that touch a padding position are dropped.
 * n = 128 gives 28 layers of 64 comparators.
 */
export function bitonicLayers(n: number): Layer[] {
  checkLength(n, "bitonicLayers: n");
  let size = 1;
  while (size < n) size *= 2;
  const layers: Layer[] = [];
  for (let k = 2; k <= size; k *= 2) {
    for (let j = k >>> 1; j >= 1; j >>>= 1) {
      const pairs: number[] = [];
      for (let i = 0; i < n; i++) {
        if (i & j) continue;
        const partner = j === k >>> 1 ? i ^ (k - 1) : i ^ j;
        if (partner < n) pairs.push(i, partner);
      }
      if (pairs.length) layers.push(layer(pairs));
    }
  }
  return layers;
}

/**
 * CipherPrune's compaction loop `for k < m: for i ≤ n−2−k: swap(i, i+1) if token i is pruned`, scheduled as a
 * wavefront: step i of pass k runs in layer i + 2k. Pass k's step i only has to follow pass k−1's step i+1 (the
 * last earlier swap touching position i+1), which sits one layer earlier, so the result equals the sequential loop.
 * That is n + m − 2 layers holding Σ_{k<m}(n−1−k) swaps.
 */
export function bubbleLayers(n: number, m: number): Layer[] {
  checkLength(n, "bubbleLayers: n");
  if (!Number.isInteger(m) || m < 0 || m > n) throw new RangeError(`bubbleLayers: m must be an integer in [0, ${n}], got ${m}`);
  const passes = Math.min(m, n - 1);
  const layers: Layer[] = [];
  for (let t = 0; passes > 0 && t <= n + passes - 3; t++) {
    const pairs: number[] = [];
    for (let k = 0; k < passes; k++) {
      const i = t - 2 * k;
      if (i >= 0 && i <= n - 2 - k) pairs.push(i, i + 1);
    }
    if (pairs.length) layers.push(layer(pairs));
  }
  return layers;
}

/** Total comparators of a schedule. */
export function comparatorCount(layers: Layer[]): number {
  let c = 0;
  for (const l of layers) c += l.lo.length;
  return c;
}
