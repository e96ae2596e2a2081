// One private inference through the CLI's session layer, both parties in this process: the client starts with
// nothing but its text (it takes the server's public model, sequence length, pruning mode and HE backend from the
// handshake), the thresholds never leave the server, and the logits and kept counts still equal the pruned twin.
// The hellos are captured as sent: they carry the public-model hashes and the pruning mode, no weights hash, no
// thresholds.
import { describe, expect, it } from "vitest";
import { presetModel } from "../src/cli/model.js";
import { runParty, storeKey, type PublicModelStore } from "../src/cli/session.js";
import { presetConfig } from "../src/model/config.js";
import type { Model } from "../src/model/directory.js";
import { fixedForward } from "../src/model/fixed.js";
import type { LayerTokens } from "../src/model/forward.js";
import { publicModelOf } from "../src/model/public.js";
import { RING } from "../src/model/quantize.js";
import { randomWeights } from "../src/model/weights.js";
import type { BaseChannel } from "../src/net/base.js";
import { memoryPair } from "../src/net/memory.js";

const SEQ = 16;
const text = "a great movie , not boring";

function smallModel(): Model {
  const base = presetModel("tiny");
  const config = presetConfig("tiny", { layers: 1, hidden: 32, heads: 1, intermediate: 64, vocabSize: base.config.vocabSize, maxPositions: 32 });
  const weights = randomWeights(config, 5);
  const real = base.tokenizer.encode(text, SEQ).mask.reduce((a, b) => a + b, 0);
  // Values unlikely to appear by chance in a hello, so that finding them there would mean they leaked.
  return { config, weights, tokenizer: base.tokenizer, thresholds: { theta: [0.0012345678], beta: [1 / real + 0.000987654] } };
}

/** Captures the hello a channel sends. */
function capture(ch: BaseChannel): () => Record<string, unknown> {
  let hello: Uint8Array | undefined;
  const send = ch.sendHandshake.bind(ch);
  ch.sendHandshake = (bytes: Uint8Array) => {
    hello = bytes.slice();
    send(bytes);
  };
  return () => JSON.parse(new TextDecoder().decode(hello!)) as Record<string, unknown>;
}

function memoryStore(): PublicModelStore & { files: Map<string, Map<string, Uint8Array>> } {
  const files = new Map<string, Map<string, Uint8Array>>();
  return { files, load: async (key) => files.get(key), save: async (key, f) => void files.set(key, f) };
}

describe("a session whose client holds nothing but its text", () => {
  it("fetches the public model, follows the server's mode, and equals the pruned twin; hellos carry no weights hash or thresholds", { timeout: 120_000 }, async () => {
    const model = smallModel();
    const store = memoryStore();
    const [a, b] = memoryPair();
    const serverHello = capture(a as BaseChannel);
    const clientHello = capture(b as BaseChannel);
    const [, out] = await Promise.all([runParty("server", a, { model, seq: SEQ, heThreads: 0 }), runParty("client", b, { text, store })]);

    const enc = model.tokenizer.encode(text, SEQ);
    const tokens: LayerTokens[] = [];
    const twin = await fixedForward(model.weights, RING, enc.ids, enc.mask, { thresholds: model.thresholds, onLayer: (_, __, t) => tokens.push(t) });
    expect(out.logits).toEqual(twin);
    expect(out.kept).toEqual(tokens);
    expect(tokens[0].low).toBeGreaterThan(0);
    expect(out.source).toBe("fetched");
    expect(out.seq).toBe(SEQ);
    // What the client holds: the embedding tables, no encoder weight and no threshold.
    expect(Object.keys(out.model.weights).sort()).toEqual(["config", "embedNorm", "positionEmbeddings", "typeEmbeddings", "wordEmbeddings"]);
    expect("thresholds" in out.model).toBe(false);

    const hashes = publicModelOf(model).hashes;
    const s = serverHello();
    expect(Object.fromEntries(s.params as [string, unknown][])).toEqual({ ...hashes, he: "simd", ot: "iknp", prune: "reduce", ring: RING.toString(), seq: SEQ });
    expect(s.info).toEqual([]);
    expect(Object.fromEntries(clientHello().info as [string, unknown][])).toEqual({ fetch: true });
    for (const hello of [JSON.stringify(s), JSON.stringify(clientHello())]) {
      expect(hello).not.toMatch(/weights|theta|beta|0012345678|000987654/);
    }
    // The client cached the files under the key of their hashes.
    expect([...store.files.keys()]).toEqual([storeKey(hashes)]);
    a.close();
    b.close();
  });

  it("a cached public model is not sent again; a damaged cache entry is replaced by the server's copy", { timeout: 120_000 }, async () => {
    const model = smallModel();
    const { files, hashes } = publicModelOf(model);
    const key = storeKey(hashes);
    const sent: number[] = [];
    for (const [entry, expected] of [
      [files, "cached"],
      [new Map([...files, ["vocab.txt", new TextEncoder().encode("[PAD]\n")]]), "fetched"],
    ] as const) {
      const store = memoryStore();
      store.files.set(key, new Map(entry));
      const [a, b] = memoryPair();
      const [, out] = await Promise.all([runParty("server", a, { model, seq: SEQ, heThreads: 0, prune: false }), runParty("client", b, { text, store })]);
      expect(out.source).toBe(expected);
      sent.push(a.traffic.bytesSent);
      expect(store.files.get(key)!.get("vocab.txt")).toEqual(files.get("vocab.txt"));
      const enc = model.tokenizer.encode(text, SEQ);
      expect(out.logits).toEqual(await fixedForward(model.weights, RING, enc.ids, enc.mask));
      expect(out.kept.every((t) => t.kept === SEQ)).toBe(true);
      a.close();
      b.close();
    }
    // The server sent the public model only the second time: the difference is that message (packed files, framed).
    const packed = [...files].reduce((n, [name, f]) => n + 1 + name.length + 4 + f.length, 1);
    expect(sent[1] - sent[0]).toBe(packed + 10 + "model.public".length);
  });
});
