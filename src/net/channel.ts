// The contract every transport implements. Protocols speak only through this interface.

/** Byte and round counts, both directions, as seen by one endpoint. */
export interface Traffic {
  bytesSent: number;
  bytesReceived: number;
  /** Flights this endpoint sent: a send that follows a receive (or starts the session) opens a new flight. */
  flightsSent: number;
  /** Flights this endpoint received. */
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
   * deadline passes, if the peer aborted (with the peer's message) or if the channel closed.
   */
  recv(tag: string, opts?: RecvOptions): Promise<Uint8Array>;
  /** Totals since the channel opened. */
  readonly traffic: Readonly<Traffic>;
  /**
   * Runs `fn` inside a named counter scope; scopes nest ("mult/cot"). Returns fn's result. The per-scope totals
   * are in `scopes()`.
   */
  scope<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Totals per scope path, in order of first use. */
  scopes(): ScopeTraffic[];
  /** Tells the peer this side failed with `error`; rejects this side's pending receives too. */
  abort(error: Error): void;
  /** Closes the channel; pending and later receives on both sides reject. */
  close(): void;
}
