// Typed wrappers over the ring and matrix kernels (assembly/ring.ts, assembly/matmul.ts). Every result is reduced
// mod 2^bits. Arrays allocated with `wasm().allocU64` are used in place; any other BigUint64Array is copied in and
// out around the call. An output may be one of the inputs (in place) but must not otherwise overlap them.
// Use the returned array: when a call grows kernel memory (copies, matmul scratch), earlier views of it detach.
import { wasm, type Wasm } from "./wasm.js";

/** The raw exports of the ring and matrix kernels, with their argument types. Pointers are byte offsets. */
export interface RingKernelExports {
  ringAdd(c: number, a: number, b: number, n: number, bits: number): void;
  ringSub(c: number, a: number, b: number, n: number, bits: number): void;
  ringNeg(c: number, a: number, n: number, bits: number): void;
  ringMul(c: number, a: number, b: number, n: number, bits: number): void;
  ringMulScalar(c: number, a: number, s: bigint, n: number, bits: number): void;
  ringAddScalar(c: number, a: number, s: bigint, n: number, bits: number): void;
  ringReduce(c: number, a: number, n: number, bits: number): void;
  matmulPackedBytes(k: number, n: number): number;
  matmul(c: number, a: number, b: number, bp: number, m: number, k: number, n: number, j0: number, j1: number, bits: number): void;
}

export function ringKernels(w: Wasm): RingKernelExports {
  return w.k as unknown as RingKernelExports;
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new RangeError(`bits must be an integer in [1, 64], got ${bits}`);
}

function checkArray(name: string, a: unknown, length?: number): asserts a is BigUint64Array {
  if (!(a instanceof BigUint64Array)) throw new TypeError(`${name} must be a BigUint64Array`);
  if (length !== undefined && a.length !== length) throw new RangeError(`${name} has length ${a.length}, expected ${length}`);
}

function overlaps(x: BigUint64Array, y: BigUint64Array): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

/** An output array: `out` checked (same length, no partial overlap with an input) or a new array. */
function output(out: BigUint64Array | undefined, n: number, inputs: Record<string, BigUint64Array>, inPlace: boolean): BigUint64Array {
  if (out === undefined) return new BigUint64Array(n);
  checkArray("out", out, n);
  for (const [name, a] of Object.entries(inputs)) {
    const same = inPlace && a.buffer === out.buffer && a.byteOffset === out.byteOffset;
    if (!same && overlaps(a, out)) throw new RangeError(`out overlaps ${name}${inPlace ? " without being the same array" : ""}`);
  }
  return out;
}

function checkScalar(s: unknown): bigint {
  if (typeof s !== "bigint") throw new TypeError(`s must be a bigint, got ${typeof s}`);
  return BigInt.asUintN(64, s);
}

/**
 * Runs a kernel with pointers to `c` then `inputs`, and returns the output. `lend` does not copy an output in, so
 * when `c` is also an input and lives outside kernel memory the result goes to a fresh array and is copied over.
 * Growing a private memory detaches its views: if `c` lived in kernel memory, a live view of it is returned.
 */
function run(w: Wasm, c: BigUint64Array, inputs: BigUint64Array[], kernel: (pc: number, ...pin: number[]) => void): BigUint64Array {
  const [owned, offset, n] = [w.owns(c), c.byteOffset, c.length];
  const aliased = !owned && inputs.some((x) => x.buffer === c.buffer && x.byteOffset === offset);
  const r = aliased ? new BigUint64Array(n) : c;
  w.lend([r, ...inputs], [r], kernel);
  if (aliased) c.set(r);
  return owned && !w.owns(c) ? w.u64(offset, n) : c;
}

type Binary = "ringAdd" | "ringSub" | "ringMul";
type Unary = "ringNeg" | "ringReduce";
type WithScalar = "ringMulScalar" | "ringAddScalar";

function binary(kernel: Binary, a: BigUint64Array, b: BigUint64Array, bits: number, out?: BigUint64Array): BigUint64Array {
  checkArray("a", a);
  checkArray("b", b, a.length);
  checkBits(bits);
  const c = output(out, a.length, { a, b }, true);
  const w = wasm();
  const n = a.length; // read now: a view in kernel memory detaches if the call grows it
  return run(w, c, [a, b], (pc, pa, pb) => ringKernels(w)[kernel](pc, pa, pb, n, bits));
}

function unary(kernel: Unary, a: BigUint64Array, bits: number, out?: BigUint64Array): BigUint64Array {
  checkArray("a", a);
  checkBits(bits);
  const c = output(out, a.length, { a }, true);
  const w = wasm();
  const n = a.length;
  return run(w, c, [a], (pc, pa) => ringKernels(w)[kernel](pc, pa, n, bits));
}

function withScalar(kernel: WithScalar, a: BigUint64Array, s: bigint, bits: number, out?: BigUint64Array): BigUint64Array {
  checkArray("a", a);
  const s64 = checkScalar(s);
  checkBits(bits);
  const c = output(out, a.length, { a }, true);
  const w = wasm();
  const n = a.length;
  return run(w, c, [a], (pc, pa) => ringKernels(w)[kernel](pc, pa, s64, n, bits));
}

/** (a + b) mod 2^bits, lane by lane. */
export function add(a: BigUint64Array, b: BigUint64Array, bits = 64, out?: BigUint64Array): BigUint64Array {
  return binary("ringAdd", a, b, bits, out);
}

/** (a − b) mod 2^bits, lane by lane. */
export function sub(a: BigUint64Array, b: BigUint64Array, bits = 64, out?: BigUint64Array): BigUint64Array {
  return binary("ringSub", a, b, bits, out);
}

/** (a · b) mod 2^bits, lane by lane. */
export function mul(a: BigUint64Array, b: BigUint64Array, bits = 64, out?: BigUint64Array): BigUint64Array {
  return binary("ringMul", a, b, bits, out);
}

/** (−a) mod 2^bits. */
export function neg(a: BigUint64Array, bits = 64, out?: BigUint64Array): BigUint64Array {
  return unary("ringNeg", a, bits, out);
}

/** a mod 2^bits. */
export function reduce(a: BigUint64Array, bits: number, out?: BigUint64Array): BigUint64Array {
  return unary("ringReduce", a, bits, out);
}

/** (a · s) mod 2^bits for a constant s (any bigint; negative values wrap mod 2^64). */
export function mulScalar(a: BigUint64Array, s: bigint, bits = 64, out?: BigUint64Array): BigUint64Array {
  return withScalar("ringMulScalar", a, s, bits, out);
}

/** (a + s) mod 2^bits for a constant s (any bigint; negative values wrap mod 2^64). */
export function addScalar(a: BigUint64Array, s: bigint, bits = 64, out?: BigUint64Array): BigUint64Array {
  return withScalar("ringAddScalar", a, s, bits, out);
}

/** Checks the arguments of a matrix product and returns its output array (`out` or a new one). */
export function matmulOutput(
  a: BigUint64Array,
  b: BigUint64Array,
  m: number,
  k: number,
  n: number,
  bits: number,
  out?: BigUint64Array,
): BigUint64Array {
  for (const [name, v] of [["m", m], ["k", k], ["n", n]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  checkArray("a", a, m * k);
  checkArray("b", b, k * n);
  checkBits(bits);
  return output(out, m * n, { a, b }, false);
}

/** C = A·B mod 2^bits for row-major A (m×k), B (k×n); C (m×n) is `out` or a new array. One thread. */
export function matmul(
  a: BigUint64Array,
  b: BigUint64Array,
  m: number,
  k: number,
  n: number,
  bits = 64,
  out?: BigUint64Array,
): BigUint64Array {
  const c = matmulOutput(a, b, m, k, n, bits, out);
  const w = wasm();
  const kern = ringKernels(w);
  return run(w, c, [a, b], (pc, pa, pb) => {
    const bp = w.alloc(kern.matmulPackedBytes(k, n));
    try {
      kern.matmul(pc, pa, pb, bp, m, k, n, 0, n, bits);
    } finally {
      w.free(bp);
    }
  });
}
