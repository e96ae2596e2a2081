// Network cost model: turns a measured run (compute time, bytes, rounds) into an estimated time on a link.
// estimated ms = compute ms + bytes·8 / bandwidth + rounds · RTT/2, where a round is one flight of messages in one
// direction (DESIGN.md §5; `PairTraffic.rounds` in memory.ts). Bytes count both directions: the link is taken as
// shared, as in the CipherPrune and BOLT papers' LAN/WAN settings.

export interface Link {
  name: string;
  /** Bandwidth in bits per second. */
  bitsPerSecond: number;
  /** Round-trip time in milliseconds. */
  rttMs: number;
}

export const LAN: Readonly<Link> = Object.freeze({ name: "LAN", bitsPerSecond: 3e9, rttMs: 0.8 });
export const WAN: Readonly<Link> = Object.freeze({ name: "WAN", bitsPerSecond: 200e6, rttMs: 40 });

export interface RunCost {
  /** Measured compute (wall-clock) time in ms. */
  ms: number;
  /** Bytes on the wire, both directions. */
  bytes: number;
  /** Flights (one-way message batches). */
  rounds: number;
}

export interface CostBreakdown {
  computeMs: number;
  transferMs: number;
  latencyMs: number;
  totalMs: number;
}

function nonNegative(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new RangeError(`${field} must be a finite number ≥ 0, got ${String(v)}`);
  return v;
}

/** Validates a custom link (e.g. a shaped link to compare against). */
export function link(name: string, bitsPerSecond: number, rttMs: number): Link {
  if (!(nonNegative(bitsPerSecond, "bitsPerSecond") > 0)) throw new RangeError("bitsPerSecond must be positive");
  return { name, bitsPerSecond, rttMs: nonNegative(rttMs, "rttMs") };
}

export function estimate(l: Link, run: RunCost): CostBreakdown {
  const computeMs = nonNegative(run.ms, "ms");
  const transferMs = (nonNegative(run.bytes, "bytes") * 8 * 1000) / l.bitsPerSecond;
  const latencyMs = (nonNegative(run.rounds, "rounds") * l.rttMs) / 2;
  return { computeMs, transferMs, latencyMs, totalMs: computeMs + transferMs + latencyMs };
}

/** Estimated total time in ms of `run` on link `l`. */
export function estimateMs(l: Link, run: RunCost): number {
  return estimate(l, run).totalMs;
}
