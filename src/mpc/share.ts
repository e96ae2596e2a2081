// Creating and opening additive shares over Z_{2^l} and XOR shares of bit vectors.
import type { Ring } from "../core/ring.js";
import type { Party, Role } from "./party.js";
import { clearTail, packedLength } from "../core/bits.js";

function u64Bytes(a: BigUint64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function readU64(bytes: Uint8Array, n: number, field: string): BigUint64Array {
  if (bytes.length !== n * 8) throw new RangeError(`${field}: expected ${n * 8} bytes, got ${bytes.length}`);
  return new BigUint64Array(bytes.slice().buffer);
}

/**
 * Secret-shares `values` held by `owner` (the other party passes `n` only). The owner keeps values − r and sends r.
 */
export async function shareInput(p: Party, ring: Ring, owner: Role, n: number, values?: BigUint64Array): Promise<BigUint64Array> {
  if (p.role === owner) {
    if (!values || values.length !== n) throw new RangeError(`shareInput: values must have length ${n}`);
    const r = p.prg.u64(n, ring.bits);
    p.ch.send("share.input", u64Bytes(r));
    const mine = new BigUint64Array(n);
    for (let i = 0; i < n; i++) mine[i] = (values[i] - r[i]) & ring.mask;
    return mine;
  }
  return readU64(await p.ch.recv("share.input"), n, "share.input");
}

/** Opens shares to both parties. */
export async function reveal(p: Party, ring: Ring, x: BigUint64Array): Promise<BigUint64Array> {
  p.ch.send("share.reveal", u64Bytes(x));
  const other = readU64(await p.ch.recv("share.reveal"), x.length, "share.reveal");
  for (let i = 0; i < x.length; i++) other[i] = (other[i] + x[i]) & ring.mask;
  return other;
}

/** Opens shares to `to` only; the other party gets undefined. */
export async function revealTo(p: Party, ring: Ring, x: BigUint64Array, to: Role): Promise<BigUint64Array | undefined> {
  if (p.role !== to) {
    p.ch.send("share.revealTo", u64Bytes(x));
    return undefined;
  }
  const other = readU64(await p.ch.recv("share.revealTo"), x.length, "share.revealTo");
  for (let i = 0; i < x.length; i++) other[i] = (other[i] + x[i]) & ring.mask;
  return other;
}

/** Opens XOR-shared packed bits (n of them) to both parties. */
export async function revealBits(p: Party, bits: Uint8Array, n: number): Promise<Uint8Array> {
  const len = packedLength(n);
  if (bits.length < len) throw new RangeError(`revealBits: expected at least ${len} bytes for ${n} bits, got ${bits.length}`);
  p.ch.send("share.revealBits", bits.subarray(0, len));
  const other = await p.ch.recv("share.revealBits");
  if (other.length !== len) throw new RangeError(`share.revealBits: expected ${len} bytes, got ${other.length}`);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = other[i] ^ bits[i];
  return clearTail(out, n);
}
