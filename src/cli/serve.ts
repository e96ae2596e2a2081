// The server's loop: up to K sessions at once on admitted connections, up to Q more connections waiting in a queue
// (told their position), the rest refused at once as busy; per-connection deadlines; one log line per connection;
// a graceful stop. It knows nothing of the model: `runSession` runs one session on an admitted channel.
//
// What a client sees before its session (frame.ts): while it waits in the queue, a notice frame "queue" with its
// position (1: next) when it arrives, whenever the position changes and every few seconds (which also restarts the
// client's wait for the server's hello); refused, an abort whose message starts with "ServerBusyError: ", which its
// channel turns into a ServerBusyError. Then the session starts with the server's hello. `connect`'s onProgress
// shows the positions, so a client needs nothing else.
import { availableParallelism, totalmem } from "node:os";
import { formatMs, ProtocolError, ServerBusyError, TimeoutError } from "../net/errors.js";
import { deadline } from "../net/base.js";
import { encodeQueuePosition, QUEUE_NOTICE } from "../net/frame.js";
import type { StreamChannel, StreamListener } from "../net/stream.js";

/** What the loop tells `runSession` about its connection. */
export interface SessionContext {
  /** The connection's number in this loop (1, 2, ...), as in the log. */
  readonly id: number;
  /** The client's address, "host:port". */
  readonly peer: string;
  /** Names the session's current phase ("handshake", "base OT", "inference"): a failure's log line says it. */
  phase(name: string): void;
}

/** What a session reports for its log line; bytes and rounds default to the channel's totals. */
export interface SessionRecord {
  model?: string;
  seq?: number;
  /** Tokens kept after each layer. */
  kept?: number[];
  bytes?: number;
  rounds?: number;
}

/** Runs one server-side session on an admitted channel; the loop closes the channel afterwards. */
export type RunSession = (ch: StreamChannel, ctx: SessionContext) => Promise<SessionRecord | void>;

export interface ServeOptions {
  /** Sessions at once (K); default `defaultSessions()`. */
  sessions?: number;
  /** Connections that may wait for a session (Q); default twice the sessions. Beyond them a client is refused. */
  queue?: number;
  /**
   * Handshake deadline (default 10 s): a connection's first frame (a client's "connect" notice) must arrive within
   * this many ms, and the client's hello as long after its admission. A connection gets a place (a session, the
   * queue, or a refusal) only once its first frame is there, so silent connections never take one.
   */
  handshakeTimeoutMs?: number;
  /** Inactivity deadline: a receive waiting longer for the client fails the session (default 120 s). */
  idleTimeoutMs?: number;
  /** After the stop signal, running sessions get this long to finish before they are aborted (default 30 s). */
  graceMs?: number;
  /** One line per connection: "text" for people, "json" for a log collector, "none" (default "text"). */
  log?: "text" | "json" | "none";
  /** Where log lines go (default: stderr). */
  write?: (line: string) => void;
  /** Aborting it stops the loop: no new connections, queued ones refused, running ones finish (graceMs). */
  signal?: AbortSignal;
  /** Stops after this many sessions have run (serve --once: 1); default: no limit. */
  maxSessions?: number;
}

/** What the loop did, once it has stopped. */
export interface ServeSummary {
  ok: number;
  failed: number;
  /** Aborted at the end of the grace period. */
  aborted: number;
  /** Refused as busy, or because the server was stopping. */
  refused: number;
  /** Failed before the session: no hello in time, a malformed first frame, lost while queued. */
  dropped: number;
  /** Closed without sending a byte (TCP health checks, port scans): not logged. */
  probes: number;
}

export type Outcome = "ok" | "failed" | "aborted" | "busy" | "dropped";

/** One log line's fields; absent ones do not apply (a refused client has no model). */
export interface LogEntry {
  id: number;
  peer: string;
  outcome: Outcome;
  /** Wall time of the session since its admission, or of a refused or dropped connection since it arrived (ms). */
  ms: number;
  /** Time spent in the queue before the session (ms), when it waited. */
  waitedMs?: number;
  model?: string;
  seq?: number;
  kept?: number[];
  bytes?: number;
  rounds?: number;
  phase?: string;
  error?: string;
}

/**
 * A budget per concurrent session for the default K (keys, OT extension matrices, HE uploads and answers of
 * BERT-base), not a measurement: pass `sessions` when the real figure is known.
 */
export const SESSION_MEMORY_BYTES = 1 << 30;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_GRACE_MS = 30_000;
/** How often a queued client hears its position: well within connect's 30 s wait for the server's hello. */
export const QUEUE_NOTICE_MS = 5_000;
// After the grace period, how long aborted sessions get to return before the loop resolves without them.
const SETTLE_MS = 5_000;

/**
 * K = min(cores, total memory / SESSION_MEMORY_BYTES), at least 2. Cores: the sessions share one thread for the
 * protocols and the HE threads for the products, so more sessions than cores only queue on the CPU; memory: each
 * session holds its keys and messages. At least 2, so that one slow or stalled client never holds the server alone.
 */
export function defaultSessions(cores = availableParallelism(), memoryBytes = totalmem()): number {
  return Math.max(2, Math.min(cores, Math.floor(memoryBytes / SESSION_MEMORY_BYTES)));
}

function checkCount(v: unknown, field: string, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`serve: ${field} must be an integer ≥ ${min}, got ${String(v)}`);
  return v as number;
}

function checkMs(v: unknown, field: string): number {
  if (typeof v !== "number" || !(v > 0) || v > 2_147_483_647) throw new RangeError(`serve: ${field} must be a positive number of ms up to 2^31-1, got ${String(v)}`);
  return v;
}

function checkOptions(o: ServeOptions) {
  if (typeof o !== "object" || o === null) throw new TypeError("serve: options must be an object");
  const sessions = o.sessions === undefined ? defaultSessions() : checkCount(o.sessions, "sessions", 1);
  const log = o.log ?? "text";
  if (log !== "text" && log !== "json" && log !== "none") throw new RangeError(`serve: log must be "text", "json" or "none", got ${String(log)}`);
  if (o.write !== undefined && typeof o.write !== "function") throw new TypeError("serve: write must be a function");
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError("serve: signal must be an AbortSignal");
  return {
    sessions,
    queue: o.queue === undefined ? 2 * sessions : checkCount(o.queue, "queue", 0),
    handshakeTimeoutMs: o.handshakeTimeoutMs === undefined ? DEFAULT_HANDSHAKE_TIMEOUT_MS : checkMs(o.handshakeTimeoutMs, "handshakeTimeoutMs"),
    idleTimeoutMs: o.idleTimeoutMs === undefined ? DEFAULT_IDLE_TIMEOUT_MS : checkMs(o.idleTimeoutMs, "idleTimeoutMs"),
    graceMs: o.graceMs === undefined ? DEFAULT_GRACE_MS : checkMs(o.graceMs, "graceMs"),
    log,
    write: o.write ?? ((line: string) => void process.stderr.write(line + "\n")),
    signal: o.signal,
    maxSessions: o.maxSessions === undefined ? Infinity : checkCount(o.maxSessions, "maxSessions", 1),
  };
}

/** The text form of a log line. */
export function formatLogEntry(e: LogEntry): string {
  const head = `serve: session ${e.id} from ${e.peer}`;
  const facts = [
    e.model !== undefined && `model ${e.model}`,
    e.seq !== undefined && `seq ${e.seq}`,
    e.kept !== undefined && `kept ${e.kept.join("/")}`,
    e.bytes !== undefined && `${(e.bytes / 2 ** 20).toFixed(1)} MiB`,
    e.rounds !== undefined && `${e.rounds} rounds`,
  ].filter((f): f is string => typeof f === "string");
  const tail = facts.length > 0 ? ` (${facts.join(", ")})` : "";
  switch (e.outcome) {
    case "ok":
      return `${head}: ok in ${formatMs(e.ms)}${e.waitedMs === undefined ? "" : ` after ${formatMs(e.waitedMs)} in the queue`}${tail}`;
    case "busy":
      return `${head}: refused: ${e.error}`;
    case "dropped":
      return `${head}: dropped from the queue after ${formatMs(e.ms)}: ${e.error}`;
    default:
      return `${head}: ${e.outcome} after ${formatMs(e.ms)}${e.phase === undefined ? "" : ` during ${e.phase}`}: ${e.error}${tail}`;
  }
}

interface Conn {
  id: number;
  ch: StreamChannel;
  arrived: number;
  /** Fails the connection unless its first frame comes in time. */
  firstFrameDeadline?: { cancel(): void };
  /** When it joined the queue, if it had to wait. */
  queued?: number;
  /** The position the client was last told (queued connections). */
  told?: number;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/**
 * Serves connections from `listeners` (TCP and WebSocket alike; each must hold them: listen(..., { hold: true })) until
 * `signal` aborts or `maxSessions` have run; resolves with the counts once the last session has ended (or been
 * aborted). Connections from every listener share the sessions and the queue. A session's error is logged, never
 * thrown: `runSession` may reject freely. The loop closes the listeners when it stops.
 */
export function serveLoop(listeners: StreamListener | StreamListener[], options: ServeOptions, runSession: RunSession): Promise<ServeSummary> {
  const sources = Array.isArray(listeners) ? listeners : [listeners];
  if (sources.length === 0) throw new TypeError("serveLoop: no listener");
  for (const listener of sources) {
    if (typeof listener?.accept !== "function") throw new TypeError("serveLoop: listener must come from listen() or listenWs()");
    if (!listener.holds) throw new TypeError("serveLoop: the listener must hold connections until admitted: listen(port, host, { hold: true })");
  }
  if (typeof runSession !== "function") throw new TypeError("serveLoop: runSession must be a function");
  const o = checkOptions(options);
  const summary: ServeSummary = { ok: 0, failed: 0, aborted: 0, refused: 0, dropped: 0, probes: 0 };
  // Connections whose hello has not arrived yet, those waiting for a session, and the sessions.
  const arriving = new Set<Conn>();
  const waiting: Conn[] = [];
  const running = new Set<Conn>();
  let nextId = 1;
  let started = 0;
  // Why new connections are refused, once the loop no longer admits any.
  let closing: string | undefined;
  // Listeners whose accept loop is still running.
  let accepting = sources.length;
  let graceOver = false;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  let settleTimer: ReturnType<typeof setTimeout> | undefined;
  let finish!: (s: ServeSummary) => void;
  const done = new Promise<ServeSummary>((r) => (finish = r));

  const log = (e: LogEntry) => {
    if (o.log !== "none") o.write(o.log === "json" ? JSON.stringify({ event: "session", ...e }) : formatLogEntry(e));
  };
  const since = (t: number) => Math.round(performance.now() - t);

  const refuse = (c: Conn, message: string) => {
    c.ch.abort(new ServerBusyError(message));
    summary.refused++;
    log({ id: c.id, peer: c.ch.remote, outcome: "busy", ms: since(c.arrived), error: message });
  };

  const tell = (c: Conn, position: number, always: boolean) => {
    if ((always || c.told !== position) && c.ch.open) c.ch.sendNotice(QUEUE_NOTICE, encodeQueuePosition(position));
    c.told = position;
  };

  // Queued connections that failed (no hello in time, connection lost) leave the queue; the rest hear their place.
  const refreshQueue = (always = false) => {
    for (let i = waiting.length - 1; i >= 0; i--) {
      const c = waiting[i];
      if (c.ch.open) continue;
      waiting.splice(i, 1);
      summary.dropped++;
      log({ id: c.id, peer: c.ch.remote, outcome: "dropped", ms: since(c.arrived), error: c.ch.error?.message ?? "the connection closed" });
    }
    waiting.forEach((c, i) => tell(c, i + 1, always));
    if (waiting.length === 0 && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };

  const start = (c: Conn) => {
    started++;
    running.add(c);
    if (started >= o.maxSessions) stopAdmitting("the server is stopping after its last session; try again later");
    const admitted = performance.now();
    // The session starts with the server's hello: the client's must follow within the handshake deadline.
    c.ch.setDeadlines({ handshakeTimeoutMs: o.handshakeTimeoutMs });
    c.ch.admit();
    let phase: string | undefined;
    const ctx: SessionContext = { id: c.id, peer: c.ch.remote, phase: (name) => void (phase = name) };
    void (async () => {
      let rec: SessionRecord = {};
      let outcome: "ok" | "failed" | "aborted" = "ok";
      let error: string | undefined;
      try {
        rec = (await runSession(c.ch, ctx)) ?? {};
      } catch (err) {
        outcome = graceOver ? "aborted" : "failed";
        error = err instanceof Error ? err.message : String(err);
      } finally {
        c.ch.close();
      }
      if (!running.delete(c)) return; // given up on after the grace period, and counted then
      summary[outcome]++;
      const t = traffic(c.ch);
      log({
        id: c.id,
        peer: c.ch.remote,
        outcome,
        ms: since(admitted),
        ...(c.queued !== undefined && { waitedMs: Math.round(admitted - c.queued) }),
        model: rec.model,
        seq: rec.seq,
        kept: rec.kept,
        bytes: rec.bytes ?? t.bytes,
        rounds: rec.rounds ?? t.rounds,
        ...(outcome !== "ok" && { phase, error }),
      });
      admitNext();
      maybeDone();
    })();
  };

  const admitNext = () => {
    refreshQueue();
    while (closing === undefined && running.size < o.sessions && waiting.length > 0) start(waiting.shift()!);
    refreshQueue();
  };

  const arrive = (ch: StreamChannel) => {
    const c: Conn = { id: nextId++, ch, arrived: performance.now() };
    ch.setDeadlines({ timeoutMs: o.idleTimeoutMs });
    if (closing !== undefined) return refuse(c, closing);
    arriving.add(c);
    // Not the channel's handshake deadline: a queued client is silent until its session starts.
    c.firstFrameDeadline = deadline(o.handshakeTimeoutMs, () => ch.abort(new TimeoutError("handshake", o.handshakeTimeoutMs, "client", "the handshake")));
    ch.firstFrame.then(
      () => {
        c.firstFrameDeadline?.cancel();
        if (arriving.delete(c)) placeConnection(c);
      },
      (err: Error) => {
        c.firstFrameDeadline?.cancel();
        if (!arriving.delete(c)) return;
        if (ch.bytesRead === 0 && err.name !== "TimeoutError") summary.probes++;
        else {
          summary.dropped++;
          log({ id: c.id, peer: ch.remote, outcome: "dropped", ms: since(c.arrived), error: err.message });
        }
        maybeDone();
      },
    );
  };

  const placeConnection = (c: Conn) => {
    if (closing !== undefined) return refuse(c, closing);
    refreshQueue();
    if (running.size < o.sessions && waiting.length === 0) return start(c);
    if (waiting.length >= o.queue)
      return refuse(c, `server busy: ${count(running.size, "session")} running and ${count(waiting.length, "client")} waiting, the server's limits; try again later`);
    c.queued = performance.now();
    waiting.push(c);
    tell(c, waiting.length, true);
    if (ticker === undefined) {
      ticker = setInterval(() => refreshQueue(true), QUEUE_NOTICE_MS);
      ticker.unref();
    }
  };

  const maybeDone = () => {
    if (closing === undefined || accepting > 0 || running.size > 0 || arriving.size > 0) return;
    clearTimeout(graceTimer);
    clearTimeout(settleTimer);
    o.signal?.removeEventListener("abort", onSignal);
    finish({ ...summary });
  };

  // No more admissions: the listeners close, waiting clients are refused with `reason`, running sessions go on.
  function stopAdmitting(reason: string): void {
    if (closing !== undefined) return;
    closing = reason;
    for (const listener of sources) listener.close();
    for (const c of [...arriving, ...waiting.splice(0)]) {
      c.firstFrameDeadline?.cancel();
      if (c.ch.open) refuse(c, reason);
    }
    arriving.clear();
    if (ticker !== undefined) clearInterval(ticker);
  }

  function onSignal(): void {
    if (graceTimer !== undefined || graceOver) return;
    stopAdmitting("the server is shutting down; try again later");
    if (running.size > 0 && o.log === "text") o.write(`serve: stopping: ${count(running.size, "running session")} ${running.size === 1 ? "gets" : "get"} ${formatMs(o.graceMs)} to finish`);
    if (running.size > 0 && o.log === "json") o.write(JSON.stringify({ event: "stopping", running: running.size, graceMs: o.graceMs }));
    graceTimer = setTimeout(() => {
      graceOver = true;
      for (const c of running) c.ch.abort(new ProtocolError("the server is shutting down"));
      // A session that does not return once its channel is aborted is left behind rather than holding the stop.
      settleTimer = setTimeout(() => {
        summary.aborted += running.size;
        running.clear();
        maybeDone();
      }, SETTLE_MS);
    }, o.graceMs);
    maybeDone();
  }

  if (o.signal?.aborted) onSignal();
  else o.signal?.addEventListener("abort", onSignal, { once: true });

  // One accept loop per listener, until it closes: after it does, accept still hands out connections that arrived
  // before, refused then.
  for (const listener of sources) {
    void (async () => {
      for (;;) {
        let ch: StreamChannel;
        try {
          ch = await listener.accept();
        } catch {
          break;
        }
        arrive(ch);
      }
      accepting--;
      stopAdmitting("the server is shutting down; try again later");
      maybeDone();
    })();
  }
  return done;
}

function traffic(ch: StreamChannel): { bytes: number; rounds: number } {
  const t = ch.traffic;
  return { bytes: t.bytesSent + t.bytesReceived, rounds: t.flightsSent + t.flightsReceived };
}

/**
 * An AbortSignal for serveLoop, aborted at the first SIGINT or SIGTERM (`onSignal` is told which); a second one ends
 * the process at once, for an operator who does not want to wait for the grace period.
 */
export function shutdownSignal(onSignal?: (name: NodeJS.Signals) => void): AbortSignal {
  const ctl = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (ctl.signal.aborted) process.exit(name === "SIGINT" ? 130 : 143);
    onSignal?.(name);
    ctl.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return ctl.signal;
}
