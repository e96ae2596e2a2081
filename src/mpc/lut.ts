// Table lookup on a shared index from a small domain by one 1-of-2^m OT per element (server = OT sender).
import type { Ring } from "../core/ring.js";
import type { Party } from "./party.js";
import { wasm } from "../core/wasm.js";
import { mpcKernels } from "../core/mpc-kernels.js";

const MAX_MESSAGES = 1 << 22;

/**
 * Shares in `outRing` of table[x] for x = x_s + x_c mod 2^m, 1 ≤ m ≤ 8. The table (2^m entries) is read on the
 * server only; the client may pass an empty array. The server rotates the table by its share, masks every entry
 * with a fresh r and serves a 1-of-2^m OT chosen by the client's share; its output share is r.
 * Cost per lookup: 256 + 2^m·l bits; two rounds per 2^22/2^m lookups. Shares of x in a larger ring may be passed as they are: only their
 * low m bits are used.
 */
export async function lut(p: Party, table: BigUint64Array, x: BigUint64Array, m: number, outRing: Ring): Promise<BigUint64Array> {
  if (!Number.isInteger(m) || m < 1 || m > 8) throw new RangeError(`lut: m must be an integer in [1, 8], got ${m}`);
  if (!(x instanceof BigUint64Array)) throw new TypeError("lut: x must be a BigUint64Array");
  const size = 1 << m;
  if (p.isServer && (!(table instanceof BigUint64Array) || table.length !== size)) {
    throw new RangeError(`lut: table must be a BigUint64Array of ${size} entries, got ${table?.length}`);
  }
  const n = x.length;
  const low = size - 1;
  return p.scope("lut", async () => {
    const digits = lowDigits(x, low);
    const out = new BigUint64Array(n);
    // Lookups per OT call: bounds the server's n·2^m messages held at once (32 MiB).
    const chunk = Math.max(1, Math.floor(MAX_MESSAGES / size));
    for (let from = 0; from < n; from += chunk) {
      const part = digits.subarray(from, from + chunk);
      if (p.isServer) {
        const r = p.prg.u64(part.length, outRing.bits);
        await p.ot.otNSend(maskedRotations(table, part, r, outRing.mask), size, outRing.bits);
        out.set(r, from);
      } else {
        out.set(await p.ot.otNRecv(part, size, outRing.bits), from);
      }
    }
    return out;
  });
}

/** x_e mod 2^m, one byte each. */
function lowDigits(x: BigUint64Array, low: number): Uint8Array {
  const w = new Uint32Array(x.buffer, x.byteOffset, 2 * x.length);
  const out = new Uint8Array(x.length);
  for (let e = 0; e < x.length; e++) out[e] = w[2 * e] & low;
  return out;
}

/** Message j of lookup e: table[(j + shift_e) mod 2^m] − r_e mod 2^l, by the kernel. */
function maskedRotations(table: BigUint64Array, shifts: Uint8Array, r: BigUint64Array, mask: bigint): BigUint64Array {
  const size = table.length;
  const msgs = new BigUint64Array(shifts.length * size);
  const w = wasm();
  w.lend([msgs, table, shifts, r], [msgs], (pm, pt, ps, pr) => mpcKernels(w).lutRotations(pm, pt, ps, pr, shifts.length, size, mask));
  return msgs;
}
