// What the linear layers need from a homomorphic-encryption backend: exact shares of A·W where the client holds A
// (shares in Z_2^l) and the server holds an integer matrix W. Two backends implement it: `simd` (coefficient
// encoding on this project's WebAssembly RLWE kernels, src/he/simd/) and `seal` (slot encoding on node-seal).
import type { Ring } from "../core/ring.js";
import type { Party, Role } from "../mpc/party.js";
import type { ProductRunner } from "./product.js";
import type { HeSession } from "./session.js";
import type { GroupAnswer, ServerKeys, SimdTask } from "./simd/evaluate.js";
import type { SimdParams } from "./simd/params.js";

export type HeKind = "simd" | "seal";
export const HE_KINDS: readonly HeKind[] = ["simd", "seal"];
export const DEFAULT_HE_KIND: HeKind = "simd";

/** A product shape the session must support: X (n×k, entries of aBits signed bits) times W (k×m, wBits). */
export interface HePlan {
  n: number;
  k: number;
  m: number;
  aBits: number;
  wBits: number;
}

/** One product of a batch: the client passes `a` (n×k ring shares), the server `w` (k×m signed integers). */
export interface ProductItem {
  plan: HePlan;
  a?: BigUint64Array;
  w?: BigInt64Array;
}

export interface HeBackend {
  readonly kind: HeKind;
  readonly role: Role;
  /**
   * Shares of A_i·W_i mod 2^l for every item (row-major n×m), with one message each way for the whole batch.
   * Exact for any A and any W within its declared bits; reveals nothing beyond the shapes.
   */
  products(p: Party, ring: Ring, items: ProductItem[]): Promise<BigUint64Array[]>;
  /** The server's work for these plans, in backend-specific units: only compared with itself (pruned layers' padding). */
  cost(plans: HePlan[]): number;
  /**
   * Moves the server's HE work onto `threads` worker threads started by `start` (0: back to this thread; the client
   * ignores it).
   */
  startWorkers(threads: number, start?: HeThreads): Promise<void>;
  /** Stops the workers and frees every native object. */
  close(): Promise<void>;
}

export function checkHeKind(kind: string, field = "he"): HeKind {
  if (!(HE_KINDS as readonly string[]).includes(kind)) throw new RangeError(`${field} must be one of ${HE_KINDS.join(", ")}, got ${JSON.stringify(kind)}`);
  return kind as HeKind;
}

/** Worker threads running a backend's server work; `close` stops them (or leaves shared ones to other sessions). */
export interface HeWorkers<T, R> {
  run(tasks: T[]): Promise<R[]>;
  close(): Promise<void>;
}

/** The seal backend's products on worker threads; `close` stops them. */
export type SealWorkers = ProductRunner & { close(): Promise<void> };

/**
 * Starts a backend's worker threads. Node's (piscina) is `nodeHeThreads` in threads.ts; callers pass it to
 * startWorkers, so that no backend imports a thread library and a browser page can run the client side.
 */
export interface HeThreads {
  seal(session: HeSession, threads: number): Promise<SealWorkers>;
  simd(params: SimdParams, server: ServerKeys, threads: number): Promise<HeWorkers<SimdTask, GroupAnswer | null>>;
}

/** The error of a server asked for threads without a way to start them. */
export function noThreads(threads: number): RangeError {
  return new RangeError(`startWorkers(${threads}): pass the thread starter (nodeHeThreads from src/he/threads.ts in Node)`);
}
