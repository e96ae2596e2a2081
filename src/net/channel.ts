// The contract every transport implements. Protocols speak only through this interface.
// Transports: memoryPair (memory.ts), listen/connect (tcp.ts), portChannel (port.ts), all on BaseChannel (base.ts).

/** The two ends of a session: the server holds the model, the client the input. */
export type Role = "server" | "client";

/**
 * Byte and round counts, both directions, as seen by one endpoint, in its own program order: a frame is counted
 * when it is sent and when a receive takes it. Bytes are whole frames as on the wire (header and tag included; see
 * frame.ts), so the in-memory pair and TCP count the same. Data and handshake frames count; abort and close do not.
 */
export interface Traffic {
  bytesSent: number;
  bytesReceived: number;
  /**
   * Flights this endpoint sent: a send that follows a receive (or is the first of the session, or of a scope
   * entry) opens a new flight. For the rounds of a whole exchange seen from both ends, see `pairTraffic`.
   */
  flightsSent: number;
  /** Flights this endpoint received: a receive that follows a send (or is the first) opens a new one. */
  flightsReceived: number;
  /** Messages (frames) sent and received. */
  messagesSent: number;
  messagesReceived: number;
}

/** Counters of one named scope, with its wall-clock time. */
export interface ScopeTraffic extends Traffic {
  name: string;
  ms: number;
}

export interface RecvOptions {
  /** Deadline for this receive in milliseconds; defaults to the channel's deadline. */
  timeoutMs?: number;
}

export interface Channel {
  /**
   * Queues one frame carrying `payload` under `tag`. Never blocks; frames reach the peer in order. The payload is
   * copied or transferred at once, so the caller may reuse its buffer.
   */
  send(tag: string, payload: Uint8Array): void;
  /**
   * The next frame from the peer. Rejects with a ProtocolError if its tag differs from `tag` (naming both), if the
   * deadline passes, if the peer aborted (with the peer's message) or if the channel closed. A tag mismatch or a
   * missed deadline also aborts the channel, so the peer fails too instead of waiting. The payload belongs to the
   * caller; it may be a view at a non-zero byteOffset (always a multiple of 8) into a larger buffer (small payloads
   * share 64 KiB slabs: slice what you keep for long).
   */
  recv(tag: string, opts?: RecvOptions): Promise<Uint8Array>;
  /** Totals since the channel opened. */
  readonly traffic: Readonly<Traffic>;
  /**
   * Runs `fn` inside a named counter scope; scopes nest ("mult/cot"). Returns fn's result. The per-scope totals
   * are in `scopes()`. Scopes on one channel must nest in time: two scopes running concurrently on the same
   * channel would be counted as parent and child.
   */
  scope<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Totals per scope path, in order of first use; a scope's counts include its children's, and `ms` its wall time. */
  scopes(): ScopeTraffic[];
  /** Tells the peer this side failed with `error`; rejects this side's pending receives too. */
  abort(error: Error): void;
  /** Closes the channel; pending and later receives on both sides reject. */
  close(): void;
}
