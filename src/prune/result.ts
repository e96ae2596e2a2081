// What every pruning method returns: the kept rows (shared), the public count, and this party's traffic counters.
import type { Party } from "../mpc/party.js";

/** Traffic and time of one protocol run as seen by one party. */
export interface PruneCounters {
  bytesSent: number;
  bytesReceived: number;
  flightsSent: number;
  flightsReceived: number;
  ms: number;
}

export interface PruneResult {
  /** Shares of the kept rows, kept × d lanes, [CLS] first. */
  rows: BigUint64Array;
  /** Number of kept tokens (public). */
  kept: number;
  d: number;
  counters: PruneCounters;
}

/** Runs `fn` and returns its result with this party's traffic and wall-clock time during the run. */
export async function counted<T>(p: Party, fn: () => Promise<T>): Promise<{ value: T; counters: PruneCounters }> {
  const t = p.ch.traffic;
  const before = { ...t };
  const start = performance.now();
  const value = await fn();
  const after = p.ch.traffic;
  return {
    value,
    counters: {
      bytesSent: after.bytesSent - before.bytesSent,
      bytesReceived: after.bytesReceived - before.bytesReceived,
      flightsSent: after.flightsSent - before.flightsSent,
      flightsReceived: after.flightsReceived - before.flightsReceived,
      ms: performance.now() - start,
    },
  };
}

/** Checks the shape of a row matrix and its scores, naming the failing argument. */
export function checkInputs(fn: string, rows: BigUint64Array, scores: BigUint64Array, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`${fn}: d must be a positive integer, got ${d}`);
  if (!(rows instanceof BigUint64Array)) throw new TypeError(`${fn}: rows must be a BigUint64Array`);
  if (!(scores instanceof BigUint64Array)) throw new TypeError(`${fn}: scores must be a BigUint64Array`);
  if (rows.length !== n * d) throw new RangeError(`${fn}: rows must hold n × d = ${n * d} lanes, got ${rows.length}`);
  if (scores.length !== n) throw new RangeError(`${fn}: scores must hold n = ${n} lanes, got ${scores.length}`);
}
