// Errors for problems caused by the peer or the transport. Local misuse (bad arguments) throws TypeError/RangeError.

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

/** A receive's deadline passed before the peer's frame arrived. */
export class TimeoutError extends ProtocolError {
  override readonly name: string = "TimeoutError";
  constructor(
    readonly tag: string,
    readonly timeoutMs: number,
  ) {
    super(`recv "${tag}" got no frame within ${timeoutMs} ms`);
  }
}

/** The peer sent an abort frame; `peerMessage` is its error as it described it. */
export class AbortedByPeerError extends ProtocolError {
  override readonly name: string = "AbortedByPeerError";
  constructor(readonly peerMessage: string) {
    super(`peer aborted: ${peerMessage}`);
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
