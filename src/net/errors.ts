// Errors for problems caused by the peer or the transport. Local misuse (bad arguments) throws TypeError/RangeError.
import type { Role } from "./channel.js";

/** A peer or transport problem: malformed frames, desynchronised tags, deadlines, aborts, closed connections. */
export class ProtocolError extends Error {
  override readonly name: string = "ProtocolError";
}

/** A frame that cannot be decoded; `field` names the header field that failed the check. */
export class FrameError extends ProtocolError {
  override readonly name: string = "FrameError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The next frame carries another tag than the receive expected: the two parties run different code paths. */
export class TagMismatchError extends ProtocolError {
  override readonly name: string = "TagMismatchError";
  constructor(
    readonly expected: string,
    readonly received: string,
    readonly seq: number,
  ) {
    super(`expected tag "${expected}" but received "${received}" (frame seq ${seq})`);
  }
}

/** Who sent nothing, or aborted, or closed: "the client", "the server", or "the peer" when the channel is not told. */
export function peerName(peer: Role | undefined): string {
  return peer === undefined ? "the peer" : `the ${peer}`;
}

/** A duration for people: "120 s", "1.5 s", "50 ms". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * A receive's deadline passed before the peer's frame arrived, or the peer's handshake did not arrive in time.
 * `phase` is what the channel was doing: "the handshake" or the innermost counter scope's path.
 */
export class TimeoutError extends ProtocolError {
  override readonly name: string = "TimeoutError";
  constructor(
    readonly tag: string,
    readonly timeoutMs: number,
    readonly peer?: Role,
    readonly phase?: string,
  ) {
    super(
      tag === "handshake"
        ? `${peerName(peer)} sent no handshake within ${formatMs(timeoutMs)}${peer === "server" ? " (not a cipherprune server, or a stalled one?)" : ""}`
        : `${peerName(peer)} sent nothing for ${formatMs(timeoutMs)}${phase === undefined ? "" : ` during ${phase}`} (recv "${tag}")`,
    );
  }
}

/** The peer sent an abort frame; `peerMessage` is its error as it described it. */
export class AbortedByPeerError extends ProtocolError {
  override readonly name: string = "AbortedByPeerError";
  constructor(
    readonly peerMessage: string,
    peer?: Role,
  ) {
    super(`${peer === undefined ? "peer" : `the ${peer}`} aborted: ${peerMessage}`);
  }
}

/**
 * The server refused the connection before the session: its sessions and its queue are full, or it is shutting down.
 * The server aborts with it; the client's channel recognises the name in the abort frame and rejects with it, so the
 * message is the server's own ("server busy: ...; try again later").
 */
export class ServerBusyError extends AbortedByPeerError {
  override readonly name: string = "ServerBusyError";
  constructor(message: string) {
    super(message, "server");
    this.message = message;
  }
}

/** The channel was closed, by this side or by the peer. */
export class ChannelClosedError extends ProtocolError {
  override readonly name: string = "ChannelClosedError";
}

/** The parties were started with different parameters; `field` is the first one that differs. */
export class ParameterMismatchError extends ProtocolError {
  override readonly name: string = "ParameterMismatchError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
