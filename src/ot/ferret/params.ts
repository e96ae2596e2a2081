// Ferret's primal-LPN parameter sets (regular noise, one GGM tree per bin). SECURITY-class: never tune these for
// speed. The production presets are emp-ot v1's, copied number for number from
//   emp-toolkit/emp-ot, emp-ot/tuning.h, commit 07a6c79274ead0578ead11ce856b15b1d87b8170:
//     ferret_b13 = PrimalLPNParameter(1900, 19, 13)   // t, log2 k, tree depth; N = 15,564,800
//     ferret_b11 = PrimalLPNParameter(1170, 17, 11)   // N = 2,396,160
// ("each t is the largest value the (logk, tree_depth) pair admits at the 128-bit floor" of emp's regular-LPN
// estimator; the hybrid attack binds). emp's M adds 128 base COTs for the malicious χ-check; this semi-honest
// implementation has no check, so M = k + t·d here.
// The LPN code has lpn_d = 10 non-zeros per output (emp's tuning::lpn_d).

export interface FerretParams {
  /** Name, for handshakes and error messages. */
  readonly name: string;
  /** Trees (noise weight) per round. */
  readonly t: number;
  /** log2 of k, the length of the LPN secret (k is a power of two so that `index & (k − 1)` is uniform). */
  readonly logk: number;
  /** Tree depth: each tree (bin) has 2^depth leaves, and costs `depth` base COTs and `depth` blocks on the wire. */
  readonly depth: number;
  /** True only for parameter sets that are not secure and exist for tests. */
  readonly insecure?: boolean;
}

/** Non-zeros per row of the LPN matrix (emp-ot tuning::lpn_d). */
export const LPN_D = 10;

/** emp-ot v1 ferret_b13 (tuning.h, commit 07a6c79): t = 1900, k = 2^19, depth 13. */
export const FERRET_B13: FerretParams = Object.freeze({ name: "ferret_b13", t: 1900, logk: 19, depth: 13 });
/** emp-ot v1 ferret_b11 (tuning.h, commit 07a6c79): t = 1170, k = 2^17, depth 11. */
export const FERRET_B11: FerretParams = Object.freeze({ name: "ferret_b11", t: 1170, logk: 17, depth: 11 });
/** Test only, NOT secure: 32 trees of 64 leaves, k = 512; 1344 user COTs per round, so tests see many rounds. */
export const FERRET_TINY: FerretParams = Object.freeze({ name: "ferret_tiny_insecure", t: 32, logk: 9, depth: 6, insecure: true });

/** Sizes derived from a parameter set (semi-honest: no χ-check COTs). */
export interface FerretShape {
  k: number;
  /** Leaves per tree. */
  leaves: number;
  /** Outputs per round, t·2^depth. */
  n: number;
  /** Base COTs per round: k (LPN secret) + t·depth (one per tree level). */
  m: number;
  /** The round's last trees, whose outputs become the next round's base COTs: ⌈M / 2^depth⌉. */
  refillTrees: number;
  /** Trees per round whose outputs go to the user. */
  userTrees: number;
  /** COTs per round for the user. */
  userCots: number;
  /** Correction bytes per round, sender → receiver (t·depth blocks). */
  roundBytes: number;
}

export function ferretShape(p: FerretParams): FerretShape {
  checkParams(p);
  const k = 2 ** p.logk;
  const leaves = 2 ** p.depth;
  const m = k + p.t * p.depth;
  const refillTrees = Math.ceil(m / leaves);
  const userTrees = p.t - refillTrees;
  return { k, leaves, n: p.t * leaves, m, refillTrees, userTrees, userCots: userTrees * leaves, roundBytes: 16 * p.t * p.depth };
}

function checkParams(p: FerretParams): void {
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(p.t, 1, 1 << 20)) throw new RangeError(`Ferret ${p.name}: t must be an integer in [1, 2^20], got ${p.t}`);
  if (!int(p.logk, 1, 24)) throw new RangeError(`Ferret ${p.name}: logk must be an integer in [1, 24], got ${p.logk}`);
  // At least 3: a tree's choice bits are then whole bytes, which the receiver's bit streams rely on.
  if (!int(p.depth, 3, 20)) throw new RangeError(`Ferret ${p.name}: depth must be an integer in [3, 20], got ${p.depth}`);
  const m = 2 ** p.logk + p.t * p.depth;
  if (Math.ceil(m / 2 ** p.depth) >= p.t) throw new RangeError(`Ferret ${p.name}: the refill trees (${Math.ceil(m / 2 ** p.depth)}) leave no user trees of ${p.t}`);
}
