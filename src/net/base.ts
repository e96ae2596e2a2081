// The Channel logic shared by every transport: framing, ordering, tag checks, deadlines, abort/close and counters.
// A transport only moves encoded frames (`transmit`) and hands decoded ones back (`receive`).
import type { Channel, RecvOptions, Role, ScopeTraffic, Traffic } from "./channel.js";
import {
  AbortedByPeerError,
  ChannelClosedError,
  FrameError,
  peerName,
  ServerBusyError,
  TagMismatchError,
  TimeoutError,
} from "./errors.js";
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FrameKind,
  framePayload,
  frameTag,
  frameTagIs,
  kindName,
  tagBytes,
  tagString,
  type Frame,
} from "./frame.js";

export interface ChannelOptions {
  /**
   * Default deadline of every receive, in milliseconds (default 60,000): the inactivity deadline, since a receive
   * waits only while the peer sends nothing. A protocol that knows a step is slow passes its own (RecvOptions).
   */
  timeoutMs?: number;
  /** Largest frame accepted from the peer once its handshake frame has arrived, in bytes (default 2^30). */
  maxFrameBytes?: number;
  /**
   * Largest frame accepted before the peer's handshake frame (default: maxFrameBytes; listen and connect use 64 KiB).
   * A frame over the limit is refused from its header, before anything is allocated for it.
   */
  handshakeMaxFrameBytes?: number;
  /**
   * Fails the channel unless the peer's handshake frame arrives within this many ms (default: no such deadline).
   * Each notice frame from the peer (a queue position) starts the wait anew.
   */
  handshakeTimeoutMs?: number;
  /** The peer's role, for messages ("the client closed the connection"); without it they say "the peer". */
  peer?: Role;
}

interface CheckedChannelOptions {
  timeoutMs: number;
  maxFrameBytes: number;
  handshakeMaxFrameBytes: number;
  handshakeTimeoutMs: number | undefined;
  peer: Role | undefined;
}

/** Deadlines that can be changed on an open channel (a server sets them per connection). */
export type ChannelDeadlines = Pick<ChannelOptions, "timeoutMs" | "handshakeTimeoutMs">;

export const DEFAULT_TIMEOUT_MS = 60_000;
const ABORT_MESSAGE_LIMIT = 4096;
// A deadline timer firing this late means the event loop was blocked (long synchronous compute); frames may be
// waiting in I/O that has not been read yet, so the check is repeated once after the loop's I/O phase.
const LATE_TIMER_MS = 20;
const EMPTY = new Uint8Array(0);
const textEncoder = new TextEncoder();
const BUSY_PREFIX = "ServerBusyError: ";

/**
 * Calls `onExpiry` after `ms` unless cancelled, without keeping the process alive. A timer that fires late (the
 * event loop was blocked) waits one more turn first, so that a frame already in the socket is read before the
 * deadline is judged.
 */
export function deadline(ms: number, onExpiry: () => void): { cancel(): void } {
  const due = performance.now() + ms;
  let t: ReturnType<typeof setTimeout>;
  const arm = (delay: number, fire: () => void) => {
    t = setTimeout(fire, delay);
    (t as unknown as { unref?: () => void }).unref?.();
  };
  arm(ms, () => {
    if (performance.now() - due > LATE_TIMER_MS) arm(0, onExpiry);
    else onExpiry();
  });
  return { cancel: () => clearTimeout(t) };
}

const NONE = 0;
const SENT = 1;
const RECEIVED = 2;

/**
 * One node of the scope tree. Counters are inclusive: an event updates its scope and every ancestor. Each node also
 * tracks its own last direction, reset on entry, so the first message of a scope always opens a flight of that scope.
 */
class ScopeNode {
  readonly t: Traffic = { bytesSent: 0, bytesReceived: 0, flightsSent: 0, flightsReceived: 0, messagesSent: 0, messagesReceived: 0 };
  readonly children = new Map<string, ScopeNode>();
  lastDir = NONE;
  ms = 0;
  constructor(
    readonly path: string,
    readonly parent: ScopeNode | undefined,
  ) {}
}

interface Waiter {
  kind: FrameKind;
  tag: string;
  tagBytes: Uint8Array;
  deadline: number;
  timeoutMs: number;
  /** What the channel was doing when the receive started (for the timeout's message). */
  phase: string | undefined;
  resolve: (payload: Uint8Array) => void;
  reject: (err: Error) => void;
}

/** A FIFO whose shift is O(1) amortised: consumed slots are dropped in bulk. */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  /** Removes and returns the oldest item; the queue must not be empty. */
  shift(): T {
    const x = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return x;
  }

  /** The items in order, without removing them. */
  peekAll(): T[] {
    return this.items.slice(this.head) as T[];
  }

  /** Empties the queue, returning what it held in order. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

function checkTimeout(ms: unknown, field: string): number {
  if (typeof ms !== "number" || !(ms > 0) || ms > 2_147_483_647)
    throw new RangeError(`${field} must be a positive number of ms up to 2^31-1, got ${String(ms)}`);
  return ms;
}

function checkFrameLimit(n: unknown, field: string, max: number): number {
  if (!Number.isInteger(n) || (n as number) < 16 || (n as number) > max) throw new RangeError(`${field} must be an integer in [16, ${max}], got ${String(n)}`);
  return n as number;
}

function checkDeadlines(d: ChannelDeadlines): void {
  if (typeof d !== "object" || d === null) throw new TypeError("channel deadlines must be an object");
  if (d.timeoutMs !== undefined) checkTimeout(d.timeoutMs, "timeoutMs");
  if (d.handshakeTimeoutMs !== undefined) checkTimeout(d.handshakeTimeoutMs, "handshakeTimeoutMs");
}

/** Validates channel options (transports call it before opening anything) and fills in the defaults. */
export function checkChannelOptions(opts: ChannelOptions): CheckedChannelOptions {
  if (typeof opts !== "object" || opts === null) throw new TypeError("channel options must be an object");
  checkDeadlines(opts);
  const maxFrameBytes = checkFrameLimit(opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, "maxFrameBytes", 0xffffffff);
  const handshakeMaxFrameBytes = checkFrameLimit(opts.handshakeMaxFrameBytes ?? maxFrameBytes, "handshakeMaxFrameBytes", maxFrameBytes);
  if (opts.peer !== undefined && opts.peer !== "server" && opts.peer !== "client")
    throw new TypeError(`peer must be "server" or "client", got ${String(opts.peer)}`);
  return { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxFrameBytes, handshakeMaxFrameBytes, handshakeTimeoutMs: opts.handshakeTimeoutMs, peer: opts.peer };
}

export abstract class BaseChannel implements Channel {
  private defaultTimeoutMs: number;
  /** The peer's role, when the transport was told it (for messages). */
  protected readonly peerRole: Role | undefined;
  private readonly sessionMaxFrameBytes: number;
  private frameLimit: number;
  private handshakeReceived = false;
  private handshakeTimer: { cancel(): void } | undefined;
  private handshakeTimeoutMs: number | undefined;
  private sendSeq = 0;
  private recvSeq = 0;
  // Frames that arrived before their receive, and receives waiting for a frame; one of the two is always empty.
  private readonly inbox = new Queue<Frame>();
  private readonly waiters = new Queue<Waiter>();
  private failure: Error | undefined;
  private closedHere = false;
  private closedByPeer = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  private rechecking = false;
  private readonly root = new ScopeNode("", undefined);
  private current = this.root;
  // Scopes entered and not yet left, innermost last; `current` is its top (or the root).
  private readonly active: ScopeNode[] = [];
  private readonly scopeOrder: ScopeNode[] = [];

  constructor(opts: ChannelOptions = {}) {
    const o = checkChannelOptions(opts);
    this.defaultTimeoutMs = o.timeoutMs;
    this.peerRole = o.peer;
    this.sessionMaxFrameBytes = o.maxFrameBytes;
    this.frameLimit = o.handshakeMaxFrameBytes;
    this.handshakeTimeoutMs = o.handshakeTimeoutMs;
    this.armHandshakeTimer();
  }

  /**
   * Largest frame the transport may accept now: the handshake limit until the peer's handshake frame has arrived,
   * then the session's. Transports read it at each frame header.
   */
  protected get maxFrameBytes(): number {
    return this.frameLimit;
  }

  /** Puts one encoded frame on the wire; frames must reach the peer's `receive` in the order given. */
  protected abstract transmit(frame: Uint8Array): void;
  /** Releases the transport once the last frame (close or abort) has been handed to `transmit`. */
  protected abstract shutdown(): void;

  send(tag: string, payload: Uint8Array): void {
    this.sendKind(FrameKind.Data, tag, payload);
  }

  recv(tag: string, opts?: RecvOptions): Promise<Uint8Array> {
    return this.recvKind(FrameKind.Data, tag, opts);
  }

  /** Sends a handshake frame (see handshake.ts); counted like data. */
  sendHandshake(payload: Uint8Array): void {
    this.sendKind(FrameKind.Handshake, "handshake", payload);
  }

  recvHandshake(opts?: RecvOptions): Promise<Uint8Array> {
    return this.recvKind(FrameKind.Handshake, "handshake", opts);
  }

  /** Sends a notice frame (see frame.ts): status for the peer's transport, not counted, never seen by a receive. */
  sendNotice(tag: string, payload: Uint8Array): void {
    if (!(payload instanceof Uint8Array)) throw new TypeError(`sendNotice "${tag}": payload must be a Uint8Array`);
    const tb = tagBytes(tag);
    if (this.failure !== undefined) throw this.failure;
    if (this.closedHere || this.closedByPeer) throw new ChannelClosedError(`sendNotice "${tag}" on a closed channel`);
    this.transmit(encodeFrame(FrameKind.Notice, this.sendSeq, tb, payload));
    this.sendSeq = (this.sendSeq + 1) >>> 0;
  }

  /**
   * Changes the deadlines of an open channel: `timeoutMs` for receives started from now on, `handshakeTimeoutMs`
   * (counted from now) unless the peer's handshake frame has already arrived.
   */
  setDeadlines(d: ChannelDeadlines): void {
    checkDeadlines(d);
    if (d.timeoutMs !== undefined) this.defaultTimeoutMs = d.timeoutMs;
    if (d.handshakeTimeoutMs !== undefined) {
      this.handshakeTimeoutMs = d.handshakeTimeoutMs;
      this.armHandshakeTimer();
    }
  }

  get traffic(): Readonly<Traffic> {
    return { ...this.root.t };
  }

  async scope<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (typeof name !== "string" || name === "" || name.includes("/"))
      throw new TypeError(`scope name must be a non-empty string without "/", got ${JSON.stringify(name)}`);
    const parent = this.current;
    let node = parent.children.get(name);
    if (node === undefined) {
      node = new ScopeNode(parent === this.root ? name : `${parent.path}/${name}`, parent);
      parent.children.set(name, node);
      this.scopeOrder.push(node);
    }
    node.lastDir = NONE;
    this.active.push(node);
    this.current = node;
    const start = performance.now();
    try {
      return await fn();
    } finally {
      node.ms += performance.now() - start;
      // Remove this entry wherever it is: if scopes overlapped in time (which they should not), later counts
      // still go to a scope that is open rather than to one already left.
      this.active.splice(this.active.lastIndexOf(node), 1);
      this.current = this.active.length > 0 ? this.active[this.active.length - 1] : this.root;
    }
  }

  scopes(): ScopeTraffic[] {
    return this.scopeOrder.map((n) => ({ name: n.path, ...n.t, ms: n.ms }));
  }

  abort(error: Error): void {
    if (!(error instanceof Error)) throw new TypeError("abort: error must be an Error");
    this.fail(error, true);
  }

  close(): void {
    if (this.failure !== undefined || this.closedHere) return;
    this.closedHere = true;
    if (!this.closedByPeer) this.transmitControl(FrameKind.Close, EMPTY);
    this.rejectWaiters(new ChannelClosedError("channel closed"));
    this.inbox.drain();
    this.stopTimer();
    this.stopHandshakeTimer();
    this.shutdown();
  }

  /** Whether the channel can still carry data (not failed, not closed by either side). */
  get open(): boolean {
    return this.failure === undefined && !this.closedHere && !this.closedByPeer;
  }

  /** Why the channel failed (this side's error, the peer's abort, a transport failure), if it did. */
  get error(): Error | undefined {
    return this.failure;
  }

  // ---- transport side ----

  /** A notice frame from the peer (frame.ts); transports that expect some override this. */
  protected notice(_tag: string, _payload: Uint8Array): void {}

  /** Hands a decoded frame from the peer to the channel, in wire order. */
  protected receive(frame: Frame): void {
    if (this.failure !== undefined || this.closedHere) return;
    if (frame.seq !== this.recvSeq) {
      this.fail(new FrameError("seq", `frame seq ${frame.seq} where ${this.recvSeq} was expected (a frame was lost or injected)`), true);
      return;
    }
    this.recvSeq = (this.recvSeq + 1) >>> 0;
    switch (frame.kind) {
      case FrameKind.Abort: {
        const msg = tagString(framePayload(frame));
        this.fail(msg.startsWith(BUSY_PREFIX) ? new ServerBusyError(msg.slice(BUSY_PREFIX.length)) : new AbortedByPeerError(msg, this.peerRole), false);
        return;
      }
      case FrameKind.Close:
        this.closedByPeer = true;
        this.rejectWaiters(new ChannelClosedError(`${peerName(this.peerRole)} closed the channel`));
        this.stopTimer();
        this.stopHandshakeTimer();
        return;
      case FrameKind.Notice:
        // The peer is alive and says why it is not starting yet: the wait for its handshake starts anew.
        if (!this.handshakeReceived) this.armHandshakeTimer();
        this.notice(tagString(frameTag(frame)), framePayload(frame));
        return;
      case FrameKind.Handshake:
        // Raised here, as the frame arrives, so that a transport parsing the next frame of the same chunk already
        // applies the session's limit. A stranger gains nothing by it: anyone can send a valid hello.
        if (!this.handshakeReceived) {
          this.handshakeReceived = true;
          this.frameLimit = this.sessionMaxFrameBytes;
          this.stopHandshakeTimer();
        }
    }
    if (this.closedByPeer) {
      this.fail(new FrameError("kind", `${kindName(frame.kind)} frame seq ${frame.seq} after the peer's close`), true);
      return;
    }
    if (this.waiters.size > 0) {
      const w = this.waiters.shift();
      if (this.waiters.size === 0) this.refTimer(false);
      const r = this.take(w.kind, w.tag, w.tagBytes, frame);
      if (r instanceof Uint8Array) w.resolve(r);
      else w.reject(r);
    } else {
      this.inbox.push(frame);
    }
  }

  /** Fails the channel because of a transport problem (connection lost, malformed stream); the peer is told if possible. */
  protected transportFailed(err: Error, notifyPeer: boolean): void {
    if (this.closedByPeer && !notifyPeer && this.failure === undefined) {
      // The peer said goodbye; its connection ending afterwards is expected.
      return;
    }
    this.fail(err, notifyPeer);
  }

  // ---- internals ----

  private sendKind(kind: FrameKind, tag: string, payload: Uint8Array): void {
    if (!(payload instanceof Uint8Array)) throw new TypeError(`send "${tag}": payload must be a Uint8Array`);
    const tb = tagBytes(tag);
    if (this.failure !== undefined) throw this.failure;
    if (this.closedHere) throw new ChannelClosedError(`send "${tag}" on a closed channel`);
    if (this.closedByPeer) throw new ChannelClosedError(`send "${tag}": ${peerName(this.peerRole)} closed the channel`);
    const frame = encodeFrame(kind, this.sendSeq, tb, payload);
    this.sendSeq = (this.sendSeq + 1) >>> 0;
    const n = frame.length;
    for (let s: ScopeNode | undefined = this.current; s !== undefined; s = s.parent) {
      const t = s.t;
      t.bytesSent += n;
      t.messagesSent++;
      if (s.lastDir !== SENT) {
        s.lastDir = SENT;
        t.flightsSent++;
      }
    }
    this.transmit(frame);
  }

  private recvKind(kind: FrameKind, tag: string, opts?: RecvOptions): Promise<Uint8Array> {
    const tb = tagBytes(tag);
    const timeoutMs = opts?.timeoutMs === undefined ? this.defaultTimeoutMs : checkTimeout(opts.timeoutMs, "timeoutMs");
    if (this.inbox.size > 0) {
      const r = this.take(kind, tag, tb, this.inbox.shift());
      return r instanceof Uint8Array ? Promise.resolve(r) : Promise.reject(r);
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closedHere) return Promise.reject(new ChannelClosedError(`recv "${tag}" on a closed channel`));
    if (this.closedByPeer) return Promise.reject(new ChannelClosedError(`recv "${tag}": ${peerName(this.peerRole)} closed the channel`));
    const phase = kind === FrameKind.Handshake ? "the handshake" : this.current === this.root ? undefined : this.current.path;
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      this.waiters.push({ kind, tag, tagBytes: tb, deadline, timeoutMs, phase, resolve, reject });
      this.armTimer(deadline);
    });
  }

  /** Checks that `frame` is what the receive expects and counts it; a mismatch fails the channel. */
  private take(kind: FrameKind, tag: string, tb: Uint8Array, frame: Frame): Uint8Array | Error {
    if (frame.kind !== kind || !frameTagIs(frame, tb)) {
      const got = tagString(frameTag(frame));
      const err =
        frame.kind === kind
          ? new TagMismatchError(tag, got, frame.seq)
          : new FrameError(
              "kind",
              `expected a ${kindName(kind)} frame "${tag}" but received a ${kindName(frame.kind)} frame "${got}" (frame seq ${frame.seq})`,
            );
      this.fail(err, true);
      return err;
    }
    const n = frame.wireBytes;
    for (let s: ScopeNode | undefined = this.current; s !== undefined; s = s.parent) {
      const t = s.t;
      t.bytesReceived += n;
      t.messagesReceived++;
      if (s.lastDir !== RECEIVED) {
        s.lastDir = RECEIVED;
        t.flightsReceived++;
      }
    }
    return framePayload(frame);
  }

  private fail(err: Error, notifyPeer: boolean): void {
    if (this.failure !== undefined || this.closedHere) return;
    this.failure = err;
    if (notifyPeer && !this.closedByPeer) {
      const msg = `${err.name}: ${err.message}`;
      this.transmitControl(FrameKind.Abort, textEncoder.encode(msg.length > ABORT_MESSAGE_LIMIT ? msg.slice(0, ABORT_MESSAGE_LIMIT) : msg));
    }
    this.rejectWaiters(err);
    this.inbox.drain();
    this.stopTimer();
    this.stopHandshakeTimer();
    this.shutdown();
  }

  private transmitControl(kind: FrameKind, payload: Uint8Array): void {
    const frame = encodeFrame(kind, this.sendSeq, EMPTY, payload);
    this.sendSeq = (this.sendSeq + 1) >>> 0;
    try {
      this.transmit(frame);
    } catch {
      // The transport is already gone; the local error still stands.
    }
  }

  private rejectWaiters(err: Error): void {
    for (const w of this.waiters.drain()) w.reject(err);
  }

  // One timer serves every pending receive: it is armed for the earliest deadline and, when it fires early because
  // that receive was served, re-armed for the next one. Receives that are served in time cost no timer call.
  private armTimer(deadline: number): void {
    if (this.timer !== undefined) {
      if (deadline >= this.timerAt) {
        this.refTimer(true);
        return;
      }
      clearTimeout(this.timer);
    }
    this.timerAt = deadline;
    this.timer = setTimeout(this.onTimer, Math.max(0, deadline - performance.now()));
  }

  // In Node an idle timer must not keep the process alive; a pending receive must (or a stalled peer would exit
  // the process silently instead of failing at the deadline). Browsers have no such notion.
  private refTimer(on: boolean): void {
    const t = this.timer as unknown as { ref?: () => void; unref?: () => void } | undefined;
    if (t !== undefined) {
      if (on) t.ref?.();
      else t.unref?.();
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // The handshake deadline may guard a connection nobody is receiving on yet: it does not keep the process alive.
  private armHandshakeTimer(): void {
    this.stopHandshakeTimer();
    const ms = this.handshakeTimeoutMs;
    if (ms === undefined || this.handshakeReceived || !this.open) return;
    this.handshakeTimer = deadline(ms, () => this.fail(new TimeoutError("handshake", ms, this.peerRole, "the handshake"), true));
  }

  private stopHandshakeTimer(): void {
    this.handshakeTimer?.cancel();
    this.handshakeTimer = undefined;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.waiters.size === 0) return;
    const now = performance.now();
    if (!this.rechecking && now - this.timerAt > LATE_TIMER_MS) {
      this.rechecking = true;
      this.timerAt = now;
      this.timer = setTimeout(this.onTimer, 0);
      return;
    }
    this.rechecking = false;
    let next = Infinity;
    for (const w of this.waiters.peekAll()) {
      // 1 ms slack: timers may fire a fraction early.
      if (w.deadline <= now + 1) {
        this.fail(new TimeoutError(w.tag, w.timeoutMs, this.peerRole, w.phase), true);
        return;
      }
      next = Math.min(next, w.deadline);
    }
    this.armTimer(next);
  };
}

// A resolved promise's then() is a bare V8 microtask; Node's queueMicrotask adds an async resource per call.
const resolved = Promise.resolve();

/**
 * A transport that sends the frames queued in one tick together (one write, one postMessage, one delivery pass),
 * and ends itself only after the last queued frame (a close or abort among them) has gone out.
 */
export abstract class TickBatchedChannel extends BaseChannel {
  private out: Uint8Array[] = [];
  private scheduled = false;
  private ending = false;

  /** Sends one tick's frames, in order. */
  protected abstract sendFrames(frames: Uint8Array[]): void;
  /** Releases the transport; called once every queued frame has been sent. */
  protected abstract endTransport(): void;

  protected transmit(frame: Uint8Array): void {
    this.out.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      resolved.then(this.flush);
    }
  }

  protected shutdown(): void {
    this.ending = true;
    if (!this.scheduled) this.endTransport();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const frames = this.out;
    this.out = [];
    this.sendFrames(frames);
    if (this.ending) this.endTransport();
  };
}
