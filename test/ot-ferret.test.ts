// Every OtPack flavour on Ferret (the insecure tiny preset, whose rounds of 1344 COTs roll over within a test, and
// once on b11): outputs against their definitions in both directions, exact bytes per call, concurrent calls, a
// negative control and a mismatched OT choice.
import { beforeAll, describe, expect, it } from "vitest";
import { getBit } from "../src/core/bits.js";
import { Prg } from "../src/core/prg.js";
import type { Channel } from "../src/net/channel.js";
import { memoryPair } from "../src/net/memory.js";
import { lanesBytes } from "../src/core/lanes.js";
import { ASK, HEADER_BYTES, OT_TAG, REPLY, REQUEST, ROUND } from "../src/ot/order.js";
import { OtPack, type OtChoice } from "../src/ot/index.js";
import { FERRET_TINY } from "../src/ot/ferret/index.js";
import { makePacks, otFrame, seededBytes, values, type Packs } from "./ot-util.js";
import { forwarding } from "./recording.js";

const big = (l: number) => 1n << BigInt(l);
const cdiv8 = (x: number) => Math.ceil(x / 8);

type Pack = OtPack;
/** Both directions: [sender, receiver]. */
const directions = (p: Packs): [string, Pack, Pack][] => [
  ["server → client", p.server, p.client],
  ["client → server", p.client, p.server],
];

async function checkCot(s: Pack, r: Pack, n: number, l: number, seed: number): Promise<void> {
  const delta = await values(n, l, seed);
  const choices = await seededBytes(cdiv8(n), seed + 1);
  const [x0, got] = await Promise.all([s.cotSend(delta, l), r.cotRecv(choices, n, l)]);
  for (let i = 0; i < n; i++) expect(got[i]).toBe((x0[i] + (getBit(choices, i) ? delta[i] : 0n)) % big(l));
}

async function checkOt(s: Pack, r: Pack, n: number, l: number, seed: number): Promise<void> {
  const [m0, m1] = [await values(n, l, seed), await values(n, l, seed + 7)];
  const choices = await seededBytes(cdiv8(n), seed + 1);
  const [, got] = await Promise.all([s.otSend(m0, m1, l), r.otRecv(choices, n, l)]);
  for (let i = 0; i < n; i++) expect(got[i]).toBe(getBit(choices, i) ? m1[i] : m0[i]);
}

async function checkOtN(s: Pack, r: Pack, n: number, N: number, l: number, seed: number): Promise<void> {
  const msgs = await values(n * N, l, seed);
  const choices = (await seededBytes(n, seed + 1)).map((c) => c % N);
  const [, got] = await Promise.all([s.otNSend(msgs, N, l), r.otNRecv(choices, N, l)]);
  for (let i = 0; i < n; i++) expect(got[i]).toBe(msgs[i * N + choices[i]]);
}

async function checkRot(s: Pack, r: Pack, n: number, seed: number): Promise<void> {
  const choices = await seededBytes(cdiv8(n), seed);
  const [{ m0, m1 }, got] = await Promise.all([s.rotSend(n), r.rotRecv(choices, n)]);
  for (let i = 0; i < n; i++) {
    const want = (getBit(choices, i) ? m1 : m0).subarray(16 * i, 16 * i + 16);
    const other = (getBit(choices, i) ? m0 : m1).subarray(16 * i, 16 * i + 16);
    expect(Buffer.compare(got.subarray(16 * i, 16 * i + 16), want)).toBe(0);
    expect(Buffer.compare(want, other)).not.toBe(0);
  }
}

/** Trees produced so far by a pack's sending direction (rounds of t trees plus the current round's cursor). */
function treesSent(p: Pack): number {
  const f = p["ferretSend"]!;
  return f.round * f.params.t + f["cursor"];
}

describe("1-of-N on ferret-tiny", () => {
  it("takes its pads from slots of each key's stream: one hash (N/2 slots of l bits ≤ 128), or stretched, slots straddling words and blocks; built into the reply's words when N·l is 32 or 64", { timeout: 60_000 }, async () => {
    const packs = await makePacks([41, 42], undefined, undefined, "ferret-tiny");
    for (const [, s, r] of directions(packs)) {
      for (const [N, l] of [[2, 64], [2, 37], [4, 64], [8, 32], [16, 2], [8, 37], [16, 64], [64, 26], [2, 16], [2, 32], [4, 16], [8, 8], [16, 4]]) await checkOtN(s, r, 300, N, l, N * l);
    }
  });
});

describe("OtPack flavours on ferret-tiny", () => {
  let p: Packs;
  beforeAll(async () => {
    p = await makePacks([31, 32], undefined, undefined, "ferret-tiny");
  }, 30_000);

  it("every flavour equals its definition in both directions, across round rollovers", async () => {
    // 3000 OTs and 4·1000 for 1-of-16 exceed a round's 1344 COTs several times over.
    for (const [name, s, r] of directions(p)) {
      const round0 = s["ferretSend"]!.round;
      for (const [n, l] of [[1, 1], [3000, 37], [129, 64]]) await checkCot(s, r, n, l, n + l);
      for (const [n, l] of [[5, 2], [3000, 37]]) await checkOt(s, r, n, l, 2 * n + l);
      for (const N of [2, 4, 16, 256]) await checkOtN(s, r, N === 256 ? 50 : 1000, N, N === 2 ? 1 : 8, N);
      await checkRot(s, r, 3001, 5);
      expect(s["ferretSend"]!.round - round0, name).toBeGreaterThan(5);
    }
  });

  it("costs 1 bit per OT up (log N per 1-of-N), the payload down, and the Ferret corrections produced, exactly", async () => {
    const d = FERRET_TINY.depth;
    // OT frames by phase, both directions, from the client's log.
    const byPhase = (log: typeof p.clientLog) => {
      const out = new Map<number, number[]>();
      for (const f of log.filter((x) => x.tag === OT_TAG)) out.set(f.payload![4], [...(out.get(f.payload![4]) ?? []), f.size - HEADER_BYTES]);
      return out;
    };
    const cases: [string, (s: Pack, r: Pack) => Promise<unknown>, number, number][] = [
      // [name, call, request payload, reply payload]
      ["cot", (s, r) => Promise.all([s.cotSend(new BigUint64Array(2000), 37), r.cotRecv(new Uint8Array(250), 2000, 37)]), cdiv8(2000), lanesBytes(2000, 37)],
      ["ot", (s, r) => Promise.all([s.otSend(new BigUint64Array(700), new BigUint64Array(700), 5), r.otRecv(new Uint8Array(88), 700, 5)]), cdiv8(700), lanesBytes(1400, 5)],
      ["otn", (s, r) => Promise.all([s.otNSend(new BigUint64Array(16 * 300), 16, 2), r.otNRecv(new Uint8Array(300), 16, 2)]), cdiv8(4 * 300), lanesBytes(16 * 300, 2)],
      ["rot", (s, r) => Promise.all([s.rotSend(3000), r.rotRecv(new Uint8Array(375), 3000)]), cdiv8(3000), -1],
    ];
    for (const [name, call, req, reply] of cases) {
      for (const [dir, s, r] of directions(p)) {
        const trees = treesSent(s);
        p.clientLog.length = 0;
        const { traffic } = await p.measure(() => call(s, r));
        const produced = treesSent(s) - trees;
        const phases = byPhase(p.clientLog);
        const label = `${name}, ${dir}`;
        expect(phases.get(REQUEST), label).toEqual([req]);
        expect(phases.get(REPLY), label).toEqual(reply < 0 ? undefined : [reply]);
        const rounds = phases.get(ROUND) ?? [];
        expect(rounds.reduce((a, b) => a + b, 0), label).toBe(16 * d * produced);
        const asks = phases.get(ASK) ?? [];
        expect(asks.every((b) => b === 0), label).toBe(true);
        const expected = otFrame(req) + (reply < 0 ? 0 : otFrame(reply)) + rounds.reduce((a, b) => a + otFrame(b), 0) + asks.length * otFrame(0);
        expect(traffic.bytes, label).toBe(expected);
        expect(produced, label).toBeGreaterThan(0);
      }
    }
  });

  it("a call within the COTs produced ahead costs no ask: one round trip, the lead restored in the reply's flight", async () => {
    // After any batch, each direction holds min(2^17, a round's 1344) COTs produced ahead.
    let refills = 0;
    for (let k = 0; k < 30; k++) {
      const trees = treesSent(p.server);
      const { traffic } = await p.measure(() => Promise.all([p.server.cotSend(new BigUint64Array(100), 8), p.client.cotRecv(new Uint8Array(13), 100, 8)]));
      const produced = treesSent(p.server) - trees;
      if (produced > 0) refills++;
      expect(traffic.rounds).toBe(2);
      expect(traffic.bytes).toBe(otFrame(13) + otFrame(lanesBytes(100, 8)) + (produced > 0 ? otFrame(16 * FERRET_TINY.depth * produced) : 0));
    }
    expect(refills).toBeGreaterThan(0);
  });

  it("runs concurrent calls of every flavour in both directions in any interleaving", async () => {
    const n = 1500;
    const choices = await seededBytes(cdiv8(n), 77);
    const digits = (await seededBytes(n, 78)).map((c) => c & 15);
    const delta = await values(n, 37, 79);
    const table = await values(16 * n, 4, 80);
    const [s, c] = [p.server, p.client];
    const [sr, cr] = await Promise.all([
      Promise.all([s.cotSend(delta, 37), s.otNRecv(digits, 16, 4), s.rotSend(n), s.cotRecv(choices, n, 37)]),
      // The client issues its calls in another order within each direction's sequence.
      Promise.all([c.otNSend(table, 16, 4), c.cotRecv(choices, n, 37), c.cotSend(delta, 37), c.rotRecv(choices, n)]),
    ]);
    const [x0, gotN, rot, y0] = sr;
    const [, got, z0, rotGot] = cr;
    for (let i = 0; i < n; i++) {
      const b = getBit(choices, i);
      expect(got[i]).toBe((x0[i] + (b ? delta[i] : 0n)) % big(37));
      expect(y0[i]).toBe((z0[i] + (b ? delta[i] : 0n)) % big(37));
      expect(gotN[i]).toBe(table[16 * i + digits[i]]);
      expect(Buffer.compare(rotGot.subarray(16 * i, 16 * i + 16), (b ? rot.m1 : rot.m0).subarray(16 * i, 16 * i + 16))).toBe(0);
    }
  });
});

/** A channel that xors `mask` into byte `at` of the payload of the first OT frame of `phase` it sends. */
function tampering(ch: Channel, phase: number, at: number, mask = 1): Channel {
  let done = false;
  return forwarding(ch, {
    send(tag, payload) {
      if (!done && tag === OT_TAG && payload[4] === phase && payload.length > HEADER_BYTES + at) {
        done = true;
        const copy = payload.slice();
        copy[HEADER_BYTES + at] ^= mask;
        ch.send(tag, copy);
        return;
      }
      ch.send(tag, payload);
    },
  });
}

async function tamperedPacks(phase: number, at: number): Promise<[OtPack, OtPack]> {
  const [a, b] = memoryPair();
  const server = new OtPack(tampering(a, phase, at), await Prg.fromSeed(new Uint8Array(16).fill(41)), "server", { ot: "ferret-tiny" });
  const client = new OtPack(tampering(b, phase, at), await Prg.fromSeed(new Uint8Array(16).fill(42)), "client", { ot: "ferret-tiny" });
  await Promise.all([server.setup(), client.setup()]);
  return [server, client];
}

describe("negative controls and a mismatched choice", () => {
  it("a flipped choice-correction bit breaks exactly that OT; a flipped tree-correction byte breaks the stream", async () => {
    const n = 200;
    const choices = await seededBytes(cdiv8(n), 9);
    const delta = await values(n, 16, 10);
    const wrong = (x0: BigUint64Array, got: BigUint64Array) =>
      Array.from({ length: n }, (_, i) => i).filter((i) => got[i] !== (x0[i] + (getBit(choices, i) ? delta[i] : 0n)) % big(16));
    // Bit 3 of the client's request: OT 3 is derandomised to the other choice.
    const [s1, c1] = await tamperedPacks(REQUEST, 0);
    const [x0, got] = await Promise.all([s1.cotSend(delta, 16), c1.cotRecv(choices, n, 16)]);
    expect(wrong(x0, got)).toEqual([0]);
    // A byte of the server's first tree corrections: the receiver's tree differs, and with it the COTs.
    const [s2, c2] = await tamperedPacks(ROUND, 5);
    const [y0, got2] = await Promise.all([s2.cotSend(delta, 16), c2.cotRecv(choices, n, 16)]);
    expect(wrong(y0, got2).length).toBeGreaterThan(n / 4);
  }, 30_000);

  it("a batch the peer describes differently fails naming both requests, as on IKNP", async () => {
    const p = await makePacks([61, 62], undefined, undefined, "ferret-tiny");
    const [rs, rc] = await Promise.allSettled([p.server.cotSend(new BigUint64Array(100), 8), p.client.otRecv(new Uint8Array(13), 100, 8)]);
    const message = (r: PromiseSettledResult<unknown>) => (r.status === "rejected" ? String((r.reason as Error).message) : "fulfilled");
    expect(message(rs)).toMatch(/OT batch 0 from the server to the client: the server asked for 100 COTs of 8 bits, the client for 100 1-of-2 OTs of 8 bits/);
    expect(message(rc)).not.toBe("fulfilled");
  }, 30_000);

  it("parties on different OTs fail at setup, naming the field and both choices", async () => {
    for (const [x, y] of [["ferret-tiny", "iknp"], ["iknp", "ferret-b11"], ["ferret-b11", "ferret-b13"]] as [OtChoice, OtChoice][]) {
      const [a, b] = memoryPair();
      const server = new OtPack(a, await Prg.create(), "server", { ot: x });
      const client = new OtPack(b, await Prg.create(), "client", { ot: y });
      const [rs, rc] = await Promise.allSettled([server.setup(), client.setup()]);
      const message = (r: PromiseSettledResult<void>) => (r.status === "rejected" ? String((r.reason as Error).message) : "fulfilled");
      expect(message(rs)).toMatch(new RegExp(`field ot\\b.*the server ${x}, the client ${y}`));
      expect(message(rc)).toMatch(/different OTs|field ot/);
    }
    expect(() => new OtPack(memoryPair()[0], undefined as unknown as Prg, "server", { ot: "ferret" as OtChoice })).toThrow(/ot must be one of iknp, ferret-b11, ferret-b13, ferret-tiny, got ferret/);
  });
});

describe("ferret-b11", () => {
  it("correlated OT and 1-of-16 OT equal their definitions in both directions", async () => {
    const p = await makePacks([51, 52], undefined, undefined, "ferret-b11");
    for (const [, s, r] of directions(p)) {
      await checkCot(s, r, 50_000, 37, 3);
      await checkOtN(s, r, 10_000, 16, 2, 4);
    }
  }, 30_000);
});
