// Arbitrary-size Waksman (AS-Waksman) permutation networks, the routing of a permutation through them, and the
// uniform permutations that the two-party shuffle routes. Plaintext only: the protocol is in permute.ts.
//
// A network on n wires is a list of switches applied in order; switch s acts in place on positions (a[s], b[s]) of
// one array and, when its bit is set, exchanges their contents. Size n splits into a top half of ⌊n/2⌋ wires and
// a bottom half of ⌈n/2⌉ wires with an input layer of ⌊n/2⌋ switches and an output layer of ⌈n/2⌉ − 1 switches, so
// the switch count is S(n) = S(⌊n/2⌋) + S(⌈n/2⌉) + n − 1 = Σ_{i≤n} ⌈log₂ i⌉ (769 for n = 128).

/** Switch s exchanges positions a[s] and b[s] (a[s] < b[s]). */
export interface Network {
  readonly n: number;
  readonly a: Uint32Array;
  readonly b: Uint32Array;
}

/** Number of switches of the AS-Waksman network on n wires. */
export function switchCount(n: number): number {
  checkSize(n, "switchCount: n");
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.ceil(Math.log2(i));
  return s;
}

function checkSize(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 24) throw new RangeError(`${field} must be an integer in [1, 2^24], got ${n}`);
}

const networks = new Map<number, Network>();

/** The AS-Waksman network on n wires (cached; the topology does not depend on the permutation). */
export function waksmanNetwork(n: number): Network {
  checkSize(n, "waksmanNetwork: n");
  let net = networks.get(n);
  if (!net) {
    const total = switchCount(n);
    const a = new Uint32Array(total);
    const b = new Uint32Array(total);
    let next = 0;
    const emit = (x: number, y: number) => {
      a[next] = x;
      b[next] = y;
      next++;
    };
    const build = (w: number[]) => {
      const m = w.length;
      if (m < 2) return;
      if (m === 2) return emit(w[0], w[1]);
      const h = m >>> 1;
      const top: number[] = [];
      const bottom: number[] = [];
      for (let k = 0; k < h; k++) {
        emit(w[2 * k], w[2 * k + 1]);
        top.push(w[2 * k]);
        bottom.push(w[2 * k + 1]);
      }
      if (m & 1) bottom.push(w[m - 1]);
      build(top);
      build(bottom);
      for (let k = 0; k < outputSwitches(m); k++) emit(w[2 * k], w[2 * k + 1]);
    };
    build(Array.from({ length: n }, (_, i) => i));
    net = { n, a, b };
    networks.set(n, net);
  }
  return net;
}

/** Output switches of a size-m block: the last output (odd m) or the last pair (even m) is wired directly. */
function outputSwitches(m: number): number {
  return m & 1 ? m >>> 1 : (m >>> 1) - 1;
}

/**
 * The switch bits (one byte per switch, in network order) that make `waksmanNetwork(n)` send the element at input i
 * to output dest[i]. Deterministic, so a uniformly drawn `dest` gives a uniformly distributed routed permutation.
 */
export function routePermutation(dest: Uint32Array): Uint8Array {
  const n = dest.length;
  checkPermutation(dest, "routePermutation: dest");
  const bits = new Uint8Array(switchCount(n));
  let next = 0;
  // Emits bits in the order `waksmanNetwork` emits switches: input layer, top, bottom, output layer.
  const route = (p: Uint32Array) => {
    const m = p.length;
    if (m < 2) return;
    if (m === 2) {
      bits[next++] = p[0];
      return;
    }
    const h = m >>> 1;
    const inv = new Uint32Array(m);
    for (let i = 0; i < m; i++) inv[p[i]] = i;
    // color[i]: 0 sends input i through the top half, 1 through the bottom half. Inputs sharing an input switch,
    // and inputs bound for the two outputs of one output switch, must take different halves.
    const color = new Int8Array(m).fill(-1);
    const pairedOut = 2 * outputSwitches(m);
    const inPartner = (i: number) => (i < 2 * h ? i ^ 1 : -1);
    // Even m: outputs m−2 (top) and m−1 (bottom) are wired directly, so they too must come from different halves.
    const outPartner = (i: number) => (p[i] < pairedOut || !(m & 1) ? inv[p[i] ^ 1] : -1);
    const walk = (start: number, c: number) => {
      let i = start;
      let viaOut = true;
      for (;;) {
        color[i] = c;
        const j = viaOut ? outPartner(i) : inPartner(i);
        if (j < 0 || color[j] >= 0) return;
        i = j;
        c ^= 1;
        viaOut = !viaOut;
      }
    };
    // The wired bottom output (and, for odd m, the unswitched last input) fix the colour of one chain.
    if (m & 1) walk(m - 1, 1);
    else walk(inv[m - 1], 1);
    for (let i = 0; i < m; i++) if (color[i] < 0) walk(i, 0);
    const topDest = new Uint32Array(h);
    const bottomDest = new Uint32Array(m - h);
    for (let k = 0; k < h; k++) {
      bits[next++] = color[2 * k];
      const up = color[2 * k] ? 2 * k + 1 : 2 * k;
      topDest[k] = p[up] >>> 1;
      bottomDest[k] = p[up ^ 1] >>> 1;
    }
    if (m & 1) bottomDest[h] = p[m - 1] >>> 1;
    route(topDest);
    route(bottomDest);
    for (let k = 0; k < outputSwitches(m); k++) bits[next++] = color[inv[2 * k]];
  };
  route(dest);
  return bits;
}

function checkPermutation(dest: Uint32Array, field: string): void {
  checkSize(dest.length, `${field}.length`);
  const seen = new Uint8Array(dest.length);
  for (let i = 0; i < dest.length; i++) {
    const d = dest[i];
    if (d >= dest.length || seen[d]) throw new RangeError(`${field} is not a permutation of 0..${dest.length - 1} (entry ${i} is ${d})`);
    seen[d] = 1;
  }
}

/** Applies the network with the given switch bits to `items` in place (the plaintext twin of the protocol). */
export function applyNetwork<T>(net: Network, bits: Uint8Array, items: T[]): T[] {
  if (items.length !== net.n) throw new RangeError(`applyNetwork: items must have length ${net.n}, got ${items.length}`);
  if (bits.length !== net.a.length) throw new RangeError(`applyNetwork: bits must have length ${net.a.length}, got ${bits.length}`);
  for (let s = 0; s < bits.length; s++) {
    if (bits[s]) {
      const t = items[net.a[s]];
      items[net.a[s]] = items[net.b[s]];
      items[net.b[s]] = t;
    }
  }
  return items;
}

/** Source of uniform random bytes (the party's PRG). */
export interface RandomBytes {
  bytes(n: number): Uint8Array;
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates with rejection sampling, so no modulo bias). */
export function uniformPermutation(n: number, rng: RandomBytes): Uint32Array {
  checkSize(n, "uniformPermutation: n");
  const dest = new Uint32Array(n);
  for (let i = 0; i < n; i++) dest[i] = i;
  let pool = new Uint32Array(0);
  let used = 0;
  const next32 = () => {
    if (used === pool.length) {
      pool = new Uint32Array(rng.bytes(4 * Math.max(64, n)).slice().buffer);
      used = 0;
    }
    return pool[used++];
  };
  for (let i = n - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % bound); // accept only the largest multiple of `bound`
    let r = next32();
    while (r >= limit) r = next32();
    const j = r % bound;
    const t = dest[i];
    dest[i] = dest[j];
    dest[j] = t;
  }
  return dest;
}
