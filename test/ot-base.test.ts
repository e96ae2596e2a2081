import { describe, expect, it } from "vitest";
import { ristretto255 } from "@noble/curves/ed25519.js";
import { Prg } from "../src/core/prg.js";
import { ProtocolError } from "../src/net/errors.js";
import { BaseOtSender, baseOtReceive, KEY_BYTES, POINT_BYTES } from "../src/ot/base.js";
import { getBit } from "../src/core/bits.js";

const seed = (s: number) => Prg.fromSeed(new Uint8Array(16).fill(s));

describe("Chou–Orlandi base OT on ristretto255", () => {
  it("gives the receiver exactly the chosen key of each of 128 OTs", async () => {
    const n = 128;
    const sender = new BaseOtSender(await seed(1), n);
    const choices = (await seed(2)).bytes(n / 8);
    const { reply, keys } = baseOtReceive(await seed(3), sender.message, choices, n);
    expect(sender.message.length).toBe(POINT_BYTES);
    expect(reply.length).toBe(n * POINT_BYTES);
    const { k0, k1 } = sender.finish(reply);
    for (let i = 0; i < n; i++) {
      const want = getBit(choices, i) ? k1 : k0;
      const other = getBit(choices, i) ? k0 : k1;
      const got = keys.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES);
      expect(Array.from(got)).toEqual(Array.from(want.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES)));
      expect(Array.from(got)).not.toEqual(Array.from(other.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES)));
    }
  });

  it("keys differ between OTs with equal choices (the index is hashed in)", async () => {
    const sender = new BaseOtSender(await seed(4), 2);
    const { reply } = baseOtReceive(await seed(5), sender.message, new Uint8Array(1), 2);
    const { k0 } = sender.finish(reply);
    expect(Array.from(k0.subarray(0, 16))).not.toEqual(Array.from(k0.subarray(16, 32)));
  });

  it("rejects an invalid or identity point from the sender", async () => {
    const prg = await seed(6);
    const invalid = new Uint8Array(POINT_BYTES).fill(0xff);
    expect(() => baseOtReceive(prg, invalid, new Uint8Array(1), 1)).toThrow(ProtocolError);
    expect(() => baseOtReceive(prg, invalid, new Uint8Array(1), 1)).toThrow(/A is not a valid ristretto255 point/);
    const identity = ristretto255.Point.ZERO.toBytes();
    expect(() => baseOtReceive(prg, identity, new Uint8Array(1), 1)).toThrow(/A is the identity point/);
    expect(() => baseOtReceive(prg, new Uint8Array(31), new Uint8Array(1), 1)).toThrow(/A must be 32 bytes/);
  });

  it("rejects an invalid or identity point from the receiver, naming it", async () => {
    const sender = new BaseOtSender(await seed(7), 3);
    const { reply } = baseOtReceive(await seed(8), sender.message, new Uint8Array(1), 3);
    const bad = reply.slice();
    bad.fill(0xff, POINT_BYTES, 2 * POINT_BYTES);
    expect(() => sender.finish(bad)).toThrow(/B\[1\] is not a valid ristretto255 point/);
    const id = reply.slice();
    id.set(ristretto255.Point.ZERO.toBytes(), 2 * POINT_BYTES);
    expect(() => sender.finish(id)).toThrow(/B\[2\] is the identity point/);
    expect(() => sender.finish(reply.subarray(0, 64))).toThrow(ProtocolError);
  });

  it("checks its arguments", async () => {
    const prg = await seed(9);
    expect(() => new BaseOtSender(prg, 0)).toThrow(RangeError);
    expect(() => baseOtReceive(prg, new BaseOtSender(prg, 1).message, new Uint8Array(1), 9)).toThrow(/choices must hold 9 bits/);
  });
});
