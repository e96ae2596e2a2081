// Base OT: Chou–Orlandi "Simplest OT" on ristretto255, semi-honest, batched (one point each way per flight).
// The sender publishes A = aG; the receiver answers B_i = b_iG, or A + b_iG for choice 1; the keys are
// H(i, A, B_i, aB_i) and H(i, A, B_i, a(B_i − A)); the receiver knows H(i, A, B_i, b_iA), the one it chose.
// Split into pure steps so that both directions can share the same two flights.
import { ristretto255 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ProtocolError } from "../net/errors.js";
import type { Prg } from "../core/prg.js";
import { getBit } from "../core/bits.js";

const Point = ristretto255.Point;
type Point = InstanceType<typeof Point>;

/** Bytes of one encoded point. */
export const POINT_BYTES = 32;
/** Bytes of one derived key. */
export const KEY_BYTES = 16;
const DOMAIN = new TextEncoder().encode("cipherprune/ot/base/v1");

function scalar(prg: Prg): bigint {
  // 512 random bits reduced mod the group order: statistically uniform.
  const b = prg.bytes(64);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  const s = Point.Fn.create(v);
  return s === 0n ? 1n : s;
}

function decodePoint(bytes: Uint8Array, field: string): Point {
  let p: Point;
  try {
    p = Point.fromBytes(bytes);
  } catch (e) {
    throw new ProtocolError(`base OT: ${field} is not a valid ristretto255 point (${(e as Error).message})`);
  }
  if (p.is0()) throw new ProtocolError(`base OT: ${field} is the identity point`);
  return p;
}

/** H(domain, i, A, B_i, P) truncated to a 128-bit key, written at out[16i..16i+16). */
function deriveKey(i: number, a: Uint8Array, b: Uint8Array, p: Point, out: Uint8Array): void {
  const buf = new Uint8Array(DOMAIN.length + 4 + 3 * POINT_BYTES);
  buf.set(DOMAIN, 0);
  new DataView(buf.buffer).setUint32(DOMAIN.length, i, true);
  buf.set(a, DOMAIN.length + 4);
  buf.set(b, DOMAIN.length + 4 + POINT_BYTES);
  buf.set(p.toBytes(), DOMAIN.length + 4 + 2 * POINT_BYTES);
  out.set(sha256(buf).subarray(0, KEY_BYTES), i * KEY_BYTES);
}

/** The sending side of a batch of n base OTs. */
export class BaseOtSender {
  private readonly a: bigint;
  private readonly aBytes: Uint8Array;
  private readonly n: number;

  constructor(prg: Prg, n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`BaseOtSender: n must be a positive integer, got ${n}`);
    this.n = n;
    this.a = scalar(prg);
    this.aBytes = Point.BASE.multiply(this.a).toBytes();
  }

  /** The first flight: A. */
  get message(): Uint8Array {
    return this.aBytes;
  }

  /** Both keys of every OT from the receiver's points (n × 32 bytes): k0 and k1, 16 bytes per OT each. */
  finish(reply: Uint8Array): { k0: Uint8Array; k1: Uint8Array } {
    if (reply.length !== this.n * POINT_BYTES) {
      throw new ProtocolError(`base OT: reply must be ${this.n * POINT_BYTES} bytes, got ${reply.length}`);
    }
    const aA = Point.BASE.multiply(Point.Fn.mul(this.a, this.a)); // a·A = a²·G, on the precomputed base
    const k0 = new Uint8Array(this.n * KEY_BYTES);
    const k1 = new Uint8Array(this.n * KEY_BYTES);
    for (let i = 0; i < this.n; i++) {
      const bBytes = reply.subarray(i * POINT_BYTES, (i + 1) * POINT_BYTES);
      const aB = decodePoint(bBytes, `B[${i}]`).multiply(this.a);
      deriveKey(i, this.aBytes, bBytes, aB, k0);
      deriveKey(i, this.aBytes, bBytes, aB.subtract(aA), k1);
    }
    return { k0, k1 };
  }
}

/**
 * The receiving side: from the sender's A and bit-packed choices, the reply (n points) and the chosen keys
 * (16 bytes per OT).
 */
export function baseOtReceive(
  prg: Prg,
  senderMessage: Uint8Array,
  choices: Uint8Array,
  n: number,
): { reply: Uint8Array; keys: Uint8Array } {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`baseOtReceive: n must be a positive integer, got ${n}`);
  if (choices.length * 8 < n) throw new RangeError(`baseOtReceive: choices must hold ${n} bits, got ${choices.length} bytes`);
  if (senderMessage.length !== POINT_BYTES) {
    throw new ProtocolError(`base OT: A must be ${POINT_BYTES} bytes, got ${senderMessage.length}`);
  }
  // One A for the whole batch: a small window table makes the n multiplications by it ≈3× faster.
  const A = decodePoint(senderMessage, "A").precompute(4, false);
  const reply = new Uint8Array(n * POINT_BYTES);
  const keys = new Uint8Array(n * KEY_BYTES);
  for (let i = 0; i < n; i++) {
    const b = scalar(prg);
    const bG = Point.BASE.multiply(b);
    const B = getBit(choices, i) ? bG.add(A) : bG;
    const bBytes = B.toBytes();
    reply.set(bBytes, i * POINT_BYTES);
    deriveKey(i, senderMessage, bBytes, A.multiply(b), keys);
  }
  return { reply, keys };
}
