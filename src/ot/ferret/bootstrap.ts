// Base COTs for Ferret's first round, from our own IKNP: 128 Chou–Orlandi base OTs (src/ot/base.ts) and the IKNP
// matrix step (src/ot/extension.ts), with the extension sender's secret s as Ferret's Δ and its LSB forced to 1
// (Δ keeps 127 bits of entropy, as in emp). The output is raw (unhashed) IKNP COTs: sender q, receiver with random
// choice r gets t = q ⊕ r·Δ. Ferret normalises them (ferret.ts). `iknpCotSender`/`iknpCotReceiver` run their own
// base OTs (two flights, 4 KiB plus 32 B); OtPack bootstraps from the IKNP extensions it already has
// (`extensionCotSender`/`extensionCotReceiver`), whose sender secret it draws with LSB 1.
import type { Channel } from "../../net/channel.js";
import type { Prg } from "../../core/prg.js";
import { ProtocolError } from "../../net/errors.js";
import { BaseOtSender, baseOtReceive, KEY_BYTES, POINT_BYTES } from "../base.js";
import { ExtensionReceiver, ExtensionSender, padded } from "../extension.js";
import { KernelScratch } from "../../core/scratch.js";

const WIDTH = 128;
const BATCH = 1 << 17;

/** The sender's side of a source of COTs under one Δ with LSB(Δ) = 1: q blocks, 16 bytes each. */
export interface BaseCotSender {
  readonly delta: Uint8Array;
  cots(n: number): Promise<Uint8Array>;
}

/** The receiver's side: t = q ⊕ b·Δ blocks, 16 bytes each, for random choice bits b the source picks. */
export interface BaseCotReceiver {
  cots(n: number): Promise<Uint8Array>;
}

function seeded(prg: Prg, keys: Uint8Array): Prg[] {
  const out: Prg[] = [];
  for (let j = 0; j < keys.length; j += KEY_BYTES) out.push(prg.withSeed(keys.subarray(j, j + KEY_BYTES)));
  return out;
}

function checkLength(frame: Uint8Array, bytes: number, tag: string): Uint8Array {
  if (frame.length !== bytes) throw new ProtocolError(`${tag}: expected ${bytes} bytes, got ${frame.length}`);
  return frame;
}

/** IKNP sender of base COTs; `tag` prefixes the frames. Both sides call their factory at the same point. */
export async function iknpCotSender(ch: Channel, prg: Prg, tag: string): Promise<BaseCotSender> {
  const delta = prg.bytes(16);
  delta[0] |= 1;
  const a = checkLength(await ch.recv(`${tag}.base.A`), POINT_BYTES, `${tag}.base.A`);
  const { reply, keys } = baseOtReceive(prg, a, delta, WIDTH);
  ch.send(`${tag}.base.B`, reply);
  return extensionCotSender(ch, new ExtensionSender(delta, seeded(prg, keys)), tag);
}

/** Base COTs from an IKNP extension sender whose secret s (Δ) has LSB 1; frames `${tag}.u`. */
export function extensionCotSender(ch: Channel, ext: ExtensionSender, tag: string): BaseCotSender {
  if (ext.width !== WIDTH || (ext.s[0] & 1) !== 1) throw new RangeError("extensionCotSender: needs a 128-column extension whose secret has LSB 1");
  return {
    delta: ext.s,
    async cots(n: number): Promise<Uint8Array> {
      const out = new Uint8Array(16 * n);
      if (n === 0) return out;
      const wire = checkLength(await ch.recv(`${tag}.u`), (WIDTH / 8) * n, `${tag}.u`);
      for (let from = 0, at = 0; from < n; from += BATCH) {
        const count = Math.min(BATCH, n - from);
        const [q] = ext.expand(padded(count), count, wire, at);
        at += (WIDTH / 8) * count;
        out.set(q.subarray(0, 16 * count), 16 * from);
      }
      return out;
    },
  };
}

export async function iknpCotReceiver(ch: Channel, prg: Prg, tag: string): Promise<BaseCotReceiver> {
  const base = new BaseOtSender(prg, WIDTH);
  ch.send(`${tag}.base.A`, base.message);
  const { k0, k1 } = base.finish(checkLength(await ch.recv(`${tag}.base.B`), WIDTH * POINT_BYTES, `${tag}.base.B`));
  return extensionCotReceiver(ch, prg, new ExtensionReceiver(seeded(prg, k0), seeded(prg, k1)), tag);
}

/** Base COTs from an IKNP extension receiver, with random choices from `prg`; frames `${tag}.u`. */
export function extensionCotReceiver(ch: Channel, prg: Prg, ext: ExtensionReceiver, tag: string): BaseCotReceiver {
  if (ext.width !== WIDTH) throw new RangeError("extensionCotReceiver: needs a 128-column extension");
  const choice = new KernelScratch();
  return {
    async cots(n: number): Promise<Uint8Array> {
      const out = new Uint8Array(16 * n);
      if (n === 0) return out;
      const wire = new Uint8Array((WIDTH / 8) * n);
      for (let from = 0, at = 0; from < n; from += BATCH) {
        const count = Math.min(BATCH, n - from);
        const m = padded(count);
        ext.reserve(m);
        choice.reserve(m >>> 3);
        const r = choice.view(m >>> 3);
        r.fill(0);
        prg.fill(r.subarray(0, (count + 7) >>> 3));
        if (count & 7) r[count >>> 3] &= (1 << (count & 7)) - 1;
        const [t] = ext.expand(m, count, () => r, wire, at);
        at += (WIDTH / 8) * count;
        out.set(t.subarray(0, 16 * count), 16 * from);
      }
      ch.send(`${tag}.u`, wire);
      return out;
    },
  };
}
