import { describe, expect, it } from "vitest";
import { handshake, paramsHash, PROTOCOL_VERSION, type HandshakeParams } from "../src/net/handshake.js";
import { memoryPair } from "../src/net/memory.js";
import { loopbackPair } from "../src/net/tcp.js";
import { AbortedByPeerError, ParameterMismatchError, ProtocolError } from "../src/net/errors.js";
import { BaseChannel } from "../src/net/base.js";
import type { Channel } from "../src/net/channel.js";

const base: HandshakeParams = { "ring.bits": 37, "ring.scale": 12, "he.n": 4096, model: "bert-tiny", pruning: true };

async function both(pair: [Channel, Channel], server: HandshakeParams, client: HandshakeParams) {
  return Promise.allSettled([handshake(pair[0], "server", server), handshake(pair[1], "client", client)]);
}

function reason(r: PromiseSettledResult<unknown>): Error {
  if (r.status !== "rejected") throw new Error("expected a rejection");
  return r.reason as Error;
}

for (const [name, makePair] of [
  ["memory", async () => memoryPair()],
  ["tcp", () => loopbackPair()],
] as const) {
  describe(`handshake over ${name}`, () => {
    it("agrees on equal parameters, whatever their key order, and returns the hash", async () => {
      const pair = await makePair();
      const reordered = Object.fromEntries(Object.entries(base).reverse());
      const [s, c] = await both(pair, base, reordered);
      expect(s).toEqual({ status: "fulfilled", value: { hash: paramsHash(base), params: base, peerParams: reordered, peerInfo: {} } });
      expect(c).toEqual({ status: "fulfilled", value: { hash: paramsHash(base), params: reordered, peerParams: base, peerInfo: {} } });
      // The channel stays usable after the handshake.
      pair[0].send("after", Uint8Array.of(5));
      expect(await pair[1].recv("after")).toEqual(Uint8Array.of(5));
      pair[0].close();
    });

    it("a differing parameter fails both sides with the same message naming field and values", async () => {
      const pair = await makePair();
      const [s, c] = await both(pair, base, { ...base, "ring.bits": 32 });
      for (const r of [s, c]) {
        const e = reason(r);
        expect(e).toBeInstanceOf(ParameterMismatchError);
        expect(e.message).toBe('parameter "ring.bits" differs: server 37, client 32');
        expect((e as ParameterMismatchError).field).toBe("ring.bits");
      }
      // The channel is failed on both sides: later receives reject instead of hanging.
      await expect(pair[0].recv("x")).rejects.toBeInstanceOf(ProtocolError);
      await expect(pair[1].recv("x")).rejects.toBeInstanceOf(ProtocolError);
    });
  });
}

describe("handshake details", () => {
  it("lists every difference, absent keys and type differences", async () => {
    const server = { ...base, extra: "x" };
    const client = { ...base, "ring.scale": "12", pruning: false };
    const [s, c] = await both(memoryPair(), server, client);
    const msg = 'parameter "extra" differs: server "x", client (absent); parameter "pruning" differs: server true, client false; parameter "ring.scale" differs: server 12, client "12"';
    expect(reason(s).message).toBe(msg);
    expect(reason(c).message).toBe(msg);
  });

  it("both sides claiming one role fail", async () => {
    const [a, b] = memoryPair();
    const r = await Promise.allSettled([handshake(a, "server", base), handshake(b, "server", base)]);
    for (const x of r) expect(reason(x).message).toBe('both sides claim the role "server"');
  });

  it("a different protocol version fails both sides naming the version", async () => {
    const [a, b] = memoryPair();
    const fake = (async () => {
      const hello = { version: PROTOCOL_VERSION + 1, role: "client", params: [], hash: paramsHash({}), info: [] };
      (b as BaseChannel).sendHandshake(new TextEncoder().encode(JSON.stringify(hello)));
      await (b as BaseChannel).recvHandshake();
      return b.recv("next");
    })();
    const e = await handshake(a, "server", {}).catch((x: Error) => x);
    expect(e).toBeInstanceOf(ParameterMismatchError);
    expect((e as Error).message).toBe(`protocol version differs: server ${PROTOCOL_VERSION}, client ${PROTOCOL_VERSION + 1}`);
    const e2 = await fake.catch((x: Error) => x);
    expect(e2).toBeInstanceOf(AbortedByPeerError);
    expect((e2 as Error).message).toContain("protocol version differs");
  });

  it("a malformed hello or a hash not matching its list is a ProtocolError on both sides", async () => {
    const hello = (params: [string, number][], hash: string) => JSON.stringify({ version: PROTOCOL_VERSION, role: "client", params, hash, info: [] });
    for (const payload of ["not json", hello([["a", 1]], paramsHash({ a: 2 })), JSON.stringify({ version: PROTOCOL_VERSION, role: "client", params: [], hash: "" })]) {
      const [a, b] = memoryPair();
      (b as BaseChannel).sendHandshake(new TextEncoder().encode(payload));
      const e = await handshake(a, "server", { a: 1 }).catch((x: Error) => x);
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as Error).message).toMatch(/^handshake: the peer's/);
      // The abort overtakes the unread hello: once aborted, a channel delivers nothing more.
      await expect((b as BaseChannel).recvHandshake()).rejects.toBeInstanceOf(AbortedByPeerError);
    }
  });

  it("a data receive meeting a handshake frame names the frame kinds", async () => {
    const [a, b] = memoryPair();
    void handshake(a, "server", base).catch(() => undefined);
    await expect(b.recv("data")).rejects.toThrow('expected a data frame "data" but received a handshake frame "handshake" (frame seq 0)');
  });

  it("passes one-sided info to the peer without comparing it", async () => {
    const [a, b] = memoryPair();
    const [s, c] = await Promise.all([
      handshake(a, "server", base, { info: { "model.weightsHash": "ab12", build: 7 } }),
      handshake(b, "client", base, { timeoutMs: 5_000 }),
    ]);
    expect(c.peerInfo).toEqual({ "model.weightsHash": "ab12", build: 7 });
    expect(s.peerInfo).toEqual({});
    expect(s.hash).toBe(c.hash);
  });

  it("a party choosing its parameters from the peer's reads first, then agrees or names the difference", async () => {
    const [a, b] = memoryPair();
    const seen: HandshakeParams[] = [];
    const [s, c] = await Promise.all([
      handshake(a, "server", base, { info: { offer: "x" } }),
      handshake(b, "client", async (peer, info) => {
        seen.push(peer, info);
        return { params: { ...peer }, info: { fetch: true } };
      }),
    ]);
    expect(seen).toEqual([base, { offer: "x" }]);
    expect(c.params).toEqual(base);
    expect(s.peerInfo).toEqual({ fetch: true });
    expect(s.hash).toBe(c.hash);
    const [x, y] = memoryPair();
    const r = await Promise.allSettled([handshake(x, "server", base), handshake(y, "client", async (peer) => ({ params: { ...peer, model: "other" } }))]);
    for (const e of r.map(reason)) expect(e.message).toBe('parameter "model" differs: server "bert-tiny", client "other"');
  });

  it("a chooser meeting a peer of the same role fails before choosing", async () => {
    const [a, b] = memoryPair();
    let asked = false;
    const r = await Promise.allSettled([
      handshake(a, "client", base),
      handshake(b, "client", async (peer) => {
        asked = true;
        return { params: peer };
      }),
    ]);
    expect(asked).toBe(false);
    expect(reason(r[1])).toBeInstanceOf(ParameterMismatchError);
    expect((reason(r[1]) as ParameterMismatchError).field).toBe("role");
    expect(reason(r[0])).toBeInstanceOf(AbortedByPeerError);
  });

  it("rejects bad parameters locally", async () => {
    const [a] = memoryPair();
    await expect(handshake(a, "server", { x: NaN })).rejects.toThrow(TypeError);
    await expect(handshake(a, "server", { x: {} as unknown as string })).rejects.toThrow(/parameter "x"/);
    await expect(handshake(a, "server", {}, { info: { y: undefined as unknown as string } })).rejects.toThrow(/info "y"/);
    await expect(handshake(a, "peer" as "server", {})).rejects.toThrow(TypeError);
  });

  it("the hash depends on values and types but not on key order", () => {
    expect(paramsHash({ a: 1, b: 2 })).toBe(paramsHash({ b: 2, a: 1 }));
    expect(paramsHash({ a: 1 })).not.toBe(paramsHash({ a: "1" }));
    expect(paramsHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});
