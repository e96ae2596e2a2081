// A channel wrapper that logs the data frames its party sends and receives (tests of what each party sees).
import type { Channel } from "../src/net/channel.js";

export interface Frame {
  dir: "sent" | "received";
  tag: string;
  size: number;
  /** A copy of the payload, unless the log was asked for sizes only. */
  payload?: Uint8Array;
}

/** `ch` with its send and receive replaced where `over` gives them; everything else forwards to `ch`. */
export function forwarding(ch: Channel, over: Partial<Pick<Channel, "send" | "recv">>): Channel {
  return {
    send: over.send ?? ((tag, payload) => ch.send(tag, payload)),
    recv: over.recv ?? ((tag, opts) => ch.recv(tag, opts)),
    get traffic() {
      return ch.traffic;
    },
    scope: (name, fn) => ch.scope(name, fn),
    scopes: () => ch.scopes(),
    abort: (e) => ch.abort(e),
    close: () => ch.close(),
  };
}

/** Forwards to `ch` and appends every data frame to `log`; `payloads: false` keeps sizes only (long transcripts). */
export function recording(ch: Channel, log: Frame[], { payloads = true } = {}): Channel {
  const note = (dir: Frame["dir"], tag: string, payload: Uint8Array) =>
    log.push({ dir, tag, size: payload.length, ...(payloads ? { payload: payload.slice() } : {}) });
  return forwarding(ch, {
    send(tag, payload) {
      note("sent", tag, payload);
      ch.send(tag, payload);
    },
    async recv(tag, opts) {
      const payload = await ch.recv(tag, opts);
      note("received", tag, payload);
      return payload;
    },
  });
}
