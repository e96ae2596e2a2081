// Wire format of one frame (all integers little-endian):
//   u32 length   bytes after this field: 6 + tagLength + payload length
//   u8  kind     0 data, 1 handshake, 2 abort, 3 close
//   u32 seq      per-direction frame counter, starting at 0 (every kind counts)
//   u8  tagLength, then the tag in UTF-8, then the payload.
// Every transport carries exactly these bytes, so byte counts agree between the in-memory pair and TCP.
import { FrameError } from "./errors.js";

export const FrameKind = { Data: 0, Handshake: 1, Abort: 2, Close: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const KIND_NAMES = ["data", "handshake", "abort", "close"];

/** Bytes of the fixed header (length, kind, seq, tag length), before the tag. */
export const FIXED_HEADER_BYTES = 10;
export const MAX_TAG_BYTES = 255;
/** Largest frame a receiver accepts unless configured otherwise (a corrupt length must not allocate gigabytes). */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 30;

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

function checkLength(rest: number, maxFrameBytes: number): void {
  if (rest < FIXED_HEADER_BYTES - 4) throw new FrameError("length", `frame length field ${rest} is below the minimum ${FIXED_HEADER_BYTES - 4}`);
  if (rest + 4 > maxFrameBytes) throw new FrameError("length", `frame length field ${rest} exceeds the limit of ${maxFrameBytes} bytes`);
}

function checkKind(kind: number): FrameKind {
  if (kind > FrameKind.Close) throw new FrameError("kind", `frame kind ${kind} is not one of data, handshake, abort, close`);
  return kind as FrameKind;
}

function checkTagLength(tagLength: number, rest: number): void {
  if (tagLength > rest - (FIXED_HEADER_BYTES - 4))
    throw new FrameError("tagLength", `frame tag length ${tagLength} exceeds the ${rest - (FIXED_HEADER_BYTES - 4)} bytes left in the frame`);
}

/** Decodes one complete frame held in `f`, checking every field. */
export function decodeFrame(f: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Frame {
  if (f.length < FIXED_HEADER_BYTES)
    throw new FrameError("length", `truncated frame: ${f.length} bytes, the header alone needs ${FIXED_HEADER_BYTES}`);
  const rest = u32(f, 0);
  checkLength(rest, maxFrameBytes);
  if (rest + 4 !== f.length)
    throw new FrameError(
      "length",
      `${rest + 4 > f.length ? "truncated" : "oversized"} frame: length field says ${rest + 4} bytes, got ${f.length}`,
    );
  const kind = checkKind(f[4]);
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
 * their own region, the payload 8-byte aligned. Throws FrameError on a malformed header; `finish` reports a
 * truncated tail.
 */
export class FrameReader {
  private readonly head = new Uint8Array(FIXED_HEADER_BYTES + MAX_TAG_BYTES);
  private headFill = 0;
  private headNeed = FIXED_HEADER_BYTES;
  private rest = 0;
  // Tag and payload of the frame being read, once its header is complete.
  private data: Uint8Array | undefined;
  private dataFill = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (frame: Frame) => void,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.data === undefined) {
        const take = Math.min(this.headNeed - this.headFill, chunk.length - at);
        copy(chunk, at, this.head, this.headFill, take);
        this.headFill += take;
        at += take;
        if (this.headFill < this.headNeed) return;
        if (this.headNeed === FIXED_HEADER_BYTES) {
          this.rest = u32(this.head, 0);
          checkLength(this.rest, this.maxFrameBytes);
          checkKind(this.head[4]);
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
      if (this.dataFill === this.data.length) this.emit();
    }
  }

  /** Call at end of stream: throws if a frame was cut off. */
  finish(): void {
    if (this.headFill === 0) return;
    const expected = this.headFill >= FIXED_HEADER_BYTES ? `${this.rest + 4}` : `at least ${FIXED_HEADER_BYTES}`;
    const got = this.data === undefined ? this.headFill : FIXED_HEADER_BYTES + this.dataFill;
    throw new FrameError("length", `truncated frame: stream ended after ${got} of ${expected} bytes`);
  }

  private emit(): void {
    const h = this.head;
    const frame: Frame = { kind: h[4] as FrameKind, seq: u32(h, 5), data: this.data!, tagAt: 0, payloadAt: h[9], wireBytes: this.rest + 4 };
    this.data = undefined;
    this.headFill = 0;
    this.headNeed = FIXED_HEADER_BYTES;
    this.onFrame(frame);
  }
}
