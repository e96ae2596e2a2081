// Wire format of one frame (all integers little-endian):
//   u32 length   bytes after this field: 6 + tagLength + payload length
//   u8  kind     0 data, 1 handshake, 2 abort, 3 close, 4 notice
//   u32 seq      per-direction frame counter, starting at 0 (every kind counts)
//   u8  tagLength, then the tag in UTF-8, then the payload.
// Every transport carries exactly these bytes, so byte counts agree between the in-memory pair and TCP.
// Notice frames carry status before a session starts; the channel hands them to its transport and never to a receive,
// and they are not counted. Two so far:
//   "connect", empty: the first frame a TCP client sends, at once. A client may wait for the server's hello before
//     sending its own; this lets a server tell a client from an idle socket before it gives the connection a place.
//   "queue", a u32 position in the server's queue (1: next): sent by serve.ts while the connection waits for a session,
//     before the server's hello.
// A client refused before its session gets an abort frame whose message starts with "ServerBusyError: " (errors.ts).
import { FrameError } from "./errors.js";

export const FrameKind = { Data: 0, Handshake: 1, Abort: 2, Close: 3, Notice: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const KIND_NAMES = ["data", "handshake", "abort", "close", "notice"];

/** Bytes of the fixed header (length, kind, seq, tag length), before the tag. */
export const FIXED_HEADER_BYTES = 10;
export const MAX_TAG_BYTES = 255;
/** Largest frame a receiver accepts unless configured otherwise (a corrupt length must not allocate gigabytes). */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 30;
/**
 * Largest frame a network channel accepts before the peer's handshake frame: a hello, a notice or an abort fits in
 * far less, and a stranger (or a port scanner, or an HTTP client) can make it allocate no more.
 */
export const DEFAULT_HANDSHAKE_MAX_FRAME_BYTES = 64 * 1024;

/** The tag of the notice a TCP client sends as soon as it is connected. */
export const CONNECT_NOTICE = "connect";
/** The tag of the notice that tells a waiting client its position in the server's queue. */
export const QUEUE_NOTICE = "queue";

export function encodeQueuePosition(position: number): Uint8Array {
  if (!Number.isInteger(position) || position < 1 || position > 0xffffffff) throw new RangeError(`queue position must be a positive integer, got ${position}`);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, position, true);
  return b;
}

/** The position in a queue notice's payload, or undefined if the payload is not one. */
export function decodeQueuePosition(payload: Uint8Array): number | undefined {
  if (payload.length !== 4) return undefined;
  const p = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
  return p >= 1 ? p : undefined;
}

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `unknown(${kind})`;
}

/** Bytes a frame with this tag and payload occupies on the wire. */
export function frameBytes(tagBytes: number, payloadBytes: number): number {
  return FIXED_HEADER_BYTES + tagBytes + payloadBytes;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const tagCache = new Map<string, Uint8Array>();
const TAG_CACHE_LIMIT = 4096;

/** UTF-8 bytes of a tag, cached: protocols reuse a handful of tags on hot paths. */
export function tagBytes(tag: string): Uint8Array {
  let b = tagCache.get(tag);
  if (b === undefined) {
    if (typeof tag !== "string") throw new TypeError(`tag must be a string, got ${typeof tag}`);
    b = encoder.encode(tag);
    if (b.length > MAX_TAG_BYTES) throw new RangeError(`tag "${tag.slice(0, 40)}…" is ${b.length} bytes; the limit is ${MAX_TAG_BYTES}`);
    if (tagCache.size >= TAG_CACHE_LIMIT) tagCache.clear();
    tagCache.set(tag, b);
  }
  return b;
}

export function tagString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

// Small frames and payloads are cut from shared 64 KiB slabs: one ArrayBuffer per message costs more in allocation
// and garbage collection than everything else on the hot path. Each region starts 8-byte aligned and is never
// reused, so a view stays valid and private to its holder (who must honour its byteOffset).
const SLAB_BYTES = 64 * 1024;
/** Regions up to this size come from a slab; larger ones own their ArrayBuffer. */
export const SLAB_MAX_ALLOC = 2048;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabAt = 0;

/** A zeroed region of n bytes starting `lead` bytes after a multiple of 8 in its ArrayBuffer. */
export function allocBytes(n: number, lead = 0): Uint8Array {
  const size = lead + n;
  if (size > SLAB_MAX_ALLOC) return new Uint8Array(new ArrayBuffer(size), lead, n);
  if (slabAt + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabAt = 0;
  }
  const v = new Uint8Array(slab, slabAt + lead, n);
  slabAt += (size + 7) & ~7;
  return v;
}

/**
 * Encodes a frame. The payload is copied once; the frame is padded in front so that the payload starts at a multiple
 * of 8 bytes in its ArrayBuffer, which lets a receiver view it as a BigUint64Array without copying.
 */
export function encodeFrame(kind: FrameKind, seq: number, tag: Uint8Array, payload: Uint8Array): Uint8Array {
  const head = FIXED_HEADER_BYTES + tag.length;
  const rest = head - 4 + payload.length;
  if (rest > 0xffffffff) throw new RangeError(`payload of ${payload.length} bytes does not fit in one frame`);
  const pad = (8 - (head & 7)) & 7;
  const f = allocBytes(head + payload.length, pad);
  f[0] = rest;
  f[1] = rest >>> 8;
  f[2] = rest >>> 16;
  f[3] = rest >>> 24;
  f[4] = kind;
  f[5] = seq;
  f[6] = seq >>> 8;
  f[7] = seq >>> 16;
  f[8] = seq >>> 24;
  f[9] = tag.length;
  f.set(tag, FIXED_HEADER_BYTES);
  f.set(payload, head);
  return f;
}

/**
 * A decoded frame. `data` holds the tag at [tagAt, payloadAt) and the payload from payloadAt to its end; views
 * of them are made only when needed (each view costs an allocation on the hot path).
 */
export interface Frame {
  kind: FrameKind;
  seq: number;
  data: Uint8Array;
  tagAt: number;
  payloadAt: number;
  /** The whole frame's size on the wire. */
  wireBytes: number;
}

export function frameTag(f: Frame): Uint8Array {
  return f.data.subarray(f.tagAt, f.payloadAt);
}

export function framePayload(f: Frame): Uint8Array {
  return f.data.subarray(f.payloadAt);
}

export function frameTagIs(f: Frame, tag: Uint8Array): boolean {
  if (f.payloadAt - f.tagAt !== tag.length) return false;
  const d = f.data;
  for (let i = 0, j = f.tagAt; i < tag.length; i++, j++) if (d[j] !== tag[i]) return false;
  return true;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/**
 * A hint when a header's first bytes are printable text: no frame header is (its kind byte is below 5), but an HTTP
 * request, a banner or a typed line is.
 */
function textHint(h: Uint8Array, n: number): string {
  const k = Math.min(n, FIXED_HEADER_BYTES);
  for (let i = 0; i < k; i++) if ((h[i] < 0x20 || h[i] > 0x7e) && h[i] !== 9 && h[i] !== 10 && h[i] !== 13) return "";
  return ` (the stream starts with text ${JSON.stringify(String.fromCharCode(...h.subarray(0, k)))}: not a cipherprune peer?)`;
}

// Checks the header held in h (its first 10 bytes); `n` bytes of h are known, which the text hint may show.
function checkHeader(h: Uint8Array, n: number, maxFrameBytes: number): number {
  const rest = u32(h, 0);
  if (rest < FIXED_HEADER_BYTES - 4)
    throw new FrameError("length", `frame length field ${rest} is below the minimum ${FIXED_HEADER_BYTES - 4}${textHint(h, n)}`);
  if (rest + 4 > maxFrameBytes)
    throw new FrameError("length", `frame length field ${rest} exceeds the limit of ${maxFrameBytes} bytes${textHint(h, n)}`);
  if (h[4] > FrameKind.Notice) throw new FrameError("kind", `frame kind ${h[4]} is not one of data, handshake, abort, close, notice${textHint(h, n)}`);
  return rest;
}

function checkTagLength(tagLength: number, rest: number): void {
  if (tagLength > rest - (FIXED_HEADER_BYTES - 4))
    throw new FrameError("tagLength", `frame tag length ${tagLength} exceeds the ${rest - (FIXED_HEADER_BYTES - 4)} bytes left in the frame`);
}

/** Decodes one complete frame held in `f`, checking every field. */
export function decodeFrame(f: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Frame {
  if (f.length < FIXED_HEADER_BYTES)
    throw new FrameError("length", `truncated frame: ${f.length} bytes, the header alone needs ${FIXED_HEADER_BYTES}`);
  const rest = checkHeader(f, f.length, maxFrameBytes);
  if (rest + 4 !== f.length)
    throw new FrameError(
      "length",
      `${rest + 4 > f.length ? "truncated" : "oversized"} frame: length field says ${rest + 4} bytes, got ${f.length}`,
    );
  const kind = f[4] as FrameKind;
  const tagLength = f[9];
  checkTagLength(tagLength, rest);
  return { kind, seq: u32(f, 5), data: f, tagAt: FIXED_HEADER_BYTES, payloadAt: FIXED_HEADER_BYTES + tagLength, wireBytes: f.length };
}

// Short copies by hand: a subarray view per copy (a Buffer's, in Node) costs more than the bytes themselves.
function copy(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  if (n > 64) dst.set(src.subarray(from, from + n), to);
  else for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/**
 * Reassembles frames from a byte stream split at arbitrary points. Each frame's tag and payload are copied once into
 * their own region, the payload 8-byte aligned. Throws FrameError on a malformed header, before allocating anything
 * for its frame; `finish` reports a truncated tail. The limit may be a function: it is read at each header, so a
 * channel can raise it between frames (after the handshake) or even from `onFrame`.
 */
export class FrameReader {
  private readonly head = new Uint8Array(FIXED_HEADER_BYTES + MAX_TAG_BYTES);
  private headFill = 0;
  private headNeed = FIXED_HEADER_BYTES;
  private rest = 0;
  // Tag and payload of the frame being read, once its header is complete.
  private data: Uint8Array | undefined;
  private dataFill = 0;

  private readonly limit: () => number;

  /** `onFrame` may return false to stop `push` right after that frame (the rest of the chunk is left unread). */
  constructor(
    maxFrameBytes: number | (() => number),
    private readonly onFrame: (frame: Frame) => unknown,
  ) {
    this.limit = typeof maxFrameBytes === "function" ? maxFrameBytes : () => maxFrameBytes;
  }

  /** Consumes `chunk`; returns how many of its bytes were read (all of them unless `onFrame` returned false). */
  push(chunk: Uint8Array): number {
    let at = 0;
    while (at < chunk.length) {
      if (this.data === undefined) {
        const take = Math.min(this.headNeed - this.headFill, chunk.length - at);
        copy(chunk, at, this.head, this.headFill, take);
        this.headFill += take;
        at += take;
        if (this.headFill < this.headNeed) return at;
        if (this.headNeed === FIXED_HEADER_BYTES) {
          this.rest = checkHeader(this.head, FIXED_HEADER_BYTES, this.limit());
          checkTagLength(this.head[9], this.rest);
          this.headNeed += this.head[9];
          if (this.headFill < this.headNeed) continue;
        }
        const tagLength = this.head[9];
        this.data = allocBytes(this.rest + 4 - FIXED_HEADER_BYTES, (8 - (tagLength & 7)) & 7);
        copy(this.head, FIXED_HEADER_BYTES, this.data, 0, tagLength);
        this.dataFill = tagLength;
      }
      const take = Math.min(this.data.length - this.dataFill, chunk.length - at);
      copy(chunk, at, this.data, this.dataFill, take);
      this.dataFill += take;
      at += take;
      if (this.dataFill === this.data.length && this.emit() === false) return at;
    }
    return at;
  }

  /** Call at end of stream: throws if a frame was cut off. */
  finish(): void {
    if (this.headFill === 0) return;
    const expected = this.headFill >= FIXED_HEADER_BYTES ? `${this.rest + 4}` : `at least ${FIXED_HEADER_BYTES}`;
    const got = this.data === undefined ? this.headFill : FIXED_HEADER_BYTES + this.dataFill;
    throw new FrameError("length", `truncated frame: stream ended after ${got} of ${expected} bytes`);
  }

  private emit(): unknown {
    const h = this.head;
    const frame: Frame = { kind: h[4] as FrameKind, seq: u32(h, 5), data: this.data!, tagAt: 0, payloadAt: h[9], wireBytes: this.rest + 4 };
    this.data = undefined;
    this.headFill = 0;
    this.headNeed = FIXED_HEADER_BYTES;
    return this.onFrame(frame);
  }
}
