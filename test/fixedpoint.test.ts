import { describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { clearTail, getBit, packBits, packedLength, setBit, unpackBits, xorBits } from "../src/core/bits.js";

describe("Ring", () => {
  it("rejects bad parameters, naming them", () => {
    expect(() => new Ring(0)).toThrow(/bits/);
    expect(() => new Ring(65)).toThrow(/bits/);
    expect(() => new Ring(37, 37)).toThrow(/scale/);
    expect(() => new Ring(37, 1.5)).toThrow(/scale/);
  });

  it("reads two's complement at the sign boundary", () => {
    for (const bits of [2, 16, 37, 64]) {
      const r = new Ring(bits);
      expect(r.signed(r.half)).toBe(-r.half);
      expect(r.signed(r.half - 1n)).toBe(r.half - 1n);
      expect(r.signed(r.mask)).toBe(-1n);
      expect(r.signed(0n)).toBe(0n);
      expect(r.fromSigned(-1n)).toBe(r.mask);
      expect(() => r.fromSigned(r.half, "x")).toThrow(/x: .* does not fit/);
      expect(() => r.fromSigned(-r.half - 1n)).toThrow(RangeError);
    }
  });

  it("encodes and decodes fixed point with round-to-nearest", () => {
    const r = new Ring(37, 12);
    expect(r.encode(1)).toBe(4096n);
    expect(r.encode(-1)).toBe(r.modulus - 4096n);
    expect(r.encode(0.5 / 4096)).toBe(1n); // Math.round: half rounds up
    expect(r.decode(r.encode(-3.25))).toBe(-3.25);
    expect(r.decode(r.encode(r.maxReal))).toBe(r.maxReal);
    expect(() => r.encode(r.maxReal + 1, "gelu.input[3]")).toThrow(/gelu.input\[3\]/);
    expect(() => r.encode(Number.NaN)).toThrow(/finite/);
    const xs = [0, 1.5, -2.75, 1000.125];
    expect(Array.from(r.decodeArray(r.encodeArray(xs)))).toEqual(xs);
  });

  it("reduces arrays mod 2^bits", () => {
    const r = new Ring(16);
    const a = BigUint64Array.of(0xffffn, 0x10000n, 0x1234_5678n, (1n << 64n) - 1n);
    expect(Array.from(r.reduceArray(a))).toEqual([0xffffn, 0n, 0x5678n, 0xffffn]);
  });
});

describe("bit packing", () => {
  it("packs LSB first and round-trips", () => {
    const bits = [1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1];
    const v = packBits(bits);
    expect(v.length).toBe(packedLength(bits.length));
    expect(v[0]).toBe(0b10001101);
    expect(v[1]).toBe(0b101);
    expect(Array.from(unpackBits(v, bits.length))).toEqual(bits);
    bits.forEach((b, i) => expect(getBit(v, i)).toBe(b));
    setBit(v, 1, 1);
    setBit(v, 0, 0);
    expect(getBit(v, 1)).toBe(1);
    expect(getBit(v, 0)).toBe(0);
  });

  it("xors and clears the tail", () => {
    const a = Uint8Array.of(0xff, 0xff);
    expect(Array.from(clearTail(a, 11))).toEqual([0xff, 0x07]);
    expect(Array.from(xorBits(Uint8Array.of(0b1100), Uint8Array.of(0b1010)))).toEqual([0b0110]);
    expect(() => xorBits(new Uint8Array(1), new Uint8Array(2))).toThrow(/lengths differ/);
  });
});
