// Seeded uploads without SEAL's u64 padding: the receiver gets SEAL's exact bytes back, at the edges of each residue
// range too, and damaged messages are protocol errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BitReader, BitWriter } from "../src/he/bitstream.js";
import type { HeContext } from "../src/he/context.js";
import type { Encryptor, SecretKey } from "../src/he/seal.js";
import { UploadCodec } from "../src/he/upload.js";
import { ProtocolError } from "../src/net/errors.js";
import { decryptSlots, firstPrimeKeys } from "./he-util.js";

/** Byte equality without a per-element diff (the arrays hold about 200 kB). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe("bit streams", () => {
  it("round-trip values of every width from 0 to 130 bits, at 0, 1, the maximum and random", () => {
    const items: [bigint, number][] = [];
    for (let w = 0; w <= 130; w++) {
      const max = (1n << BigInt(w)) - 1n;
      const rnd = w === 0 ? 0n : BigInt("0x" + Array.from({ length: 34 }, () => Math.floor(Math.random() * 16).toString(16)).join("")) & max;
      for (const v of [0n, w > 0 ? 1n : 0n, max, rnd]) items.push([v, w]);
    }
    const bits = items.reduce((a, [, w]) => a + w, 0);
    const wr = new BitWriter(Math.ceil(bits / 8));
    for (const [v, w] of items) wr.write(v, w);
    const bytes = wr.finish();
    expect(bytes.length).toBe(Math.ceil(bits / 8));
    const rd = new BitReader(bytes);
    for (const [v, w] of items) if (rd.read(w) !== v) throw new Error(`width ${w}: ${v} did not come back`);
    expect(() => new BitWriter(bytes.length + 1).finish()).toThrow(RangeError);
  });
});

describe("UploadCodec", () => {
  let ctx: HeContext;
  let sk: SecretKey;
  let enc: Encryptor;
  let codec: UploadCodec;
  let saved: Uint8Array;
  const slots = (): BigUint64Array => BigUint64Array.from({ length: ctx.slots }, (_, i) => BigInt(i * 3 + 1));

  beforeAll(async () => {
    ({ ctx, sk, enc } = await firstPrimeKeys());
    const s = ctx.seal;
    const pc = ctx.primes[0];
    codec = new UploadCodec(ctx.slots, ctx.dataModuli);
    const pt = pc.encoder.encode(slots()) as ReturnType<typeof s.PlainText>;
    const ser = enc.encryptSymmetricSerializable(pt);
    saved = ser.saveArray(s.ComprModeType.none);
    ser.delete();
    pt.delete();
  }, 60_000);

  afterAll(() => {
    enc?.delete();
    sk?.delete();
    ctx?.delete();
  });

  it("round-trips SEAL's bytes exactly and saves the padding bits", () => {
    const packed = codec.pack(saved);
    const bits = ctx.dataModuli.reduce((a, q) => a + (q - 1n).toString(2).length, 0);
    expect(packed.length).toBe(saved.length - ctx.slots * ctx.dataModuli.length * 8 + Math.ceil((ctx.slots * bits) / 8));
    expect(packed.length).toBeLessThan(0.95 * saved.length);
    expect(same(codec.unpack(packed, "in"), saved)).toBe(true);
  });

  it("keeps residues 0, 1, q − 1 and 2^32 ± 1 of every prime", () => {
    const bytes = saved.slice();
    const view = new DataView(bytes.buffer);
    const n = ctx.slots;
    const data = bytes.length - 81 - ctx.dataModuli.length * n * 8; // the seed record after c0 is 81 bytes
    ctx.dataModuli.forEach((q, j) => {
      [0n, 1n, q - 1n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 1n].forEach((v, e) => view.setBigUint64(data + (j * n + e * 97) * 8, v, true));
    });
    expect(same(codec.unpack(codec.pack(bytes), "in"), bytes)).toBe(true);
  });

  it("loads and decrypts after the round trip", () => {
    expect(decryptSlots(ctx, sk, codec.unpack(codec.pack(saved), "in"))).toEqual(slots());
  });

  it("names the message when a packed upload is truncated or malformed", () => {
    const packed = codec.pack(saved);
    expect(() => codec.unpack(packed.subarray(0, 200), "he.product.in")).toThrow(ProtocolError);
    const bad = packed.slice();
    bad[105] ^= 1; // the element count
    expect(() => codec.unpack(bad, "he.product.in")).toThrow(/he.product.in/);
    expect(() => codec.pack(saved.subarray(0, 100))).toThrow(RangeError);
  });
});
