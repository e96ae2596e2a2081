// Both ends of a channel in one process. Frames are encoded and decoded exactly as on TCP (so byte counts are
// identical) and delivered in a microtask: the payload is copied once, into the frame, and the receiver gets a view.
import type { Channel, Role } from "./channel.js";
import { TickBatchedChannel, type ChannelOptions } from "./base.js";
import type { Link } from "./cost.js";
import { decodeFrame, FrameKind } from "./frame.js";

export interface MemoryPairOptions extends ChannelOptions {
  /**
   * Fault injection: sees every frame in transit (data and control) and returns the bytes the peer receives.
   * Lets tests truncate or corrupt frames on the wire.
   */
  tamper?: (frame: Uint8Array, from: Role) => Uint8Array;
  /**
   * Emulates a link (e.g. LAN or WAN from cost.ts): in each direction frames are serialised one after another at
   * `bitsPerSecond` and arrive `rttMs / 2` after their last bit left. Without it, delivery is immediate. Timers
   * resolve to about 1 ms, so a flight shorter than that (LAN's 0.4 ms) is emulated as about 1 ms.
   */
  link?: Pick<Link, "bitsPerSecond" | "rttMs">;
}

/**
 * Traffic of both ends together. A round is one flight: a maximal run of consecutive messages in one direction, in the
 * order they were sent (the first message opens round 1; each change of direction opens the next). Both parties
 * sending "at once" (each sends, then each receives) thus counts 2 rounds, though one one-way latency would do;
 * SCI's counter also counts direction switches. Only data and handshake frames count; abort and close do not.
 */
export interface PairTraffic {
  bytes: number;
  bytesServerToClient: number;
  bytesClientToServer: number;
  messages: number;
  rounds: number;
}

class PairMeter {
  readonly t: PairTraffic = { bytes: 0, bytesServerToClient: 0, bytesClientToServer: 0, messages: 0, rounds: 0 };
  private lastFrom: Role | undefined;

  add(from: Role, n: number): void {
    const t = this.t;
    t.bytes += n;
    if (from === "server") t.bytesServerToClient += n;
    else t.bytesClientToServer += n;
    t.messages++;
    if (this.lastFrom !== from) {
      this.lastFrom = from;
      t.rounds++;
    }
  }
}

/** The shared transcript counters of one pair: the total plus any open measurement windows. */
class PairLog {
  readonly meters: PairMeter[] = [new PairMeter()];
}

/** Frames on an emulated link, in order of arrival time (which is also send order). */
class LinkQueue {
  private readonly frames: Uint8Array[] = [];
  private readonly arrivals: number[] = [];
  private head = 0;
  private free = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly link: NonNullable<MemoryPairOptions["link"]>,
    private readonly deliver: (frame: Uint8Array) => boolean,
  ) {}

  push(frame: Uint8Array): void {
    const now = performance.now();
    this.free = Math.max(now, this.free) + (frame.length * 8 * 1000) / this.link.bitsPerSecond;
    this.frames.push(frame);
    this.arrivals.push(this.free + this.link.rttMs / 2);
    if (this.timer === undefined) this.arm(now);
  }

  private arm(now: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(0, this.arrivals[this.head] - now));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const now = performance.now();
    // Timers may fire up to a millisecond early; a frame due within 0.5 ms is delivered now.
    while (this.head < this.frames.length && this.arrivals[this.head] <= now + 0.5) {
      const f = this.frames[this.head++];
      if (!this.deliver(f)) this.head = this.frames.length;
    }
    if (this.head === this.frames.length || this.head >= 1024) {
      this.frames.splice(0, this.head);
      this.arrivals.splice(0, this.head);
      this.head = 0;
    }
    if (this.frames.length > 0) this.arm(now);
  };
}

class MemoryChannel extends TickBatchedChannel {
  peer!: MemoryChannel;
  private readonly wire: LinkQueue | undefined;

  constructor(
    readonly end: Role,
    readonly log: PairLog,
    private readonly tamper: MemoryPairOptions["tamper"],
    link: MemoryPairOptions["link"],
    opts: ChannelOptions,
  ) {
    super(opts);
    this.wire = link && new LinkQueue(link, this.deliver);
  }

  protected override transmit(frame: Uint8Array): void {
    if (frame[4] <= FrameKind.Handshake) for (const m of this.log.meters) m.add(this.end, frame.length);
    super.transmit(frame);
  }

  protected endTransport(): void {
    // Nothing to release: the pair lives in memory.
  }

  protected sendFrames(frames: Uint8Array[]): void {
    if (this.wire !== undefined) for (const f of frames) this.wire.push(f);
    else for (const f of frames) if (!this.deliver(f)) return;
  }

  /** Hands one frame to the peer; false if it could not be decoded (the peer has failed). */
  private readonly deliver = (f: Uint8Array): boolean => {
    const peer = this.peer;
    let frame;
    try {
      frame = decodeFrame(this.tamper ? this.tamper(f, this.end) : f, peer.maxFrameBytes);
    } catch (err) {
      peer.transportFailed(err as Error, true);
      return false;
    }
    peer.receive(frame);
    return true;
  };
}

/** Two connected channel ends in this process: [server end, client end]. */
export function memoryPair(opts: MemoryPairOptions = {}): [Channel, Channel] {
  const { tamper, link, ...channelOpts } = opts;
  if (tamper !== undefined && typeof tamper !== "function") throw new TypeError("memoryPair: tamper must be a function");
  if (link !== undefined) {
    if (!(link.bitsPerSecond > 0) || !Number.isFinite(link.bitsPerSecond))
      throw new RangeError(`memoryPair: link.bitsPerSecond must be a positive number, got ${link.bitsPerSecond}`);
    if (!(link.rttMs >= 0) || !Number.isFinite(link.rttMs))
      throw new RangeError(`memoryPair: link.rttMs must be a finite number ≥ 0, got ${link.rttMs}`);
  }
  const log = new PairLog();
  const server = new MemoryChannel("server", log, tamper, link, channelOpts);
  const client = new MemoryChannel("client", log, tamper, link, channelOpts);
  server.peer = client;
  client.peer = server;
  return [server, client];
}

function logOf(a: Channel, b: Channel): PairLog {
  if (!(a instanceof MemoryChannel) || !(b instanceof MemoryChannel) || a.log !== b.log || a === b)
    throw new TypeError("pairTraffic: a and b must be the two ends of one memoryPair");
  return a.log;
}

/** Combined traffic of both ends of a memoryPair since it was created. */
export function pairTraffic(a: Channel, b: Channel): PairTraffic {
  return { ...logOf(a, b).meters[0].t };
}

/**
 * Runs `fn` and returns the pair's traffic during it, counted from a fresh start (the first message in the window
 * opens round 1), with the wall-clock time. Windows may nest or overlap.
 */
export async function measurePair<T>(a: Channel, b: Channel, fn: () => Promise<T>): Promise<{ result: T; traffic: PairTraffic; ms: number }> {
  const log = logOf(a, b);
  const meter = new PairMeter();
  log.meters.push(meter);
  const start = performance.now();
  try {
    const result = await fn();
    return { result, traffic: { ...meter.t }, ms: performance.now() - start };
  } finally {
    log.meters.splice(log.meters.indexOf(meter), 1);
  }
}
