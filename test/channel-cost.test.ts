import { describe, expect, it } from "vitest";
import { estimate, estimateMs, LAN, link, WAN } from "../src/net/cost.js";

describe("cost model", () => {
  it("adds compute, bytes over bandwidth and half an RTT per round", () => {
    // 3 Gbps: 375,000 bytes take 1 ms; 0.8 ms RTT: 10 rounds cost 4 ms.
    expect(estimate(LAN, { ms: 2, bytes: 375_000, rounds: 10 })).toEqual({ computeMs: 2, transferMs: 1, latencyMs: 4, totalMs: 7 });
    // 200 Mbps: 25,000,000 bytes take 1 s; 40 ms RTT: 3 rounds cost 60 ms.
    expect(estimateMs(WAN, { ms: 0, bytes: 25_000_000, rounds: 3 })).toBe(1060);
    expect(estimateMs(WAN, { ms: 0, bytes: 0, rounds: 0 })).toBe(0);
  });

  it("validates its inputs", () => {
    expect(() => estimateMs(LAN, { ms: -1, bytes: 0, rounds: 0 })).toThrow(/ms must be/);
    expect(() => estimateMs(LAN, { ms: 0, bytes: NaN, rounds: 0 })).toThrow(/bytes must be/);
    expect(() => link("x", 0, 1)).toThrow(RangeError);
    expect(link("shaped", 1e9, 10)).toEqual({ name: "shaped", bitsPerSecond: 1e9, rttMs: 10 });
  });
});
