// HE session set-up: parameter handshake, planning limits, CRT and message framing.
import { beforeAll, describe, expect, it } from "vitest";
import { Ring } from "../src/core/ring.js";
import { packChunks, unpackChunks } from "../src/he/chunks.js";
import { Crt } from "../src/he/crt.js";
import { primesNeeded, productBoundBits, type HeParams } from "../src/he/params.js";
import { HeSession } from "../src/he/session.js";
import { setupHe } from "../src/he/setup.js";
import { ParameterMismatchError, ProtocolError } from "../src/net/errors.js";
import { expectMismatchOnBoth } from "./he-util.js";
import { makePair, type Pair } from "./mpc-util.js";

// Small parameters keep these tests fast; the protocol code does not depend on N.
const small: HeParams = { polyDegree: 4096, coeffBits: [36, 36, 37], plainBits: 30, plainPrimes: 2, sigma: 40 };
const plan = { n: 64, k: 40, m: 30, aBits: 8, wBits: 4 };

describe("HE parameter handshake", () => {
  // Each check leaves the channel in step (both sides sent and read their list), so one pair serves them all.
  let pair: Pair;
  beforeAll(async () => {
    pair = await makePair();
  }, 30_000);

  const mismatches: [string, HeParams][] = [
    ["he.coeffBits", { ...small, coeffBits: [36, 36, 36] }],
    ["he.polyDegree", { ...small, polyDegree: 8192 }],
    ["he.plainModuli", { ...small, plainBits: 21 }],
    ["he.sigma", { ...small, sigma: 41 }],
  ];
  for (const [field, other] of mismatches) {
    it(`fails on both sides naming ${field}`, async () => {
      const [s, c] = await Promise.allSettled([HeSession.setup(pair.server, [plan], small), HeSession.setup(pair.client, [plan], other)]);
      expectMismatchOnBoth([s, c], field);
    }, 30_000);
  }

  it("a seal party meeting a simd party: both fail naming he.backend", async () => {
    const [s, c] = await Promise.allSettled([setupHe(pair.server, [plan], { kind: "seal", sealParams: small }), setupHe(pair.client, [plan], { kind: "simd" })]);
    for (const [r, ours, theirs] of [[s, "seal", "simd"], [c, "simd", "seal"]] as const) {
      expect(r.status).toBe("rejected");
      const e = (r as PromiseRejectedResult).reason as ParameterMismatchError;
      expect(e).toBeInstanceOf(ParameterMismatchError);
      expect(e.field).toBe("he.backend");
      expect(e.message).toContain(`ours ${ours}, peer's ${theirs}`);
    }
  }, 30_000);

  it("accepts equal parameters, and products need planned shapes", async () => {
    const [hs, hc] = await pair.both((p) => HeSession.setup(p, [plan], small));
    try {
      expect(hs.plan(plan).primes).toBe(2);
      expect(() => hs.plan({ ...plan, n: 16 })).toThrow(/rotation by \d+ slots that was not planned/);
      expect(() => hc.serverPrimes).toThrow(/only the server/);
      expect(() => hs.clientKeys).toThrow(/only the client/);
    } finally {
      hs.delete();
      hc.delete();
    }
  }, 30_000);

  it("rejects bad parameters by field", async () => {
    await expect(HeSession.setup(pair.server, [plan], { ...small, polyDegree: 3000 })).rejects.toThrow(/polyDegree/);
    await expect(HeSession.setup(pair.server, [plan], { ...small, plainBits: 70 })).rejects.toThrow(/plainBits/);
  }, 30_000);
});

describe("HE helpers", () => {
  it("primesNeeded covers bound + sigma + 1 bits and no more", () => {
    const t = [(1n << 54n) - 33n, (1n << 54n) - 111n, (1n << 54n) - 273n];
    expect(productBoundBits(37, 16, 3072)).toBe(36 + 15 + 12);
    expect(primesNeeded(53, 40, t)).toBe(2); // 94 bits
    expect(primesNeeded(productBoundBits(37, 16, 3072), 40, t)).toBe(2);
    expect(primesNeeded(productBoundBits(37, 37, 128), 40, t)).toBe(3);
    expect(() => primesNeeded(130, 40, t)).toThrow(/more than the session's 3/);
  });

  it("CRT recovers integers below T exactly mod 2^l, including 0, T−1 and powers of two", () => {
    const moduli = [1099511480321n, 18014398508400641n, 557057n];
    const crt = new Crt(moduli);
    const T = moduli.reduce((a, b) => a * b);
    const ring = new Ring(37);
    const values = [0n, 1n, T - 1n, T / 2n, 1n << 37n, (1n << 37n) - 1n, 123456789012345678901234567n % T];
    for (let i = 0; i < 50; i++) values.push(BigInt(Math.floor(Math.random() * 2 ** 52)) * BigInt(Math.floor(Math.random() * 2 ** 52)) * 977n % T);
    for (const v of values) expect(crt.toRing(moduli.map((t) => v % t), ring.mask)).toBe(v & ring.mask);
  });

  it("chunk framing round-trips and names the message on damage", () => {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(1000).fill(9)];
    const packed = packChunks(chunks);
    expect(unpackChunks(packed, 3, "m")).toEqual(chunks);
    expect(() => unpackChunks(packed, 2, "m")).toThrow(ProtocolError);
    expect(() => unpackChunks(packed.subarray(0, packed.length - 1), 3, "m")).toThrow(/m: chunk 2 of 1000 bytes is truncated/);
    expect(() => unpackChunks(new Uint8Array([...packed, 0]), 3, "m")).toThrow(/trailing/);
  });
});
