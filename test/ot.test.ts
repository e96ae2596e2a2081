import { beforeAll, describe, expect, it } from "vitest";
import { getBit } from "../src/core/bits.js";
import { ProtocolError } from "../src/net/errors.js";
import { HEADER_BYTES, OT_TAG, REQUEST, writeHeader } from "../src/ot/order.js";
import { KKOT_BLOCKS, OtPack, PART_OTS } from "../src/ot/index.js";
import { Prg } from "../src/core/prg.js";
import { measurePair, memoryPair } from "../src/net/memory.js";
import { sessionSalt } from "../src/ot/salt.js";
import { packLanes } from "../src/core/lanes.js";
import { wasm } from "../src/core/wasm.js";
import { frame, makePacks, otFrame, seededBytes, values, type Packs } from "./ot-util.js";
import { recording, type Frame } from "./recording.js";

const LS = [1, 2, 37, 64];
const NS = [1, 128, 1024 + 101];
const big = (l: number) => 1n << BigInt(l);
const cdiv8 = (x: number) => Math.ceil(x / 8);

let p: Packs;
beforeAll(async () => {
  p = await makePacks();
}, 30_000);

describe("correlated OT", () => {
  for (const l of LS) {
    it(`receiver gets x0 + b·delta mod 2^${l}; bytes are 128 + l bits per OT plus two frames`, async () => {
      for (const n of NS) {
        const delta = await values(n, l, n + l);
        const choices = await seededBytes(cdiv8(n), 3 * n + l);
        const { result, traffic } = await p.measure(() => Promise.all([p.server.cotSend(delta, l), p.client.cotRecv(choices, n, l)]));
        const [x0, got] = result;
        for (let i = 0; i < n; i++) {
          expect(x0[i] < big(l)).toBe(true);
          expect(got[i]).toBe((x0[i] + (getBit(choices, i) ? delta[i] : 0n)) % big(l));
        }
        expect(traffic.bytes).toBe(otFrame(16 * n) + otFrame(cdiv8(n * l)));
        expect(traffic.rounds).toBe(2);
      }
    });
  }

  it("works with the client as sender and never repeats a correlation", async () => {
    const n = 300;
    const delta = await values(n, 64, 5);
    const choices = new Uint8Array(cdiv8(n));
    const [a, b] = await Promise.all([p.client.cotSend(delta, 64), p.server.cotRecv(choices, n, 64)]);
    const [c] = await Promise.all([p.client.cotSend(delta, 64), p.server.cotRecv(choices, n, 64)]);
    expect(Array.from(b)).toEqual(Array.from(a));
    for (let i = 0; i < n; i++) expect(c[i]).not.toBe(a[i]);
  });

  it("runs one COT each way at once, in either call order: two frames from each party", async () => {
    const n = 1000;
    const l = 37;
    const dS = await values(n, l, 7);
    const dC = await values(n, l, 8);
    const bS = await seededBytes(cdiv8(n), 9);
    const bC = await seededBytes(cdiv8(n), 10);
    const { result, traffic } = await p.measure(() =>
      Promise.all([
        Promise.all([p.server.cotSend(dS, l), p.server.cotRecv(bS, n, l)]),
        Promise.all([p.client.cotRecv(bC, n, l), p.client.cotSend(dC, l)]),
      ]),
    );
    const [[xS, gS], [gC, xC]] = result;
    for (let i = 0; i < n; i++) {
      expect(gC[i]).toBe((xS[i] + (getBit(bC, i) ? dS[i] : 0n)) % big(l));
      expect(gS[i]).toBe((xC[i] + (getBit(bS, i) ? dC[i] : 0n)) % big(l));
    }
    expect(traffic.messages).toBe(4);
  });

  it("handles 2^20 OTs in one call", async () => {
    const n = 1 << 20;
    const l = 37;
    const delta = await values(n, l, 12);
    const choices = await seededBytes(n / 8, 13);
    const { result, traffic } = await p.measure(() => Promise.all([p.server.cotSend(delta, l), p.client.cotRecv(choices, n, l)]));
    const [x0, got] = result;
    const mask = big(l) - 1n;
    let bad = 0;
    for (let i = 0; i < n; i++) if (got[i] !== ((x0[i] + (getBit(choices, i) ? delta[i] : 0n)) & mask)) bad++;
    expect(bad).toBe(0);
    expect(traffic.bytes).toBe(otFrame(16 * n) + otFrame((n * l) / 8));
  }, 60_000);
});

describe("calls spanning several extension batches (the last one partial)", () => {
  it("COT and chosen OT with 2^17 + 101 OTs, 1-of-16 OT with two batches and 101", async () => {
    const n = (1 << 17) + 101;
    const l = 37;
    const delta = await values(n, l, 81);
    const choices = await seededBytes(cdiv8(n), 82);
    const [x0, got] = await Promise.all([p.server.cotSend(delta, l), p.client.cotRecv(choices, n, l)]);
    const [, ot] = await Promise.all([p.client.otSend(x0, delta, l), p.server.otRecv(choices, n, l)]);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const b = getBit(choices, i);
      if (got[i] !== (x0[i] + (b ? delta[i] : 0n)) % big(l) || ot[i] !== (b ? delta[i] : x0[i])) bad++;
    }
    expect(bad).toBe(0);
    const m = 2 * (KKOT_BLOCKS / 16) + 101;
    const table = await values(16 * m, 5, 83);
    const digits = (await seededBytes(m, 84)).map((c) => c & 15);
    const [, otn] = await Promise.all([p.server.otNSend(table, 16, 5), p.client.otNRecv(digits, 16, 5)]);
    let wrong = 0;
    for (let i = 0; i < m; i++) if (otn[i] !== table[16 * i + digits[i]]) wrong++;
    expect(wrong).toBe(0);
  }, 30_000);
});

describe("chosen-message 1-of-2 OT", () => {
  for (const l of LS) {
    it(`receiver gets m_b with l = ${l}; bytes are 128 + 2l bits per OT plus two frames`, async () => {
      for (const n of NS) {
        const m0 = await values(n, l, 100 + n + l);
        const m1 = await values(n, l, 200 + n + l);
        m1.reverse();
        const choices = await seededBytes(cdiv8(n), 300 + n + l);
        const { result, traffic } = await p.measure(() => Promise.all([p.client.otSend(m0, m1, l), p.server.otRecv(choices, n, l)]));
        const got = result[1];
        for (let i = 0; i < n; i++) expect(got[i]).toBe(getBit(choices, i) ? m1[i] : m0[i]);
        expect(traffic.bytes).toBe(otFrame(16 * n) + otFrame(cdiv8(2 * n * l)));
        expect(traffic.rounds).toBe(2);
      }
    });
  }
});

describe("chosen-message 1-of-N OT (KKOT, 256-bit code)", () => {
  for (const N of [2, 4, 16, 256]) {
    for (const l of LS) {
      it(`N = ${N}, l = ${l}: receiver gets its message; bytes are 256 + N·l bits per OT plus two frames`, async () => {
        for (const n of N === 256 ? [1, 300] : NS) {
          const msgs = await values(n * N, l, N + l + n);
          const choices = (await seededBytes(n, N * l + n)).map((c) => c % N);
          choices[0] = N - 1;
          if (n > 1) choices[1] = 0;
          const { result, traffic } = await p.measure(() => Promise.all([p.server.otNSend(msgs, N, l), p.client.otNRecv(choices, N, l)]));
          const got = result[1];
          for (let i = 0; i < n; i++) expect(got[i]).toBe(msgs[i * N + choices[i]]);
          expect(traffic.bytes).toBe(otFrame(32 * n) + otFrame(cdiv8(n * N * l)));
          expect(traffic.rounds).toBe(2);
        }
      });
    }
  }
});

describe("packed 1-of-N messages and random OTs in kernel memory", () => {
  it("otNSendPacked takes the wire's packing: same result and bytes as otNSend", async () => {
    for (const [N, l, n] of [[16, 2, 1024 + 101], [4, 37, 3], [256, 5, 130]]) {
      const msgs = await values(n * N, l, 900 + N + l);
      const choices = (await seededBytes(n, 901 + N)).map((c) => c % N);
      const packed = packLanes(msgs, n * N, l).slice();
      const { result, traffic } = await p.measure(() => Promise.all([p.server.otNSendPacked(packed, n, N, l), p.client.otNRecv(choices, N, l)]));
      for (let i = 0; i < n; i++) expect(result[1][i]).toBe(msgs[i * N + choices[i]]);
      expect(traffic.bytes).toBe(otFrame(32 * n) + otFrame(cdiv8(n * N * l)));
      expect(traffic.rounds).toBe(2);
    }
    await expect(p.server.otNSendPacked(new Uint8Array(3), 1, 16, 2)).rejects.toThrow(/otNSendPacked: msgs must hold 1 × 16 messages of 2 bits \(4 bytes\), got 3 bytes/);
    await expect(p.server.otNSendPacked(new BigUint64Array(1) as unknown as Uint8Array, 1, 2, 8)).rejects.toThrow(TypeError);
  });

  it("rotSendBlocks / rotRecvBlocks leave the messages of rotSend / rotRecv in kernel memory", async () => {
    for (const n of NS) {
      const choices = await seededBytes(cdiv8(n), 950 + n);
      const { result, traffic } = await p.measure(() => Promise.all([p.server.rotSendBlocks(n), p.client.rotRecvBlocks(choices, n)]));
      const [s, r] = result;
      const w = wasm();
      const [m0, m1, got] = [s.m0, s.m1, r.m].map((ptr) => w.u8(ptr, 16 * n).slice());
      s.free();
      r.free();
      for (let i = 0; i < n; i++) {
        const want = getBit(choices, i) ? m1 : m0;
        expect(Buffer.compare(got.subarray(16 * i, 16 * i + 16), want.subarray(16 * i, 16 * i + 16))).toBe(0);
        expect(Buffer.compare(m0.subarray(16 * i, 16 * i + 16), m1.subarray(16 * i, 16 * i + 16))).not.toBe(0);
      }
      expect(traffic.bytes).toBe(otFrame(16 * n));
      expect(traffic.rounds).toBe(1);
    }
    await expect(p.server.rotRecvBlocks(new Uint8Array(0), 1)).rejects.toThrow(/rotRecvBlocks: choices must hold 1 bits/);
  });

  it("a random-OT call past PART_OTS runs as batches of PART_OTS in one flight, each its own frame, beside other calls", async () => {
    const q = await makePacks([61, 62]);
    const n = 2 * PART_OTS + 101;
    const small = 300;
    const choices = await seededBytes(cdiv8(n), 63);
    const d = await values(small, 37, 64);
    // A COT each way starts between the large calls: its batches take their numbers around the parts.
    const { result, traffic } = await q.measure(() =>
      Promise.all([
        Promise.all([q.server.cotSend(d, 37), q.server.rotSendBlocks(n), q.server.cotRecv(choices, small, 37)]),
        Promise.all([q.client.cotRecv(choices, small, 37), q.client.rotRecvBlocks(choices, n), q.client.cotSend(d, 37)]),
      ]),
    );
    const [[x, s, y0], [g, r, y1]] = result;
    for (let i = 0; i < small; i++) {
      const c = BigInt(getBit(choices, i));
      expect(g[i]).toBe((x[i] + c * d[i]) % big(37));
      expect(y0[i]).toBe((y1[i] + c * d[i]) % big(37));
    }
    const w = wasm();
    const [m0, m1, got] = [s.m0, s.m1, r.m].map((ptr) => w.u8(ptr, 16 * n));
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const want = getBit(choices, i) ? m1 : m0;
      if (Buffer.compare(got.subarray(16 * i, 16 * i + 16), want.subarray(16 * i, 16 * i + 16)) !== 0) wrong++;
    }
    s.free();
    r.free();
    expect(wrong).toBe(0);
    const cot = otFrame(16 * small) + otFrame(cdiv8(small * 37));
    expect(traffic.bytes).toBe(2 * cot + 2 * otFrame(16 * PART_OTS) + otFrame(16 * 101));
    expect(traffic.messages).toBe(4 + 3);
  }, 60_000);
});

describe("random OT", () => {
  it("receiver gets m_b (16 bytes); the sender's pair differs; one frame of 128 bits per OT", async () => {
    for (const n of NS) {
      const choices = await seededBytes(cdiv8(n), 400 + n);
      const { result, traffic } = await p.measure(() => Promise.all([p.server.rotSend(n), p.client.rotRecv(choices, n)]));
      const [{ m0, m1 }, got] = result;
      for (let i = 0; i < n; i++) {
        const want = getBit(choices, i) ? m1 : m0;
        expect(Array.from(got.subarray(16 * i, 16 * i + 16))).toEqual(Array.from(want.subarray(16 * i, 16 * i + 16)));
        expect(Array.from(m0.subarray(16 * i, 16 * i + 16))).not.toEqual(Array.from(m1.subarray(16 * i, 16 * i + 16)));
      }
      expect(traffic.bytes).toBe(otFrame(16 * n));
      expect(traffic.rounds).toBe(1);
    }
  });
});

describe("the WebAssembly backend (browsers)", () => {
  it("gives the same results as node:crypto for every flavour", async () => {
    const w = await makePacks([71, 72], undefined, "wasm");
    const nd = await makePacks([71, 72], undefined, "node");
    const n = 700;
    const l = 37;
    const delta = await values(n, l, 73);
    const choices = await seededBytes(cdiv8(n), 74);
    const digits = (await seededBytes(n, 75)).map((c) => c & 15);
    const table = await values(16 * n, 2, 76);
    const outs = [];
    for (const q of [w, nd]) {
      const [x0, got] = await Promise.all([q.server.cotSend(delta, l), q.client.cotRecv(choices, n, l)]);
      const [, ot] = await Promise.all([q.client.otSend(delta, x0, l), q.server.otRecv(choices, n, l)]);
      const [, otn] = await Promise.all([q.server.otNSend(table, 16, 2), q.client.otNRecv(digits, 16, 2)]);
      const [rot, rotGot] = await Promise.all([q.client.rotSend(n), q.server.rotRecv(choices, n)]);
      for (let i = 0; i < n; i++) {
        expect(got[i]).toBe((x0[i] + (getBit(choices, i) ? delta[i] : 0n)) % big(l));
        expect(ot[i]).toBe(getBit(choices, i) ? x0[i] : delta[i]);
        expect(otn[i]).toBe(table[16 * i + digits[i]]);
      }
      outs.push([x0, got, rot.m0, rot.m1, rotGot].map((a) => a.join(",")));
    }
    expect(outs[0]).toEqual(outs[1]);
  }, 30_000);
});

describe("what the receiver learns", () => {
  // Two pairs with the same seeds run the same calls; only the messages the receiver did not choose differ.
  it("its outputs and sent frames do not depend on unchosen messages, which hide under uniform pads", async () => {
    const n = 4096;
    const l = 64;
    const choices = await seededBytes(n / 8, 40);
    const m0 = await values(n, l, 41);
    const m1 = await values(n, l, 42);
    const m0b = m0.slice();
    const m1b = m1.slice();
    for (let i = 0; i < n; i++) {
      if (getBit(choices, i)) m0b[i] = ~m0[i] & (big(l) - 1n);
      else m1b[i] = 0n;
    }
    const d1 = await values(n, 37, 51);
    const d2 = d1.slice();
    for (let i = 0; i < n; i++) if (!getBit(choices, i)) d2[i] = (d1[i] + 12345n) % big(37);
    const runs = [];
    for (const [a, b, d] of [[m0, m1, d1], [m0b, m1b, d2]] as const) {
      const q = await makePacks([31, 32]);
      const [, got] = await Promise.all([q.server.otSend(a, b, l), q.client.otRecv(choices, n, l)]);
      const [, cot] = await Promise.all([q.server.cotSend(d, 37), q.client.cotRecv(choices, n, 37)]);
      runs.push({ got, cot, log: q.clientLog });
    }
    const [A, B] = runs;
    expect(A.log.map((f) => `${f.dir}:${f.tag}`)).toEqual(["sent:ot", "received:ot", "sent:ot", "received:ot"]);
    expect(Array.from(B.got)).toEqual(Array.from(A.got));
    expect(Array.from(B.cot)).toEqual(Array.from(A.cot));
    for (const k of [0, 2]) expect(Array.from(B.log[k].payload!)).toEqual(Array.from(A.log[k].payload!));
    // Past the 8-byte batch header.
    const ea = new BigUint64Array(A.log[1].payload!.slice(8).buffer);
    const eb = new BigUint64Array(B.log[1].payload!.slice(8).buffer);
    let ones = 0;
    for (let i = 0; i < n; i++) {
      const c = getBit(choices, i);
      // The chosen ciphertext is identical; the other differs exactly by the message change (a one-time pad).
      expect(eb[2 * i + c]).toBe(ea[2 * i + c]);
      const um = c ? [m0[i], m0b[i]] : [m1[i], m1b[i]];
      expect(ea[2 * i + 1 - c] ^ eb[2 * i + 1 - c]).toBe(um[0] ^ um[1]);
      // The pad on the unchosen message is not the receiver's own pad.
      const padOther = ea[2 * i + 1 - c] ^ um[0];
      const padOwn = ea[2 * i + c] ^ A.got[i];
      expect(padOther).not.toBe(padOwn);
      ones += popcount(padOther);
    }
    // Uniform pads: the count of ones is Binomial(n·64, 1/2); allow 6σ.
    expect(Math.abs(ones - (n * 64) / 2)).toBeLessThan((6 * Math.sqrt(n * 64)) / 2);
  }, 30_000);
});

function popcount(x: bigint): number {
  let c = 0;
  for (; x; x &= x - 1n) c++;
  return c;
}

describe("the session salt of the OT hash", () => {
  /** Two packs set up over a recorded pair; `nonceFlip` changes the server's nonce, the first bytes its PRG gives. */
  async function session(seeds: [number, number] | undefined, nonceFlip = false) {
    const [a, b] = memoryPair();
    const prg = async (s: number | undefined) => (s === undefined ? Prg.create() : Prg.fromSeed(new Uint8Array(16).fill(s)));
    const sp = await prg(seeds?.[0]);
    if (nonceFlip) {
      const bytes = sp.bytes.bind(sp);
      sp.bytes = (n: number) => {
        sp.bytes = bytes;
        const nonce = bytes(n);
        nonce[0] ^= 1;
        return nonce;
      };
    }
    const log: Frame[] = [];
    const server = new OtPack(a, sp, "server");
    const client = new OtPack(recording(b, log), await prg(seeds?.[1]), "client");
    const { traffic } = await measurePair(a, b, () => Promise.all([server.setup(), client.setup()]));
    const salt = (q: OtPack) => q["salt"]!;
    return { server, client, log, traffic, salts: [salt(server), salt(client)] };
  }

  it("both parties derive the same salt from both nonces, which ride on ot.base.A: 2 × 16 bytes more, no extra message or round", async () => {
    const q = await session([11, 22]);
    expect(Array.from(q.salts[1])).toEqual(Array.from(q.salts[0]));
    const sent = q.log.find((f) => f.dir === "sent" && f.tag === "ot.base.A")!.payload!;
    const received = q.log.find((f) => f.dir === "received" && f.tag === "ot.base.A")!.payload!;
    expect(Array.from(q.salts[0])).toEqual(Array.from(sessionSalt(received.subarray(32), sent.subarray(32))));
    const setupFrames = 2 * frame("ot.base.A", 32) + 2 * frame("ot.base.B", 128 * 32) + 2 * otFrame(256 * 16);
    expect(q.traffic.bytes).toBe(setupFrames + 2 * 16);
    expect(q.traffic.messages).toBe(6);
    expect(q.log.filter((f) => f.dir === "sent").map((f) => f.tag)).toEqual(["ot.base.A", "ot.base.B", "ot"]);
    // Seeded parties reproduce their session, salt included.
    expect(Array.from((await session([11, 22])).salts[0])).toEqual(Array.from(q.salts[0]));
  });

  it("sessions of OS-seeded parties get different salts", async () => {
    const [x, y] = [await session(undefined), await session(undefined)];
    expect(Array.from(x.salts[0])).not.toEqual(Array.from(y.salts[0]));
  });

  it("with identical seeds, a changed nonce changes the salt and every OT output, and nothing else", async () => {
    const [x, y] = [await session([91, 92]), await session([91, 92], true)];
    const frameOf = (log: Frame[], tag: string) => Array.from(log.find((f) => f.dir === "received" && f.tag === tag)!.payload!);
    const [ax, ay] = [frameOf(x.log, "ot.base.A"), frameOf(y.log, "ot.base.A")];
    expect(ax.map((v, i) => v ^ ay[i]).findIndex((d) => d !== 0)).toBe(32); // only the nonce differs, in its first byte
    expect(Array.from(x.salts[0])).not.toEqual(Array.from(y.salts[0]));
    const n = 1000;
    const choices = await seededBytes(cdiv8(n), 93);
    const outs = [];
    for (const q of [x, y]) {
      q.log.length = 0;
      const [{ m0, m1 }, got] = await Promise.all([q.server.rotSend(n), q.client.rotRecv(choices, n)]);
      const [, cot] = await Promise.all([q.server.cotSend(new BigUint64Array(n), 64), q.client.cotRecv(choices, n, 64)]);
      outs.push({ m0, m1, got, cot, u: q.log.filter((f) => f.dir === "sent").map((f) => Array.from(f.payload!)) });
    }
    const [X, Y] = outs;
    // The extension itself (the receiver's u) is the same; every hashed output differs.
    expect(Y.u).toEqual(X.u);
    for (let i = 0; i < n; i++) {
      for (const k of ["m0", "m1", "got"] as const) expect(Buffer.compare(X[k].subarray(16 * i, 16 * i + 16), Y[k].subarray(16 * i, 16 * i + 16))).not.toBe(0);
      expect(X.cot[i]).not.toBe(Y.cot[i]);
    }
  });
});

describe("argument checks and desynchronised peers", () => {
  it("names the failing argument", async () => {
    const s = p.server;
    await expect(s.cotSend(new BigUint64Array(1), 0)).rejects.toThrow(/cotSend: l must be an integer in \[1, 64\], got 0/);
    await expect(s.cotRecv(new Uint8Array(1), 1, 65)).rejects.toThrow(RangeError);
    await expect(s.cotRecv(new Uint8Array(1), 9, 8)).rejects.toThrow(/cotRecv: choices must hold 9 bits/);
    await expect(s.otSend(new BigUint64Array(2), new BigUint64Array(3), 8)).rejects.toThrow(/m0 and m1 differ in length/);
    await expect(s.otNSend(new BigUint64Array(6), 3, 8)).rejects.toThrow(/otNSend: N must be a power of two in \[2, 256\], got 3/);
    await expect(s.otNSend(new BigUint64Array(6), 4, 8)).rejects.toThrow(/msgs length 6 is not a multiple of N = 4/);
    await expect(s.otNRecv(Uint8Array.of(1, 4), 4, 8)).rejects.toThrow(/choices\[1\] = 4 is not below N = 4/);
    await expect(s.otNRecv(Uint8Array.of(0), 512, 8)).rejects.toThrow(/N must be a power of two/);
    await expect(s.rotRecv(new Uint8Array(0), -1)).rejects.toThrow(/rotRecv: n must be a non-negative integer/);
    await expect(s.cotSend([1n] as unknown as BigUint64Array, 8)).rejects.toThrow(TypeError);
    const [a] = memoryPair();
    const fresh = new OtPack(a, await Prg.fromSeed(new Uint8Array(16)), "server");
    await expect(fresh.cotSend(new BigUint64Array(1), 8)).rejects.toThrow(/call setup\(\) first/);
    expect(() => new OtPack(a, p.server["prg"], "both" as "server")).toThrow(/role must be/);
  });

  it("zero OTs send nothing", async () => {
    const { result, traffic } = await p.measure(() => Promise.all([p.server.cotSend(new BigUint64Array(0), 8), p.client.cotRecv(new Uint8Array(0), 0, 8)]));
    expect(result[1].length).toBe(0);
    expect(traffic.bytes).toBe(0);
  });

  it("a frame of the wrong size, or a peer running another flavour, fails naming the batch and both requests", async () => {
    const q = await makePacks([61, 62], 2000);
    const short = q.server.cotSend(new BigUint64Array(10), 8);
    // A request of batch 1 (setup is batch 0) with the header of 10 COTs of 8 bits, but 100 bytes of u, not 160.
    q.channels[1].send(OT_TAG, writeHeader(new Uint8Array(HEADER_BYTES + 100), 1, REQUEST, { kind: "cot", n: 10, l: 8, N: 2 }));
    await expect(short).rejects.toThrow(ProtocolError);
    await expect(short).rejects.toThrow("OT batch 1 from the server to the client: the server asked for 10 COTs of 8 bits, the client for a frame of 100 bytes for 10 COTs of 8 bits");
    const r = await makePacks([63, 64], 2000);
    const sending = r.server.cotSend(new BigUint64Array(10), 8);
    const receiving = r.client.otRecv(new Uint8Array(2), 10, 8);
    const message = "OT batch 1 from the server to the client: the server asked for 10 COTs of 8 bits, the client for 10 1-of-2 OTs of 8 bits";
    await expect(sending).rejects.toThrow(message);
    // The peer fails too, with the same message, instead of waiting for its reply.
    await expect(receiving).rejects.toThrow(message);
  }, 30_000);
});

describe("concurrent OT calls", () => {
  it("run in any interleaving when each party's sends and receives are in the same order as the peer's", async () => {
    const q = await makePacks([71, 72]);
    const n = 300;
    const [d1, d2] = [await values(n, 37, 73), await values(n, 20, 74)];
    const choices = await seededBytes(cdiv8(n), 75);
    // The server starts a receive between its two sends; the client starts its receives first, in reverse order.
    const server = Promise.all([q.server.cotSend(d1, 37), q.server.cotRecv(choices, n, 20), q.server.cotSend(d2, 20)]);
    await Promise.resolve();
    const client = Promise.all([q.client.cotRecv(choices, n, 37), q.client.cotRecv(choices, n, 20), (async () => {
      // An extra await before a call no longer changes where its frames go.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return q.client.cotSend(d2, 20);
    })()]);
    const [[x1, y0, x2], [g1, g2, y1]] = await Promise.all([server, client]);
    for (let i = 0; i < n; i++) {
      const c = BigInt(getBit(choices, i));
      expect(g1[i]).toBe((x1[i] + c * d1[i]) % big(37));
      expect(g2[i]).toBe((x2[i] + c * d2[i]) % big(20));
      expect(y0[i]).toBe((y1[i] + c * d2[i]) % big(20));
    }
  }, 30_000);

  it("fail with both requests named when the two sides order their calls differently", async () => {
    const q = await makePacks([81, 82], 2000);
    const msgs = new BigUint64Array(128 * 16);
    const server = Promise.all([q.server.cotSend(new BigUint64Array(4096), 37), q.server.otNSend(msgs, 16, 8)]);
    const client = Promise.all([q.client.otNRecv(new Uint8Array(128), 16, 8), q.client.cotRecv(new Uint8Array(512), 4096, 37)]);
    const [s, c] = await Promise.all([server.catch((e: unknown) => e), client.catch((e: unknown) => e)]);
    expect(s).toBeInstanceOf(ProtocolError);
    expect(String(s)).toMatch(/OT batch [12] from the server to the client: the server asked for (4096 COTs of 37 bits, the client for 128 1-of-16 OTs of 8 bits|128 1-of-16 OTs of 8 bits, the client for 4096 COTs of 37 bits)/);
    expect(c).toBeInstanceOf(ProtocolError);
    expect(String(c)).toMatch(/OT batch [12] from the server to the client/);
  }, 30_000);
});
