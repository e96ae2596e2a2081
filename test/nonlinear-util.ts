// Runs a fixed-point function on both engines: the plaintext twin on the values, the protocol on shares of them.
import type { Ring } from "../src/core/ring.js";
import { PlainFx, SecureFx, type Fx, type Lanes } from "../src/nonlinear/engine.js";
import { open, share, type Pair } from "./mpc-util.js";

export interface BothEngines {
  plain: BigUint64Array;
  secure: BigUint64Array;
  /** Bits per input element, both directions, of the protocol run. */
  bitsPerElement: number;
}

export async function runBoth(pair: Pair, ring: Ring, x: BigUint64Array, fn: (E: Fx, x: Lanes) => Promise<Lanes>, outRing = ring): Promise<BothEngines> {
  const plain = await fn(new PlainFx(), x);
  const [xs, xc] = share(x, ring);
  const { result, traffic } = await pair.measured((p) => fn(new SecureFx(p), p.isServer ? xs : xc));
  return { plain, secure: open(result, outRing), bitsPerElement: (traffic.bytes * 8) / x.length };
}

/** Encodes reals at the ring's scale. */
export function fixed(xs: number[], ring: Ring): BigUint64Array {
  return ring.encodeArray(xs);
}

/** Largest |twin − f| over the inputs, in real units. */
export function maxError(ring: Ring, xs: number[], out: BigUint64Array, f: (x: number) => number): { max: number; at: number } {
  let max = 0;
  let at = Number.NaN;
  xs.forEach((x, i) => {
    const e = Math.abs(ring.decode(out[i]) - f(x));
    if (e > max) {
      max = e;
      at = x;
    }
  });
  return { max, at };
}

/** n evenly spaced points on [a, b]. */
export function grid(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}
