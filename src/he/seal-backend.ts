// The `seal` HE backend: slot encoding on node-seal (session.ts, product.ts), with the server's products optionally
// on worker threads (pool.ts, started through threads.ts).
import type { Ring } from "../core/ring.js";
import type { Party, Role } from "../mpc/party.js";
import { noThreads, type HeBackend, type HePlan, type HeThreads, type ProductItem, type SealWorkers } from "./backend.js";
import { layoutFor, layoutWork } from "./layout.js";
import { DEFAULT_HE, type HeParams } from "./params.js";
import { heProducts } from "./product.js";
import { HeSession } from "./session.js";

/** Server work of the plans in units of one diagonal product (layoutWork), with `slots` slots per ciphertext. */
export function sealCost(plans: HePlan[], slots: number = DEFAULT_HE.polyDegree): number {
  return plans.reduce((sum, pl) => sum + layoutWork(layoutFor(slots, pl.n, pl.k, pl.m)), 0);
}

export class SealBackend implements HeBackend {
  readonly kind = "seal" as const;
  private pool?: SealWorkers;
  private closed = false;

  private constructor(readonly session: HeSession) {}

  /** Runs the HE handshake and key exchange (HeSession.setup); both parties pass the same plans. */
  static async setup(p: Party, plans: HePlan[], params: HeParams = DEFAULT_HE): Promise<SealBackend> {
    return new SealBackend(await HeSession.setup(p, plans, params));
  }

  get role(): Role {
    return this.session.role;
  }

  products(p: Party, ring: Ring, items: ProductItem[]): Promise<BigUint64Array[]> {
    return heProducts(p, this.session, ring, items, this.pool);
  }

  cost(plans: HePlan[]): number {
    return sealCost(plans, this.session.ctx.slots);
  }

  /** Replaces any running workers; 0 brings the products back to this thread. */
  async startWorkers(threads: number, start?: HeThreads): Promise<void> {
    if (!Number.isInteger(threads) || threads < 0) throw new RangeError(`startWorkers: threads must be a non-negative integer, got ${threads}`);
    if (this.closed) throw new TypeError("SealBackend: closed");
    const old = this.pool;
    this.pool = undefined;
    await old?.close();
    if (this.role !== "server" || threads === 0) return;
    if (start === undefined) throw noThreads(threads);
    this.pool = await start.seal(this.session, threads);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool?.close();
    } finally {
      this.pool = undefined;
      this.session.delete();
    }
  }
}
